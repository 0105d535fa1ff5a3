// SPDX-License-Identifier: MIT
/*
 * test_placement.c - where a run's threads run: the schedulers and the
 * wiring thread start on their planned CPUs, unpinned ones on the caller's.
 */
#include <dirent.h>
#include <sched.h>
#include <unistd.h>

#include "rt_test_util.h"

#include "libpto/core/run.h"

/*
 * The CPUs a thread named @comm of this process may run on, into *@n; false
 * if no such thread runs.
 */
static bool thread_cpus(const char *comm, int32_t *cpus, int *n)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	bool found = false;

	assert_non_null(d);
	while (!found && (de = readdir(d))) {
		char path[300], name[32] = "", line[256];
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(name, sizeof(name), f))
			name[strcspn(name, "\n")] = 0;
		fclose(f);
		if (strcmp(name, comm))
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/status", de->d_name);
		f = fopen(path, "r");
		assert_non_null(f);
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "Cpus_allowed_list:", 18)) {
				line[strcspn(line, "\n")] = 0;
				*n = pto_gate_parse_cpus(line + 18 + strspn(line + 18, " \t"), cpus, 1024);
				found = true;
			}
		fclose(f);
	}
	closedir(d);
	return found;
}

struct pin_check {
	const char *comm;
	int caller_cpus;	/* CPUs of pto_run()'s caller */
};

/*
 * While the run is on: a pinned role's thread may use its planned CPU only,
 * an unpinned one every CPU of pto_run()'s caller (not the orchestrator's one).
 */
static int orch_check_pinned(struct pto_runtime *rt, void *p)
{
	const struct pin_check *pc = p;
	const char *comm = pc->comm;
	int32_t cpus[1024], want = strcmp(comm, "pto-wiring") ? rt->plan->sched_cpu[0] :
				rt->plan->wiring_cpu;
	int n = 0;

	/* it names itself once it runs: give it up to 2 s */
	for (int i = 0; !thread_cpus(comm, cpus, &n); i++) {
		if (i == 2000)
			fail_msg("no thread %s during the run", comm);
		usleep(1000);
	}
	if (want == PTO_GATE_UNPINNED) {
		assert_int_equal(n, pc->caller_cpus);
		return 0;
	}
	assert_int_equal(n, 1);
	assert_int_equal(cpus[0], want);
	return 0;
}

/*
 * The schedulers and the wiring thread are created pinned
 * (pto_gate_thread_create()); with wiring on 2 CPUs the scheduler is left
 * unpinned.
 */
static void test_threads_pinned(void **state)
{
	struct pto_device *dev = rt_open_dev(2);
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;
	struct pin_check sched = { "pto-sched-0", 0 }, wiring = { "pto-wiring", 0 };
	cpu_set_t mask;

	assert_int_equal(sched_getaffinity(0, sizeof(mask), &mask), 0);
	sched.caller_cpus = wiring.caller_cpus = CPU_COUNT(&mask);
	rt_test_config(&cfg, 64);
	cfg.wiring = rt_test_wiring(state);
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	assert_int_equal(pto_run(rt, orch_check_pinned, &sched), 0);
	if (cfg.wiring)
		assert_int_equal(pto_run(rt, orch_check_pinned, &wiring), 0);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		RT_TEST_WIRING(test_threads_pinned),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
