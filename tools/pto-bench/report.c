// SPDX-License-Identifier: MIT
/*
 * report.c - pto-bench's report on stdout: the header (device, CPUs,
 * runtime configuration), the end-to-end table with the paged-attention
 * and peer ratios, and the back-pressure section.  METG has its own file
 * (metg.c).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tools/pto-bench/bench.h"

/* --- reporting ---------------------------------------------------------------- */

static double job_ns_per_task(const struct job *j)
{
	if (!j || j->state != JOB_OK || !j->wall.n)
		return NAN;
	return pb_median(&j->wall) / (double)j->real_tasks;
}

static const char *job_problem(const struct job *j)
{
	switch (j->state) {
	case JOB_FAILED: return "FAILED";
	case JOB_UNSUPPORTED: return "unsupported";
	case JOB_MISSING: return "not built";
	}
	return "";
}

static void print_cell(double v, int width, const char *fmt)
{
	if (isnan(v))
		printf("%*s", width, "-");
	else
		printf(fmt, width, v);
}

/*
 * @num / @den of the paged-attention shape's per-task medians (e2e, or
 * submit when @submit) from the same interleaved run; NAN unless both
 * modes were measured.
 */
static double pa_ratio(struct bench *b, int num, int den, int submit)
{
	struct job *n = pb_find_job(b, SYS_PTO, SHAPE_PA, num, 0, 0, 0, b->o.window);
	struct job *d = pb_find_job(b, SYS_PTO, SHAPE_PA, den, 0, 0, 0, b->o.window);

	if (!n || !d || n->state != JOB_OK || d->state != JOB_OK || !n->wall.n || !d->wall.n)
		return NAN;
	if (!submit)
		return job_ns_per_task(n) / job_ns_per_task(d);
	return (pb_median(&n->submit) / (double)n->real_tasks) /
	       (pb_median(&d->submit) / (double)d->real_tasks);
}

/* Min and max of @j's per-task e2e over its repetitions. */
static void pa_spread(const struct job *j, double *lo, double *hi)
{
	*lo = INFINITY;
	*hi = -INFINITY;
	for (uint32_t i = 0; i < j->wall.n; i++) {
		double v = j->wall.v[i] / (double)j->real_tasks;

		*lo = v < *lo ? v : *lo;
		*hi = v > *hi ? v : *hi;
	}
}

/*
 * The spread of the headline ratio: manual/explicit per repetition (the
 * two ran next to each other in every one), min and max.  0 when the two
 * do not have the same repetitions.
 */
static int pa_ratio_spread(struct bench *b, double *lo, double *hi)
{
	struct job *n = pb_find_job(b, SYS_PTO, SHAPE_PA, MODE_MANUAL, 0, 0, 0, b->o.window);
	struct job *d = pb_find_job(b, SYS_PTO, SHAPE_PA, MODE_EXPLICIT, 0, 0, 0, b->o.window);

	if (!n || !d || n->state != JOB_OK || d->state != JOB_OK || n->wall.n != d->wall.n ||
	    !n->wall.n)
		return 0;
	*lo = INFINITY;
	*hi = -INFINITY;
	for (uint32_t i = 0; i < n->wall.n; i++) {
		double r = (n->wall.v[i] / (double)n->real_tasks) /
			   (d->wall.v[i] / (double)d->real_tasks);

		*lo = r < *lo ? r : *lo;
		*hi = r > *hi ? r : *hi;
	}
	return 1;
}

/*
 * The paged-attention case, each measured mode's spread, and the ratios
 * between the modes: only those whose both sides were measured.
 */
