// SPDX-License-Identifier: MIT
/*
 * test_sim.c - the core emulator: idle cost, wake-up of sleeping workers,
 * the bounded worker pool, fault knobs (HANG, SLOW, FAIL), the on_fin callback,
 * engine argument checks, and a many-dispatch stress for the sanitizers.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "runtime/executor.h"
#include "sim/sim.h"
#include "sim_test_util.h"

#define K_ADD		1	/* *(u64 *)(gm + scalar0) += scalar1 (atomic) */
#define K_NOP		2

static int k_add(const struct pto_kernel_ctx *ctx)
{
	uint64_t *p = (uint64_t *)(ctx->gm + pto_kernel_scalar(ctx, 0));

	/* several cores add to one word */
	__atomic_fetch_add(p, pto_kernel_scalar(ctx, 1), __ATOMIC_RELAXED);
	return 0;
}

static int k_nop(const struct pto_kernel_ctx *ctx)
{
	(void)ctx;
	return 0;
}

static void sleep_ms(unsigned ms)
{
	usleep(ms * 1000u);
}

static uint64_t cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)ru.ru_utime.tv_sec * 1000000u + (uint64_t)ru.ru_utime.tv_usec +
	       (uint64_t)ru.ru_stime.tv_sec * 1000000u + (uint64_t)ru.ru_stime.tv_usec;
}

static int count_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/*
 * The thread count once it is @want, or what it still is after 2 s: a
 * joined thread can stay listed in /proc/self/task for a moment after
 * pthread_join() returned (the kernel wakes the joiner before it reaps the
 * task), and a sanitizer runs a background thread of its own.
 */
static int wait_threads(int want)
{
	int n = count_threads();

	for (int i = 0; i < 200 && n != want; i++) {
		sleep_ms(10);
		n = count_threads();
	}
	return n;
}

/* The thread count once it held still for 50 ms (a previous test's threads gone). */
static int settled_threads(void)
{
	int n = count_threads(), prev = -1;

	for (int i = 0; i < 40 && n != prev; i++) {
		prev = n;
		sleep_ms(50);
		n = count_threads();
	}
	return n;
}

/*
 * An idle 24-cluster device costs no CPU: measured over 1 s after a settle,
 * the whole process used < 2% of one CPU.  This is a bound on idling, not a
 * speed assertion: a worker that polls instead of sleeping uses ~100%.
 */
static void test_idle_device_uses_no_cpu(void **state)
{
	struct pto_device *dev;
	uint64_t before, after, used;
	uint32_t id = PTO2_DISPATCH_ID(0);

	(void)state;
	assert_int_equal(pto_device_open("mock:clusters=24", &dev), 0);
	pto__device_set_kernel(dev, K_NOP, k_nop);
	sleep_ms(200);	/* settle: workers finish their spin budget and sleep */
	before = cpu_us();
	sleep_ms(1000);
	after = cpu_us();
	used = after - before;
	print_message("idle 24-cluster mock device: %llu us CPU in 1 s\n",
		      (unsigned long long)used);
	assert_true(used < 20000);
	/* a sleeping worker still picks up a dispatch (kick wakes it) */
	for (uint32_t core = 0; core < 72; core += 23) {
		test_dispatch(dev, core, id, K_NOP, NULL, 0);
		assert_true(test_wait_cond(dev, core, PTO2_COND(1, id)));
	}
	/* and after sleeping again */
	sleep_ms(50);
	test_dispatch(dev, 71, PTO2_DISPATCH_ID(1), K_NOP, NULL, 0);
	assert_true(test_wait_cond(dev, 71, PTO2_COND(1, PTO2_DISPATCH_ID(1))));
	pto_device_close(dev);
}

static void test_worker_pool_is_bounded(void **state)
{
	struct pto_device *dev;
	struct pto_device_info info;
	int base = settled_threads();

	(void)state;
	assert_true(base > 0);
	assert_int_equal(pto_device_open("mock:clusters=24,workers=3", &dev), 0);
	assert_int_equal(pto_device_get_info(dev, &info), 0);
	assert_int_equal(info.num_workers, 3);
	assert_int_equal(wait_threads(base + 3), base + 3);
	pto_device_close(dev);
	assert_int_equal(wait_threads(base), base);
	assert_int_equal(pto_device_open("mock:clusters=1,workers=64", &dev), 0);
	assert_int_equal(wait_threads(base + 3), base + 3);	/* one worker per core at most */
	pto_device_close(dev);
}

