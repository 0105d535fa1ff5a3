/* SPDX-License-Identifier: MIT */
/*
 * tools/pto-bench/bench.h - what the files of pto-bench share: the options,
 * the jobs (one measured configuration each) and the bench state, and the
 * pb_* functions each file gives the others.  tools/pto-bench.c is the
 * main; everything else of a file is static to it.
 */
#ifndef PTO_TOOLS_BENCH_H
#define PTO_TOOLS_BENCH_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "pto/pto.h"
#include "tests/peers/shapes.h"
#include "tools/cli/cli.h"

#define MAX_REPS		101
#define CELL_BYTES		64u
#define MAX_SETS		8	/* --set KEY=VALUE overrides of the PA case */
#define MAX_METG_WIDTHS		4	/* --metg-widths */
#define PA_MIN_REPS		5	/* paged-attention rows: at least this many repetitions */
#define PA_MIN_REPS_STR		"5"
#define PA_BENCH_CASE		"Bench1K"	/* the paged-attention case, >= 1,000 tasks */

/* A shape beyond the shared ones: the paged-attention example (pto only). */
#define SHAPE_PA		SHAPE_COUNT
#define NUM_SHAPES		(SHAPE_COUNT + 1)

enum mode { MODE_AUTO, MODE_MANUAL, MODE_EXPLICIT, MODE_COUNT };
enum section { SEC_E2E, SEC_METG, SEC_WINDOW, SEC_COUNT };
enum system { SYS_PTO, SYS_OMP, SYS_STARPU, SYS_COUNT };

/* Names as the options and the report spell them (options.c). */
extern const char *const pb_mode_names[MODE_COUNT];
extern const char *const pb_section_names[SEC_COUNT];
extern const char *const pb_sys_names[SYS_COUNT];

#define usage_error cli_usage_error

struct opts {
	int quick;
	int peers;
	const char *plot;
	const char *trace;
	const char *device;
	uint32_t reps;
	uint64_t tasks;
	uint32_t width;
	int have_width;		/* --width was given */
	uint32_t metg_widths[MAX_METG_WIDTHS];	/* stencil widths of the METG sweep */
	uint32_t n_metg_widths;
	uint32_t schedulers;	/* 0 = runtime default */
	int wiring;		/* -1 = runtime default */
	uint32_t window;
	uint32_t chunk;
	unsigned int shapes;	/* bit per enum bench_shape */
	unsigned int modes;	/* bit per enum mode */
	unsigned int sections;	/* bit per enum section */
	int trace_shape;
	int trace_mode;
	uint64_t grain;
	const char *pa_case;	/* --pa-case, NULL: PA_BENCH_CASE */
	const char *sets[MAX_SETS];	/* paged-attention case overrides, "key=value" */
	uint32_t nsets;
};

struct samples {
	double v[MAX_REPS];
	uint32_t n;
};

/* --- jobs: one measured configuration, run once per repetition ------------------- */

enum job_state { JOB_OK, JOB_FAILED, JOB_UNSUPPORTED, JOB_MISSING };

struct job {
	int sys;
	int shape;
	int mode;
	uint64_t tasks;		/* requested */
	uint32_t width;		/* stencil width / tree leaves */
	uint64_t grain;
	uint32_t window;
	/* results */
	uint64_t real_tasks;	/* after rounding to the shape */
	struct samples wall;	/* ns per run */
	struct samples submit;	/* orchestrator ns excluding back-pressure (pto only) */
	struct samples orch_cpu;	/* orchestrator thread CPU, waits excluded (pto only) */
	struct samples sched_cpu;	/* scheduler + wiring CPU, emulated cores excluded */
	int state;
	int section;		/* enum section it was planned for first (progress) */
	char err[256];
};

struct bench {
	struct opts o;
	struct pto_device *dev;
	struct pto_device_info info;
	unsigned int ncpus;
	unsigned int cores_used;	/* threads that can run kernels at once */
	uint64_t cells_addr;
	uint32_t max_cells;
	char peer_path[SYS_COUNT][PATH_MAX + 32];
	int peer_ok[SYS_COUNT];
	struct rt_slot {
		struct pto_runtime *rt;
		uint32_t dep_mode;
		uint32_t window;
		uint32_t flags;
		uint32_t trace_records;
	} rts[8];
	uint32_t nrts;
	struct job *jobs;
	uint32_t njobs, cap_jobs;
	int plan_section;	/* the section add_job() is planning */
	int failures;
};

/* --- options.c: the command line ---------------------------------------------- */

