// SPDX-License-Identifier: MIT
/*
 * test_wide_args.c - tasks with many arguments: an all-to-all step of
 * width 40 (40 inputs and 40 explicit dependencies per consumer, in AUTO
 * and explicit-only mode), a task at the full limit (128 tensors and 24
 * scalars: more than the payload holds, so its arguments spill to device
 * memory), each against a host golden; and the executor refusing a
 * spilled argument array outside device memory.  One past each limit is
 * refused in test_args.c.
 */
#include "rt_test_util.h"

#include "runtime/executor.h"
#include "runtime/regs.h"

#define K_FILL		30	/* AIV: out[i] = s0 + i */
#define K_WSUM		31	/* AIV: out[i] = s0 + sum_k (k + 1) * in_k[i] (arg 0 out) */
#define K_FULL		32	/* AIC: out[i] = sum_k in_k[i] * s[k % ns], checks the counts */
#define W		40
#define N		32

static int k_fill(const struct pto_kernel_ctx *ctx)
{
	uint32_t *o = pto_kernel_data(ctx, 0);

	for (uint32_t i = 0; i < N; i++)
		o[i] = (uint32_t)pto_kernel_scalar(ctx, 0) + i;
	return 0;
}

static int k_wsum(const struct pto_kernel_ctx *ctx)
{
	uint32_t *o = pto_kernel_data(ctx, 0);
	uint32_t nt = pto_kernel_num_tensors(ctx);

	for (uint32_t i = 0; i < N; i++) {
		uint32_t v = (uint32_t)pto_kernel_scalar(ctx, 0);

		for (uint32_t k = 1; k < nt; k++)
			v += k * ((uint32_t *)pto_kernel_data(ctx, k))[i];
		o[i] = v;
	}
	return 0;
}

static int k_full(const struct pto_kernel_ctx *ctx)
{
	uint32_t *o = pto_kernel_data(ctx, 0);
	uint32_t nt = pto_kernel_num_tensors(ctx), ns = pto_kernel_num_scalars(ctx);

	if (nt != PTO2_MAX_TENSOR_ARGS || ns != PTO2_MAX_SCALAR_ARGS ||
	    !(ctx->payload->flags & PTO2_PAYLOAD_SPILLED))
		return 77;
	for (uint32_t i = 0; i < N; i++) {
		uint32_t v = 0;

		for (uint32_t k = 1; k < nt; k++)
			v += ((uint32_t *)pto_kernel_data(ctx, k))[i] *
			     (uint32_t)pto_kernel_scalar(ctx, k % ns);
		o[i] = v;
	}
	return 0;
}

struct wide {
	struct pto_device *dev;
	uint64_t in[PTO2_MAX_TENSOR_ARGS], out[W];
	uint32_t explicit_deps;
};

static struct pto_tensor vec(uint64_t addr)
{
	struct pto_tensor t;
	uint32_t shape[1] = { N };

	assert_int_equal(pto_tensor_external(&t, addr, PTO2_DTYPE_I32, 1, shape), 0);
	return t;
}

static uint32_t *host(struct wide *w, uint64_t addr)
{
	uint32_t *p = pto_mem_map(w->dev, addr, N * 4);

	assert_non_null(p);
	return p;
}

/* W producers fill in[0..W); W consumers each read all of them. */
static int orch_all_to_all(struct pto_runtime *rt, void *p)
{
	struct wide *w = p;
	struct pto_tensor in[W], out;
	int64_t prod[W];

	for (uint32_t k = 0; k < W; k++) {
		struct pto_args a;

		in[k] = vec(w->in[k]);
		pto_args_init(&a);
		pto_arg_output_existing(&a, &in[k]);
		pto_arg_scalar(&a, 1000u * k);
		prod[k] = pto_submit_aiv(rt, K_FILL, &a);
		if (prod[k] < 0)
			return (int)prod[k];
	}
	for (uint32_t j = 0; j < W; j++) {
		struct pto_args a;
		int64_t id;

		out = vec(w->out[j]);
		pto_args_init(&a);
		pto_arg_output_existing(&a, &out);
		for (uint32_t k = 0; k < W; k++)
			pto_arg_input(&a, &in[k]);
		pto_arg_scalar(&a, j);
		for (uint32_t k = 0; w->explicit_deps && k < W; k++)
			pto_args_add_dep(&a, prod[k]);
		id = pto_submit_aiv(rt, K_WSUM, &a);
		if (id < 0)
			return (int)id;
	}
	return 0;
}

