// SPDX-License-Identifier: MIT
/*
 * test_multidev.c - several devices in one process: enumeration, mock
 * names, and two runtimes (one per mock device) running at the same time,
 * each correct, with the gate dividing the CPUs between them.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "libpto/device/enumerate.h"
#include "libpto/core/run.h"
#include "pto/pto.h"

#define K_ADD		7
#define N_ELEMS		1024
#define CHAIN		200

/* out[i] = out[i] + c (uint32) */
static int k_add(const struct pto_kernel_ctx *ctx)
{
	uint32_t *o = pto_kernel_data(ctx, 0);
	uint32_t c = (uint32_t)pto_kernel_scalar(ctx, 0);

	for (uint32_t i = 0; i < N_ELEMS; i++)
		o[i] += c;
	return 0;
}

struct job {
	const char *spec;
	uint32_t c;
	struct pto_device *dev;
	struct pto_runtime *rt;
	uint64_t addr;
	struct pto_tensor t;
	int rc;
};

static int chain_orch(struct pto_runtime *rt, void *arg)
{
	struct job *j = arg;
	struct pto_args a;

	for (int i = 0; i < CHAIN; i++) {
		pto_args_init(&a);
		pto_arg_inout(&a, &j->t);
		pto_arg_scalar(&a, j->c);
		if (pto_submit_aiv(rt, K_ADD, &a) < 0)
			return -1;
	}
	return 0;
}

static void *run_job(void *arg)
{
	struct job *j = arg;

	j->rc = pto_run(j->rt, chain_orch, j);
	return NULL;
}

static void job_open(struct job *j)
{
	struct pto_runtime_config cfg;
	uint32_t shape[1] = { N_ELEMS };

	assert_int_equal(pto_device_open(j->spec, &j->dev), 0);
	assert_int_equal(pto_runtime_config_init(&cfg), 0);
	cfg.flags |= PTO_RT_QUIET;
	cfg.cpus = NULL;
	cfg.num_schedulers = 0;
	assert_int_equal(pto_runtime_create(j->dev, &cfg, &j->rt), 0);
	assert_int_equal(pto_register_kernel(j->rt, K_ADD, PTO2_CORE_AIV, k_add, "add"), 0);
	assert_int_equal(pto_mem_alloc(j->dev, N_ELEMS * 4, 0, &j->addr), 0);
	memset(pto_mem_map(j->dev, j->addr, N_ELEMS * 4), 0, N_ELEMS * 4);
	assert_int_equal(pto_tensor_external(&j->t, j->addr, PTO2_DTYPE_I32, 1, shape), 0);
}

static void job_check(struct job *j, uint32_t rounds)
{
	const uint32_t *v = pto_mem_map(j->dev, j->addr, N_ELEMS * 4);

	for (uint32_t i = 0; i < N_ELEMS; i++)
		if (v[i] != rounds * CHAIN * j->c)
			fail_msg("%s: element %u = %u, want %u", j->spec, i, v[i],
				 rounds * CHAIN * j->c);
}

static void job_close(struct job *j)
{
	pto_runtime_destroy(j->rt);
	pto_device_close(j->dev);
}

static int online_in_mask(void)
{
	cpu_set_t s;

	return sched_getaffinity(0, sizeof(s), &s) ? 1 : CPU_COUNT(&s);
}

/* Two mock runtimes, two threads, at the same time: each gets its own result. */
static void test_two_runtimes_at_once(void **state)
{
	struct job j[2] = {
		{ .spec = "mock:name=left,clusters=2,workers=1", .c = 3 },
		{ .spec = "mock:name=right,clusters=2,workers=1", .c = 5 },
	};
	pthread_t th[2];
	struct pto_device_info info;

	(void)state;
	for (int i = 0; i < 2; i++)
		job_open(&j[i]);
	assert_int_equal(pto_device_get_info(j[1].dev, &info), 0);
	assert_string_equal(info.name, "right");
	for (int round = 1; round <= 3; round++) {
		for (int i = 0; i < 2; i++)
			assert_int_equal(pthread_create(&th[i], NULL, run_job, &j[i]), 0);
		for (int i = 0; i < 2; i++) {
			pthread_join(th[i], NULL);
			if (j[i].rc)
				fail_msg("%s: %d %s", j[i].spec, j[i].rc, pto_last_error());
		}
		for (int i = 0; i < 2; i++)
			job_check(&j[i], (uint32_t)round);
	}
	/* the gate divided the allowlist: disjoint shares when there are 2+ CPUs */
	assert_int_equal(j[0].rt->plan->parts, 2);
	assert_int_equal(j[1].rt->plan->parts, 2);
	if (online_in_mask() >= 2) {
		assert_int_not_equal(j[0].rt->plan->orch_cpu, j[1].rt->plan->orch_cpu);
		for (uint32_t s = 0; s < j[0].rt->num_sched; s++)
			for (uint32_t t = 0; t < j[1].rt->num_sched; t++)
				assert_int_not_equal(j[0].rt->plan->sched_cpu[s],
						     j[1].rt->plan->sched_cpu[t]);
	}
	job_close(&j[0]);
	/* alone again: its next run is laid out on the whole list */
	assert_int_equal(pto_run(j[1].rt, chain_orch, &j[1]), 0);
	job_check(&j[1], 4);
	assert_int_equal(j[1].rt->plan->parts, 1);
	job_close(&j[1]);
}

