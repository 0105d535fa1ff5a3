// SPDX-License-Identifier: MIT
/*
 * pto-bench - runtime overhead benchmarks (DESIGN §7).
 *
 *	pto-bench [--quick] [--peers] [--plot FILE.svg] [--reps N] [--tasks N]
 *	          [--shapes LIST] [--modes LIST] [--width W] [--schedulers 1-3]
 *	          [--wiring 0|1] [--window N] [--device SPEC] [--sections LIST]
 *	          [--set KEY=VALUE]...
 *	pto-bench --trace FILE [--shape S] [--mode M] [--tasks N] [--grain NS] ...
 *
 * Measures, each as the median of interleaved repetitions in one run:
 *   1. per shape (independent, chain, stencil, tree) and dependency mode
 *      (auto, manual, explicit), with empty kernels: orchestrator submit
 *      ns/task and end-to-end ns/task; and the same per mode for paged
 *      attention (examples/, real kernels, checked against the golden) when
 *      this build has it: auto = paged_attention_unroll, manual =
 *      paged_attention_unroll_manual, explicit = that one on an
 *      explicit-only runtime, all on the same case, followed by the
 *      manual/explicit e2e and manual|explicit/auto submit ratios;
 *   2. METG(50%) over a granularity sweep of busy-wait kernels on the
 *      stencil shape (3 deps per task);
 *   3. back-pressure: throughput with a 1024-slot window vs 16384.
 * With --peers the same graphs (tests/peers/shapes.h) run interleaved on
 * OpenMP tasks and StarPU (build/bin/peer-*) and the tables add our/peer
 * ratios.  --trace records and writes one run's trace instead.
 *
 * Exit status (tools/cli/cli.h): 0; 1 a run failed; 2 bad usage or input
 * (one line on stderr), a device spec that is wrong included.
 *
 * Progress goes to stderr: on a terminal one updating line (repetition,
 * section, row); otherwise one line per section of each repetition.
 *
 * PTO_HAZARDS=raw|track|check (docs/runtime.md) sets the hazard mode of
 * every runtime it builds and is named in the header: run it once per
 * mode to compare their submit and e2e costs (docs/benchmarks.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pto/pto.h"
#include "pto/trace.h"
#include "tests/peers/shapes.h"
#include "tools/cli/cli.h"
#include "tools/parse_num.h"
#include "tools/pto-bench/bench.h"

/* The paged-attention example, when examples/ is part of this tree. */
#if __has_include("examples/example.h")
#include "examples/example.h"
#define HAVE_EXAMPLES		1
#endif

#define K_SPIN			(PTO2_MAX_KERNELS - 1)	/* clear of the examples' ids */

/* --- statistics ------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const struct samples *s)
{
	double tmp[MAX_REPS];

	if (!s->n)
		return NAN;
	memcpy(tmp, s->v, s->n * sizeof(double));
	qsort(tmp, s->n, sizeof(double), cmp_double);
	return s->n & 1 ? tmp[s->n / 2] : (tmp[s->n / 2 - 1] + tmp[s->n / 2]) / 2;
}

/* --- jobs: one measured configuration, run once per repetition ------------------- */

static struct job *add_job(struct bench *b, int sys, int shape, int mode, uint64_t tasks,
			   uint64_t grain, uint32_t window)
{
	struct job *j;

	for (uint32_t i = 0; i < b->njobs; i++) {
		j = &b->jobs[i];
		if (j->sys == sys && j->shape == shape && j->mode == mode && j->tasks == tasks &&
		    j->grain == grain && j->window == window)
			return j;
	}
	if (b->njobs == b->cap_jobs) {
		b->cap_jobs = b->cap_jobs ? 2 * b->cap_jobs : 64;
		b->jobs = realloc(b->jobs, b->cap_jobs * sizeof(*b->jobs));
		if (!b->jobs) {
			fprintf(stderr, "pto-bench: out of memory\n");
			exit(1);
		}
	}
	j = &b->jobs[b->njobs++];
	*j = (struct job){ .sys = sys, .shape = shape, .mode = mode, .tasks = tasks,
			   .grain = grain, .window = window, .section = b->plan_section };
	if (sys != SYS_PTO && !b->peer_ok[sys]) {
		j->state = JOB_MISSING;
		snprintf(j->err, sizeof(j->err), "%s not built", b->peer_path[sys]);
	}
	return j;
}

