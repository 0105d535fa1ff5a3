// SPDX-License-Identifier: MIT
/*
 * test_backpressure.c - flow control: long dependent chains through tiny
 * task windows and heaps complete with correct results; a scope that can
 * never fit fails at once with PTO_E_SCOPE_DEADLOCK; a ring blocked by a
 * hung core hits the stall backstop (PTO_E_RING_STALL) instead of hanging.
 */
#include <pthread.h>
#include <unistd.h>

#include "rt_test_util.h"
#include "rt_check.h"

#include "libpto/device/device_impl.h"
#include "libpto/core/run.h"
#include "libpto/orch/orch_impl.h"
#include "sim/sim.h"
#include "tests/peers/shapes.h"

#define SIDE 64

struct bp_arg {
	uint64_t a;
	uint32_t len;
	uint32_t with_output;	/* each iteration: tmp = c1 (OUTPUT), a = a*3 + tmp + c2 */
	uint32_t settle;	/* each iteration: read a, so its tasks finish before the next */
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
		if (ba->settle && ba->err >= 0) {
			uint32_t idx[2] = { 0, 0 }, v;

			assert_int_equal(pto_tensor_read(rt, &a, idx, &v), 0);
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
	rt_assert_run_clean(rt);
	print_message("window 16: max live %" PRIu64 ", orchestrator blocked %" PRIu64 " us\n",
		      ba.max_live, st.orch_blocked_ns / 1000);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

/* A runtime on @dev with window 64 and four 16 KiB outputs (+ argument blocks) at most per ring. */
static struct pto_runtime *heap_limited_rt(struct pto_device *dev, void **state)
{
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;

	rt_test_config(&cfg, 64);
	cfg.wiring = rt_test_wiring(state);
	for (int r = 0; r < PTO_NUM_RINGS; r++)
		cfg.heap_size[r] = 4 * SIDE * SIDE * 4 + 4096;
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	rt_register_all(rt);
	return rt;
}

static void test_heap_limited_chain(void **state)
{
	struct pto_device *dev = rt_open_dev(2);
	struct pto_runtime *rt = heap_limited_rt(dev, state);
	struct bp_arg ba = { .len = 300, .with_output = 1 };

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

/*
 * Every live task consumed, none running, the heap full of their blocks:
 * inline, consumers advance the ring only once per batch of 16 tasks here
 * (window 64), so only the orchestrator's own scan before it waits
 * (orch/backpressure.c) frees the heap; without it the run stalls.
 */
static void test_heap_of_consumed_tasks(void **state)
{
	struct pto_device *dev = rt_open_dev(2);
	struct pto_runtime *rt = heap_limited_rt(dev, state);
	struct bp_arg ba = { .len = 7, .with_output = 1, .settle = 1 };
	struct pto_run_stats st;

	ba.a = rt_buf(dev, SIDE * SIDE, 5);
	assert_int_equal(pto_run(rt, orch_chain, &ba), 0);
	check_chain(dev, &ba, 5);
	assert_int_equal(pto_run_stats(rt, &st), 0);
	assert_int_equal(st.tasks, 14);
	rt_assert_run_clean(rt);
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
	assert_non_null(strstr(pto_last_error(), "already holds 16 tasks: task 17 of it "
					       "cannot fit ring 1's task window of 16 slots"));
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

/* --- explicit edges wait for dependency-pool space -------------------------------- */

#define K_GATE		10	/* AIV: returns once g_gate is set */

static int g_gate;

static int k_gate(const struct pto_kernel_ctx *ctx)
{
	(void)ctx;
	/* acquire: pairs with the release store of whoever opens the gate */
	while (!__atomic_load_n(&g_gate, __ATOMIC_ACQUIRE))
		usleep(100);
	return 0;
}

/*
 * A mock device with a worker per core: a gate kernel blocks the worker
 * that runs it, and with fewer workers it would hold other cores too.
 */
static struct pto_device *open_dev_worker_per_core(void)
{
	struct pto_device *dev = NULL;

	assert_int_equal(pto_device_open("mock:clusters=2,mem=512M,workers=6", &dev), 0);
	return dev;
}

static struct pto_runtime *make_pool_rt(struct pto_device *dev, void **state, uint32_t dep_mode,
					uint32_t window, uint32_t pool)
{
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;

	if (window) {
		rt_test_config(&cfg, window);
		for (int r = 0; r < PTO_NUM_RINGS; r++)
			cfg.dep_pool[r] = pool;
	} else {
		/* the defaults: 16384 slots and 16384 dependency entries per ring */
		assert_int_equal(pto_runtime_config_init(&cfg), 0);
		cfg.flags |= PTO_RT_QUIET;
	}
	cfg.dep_mode = dep_mode;
	cfg.wiring = rt_test_wiring(state);
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	rt_register_all(rt);
	assert_int_equal(pto_register_kernel(rt, K_GATE, PTO2_CORE_AIV, k_gate, "gate"), 0);
	return rt;
}

/* On an AIC core: the gate tasks hold AIV cores (and their dual-issue slots). */
static int64_t nop(struct pto_runtime *rt)
{
	struct pto_args a;

	pto_args_init(&a);
	return pto_submit_aic(rt, K_NOP_AIC, &a);
}

struct wide_arg {
	uint32_t width, steps;
	int manual;		/* MANUAL scopes (AUTO mode) instead of explicit-only mode */
};

/*
 * @width tasks per step, each depending (pto_add_dependency) on every task
 * of the step before: width^2 edges, 2 entries each, per step.  The
 * orchestrator runs up to a window ahead of retirement, far more edges
 * than the pool holds.
 */
static int orch_wide(struct pto_runtime *rt, void *p)
{
	struct wide_arg *w = p;
	int64_t prev[8], cur[8];

	for (uint32_t s = 0; s < w->steps; s++) {
		PTO_SCOPE(rt, w->manual ? PTO_SCOPE_MANUAL : PTO_SCOPE_AUTO) {
			for (uint32_t i = 0; i < w->width; i++) {
				cur[i] = nop(rt);
				if (cur[i] < 0)
					return (int)cur[i];
				for (uint32_t k = 0; s && k < w->width; k++) {
					int ret = pto_add_dependency(rt, prev[k], cur[i]);

					if (ret)
						return ret;
				}
			}
		}
		memcpy(prev, cur, sizeof(prev));
	}
	return 0;
}

static void test_edges_wait_for_pool(void **state)
{
	struct pto_device *dev = rt_open_dev(2);
	struct pto_runtime *rt;
	struct pto_run_stats st;
	struct wide_arg chain = { .width = 2, .steps = 10000 };
	struct wide_arg all = { .width = 8, .steps = 500, .manual = 1 };

	rt = make_pool_rt(dev, state, PTO_DEPS_EXPLICIT, 0, 0);
	if (pto_run(rt, orch_wide, &chain))
		fail_msg("2-wide chain: %s", pto_last_error());
	assert_int_equal(pto_run_stats(rt, &st), 0);
	assert_int_equal(st.tasks, 20000);
	pto_runtime_destroy(rt);
	rt = make_pool_rt(dev, state, PTO_DEPS_AUTO, 0, 0);
	if (pto_run(rt, orch_wide, &all))
		fail_msg("8-wide all-to-all: %s", pto_last_error());
	assert_int_equal(pto_run_stats(rt, &st), 0);
	assert_int_equal(st.tasks, 4000);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

/* Opens the gate once the orchestrator waits on ring 1 (or after 10 s, so a run ends). */
struct opener {
	struct pto_runtime *rt;
	int saw_wait;
};

static void *open_gate_on_wait(void *p)
{
	struct opener *o = p;

	for (int i = 0; i < 100000; i++) {
		if (__atomic_load_n(&o->rt->rings[1].orch_wake_la, __ATOMIC_ACQUIRE) !=
		    PTO_NO_WAITER) {
			o->saw_wait = 1;
			break;
		}
		usleep(100);
	}
	/* release: pairs with the gate kernel's acquire */
	__atomic_store_n(&g_gate, 1, __ATOMIC_RELEASE);
	return NULL;
}

struct pool4_arg {
	struct opener *opener;	/* started inside the run (pto_run() resets what it reads) */
	pthread_t th;
	int64_t gates[3];
	int ret;
	int gate_was_open;	/* when pto_add_dependency() returned */
	int case_end_edge;	/* point 4: an edge at the end of a scope, then 3 deps */
};

static void submit_gates(struct pto_runtime *rt, struct pool4_arg *pa)
{
	struct pto_args a;

	for (int i = 0; i < 3; i++) {
		pto_args_init(&a);
		pa->gates[i] = pto_submit_aiv(rt, K_GATE, &a);
		assert_true(pa->gates[i] >= 0);
	}
}

static int64_t three_deps(struct pto_runtime *rt, struct pool4_arg *pa)
{
	struct pto_args a;

	pto_args_init(&a);
	for (int i = 0; i < 3; i++)
		pto_args_add_dep(&a, pa->gates[i]);
	return pto_submit_aiv(rt, K_NOP_AIV, &a);
}

static int orch_pool4(struct pto_runtime *rt, void *p)
{
	struct pool4_arg *pa = p;
	int64_t x, y;

	if (pa->opener) {
		pa->opener->rt = rt;
		assert_int_equal(pthread_create(&pa->th, NULL, open_gate_on_wait, pa->opener), 0);
	}
	submit_gates(rt, pa);	/* ring 0, running until the gate opens */
	if (pa->case_end_edge) {
		/*
		 * An edge added after the scope's last submit, then a task of the
		 * next scope taking 3 entries (its producers still run): the
		 * edge's 2 entries belong to the finished scope, not to it.
		 */
		PTO_SCOPE(rt, PTO_SCOPE_MANUAL) {
			x = nop(rt);
			y = nop(rt);
			pa->ret = pto_add_dependency(rt, x, y);
		}
		if (pa->ret)
			return pa->ret;
		PTO_SCOPE(rt) {
			int64_t t = three_deps(rt, pa);

			if (t < 0)
				pa->ret = (int)t;
			/* release: pairs with the gate kernel's acquire */
			__atomic_store_n(&g_gate, 1, __ATOMIC_RELEASE);
		}
		return pa->ret;
	}
	/* a closed scope's task holding 3 of the pool's 4 entries, still waiting */
	PTO_SCOPE(rt) {
		assert_true(three_deps(rt, pa) >= 0);
	}
	PTO_SCOPE(rt, PTO_SCOPE_MANUAL) {
		x = nop(rt);
		y = nop(rt);
		/* 2 more entries: waits for that task to retire */
		pa->ret = pto_add_dependency(rt, x, y);
		pa->gate_was_open = __atomic_load_n(&g_gate, __ATOMIC_ACQUIRE);
	}
	return pa->ret;
}

static void test_pool4_edge_waits(void **state)
{
	struct pto_device *dev = open_dev_worker_per_core();
	struct pto_runtime *rt = make_pool_rt(dev, state, PTO_DEPS_AUTO, 16, 4);
	struct opener o = { 0 };
	struct pool4_arg pa = { .ret = 1, .opener = &o };

	g_gate = 0;
	if (pto_run(rt, orch_pool4, &pa))
		fail_msg("pool of 4: %s", pto_last_error());
	pthread_join(pa.th, NULL);
	assert_int_equal(pa.ret, 0);
	/* it waited: the gate opened only because the orchestrator waited */
	assert_int_equal(o.saw_wait, 1);
	assert_int_equal(pa.gate_was_open, 1);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

static void test_edge_at_scope_end(void **state)
{
	struct pto_device *dev = open_dev_worker_per_core();
	struct pto_runtime *rt = make_pool_rt(dev, state, PTO_DEPS_AUTO, 16, 4);
	struct pool4_arg pa = { .case_end_edge = 1 };

	g_gate = 0;
	if (pto_run(rt, orch_pool4, &pa))
		fail_msg("edge at scope end: %s", pto_last_error());
	assert_int_equal(pa.ret, 0);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

/*
 * The pool stays full (the task holding it waits for a gate nobody opens):
 * the edge's wait ends at the stall backstop with the back-pressure
 * diagnostic, and the runtime runs again.
 */
static void test_pool_stall(void **state)
{
	struct pto_device *dev = open_dev_worker_per_core();
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;
	struct pool4_arg pa = { .ret = 1 };

	rt_test_config(&cfg, 16);
	for (int r = 0; r < PTO_NUM_RINGS; r++)
		cfg.dep_pool[r] = 4;
	cfg.wiring = rt_test_wiring(state);
	/* long enough that the run after the gate opens never stalls, under qemu-user too */
	cfg.stall_timeout_ms = 1000;
	cfg.core_timeout_ms = 60000;
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	rt_register_all(rt);
	assert_int_equal(pto_register_kernel(rt, K_GATE, PTO2_CORE_AIV, k_gate, "gate"), 0);
	g_gate = 0;
	assert_int_equal(pto_run(rt, orch_pool4, &pa), PTO_E_RING_STALL);
	assert_int_equal(pa.ret, PTO_E_RING_STALL);
	assert_non_null(strstr(pto_last_error(), "ring 1 stalled 1000 ms on its dependency pool"));
	assert_non_null(strstr(pto_last_error(), "dep pool 3/4"));
	assert_non_null(strstr(pto_last_error(), "kernel 'nop_aiv', pending, fanin 1/4"));
	/* release: pairs with the gate kernel's acquire; the cores were stopped */
	__atomic_store_n(&g_gate, 1, __ATOMIC_RELEASE);
	pa.ret = 1;
	assert_int_equal(pto_run(rt, orch_pool4, &pa), 0);
	assert_int_equal(pa.ret, 0);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

/* A scope holding more edges than the pool fails at once, with the exact reason. */
static int orch_pool_never(struct pto_runtime *rt, void *p)
{
	int64_t x, y;
	int ret = 0;

	(void)p;
	PTO_SCOPE(rt, PTO_SCOPE_MANUAL) {
		x = nop(rt);
		y = nop(rt);
		for (int i = 0; i < 3 && !ret; i++)
			ret = pto_add_dependency(rt, x, y);
	}
	return ret;
}

static void test_pool_never_fits(void **state)
{
	struct pto_device *dev = rt_open_dev(2);
	struct pto_runtime *rt = make_pool_rt(dev, state, PTO_DEPS_AUTO, 16, 4);
	uint64_t t0 = pto_now_ns();

	assert_int_equal(pto_run(rt, orch_pool_never, NULL), PTO_E_DEP_POOL);
	/* a hang guard, not a speed check: the error is structural */
	assert_true(pto_now_ns() - t0 < 1000ull * 1000 * 1000);
	assert_string_equal(pto_last_error(), "pto_add_dependency: ring 1 dependency pool of 4 "
			    "entries cannot hold the open scopes' 4 entries + 2 more (an edge "
			    "takes 2; raise PTO2_RING_DEP_POOL or split the scope)");
	/* and the runtime runs again */
	assert_int_equal(pto_run(rt, orch_pool_never, (void *)1) == PTO_E_DEP_POOL, 1);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

/* AIV: busy for scalar 0 ns (a kernel long enough that retiring is slower than submitting) */
#define K_BUSY		11

static int k_busy(const struct pto_kernel_ctx *ctx)
{
	bench_spin_ns(pto_kernel_scalar(ctx, 0));
	return 0;
}

struct refill_arg {
	uint64_t a;
	uint32_t len;
	int edges;	/* explicit mode: pto_add_dependency() chains them (2 entries per edge) */
};

/*
 * A chain on one tensor: each task holds a dependency entry while its
 * producer runs (AUTO), or its edge holds two (explicit edges).
 */
static int orch_busy_chain(struct pto_runtime *rt, void *p)
{
	struct refill_arg *ra = p;
	struct pto_tensor a;
	uint32_t shape[1] = { 16 };
	int64_t prev = -1;

	assert_int_equal(pto_tensor_external(&a, ra->a, PTO2_DTYPE_I32, 1, shape), 0);
	for (uint32_t i = 0; i < ra->len; i++) {
		struct pto_args args;
		int64_t id = 0;
		int ret = 0;

		PTO_SCOPE(rt) {
			pto_args_init(&args);
			pto_arg_inout(&args, &a);
			pto_arg_scalar(&args, 100000);
			id = pto_submit_aiv(rt, K_BUSY, &args);
			if (ra->edges && id >= 0 && prev >= 0)
				ret = pto_add_dependency(rt, prev, id);
		}
		if (id < 0)
			return (int)id;
		if (ret)
			return ret;
		prev = id;
	}
	return 0;
}

static void check_refill(void **state, uint32_t dep_mode, uint32_t pool)
{
	struct pto_device *dev = rt_open_dev(2);
	struct pto_runtime *rt = make_pool_rt(dev, state, dep_mode, 1024, pool);
	struct refill_arg ra = { .len = 300, .edges = dep_mode == PTO_DEPS_EXPLICIT };

	assert_int_equal(pto_register_kernel(rt, K_BUSY, PTO2_CORE_AIV, k_busy, "busy"), 0);
	ra.a = rt_buf(dev, 16, 1);
	if (pto_run(rt, orch_busy_chain, &ra))
		fail_msg("busy chain: %s", pto_last_error());
	print_message("dependency pool %u, chain of %u%s: %" PRIu64 " waits\n", pool, ra.len,
		      ra.edges ? " (explicit edges)" : "", rt->orch_waits);
	assert_true(rt->orch_waits > 0);
	assert_true(rt->orch_waits <= ra.len / 3);
	rt_assert_run_clean(rt);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

/*
 * Back-pressure on the dependency pool is batched like a full window: the
 * orchestrator waits for an eighth of the live tasks to retire, not for
 * each one (orch/backpressure.c, pto__refill_mark()).  A chain of 100 us kernels:
 * through a 32-entry pool ~32 tasks live, one wait per ~4 retired, ~75 in
 * all, where taking room task by task waits ~270 times; explicit edges (2
 * entries each) through 128 entries alike.
 */
static void test_dep_pool_refill_batched(void **state)
{
	check_refill(state, PTO_DEPS_AUTO, 32);
	check_refill(state, PTO_DEPS_EXPLICIT, 128);
}

/*
 * The refill mark, case by case: (next, la, open tasks) -> mark.  An
 * eighth of the live, at least one, and never more than the tasks outside
 * open scopes, which alone can retire while the orchestrator waits.
 */
static void test_refill_mark(void **state)
{
	static const struct {
		uint64_t next, la;
		uint32_t open;
		uint64_t mark;
	} cases[] = {
		{ 1024, 0, 0, 128 },		/* full window: an eighth */
		{ 1100, 1000, 0, 1012 },	/* 100 live: 12 */
		{ 1007, 1000, 0, 1001 },	/* fewer than 8 live: one on */
		{ 1001, 1000, 0, 1001 },
		{ 1024, 0, 1020, 4 },		/* 4 of closed scopes: no further */
		{ 1024, 0, 900, 124 },		/* 124 closed, eighth 128: 124 */
		{ 1024, 0, 800, 128 },		/* 224 closed: the eighth */
		{ 1024, 0, 1023, 1 },
		{ 1024, 0, 1024, 1 },		/* all open: one on (deadlock found elsewhere) */
		{ UINT64_MAX, UINT64_MAX - 64, 60, UINT64_MAX - 60 },	/* near the top */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t m = pto__refill_mark(cases[i].next, cases[i].la, cases[i].open);

		if (m != cases[i].mark)
			fail_msg("case %zu: next %" PRIu64 " la %" PRIu64 " open %u: mark %" PRIu64
				 ", want %" PRIu64, i, cases[i].next, cases[i].la, cases[i].open, m,
				 cases[i].mark);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		RT_TEST_WIRING(test_window16_chain),
		RT_TEST_WIRING(test_heap_of_consumed_tasks),
		RT_TEST_WIRING(test_heap_limited_chain),
		RT_TEST_WIRING(test_scope_deadlock),
		RT_TEST_WIRING(test_ring_stall),
		RT_TEST_WIRING(test_edges_wait_for_pool),
		RT_TEST_WIRING(test_pool4_edge_waits),
		RT_TEST_WIRING(test_edge_at_scope_end),
		RT_TEST_WIRING(test_pool_stall),
		RT_TEST_WIRING(test_pool_never_fits),
		RT_TEST_WIRING(test_dep_pool_refill_batched),
		cmocka_unit_test(test_refill_mark),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