/* A failing kernel on one device leaves the other runtime's run alone. */
static int k_fail(const struct pto_kernel_ctx *ctx)
{
	(void)ctx;
	return -5;
}

static void test_one_fails_other_runs(void **state)
{
	struct job j[2] = {
		{ .spec = "mock:index=0,clusters=1,workers=1", .c = 1 },
		{ .spec = "mock:index=1,clusters=1,workers=1", .c = 2 },
	};
	pthread_t th[2];

	(void)state;
	for (int i = 0; i < 2; i++)
		job_open(&j[i]);
	assert_int_equal(pto_register_kernel(j[0].rt, K_ADD, PTO2_CORE_AIV, k_fail, "fail"), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, run_job, &j[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(j[0].rc, PTO_E_KERNEL_FAILED);
	assert_int_equal(j[1].rc, 0);
	job_check(&j[1], 1);
	for (int i = 0; i < 2; i++)
		job_close(&j[i]);
}

/* out[i] = out[i] + 2c: the other runtime's kernel under the same id */
static int k_add_twice(const struct pto_kernel_ctx *ctx)
{
	uint32_t *o = pto_kernel_data(ctx, 0);
	uint32_t c = (uint32_t)pto_kernel_scalar(ctx, 0);

	for (uint32_t i = 0; i < N_ELEMS; i++)
		o[i] += 2 * c;
	return 0;
}

struct held_run {
	struct job *j;
	int running;	/* set once the run is inside its orchestration function */
	int release;	/* set by the test to let it return */
};

/* the chain, then hold the run open until the test has tried the device */
static int held_orch(struct pto_runtime *rt, void *arg)
{
	struct held_run *h = arg;
	int ret = chain_orch(rt, h->j);

	__atomic_store_n(&h->running, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 5000 && !__atomic_load_n(&h->release, __ATOMIC_ACQUIRE); i++)
		usleep(1000);
	return ret;
}

static void *run_held(void *arg)
{
	struct held_run *h = arg;

	h->j->rc = pto_run(h->j->rt, held_orch, h);
	return NULL;
}

/*
 * Two runtimes on one device: one run at a time (a second pto_run() while
 * the first is in progress is refused, the first's result intact), and each
 * run with its own kernels, though both registered the same id.
 */
static void test_one_device_two_runtimes(void **state)
{
	struct job a = { .spec = "mock:clusters=2,workers=1", .c = 1 };
	struct job b = a;
	struct pto_runtime_config cfg;
	struct held_run h = { &a, 0, 0 };
	pthread_t th;
	int rc;

	(void)state;
	job_open(&a);
	b.dev = a.dev;
	b.addr = a.addr;
	b.t = a.t;
	b.c = 10;
	assert_int_equal(pto_runtime_config_init(&cfg), 0);
	cfg.flags |= PTO_RT_QUIET;
	assert_int_equal(pto_runtime_create(a.dev, &cfg, &b.rt), 0);
	assert_int_equal(pto_register_kernel(b.rt, K_ADD, PTO2_CORE_AIV, k_add_twice, "add2"), 0);

	/* one after the other, each its own kernel: A +1, B +20, A +1 per task */
	assert_int_equal(pto_run(a.rt, chain_orch, &a), 0);
	assert_int_equal(pto_run(b.rt, chain_orch, &b), 0);
	assert_int_equal(pto_run(a.rt, chain_orch, &a), 0);
	a.c = 22;
	job_check(&a, 1);	/* (1 + 20 + 1) * CHAIN */

	/* at the same time: B is refused while A runs; A's result stands */
	a.c = 1;
	assert_int_equal(pthread_create(&th, NULL, run_held, &h), 0);
	for (int i = 0; i < 5000 && !__atomic_load_n(&h.running, __ATOMIC_ACQUIRE); i++)
		usleep(1000);
	assert_int_equal(__atomic_load_n(&h.running, __ATOMIC_ACQUIRE), 1);
	rc = pto_run(b.rt, chain_orch, &b);
	assert_int_equal(rc, -EBUSY);
	assert_string_equal(pto_last_error(), "pto_run: device 'mock' is in another runtime's "
			    "pto_run(): one run per device at a time");
	__atomic_store_n(&h.release, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	assert_int_equal(a.rc, 0);
	a.c = 23;
	job_check(&a, 1);
	/* and B runs once A is done */
	assert_int_equal(pto_run(b.rt, chain_orch, &b), 0);
	a.c = 43;
	job_check(&a, 1);
	pto_runtime_destroy(b.rt);
	/* destroying B leaves A's kernel registered */
	a.c = 1;
	assert_int_equal(pto_run(a.rt, chain_orch, &a), 0);
	a.c = 44;
	job_check(&a, 1);
	job_close(&a);
}

static void test_mock_names(void **state)
{
	struct pto_device_info info;
	struct pto_device *dev;

	(void)state;
	assert_int_equal(pto_device_open("mock:clusters=1,workers=1", &dev), 0);
	pto_device_get_info(dev, &info);
	assert_string_equal(info.name, "mock");
	pto_device_close(dev);
	assert_int_equal(pto_device_open("mock:clusters=1,index=12,workers=1", &dev), 0);
	pto_device_get_info(dev, &info);
	assert_string_equal(info.name, "mock12");
	pto_device_close(dev);
	assert_int_equal(pto_device_open("mock:name=a_b.c-9,clusters=1,workers=1", &dev), 0);
	pto_device_get_info(dev, &info);
	assert_string_equal(info.name, "a_b.c-9");
	pto_device_close(dev);

	assert_int_equal(pto_device_open("mock:name=", &dev), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "name='' is not 1..23 of"));
	assert_int_equal(pto_device_open("mock:name=a/b", &dev), -EINVAL);
	assert_int_equal(pto_device_open("mock:name=abcdefghijklmnopqrstuvwx", &dev), -EINVAL);
	assert_int_equal(pto_device_open("mock:index=1024", &dev), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "index='1024' is not 0..1023"));
	assert_int_equal(pto_device_open("mock:index=-1", &dev), -EINVAL);
	assert_int_equal(pto_device_open("mock:name=a,index=1", &dev), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "give name= or index=, not both"));
	assert_int_equal(pto_device_open("mock:index=1,index=2", &dev), -EINVAL);
	assert_int_equal(pto_device_open("mock:name=a,name=b", &dev), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "option 'name' given twice"));
}