static void test_fault_hang(void **state)
{
	struct pto_device *dev;
	struct pto_sim *sim;
	uint32_t id0 = PTO2_DISPATCH_ID(0), id1 = PTO2_DISPATCH_ID(1);

	(void)state;
	assert_int_equal(pto_device_open("mock:clusters=2,workers=2,mem=2M", &dev), 0);
	sim = pto__device_sim(dev);
	assert_non_null(sim);
	pto__device_set_kernel(dev, K_NOP, k_nop);
	assert_int_equal(pto_sim_set_fault(sim, 3, PTO_SIM_FAULT_HANG, 0), 0);
	test_dispatch(dev, 3, id0, K_NOP, NULL, 0);
	assert_true(test_wait_cond(dev, 3, PTO2_COND(0, id0)));
	/* the FIN never comes: it would be there well within 300 ms otherwise */
	assert_false(test_wait_cond_for(dev, 3, PTO2_COND(1, id0), 300000000ull));
	assert_int_equal(reg_load_relaxed(&pto_device_regs(dev, 3)->exec_count), 0);
	/* a further dispatch is not latched by a hung core either */
	test_dispatch(dev, 3, id1, K_NOP, NULL, 0);
	assert_false(test_wait_cond_for(dev, 3, PTO2_COND(0, id1), 100000000ull));
	/* other cores are unaffected */
	test_dispatch(dev, 4, id0, K_NOP, NULL, 0);
	assert_true(test_wait_cond(dev, 4, PTO2_COND(1, id0)));
	/* EXIT is still honoured, and the core recovers for the next run */
	test_exit(dev, 3);
	assert_true(test_wait_cond(dev, 3, PTO2_COND_EXITED));
	test_dispatch(dev, 3, id0, K_NOP, NULL, 0);
	assert_true(test_wait_cond(dev, 3, PTO2_COND(1, id0)));
	pto_device_close(dev);
}

static void test_fault_slow(void **state)
{
	struct pto_device *dev;
	struct pto_sim *sim;
	struct pto2_core_regs *r;
	uint32_t id = PTO2_DISPATCH_ID(0);

	(void)state;
	assert_int_equal(pto_device_open("mock:clusters=1,workers=1,mem=2M", &dev), 0);
	sim = pto__device_sim(dev);
	r = pto_device_regs(dev, 2);
	pto__device_set_kernel(dev, K_NOP, k_nop);
	assert_int_equal(pto_sim_set_fault(sim, 2, PTO_SIM_FAULT_SLOW, 20000), 0);
	test_dispatch(dev, 2, id, K_NOP, NULL, 0);
	assert_true(test_wait_cond(dev, 2, PTO2_COND(1, id)));
	assert_int_equal(r->status[PTO2_PAYLOAD_SLOT(id)], 0);
	/* the sleep sits between ACK (start_ns) and the kernel's end: a lower bound */
	assert_true(r->end_ns[1] - r->start_ns[1] >= 20000000ull);
	/* cleared: still runs */
	assert_int_equal(pto_sim_set_fault(sim, 2, PTO_SIM_FAULT_NONE, 0), 0);
	id = PTO2_DISPATCH_ID(1);
	test_dispatch(dev, 2, id, K_NOP, NULL, 0);
	assert_true(test_wait_cond(dev, 2, PTO2_COND(1, id)));
	pto_device_close(dev);
}

/*
 * A slow core delays only itself: with one worker for all three cores, a
 * core slowed by 10 s must not hold up its neighbours (the hang guard
 * would expire first if it did).
 */