static void run_all_to_all(uint32_t dep_mode, uint32_t wiring)
{
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;
	struct wide w = { 0 };

	w.dev = rt_open_dev(2);
	rt_test_config(&cfg, 256);
	/* explicit-only: the outer scope holds every edge until the run ends */
	for (int r = 0; r < PTO_NUM_RINGS; r++)
		cfg.dep_pool[r] = 4096;
	cfg.dep_mode = dep_mode;
	cfg.wiring = wiring;
	assert_int_equal(pto_runtime_create(w.dev, &cfg, &rt), 0);
	assert_int_equal(pto_register_kernel(rt, K_FILL, PTO2_CORE_AIV, k_fill, "fill"), 0);
	assert_int_equal(pto_register_kernel(rt, K_WSUM, PTO2_CORE_AIV, k_wsum, "wsum"), 0);
	for (uint32_t k = 0; k < W; k++) {
		w.in[k] = rt_buf(w.dev, N, 0);
		w.out[k] = rt_buf(w.dev, N, 0);
	}
	w.explicit_deps = dep_mode == PTO_DEPS_EXPLICIT;
	if (pto_run(rt, orch_all_to_all, &w) != 0)
		fail_msg("all-to-all of width %u: %s", W, pto_last_error());
	for (uint32_t j = 0; j < W; j++) {
		for (uint32_t i = 0; i < N; i++) {
			uint32_t want = j;

			for (uint32_t k = 0; k < W; k++)
				want += (k + 1) * (1000u * k + i);
			if (host(&w, w.out[j])[i] != want)
				fail_msg("consumer %u element %u: got %u want %u", j, i,
					 host(&w, w.out[j])[i], want);
		}
	}
	pto_runtime_destroy(rt);
	pto_device_close(w.dev);
}

static void test_all_to_all_auto(void **state)
{
	run_all_to_all(PTO_DEPS_AUTO, rt_test_wiring(state));
}

/* every consumer also names its 40 producers: more than the old 16 explicit edges */
static void test_all_to_all_explicit(void **state)
{
	run_all_to_all(PTO_DEPS_EXPLICIT, rt_test_wiring(state));
}

/* One task with every argument it may have: out, 127 inputs, 24 scalars. */
static int orch_full(struct pto_runtime *rt, void *p)
{
	struct wide *w = p;
	struct pto_tensor t[PTO2_MAX_TENSOR_ARGS];
	struct pto_args a;
	int64_t id;

	pto_args_init(&a);
	for (uint32_t k = 0; k < PTO2_MAX_TENSOR_ARGS; k++) {
		t[k] = vec(k ? w->in[k] : w->out[0]);
		pto_arg_tensor(&a, &t[k], k ? PTO_ARG_INPUT : PTO_ARG_OUTPUT_EXISTING);
	}
	for (uint32_t s = 0; s < PTO2_MAX_SCALAR_ARGS; s++)
		pto_arg_scalar(&a, s + 2);
	id = pto_submit_aic(rt, K_FULL, &a);
	return id < 0 ? (int)id : 0;
}

