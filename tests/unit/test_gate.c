// SPDX-License-Identifier: MIT
/*
 * test_gate.c - the CPU-affinity gate: list parsing, role plans, print,
 * pinning (test_share.c: dividing the allowlist between live runtimes).
 */
#include "gate_test_util.h"

/* --- parsing --------------------------------------------------------------- */

static void expect_parse(const char *list, const int32_t *want, int n)
{
	int32_t cpus[64];
	int ret, i;

	memset(cpus, 0xff, sizeof(cpus));
	ret = pto_gate_parse_cpus(list, cpus, ARRAY_SIZE(cpus));
	if (ret != n)
		fail_msg("\"%s\": got %d (%s), want %d", list, ret, pto_last_error(), n);
	for (i = 0; i < n; i++)
		assert_int_equal(cpus[i], want[i]);
}

static void test_parse_ok(void **state)
{
	(void)state;
	expect_parse("0,2,4-7", (int32_t[]){ 0, 2, 4, 5, 6, 7 }, 6);
	expect_parse(" 0 , 2 ,\t4 - 7 ", (int32_t[]){ 0, 2, 4, 5, 6, 7 }, 6);
	expect_parse("3", (int32_t[]){ 3 }, 1);
	expect_parse("5-5", (int32_t[]){ 5 }, 1);
	expect_parse("7,1,3", (int32_t[]){ 7, 1, 3 }, 3);		/* order kept */
	expect_parse("1,1", (int32_t[]){ 1, 1 }, 2);		/* the plan drops duplicates */
	expect_parse("007", (int32_t[]){ 7 }, 1);
	expect_parse("1023", (int32_t[]){ CPU_SETSIZE - 1 }, 1);
	expect_parse("", NULL, 0);				/* nothing named */
	expect_parse("  \t ", NULL, 0);
}

static void expect_parse_error(const char *list, uint32_t max, const char *msg)
{
	int32_t cpus[64];
	int ret;

	ret = pto_gate_parse_cpus(list, cpus, max);
	if (ret != -EINVAL)
		fail_msg("\"%s\": got %d, want -EINVAL", list, ret);
	if (!strstr(pto_last_error(), msg))
		fail_msg("\"%s\": message \"%s\" lacks \"%s\"", list, pto_last_error(), msg);
}

static void test_parse_errors(void **state)
{
	(void)state;
	/* empty items */
	expect_parse_error("0,,1", 64, "empty item at offset 2");
	expect_parse_error(",0", 64, "empty item at offset 0");
	expect_parse_error("0,", 64, "empty item at offset 2");
	expect_parse_error("0, ,1", 64, "empty item");
	/* reversed ranges */
	expect_parse_error("7-4", 64, "reversed range \"7-4\"");
	expect_parse_error("1, 9 - 8 ", 64, "reversed range \"9 - 8\"");
	/* not numbers, each named */
	expect_parse_error("a", 64, "\"a\" is not a CPU");
	expect_parse_error("0,1a", 64, "\"1a\" is not a CPU");
	expect_parse_error("x-3", 64, "\"x-3\" is not a CPU");
	expect_parse_error("3-", 64, "\"3-\" is not a CPU");
	expect_parse_error("-3", 64, "\"-3\" is not a CPU");
	expect_parse_error("1-2-3", 64, "\"1-2-3\" is not a CPU");
	expect_parse_error("+1", 64, "\"+1\" is not a CPU");
	expect_parse_error("0x1", 64, "\"0x1\" is not a CPU");
	expect_parse_error("1 2", 64, "\"1 2\" is not a CPU");
	expect_parse_error("1;2", 64, "\"1;2\" is not a CPU");
	/* CPUs >= CPU_SETSIZE */
	expect_parse_error("1024", 64, "\"1024\" names a CPU >= 1024");
	expect_parse_error("0-1024", 64, "\"0-1024\" names a CPU >= 1024");
	expect_parse_error("99999999999999999999999", 64, "names a CPU >= 1024");
	/* more than max */
	expect_parse_error("0-7", 4, "more than 4 CPUs (at \"0-7\" in \"0-7\")");
	expect_parse_error("0,1,2", 2, "more than 2 CPUs (at \"2\" in");
	expect_parse_error("0", 0, "more than 0 CPUs");
	/* a long list still names the bad item (it comes first in the message) */
	{
		char longlist[600];
		int i, off = 0;

		for (i = 0; i < 60; i++)	/* 300 characters, 60 CPUs (< max) */
			off += snprintf(longlist + off, sizeof(longlist) - off, "1023,");
		snprintf(longlist + off, sizeof(longlist) - off, "bogus");
		expect_parse_error(longlist, 64, "CPU list: \"bogus\" is not a CPU");
	}
	/* bad arguments */
	assert_int_equal(pto_gate_parse_cpus(NULL, (int32_t[4]){ 0 }, 4), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "NULL string"));
	assert_int_equal(pto_gate_parse_cpus("0", NULL, 4), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "NULL output"));
}

