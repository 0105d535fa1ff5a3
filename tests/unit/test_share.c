// SPDX-License-Identifier: MIT
/* test_share.c - dividing the CPU allowlist between live runtimes (gate/share.c). */
#include "gate_test_util.h"

static void expect_share(const int32_t *list, uint32_t n, uint32_t parts, uint32_t part,
			 const int32_t *want, int wn)
{
	int32_t share[16];
	int got = pto_gate_divide(list, n, parts, part, share);

	if (got != wn)
		fail_msg("share %u of %u of %u CPUs: %d CPUs, want %d", part, parts, n, got, wn);
	for (int i = 0; i < wn; i++)
		if (share[i] != want[i])
			fail_msg("share %u of %u: cpu[%d] = %d, want %d", part, parts, i, share[i],
				 want[i]);
}

static void test_divide_cases(void **state)
{
	const int32_t l2[] = { 0, 1 }, l4[] = { 0, 1, 2, 3 }, l5[] = { 4, 5, 6, 7, 8 };
	int32_t share[4];

	(void)state;
	/* alone: everything */
	expect_share(l2, 2, 1, 0, (int32_t[]){ 0, 1 }, 2);
	/* 2 vCPUs, 2 runtimes: one CPU each, disjoint */
	expect_share(l2, 2, 2, 0, (int32_t[]){ 0 }, 1);
	expect_share(l2, 2, 2, 1, (int32_t[]){ 1 }, 1);
	/* 3 runtimes on 2 CPUs: shares repeat, one CPU each */
	expect_share(l2, 2, 3, 0, (int32_t[]){ 0 }, 1);
	expect_share(l2, 2, 3, 1, (int32_t[]){ 1 }, 1);
	expect_share(l2, 2, 3, 2, (int32_t[]){ 0 }, 1);
	/* 4 CPUs in halves */
	expect_share(l4, 4, 2, 0, (int32_t[]){ 0, 1 }, 2);
	expect_share(l4, 4, 2, 1, (int32_t[]){ 2, 3 }, 2);
	/* 5 in two: 2 + 3, contiguous, in list order */
	expect_share(l5, 5, 2, 0, (int32_t[]){ 4, 5 }, 2);
	expect_share(l5, 5, 2, 1, (int32_t[]){ 6, 7, 8 }, 3);
	/* bad arguments */
	assert_int_equal(pto_gate_divide(l2, 0, 1, 0, share), -EINVAL);
	assert_int_equal(pto_gate_divide(l2, 2, 0, 0, share), -EINVAL);
	assert_int_equal(pto_gate_divide(l2, 2, 2, 2, share), -EINVAL);
	assert_int_equal(pto_gate_divide(NULL, 2, 2, 0, share), -EINVAL);
}

/* Every k <= n: shares are disjoint and cover the list. */
static void test_divide_partitions(void **state)
{
	int32_t list[12], share[12];
	int seen[12];

	(void)state;
	for (int i = 0; i < 12; i++)
		list[i] = 11 - i;
	for (uint32_t n = 1; n <= 12; n++)
		for (uint32_t k = 1; k <= n; k++) {
			memset(seen, 0, sizeof(seen));
			for (uint32_t part = 0; part < k; part++) {
				int m = pto_gate_divide(list, n, k, part, share);

				assert_true(m >= 1);
				for (int i = 0; i < m; i++)
					seen[11 - share[i]]++;
			}
			for (uint32_t i = 0; i < n; i++)
				if (seen[i] != 1)
					fail_msg("n=%u k=%u: cpu %d in %d shares", n, k, 11 - (int)i,
						 seen[i]);
		}
}