static struct job *find_job(struct bench *b, int sys, int shape, int mode, uint64_t tasks,
			    uint64_t grain, uint32_t window)
{
	for (uint32_t i = 0; i < b->njobs; i++) {
		struct job *j = &b->jobs[i];

		if (j->sys == sys && j->shape == shape && j->mode == mode && j->tasks == tasks &&
		    j->grain == grain && j->window == window)
			return j;
	}
	return NULL;
}


/* --- the plan ----------------------------------------------------------------- */

static const uint64_t grains_full[] = { 500000, 200000, 100000, 50000, 20000, 10000, 5000,
					2000, 1000 };
static const uint64_t grains_quick[] = { 100000, 2000 };

static const uint64_t *grains(const struct bench *b, size_t *n)
{
	if (b->o.quick) {
		*n = sizeof(grains_quick) / sizeof(grains_quick[0]);
		return grains_quick;
	}
	*n = sizeof(grains_full) / sizeof(grains_full[0]);
	return grains_full;
}

/* Stencil tasks for a sweep point: about a fixed wall time, whole rows, bounded. */
static uint64_t metg_tasks(const struct bench *b, uint64_t grain)
{
	uint64_t target_ns = b->o.quick ? 20000000 : 250000000;
	uint64_t w = b->o.width, n = target_ns * b->cores_used / (grain ? grain : 1);
	uint64_t lo = (b->o.quick ? 4 : 16) * w, hi = b->o.quick ? 2000 : 40000;

	n = n < lo ? lo : n > hi ? hi : n;
	return (n + w - 1) / w * w;
}

static void plan(struct bench *b)
{
	size_t ng;
	const uint64_t *gs = grains(b, &ng);
	int nsys = b->o.peers ? SYS_COUNT : 1;

	/* 1. every shape x mode: empty kernels, and paged attention with its real ones */
	b->plan_section = SEC_E2E;
	for (int m = 0; m < MODE_COUNT; m++)
		if ((b->o.shapes & (1u << SHAPE_PA)) && (b->o.sections & (1u << SEC_E2E)) &&
		    (b->o.modes & (1u << m)))
			add_job(b, SYS_PTO, SHAPE_PA, m, 0, 0, b->o.window);
	for (int s = 0; s < SHAPE_COUNT; s++) {
		if (!(b->o.shapes & (1u << s)) || !(b->o.sections & (1u << SEC_E2E)))
			continue;
		for (int m = 0; m < MODE_COUNT; m++)
			if (b->o.modes & (1u << m))
				add_job(b, SYS_PTO, s, m, b->o.tasks, 0, b->o.window);
		for (int sys = SYS_OMP; sys < nsys; sys++)
			add_job(b, sys, s, MODE_AUTO, b->o.tasks, 0, 0);
	}
	/* 2. METG sweep on the stencil */
	b->plan_section = SEC_METG;
	for (size_t i = 0; i < ng && (b->o.sections & (1u << SEC_METG)); i++) {
		uint64_t n = metg_tasks(b, gs[i]);

		add_job(b, SYS_PTO, SHAPE_STENCIL, MODE_AUTO, n, gs[i], b->o.window);
		for (int sys = SYS_OMP; sys < nsys; sys++)
			add_job(b, sys, SHAPE_STENCIL, MODE_AUTO, n, gs[i], 0);
	}
	/* 3. back-pressure */
	b->plan_section = SEC_WINDOW;
	if (b->o.sections & (1u << SEC_WINDOW)) {
		add_job(b, SYS_PTO, SHAPE_INDEPENDENT, MODE_AUTO, b->o.tasks, 0, 1024);
		add_job(b, SYS_PTO, SHAPE_INDEPENDENT, MODE_AUTO, b->o.tasks, 0, 16384);
	}
}

/*
 * Where the run is, on stderr: on a terminal one line rewritten per job
 * (repetition, section, row of the section, the job); in a log one line per
 * section of each repetition, so CI logs get milestones, not a flood.
 */