/* The scan: pto2 and pto2-N character devices in order, then the mock. */
static void test_enumerate(void **state)
{
	char dir[] = "/tmp/pto-enum-XXXXXX", path[256];
	const char *nodes[] = { "pto2-10", "pto2", "pto2-2", "pto2-0" };
	const char *junk_chr[] = { "pto2-", "pto2-01", "pto2-x", "pto3", "pto2-1a" };
	struct pto_device_entry e[8];
	int n, fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	/* no nodes: the mock alone */
	assert_int_equal(pto__device_scan(dir, e, 8), 1);
	assert_string_equal(e[0].spec, "mock");
	assert_string_equal(e[0].name, "mock");
	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, nodes[i]);
		if (mknod(path, S_IFCHR | 0600, makedev(1, 3))) {
			rmdir(dir);
			skip();	/* prints SKIPPED: creating device nodes needs root */
		}
	}
	for (size_t i = 0; i < sizeof(junk_chr) / sizeof(junk_chr[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, junk_chr[i]);
		assert_int_equal(mknod(path, S_IFCHR | 0600, makedev(1, 3)), 0);
	}
	/* a regular file with a node's name is no device */
	snprintf(path, sizeof(path), "%s/pto2-1", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);

	n = pto__device_scan(dir, e, 8);
	assert_int_equal(n, 5);
	assert_string_equal(e[0].name, "pto2");
	assert_string_equal(e[1].name, "pto2-0");
	assert_string_equal(e[2].name, "pto2-2");
	assert_string_equal(e[3].name, "pto2-10");
	assert_string_equal(e[4].name, "mock");
	snprintf(path, sizeof(path), "%s/pto2-2", dir);
	assert_string_equal(e[2].spec, path);
	/* a short array: the total, and only what fits written */
	memset(e, 0, sizeof(e));
	assert_int_equal(pto__device_scan(dir, e, 2), 5);
	assert_string_equal(e[1].name, "pto2-0");
	assert_string_equal(e[2].name, "");
	assert_int_equal(pto__device_scan(dir, NULL, 0), 5);
	assert_int_equal(pto__device_scan(dir, NULL, 1), -EINVAL);

	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, nodes[i]);
		unlink(path);
	}
	for (size_t i = 0; i < sizeof(junk_chr) / sizeof(junk_chr[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, junk_chr[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/pto2-1", dir);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
	/* the public call counts at least the mock */
	assert_true(pto_device_count() >= 1);
	n = pto_device_list(e, 8);
	assert_true(n >= 1);
	assert_string_equal(e[(n < 8 ? n : 8) - 1].spec, n <= 8 ? "mock" : e[7].spec);
	assert_int_equal(pto_device_list(NULL, 3), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_runtimes_at_once),
		cmocka_unit_test(test_one_fails_other_runs),
		cmocka_unit_test(test_one_device_two_runtimes),
		cmocka_unit_test(test_mock_names),
		cmocka_unit_test(test_enumerate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