static void test_plan_share_roles(void **state)
{
	struct pto_gate_plan p;

	(void)state;
	/* one CPU: orchestrator and scheduler pinned to it, never unpinned */
	assert_int_equal(pto_gate_plan_share((int32_t[]){ 1 }, 1, 0, 0, &p), 0);
	assert_int_equal(p.orch_cpu, 1);
	expect_scheds(&p, (int32_t[]){ 1 }, 1);
	assert_string_equal(p.warnings, "");
	/* one CPU with wiring: all three on it */
	assert_int_equal(pto_gate_plan_share((int32_t[]){ 3 }, 1, 0, 1, &p), 0);
	assert_int_equal(p.orch_cpu, 3);
	assert_int_equal(p.wiring_cpu, 3);
	expect_scheds(&p, (int32_t[]){ 3 }, 1);
	/* two CPUs: the usual positions */
	assert_int_equal(pto_gate_plan_share((int32_t[]){ 2, 3 }, 2, 0, 0, &p), 0);
	assert_int_equal(p.orch_cpu, 3);
	expect_scheds(&p, (int32_t[]){ 2 }, 1);
	/* more schedulers wanted than CPUs: round-robin inside the share, with a warning */
	assert_int_equal(pto_gate_plan_share((int32_t[]){ 4, 5, 6 }, 3, 4, 0, &p), 0);
	assert_int_equal(p.orch_cpu, 6);
	expect_scheds(&p, (int32_t[]){ 4, 5, 4, 5 }, 4);
	assert_non_null(strstr(p.warnings, "4 schedulers share the 3 CPU(s)"));
	assert_int_equal(pto_gate_plan_share(NULL, 0, 0, 0, &p), -EINVAL);
	assert_int_equal(pto_gate_plan_share((int32_t[]){ 1 }, 1, 0, 2, &p), -EINVAL);
}

/* No role of @p outside @share[0..n). */
static void expect_inside(const struct pto_gate_plan *p, const int32_t *share, uint32_t n)
{
	int32_t cpus[PTO_GATE_MAX_THREADS + 2];
	uint32_t k = 0;

	cpus[k++] = p->orch_cpu;
	if (p->wiring)
		cpus[k++] = p->wiring_cpu;
	for (uint32_t i = 0; i < p->num_schedulers; i++)
		cpus[k++] = p->sched_cpu[i];
	for (uint32_t i = 0; i < k; i++) {
		bool in = false;

		for (uint32_t j = 0; j < n; j++)
			in |= cpus[i] == share[j];
		if (!in)
			fail_msg("role %u on cpu %d, outside its share", i, cpus[i]);
	}
}

static void test_live_two_runtimes_divide(void **state)
{
	const int32_t mask2[] = { 0, 1 };
	struct pto_gate_plan a, b, alone;
	uint32_t base = pto_gate_live_count();

	(void)state;
	/* the first runtime alone: exactly pto_gate_plan()'s layout */
	assert_int_equal(pto_gate_plan(NULL, 0, mask2, 2, 0, 0, &alone), 0);
	memset(&a, 0, sizeof(a));
	assert_int_equal(pto_gate_plan_live(&a, &a, NULL, 0, mask2, 2, 0, 0, 24), 0);
	assert_int_equal(pto_gate_live_count(), base + 1);
	assert_int_equal(a.parts, 1);
	assert_int_equal(a.orch_cpu, alone.orch_cpu);
	expect_scheds(&a, alone.sched_cpu, alone.num_schedulers);
	assert_string_equal(a.warnings, alone.warnings);
	/* nobody joined: a refresh changes nothing */
	assert_int_equal(pto_gate_refresh(&a, 1), 0);

	/* a second runtime on the same allowlist: it gets cpu 1 only */
	memset(&b, 0, sizeof(b));
	assert_int_equal(pto_gate_plan_live(&b, &b, NULL, 0, mask2, 2, 0, 0, 24), 0);
	assert_int_equal(b.parts, 2);
	assert_int_equal(b.part, 1);
	expect_inside(&b, (int32_t[]){ 1 }, 1);
	expect_scheds(&b, (int32_t[]){ 1 }, 1);
	assert_non_null(strstr(b.share_desc, "runtime 2 of 2"));
	/* the first one moves onto cpu 0 at its next run, keeping its one scheduler */
	assert_int_equal(pto_gate_refresh(&a, 1), 1);
	assert_int_equal(a.parts, 2);
	expect_inside(&a, (int32_t[]){ 0 }, 1);
	assert_int_equal(a.num_schedulers, 1);

	/* the second leaves: the first gets the whole list back, as it was */
	pto_gate_leave(&b);
	assert_int_equal(pto_gate_live_count(), base + 1);
	assert_int_equal(pto_gate_refresh(&a, 1), 1);
	assert_int_equal(a.parts, 1);
	assert_int_equal(a.orch_cpu, alone.orch_cpu);
	expect_scheds(&a, alone.sched_cpu, alone.num_schedulers);
	pto_gate_leave(&a);
	assert_int_equal(pto_gate_live_count(), base);
	pto_gate_leave(&a);	/* twice: no-op */
}