/* --- plans ----------------------------------------------------------------- */

static void test_plan_full_list(void **state)
{
	struct pto_gate_plan p;

	(void)state;
	assert_int_equal(pto_gate_plan((int32_t[]){ 0, 1, 2, 3 }, 4, mask8, 8, 0, 0, &p), 0);
	assert_int_equal(p.orch_cpu, 3);
	assert_int_equal(p.wiring, 0);
	assert_int_equal(p.wiring_cpu, U);
	expect_scheds(&p, (int32_t[]){ 0, 1, 2 }, 3);
	assert_string_equal(p.warnings, "");

	/* wiring on: the one before the last */
	assert_int_equal(pto_gate_plan((int32_t[]){ 6, 4, 2, 0 }, 4, mask8, 8, 0, 1, &p), 0);
	assert_int_equal(p.orch_cpu, 0);
	assert_int_equal(p.wiring, 1);
	assert_int_equal(p.wiring_cpu, 2);
	expect_scheds(&p, (int32_t[]){ 6, 4 }, 2);
	assert_string_equal(p.warnings, "");
}

static void test_plan_short_list(void **state)
{
	struct pto_gate_plan p;

	(void)state;
	/* one CPU, wiring on: the orchestrator gets it, the rest run unpinned */
	assert_int_equal(pto_gate_plan((int32_t[]){ 5 }, 1, mask8, 8, 0, 1, &p), 0);
	assert_int_equal(p.orch_cpu, 5);
	assert_int_equal(p.wiring_cpu, U);
	expect_scheds(&p, (int32_t[]){ U }, 1);
	assert_non_null(strstr(p.warnings, "wiring thread runs unpinned"));
	assert_non_null(strstr(p.warnings, "schedulers 0..0 run unpinned"));

	/* two CPUs, wiring off: one scheduler, one orchestrator, no warning */
	assert_int_equal(pto_gate_plan((int32_t[]){ 0, 1 }, 2, mask8, 8, 0, 0, &p), 0);
	assert_int_equal(p.orch_cpu, 1);
	expect_scheds(&p, (int32_t[]){ 0 }, 1);
	assert_string_equal(p.warnings, "");
}

static void test_plan_duplicates(void **state)
{
	struct pto_gate_plan p;

	(void)state;
	assert_int_equal(pto_gate_plan((int32_t[]){ 1, 2, 1, 3, 3 }, 5, mask8, 8, 0, 0, &p), 0);
	assert_int_equal(p.orch_cpu, 3);
	expect_scheds(&p, (int32_t[]){ 1, 2 }, 2);
	assert_string_equal(p.warnings, "cpu 1 listed twice: duplicate dropped\n"
				       "cpu 3 listed twice: duplicate dropped\n");
}

static void test_plan_outside_mask(void **state)
{
	static const int32_t mask[] = { 3, 1, 0, 2 };
	struct pto_gate_plan p;

	(void)state;
	assert_int_equal(pto_gate_plan((int32_t[]){ 0, 9, 1, 2, 7 }, 5, mask, 4, 0, 0, &p), 0);
	assert_int_equal(p.orch_cpu, 2);
	expect_scheds(&p, (int32_t[]){ 0, 1 }, 2);
	assert_string_equal(p.warnings, "cpu 9 is not in the process affinity mask: dropped\n"
				       "cpu 7 is not in the process affinity mask: dropped\n");

	/* nothing usable: every role still exists, unpinned */
	assert_int_equal(pto_gate_plan((int32_t[]){ 8, 9 }, 2, mask, 4, 2, 1, &p), 0);
	assert_int_equal(p.orch_cpu, U);
	assert_int_equal(p.wiring, 1);
	assert_int_equal(p.wiring_cpu, U);
	expect_scheds(&p, (int32_t[]){ U, U }, 2);
	assert_non_null(strstr(p.warnings, "orchestrator runs unpinned"));
	assert_non_null(strstr(p.warnings, "wiring thread runs unpinned"));
	assert_non_null(strstr(p.warnings, "schedulers 0..1 run unpinned"));
}