static void test_fault_slow_spares_neighbours(void **state)
{
	struct pto_device *dev;
	uint32_t id = PTO2_DISPATCH_ID(0);

	(void)state;
	assert_int_equal(pto_device_open("mock:clusters=1,workers=1,mem=2M", &dev), 0);
	pto__device_set_kernel(dev, K_NOP, k_nop);
	assert_int_equal(pto_sim_set_fault(pto__device_sim(dev), 0, PTO_SIM_FAULT_SLOW, 10000000), 0);
	test_dispatch(dev, 0, id, K_NOP, NULL, 0);
	assert_true(test_wait_cond(dev, 0, PTO2_COND(0, id)));
	for (uint32_t c = 1; c < 3; c++) {
		test_dispatch(dev, c, id, K_NOP, NULL, 0);
		assert_true(test_wait_cond_for(dev, c, PTO2_COND(1, id), 5000000000ull));
	}
	/* still running its delayed dispatch; closing does not wait for it */
	assert_int_equal(reg_load_acquire(&pto_device_regs(dev, 0)->cond), PTO2_COND(0, id));
	pto_device_close(dev);
}

static void test_fault_fail(void **state)
{
	struct pto_device *dev;
	struct pto_sim *sim;
	struct pto2_core_regs *r;
	uint64_t sum_addr, *sum;
	uint64_t s[2];

	(void)state;
	assert_int_equal(pto_device_open("mock:clusters=1,workers=1,mem=2M", &dev), 0);
	sim = pto__device_sim(dev);
	r = pto_device_regs(dev, 1);
	pto__device_set_kernel(dev, K_ADD, k_add);
	assert_int_equal(pto_mem_alloc(dev, 8, 0, &sum_addr), 0);
	sum = pto_mem_map(dev, sum_addr, 8);
	*sum = 0;
	s[0] = sum_addr;
	s[1] = 1;
	assert_int_equal(pto_sim_set_fault(sim, 1, PTO_SIM_FAULT_FAIL, 22), 0);
	test_dispatch(dev, 1, PTO2_DISPATCH_ID(0), K_ADD, s, 2);
	assert_true(test_wait_cond(dev, 1, PTO2_COND(1, PTO2_DISPATCH_ID(0))));
	assert_int_equal(r->status[1], -22);
	assert_int_equal(__atomic_load_n(sum, __ATOMIC_RELAXED), 0);	/* kernel not run */
	/* one-shot: the next dispatch runs */
	test_dispatch(dev, 1, PTO2_DISPATCH_ID(1), K_ADD, s, 2);
	assert_true(test_wait_cond(dev, 1, PTO2_COND(1, PTO2_DISPATCH_ID(1))));
	assert_int_equal(r->status[0], 0);
	assert_int_equal(__atomic_load_n(sum, __ATOMIC_RELAXED), 1);
	/* param 0 = -EIO; NONE disarms it before it fires */
	assert_int_equal(pto_sim_set_fault(sim, 1, PTO_SIM_FAULT_FAIL, 0), 0);
	test_dispatch(dev, 1, PTO2_DISPATCH_ID(2), K_ADD, s, 2);
	assert_true(test_wait_cond(dev, 1, PTO2_COND(1, PTO2_DISPATCH_ID(2))));
	assert_int_equal(r->status[1], -EIO);
	assert_int_equal(pto_sim_set_fault(sim, 1, PTO_SIM_FAULT_FAIL, 5), 0);
	assert_int_equal(pto_sim_set_fault(sim, 1, PTO_SIM_FAULT_NONE, 0), 0);
	test_dispatch(dev, 1, PTO2_DISPATCH_ID(3), K_ADD, s, 2);
	assert_true(test_wait_cond(dev, 1, PTO2_COND(1, PTO2_DISPATCH_ID(3))));
	assert_int_equal(r->status[0], 0);
	assert_int_equal(reg_load_relaxed(&r->exec_count), 4);
	pto_device_close(dev);
}

static void test_fault_bad_args(void **state)
{
	struct pto_device *dev;
	struct pto_sim *sim;

	(void)state;
	assert_int_equal(pto_device_open("mock:clusters=1,workers=1,mem=2M", &dev), 0);
	sim = pto__device_sim(dev);
	assert_int_equal(pto_sim_set_fault(sim, 3, PTO_SIM_FAULT_HANG, 0), -EINVAL);
	assert_int_equal(pto_sim_set_fault(sim, 0, PTO_SIM_FAULT_SLOW, 0), -EINVAL);
	assert_int_equal(pto_sim_set_fault(sim, 0, PTO_SIM_FAULT_SLOW, 20000000), -EINVAL);
	assert_int_equal(pto_sim_set_fault(sim, 0, PTO_SIM_FAULT_FAIL, 4096), -EINVAL);
	assert_int_equal(pto_sim_set_fault(sim, 0, (enum pto_sim_fault)7, 0), -EINVAL);
	assert_int_equal(pto_sim_set_fault(NULL, 0, PTO_SIM_FAULT_HANG, 0), -EINVAL);
	/* kicks of bad cores are ignored */
	pto_sim_kick(sim, 3);
	pto_sim_kick(sim, UINT32_MAX);
	pto_sim_kick(NULL, 0);
	pto_device_close(dev);
}

