// SPDX-License-Identifier: MIT
/*
 * plan.c - pto-bench's jobs: the table of measured configurations, what
 * the sections plan into it (the METG sweep's points too), and the run of every job once per repetition
 * (interleaved, so a slow phase of the machine hits all of them alike),
 * with its progress on stderr.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/pto-bench/bench.h"

/* --- the METG sweep: its grains and tasks per point (metg.c reports it) --- */

/* Powers of two from 2^19 ns (524 us) down to 2^9 ns (0.5 us); --quick: every third. */
static const uint64_t grains_full[] = { 1u << 19, 1u << 18, 1u << 17, 1u << 16, 1u << 15,
					1u << 14, 1u << 13, 1u << 12, 1u << 11, 1u << 10,
					1u << 9 };
static const uint64_t grains_quick[] = { 1u << 17, 1u << 14, 1u << 11 };

_Static_assert(sizeof(grains_full) / sizeof(grains_full[0]) == PB_MAX_GRAINS,
	       "PB_MAX_GRAINS (bench.h) is the sweep's length");

const uint64_t *pb_grains(const struct bench *b, size_t *n)
{
	if (b->o.quick) {
		*n = sizeof(grains_quick) / sizeof(grains_quick[0]);
		return grains_quick;
	}
	*n = PB_MAX_GRAINS;
	return grains_full;
}

/* Stencil tasks for a sweep point: about a fixed wall time, whole rows, bounded. */
uint64_t pb_metg_tasks(const struct bench *b, uint64_t grain, uint32_t width)
{
	uint64_t target_ns = b->o.quick ? 20000000 : 250000000;
	uint64_t w = width, n = target_ns * b->cores_used / (grain ? grain : 1);
	uint64_t lo = (b->o.quick ? 4 : 16) * w, hi = b->o.quick ? 2000 : 40000;

	n = n < lo ? lo : n > hi ? hi : n;
	return (n + w - 1) / w * w;
}

/* --- statistics ------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double pb_median(const struct samples *s)
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
			   uint32_t width, uint64_t grain, uint32_t window)
{
	struct job *j = pb_find_job(b, sys, shape, mode, tasks, width, grain, window);

	if (j)
		return j;
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
			   .width = width, .grain = grain, .window = window, .section = b->plan_section };
	if (sys != SYS_PTO && !b->peer_ok[sys]) {
		j->state = JOB_MISSING;
		snprintf(j->err, sizeof(j->err), "%s not built", b->peer_path[sys]);
	}
	return j;
}

struct job *pb_find_job(struct bench *b, int sys, int shape, int mode, uint64_t tasks,
			uint32_t width, uint64_t grain, uint32_t window)
{
	for (uint32_t i = 0; i < b->njobs; i++) {
		struct job *j = &b->jobs[i];

		if (j->sys == sys && j->shape == shape && j->mode == mode && j->tasks == tasks &&
		    j->width == width && j->grain == grain && j->window == window)
			return j;
	}
	return NULL;
}

/* --- the plan ----------------------------------------------------------------- */