static void progress(struct bench *b, uint32_t rep, uint32_t i)
{
	const struct job *j = &b->jobs[i];
	uint32_t row = 0, rows = 0;
	char what[96];

	for (uint32_t k = 0; k < b->njobs; k++) {
		if (b->jobs[k].section != j->section)
			continue;
		rows++;
		row += k <= i;
	}
	if (j->grain)
		snprintf(what, sizeof(what), "%s %s, grain %" PRIu64 " ns", pb_sys_names[j->sys],
			 pb_shape_name(j->shape), j->grain);
	else if (j->section == SEC_WINDOW)
		snprintf(what, sizeof(what), "%s %s %s, window %u", pb_sys_names[j->sys],
			 pb_shape_name(j->shape), pb_mode_names[j->mode], j->window);
	else
		snprintf(what, sizeof(what), "%s %s %s", pb_sys_names[j->sys], pb_shape_name(j->shape),
			 pb_mode_names[j->mode]);
	if (cli_stderr_tty())
		cli_progress(0, "repetition %u/%u, %s row %u/%u: %s", rep + 1, b->o.reps,
			     pb_section_names[j->section], row, rows, what);
	else if (row == 1)
		cli_progress(1, "repetition %u/%u: %s, %u row%s", rep + 1, b->o.reps,
			     pb_section_names[j->section], rows, rows == 1 ? "" : "s");
}

static void run_all(struct bench *b)
{
	for (uint32_t r = 0; r < b->o.reps; r++) {
		for (uint32_t i = 0; i < b->njobs; i++) {
			struct job *j = &b->jobs[i];

			progress(b, r, i);
			if (j->state != JOB_OK)
				continue;
			if (j->shape == SHAPE_PA)
				pb_run_pa_job(b, j);
			else if (j->sys == SYS_PTO)
				pb_run_pto_job(b, j);
			else
				pb_run_peer_job(b, j);
		}
	}
	cli_progress_done();
}

/* --- reporting ---------------------------------------------------------------- */

static double job_ns_per_task(const struct job *j)
{
	if (!j || j->state != JOB_OK || !j->wall.n)
		return NAN;
	return median(&j->wall) / (double)j->real_tasks;
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
	struct job *n = find_job(b, SYS_PTO, SHAPE_PA, num, 0, 0, b->o.window);
	struct job *d = find_job(b, SYS_PTO, SHAPE_PA, den, 0, 0, b->o.window);

	if (!n || !d || n->state != JOB_OK || d->state != JOB_OK || !n->wall.n || !d->wall.n)
		return NAN;
	if (!submit)
		return job_ns_per_task(n) / job_ns_per_task(d);
	return (median(&n->submit) / (double)n->real_tasks) /
	       (median(&d->submit) / (double)d->real_tasks);
}

/* Ratios between the paged-attention modes: only those whose both sides were measured. */
static void report_pa_ratios(struct bench *b)
{
	static const struct { int num, den, submit; const char *what; } r[] = {
		{ MODE_MANUAL, MODE_EXPLICIT, 0, "manual/explicit e2e" },
		{ MODE_MANUAL, MODE_AUTO, 1, "submit manual/auto" },
		{ MODE_EXPLICIT, MODE_AUTO, 1, "submit explicit/auto" },
	};
	char label[256];
	int first = 1;

	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		double v = pa_ratio(b, r[i].num, r[i].den, r[i].submit);

		if (isnan(v) || isinf(v))
			continue;
		if (first) {
			pb_pa_case_label(b, label, sizeof(label));
			printf("\n  PA case: %s\n", label);
		}
		first = 0;
		printf("  PA %s: %.2f\n", r[i].what, v);
	}
}

