// SPDX-License-Identifier: MIT
/*
 * test_emulation.c - who runs an emulated core (docs/runtime.md, "Emulating
 * the cores"): a kernel seen to be short runs on the runtime's own threads
 * (the scheduler that dispatched it, or an orchestrator that waits), a long
 * or not yet measured one on the device's core workers, both in the same
 * run; a draining orchestrator is woken to run kernels beside the
 * scheduler; one stretched run does not send a short kernel to the workers;
 * PTO_RT_WORKER_CORES keeps every core on the workers; the fault knobs
 * and hang detection act on inline dispatches too; the runtime's CPU stats
 * are filled in; and an idle runtime still uses no CPU after inline runs.
 * Each kernel records the name of the thread that ran it.
 */
#include <pthread.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "rt_test_util.h"

#define K_WHO		8	/* AIV: records its thread's kind, then sleeps scalar 1 us */
#define K_WHO_LONG	9	/* the same function under another id: the long tasks' */
#define MAX_TASKS	1024

enum who { WHO_NONE = 0, WHO_WORKER, WHO_SCHED, WHO_OTHER };

/* Written by the kernels, read after pto_run() (which orders them). */
static uint8_t who[MAX_TASKS];

static int k_who(const struct pto_kernel_ctx *ctx)
{
	uint64_t i = pto_kernel_scalar(ctx, 0), us = pto_kernel_scalar(ctx, 1);
	char name[16] = "";

	pthread_getname_np(pthread_self(), name, sizeof(name));
	if (i < MAX_TASKS)
		__atomic_store_n(&who[i], !strncmp(name, "pto-core-", 9) ? WHO_WORKER :
					  !strncmp(name, "pto-sched-", 10) ? WHO_SCHED : WHO_OTHER,
				 __ATOMIC_RELAXED);
	if (us)
		usleep((useconds_t)us);
	return 0;
}

struct batch {
	uint32_t n;
	uint32_t long_every;	/* every long_every-th task sleeps long_us (0 = none) */
	uint32_t long_us;
};

/* @n independent tasks, each with nothing but its index and sleep as scalars. */
static int orch_batch(struct pto_runtime *rt, void *p)
{
	const struct batch *b = p;
	struct pto_launch l = { PTO_NO_KERNEL, K_WHO, PTO_NO_KERNEL, 1, 0 };
	struct pto_launch ll = { PTO_NO_KERNEL, K_WHO_LONG, PTO_NO_KERNEL, 1, 0 };

	for (uint32_t i = 0; i < b->n; i++) {
		struct pto_args args;
		int64_t id;

		/*
		 * Scopes of 64 in a 256-slot window: the orchestrator meets
		 * back-pressure.  A failed run (the fault tests) makes these
		 * return the run's error: hand it back.
		 */
		if (i % 64 == 0) {
			int rc = i ? pto_scope_end(rt) : 0;

			if (!rc)
				rc = pto_scope_begin(rt, PTO_SCOPE_AUTO);
			if (rc)
				return rc;
		}
		pto_args_init(&args);
		pto_arg_scalar(&args, i);
		if (b->long_every && i % b->long_every == 0) {
			pto_arg_scalar(&args, b->long_us);
			id = pto_submit(rt, &ll, &args);
		} else {
			pto_arg_scalar(&args, 0);
			id = pto_submit(rt, &l, &args);
		}
		if (id < 0)
			return (int)id;	/* the run's error, not the open scope */
	}
	return b->n ? pto_scope_end(rt) : 0;
}

static struct pto_runtime *make_rt(struct pto_device *dev, uint32_t flags, uint32_t core_ms)
{
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;

	rt_test_config(&cfg, 256);
	cfg.flags |= flags;
	cfg.core_timeout_ms = core_ms;
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	assert_int_equal(pto_register_kernel(rt, K_WHO, PTO2_CORE_AIV, k_who, "who"), 0);
	assert_int_equal(pto_register_kernel(rt, K_WHO_LONG, PTO2_CORE_AIV, k_who, "who_long"), 0);
	return rt;
}

/* Run @b; count who ran the tasks that are (@want_long) or are not long. */
static void run_count(struct pto_runtime *rt, struct batch *b, bool want_long, uint32_t cnt[4])
{
	memset(who, 0, sizeof(who));
	memset(cnt, 0, 4 * sizeof(*cnt));
	if (pto_run(rt, orch_batch, b))
		fail_msg("%s", pto_last_error());
	for (uint32_t i = 0; i < b->n; i++) {
		bool is_long = b->long_every && i % b->long_every == 0;

		if (is_long == want_long)
			cnt[__atomic_load_n(&who[i], __ATOMIC_RELAXED)]++;
	}
	assert_int_equal(cnt[WHO_NONE], 0);	/* every task ran */
}

/*
 * Short tasks, once the kernel was measured (a first run), run on the
 * runtime's threads; with PTO_RT_WORKER_CORES every one on a worker.
 */
