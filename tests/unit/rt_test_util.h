/* SPDX-License-Identifier: MIT */
/*
 * rt_test_util.h - kernels and helpers shared by the runtime tests
 * (header-only: every test binary links every non-test_ .c of tests/unit).
 */
#ifndef PTO_RT_TEST_UTIL_H
#define PTO_RT_TEST_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pto/pto.h"

/* Kernel ids used by the tests. */
#define K_MIX_AIC	1	/* rt_k_mix on AIC */
#define K_MIX_AIV	2	/* rt_k_mix on AIV */
#define K_FAIL		3	/* returns -5 (AIV) */
#define K_NOP_AIC	4
#define K_NOP_AIV	5
#define K_SPIN_AIV	6	/* waits until a host flag is set (AIV) */

/*
 * rt_k_mix: out = out * 3 + in1 + 7 * in2 + c   (uint32, wrapping), over
 * 2-D views.  Tensors: out (arg 0), then 0..2 inputs of out's view shape.
 * Scalars: [0] lane mask of the launch (1 AIC, 2 AIV0, 4 AIV1), [1] c,
 * [2] 1 = "out is a fresh OUTPUT": start from 0 instead of reading it.
 * Rows are split over the dispatches of a MIX/SPMD task.
 */
static inline uint32_t *rt_elem(const struct pto_kernel_ctx *ctx, uint32_t t, uint32_t r,
				uint32_t c)
{
	const struct pto2_tensor_desc *d = pto_kernel_tensor(ctx, t);
	uint32_t *base = pto_kernel_data(ctx, t);
	uint64_t rs = d->ndims > 1 ? pto_kernel_stride(ctx, t, 0) : 0;

	return base + (uint64_t)r * rs + c;
}

static inline int rt_k_mix(const struct pto_kernel_ctx *ctx)
{
	const struct pto2_tensor_desc *o = pto_kernel_tensor(ctx, 0);
	uint32_t nt = pto_kernel_num_tensors(ctx);
	uint32_t mask = (uint32_t)pto_kernel_scalar(ctx, 0);
	uint32_t cst = (uint32_t)pto_kernel_scalar(ctx, 1);
	uint32_t fresh = (uint32_t)pto_kernel_scalar(ctx, 2);
	uint32_t mylane = ctx->core_type == PTO2_CORE_AIC ? 0 : 1 + pto_kernel_sub_block_id(ctx);
	uint32_t lanes = (uint32_t)__builtin_popcount(mask);
	uint32_t li = (uint32_t)__builtin_popcount(mask & ((1u << mylane) - 1));
	uint32_t nparts = lanes * pto_kernel_block_num(ctx);
	uint32_t part = pto_kernel_block_idx(ctx) * lanes + li;
	uint32_t rows = o->ndims > 1 ? o->shapes[0] : 1;
	uint32_t cols = o->ndims > 1 ? o->shapes[1] : o->shapes[0];

	if (!(mask & (1u << mylane)))
		return 99;	/* dispatched to a lane the launch did not name */
	for (uint32_t r = part; r < rows; r += nparts) {
		for (uint32_t c = 0; c < cols; c++) {
			uint32_t *po = rt_elem(ctx, 0, r, c);
			uint32_t v = fresh ? 0 : *po * 3;

			if (nt > 1)
				v += *rt_elem(ctx, 1, r, c);
			if (nt > 2)
				v += 7 * *rt_elem(ctx, 2, r, c);
			*po = v + cst;
		}
	}
	return 0;
}

static inline int rt_k_fail(const struct pto_kernel_ctx *ctx)
{
	(void)ctx;
	return -5;
}

static inline int rt_k_nop(const struct pto_kernel_ctx *ctx)
{
	(void)ctx;
	return 0;
}

/* Open a mock device of @clusters clusters. */
/* The device of @spec; the test fails if it does not open. */
static inline struct pto_device *rt_open_spec(const char *spec)
{
	struct pto_device *dev = NULL;

	assert_int_equal(pto_device_open(spec, &dev), 0);
	return dev;
}

static inline struct pto_device *rt_open_dev(uint32_t clusters)
{
	char spec[64];

	snprintf(spec, sizeof(spec), "mock:clusters=%u,mem=512M,workers=2", clusters);
	return rt_open_spec(spec);
}

/* Small-ring config for tests (quiet, short timeouts). */
static inline void rt_test_config(struct pto_runtime_config *cfg, uint32_t window)
{
	assert_int_equal(pto_runtime_config_init(cfg), 0);
	for (int r = 0; r < PTO_NUM_RINGS; r++) {
		cfg->task_window[r] = window;
		cfg->heap_size[r] = 4u << 20;
		cfg->dep_pool[r] = 4 * window;
	}
	cfg->flags |= PTO_RT_QUIET;
	cfg->stall_timeout_ms = 3000;
	cfg->core_timeout_ms = 3000;
}

/*
 * RT_TEST_WIRING(fn): two test entries, fn with wiring inline and fn on the
 * wiring thread; fn sets cfg.wiring = rt_test_wiring(state).
 */
static const uint32_t rt_wiring_modes[2] = { 0, 1 };
#define RT_TEST_WIRING(fn)								\
	{ #fn " (wiring inline)", fn, NULL, NULL, (void *)&rt_wiring_modes[0] },	\
	{ #fn " (wiring thread)", fn, NULL, NULL, (void *)&rt_wiring_modes[1] }

/* The wiring mode an RT_TEST_WIRING entry runs in (0 for a plain entry). */
static inline uint32_t rt_test_wiring(void **state)
{
	return state && *state ? *(const uint32_t *)*state : 0;
}

static inline void rt_register_all(struct pto_runtime *rt)
{
	assert_int_equal(pto_register_kernel(rt, K_MIX_AIC, PTO2_CORE_AIC, rt_k_mix, "mix_aic"), 0);
	assert_int_equal(pto_register_kernel(rt, K_MIX_AIV, PTO2_CORE_AIV, rt_k_mix, "mix_aiv"), 0);
	assert_int_equal(pto_register_kernel(rt, K_FAIL, PTO2_CORE_AIV, rt_k_fail, "always_fails"), 0);
	assert_int_equal(pto_register_kernel(rt, K_NOP_AIC, PTO2_CORE_AIC, rt_k_nop, "nop_aic"), 0);
	assert_int_equal(pto_register_kernel(rt, K_NOP_AIV, PTO2_CORE_AIV, rt_k_nop, "nop_aiv"), 0);
}

/* Device buffer of @n uint32 filled with @init(i). */
static inline uint64_t rt_buf(struct pto_device *dev, uint32_t n, uint32_t seed)
{
	uint64_t addr;
	uint32_t *h;

	assert_int_equal(pto_mem_alloc(dev, (uint64_t)n * 4, 64, &addr), 0);
	h = pto_mem_map(dev, addr, (uint64_t)n * 4);
	assert_non_null(h);
	for (uint32_t i = 0; i < n; i++)
		h[i] = seed * 1000003u + i * 7u;
	return addr;
}

#endif /* PTO_RT_TEST_UTIL_H */