static void report_e2e(struct bench *b)
{
	printf("\n1. empty tasks: orchestrator submit and end-to-end cost, ns per task\n"
	       "   (submit = orchestrator time outside back-pressure waits / tasks; "
	       "e2e = pto_run() wall / tasks%s\n\n",
	       (b->o.shapes & (1u << SHAPE_PA)) ?
	       ";\n   paged_attn: real kernels, one case, auto = paged_attention_unroll, "
	       "manual/explicit =\n   paged_attention_unroll_manual on an auto/explicit-only "
	       "runtime)" : ")");
	printf("  %-12s %-9s %8s %10s %10s", "shape", "mode", "tasks", "submit", "e2e");
	if (b->o.peers)
		printf(" | %10s %8s | %10s %8s", "omp e2e", "pto/omp", "starpu e2e", "pto/stpu");
	printf("\n");
	for (int s = 0; s < NUM_SHAPES; s++) {
		if (!(b->o.shapes & (1u << s)))
			continue;
		for (int m = 0; m < MODE_COUNT; m++) {
			struct job *j = find_job(b, SYS_PTO, s, m, s == SHAPE_PA ? 0 : b->o.tasks, 0,
						 b->o.window);
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
			print_cell(median(&j->submit) / (double)j->real_tasks, 11, "%*.1f");
			print_cell(e2e, 11, "%*.1f");
			if (b->o.peers && m == MODE_AUTO && s != SHAPE_PA) {
				for (int sys = SYS_OMP; sys < SYS_COUNT; sys++) {
					struct job *p = find_job(b, sys, s, MODE_AUTO, b->o.tasks,
								 0, 0);
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
	report_pa_ratios(b);
}

struct metg {
	double gran[16];	/* measured granularity wall*cores/tasks, ns */
	double eff[16];		/* normalised to the best point */
	double raw[16];		/* tasks*grain/(wall*cores) */
	int ok[16];
	double metg;		/* ns, NAN when not determined */
	int below_all;		/* efficiency stayed >= 50% down to the smallest grain */
};

static void compute_metg(struct bench *b, int sys, struct metg *mt)
{
	size_t ng;
	const uint64_t *gs = grains(b, &ng);
	unsigned int cores = sys == SYS_PTO ? b->cores_used : b->ncpus;
	double best = 0;
	int last_ok = -1;

	memset(mt, 0, sizeof(*mt));
	mt->metg = NAN;
	for (size_t i = 0; i < ng; i++) {
		uint64_t n = metg_tasks(b, gs[i]);
		struct job *j = find_job(b, sys, SHAPE_STENCIL, MODE_AUTO, n, gs[i],
					 sys == SYS_PTO ? b->o.window : 0);
		double wall;

		if (!j || j->state != JOB_OK || !j->wall.n)
			continue;
		wall = median(&j->wall);
		mt->ok[i] = 1;
		mt->gran[i] = wall * cores / (double)j->real_tasks;
		mt->raw[i] = (double)j->real_tasks * (double)gs[i] / (wall * cores);
		if (mt->raw[i] > best)
			best = mt->raw[i];
	}
	if (best <= 0)
		return;
	for (size_t i = 0; i < ng; i++) {
		if (!mt->ok[i])
			continue;
		mt->eff[i] = mt->raw[i] / best;
		/* grains run from large to small: find the first crossing below 50% */
		if (mt->eff[i] >= 0.5) {
			last_ok = (int)i;
			continue;
		}
		if (last_ok >= 0 && isnan(mt->metg)) {
			double g1 = log(mt->gran[last_ok]), g2 = log(mt->gran[i]);
			double e1 = mt->eff[last_ok], e2 = mt->eff[i];

			mt->metg = exp(g1 + (0.5 - e1) * (g2 - g1) / (e2 - e1));
		}
	}
	if (isnan(mt->metg) && last_ok >= 0) {
		mt->below_all = 1;
		mt->metg = mt->gran[last_ok];
	}
}

static void report_metg(struct bench *b, struct metg *mts)
{
	size_t ng;
	const uint64_t *gs = grains(b, &ng);
	int nsys = b->o.peers ? SYS_COUNT : 1;

	printf("\n2. METG(50%%): stencil, width %u, 3 deps per task, busy-wait kernels\n"
	       "   efficiency = tasks x grain / (wall x cores), relative to the best point of "
	       "the same system;\n   granularity = wall x cores / tasks; cores: pto %u "
	       "(device workers), peers %u threads\n\n",
	       b->o.width, b->cores_used, b->ncpus);
	printf("  %9s %7s", "grain us", "tasks");
	for (int s = 0; s < nsys; s++)
		printf(" | %-6s %7s %6s", pb_sys_names[s], "gran us", "eff");
	printf("\n");
	for (int s = 0; s < nsys; s++)
		compute_metg(b, s, &mts[s]);
	for (size_t i = 0; i < ng; i++) {
		printf("  %9.1f %7" PRIu64, gs[i] / 1e3, metg_tasks(b, gs[i]));
		for (int s = 0; s < nsys; s++) {
			if (!mts[s].ok[i]) {
				printf(" | %-6s %7s %6s", "", "-", "-");
				continue;
			}
			printf(" | %-6s %7.1f %5.0f%%", "", mts[s].gran[i] / 1e3,
			       mts[s].eff[i] * 100);
		}
		printf("\n");
	}
	printf("\n");
	for (int s = 0; s < nsys; s++) {
		struct metg *mt = &mts[s];

		if (isnan(mt->metg)) {
			struct job *j = NULL;

			for (uint32_t i = 0; i < b->njobs; i++)
				if (b->jobs[i].sys == s && b->jobs[i].grain && b->jobs[i].state)
					j = &b->jobs[i];
			printf("  METG(50%%) %-6s: not determined%s%s\n", pb_sys_names[s],
			       j ? ": " : "", j ? j->err : "");
		} else {
			printf("  METG(50%%) %-6s: %s%.1f us\n", pb_sys_names[s],
			       mt->below_all ? "<= " : "", mt->metg / 1e3);
		}
	}
	if (b->o.peers && !isnan(mts[SYS_PTO].metg))
		for (int s = SYS_OMP; s < SYS_COUNT; s++)
			if (!isnan(mts[s].metg))
				printf("  METG pto/%s: %.2f\n", pb_sys_names[s],
				       mts[SYS_PTO].metg / mts[s].metg);
}

static void report_window(struct bench *b)
{
	struct job *small = find_job(b, SYS_PTO, SHAPE_INDEPENDENT, MODE_AUTO, b->o.tasks, 0, 1024);
	struct job *big = find_job(b, SYS_PTO, SHAPE_INDEPENDENT, MODE_AUTO, b->o.tasks, 0, 16384);
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

static int plot(struct bench *b, const struct metg *mts)
{
	char dat[] = "/tmp/pto-bench-XXXXXX";
	int fd = mkstemp(dat), nsys = b->o.peers ? SYS_COUNT : 1, rc;
	size_t ng;
	FILE *f, *gp;

	grains(b, &ng);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		fprintf(stderr, "pto-bench: --plot: cannot create %s: %s\n", dat, strerror(errno));
		return -1;
	}
	for (int s = 0; s < nsys; s++) {
		fprintf(f, "# %s\n", pb_sys_names[s]);
		for (size_t i = 0; i < ng; i++)
			if (mts[s].ok[i])
				fprintf(f, "%g %g\n", mts[s].gran[i] / 1e3, mts[s].eff[i] * 100);
		fprintf(f, "\n\n");
	}
	fclose(f);
	gp = popen("gnuplot", "w");
	if (!gp) {
		fprintf(stderr, "pto-bench: --plot: cannot run gnuplot\n");
		unlink(dat);
		return -1;
	}
	fprintf(gp, "set terminal svg size 800,500 dynamic\nset output '%s'\n"
		"set logscale x\nset xlabel 'task granularity (us, wall x cores / tasks)'\n"
		"set ylabel 'efficiency (%% of best)'\nset yrange [0:110]\nset key bottom right\n"
		"set title 'pto-bench: efficiency vs task granularity (stencil, 3 deps/task)'\n"
		"plot 50 title 'METG threshold' dashtype 2 lc rgb 'gray'", b->o.plot);
	for (int s = 0; s < nsys; s++)
		fprintf(gp, ", '%s' index %d with linespoints title '%s'", dat, s, pb_sys_names[s]);
	fprintf(gp, "\n");
	rc = pclose(gp);
	unlink(dat);
	if (rc) {
		fprintf(stderr, "pto-bench: --plot: gnuplot failed (status %d)\n", rc);
		return -1;
	}
	printf("\nplot written to %s\n", b->o.plot);
	return 0;
}

static int have_gnuplot(void)
{
	return system("command -v gnuplot >/dev/null 2>&1") == 0;
}

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

/* --- main ---------------------------------------------------------------------- */

/* Hazard mode every runtime of this run uses ($PTO_HAZARDS, for the header). */
static const char *hazards_name = "raw";

int main(int argc, char **argv)
{
	struct bench *b = calloc(1, sizeof(*b));
	struct metg mts[SYS_COUNT];
	char cpu[128];
	int rc, ret = 0;

	if (!b) {
		fprintf(stderr, "pto-bench: out of memory\n");
		return 1;
	}
	cli_init("pto-bench", pb_usage);
	pb_parse_opts(argc, argv, &b->o);
	if (b->o.trace)
		cli_check_writable("--trace", b->o.trace);
	if (b->o.plot)
		cli_check_writable("--plot", b->o.plot);
	if (b->o.plot && !have_gnuplot())
		usage_error("--plot needs gnuplot, which is not installed "
			    "(tools/install-deps.sh --bench)");
	b->ncpus = (unsigned int)sysconf(_SC_NPROCESSORS_ONLN);
	pb_find_peers(b);

	rc = pto_device_open(b->o.device, &b->dev);
	if (rc) {
		fprintf(stderr, "pto-bench: cannot open device '%s': %s\n",
			b->o.device ? b->o.device : "(default)", pto_last_error());
		free(b);
		return cli_device_status(rc);
	}
	pto_device_get_info(b->dev, &b->info);
	b->cores_used = b->info.num_workers ? b->info.num_workers : b->info.num_cores;
	if (b->cores_used > b->ncpus)
		b->cores_used = b->ncpus;

	b->max_cells = 3 * 4096 + 16;
	rc = pto_mem_alloc(b->dev, (uint64_t)b->max_cells * CELL_BYTES, 64, &b->cells_addr);
	if (rc) {
		fprintf(stderr, "pto-bench: cannot allocate device memory: %s\n",
			pto_last_error());
		pto_device_close(b->dev);
		free(b);
		return 1;
	}

	if (b->o.nsets)
		pb_pa_check_sets(b);
	if (b->o.trace) {
		ret = pb_trace_run(b);
		goto out;
	}

	cpu_model(cpu, sizeof(cpu));
	{
		/* every runtime takes $PTO_HAZARDS: say which, and refuse a bad one once */
		static const char *const hz_names[] = { "raw", "track", "check" };
		struct pto_runtime_config cfg;

		if (pto_runtime_config_init(&cfg))
			usage_error("%s", pto_last_error());
		hazards_name = cfg.hazards < 3 ? hz_names[cfg.hazards] : "?";
	}
	printf("pto-bench: device %s (%u clusters, %u cores, %u worker threads), %u CPUs (%s)\n",
	       b->info.spec, b->info.num_clusters, b->info.num_cores, b->info.num_workers,
	       b->ncpus, cpu);
	printf("  schedulers %s, wiring %s, window %u, scopes of %u tasks, hazards %s "
	       "(PTO_HAZARDS), median of %u interleaved repetition%s%s\n",
	       b->o.schedulers ? (char[]){ (char)('0' + b->o.schedulers), 0 } : "default",
	       b->o.wiring < 0 ? "default" : b->o.wiring ? "on" : "off", b->o.window,
	       b->o.chunk, hazards_name, b->o.reps, b->o.reps == 1 ? "" : "s",
	       b->o.quick ? " (--quick)" : "");
	if (b->o.peers)
		for (int s = SYS_OMP; s < SYS_COUNT; s++)
			if (!b->peer_ok[s])
				printf("  *** peer %s SKIPPED: %s not built (its library is not "
				       "installed; tools/install-deps.sh --bench)\n",
				       pb_sys_names[s], b->peer_path[s]);
	fflush(stdout);

	plan(b);
	run_all(b);
	if (b->o.sections & (1u << SEC_E2E))
		report_e2e(b);
	if (b->o.sections & (1u << SEC_METG)) {
		report_metg(b, mts);
		if (b->o.plot && plot(b, mts))
			ret = 1;
	}
	if (b->o.sections & (1u << SEC_WINDOW))
		report_window(b);

	for (uint32_t i = 0; i < b->njobs; i++)
		if (b->jobs[i].sys == SYS_PTO && b->jobs[i].state == JOB_FAILED)
			ret = 1;
	if (ret)
		printf("\npto-bench: some runs FAILED (see above)\n");
out:
	for (uint32_t i = 0; i < b->nrts; i++)
		pto_runtime_destroy(b->rts[i].rt);
	pto_mem_free(b->dev, b->cells_addr);
	pto_device_close(b->dev);
	free(b->jobs);
	free(b);
	return ret;
}