/* --- the engine on windows and memory it did not allocate --------------------- */

struct own_device {
	struct pto2_core_regs *win;
	struct pto2_core_regs *regs[PTO2_MAX_CORES];
	uint8_t *gm;
	pto_kernel_fn kernels[PTO2_MAX_KERNELS];
	uint32_t fins;
};

static void count_fin(void *arg)
{
	struct own_device *o = arg;

	__atomic_fetch_add(&o->fins, 1, __ATOMIC_RELAXED);
}

static void own_init(struct own_device *o, uint32_t nc)
{
	memset(o, 0, sizeof(*o));
	o->win = aligned_alloc(PTO2_REG_WINDOW_SIZE, (size_t)3 * nc * PTO2_REG_WINDOW_SIZE);
	memset(o->win, 0, (size_t)3 * nc * PTO2_REG_WINDOW_SIZE);
	o->gm = calloc(1, 1 << 16);
	for (uint32_t i = 0; i < 3 * nc; i++) {
		o->regs[i] = &o->win[i];
		o->regs[i]->data_main_base = PTO2_REG_IDLE;
		o->regs[i]->cond = PTO2_COND_IDLE;
		o->regs[i]->payload_addr = 4096 + i * 1024;
	}
	o->kernels[K_NOP] = k_nop;
}

/* Wait (sleeping on the completion counter) until @n on_fin calls happened. */
static bool wait_fins(struct pto_sim *sim, struct own_device *o, uint32_t n, uint64_t deadline)
{
	for (;;) {
		uint32_t key = pto_sim_completion_prepare(sim);
		bool got = __atomic_load_n(&o->fins, __ATOMIC_RELAXED) >= n;

		if (got || pto_now_ns() > deadline) {
			pto_sim_completion_cancel(sim);
			return got;
		}
		pto_sim_wait_completion(sim, key, pto_now_ns() + 1000000);
	}
}

static void test_engine_on_foreign_memory(void **state)
{
	struct own_device o;
	struct pto_sim *sim;
	struct pto_sim_config cfg;
	uint64_t deadline = pto_now_ns() + TEST_WAIT_NS;

	(void)state;
	own_init(&o, 2);
	cfg = (struct pto_sim_config) {
		.num_clusters = 2, .num_workers = 2, .regs = o.regs, .gm = o.gm,
		.gm_size = 1 << 16, .kernels = o.kernels, .on_fin = count_fin, .on_fin_arg = &o,
	};
	assert_int_equal(pto_sim_start(&cfg, &sim), 0);
	for (uint32_t c = 0; c < 6; c++) {
		reg_store_release(&o.regs[c]->data_main_base, PTO2_DISPATCH_ID(0));
		pto_sim_kick(sim, c);
	}
	assert_true(wait_fins(sim, &o, 6, deadline));
	for (uint32_t c = 0; c < 6; c++)
		assert_int_equal(reg_load_acquire(&o.regs[c]->cond), PTO2_COND(1, PTO2_DISPATCH_ID(0)));
	/* EXITED carries the FIN bit: it counts too */
	reg_store_release(&o.regs[0]->data_main_base, PTO2_REG_EXIT);
	pto_sim_kick(sim, 0);
	assert_true(wait_fins(sim, &o, 7, deadline));
	assert_int_equal(reg_load_acquire(&o.regs[0]->cond), PTO2_COND_EXITED);
	assert_int_equal(__atomic_load_n(&o.fins, __ATOMIC_RELAXED), 7);
	pto_sim_stop(sim);
	free(o.win);
	free(o.gm);
}