static void test_plan_more_roles_than_cpus(void **state)
{
	struct pto_gate_plan p;

	(void)state;
	assert_int_equal(pto_gate_plan((int32_t[]){ 0, 1, 2 }, 3, mask8, 8, 3, 1, &p), 0);
	assert_int_equal(p.orch_cpu, 2);
	assert_int_equal(p.wiring_cpu, 1);
	expect_scheds(&p, (int32_t[]){ 0, U, U }, 3);
	assert_string_equal(p.warnings,
			    "schedulers 1..2 run unpinned: only 1 CPUs left for schedulers\n");
}

static void test_plan_want_schedulers(void **state)
{
	static const int32_t list[] = { 0, 1, 2, 3, 4, 5 };
	struct pto_gate_plan p;

	(void)state;
	/* 0: as many as remain */
	assert_int_equal(pto_gate_plan(list, 6, mask8, 8, 0, 1, &p), 0);
	expect_scheds(&p, (int32_t[]){ 0, 1, 2, 3 }, 4);
	assert_int_equal(p.wiring_cpu, 4);
	assert_int_equal(p.orch_cpu, 5);
	/* 1: the first one; the others unused (said so) */
	assert_int_equal(pto_gate_plan(list, 6, mask8, 8, 1, 0, &p), 0);
	expect_scheds(&p, (int32_t[]){ 0 }, 1);
	assert_int_equal(p.orch_cpu, 5);
	assert_string_equal(p.warnings, "4 listed CPUs unused (cpu 1 first): 1 schedulers wanted\n");
	/* 3 of 4 with wiring */
	assert_int_equal(pto_gate_plan(list, 6, mask8, 8, 3, 1, &p), 0);
	expect_scheds(&p, (int32_t[]){ 0, 1, 2 }, 3);
	assert_int_equal(p.wiring_cpu, 4);
	assert_int_equal(p.orch_cpu, 5);
	/* the maximum, with too few CPUs: unpinned extras */
	assert_int_equal(pto_gate_plan(list, 6, mask8, 8, PTO_GATE_MAX_THREADS, 0, &p), 0);
	assert_int_equal(p.num_schedulers, PTO_GATE_MAX_THREADS);
	assert_int_equal(p.sched_cpu[4], 4);
	assert_int_equal(p.sched_cpu[5], U);
	assert_int_equal(p.sched_cpu[PTO_GATE_MAX_THREADS - 1], U);
	assert_non_null(strstr(p.warnings, "schedulers 5..63 run unpinned"));
	/* too many */
	assert_int_equal(pto_gate_plan(list, 6, mask8, 8, PTO_GATE_MAX_THREADS + 1, 0, &p),
			 -EINVAL);
	assert_non_null(strstr(pto_last_error(), "65 schedulers wanted, at most 64"));
	/* a failed plan is still a valid (all unpinned) layout */
	assert_int_equal(p.num_schedulers, 1);
	assert_int_equal(p.sched_cpu[0], U);
	assert_int_equal(p.orch_cpu, U);
	assert_int_equal(pto_gate_plan(list, 6, mask8, 8, UINT32_MAX, 0, &p), -EINVAL);
}

