// SPDX-License-Identifier: MIT
/*
 * test_backpressure.c - flow control: long dependent chains through tiny
 * task windows and heaps complete with correct results; a scope that can
 * never fit fails at once with PTO_E_SCOPE_DEADLOCK; a ring blocked by a
 * hung core hits the stall backstop (PTO_E_RING_STALL) instead of hanging.
 */
#include "rt_test_util.h"

#include "libpto/device/device_impl.h"
#include "libpto/runtime/rt_impl.h"
#include "sim/sim.h"

#define SIDE 64

struct bp_arg {
	uint64_t a;
	uint32_t len;
	uint32_t with_output;	/* each iteration: tmp = c1 (OUTPUT), a = a*3 + tmp + c2 */
	uint64_t max_live;
	int64_t err;
};

static void note_live(struct pto_runtime *rt, struct bp_arg *ba)
{
	for (int r = 0; r < PTO_NUM_RINGS; r++) {
		uint64_t live = __atomic_load_n(&rt->hdr->ctl[r].current_task_index, __ATOMIC_ACQUIRE) -
				__atomic_load_n(&rt->hdr->ctl[r].last_task_alive, __ATOMIC_ACQUIRE);

		if (live > ba->max_live)
			ba->max_live = live;
	}
}

static int64_t submit_mix(struct pto_runtime *rt, struct pto_tensor *out, struct pto_tensor *in,
			  uint32_t c, int fresh)
{
	struct pto_args args;

	pto_args_init(&args);
	if (fresh)
		pto_arg_output(&args, out);
	else
		pto_arg_inout(&args, out);
	if (in)
		pto_arg_input(&args, in);
	pto_arg_scalar(&args, 2);
	pto_arg_scalar(&args, c);
	pto_arg_scalar(&args, (uint64_t)fresh);
	return pto_submit_aiv(rt, K_MIX_AIV, &args);
}

static int orch_chain(struct pto_runtime *rt, void *p)
{
	struct bp_arg *ba = p;
	struct pto_tensor a;
	uint32_t shape[2] = { SIDE, SIDE };

	assert_int_equal(pto_tensor_external(&a, ba->a, PTO2_DTYPE_I32, 2, shape), 0);
	for (uint32_t i = 0; i < ba->len && ba->err >= 0; i++) {
		PTO_SCOPE(rt) {
			if (ba->with_output) {
				struct pto_tensor tmp;

				assert_int_equal(pto_tensor_create(&tmp, PTO2_DTYPE_I32, 2, shape), 0);
				ba->err = submit_mix(rt, &tmp, NULL, i * 5, 1);
				if (ba->err >= 0)
					ba->err = submit_mix(rt, &a, &tmp, i, 0);
			} else {
				ba->err = submit_mix(rt, &a, NULL, i, 0);
			}
			note_live(rt, ba);
		}
	}
	return ba->err < 0 ? (int)ba->err : 0;
}

static void check_chain(struct pto_device *dev, struct bp_arg *ba, uint32_t seed)
{
	uint32_t *h = pto_mem_map(dev, ba->a, SIDE * SIDE * 4);

	for (uint32_t e = 0; e < SIDE * SIDE; e += 37) {
		uint32_t v = seed * 1000003u + e * 7u;

		for (uint32_t i = 0; i < ba->len; i++)
			v = v * 3 + (ba->with_output ? i * 5 : 0) + i;
		assert_int_equal(h[e], v);
	}
}

