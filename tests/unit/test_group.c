// SPDX-License-Identifier: MIT
/*
 * test_group.c - one workload over several devices (pto/host.h): programs
 * on two mock devices with dependencies through host and device-only
 * buffers, the copies the runtime inserts, failures and bad input.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pto/host.h"
#include "pto/pto.h"

#define K_AFFINE	9
#define N		256

/* out = in * a + b (int32); tensors out, [in]; scalars a, b. Without in: out = out*a+b */
static int k_affine(const struct pto_kernel_ctx *ctx)
{
	int32_t *o = pto_kernel_data(ctx, 0);
	const int32_t *in = pto_kernel_num_tensors(ctx) > 1 ? pto_kernel_data(ctx, 1) : o;
	int32_t a = (int32_t)pto_kernel_scalar(ctx, 0), b = (int32_t)pto_kernel_scalar(ctx, 1);

	for (int i = 0; i < N; i++)
		o[i] = in[i] * a + b;
	return 0;
}

struct affine {
	int32_t a, b;
};

/* uses[0] = out, uses[1] = in (optional) */
static int prog_affine(struct pto_runtime *rt, const struct pto_prog *p)
{
	const struct affine *f = p->arg;
	uint32_t shape[1] = { N };
	struct pto_tensor o, in;
	struct pto_args args;

	pto_tensor_external(&o, p->addr[0], PTO2_DTYPE_I32, 1, shape);
	pto_args_init(&args);
	pto_arg_inout(&args, &o);
	if (p->num_uses > 1) {
		pto_tensor_external(&in, p->addr[1], PTO2_DTYPE_I32, 1, shape);
		pto_arg_input(&args, &in);
	}
	pto_arg_scalar(&args, (uint64_t)(uint32_t)f->a);
	pto_arg_scalar(&args, (uint64_t)(uint32_t)f->b);
	return pto_submit_aiv(rt, K_AFFINE, &args) < 0 ? -1 : 0;
}

static struct pto_group *group2(const char *s0, const char *s1)
{
	const char *specs[2] = { s0, s1 };
	struct pto_runtime_config cfg;
	struct pto_group *g;

	assert_int_equal(pto_runtime_config_init(&cfg), 0);
	cfg.flags |= PTO_RT_QUIET;
	if (pto_group_create(specs, 2, &cfg, &g))
		fail_msg("group: %s", pto_last_error());
	assert_int_equal(pto_group_register_kernel(g, K_AFFINE, PTO2_CORE_AIV, k_affine, "affine"),
			 0);
	return g;
}

#define DEV0	"mock:name=d0,clusters=1,workers=1"
#define DEV1	"mock:name=d1,clusters=1,workers=1"

/*
 * x (host) -> dev0: t = 2x + 1 (device-only) -> dev1: y = 3t + 0 (host)
 * -> dev0: x = y*1 + 5 (INOUT over x, after dev1 read... x is IN of prog 0):
 * every edge crosses devices, and t crosses through host staging.
 */
static void test_chain_across_devices(void **state)
{
	struct pto_group *g = group2(DEV0, DEV1);
	int32_t x[N], y[N];
	struct affine f0 = { 2, 1 }, f1 = { 3, 0 }, f2 = { 1, 5 };
	struct pto_group_stats st;
	uint32_t bx, bt, by;

	(void)state;
	for (int i = 0; i < N; i++)
		x[i] = i;
	memset(y, 0, sizeof(y));
	assert_int_equal(pto_group_buffer(g, x, sizeof(x), "x", &bx), 0);
	assert_int_equal(pto_group_buffer(g, NULL, sizeof(x), "t", &bt), 0);
	assert_int_equal(pto_group_buffer(g, y, sizeof(y), "y", &by), 0);
	assert_int_equal(pto_group_submit(g, 0, prog_affine, &f0,
					  (struct pto_use[]){ { bt, PTO_USE_OUT }, { bx, PTO_USE_IN } },
					  2), 0);
	assert_int_equal(pto_group_submit(g, 1, prog_affine, &f1,
					  (struct pto_use[]){ { by, PTO_USE_OUT }, { bt, PTO_USE_IN } },
					  2), 1);
	/* writes x, which program 0 read: it waits for it (write after read) */
	assert_int_equal(pto_group_submit(g, 0, prog_affine, &f2,
					  (struct pto_use[]){ { bx, PTO_USE_OUT }, { by, PTO_USE_IN } },
					  2), 2);
	if (pto_group_run(g))
		fail_msg("run: %s", pto_last_error());
	for (int i = 0; i < N; i++) {
		assert_int_equal(y[i], 3 * (2 * i + 1));
		assert_int_equal(x[i], 3 * (2 * i + 1) + 5);
	}
	assert_int_equal(pto_group_stats(g, &st), 0);
	assert_int_equal(st.programs, 3);
	/* x up to d0; t d0 -> host -> d1; y d1 -> host -> d0; final x and y down */
	assert_int_equal(st.uploads, 3);
	assert_int_equal(st.downloads, 3);	/* y came down for d0 already: no final copy */
	/* a second run reuses the copies where they are valid: y is on the host already */
	assert_int_equal(pto_group_submit(g, 1, prog_affine, &f2,
					  (struct pto_use[]){ { by, PTO_USE_INOUT } }, 1), 0);
	assert_int_equal(pto_group_run(g), 0);
	for (int i = 0; i < N; i++)
		assert_int_equal(y[i], 3 * (2 * i + 1) + 5);
	pto_group_stats(g, &st);
	assert_int_equal(st.uploads, 0);	/* d1 still held y's current value */
	assert_int_equal(st.downloads, 1);
	pto_group_destroy(g);
}