static void test_plan_empty_list_uses_mask(void **state)
{
	static const int32_t mask[] = { 6, 2, 4, 0, 2 };
	int32_t big[100];
	struct pto_gate_plan p;
	uint32_t i;

	(void)state;
	assert_int_equal(pto_gate_plan(NULL, 0, mask, 5, 0, 0, &p), 0);
	assert_int_equal(p.orch_cpu, 6);
	expect_scheds(&p, (int32_t[]){ 0, 2, 4 }, 3);
	assert_string_equal(p.warnings, "");

	/* the common 2-vCPU case */
	assert_int_equal(pto_gate_plan(NULL, 0, (int32_t[]){ 1, 0 }, 2, 0, 0, &p), 0);
	assert_int_equal(p.orch_cpu, 1);
	expect_scheds(&p, (int32_t[]){ 0 }, 1);

	/* a big machine: capped at PTO_GATE_MAX_THREADS schedulers */
	for (i = 0; i < ARRAY_SIZE(big); i++)
		big[i] = (int32_t)i;
	assert_int_equal(pto_gate_plan(NULL, 0, big, ARRAY_SIZE(big), 0, 1, &p), 0);
	assert_int_equal(p.num_schedulers, PTO_GATE_MAX_THREADS);
	assert_int_equal(p.sched_cpu[PTO_GATE_MAX_THREADS - 1], PTO_GATE_MAX_THREADS - 1);
	assert_int_equal(p.wiring_cpu, 98);
	assert_int_equal(p.orch_cpu, 99);
	assert_string_equal(p.warnings, "98 CPUs for schedulers, using the first 64\n");

	/* no mask at all */
	assert_int_equal(pto_gate_plan(NULL, 0, NULL, 0, 0, 0, &p), 0);
	assert_int_equal(p.orch_cpu, U);
	expect_scheds(&p, (int32_t[]){ U }, 1);
}

static void test_plan_bad_args(void **state)
{
	struct pto_gate_plan p;

	(void)state;
	assert_int_equal(pto_gate_plan(mask8, 8, mask8, 8, 0, 0, NULL), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "NULL plan"));
	assert_int_equal(pto_gate_plan(NULL, 3, mask8, 8, 0, 0, &p), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "NULL CPU list with 3 entries"));
	assert_int_equal(pto_gate_plan(mask8, 8, NULL, 2, 0, 0, &p), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "NULL affinity mask with 2 entries"));
	assert_int_equal(pto_gate_plan((int32_t[]){ 0, -1 }, 2, mask8, 8, 0, 0, &p), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "CPU list entry 1 is cpu -1"));
	assert_int_equal(pto_gate_plan((int32_t[]){ CPU_SETSIZE }, 1, mask8, 8, 0, 0, &p),
			 -EINVAL);
	assert_non_null(strstr(pto_last_error(), "CPU list entry 0 is cpu 1024"));
	assert_int_equal(pto_gate_plan(mask8, 8, (int32_t[]){ 0, 5000 }, 2, 0, 0, &p), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "affinity mask entry 1 is cpu 5000"));
	assert_int_equal(pto_gate_plan(mask8, 8, mask8, 8, 0, 2, &p), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "wiring must be 0 or 1"));
	assert_int_equal(p.wiring, 1);	/* reset: still a usable layout */
	assert_int_equal(p.num_schedulers, 1);
}

static void test_plan_deterministic(void **state)
{
	static const int32_t list[] = { 5, 3, 3, 9, 1, 0, 7 };
	struct pto_gate_plan a, b;

	(void)state;
	memset(&a, 0x11, sizeof(a));
	memset(&b, 0x22, sizeof(b));
	assert_int_equal(pto_gate_plan(list, ARRAY_SIZE(list), mask8, 8, 0, 1, &a), 0);
	assert_int_equal(pto_gate_plan(list, ARRAY_SIZE(list), mask8, 8, 0, 1, &b), 0);
	/* compare field by field: warnings past the NUL are don't-care */
	assert_int_equal(a.num_schedulers, b.num_schedulers);
	assert_int_equal(a.wiring_cpu, b.wiring_cpu);
	assert_int_equal(a.orch_cpu, b.orch_cpu);
	assert_memory_equal(a.sched_cpu, b.sched_cpu, sizeof(a.sched_cpu));
	assert_string_equal(a.warnings, b.warnings);
	assert_int_equal(a.orch_cpu, 7);
	assert_int_equal(a.wiring_cpu, 0);
	expect_scheds(&a, (int32_t[]){ 5, 3, 1 }, 3);
}

static void test_plan_warnings_bounded(void **state)
{
	int32_t list[400];
	struct pto_gate_plan p;
	size_t len;
	uint32_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(list); i++)
		list[i] = (int32_t)(i % 2);	/* 398 duplicate warnings */
	memset(&p, 'x', sizeof(p));
	assert_int_equal(pto_gate_plan(list, ARRAY_SIZE(list), mask8, 8, 0, 0, &p), 0);
	len = strnlen(p.warnings, sizeof(p.warnings));
	assert_true(len < sizeof(p.warnings));
	assert_string_equal(p.warnings + len - 4, "...\n");
	assert_int_equal(p.orch_cpu, 1);
	expect_scheds(&p, (int32_t[]){ 0 }, 1);
}

