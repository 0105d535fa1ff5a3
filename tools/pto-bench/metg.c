// SPDX-License-Identifier: MIT
/*
 * metg.c - pto-bench's METG(50%) section: the granularity sweep of
 * busy-wait kernels on the stencil, the efficiency per point and where it
 * crosses 50%, its table and --plot (gnuplot).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/pto-bench/bench.h"

/* --- the sweep ---------------------------------------------------------------- */

static const uint64_t grains_full[] = { 500000, 200000, 100000, 50000, 20000, 10000, 5000,
					2000, 1000 };
static const uint64_t grains_quick[] = { 100000, 2000 };

const uint64_t *pb_grains(const struct bench *b, size_t *n)
{
	if (b->o.quick) {
		*n = sizeof(grains_quick) / sizeof(grains_quick[0]);
		return grains_quick;
	}
	*n = sizeof(grains_full) / sizeof(grains_full[0]);
	return grains_full;
}

/* Stencil tasks for a sweep point: about a fixed wall time, whole rows, bounded. */
uint64_t pb_metg_tasks(const struct bench *b, uint64_t grain)
{
	uint64_t target_ns = b->o.quick ? 20000000 : 250000000;
	uint64_t w = b->o.width, n = target_ns * b->cores_used / (grain ? grain : 1);
	uint64_t lo = (b->o.quick ? 4 : 16) * w, hi = b->o.quick ? 2000 : 40000;

	n = n < lo ? lo : n > hi ? hi : n;
	return (n + w - 1) / w * w;
}

/* --- efficiency and METG ------------------------------------------------------ */

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
	const uint64_t *gs = pb_grains(b, &ng);
	unsigned int cores = sys == SYS_PTO ? b->cores_used : b->ncpus;
	double best = 0;
	int last_ok = -1;

	memset(mt, 0, sizeof(*mt));
	mt->metg = NAN;
	for (size_t i = 0; i < ng; i++) {
		uint64_t n = pb_metg_tasks(b, gs[i]);
		struct job *j = pb_find_job(b, sys, SHAPE_STENCIL, MODE_AUTO, n, gs[i],
					    sys == SYS_PTO ? b->o.window : 0);
		double wall;

		if (!j || j->state != JOB_OK || !j->wall.n)
			continue;
		wall = pb_median(&j->wall);
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
	const uint64_t *gs = pb_grains(b, &ng);
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
		printf("  %9.1f %7" PRIu64, gs[i] / 1e3, pb_metg_tasks(b, gs[i]));
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

/* --- --plot ------------------------------------------------------------------- */

static int plot(struct bench *b, const struct metg *mts)
{
	char dat[] = "/tmp/pto-bench-XXXXXX";
	int fd = mkstemp(dat), nsys = b->o.peers ? SYS_COUNT : 1, rc;
	size_t ng;
	FILE *f, *gp;

	pb_grains(b, &ng);
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

int pb_have_gnuplot(void)
{
	return system("command -v gnuplot >/dev/null 2>&1") == 0;
}

/* --- the section -------------------------------------------------------------- */

int pb_report_metg(struct bench *b)
{
	struct metg mts[SYS_COUNT];

	report_metg(b, mts);
	return b->o.plot && plot(b, mts) ? -1 : 0;
}
