// SPDX-License-Identifier: MIT
/*
 * metg.c - pto-bench's METG(50%) section, measured as Task Bench (SC'20)
 * does: over the granularity sweep of busy-wait kernels on the stencil
 * (plan.c: powers of two, every width of --metg-widths), the efficiency per point against
 * the best work rate of any system at that width, the smallest granularity
 * still at 50%, its tables and --plot (gnuplot).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/pto-bench/bench.h"

/* --- efficiency and METG ------------------------------------------------------ */

struct metg {
	double gran[PB_MAX_GRAINS];	/* measured granularity wall*workers/tasks, ns */
	double rate[PB_MAX_GRAINS];	/* work rate tasks*grain/wall (workers kept busy) */
	double eff[PB_MAX_GRAINS];		/* rate / the best rate of any system, same width */
	int ok[PB_MAX_GRAINS];
	double metg;		/* ns, NAN when no point reached 50% */
	int below_all;		/* still >= 50% at the smallest grain: METG is at most that */
};

/* One width's sweep, every system: the Task Bench efficiency and METG(50%). */
struct metg_width {
	uint32_t width;
	struct metg sys[SYS_COUNT];
	double best_rate;	/* the best work rate any system reached at this width */
	int best_sys;
	uint64_t best_grain;
};

static unsigned int sys_workers(const struct bench *b, int sys)
{
	return sys == SYS_PTO ? b->cores_used : b->ncpus;
}

static void measure_sys(struct bench *b, uint32_t width, int sys, struct metg *mt)
{
	size_t ng;
	const uint64_t *gs = pb_grains(b, &ng);

	memset(mt, 0, sizeof(*mt));
	mt->metg = NAN;
	for (size_t i = 0; i < ng; i++) {
		uint64_t n = pb_metg_tasks(b, gs[i], width);
		struct job *j = pb_find_job(b, sys, SHAPE_STENCIL, MODE_AUTO, n, width, gs[i],
					    sys == SYS_PTO ? b->o.window : 0);
		double wall;

		if (!j || j->state != JOB_OK || !j->wall.n)
			continue;
		wall = pb_median(&j->wall);
		mt->ok[i] = 1;
		mt->gran[i] = wall * sys_workers(b, sys) / (double)j->real_tasks;
		mt->rate[i] = (double)j->real_tasks * (double)gs[i] / wall;
	}
}

/*
 * Task Bench (SC'20): efficiency is the work rate relative to the best any
 * system reached in the same run, not a system's own best point, so a
 * runtime whose threads slow even its largest grains does not look
 * efficient by its own yardstick.  METG(50%) is the smallest granularity
 * measured at >= 50% of that.
 */
static void compute_width(struct bench *b, uint32_t width, struct metg_width *mw)
{
	size_t ng;
	const uint64_t *gs = pb_grains(b, &ng);
	int nsys = b->o.peers ? SYS_COUNT : 1;

	memset(mw, 0, sizeof(*mw));
	mw->width = width;
	for (int s = 0; s < nsys; s++) {
		measure_sys(b, width, s, &mw->sys[s]);
		for (size_t i = 0; i < ng; i++)
			if (mw->sys[s].ok[i] && mw->sys[s].rate[i] > mw->best_rate) {
				mw->best_rate = mw->sys[s].rate[i];
				mw->best_sys = s;
				mw->best_grain = gs[i];
			}
	}
	if (mw->best_rate <= 0)
		return;
	for (int s = 0; s < nsys; s++) {
		struct metg *mt = &mw->sys[s];
		int last = -1;

		for (size_t i = 0; i < ng; i++) {
			if (!mt->ok[i])
				continue;
			last = (int)i;
			mt->eff[i] = mt->rate[i] / mw->best_rate;
			if (mt->eff[i] >= 0.5 && (isnan(mt->metg) || mt->gran[i] < mt->metg))
				mt->metg = mt->gran[i];
		}
		/* the smallest grain measured is still >= 50%: METG lies below the sweep */
		mt->below_all = last >= 0 && mt->eff[last] >= 0.5 && mt->metg == mt->gran[last];
	}
}

/* Why @sys has no METG at @width: a failed point's reason, or none reached 50%. */
static const char *no_metg_reason(struct bench *b, int sys, uint32_t width)
{
	for (uint32_t i = 0; i < b->njobs; i++) {
		const struct job *j = &b->jobs[i];

		if (j->sys == sys && j->grain && j->width == width && j->state)
			return j->err;
	}
	return "no point reached 50%";
}