static void report_pa_ratios(struct bench *b)
{
	static const struct { int num, den, submit; const char *what; } r[] = {
		{ MODE_MANUAL, MODE_EXPLICIT, 0, "manual/explicit e2e" },
		{ MODE_MANUAL, MODE_AUTO, 1, "submit manual/auto" },
		{ MODE_EXPLICIT, MODE_AUTO, 1, "submit explicit/auto" },
	};
	char label[256];
	int first = 1;

	for (int m = 0; m < MODE_COUNT; m++) {
		struct job *j = pb_find_job(b, SYS_PTO, SHAPE_PA, m, 0, 0, 0, b->o.window);
		double lo, hi;

		if (!j || j->state != JOB_OK || !j->wall.n)
			continue;
		if (first) {
			pb_pa_case_label(b, label, sizeof(label));
			printf("\n  PA case: %s (%" PRIu64 " tasks)\n", label, j->real_tasks);
		}
		first = 0;
		pa_spread(j, &lo, &hi);
		printf("  PA %-8s e2e ns/task over %u interleaved repetitions: median %.1f, "
		       "min %.1f, max %.1f\n", pb_mode_names[m], j->wall.n, job_ns_per_task(j),
		       lo, hi);
	}
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		double v = pa_ratio(b, r[i].num, r[i].den, r[i].submit), lo, hi;

		if (isnan(v) || isinf(v))
			continue;
		printf("  PA %s: %.2f", r[i].what, v);
		if (i == 0 && pa_ratio_spread(b, &lo, &hi))
			printf(" (target <= 1.05; per repetition min %.2f, max %.2f)", lo, hi);
		printf("\n");
	}
}

/* Median per task of @s (ns per run) for @j; NAN when not measured. */
static double per_task(const struct job *j, const struct samples *s)
{
	if (!j || j->state != JOB_OK || !s->n || !j->real_tasks)
		return NAN;
	return pb_median(s) / (double)j->real_tasks;
}

/* The target shape: AUTO, 1 input and 1 output, empty kernels (independent). */
static void report_cpu_target(struct bench *b)
{
	struct job *j = pb_find_job(b, SYS_PTO, SHAPE_INDEPENDENT, MODE_AUTO, b->o.tasks,
				    b->o.width, 0, b->o.window);

	if (!j || j->state != JOB_OK || !j->wall.n)
		return;
	printf("\n  runtime CPU per task, independent auto (1 input, 1 output, empty kernel):\n"
	       "    orchestrator %.1f ns (target <= 100), schedulers %.1f ns (target <= 150)\n",
	       per_task(j, &j->orch_cpu), per_task(j, &j->sched_cpu));
}

void pb_report_e2e(struct bench *b)
{
	printf("\n1. empty tasks: orchestrator submit and end-to-end cost, ns per task\n"
	       "   (submit = orchestrator time outside back-pressure waits / tasks; "
	       "e2e = pto_run() wall / tasks;\n   orch cpu = orchestrator thread CPU "
	       "outside waits / tasks; sched cpu = scheduler and\n   wiring threads' CPU "
	       "minus emulated cores / tasks; all medians%s\n\n",
	       (b->o.shapes & (1u << SHAPE_PA)) ?
	       ";\n   paged_attn: real kernels, one case, auto = paged_attention_unroll, "
	       "manual/explicit =\n   paged_attention_unroll_manual on an auto/explicit-only "
	       "runtime, at least " PA_MIN_REPS_STR "\n   repetitions)" : ")");
	printf("  %-12s %-9s %8s %10s %10s %10s %10s", "shape", "mode", "tasks", "submit", "e2e",
	       "orch cpu", "sched cpu");
	if (b->o.peers)
		printf(" | %10s %8s | %10s %8s", "omp e2e", "pto/omp", "starpu e2e", "pto/stpu");
	printf("\n");
	for (int s = 0; s < NUM_SHAPES; s++) {
		if (!(b->o.shapes & (1u << s)))
			continue;
		for (int m = 0; m < MODE_COUNT; m++) {
			struct job *j = pb_find_job(b, SYS_PTO, s, m,
						    s == SHAPE_PA ? 0 : b->o.tasks,
						    s == SHAPE_PA ? 0 : b->o.width, 0, b->o.window);
			double e2e;

			if (!j)
				continue;
			printf("  %-12s %-9s %8" PRIu64, pb_shape_name(s), pb_mode_names[m],
			       j->real_tasks ? j->real_tasks : j->tasks);
			e2e = job_ns_per_task(j);
			if (j->state != JOB_OK) {
				printf("  %s: %s\n", job_problem(j), j->err);
				continue;
			}
			print_cell(pb_median(&j->submit) / (double)j->real_tasks, 11, "%*.1f");
			print_cell(e2e, 11, "%*.1f");
			print_cell(per_task(j, &j->orch_cpu), 11, "%*.1f");
			print_cell(per_task(j, &j->sched_cpu), 11, "%*.1f");
			if (b->o.peers && m == MODE_AUTO && s != SHAPE_PA) {
				for (int sys = SYS_OMP; sys < SYS_COUNT; sys++) {
					struct job *p = pb_find_job(b, sys, s, MODE_AUTO,
								    b->o.tasks, b->o.width, 0, 0);
					double pv = job_ns_per_task(p);

					printf(" |");
					print_cell(pv, 11, "%*.1f");
					print_cell(e2e / pv, 9, "%*.2f");
				}
			}
			printf("\n");
		}
	}
	if (b->o.peers) {
		for (int sys = SYS_OMP; sys < SYS_COUNT; sys++) {
			for (uint32_t i = 0; i < b->njobs; i++) {
				struct job *p = &b->jobs[i];

				if (p->sys == sys && p->state != JOB_OK) {
					printf("  %s: %s: %s\n", pb_sys_names[sys], job_problem(p),
					       p->err);
					break;
				}
			}
		}
		printf("  (pto/peer < 1: pto is faster; peers run AUTO semantics only)\n");
	}
	report_cpu_target(b);
	report_pa_ratios(b);
}

