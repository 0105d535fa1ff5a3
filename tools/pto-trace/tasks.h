/* SPDX-License-Identifier: MIT */
/*
 * tools/pto-trace/tasks.h - pto-trace's view per task (all events of a task
 * merged: its lifecycle, its dependencies) and per core (busy time), and the
 * reports built on it: core utilisation, the critical path, the slowest
 * tasks with their lifecycle breakdown.
 */
#ifndef PTO_TOOLS_TRACE_TASKS_H
#define PTO_TOOLS_TRACE_TASKS_H

#include <stddef.h>
#include <stdint.h>

#include "tools/pto-trace/json.h"

/* Task times: NO_TIME = not known (absent from every event of the task). */
#define NO_TIME	UINT64_MAX

/* One task over all its events (SPMD blocks, MIX lanes); times in ns since the run began. */
struct task {
	int64_t id;
	const char *kernel;	/* owned by its kernel_stats */
	uint64_t submit, ready, dispatch, start, end, observed, complete;
	int64_t *deps;
	uint32_t ndeps;
	/* critical path: longest chain of exec time ending here, and its predecessor */
	uint64_t path_ns;
	int64_t path_prev;	/* index into summary.tasks, -1 = none */
};

struct core_stats {
	uint64_t busy_ns;
	uint64_t events;
	char name[24];	/* its lane's thread_name, e.g. "AIV4 (cluster 0)" */
};

/*
 * struct task_table - the tasks of a trace by id, and the cores.
 * @t_min, @t_max: earliest core start, latest core end (t_min starts at
 *	UINT64_MAX).
 */
struct task_table {
	struct task *tv;	/* @ntv tasks */
	size_t ntv, cap_tv;
	int64_t *slot;		/* open-addressing index into @tv by id, @nslot entries */
	size_t nslot;
	struct core_stats *cores_v;
	size_t ncores_v;
	uint64_t t_min, t_max;
};

/*
 * tt_merge() - one task event (a block or lane) of task @id running @kernel
 * (a string that outlives the table): its dispatch/start/end/observed times
 * and, from @args, submit/ready/complete, deps and core (else the event's tid).
 */
void tt_merge(struct task_table *sm, const struct pto__json *ev, const struct pto__json *args,
	      int64_t id, const char *kernel, uint64_t dispatch, uint64_t start, uint64_t end,
	      uint64_t observed);
/* The device lane @tid is named @name ("AIV4 (cluster 0)"). */
void tt_lane(struct task_table *sm, int64_t tid, const char *name);
/* Reports, to stdout.  @cores: the device's core count (otherData), or -1. */
void tt_print_cores(struct task_table *sm, int64_t cores);
void tt_print_critical_path(struct task_table *sm);
void tt_print_slowest(struct task_table *sm, unsigned int top);
void tt_free(struct task_table *sm);

#endif