static void report_width(struct bench *b, const struct metg_width *mw)
{
	size_t ng;
	const uint64_t *gs = pb_grains(b, &ng);
	int nsys = b->o.peers ? SYS_COUNT : 1;
	const struct metg *pto = &mw->sys[SYS_PTO];

	printf("\n  width %u", mw->width);
	if (mw->best_rate > 0)
		printf(" (best work rate: %s at grain %.1f us, %.2f workers busy%s)",
		       pb_sys_names[mw->best_sys], mw->best_grain / 1e3, mw->best_rate,
		       b->o.peers ? "" : "; no --peers: pto's own");
	printf("\n  %9s %7s", "grain us", "tasks");
	for (int s = 0; s < nsys; s++)
		printf(" | %-6s %7s %6s", pb_sys_names[s], "gran us", "eff");
	printf("\n");
	for (size_t i = 0; i < ng; i++) {
		printf("  %9.1f %7" PRIu64, gs[i] / 1e3, pb_metg_tasks(b, gs[i], mw->width));
		for (int s = 0; s < nsys; s++) {
			if (!mw->sys[s].ok[i]) {
				printf(" | %-6s %7s %6s", "", "-", "-");
				continue;
			}
			printf(" | %-6s %7.1f %5.0f%%", "", mw->sys[s].gran[i] / 1e3,
			       mw->sys[s].eff[i] * 100);
		}
		printf("\n");
	}
	for (int s = 0; s < nsys; s++) {
		const struct metg *mt = &mw->sys[s];

		if (isnan(mt->metg))
			printf("  METG(50%%) width %u %-6s: not determined: %s\n", mw->width,
			       pb_sys_names[s], no_metg_reason(b, s, mw->width));
		else
			printf("  METG(50%%) width %u %-6s: %s%.1f us\n", mw->width,
			       pb_sys_names[s], mt->below_all ? "<= " : "", mt->metg / 1e3);
	}
	if (b->o.peers && !isnan(pto->metg))
		for (int s = SYS_OMP; s < SYS_COUNT; s++)
			if (!isnan(mw->sys[s].metg))
				printf("  METG width %u pto/%s: %.2f%s\n", mw->width,
				       pb_sys_names[s], pto->metg / mw->sys[s].metg,
				       pto->below_all || mw->sys[s].below_all ?
				       " (a side is below the sweep: bound only)" : "");
}

static void report_metg(struct bench *b, struct metg_width *mws)
{
	printf("\n2. METG(50%%): stencil, 3 deps per task (2 at width 2: both cells of the row "
	       "before),\n   busy-wait kernels, grain swept down by powers of two (Task Bench, "
	       "SC'20)\n   work rate = tasks x grain / wall; efficiency = work rate / the best "
	       "work rate any\n   system reached at that width in this run (not the system's "
	       "own best);\n   granularity = wall x workers / tasks; METG(50%%) = the smallest "
	       "granularity still\n   at >= 50%% efficiency (\"<=\": still there at the smallest "
	       "grain); workers:\n   pto %u (device workers), peers %u threads\n",
	       b->cores_used, b->ncpus);
	for (uint32_t w = 0; w < b->o.n_metg_widths; w++) {
		compute_width(b, b->o.metg_widths[w], &mws[w]);
		report_width(b, &mws[w]);
	}
}

/* --- --plot ------------------------------------------------------------------- */

static int plot(struct bench *b, const struct metg_width *mws)
{
	char dat[] = "/tmp/pto-bench-XXXXXX";
	int fd = mkstemp(dat), nsys = b->o.peers ? SYS_COUNT : 1, rc, idx = 0;
	size_t ng;
	FILE *f, *gp;

	pb_grains(b, &ng);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		fprintf(stderr, "pto-bench: --plot: cannot create %s: %s\n", dat, strerror(errno));
		return -1;
	}
	for (uint32_t w = 0; w < b->o.n_metg_widths; w++)
		for (int s = 0; s < nsys; s++) {
			const struct metg *mt = &mws[w].sys[s];

			fprintf(f, "# %s width %u\n", pb_sys_names[s], mws[w].width);
			for (size_t i = 0; i < ng; i++)
				if (mt->ok[i])
					fprintf(f, "%g %g\n", mt->gran[i] / 1e3, mt->eff[i] * 100);
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
		"set ylabel 'efficiency (%% of the best work rate of any system)'\n"
		"set yrange [0:110]\nset key bottom right\n"
		"set title 'pto-bench: efficiency vs task granularity (stencil, Task Bench method)'\n"
		"plot 50 title 'METG threshold' dashtype 2 lc rgb 'gray'", b->o.plot);
	for (uint32_t w = 0; w < b->o.n_metg_widths; w++)
		for (int s = 0; s < nsys; s++, idx++)
			fprintf(gp, ", '%s' index %d with linespoints lc %d dashtype %u pt %u "
				"title '%s width %u'", dat, idx, s + 1, w + 1, 7 - 2 * (w % 3),
				pb_sys_names[s], mws[w].width);
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
	struct metg_width mws[MAX_METG_WIDTHS];

	report_metg(b, mws);
	return b->o.plot && plot(b, mws) ? -1 : 0;
}