void pb_report_window(struct bench *b)
{
	struct job *small = pb_find_job(b, SYS_PTO, SHAPE_INDEPENDENT, MODE_AUTO, b->o.tasks,
					b->o.width, 0, 1024);
	struct job *big = pb_find_job(b, SYS_PTO, SHAPE_INDEPENDENT, MODE_AUTO, b->o.tasks,
				      b->o.width, 0, 16384);
	double s = job_ns_per_task(small), l = job_ns_per_task(big);

	printf("\n3. back-pressure: independent empty tasks, %" PRIu64 " tasks, scopes of %u\n\n",
	       b->o.tasks, b->o.chunk);
	if (small->state != JOB_OK || big->state != JOB_OK) {
		printf("  %s: %s\n", job_problem(small->state ? small : big),
		       small->state ? small->err : big->err);
		return;
	}
	printf("  window  1024: %8.1f ns/task\n  window 16384: %8.1f ns/task\n", s, l);
	printf("  throughput ratio 1024/16384: %.2f\n", l / s);
}

/* --- the header --------------------------------------------------------------- */

static void cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(buf, len, "unknown CPU");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && c) {
			c++;
			while (*c == ' ')
				c++;
			c[strcspn(c, "\n")] = '\0';
			snprintf(buf, len, "%s", c);
			break;
		}
	}
	fclose(f);
}

/* The header: device, CPUs, and the configuration every runtime of this run uses. */
void pb_report_header(struct bench *b)
{
	/* every runtime takes $PTO_HAZARDS: say which, and refuse a bad one once */
	static const char *const hz_names[] = { "raw", "track", "check" };
	struct pto_runtime_config cfg;
	const char *hazards_name;
	char cpu[128];

	cpu_model(cpu, sizeof(cpu));
	if (pto_runtime_config_init(&cfg))
		usage_error("%s", pto_last_error());
	hazards_name = cfg.hazards < 3 ? hz_names[cfg.hazards] : "?";
	printf("pto-bench: device %s (%u clusters, %u cores, %u worker threads), %u CPUs (%s)\n",
	       b->info.spec, b->info.num_clusters, b->info.num_cores, b->info.num_workers,
	       b->ncpus, cpu);
	printf("  schedulers %s, wiring %s, window %u, scopes of %u tasks, hazards %s "
	       "(PTO_HAZARDS), median of %u interleaved repetition%s%s%s\n",
	       b->o.schedulers ? (char[]){ (char)('0' + b->o.schedulers), 0 } : "default",
	       b->o.wiring < 0 ? "default" : b->o.wiring ? "on" : "off", b->o.window,
	       b->o.chunk, hazards_name, b->o.reps, b->o.reps == 1 ? "" : "s",
	       b->o.reps < PA_MIN_REPS && (b->o.shapes & (1u << SHAPE_PA)) &&
	       (b->o.sections & (1u << SEC_E2E)) ? " (paged attention: " PA_MIN_REPS_STR ")" : "",
	       b->o.quick ? " (--quick)" : "");
	if (b->o.peers)
		for (int s = SYS_OMP; s < SYS_COUNT; s++)
			if (!b->peer_ok[s])
				printf("  *** peer %s SKIPPED: %s not built (its library is not "
				       "installed; tools/install-deps.sh --bench)\n",
				       pb_sys_names[s], b->peer_path[s]);
	fflush(stdout);
}
