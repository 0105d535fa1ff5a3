// SPDX-License-Identifier: MIT
/*
 * test_idle.c - waiting costs no CPU: a run whose kernels are slow (each
 * sleeps 10 ms on its core) keeps the process under 10% of one CPU, and an
 * idle runtime between runs under 2%.  These bound idling, not speed: a
 * scheduler, orchestrator or core worker that polls instead of sleeping
 * while the run waits would use ~100% of a CPU.
 */
#include <dirent.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "rt_test_util.h"

#define K_SLEEP_AIV	8	/* rt_k_mix after sleeping KERNEL_MS (AIV) */
#define KERNEL_MS	10
#define CHAIN_LEN	20
#define BATCH		40	/* independent tasks, one row each */
#define COLS		8

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)ru.ru_utime.tv_sec * 1000000u + (uint64_t)ru.ru_utime.tv_usec +
	       (uint64_t)ru.ru_stime.tv_sec * 1000000u + (uint64_t)ru.ru_stime.tv_usec;
}

static void sleep_us(uint64_t us)
{
	struct timespec ts = { (time_t)(us / 1000000u), (long)(us % 1000000u) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* A slow kernel: the core is busy for KERNEL_MS without using the CPU. */
static int k_sleep_mix(const struct pto_kernel_ctx *ctx)
{
	sleep_us(KERNEL_MS * 1000u);
	return rt_k_mix(ctx);
}

/*
 * Per-thread CPU of this process (utime + stime from /proc/self/task/N/stat),
 * printed when a bound fails so the report names the thread that spins.
 */
static void dump_thread_cpu(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	long tck = sysconf(_SC_CLK_TCK);

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[300], buf[1024], comm[64] = "?";
		unsigned long ut = 0, st = 0;
		const char *rp;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f)) {
			/* comm may hold spaces: fields 14/15 follow the last ')' */
			rp = strrchr(buf, ')');
			sscanf(buf, "%*d (%63[^)]", comm);
			if (rp)
				sscanf(rp + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
				       &ut, &st);
		}
		fclose(f);
		print_message("  thread %s (%s): user %lu ms sys %lu ms\n", e->d_name, comm,
			      ut * 1000 / (unsigned long)tck, st * 1000 / (unsigned long)tck);
	}
	closedir(d);
}

/*
 * A sanitizer makes every thread start, atomic and syscall several times
 * dearer (TSan: 35 ms for a 40-task batch on a loaded 2-vCPU machine, 14% of
 * one CPU), so its builds get 3x the bound: still far below the ~100% of a
 * thread that polls instead of sleeping, which is what these tests catch.
 */
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define SANITIZER_SLACK	3
#else
#define SANITIZER_SLACK	1
#endif

/* Fail, naming the threads, when @used_us exceeds @pct percent of @wall_us. */
static void assert_cpu_below(const char *what, uint64_t used_us, uint64_t wall_us, unsigned pct)
{
	pct *= SANITIZER_SLACK;
	print_message("%s: %llu us CPU over %llu us wall (%.1f%% of one CPU, bound %u%%)\n",
		      what, (unsigned long long)used_us, (unsigned long long)wall_us,
		      100.0 * (double)used_us / (double)wall_us, pct);
	if (used_us * 100 >= wall_us * pct) {
		dump_thread_cpu();
		fail_msg("%s used %.1f%% of one CPU (bound %u%%)", what,
			 100.0 * (double)used_us / (double)wall_us, pct);
	}
}

struct slow_arg {
	uint64_t buf;		/* BATCH x COLS uint32 */
	int chain;		/* 1: one INOUT chain on row 0; 0: one task per row */
};

static int orch_slow(struct pto_runtime *rt, void *p)
{
	struct slow_arg *sa = p;
	uint32_t shape[2] = { BATCH, COLS }, row[2] = { 1, COLS };
	struct pto_tensor whole;
	uint32_t n = sa->chain ? CHAIN_LEN : BATCH;

	assert_int_equal(pto_tensor_external(&whole, sa->buf, PTO2_DTYPE_I32, 2, shape), 0);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t off[2] = { sa->chain ? 0 : i, 0 };
		struct pto_tensor t;
		struct pto_args args;
		int64_t id;

		assert_int_equal(pto_tensor_view(&t, &whole, row, off), 0);
		pto_args_init(&args);
		pto_arg_inout(&args, &t);
		pto_arg_scalar(&args, 2);	/* lane mask: AIV0 */
		pto_arg_scalar(&args, i);
		pto_arg_scalar(&args, 0);
		id = pto_submit_aiv(rt, K_SLEEP_AIV, &args);
		if (id < 0)
			return (int)id;
	}
	return 0;
}