/* Independent programs on two devices run at once and both are right. */
static void test_parallel_parts(void **state)
{
	struct pto_group *g = group2(DEV0, DEV1);
	int32_t a[N], b[N];
	struct affine f = { 1, 7 };
	uint32_t ba, bb;

	(void)state;
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	assert_int_equal(pto_group_buffer(g, a, sizeof(a), NULL, &ba), 0);
	assert_int_equal(pto_group_buffer(g, b, sizeof(b), NULL, &bb), 0);
	for (int r = 0; r < 10; r++) {
		assert_true(pto_group_submit(g, 0, prog_affine, &f,
					     (struct pto_use[]){ { ba, PTO_USE_INOUT } }, 1) >= 0);
		assert_true(pto_group_submit(g, 1, prog_affine, &f,
					     (struct pto_use[]){ { bb, PTO_USE_INOUT } }, 1) >= 0);
	}
	assert_int_equal(pto_group_run(g), 0);
	for (int i = 0; i < N; i++) {
		assert_int_equal(a[i], 70);
		assert_int_equal(b[i], 70);
	}
	pto_group_destroy(g);
}

static int k_fail(const struct pto_kernel_ctx *ctx)
{
	(void)ctx;
	return -5;
}

/* A kernel error on device 1 fails the run naming it; device 0's later program is not run. */
static void test_failure_stops_all(void **state)
{
	struct pto_group *g = group2(DEV0, DEV1);
	int32_t x[N], y[N];
	struct affine f = { 1, 1 };
	uint32_t bx, by;

	(void)state;
	assert_int_equal(pto_register_kernel(pto_group_runtime(g, 1), K_AFFINE, PTO2_CORE_AIV,
					     k_fail, "fail"), 0);
	memset(x, 0, sizeof(x));
	memset(y, 0, sizeof(y));
	assert_int_equal(pto_group_buffer(g, x, sizeof(x), "x", &bx), 0);
	assert_int_equal(pto_group_buffer(g, y, sizeof(y), "y", &by), 0);
	pto_group_submit(g, 1, prog_affine, &f, (struct pto_use[]){ { bx, PTO_USE_INOUT } }, 1);
	pto_group_submit(g, 0, prog_affine, &f,
			 (struct pto_use[]){ { by, PTO_USE_OUT }, { bx, PTO_USE_IN } }, 2);
	assert_int_equal(pto_group_run(g), PTO_E_KERNEL_FAILED);
	assert_non_null(strstr(pto_last_error(), "device 1 (d1) program 0:"));
	for (int i = 0; i < N; i++)
		assert_int_equal(y[i], 0);
	/* the group runs again afterwards */
	assert_int_equal(pto_register_kernel(pto_group_runtime(g, 1), K_AFFINE, PTO2_CORE_AIV,
					     k_affine, "affine"), 0);
	pto_group_submit(g, 1, prog_affine, &f, (struct pto_use[]){ { bx, PTO_USE_INOUT } }, 1);
	assert_int_equal(pto_group_run(g), 0);
	assert_int_equal(x[0], 1);
	pto_group_destroy(g);
}

/* A program waiting longer than the bound for a slow one fails with a named timeout. */
static void test_wait_timeout(void **state)
{
	struct pto_group *g = group2("mock:name=slow,clusters=1,workers=1,"
				     "fault=slow@kernel9:us=400000", DEV1);
	int32_t x[N];
	struct affine f = { 1, 1 };
	uint32_t bx;

	(void)state;
	memset(x, 0, sizeof(x));
	assert_int_equal(pto_group_set_timeout(g, 50), 0);
	assert_int_equal(pto_group_set_timeout(g, 0), -EINVAL);
	assert_int_equal(pto_group_buffer(g, x, sizeof(x), "x", &bx), 0);
	pto_group_submit(g, 0, prog_affine, &f, (struct pto_use[]){ { bx, PTO_USE_INOUT } }, 1);
	pto_group_submit(g, 1, prog_affine, &f, (struct pto_use[]){ { bx, PTO_USE_INOUT } }, 1);
	assert_int_equal(pto_group_run(g), PTO_E_WAIT_TIMEOUT);
	assert_non_null(strstr(pto_last_error(), "device 1 (d1) program 1: waited 50 ms for "
			       "program 0 on device 0 (slow)"));
	pto_group_destroy(g);
}

