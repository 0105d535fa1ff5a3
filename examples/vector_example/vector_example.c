// SPDX-License-Identifier: MIT
/*
 * vector_example - f = (a + b + 1) * (a + b + 2) + (a + b) with five AIV tasks.
 *
 * The model to copy: external tensors over device memory (a, b, f), a
 * runtime-created intermediate (c) in the outer scope, an inner scope whose
 * intermediates (d, e, g) are recycled when it ends, and a final task that
 * writes the external result in place (OUTPUT_EXISTING).  Every dependency
 * comes from the tensors: d and e wait for c, g for d and e, f for g and c.
 */
#include <errno.h>
#include <stdlib.h>

#include "examples/vector_example/vec.h"

static int vec_orch(struct pto_runtime *rt, void *arg)
{
	struct vec_state *st = arg;
	struct pto_tensor a, b, c, d, e, g, f;
	struct pto_args args;

	/* a, b and f are the caller's device memory; c, d, e, g the runtime's */
	pto_tensor_external(&a, st->a_addr, PTO2_DTYPE_F32, 2, st->shape);
	pto_tensor_external(&b, st->b_addr, PTO2_DTYPE_F32, 2, st->shape);
	pto_tensor_external(&f, st->f_addr, PTO2_DTYPE_F32, 2, st->shape);
	pto_tensor_create(&c, PTO2_DTYPE_F32, 2, st->shape);

	pto_args_init(&args);			/* t0: c = a + b */
	pto_arg_input(&args, &a);
	pto_arg_input(&args, &b);
	pto_arg_output(&args, &c);
	pto_submit_aiv(rt, EX_K_ADD, &args);

	PTO_SCOPE(rt) {			/* d, e, g are recycled when it ends */
		pto_tensor_create(&d, PTO2_DTYPE_F32, 2, st->shape);
		pto_tensor_create(&e, PTO2_DTYPE_F32, 2, st->shape);
		pto_tensor_create(&g, PTO2_DTYPE_F32, 2, st->shape);

		pto_args_init(&args);		/* t1: d = c + 1 */
		pto_arg_input(&args, &c);
		pto_arg_output(&args, &d);
		pto_arg_scalar_f32(&args, 1.0f);
		pto_submit_aiv(rt, EX_K_ADD_SCALAR, &args);

		pto_args_init(&args);		/* t2: e = c + 2 */
		pto_arg_input(&args, &c);
		pto_arg_output(&args, &e);
		pto_arg_scalar_f32(&args, 2.0f);
		pto_submit_aiv(rt, EX_K_ADD_SCALAR, &args);

		pto_args_init(&args);		/* t3: g = d * e */
		pto_arg_input(&args, &d);
		pto_arg_input(&args, &e);
		pto_arg_output(&args, &g);
		pto_submit_aiv(rt, EX_K_MUL, &args);

		pto_args_init(&args);		/* t4: f = g + c, into the external f */
		pto_arg_input(&args, &g);
		pto_arg_input(&args, &c);
		pto_arg_output_existing(&args, &f);
		pto_submit_aiv(rt, EX_K_ADD, &args);
	}
	return 0;	/* a failed submit fails the run: pto_run() returns its error */
}

int vec_setup(struct ex_run *run)
{
	struct vec_state *st = calloc(1, sizeof(*st));
	uint64_t n, bytes;
	int rc;

	if (!st)
		return ex_fail(run, -ENOMEM, "out of memory");
	run->state = st;
	if ((rc = ex_param_u32(run, "rows", 1u << 16, &st->shape[0])) ||
	    (rc = ex_param_u32(run, "cols", 1u << 16, &st->shape[1])) ||
	    (rc = ex_param_f32_or(run, "a", 2.0f, &st->a)) ||
	    (rc = ex_param_f32_or(run, "b", 3.0f, &st->b)))
		return rc;
	n = (uint64_t)st->shape[0] * st->shape[1];
	bytes = n * sizeof(float);
	if ((rc = ex_dev_alloc(run, bytes, NULL, &st->a_addr)) ||
	    (rc = ex_dev_fill(run, st->a_addr, n, st->a)) ||
	    (rc = ex_dev_alloc(run, bytes, NULL, &st->b_addr)) ||
	    (rc = ex_dev_fill(run, st->b_addr, n, st->b)) ||
	    (rc = ex_dev_alloc(run, bytes, NULL, &st->f_addr)))
		return rc;
	return vec_reset(run);
}

/* A poisoned result before each round: a missed write cannot pass. */
int vec_reset(struct ex_run *run)
{
	struct vec_state *st = run->state;

	return ex_dev_fill(run, st->f_addr, (uint64_t)st->shape[0] * st->shape[1], -1.0f);
}

int vec_check(struct ex_run *run, struct ex_result *res)
{
	struct vec_state *st = run->state;
	uint64_t n = (uint64_t)st->shape[0] * st->shape[1];
	double s = (double)st->a + st->b, want1 = (s + 1) * (s + 2) + s;
	double *want = malloc(n * sizeof(*want));
	int rc;

	if (!want)
		return ex_fail(run, -ENOMEM, "out of memory");
	for (uint64_t i = 0; i < n; i++)
		want[i] = want1;
	rc = ex_check_download(run, st->f_addr, want, n, res);
	free(want);
	return rc;
}

void vec_teardown(struct ex_run *run)
{
	free(run->state);
}

static const struct ex_case vec_cases[] = { VEC_CASES };

const struct ex_example ex_vector_example = {
	.name = "vector_example",
	/* every dependency is a created tensor's creator */
	.deps = EX_DEPS_AUTO | EX_DEPS_EXPLICIT,
	.description = "f = (a+b+1)(a+b+2) + (a+b): 5 AIV tasks, an inner scope, OUTPUT_EXISTING",
	EX_CASES(vec_cases),
	.orch = vec_orch,
	VEC_EXAMPLE_COMMON,
};