static void test_window16_chain(void **state)
{
	struct pto_device *dev = rt_open_dev(2);
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;
	struct bp_arg ba = { .len = 1200 };
	struct pto_run_stats st;

	rt_test_config(&cfg, 16);
	cfg.wiring = rt_test_wiring(state);
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	rt_register_all(rt);
	ba.a = rt_buf(dev, SIDE * SIDE, 9);
	assert_int_equal(pto_run(rt, orch_chain, &ba), 0);
	check_chain(dev, &ba, 9);
	assert_int_equal(pto_run_stats(rt, &st), 0);
	assert_int_equal(st.tasks, 1200);
	/* the window is the hard limit of live tasks, whatever the timing */
	assert_true(ba.max_live <= 16);
	/* nothing stays behind a stale watermark (the wiring thread publishes at the end) */
	for (int r = 0; r < PTO_NUM_RINGS; r++)
		assert_int_equal(rt->hdr->ctl[r].last_task_alive, rt->hdr->ctl[r].current_task_index);
	print_message("window 16: max live %" PRIu64 ", orchestrator blocked %" PRIu64 " us\n",
		      ba.max_live, st.orch_blocked_ns / 1000);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

static void test_heap_limited_chain(void **state)
{
	struct pto_device *dev = rt_open_dev(2);
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;
	struct bp_arg ba = { .len = 300, .with_output = 1 };

	rt_test_config(&cfg, 64);
	cfg.wiring = rt_test_wiring(state);
	/* four 16 KiB outputs (+ argument blocks) at most per ring */
	for (int r = 0; r < PTO_NUM_RINGS; r++)
		cfg.heap_size[r] = 4 * SIDE * SIDE * 4 + 4096;
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	rt_register_all(rt);
	ba.a = rt_buf(dev, SIDE * SIDE, 4);
	assert_int_equal(pto_run(rt, orch_chain, &ba), 0);
	check_chain(dev, &ba, 4);
	/* rerun on the same runtime: rings start empty again */
	ba.a = rt_buf(dev, SIDE * SIDE, 4);
	ba.max_live = 0;
	assert_int_equal(pto_run(rt, orch_chain, &ba), 0);
	check_chain(dev, &ba, 4);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

/* --- a scope that can never fit -------------------------------------------------- */

struct big_arg {
	uint64_t a;
	uint32_t n;
	int scoped;
	int use_output;
	int64_t ret;
	uint32_t submitted;
};

static int orch_big_scope(struct pto_runtime *rt, void *p)
{
	struct big_arg *ba = p;
	uint32_t shape[2] = { SIDE, SIDE };
	struct pto_tensor a;

	assert_int_equal(pto_tensor_external(&a, ba->a, PTO2_DTYPE_I32, 2, shape), 0);
	if (ba->scoped)
		assert_int_equal(pto_scope_begin(rt, PTO_SCOPE_AUTO), 0);
	for (uint32_t i = 0; i < ba->n; i++) {
		if (ba->use_output) {
			struct pto_tensor t;

			assert_int_equal(pto_tensor_create(&t, PTO2_DTYPE_I32, 2, shape), 0);
			ba->ret = submit_mix(rt, &t, NULL, i, 1);
		} else {
			ba->ret = submit_mix(rt, &a, NULL, i, 0);
		}
		if (ba->ret < 0)
			return (int)ba->ret;
		ba->submitted++;
	}
	if (ba->scoped)
		pto_scope_end(rt);
	return 0;
}

static void expect_deadlock(struct pto_runtime *rt, struct big_arg *ba, const char *what)
{
	uint64_t t0 = pto_now_ns();

	assert_int_equal(pto_run(rt, orch_big_scope, ba), PTO_E_SCOPE_DEADLOCK);
	/* a hang guard, not a speed check: the error is structural, at submit */
	assert_true(pto_now_ns() - t0 < 1000ull * 1000 * 1000);
	assert_int_equal(ba->ret, PTO_E_SCOPE_DEADLOCK);
	assert_non_null(strstr(pto_last_error(), what));
}

static void test_scope_deadlock(void **state)
{
	struct pto_device *dev = rt_open_dev(1);
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;
	struct big_arg ba = { .n = 40, .scoped = 1 };
	struct bp_arg ok = { .len = 50 };

	rt_test_config(&cfg, 16);
	cfg.wiring = rt_test_wiring(state);
	for (int r = 0; r < PTO_NUM_RINGS; r++)
		cfg.heap_size[r] = 3 * SIDE * SIDE * 4 + 4096;
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	rt_register_all(rt);
	ba.a = rt_buf(dev, SIDE * SIDE, 1);
	/* depth 1 holds 16 tasks, the 17th can never fit ring 1's window */
	expect_deadlock(rt, &ba, "scope at depth 1");
	assert_non_null(strstr(pto_last_error(), "ring 1"));
	assert_non_null(strstr(pto_last_error(), "16"));
	assert_int_equal(ba.submitted, 16);
	/* the outer scope (depth 0, ring 0) likewise */
	ba.scoped = 0;
	ba.submitted = 0;
	expect_deadlock(rt, &ba, "scope at depth 0");
	assert_int_equal(ba.submitted, 16);
	/* the heap: three 16 KiB outputs fit, the fourth never will */
	ba.scoped = 1;
	ba.use_output = 1;
	ba.submitted = 0;
	expect_deadlock(rt, &ba, "heap too small");
	assert_int_equal(ba.submitted, 3);
	/* and the runtime runs again */
	ok.a = ba.a;
	assert_int_equal(pto_run(rt, orch_chain, &ok), 0);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

static void test_ring_stall(void **state)
{
	struct pto_device *dev = rt_open_dev(1);
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;
	struct bp_arg ba = { .len = 100 };

	rt_test_config(&cfg, 16);
	cfg.wiring = rt_test_wiring(state);
	cfg.stall_timeout_ms = 300;
	cfg.core_timeout_ms = 60000;
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	rt_register_all(rt);
	ba.a = rt_buf(dev, SIDE * SIDE, 2);
	/* both AIV cores of the single cluster hang: the chain never moves */
	assert_int_equal(pto_sim_set_fault(dev->sim, 1, PTO_SIM_FAULT_HANG, 0), 0);
	assert_int_equal(pto_sim_set_fault(dev->sim, 2, PTO_SIM_FAULT_HANG, 0), 0);
	assert_int_equal(pto_run(rt, orch_chain, &ba), PTO_E_RING_STALL);
	assert_non_null(strstr(pto_last_error(), "ring 1 stalled"));
	assert_non_null(strstr(pto_last_error(), "16 of 16 slots live"));
	assert_non_null(strstr(pto_last_error(), "oldest live task"));
	assert_non_null(strstr(pto_last_error(), "mix_aiv"));
	assert_int_equal(pto_sim_set_fault(dev->sim, 1, PTO_SIM_FAULT_NONE, 0), 0);
	assert_int_equal(pto_sim_set_fault(dev->sim, 2, PTO_SIM_FAULT_NONE, 0), 0);
	ba.a = rt_buf(dev, SIDE * SIDE, 2);
	ba.err = 0;
	assert_int_equal(pto_run(rt, orch_chain, &ba), 0);
	check_chain(dev, &ba, 2);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		RT_TEST_WIRING(test_window16_chain),
		RT_TEST_WIRING(test_heap_limited_chain),
		RT_TEST_WIRING(test_scope_deadlock),
		RT_TEST_WIRING(test_ring_stall),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
