// SPDX-License-Identifier: MIT
/*
 * test_stall.c - the drain backstop (libpto/sched/stall.c): after the
 * orchestration function returned, a graph that can never finish fails
 * with PTO_E_RUN_STALL naming the stuck tasks, and the runtime runs again;
 * a kernel still running is not a stall, and a hung core is still a hang.
 *
 * The stuck graph is a two-task cycle.  The public path to one (an edge
 * from a later task of an inner scope's ring to an earlier task of the
 * outer ring, issue 12 point 1) is being closed by the order check, so the
 * test adds the back edge itself, exactly as pto_add_dependency() links
 * one, without the order check.
 */
#include <unistd.h>

#include "rt_test_util.h"

#include "libpto/core/run.h"

#define K_SLEEP		10	/* AIV: sleeps scalar 0 milliseconds */

static int k_sleep(const struct pto_kernel_ctx *ctx)
{
	usleep((useconds_t)pto_kernel_scalar(ctx, 0) * 1000);
	return 0;
}

/* Make @consumer wait for @producer (both unpublished tasks of the open scope). */
static void force_edge(struct pto_runtime *rt, int64_t producer, int64_t consumer)
{
	static struct pto_dep_node fin, fout;
	struct pto_task *c = pto__task_slot(rt, consumer), *p = pto__task_slot(rt, producer);

	assert_non_null(c);
	assert_non_null(p);
	assert_false(c->published);
	__atomic_add_fetch(&c->fanin_count, 1, __ATOMIC_RELAXED);
	pto__task_lock(p);
	p->fanout_count++;
	fin.consumer = p;
	fin.next = c->extra_fanin;
	c->extra_fanin = &fin;
	fout.consumer = c;
	fout.next = p->fanout_head;
	p->fanout_head = &fout;
	pto__task_unlock(p);
}

struct cycle_arg {
	int64_t a, b;
	int dep_ret;
};

/* A and B in an inner scope; B after A (public), A after B (forced): a cycle. */
static int orch_cycle(struct pto_runtime *rt, void *p)
{
	struct cycle_arg *ca = p;
	struct pto_args args;

	assert_int_equal(pto_scope_begin(rt, PTO_SCOPE_AUTO), 0);
	pto_args_init(&args);
	ca->a = pto_submit_aiv(rt, K_NOP_AIV, &args);
	pto_args_init(&args);
	ca->b = pto_submit_aiv(rt, K_NOP_AIV, &args);
	assert_true(ca->a >= 0 && ca->b >= 0);
	ca->dep_ret = pto_add_dependency(rt, ca->a, ca->b);
	force_edge(rt, ca->b, ca->a);
	assert_int_equal(pto_scope_end(rt), 0);
	return 0;
}

static int orch_sleepy(struct pto_runtime *rt, void *p)
{
	struct pto_args args;
	uint32_t *ms = p;

	pto_args_init(&args);
	pto_arg_scalar(&args, *ms);
	return pto_submit_aiv(rt, K_SLEEP, &args) < 0 ? -EIO : 0;
}

static struct pto_runtime *make_rt(struct pto_device *dev, void **state, uint32_t stall_ms,
				   uint32_t core_ms)
{
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;

	rt_test_config(&cfg, 16);
	cfg.wiring = rt_test_wiring(state);
	cfg.dep_mode = PTO_DEPS_EXPLICIT;
	cfg.stall_timeout_ms = stall_ms;
	cfg.core_timeout_ms = core_ms;
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	rt_register_all(rt);
	assert_int_equal(pto_register_kernel(rt, K_SLEEP, PTO2_CORE_AIV, k_sleep, "sleep"), 0);
	return rt;
}

static void test_cycle_stalls(void **state)
{
	struct pto_device *dev = rt_open_dev(1);
	struct pto_runtime *rt = make_rt(dev, state, 300, 60000);
	struct cycle_arg ca = { 0 };
	uint32_t ms = 1;
	char want[128];

	assert_int_equal(pto_run(rt, orch_cycle, &ca), PTO_E_RUN_STALL);
	print_message("%s\n", pto_last_error());
	assert_int_equal(ca.dep_ret, 0);
	assert_non_null(strstr(pto_last_error(), "no task completed for 300 ms after the "
			       "orchestration function returned"));
	assert_non_null(strstr(pto_last_error(), "2 of 2 tasks unfinished"));
	assert_non_null(strstr(pto_last_error(), "ring 1 2/16 slots live"));
	/* each names the other: fanin 1 of 2 (its producer + the publish count) */
	snprintf(want, sizeof(want), "task %lld ('nop_aiv', fanin 1/2) waits on %lld",
		 (long long)ca.a, (long long)ca.b);
	assert_non_null(strstr(pto_last_error(), want));
	snprintf(want, sizeof(want), "task %lld ('nop_aiv', fanin 1/2) waits on %lld",
		 (long long)ca.b, (long long)ca.a);
	assert_non_null(strstr(pto_last_error(), want));
	/* the same runtime runs again, and a new one can be created */
	assert_int_equal(pto_run(rt, orch_sleepy, &ms), 0);
	pto_runtime_destroy(rt);
	rt = make_rt(dev, state, 300, 60000);
	assert_int_equal(pto_run(rt, orch_sleepy, &ms), 0);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

/* A kernel running past the stall timeout after the orchestrator returned is progress. */
static void test_running_kernel_is_not_a_stall(void **state)
{
	struct pto_device *dev = rt_open_dev(1);
	struct pto_runtime *rt = make_rt(dev, state, 100, 60000);
	uint32_t ms = 700;

	assert_int_equal(pto_run(rt, orch_sleepy, &ms), 0);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

/* A hung core after the orchestrator returned stays a hang, not a stall. */
static void test_hang_is_not_a_stall(void **state)
{
	struct pto_device *dev = NULL;
	struct pto_runtime *rt;
	uint32_t ms = 1;

	/* one cluster: both AIV cores (1, 2) hang on their first dispatch */
	assert_int_equal(pto_device_open("mock:clusters=1,mem=256M,workers=2,"
					 "fault=hang@core1,fault=hang@core2", &dev), 0);
	rt = make_rt(dev, state, 100, 500);
	assert_int_equal(pto_run(rt, orch_sleepy, &ms), PTO_E_CORE_HANG);
	assert_non_null(strstr(pto_last_error(), "did not finish task"));
	/* a hang fault fires once: the cores serve the next run */
	assert_int_equal(pto_run(rt, orch_sleepy, &ms), 0);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		RT_TEST_WIRING(test_cycle_stalls),
		RT_TEST_WIRING(test_running_kernel_is_not_a_stall),
		RT_TEST_WIRING(test_hang_is_not_a_stall),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