/* --- printing -------------------------------------------------------------- */

static char *print_to_string(const struct pto_gate_plan *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	pto_gate_fprint(f, p);
	fclose(f);
	return buf;
}

static void test_print(void **state)
{
	struct pto_gate_plan p;
	char *s;

	(void)state;
	assert_int_equal(pto_gate_plan((int32_t[]){ 0, 1, 2, 3 }, 4, mask8, 8, 0, 1, &p), 0);
	s = print_to_string(&p);
	assert_string_equal(s, "pto: orchestrator cpu 3\n"
			       "pto: wiring cpu 2\n"
			       "pto: scheduler 0 cpu 0\n"
			       "pto: scheduler 1 cpu 1\n");
	free(s);

	assert_int_equal(pto_gate_plan((int32_t[]){ 1, 1 }, 2, mask8, 8, 2, 1, &p), 0);
	s = print_to_string(&p);
	assert_string_equal(s, "pto: orchestrator cpu 1\n"
			       "pto: wiring cpu unpinned\n"
			       "pto: scheduler 0 cpu unpinned\n"
			       "pto: scheduler 1 cpu unpinned\n"
			       "pto: warning: cpu 1 listed twice: duplicate dropped\n"
			       "pto: warning: wiring thread runs unpinned: no CPU left for it\n"
			       "pto: warning: schedulers 0..1 run unpinned: "
			       "only 0 CPUs left for schedulers\n");
	free(s);

	/* a plan with a corrupt count prints at most PTO_GATE_MAX_THREADS lines */
	p.num_schedulers = 1000;
	p.warnings[0] = '\0';
	s = print_to_string(&p);
	assert_non_null(strstr(s, "scheduler 63 cpu"));
	assert_null(strstr(s, "scheduler 64"));
	free(s);
	pto_gate_fprint(NULL, &p);	/* no crash */
	pto_gate_print(NULL);
}

static void test_print_goes_to_stderr(void **state)
{
	struct pto_gate_plan p;
	char buf[256] = { 0 };
	FILE *tmp = tmpfile();
	int saved;

	(void)state;
	assert_non_null(tmp);
	assert_int_equal(pto_gate_plan((int32_t[]){ 0, 1 }, 2, mask8, 8, 0, 0, &p), 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
	pto_gate_print(&p);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	assert_true(fread(buf, 1, sizeof(buf) - 1, tmp) > 0);
	fclose(tmp);
	assert_string_equal(buf, "pto: orchestrator cpu 1\npto: scheduler 0 cpu 0\n");
}

/* --- the real affinity mask and pinning ------------------------------------ */

static void test_affinity_cpus(void **state)
{
	int32_t cpus[CPU_SETSIZE];
	cpu_set_t set;
	int n, i;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	n = pto_gate_affinity_cpus(cpus, CPU_SETSIZE);
	assert_int_equal(n, CPU_COUNT(&set));
	for (i = 0; i < n; i++) {
		assert_true(CPU_ISSET(cpus[i], &set));
		if (i)
			assert_true(cpus[i] > cpus[i - 1]);
	}
	assert_int_equal(pto_gate_affinity_cpus(cpus, 0), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "more than 0 CPUs"));
	assert_int_equal(pto_gate_affinity_cpus(NULL, 4), -EINVAL);
}

struct pin_result {
	int ret_pin, ret_unpinned, ret_neg, ret_big, ret_offline;
	int cpu, offline_cpu, count_after_pin, cpu_after_pin, unchanged_after_unpinned;
	char msg_neg[128], msg_offline[128];
};

/* Runs on its own thread so the test process keeps its affinity. */
static void *pin_thread(void *arg)
{
	struct pin_result *r = arg;
	cpu_set_t set, before;
	int c;

	sched_getaffinity(0, sizeof(set), &set);
	r->cpu = -1;
	r->offline_cpu = -1;
	for (c = 0; c < CPU_SETSIZE; c++) {
		if (CPU_ISSET(c, &set))
			r->cpu = c;		/* the last allowed CPU */
		else
			r->offline_cpu = c;	/* the last not allowed */
	}
	r->ret_pin = pto_gate_pin_self(r->cpu);
	sched_getaffinity(0, sizeof(set), &set);
	r->count_after_pin = CPU_COUNT(&set);
	r->cpu_after_pin = sched_getcpu();

	before = set;
	r->ret_unpinned = pto_gate_pin_self(PTO_GATE_UNPINNED);
	sched_getaffinity(0, sizeof(set), &set);
	r->unchanged_after_unpinned = CPU_EQUAL(&set, &before);

	r->ret_neg = pto_gate_pin_self(-2);
	snprintf(r->msg_neg, sizeof(r->msg_neg), "%s", pto_last_error());
	r->ret_big = pto_gate_pin_self(CPU_SETSIZE);
	if (r->offline_cpu >= 0) {
		r->ret_offline = pto_gate_pin_self(r->offline_cpu);
		snprintf(r->msg_offline, sizeof(r->msg_offline), "%s", pto_last_error());
	}
	return NULL;
}