static void test_live_keeps_scheduler_count(void **state)
{
	const int32_t mask4[] = { 0, 1, 2, 3 };
	struct pto_gate_plan a, b;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	/* alone on 4 CPUs: 3 schedulers */
	assert_int_equal(pto_gate_plan_live(&a, &a, NULL, 0, mask4, 4, 0, 0, 24), 0);
	assert_int_equal(a.num_schedulers, 3);
	/* created second: half the list, one scheduler + the orchestrator */
	assert_int_equal(pto_gate_plan_live(&b, &b, NULL, 0, mask4, 4, 0, 0, 24), 0);
	expect_scheds(&b, (int32_t[]){ 2 }, 1);
	assert_int_equal(b.orch_cpu, 3);
	/* the first keeps 3 schedulers, now all on its share {0, 1} */
	assert_int_equal(pto_gate_refresh(&a, 1), 1);
	expect_scheds(&a, (int32_t[]){ 0, 0, 0 }, 3);
	assert_int_equal(a.orch_cpu, 1);
	assert_non_null(strstr(a.warnings, "3 schedulers kept from creation"));
	pto_gate_leave(&b);
	pto_gate_leave(&a);
}

static void test_live_cluster_cap(void **state)
{
	const int32_t mask4[] = { 0, 1, 2, 3 };
	struct pto_gate_plan a;

	(void)state;
	memset(&a, 0, sizeof(a));
	/* 3 CPUs for schedulers, a 2-cluster device: capped, with the old warning */
	assert_int_equal(pto_gate_plan_live(&a, &a, NULL, 0, mask4, 4, 0, 0, 2), 0);
	expect_scheds(&a, (int32_t[]){ 0, 1 }, 2);
	assert_non_null(strstr(a.warnings, "3 schedulers capped to the device's 2 clusters"));
	pto_gate_leave(&a);
}

static void test_live_distinct_lists_not_divided(void **state)
{
	struct pto_gate_plan a, b;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	/* the user placed them: "0" and "1" are two groups of one */
	assert_int_equal(pto_gate_plan_live(&a, &a, (int32_t[]){ 0 }, 1, mask8, 8, 0, 0, 24), 0);
	assert_int_equal(pto_gate_plan_live(&b, &b, (int32_t[]){ 1 }, 1, mask8, 8, 0, 0, 24), 0);
	assert_int_equal(a.parts, 1);
	assert_int_equal(b.parts, 1);
	assert_int_equal(pto_gate_refresh(&a, 1), 0);
	assert_int_equal(a.orch_cpu, 0);
	assert_int_equal(b.orch_cpu, 1);
	pto_gate_leave(&a);
	pto_gate_leave(&b);
}

/* 3 runtimes on 2 CPUs: every thread pinned to one of the 2, so at most 2 run at once. */
static void test_live_more_runtimes_than_cpus(void **state)
{
	const int32_t mask2[] = { 0, 1 };
	struct pto_gate_plan p[3];

	(void)state;
	memset(p, 0, sizeof(p));
	for (int i = 0; i < 3; i++)
		assert_int_equal(pto_gate_plan_live(&p[i], &p[i], NULL, 0, mask2, 2, 0, 1, 24), 0);
	for (int i = 0; i < 3; i++) {
		pto_gate_refresh(&p[i], 1);
		assert_int_equal(p[i].parts, 3);
		expect_inside(&p[i], (int32_t[]){ i % 2 }, 1);
	}
	for (int i = 0; i < 3; i++)
		pto_gate_leave(&p[i]);
}