/*
 * Write after read across devices: d1 overwrites x, which a program on d0
 * reads after a slow one.  The writer must wait for the reader, else the
 * reader would fetch the new x.  (Removing the WAR edges fails this: the
 * writer, alone on d1, finishes long before d0's 200 ms kernel.)
 */
static void test_write_after_read(void **state)
{
	struct pto_group *g = group2("mock:name=d0,clusters=1,workers=1,"
				     "fault=slow@kernel9:us=200000:count=1", DEV1);
	int32_t x[N], a[N], b[N];
	struct affine slow = { 1, 1 }, copy = { 1, 0 }, set = { 0, 99 };
	uint32_t bx, ba, bb;

	(void)state;
	for (int i = 0; i < N; i++)
		x[i] = i;
	memset(b, 0, sizeof(b));
	assert_int_equal(pto_group_buffer(g, x, sizeof(x), "x", &bx), 0);
	assert_int_equal(pto_group_buffer(g, a, sizeof(a), "a", &ba), 0);
	assert_int_equal(pto_group_buffer(g, b, sizeof(b), "b", &bb), 0);
	/* d0: b = b + 1 (slow), then a = x (reads x, after b) */
	pto_group_submit(g, 0, prog_affine, &slow, (struct pto_use[]){ { bb, PTO_USE_INOUT } }, 1);
	pto_group_submit(g, 0, prog_affine, &copy,
			 (struct pto_use[]){ { ba, PTO_USE_OUT }, { bx, PTO_USE_IN },
					     { bb, PTO_USE_IN } }, 3);
	/* d1: x = 99 */
	pto_group_submit(g, 1, prog_affine, &set, (struct pto_use[]){ { bx, PTO_USE_INOUT } }, 1);
	assert_int_equal(pto_group_run(g), 0);
	for (int i = 0; i < N; i++) {
		if (a[i] != i)
			fail_msg("a[%d] = %d: the reader saw the later write of x", i, a[i]);
		assert_int_equal(x[i], 99);
		assert_int_equal(b[i], 1);
	}
	pto_group_destroy(g);
}

static void test_bad_input(void **state)
{
	struct pto_group *g = group2(DEV0, DEV1);
	const char *specs[2] = { DEV0, "mock:bogus=1" };
	struct pto_group *g2;
	int32_t x[N];
	uint32_t bx;

	(void)state;
	assert_int_equal(pto_group_create(specs, 0, NULL, &g2), -EINVAL);
	assert_int_equal(pto_group_create(specs, 2, NULL, &g2), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "device 1 ('mock:bogus=1')"));
	assert_null(g2);
	assert_int_equal(pto_group_buffer(g, x, 0, "x", &bx), -EINVAL);
	assert_int_equal(pto_group_buffer(g, x, sizeof(x), "x", &bx), 0);
	assert_int_equal(pto_group_submit(g, 2, prog_affine, NULL,
					  (struct pto_use[]){ { bx, PTO_USE_IN } }, 1), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "device 2: the group has devices 0..1"));
	assert_int_equal(pto_group_submit(g, 0, prog_affine, NULL,
					  (struct pto_use[]){ { 5, PTO_USE_IN } }, 1), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "no buffer 5"));
	assert_int_equal(pto_group_submit(g, 0, prog_affine, NULL,
					  (struct pto_use[]){ { bx, 7 } }, 1), -EINVAL);
	assert_int_equal(pto_group_submit(g, 0, prog_affine, NULL,
					  (struct pto_use[]){ { bx, PTO_USE_IN }, { bx, PTO_USE_OUT } },
					  2), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "buffer 'x' used twice"));
	assert_int_equal(pto_group_submit(g, 0, NULL, NULL, NULL, 0), -EINVAL);
	assert_null(pto_group_runtime(g, 2));
	/* a device-only buffer read before anything wrote it */
	assert_int_equal(pto_group_buffer(g, NULL, sizeof(x), "t", &bx), 0);
	pto_group_submit(g, 0, prog_affine, &(struct affine){ 1, 1 },
			 (struct pto_use[]){ { bx, PTO_USE_INOUT } }, 1);
	assert_int_equal(pto_group_run(g), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "buffer 't' is read before anything wrote it"));
	pto_group_destroy(g);
	pto_group_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_across_devices),
		cmocka_unit_test(test_parallel_parts),
		cmocka_unit_test(test_failure_stops_all),
		cmocka_unit_test(test_wait_timeout),
		cmocka_unit_test(test_write_after_read),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