static void test_full_argument_list_spills(void **state)
{
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;
	struct wide w = { 0 };

	w.dev = rt_open_dev(1);
	rt_test_config(&cfg, 16);
	cfg.wiring = rt_test_wiring(state);
	assert_int_equal(pto_runtime_create(w.dev, &cfg, &rt), 0);
	assert_int_equal(pto_register_kernel(rt, K_FULL, PTO2_CORE_AIC, k_full, "full"), 0);
	w.out[0] = rt_buf(w.dev, N, 0);
	for (uint32_t k = 1; k < PTO2_MAX_TENSOR_ARGS; k++) {
		w.in[k] = rt_buf(w.dev, N, 0);
		for (uint32_t i = 0; i < N; i++)
			host(&w, w.in[k])[i] = k * 100 + i;
	}
	/* twice: both payload buffers of the core */
	for (int round = 0; round < 2; round++) {
		if (pto_run(rt, orch_full, &w) != 0)
			fail_msg("full argument list: %s", pto_last_error());
		for (uint32_t i = 0; i < N; i++) {
			uint32_t want = 0;

			for (uint32_t k = 1; k < PTO2_MAX_TENSOR_ARGS; k++)
				want += (k * 100 + i) * (k % PTO2_MAX_SCALAR_ARGS + 2);
			assert_int_equal(host(&w, w.out[0])[i], want);
		}
	}
	pto_runtime_destroy(rt);
	pto_device_close(w.dev);
}

/* --- the executor never follows a spilled array outside device memory ----------- */

#define GM_SIZE		(1u << 16)
#define PAYLOAD_AT	4096u

static int k_count(const struct pto_kernel_ctx *ctx)
{
	return (int)(pto_kernel_scalar(ctx, 0) + pto_kernel_num_tensors(ctx));
}

static void test_executor_checks_spilled_array(void **state)
{
	static const uint64_t bad[] = { 0, GM_SIZE - 8, GM_SIZE, 8193, UINT64_MAX - 7 };
	struct pto2_core_regs *regs = aligned_alloc(PTO2_REG_WINDOW_SIZE, PTO2_REG_WINDOW_SIZE);
	uint8_t *gm = calloc(1, GM_SIZE);
	pto_kernel_fn *kernels = calloc(PTO2_MAX_KERNELS, sizeof(*kernels));
	struct pto_executor ex;
	uint32_t n = 0;

	(void)state;
	memset(regs, 0, sizeof(*regs));
	regs->data_main_base = PTO2_REG_IDLE;
	regs->cond = PTO2_COND_IDLE;
	regs->payload_addr = PAYLOAD_AT;
	kernels[1] = k_count;
	pto_exec_init(&ex, regs, gm, GM_SIZE, kernels);
	/* 60 arguments (59 tensors + 1 scalar) at 8192: a good array runs */
	for (int c = -1; c < (int)(sizeof(bad) / sizeof(bad[0])); c++) {
		uint32_t id = PTO2_DISPATCH_ID(n++);
		struct pto2_dispatch_payload *p = (struct pto2_dispatch_payload *)
			(gm + PAYLOAD_AT + PTO2_PAYLOAD_SLOT(id) * PTO2_PAYLOAD_SIZE);
		uint64_t *argv = (uint64_t *)(gm + 8192);

		memset(p, 0, sizeof(*p));
		p->kernel_id = 1;
		p->flags = PTO2_PAYLOAD_SPILLED;
		p->num_tensors = 59;
		p->num_scalars = 1;
		p->args[0] = c < 0 ? 8192 : bad[c];
		argv[59] = 1000;
		reg_store_release(&regs->data_main_base, id);
		assert_int_equal(pto_exec_step(&ex), PTO_EXEC_TASK);
		assert_int_equal(regs->cond, PTO2_COND(1, id));
		assert_int_equal(regs->status[PTO2_PAYLOAD_SLOT(id)],
				 c < 0 ? 1059 : PTO_EXEC_STATUS_BAD_PAYLOAD);
	}
	free(kernels);
	free(gm);
	free(regs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		RT_TEST_WIRING(test_all_to_all_auto),
		RT_TEST_WIRING(test_all_to_all_explicit),
		RT_TEST_WIRING(test_full_argument_list_spills),
		cmocka_unit_test(test_executor_checks_spilled_array),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