/*
 * Runtimes of one device (one owner) never run at once: they take one
 * share between them, each the whole list, while another device's runtime
 * still divides it with them (one part per device).  Halving the CPUs per
 * runtime left half of them idle in every run of a tool that keeps a
 * runtime per configuration (pto-bench: inline emulation fell to one CPU).
 */
static void test_live_one_device_one_share(void **state)
{
	const int32_t mask2[] = { 0, 1 };
	struct pto_gate_plan a, b, c, alone;
	int dev1, dev2;

	(void)state;
	assert_int_equal(pto_gate_plan(NULL, 0, mask2, 2, 0, 0, &alone), 0);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	assert_int_equal(pto_gate_plan_live(&a, &dev1, NULL, 0, mask2, 2, 0, 0, 24), 0);
	assert_int_equal(pto_gate_plan_live(&b, &dev1, NULL, 0, mask2, 2, 0, 0, 24), 0);
	assert_int_equal(b.parts, 1);
	assert_int_equal(b.orch_cpu, alone.orch_cpu);
	expect_scheds(&b, alone.sched_cpu, alone.num_schedulers);
	assert_int_equal(b.num_cpus, 2);
	/* nobody of another device joined: a stays as it was */
	pto_gate_refresh(&a, 1);
	assert_int_equal(a.parts, 1);
	assert_int_equal(a.num_cpus, 2);
	/* a second device: two parts, dev1's runtimes share part 0 */
	assert_int_equal(pto_gate_plan_live(&c, &dev2, NULL, 0, mask2, 2, 0, 0, 24), 0);
	assert_int_equal(c.parts, 2);
	assert_int_equal(c.part, 1);
	pto_gate_refresh(&a, 1);
	pto_gate_refresh(&b, 1);
	assert_int_equal(a.parts, 2);
	assert_int_equal(a.part, 0);
	assert_int_equal(b.part, 0);
	expect_inside(&a, (int32_t[]){ 0 }, 1);
	expect_inside(&b, (int32_t[]){ 0 }, 1);
	expect_inside(&c, (int32_t[]){ 1 }, 1);
	/* the device's first runtime leaves: its second keeps part 0 */
	pto_gate_leave(&a);
	pto_gate_refresh(&b, 1);
	assert_int_equal(b.parts, 2);
	assert_int_equal(b.part, 0);
	pto_gate_leave(&b);
	pto_gate_leave(&c);
}

static void test_share_print(void **state)
{
	const int32_t mask2[] = { 0, 1 };
	struct pto_gate_plan a, b;
	char buf[1024];
	FILE *f;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	assert_int_equal(pto_gate_plan_live(&a, &a, NULL, 0, mask2, 2, 0, 0, 24), 0);
	assert_int_equal(pto_gate_plan_live(&b, &b, NULL, 0, mask2, 2, 0, 0, 24), 0);
	f = fmemopen(buf, sizeof(buf), "w");
	assert_non_null(f);
	pto_gate_fprint(f, &b);
	fclose(f);
	assert_non_null(strstr(buf, "pto: runtime 2 of 2 sharing 2 CPU(s): cpus 1\n"
			       "pto: orchestrator cpu 1\npto: scheduler 0 cpu 1\n"));
	pto_gate_leave(&a);
	pto_gate_leave(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_divide_cases),
		cmocka_unit_test(test_divide_partitions),
		cmocka_unit_test(test_plan_share_roles),
		cmocka_unit_test(test_live_two_runtimes_divide),
		cmocka_unit_test(test_live_keeps_scheduler_count),
		cmocka_unit_test(test_live_cluster_cap),
		cmocka_unit_test(test_live_distinct_lists_not_divided),
		cmocka_unit_test(test_live_more_runtimes_than_cpus),
		cmocka_unit_test(test_live_one_device_one_share),
		cmocka_unit_test(test_share_print),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
