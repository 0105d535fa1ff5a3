// SPDX-License-Identifier: MIT
/*
 * vector_example_manual - vector_example with its inner scope in MANUAL mode.
 *
 * Inside a manual scope the edges between the scope's own tasks are stated
 * with pto_add_dependency(); c, created outside the scope, still gets its
 * boundary edge (t0 -> t1, t2, t4) from the tensors.  The scope's tasks
 * start together when the scope ends.
 */
#include "examples/vector_example/vec.h"

static int vec_manual_orch(struct pto_runtime *rt, void *arg)
{
	struct vec_state *st = arg;
	struct pto_tensor a, b, c, d, e, g, f;
	struct pto_args args;
	int64_t t0, t1, t2, t3, t4;
	int rc = 0;

	pto_tensor_external(&a, st->a_addr, PTO2_DTYPE_F32, 2, st->shape);
	pto_tensor_external(&b, st->b_addr, PTO2_DTYPE_F32, 2, st->shape);
	pto_tensor_external(&f, st->f_addr, PTO2_DTYPE_F32, 2, st->shape);
	pto_tensor_create(&c, PTO2_DTYPE_F32, 2, st->shape);

	pto_args_init(&args);			/* t0: c = a + b (outer, AUTO) */
	pto_arg_input(&args, &a);
	pto_arg_input(&args, &b);
	pto_arg_output(&args, &c);
	t0 = pto_submit_aiv(rt, EX_K_ADD, &args);
	if (t0 < 0)
		return (int)t0;

	PTO_SCOPE(rt, PTO_SCOPE_MANUAL) {
		pto_tensor_create(&d, PTO2_DTYPE_F32, 2, st->shape);
		pto_tensor_create(&e, PTO2_DTYPE_F32, 2, st->shape);
		pto_tensor_create(&g, PTO2_DTYPE_F32, 2, st->shape);

		pto_args_init(&args);		/* t1: d = c + 1 */
		pto_arg_input(&args, &c);
		pto_arg_output(&args, &d);
		pto_arg_scalar_f32(&args, 1.0f);
		t1 = pto_submit_aiv(rt, EX_K_ADD_SCALAR, &args);

		pto_args_init(&args);		/* t2: e = c + 2 */
		pto_arg_input(&args, &c);
		pto_arg_output(&args, &e);
		pto_arg_scalar_f32(&args, 2.0f);
		t2 = pto_submit_aiv(rt, EX_K_ADD_SCALAR, &args);

		pto_args_init(&args);		/* t3: g = d * e */
		pto_arg_input(&args, &d);
		pto_arg_input(&args, &e);
		pto_arg_output(&args, &g);
		t3 = pto_submit_aiv(rt, EX_K_MUL, &args);

		pto_args_init(&args);		/* t4: f = g + c */
		pto_arg_input(&args, &g);
		pto_arg_input(&args, &c);
		pto_arg_output_existing(&args, &f);
		t4 = pto_submit_aiv(rt, EX_K_ADD, &args);

		if (t1 < 0 || t2 < 0 || t3 < 0 || t4 < 0)
			rc = PTO_E_ABORTED;	/* the failed submit already failed the run */
		if (!rc)
			rc = pto_add_dependency(rt, t1, t3);
		if (!rc)
			rc = pto_add_dependency(rt, t2, t3);
		if (!rc)
			rc = pto_add_dependency(rt, t3, t4);
	}
	return rc;
}

static const struct ex_case vec_manual_cases[] = { VEC_CASES };

const struct ex_example ex_vector_example_manual = {
	.name = "vector_example_manual",
	/* MANUAL scopes with explicit edges: right in either mode */
	.deps = EX_DEPS_AUTO | EX_DEPS_EXPLICIT,
	.description = "vector_example with a MANUAL inner scope and explicit dependencies",
	EX_CASES(vec_manual_cases),
	.orch = vec_manual_orch,
	VEC_EXAMPLE_COMMON,
};