static void test_pin_self(void **state)
{
	struct pin_result r = { 0 };
	pthread_t th;

	(void)state;
	assert_int_equal(pthread_create(&th, NULL, pin_thread, &r), 0);
	pthread_join(th, NULL);
	assert_true(r.cpu >= 0);
	assert_int_equal(r.ret_pin, 0);
	assert_int_equal(r.count_after_pin, 1);
	assert_int_equal(r.cpu_after_pin, r.cpu);
	assert_int_equal(r.ret_unpinned, 0);
	assert_true(r.unchanged_after_unpinned);
	assert_int_equal(r.ret_neg, -EINVAL);
	assert_non_null(strstr(r.msg_neg, "cpu -2 outside"));
	assert_int_equal(r.ret_big, -EINVAL);
	/* a CPU the thread may not use: the kernel's -EINVAL, passed on */
	assert_true(r.offline_cpu >= 0);
	assert_int_equal(r.ret_offline, -EINVAL);
	assert_non_null(strstr(r.msg_offline, "cannot pin thread"));
}

/* What a thread saw at its first instruction. */
struct start_seen {
	int count, cpu, on;
};

static void *note_start(void *arg)
{
	struct start_seen *r = arg;
	cpu_set_t set;

	sched_getaffinity(0, sizeof(set), &set);
	r->count = CPU_COUNT(&set);
	r->cpu = CPU_ISSET(r->cpu, &set) ? r->cpu : -1;
	r->on = sched_getcpu();
	return NULL;
}

/*
 * pto_gate_thread_create(): the thread is pinned before it first runs (a
 * thread that pinned itself once running first waited for its creator's
 * CPU); an unpinned one, and one whose CPU is not ours, start with the
 * process's mask.
 */
static void test_thread_create(void **state)
{
	cpu_set_t mask;
	struct start_seen r;
	pthread_t th;
	int last = -1, outside = -1;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(mask), &mask), 0);
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (CPU_ISSET(c, &mask))
			last = c;
		else
			outside = c;
	}
	r = (struct start_seen){ .cpu = last };
	assert_int_equal(pto_gate_thread_create(&th, last, note_start, &r), 0);
	pthread_join(th, NULL);
	assert_int_equal(r.count, 1);
	assert_int_equal(r.cpu, last);
	assert_int_equal(r.on, last);
	r = (struct start_seen){ .cpu = last };
	assert_int_equal(pto_gate_thread_create(&th, PTO_GATE_UNPINNED, note_start, &r), 0);
	pthread_join(th, NULL);
	assert_int_equal(r.count, CPU_COUNT(&mask));
	assert_true(outside >= 0);
	r = (struct start_seen){ .cpu = last };
	assert_int_equal(pto_gate_thread_create(&th, outside, note_start, &r), 0);
	pthread_join(th, NULL);
	assert_int_equal(r.count, CPU_COUNT(&mask));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_plan_full_list),
		cmocka_unit_test(test_plan_short_list),
		cmocka_unit_test(test_plan_duplicates),
		cmocka_unit_test(test_plan_outside_mask),
		cmocka_unit_test(test_plan_more_roles_than_cpus),
		cmocka_unit_test(test_plan_want_schedulers),
		cmocka_unit_test(test_plan_empty_list_uses_mask),
		cmocka_unit_test(test_plan_bad_args),
		cmocka_unit_test(test_plan_deterministic),
		cmocka_unit_test(test_plan_warnings_bounded),
		cmocka_unit_test(test_print),
		cmocka_unit_test(test_print_goes_to_stderr),
		cmocka_unit_test(test_affinity_cpus),
		cmocka_unit_test(test_pin_self),
		cmocka_unit_test(test_thread_create),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