/* Row r of the buffer after the run (seeded by rt_buf(.., 9)). */
static void expect_rows(struct pto_device *dev, uint64_t buf, int chain)
{
	uint32_t *h = pto_mem_map(dev, buf, BATCH * COLS * 4);

	for (uint32_t r = 0; r < BATCH; r++) {
		for (uint32_t c = 0; c < COLS; c++) {
			uint32_t e = r * COLS + c, v = 9 * 1000003u + e * 7u;

			if (chain && r == 0) {
				for (uint32_t i = 0; i < CHAIN_LEN; i++)
					v = v * 3 + i;
			} else if (!chain) {
				v = v * 3 + r;
			}
			assert_int_equal(h[e], v);
		}
	}
}

static void run_slow(struct pto_runtime *rt, struct pto_device *dev, int chain, const char *what)
{
	struct slow_arg sa = { .chain = chain };
	uint64_t c0, c1, t0, t1;

	sa.buf = rt_buf(dev, BATCH * COLS, 9);
	t0 = now_us();
	c0 = cpu_us();
	assert_int_equal(pto_run(rt, orch_slow, &sa), 0);
	c1 = cpu_us();
	t1 = now_us();
	expect_rows(dev, sa.buf, chain);
	assert_int_equal(pto_mem_free(dev, sa.buf), 0);
	assert_cpu_below(what, c1 - c0, t1 - t0, 10);
}

static void setup_rt(struct pto_device **dev, struct pto_runtime **rt, void **state)
{
	struct pto_runtime_config cfg;

	*dev = rt_open_dev(2);
	rt_test_config(&cfg, 64);
	cfg.wiring = rt_test_wiring(state);
	assert_int_equal(pto_runtime_create(*dev, &cfg, rt), 0);
	rt_register_all(*rt);
	assert_int_equal(pto_register_kernel(*rt, K_SLEEP_AIV, PTO2_CORE_AIV, k_sleep_mix,
					     "sleep_aiv"), 0);
}

/* A chain of slow tasks: the run is one long wait for the current task. */
static void test_slow_chain_is_idle(void **state)
{
	struct pto_device *dev;
	struct pto_runtime *rt;

	setup_rt(&dev, &rt, state);
	run_slow(rt, dev, 1, "chain of 20 x 10 ms AIV tasks");
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

/* Independent slow tasks: every AIV core busy, the schedulers wait for FINs. */
static void test_slow_batch_is_idle(void **state)
{
	struct pto_device *dev;
	struct pto_runtime *rt;

	setup_rt(&dev, &rt, state);
	run_slow(rt, dev, 0, "batch of 40 independent 10 ms AIV tasks");
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

/* Between runs nothing of libpto or the device runs: measured from the end of a run. */
static void test_idle_runtime_between_runs(void **state)
{
	struct pto_device *dev;
	struct pto_runtime *rt;
	struct slow_arg sa = { .chain = 1 };
	uint64_t c0, c1, t0, t1;

	setup_rt(&dev, &rt, state);
	sa.buf = rt_buf(dev, BATCH * COLS, 9);
	assert_int_equal(pto_run(rt, orch_slow, &sa), 0);
	t0 = now_us();
	c0 = cpu_us();
	sleep_us(1000000);
	c1 = cpu_us();
	t1 = now_us();
	assert_cpu_below("idle runtime for 1 s after a run", c1 - c0, t1 - t0, 2);
	/* and it still runs afterwards */
	expect_rows(dev, sa.buf, 1);
	assert_int_equal(pto_mem_free(dev, sa.buf), 0);
	run_slow(rt, dev, 0, "batch after the idle second");
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		RT_TEST_WIRING(test_slow_chain_is_idle),
		RT_TEST_WIRING(test_slow_batch_is_idle),
		RT_TEST_WIRING(test_idle_runtime_between_runs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