/* The --help text. */
void pb_usage(FILE *f);
/* Parse the command line into @o; bad usage exits 2 with one line (cli.h). */
void pb_parse_opts(int argc, char **argv, struct opts *o);
/* The report's name of shape @s (enum bench_shape or SHAPE_PA). */
const char *pb_shape_name(int s);

/* --- plan.c: the jobs and their runs ------------------------------------------ */

/* The median of @s; NAN when it is empty. */
double pb_median(const struct samples *s);
/* The job of that configuration, or NULL when none was planned. */
struct job *pb_find_job(struct bench *b, int sys, int shape, int mode, uint64_t tasks,
			uint32_t width, uint64_t grain, uint32_t window);
/* Plan the jobs of every section --sections asks for. */
void pb_plan(struct bench *b);
/* Repetitions of job @j: --reps, at least PA_MIN_REPS for paged attention. */
uint32_t pb_job_reps(const struct bench *b, const struct job *j);
/* Run every job once per repetition, interleaved, with progress on stderr. */
void pb_run_all(struct bench *b);

/* --- pto_runs.c: the shapes on our runtime ------------------------------------ */

/* The runtime of a configuration, created and warmed up on first use. */
struct pto_runtime *pb_get_rt(struct bench *b, uint32_t dep_mode, uint32_t window,
			      uint32_t flags, uint32_t trace_records, int *rc_out, char *err,
			      size_t errlen);
/* Run graph @g once on @rt in benchmark mode @mode, kernels spinning @grain ns. */
int pb_run_pto_graph(struct bench *b, struct pto_runtime *rt, const struct bench_graph *g,
		     int mode, uint64_t grain, struct pto_run_stats *st, char *err,
		     size_t errlen);
/* The runtime dep_mode (PTO_DEPS_*) benchmark mode @mode runs on. */
uint32_t pb_mode_dep(int mode);
/* JOB_UNSUPPORTED or JOB_FAILED for a runtime pb_get_rt() could not create. */
int pb_rt_failure_state(const struct bench *b, uint32_t dep_mode, int rc);
/* Add one repetition's samples (wall, submit, runtime CPU) of run @st to @j. */
void pb_record_run(struct job *j, uint64_t tasks, const struct pto_run_stats *st);
/* One repetition of pto job @j (an empty-kernel or busy-wait shape). */
void pb_run_pto_job(struct bench *b, struct job *j);

/* --- paged_attn.c: the paged-attention shape (examples/) ---------------------- */

/* One run of the paged-attention case in @mode on @rt; golden-checked when @check. */
int pb_run_pa_once(struct bench *b, struct pto_runtime *rt, int mode, int check,
		   struct pto_run_stats *st, char *err, size_t errlen);
/* Refuse a bad --pa-case or --set override (exit 2) before anything is measured. */
void pb_pa_check_sets(struct bench *b);
/* The name of the case the paged-attention rows ran, with its overrides. */
void pb_pa_case_label(struct bench *b, char *buf, size_t len);
/* One repetition of paged-attention job @j. */
void pb_run_pa_job(struct bench *b, struct job *j);

/* --- peers.c: the same graphs on OpenMP and StarPU (build/bin/peer-*) --------- */

/* Where the peer binaries are, and which of them are there (b->peer_path, peer_ok). */
void pb_find_peers(struct bench *b);
/* One repetition of peer job @j: a sample, or @j FAILED with its reason. */
void pb_run_peer_job(struct bench *b, struct job *j);

/* --- plan.c: the METG sweep's points (powers of two, 2^19 down to 2^9 ns) ---- */

#define PB_MAX_GRAINS	11
/* The grains of the sweep, largest first; *@n of them. */
const uint64_t *pb_grains(const struct bench *b, size_t *n);
/* Stencil tasks of the sweep point of @grain at stencil width @width. */
uint64_t pb_metg_tasks(const struct bench *b, uint64_t grain, uint32_t width);

/* --- metg.c: METG(50%) over the granularity sweep, and --plot ----------------- */

/* The METG section, and the plot when --plot; -1 when the plot failed. */
int pb_report_metg(struct bench *b);
/* Whether gnuplot (for --plot) is installed. */
int pb_have_gnuplot(void);

/* --- report.c: the header and the other sections ------------------------------ */

/* The header: device, CPUs, configuration; a bad $PTO_HAZARDS is bad usage. */
void pb_report_header(struct bench *b);
/* Section 1: submit and e2e per shape and mode, peer and paged-attention ratios. */
void pb_report_e2e(struct bench *b);
/* Section 3: back-pressure, window 1024 vs 16384. */
void pb_report_window(struct bench *b);

/* --- trace.c: --trace --------------------------------------------------------- */

/* One traced run written to --trace; the exit status of pto-bench. */
int pb_trace_run(struct bench *b);

#endif