static void test_engine_bad_config(void **state)
{
	struct own_device o;
	struct pto_sim *sim = NULL;
	struct pto_sim_config cfg;

	(void)state;
	own_init(&o, 1);
	cfg = (struct pto_sim_config) {
		.num_clusters = 1, .num_workers = 1, .regs = o.regs, .gm = o.gm,
		.gm_size = 1 << 16, .kernels = o.kernels,
	};
	assert_int_equal(pto_sim_start(NULL, &sim), -EINVAL);
	assert_int_equal(pto_sim_start(&cfg, NULL), -EINVAL);
	cfg.num_workers = 0;
	assert_int_equal(pto_sim_start(&cfg, &sim), -EINVAL);
	cfg.num_workers = 4;	/* more than 3 cores */
	assert_int_equal(pto_sim_start(&cfg, &sim), -EINVAL);
	cfg.num_workers = 1;
	cfg.num_clusters = 0;
	assert_int_equal(pto_sim_start(&cfg, &sim), -EINVAL);
	cfg.num_clusters = PTO2_MAX_CLUSTERS + 1;
	assert_int_equal(pto_sim_start(&cfg, &sim), -EINVAL);
	cfg.num_clusters = 2;	/* regs[3..5] are NULL */
	assert_int_equal(pto_sim_start(&cfg, &sim), -EINVAL);
	cfg.num_clusters = 1;
	cfg.kernels = NULL;
	assert_int_equal(pto_sim_start(&cfg, &sim), -EINVAL);
	cfg.kernels = o.kernels;
	cfg.gm_size = 0;
	assert_int_equal(pto_sim_start(&cfg, &sim), -EINVAL);
	assert_null(sim);
	pto_sim_stop(NULL);
	free(o.win);
	free(o.gm);
}

/* --- many dispatches from two scheduler threads --------------------------------- */

struct driver {
	struct pto_device *dev;
	uint64_t sum_addr;
	uint32_t first, last;	/* cores [first, last) */
	uint32_t rounds;
	int failures;
};

static void *drive(void *arg)
{
	struct driver *d = arg;

	for (uint32_t n = 0; n < d->rounds; n++) {
		uint32_t id = PTO2_DISPATCH_ID(n);

		for (uint32_t c = d->first; c < d->last; c++) {
			uint64_t s[2] = { d->sum_addr, c + 1 };

			test_dispatch(d->dev, c, id, K_ADD, s, 2);
		}
		for (uint32_t c = d->first; c < d->last; c++)
			if (!test_wait_cond(d->dev, c, PTO2_COND(1, id)))
				d->failures++;
	}
	return NULL;
}

static void test_stress_two_schedulers(void **state)
{
	struct pto_device *dev;
	struct driver d[2];
	pthread_t t[2];
	uint64_t sum_addr, *sum, want = 0;

	(void)state;
	assert_int_equal(pto_device_open("mock:clusters=4,workers=2,mem=2M", &dev), 0);
	pto__device_set_kernel(dev, K_ADD, k_add);
	assert_int_equal(pto_mem_alloc(dev, 8, 0, &sum_addr), 0);
	sum = pto_mem_map(dev, sum_addr, 8);
	*sum = 0;
	for (int i = 0; i < 2; i++) {
		d[i] = (struct driver) { dev, sum_addr, i * 6u, i * 6u + 6, 300, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, drive, &d[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(d[0].failures + d[1].failures, 0);
	for (uint32_t c = 0; c < 12; c++) {
		want += 300ull * (c + 1);
		assert_int_equal(reg_load_relaxed(&pto_device_regs(dev, c)->exec_count), 300);
	}
	assert_int_equal(__atomic_load_n(sum, __ATOMIC_RELAXED), want);
	pto_device_close(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_device_uses_no_cpu),
		cmocka_unit_test(test_worker_pool_is_bounded),
		cmocka_unit_test(test_fault_hang),
		cmocka_unit_test(test_fault_slow),
		cmocka_unit_test(test_fault_slow_spares_neighbours),
		cmocka_unit_test(test_fault_fail),
		cmocka_unit_test(test_fault_bad_args),
		cmocka_unit_test(test_engine_on_foreign_memory),
		cmocka_unit_test(test_engine_bad_config),
		cmocka_unit_test(test_stress_two_schedulers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