void pb_plan(struct bench *b)
{
	size_t ng;
	const uint64_t *gs = pb_grains(b, &ng);
	int nsys = b->o.peers ? SYS_COUNT : 1;

	/* 1. every shape x mode: empty kernels, and paged attention with its real ones */
	b->plan_section = SEC_E2E;
	for (int m = 0; m < MODE_COUNT; m++)
		if ((b->o.shapes & (1u << SHAPE_PA)) && (b->o.sections & (1u << SEC_E2E)) &&
		    (b->o.modes & (1u << m)))
			add_job(b, SYS_PTO, SHAPE_PA, m, 0, 0, 0, b->o.window);
	for (int s = 0; s < SHAPE_COUNT; s++) {
		if (!(b->o.shapes & (1u << s)) || !(b->o.sections & (1u << SEC_E2E)))
			continue;
		for (int m = 0; m < MODE_COUNT; m++)
			if (b->o.modes & (1u << m))
				add_job(b, SYS_PTO, s, m, b->o.tasks, b->o.width, 0, b->o.window);
		for (int sys = SYS_OMP; sys < nsys; sys++)
			add_job(b, sys, s, MODE_AUTO, b->o.tasks, b->o.width, 0, 0);
	}
	/* 2. METG sweep on the stencil, every width, every system at each point */
	b->plan_section = SEC_METG;
	for (uint32_t w = 0; w < b->o.n_metg_widths && (b->o.sections & (1u << SEC_METG)); w++) {
		uint32_t width = b->o.metg_widths[w];

		for (size_t i = 0; i < ng; i++) {
			uint64_t n = pb_metg_tasks(b, gs[i], width);

			add_job(b, SYS_PTO, SHAPE_STENCIL, MODE_AUTO, n, width, gs[i], b->o.window);
			for (int sys = SYS_OMP; sys < nsys; sys++)
				add_job(b, sys, SHAPE_STENCIL, MODE_AUTO, n, width, gs[i], 0);
		}
	}
	/* 3. back-pressure */
	b->plan_section = SEC_WINDOW;
	if (b->o.sections & (1u << SEC_WINDOW)) {
		add_job(b, SYS_PTO, SHAPE_INDEPENDENT, MODE_AUTO, b->o.tasks, b->o.width, 0, 1024);
		add_job(b, SYS_PTO, SHAPE_INDEPENDENT, MODE_AUTO, b->o.tasks, b->o.width, 0,
			16384);
	}
}

uint32_t pb_job_reps(const struct bench *b, const struct job *j)
{
	/* the headline manual/explicit ratio needs a spread: never fewer than PA_MIN_REPS */
	if (j->shape == SHAPE_PA && b->o.reps < PA_MIN_REPS)
		return PA_MIN_REPS;
	return b->o.reps;
}

/*
 * Where the run is, on stderr: on a terminal one line rewritten per job
 * (repetition, section, row of the section, the job); in a log one line per
 * section of each repetition, so CI logs get milestones, not a flood.  Rows
 * are the jobs of the section that run in repetition @rep.
 */
static void progress(struct bench *b, uint32_t rep, uint32_t reps, uint32_t i)
{
	const struct job *j = &b->jobs[i];
	uint32_t row = 0, rows = 0;
	char what[96];

	for (uint32_t k = 0; k < b->njobs; k++) {
		if (b->jobs[k].section != j->section || rep >= pb_job_reps(b, &b->jobs[k]))
			continue;
		rows++;
		row += k <= i;
	}
	if (j->grain)
		snprintf(what, sizeof(what), "%s %s width %u, grain %" PRIu64 " ns",
			 pb_sys_names[j->sys], pb_shape_name(j->shape), j->width, j->grain);
	else if (j->section == SEC_WINDOW)
		snprintf(what, sizeof(what), "%s %s %s, window %u", pb_sys_names[j->sys],
			 pb_shape_name(j->shape), pb_mode_names[j->mode], j->window);
	else
		snprintf(what, sizeof(what), "%s %s %s", pb_sys_names[j->sys],
			 pb_shape_name(j->shape), pb_mode_names[j->mode]);
	if (cli_stderr_tty())
		cli_progress(0, "repetition %u/%u, %s row %u/%u: %s", rep + 1, reps,
			     pb_section_names[j->section], row, rows, what);
	else if (row == 1)
		cli_progress(1, "repetition %u/%u: %s, %u row%s", rep + 1, reps,
			     pb_section_names[j->section], rows, rows == 1 ? "" : "s");
}

void pb_run_all(struct bench *b)
{
	uint32_t reps = b->o.reps;

	for (uint32_t i = 0; i < b->njobs; i++)
		if (pb_job_reps(b, &b->jobs[i]) > reps)
			reps = pb_job_reps(b, &b->jobs[i]);
	for (uint32_t r = 0; r < reps; r++) {
		for (uint32_t i = 0; i < b->njobs; i++) {
			struct job *j = &b->jobs[i];

			if (r >= pb_job_reps(b, j))
				continue;
			progress(b, r, reps, i);
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