static void test_short_kernels_run_inline(void **state)
{
	struct pto_device *dev = rt_open_spec("mock:clusters=4,workers=2");
	struct pto_runtime *rt = make_rt(dev, 0, 3000);
	struct batch b = { 600, 0, 0 };
	struct pto_run_stats st;
	uint32_t cnt[4];

	(void)state;
	run_count(rt, &b, false, cnt);	/* measures the kernel */
	run_count(rt, &b, false, cnt);
	print_message("inline: %u on workers, %u on schedulers, %u on the orchestrator\n",
		      cnt[WHO_WORKER], cnt[WHO_SCHED], cnt[WHO_OTHER]);
	/*
	 * Most inline (natively all): a run that a preemption stretched past
	 * 1 ms sends the kernel to the workers for a while, which a loaded or
	 * sanitized run does see.
	 */
	assert_true(cnt[WHO_WORKER] * 4 <= b.n);
	assert_true(cnt[WHO_SCHED] > 0);
	assert_int_equal(pto_run_stats(rt, &st), 0);
	assert_true(st.emulated_ns > 0);
	/* (sched_cpu_ns may round to 0 here: emulated time is wall time) */
	assert_true(st.orch_cpu_ns > 0);
	pto_runtime_destroy(rt);

	rt = make_rt(dev, PTO_RT_WORKER_CORES, 3000);
	run_count(rt, &b, false, cnt);
	run_count(rt, &b, false, cnt);
	assert_int_equal(cnt[WHO_WORKER], b.n);
	assert_int_equal(pto_run_stats(rt, &st), 0);
	assert_int_equal(st.emulated_ns, 0);
	assert_true(st.sched_cpu_ns > 0);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

/*
 * One run, both kinds: every long task (3 ms, over the 1 ms inline bound,
 * a kernel id of its own) on a worker, the short ones inline around them.
 * The long kernel's first run goes to a worker (unknown length), and the
 * "long" kernel measured short in the warm-up comes back to the workers.
 */
static void test_long_kernels_stay_on_workers(void **state)
{
	struct pto_device *dev = rt_open_spec("mock:clusters=4,workers=2");
	struct pto_runtime *rt = make_rt(dev, 0, 3000);
	struct batch warm = { 200, 10, 0 }, b = { 400, 10, 3000 };
	uint32_t cnt[4];

	(void)state;
	run_count(rt, &warm, true, cnt);	/* the "long" kernel, measured short */
	/* the first long ones may run inline (the kernel was short so far); then it is known */
	run_count(rt, &b, true, cnt);
	print_message("first mixed run: %u of %u long tasks on workers\n", cnt[WHO_WORKER],
		      b.n / b.long_every);
	/* it rises by a quarter of each long run: two or three, more under a sanitizer */
	assert_true(cnt[WHO_WORKER] * 4 >= 3 * (b.n / b.long_every));
	run_count(rt, &b, true, cnt);
	assert_int_equal(cnt[WHO_WORKER], b.n / b.long_every);
	run_count(rt, &b, false, cnt);
	print_message("mixed run: short tasks %u on workers, %u inline\n", cnt[WHO_WORKER],
		      cnt[WHO_SCHED] + cnt[WHO_OTHER]);
	assert_true(cnt[WHO_SCHED] + cnt[WHO_OTHER] > 0);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

/*
 * A kernel of 500 us measured inline, then one run of it stretched to 5 ms
 * (a preemption, here a longer sleep): the next runs stay inline.  The
 * estimate takes the median of the last three runs; folding the 5 ms run
 * in alone moved it to 1.6 ms, past the 1 ms inline bound, and all of the
 * next batch went to the workers.
 */
static void test_one_stretched_run_moves_nothing(void **state)
{
	struct pto_device *dev = rt_open_spec("mock:clusters=4,workers=2");
	struct pto_runtime *rt = make_rt(dev, 0, 3000);
	struct batch warm = { 20, 1, 500 }, outlier = { 1, 1, 5000 }, b = { 20, 1, 500 };
	uint32_t cnt[4], best = b.n;

	(void)state;
	/*
	 * Up to three tries: a loaded machine (a parallel make check) may
	 * stretch runs of the batch itself.  The old estimate sent every one
	 * of them to the workers, on every try (1.6 ms > 1 ms: arithmetic).
	 */
	for (int attempt = 0; attempt < 3 && best * 4 > b.n; attempt++) {
		/* measured: 500 us, inline (a preempted warm-up run may take a few) */
		for (int i = 0; i < 10; i++) {
			run_count(rt, &warm, true, cnt);
			if (i >= 2 && !cnt[WHO_WORKER])
				break;
		}
		assert_int_equal(cnt[WHO_WORKER], 0);
		run_count(rt, &outlier, true, cnt);
		run_count(rt, &b, true, cnt);
		print_message("after one 5 ms run of a 500 us kernel: %u of %u on workers\n",
			      cnt[WHO_WORKER], b.n);
		if (cnt[WHO_WORKER] < best)
			best = cnt[WHO_WORKER];
	}
	/* natively none */
	assert_true(best * 4 <= b.n);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

/*
 * Kernels of 300 us, all submitted at once to a runtime that has not seen
 * the kernel: the first ones run on workers (length unknown) while the
 * orchestrator, done and draining, waits; once the kernel is known short
 * the scheduler queues lists it cannot get through alone and wakes the
 * orchestrator, which runs a share of them (at least 10%), not none.
 */
static void test_orchestrator_helps_at_large_grain(void **state)
{
	struct pto_device *dev = rt_open_spec("mock:clusters=4,workers=2");
	struct pto_runtime *rt = make_rt(dev, 0, 3000);
	struct batch b = { 200, 1, 300 };
	uint32_t cnt[4];

	(void)state;
	run_count(rt, &b, true, cnt);
	print_message("300 us kernels: %u on workers, %u on schedulers, %u on the orchestrator\n",
		      cnt[WHO_WORKER], cnt[WHO_SCHED], cnt[WHO_OTHER]);
	assert_true(cnt[WHO_OTHER] * 10 >= b.n);	/* before: none, once the drain gave up */
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

/*
 * The fault knobs on dispatches that run inline (after the warm-up's 300
 * dispatches the kernel is known short): FAIL names the task, HANG is
 * caught by the scheduler's deadline, SLOW (handed to the worker) delays
 * the run but loses nothing.
 */
static void test_faults_inline(void **state)
{
	struct batch warm = { 300, 0, 0 }, b = { 100, 0, 0 };
	struct pto_device *dev;
	struct pto_runtime *rt;
	uint32_t cnt[4];
	uint64_t t0, t1;
	struct timespec ts;

	(void)state;
	dev = rt_open_spec("mock:clusters=2,workers=2,fault=fail@kernel8:after=320:status=9");
	rt = make_rt(dev, 0, 3000);
	run_count(rt, &warm, false, cnt);
	assert_true(cnt[WHO_SCHED] + cnt[WHO_OTHER] > 0);
	assert_int_equal(pto_run(rt, orch_batch, &b), PTO_E_KERNEL_FAILED);
	assert_non_null(strstr(pto_last_error(), "kernel 'who' (id 8) returned -9"));
	/* the rule fired once: the same runtime runs again */
	run_count(rt, &b, false, cnt);
	pto_runtime_destroy(rt);
	pto_device_close(dev);

	dev = rt_open_spec("mock:clusters=2,workers=2,fault=hang@kernel8:after=320:count=1");
	rt = make_rt(dev, 0, 300);
	run_count(rt, &warm, false, cnt);
	assert_int_equal(pto_run(rt, orch_batch, &b), PTO_E_CORE_HANG);
	assert_non_null(strstr(pto_last_error(), "(kernel 'who', block 0) within 300 ms"));
	run_count(rt, &b, false, cnt);
	pto_runtime_destroy(rt);
	pto_device_close(dev);

	dev = rt_open_spec("mock:clusters=2,workers=2,fault=slow@kernel8:us=200000:after=320:count=1");
	rt = make_rt(dev, 0, 3000);
	run_count(rt, &warm, false, cnt);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	run_count(rt, &b, false, cnt);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t1 = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	/* not a timing claim: the delayed dispatch must not have been skipped */
	assert_true(t1 - t0 >= 200000000ull);
	assert_true(cnt[WHO_WORKER] >= 1);	/* the slow one ended on its worker */
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

static uint64_t cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)ru.ru_utime.tv_sec * 1000000u + (uint64_t)ru.ru_utime.tv_usec +
	       (uint64_t)ru.ru_stime.tv_sec * 1000000u + (uint64_t)ru.ru_stime.tv_usec;
}

/* After inline runs nothing keeps spinning: 1 s idle costs well under 2% of a CPU. */
static void test_idle_after_inline_runs(void **state)
{
	struct pto_device *dev = rt_open_spec("mock:clusters=4,workers=2");
	struct pto_runtime *rt = make_rt(dev, 0, 3000);
	struct batch b = { 600, 0, 0 };
	uint32_t cnt[4];
	uint64_t c0, c1, least = UINT64_MAX;

	(void)state;
	run_count(rt, &b, false, cnt);
	run_count(rt, &b, false, cnt);
	usleep(100000);	/* the workers' spin budget ends */
	/*
	 * The quietest of three 400 ms windows: a thread left spinning burns
	 * in every one, while a single stray burst on a loaded machine (once
	 * 28 ms in a whole second under ASan) does not fail the test.
	 */
	for (int w = 0; w < 3; w++) {
		c0 = cpu_us();
		usleep(400000);
		c1 = cpu_us();
		print_message("idle window %d after inline runs: %llu us CPU\n", w,
			      (unsigned long long)(c1 - c0));
		if (c1 - c0 < least)
			least = c1 - c0;
	}
	assert_true(least < 8000);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short_kernels_run_inline),
		cmocka_unit_test(test_long_kernels_stay_on_workers),
		cmocka_unit_test(test_one_stretched_run_moves_nothing),
		cmocka_unit_test(test_orchestrator_helps_at_large_grain),
		cmocka_unit_test(test_faults_inline),
		cmocka_unit_test(test_idle_after_inline_runs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
