/* SPDX-License-Identifier: MIT */
/*
 * trace.h - the recording side of run traces (DESIGN §4.5).  Internal.
 *
 * A runtime created with PTO_RT_TRACE allocates one struct pto_trace per
 * run before its threads start; every buffer has a fixed capacity and
 * records that do not fit are counted in @dropped, never silently lost.
 * With tracing off every record site costs one predictable branch
 * (pto_trace_on()).
 *
 * Single writer per buffer, so recording needs no atomics: the orchestrator
 * owns @tasks' submit fields and @orch_phases, scheduler i owns @sched[i]
 * (its dispatch and phase records), the wiring thread @wiring_phases; the
 * thread that links tasks (orchestrator, or wiring thread) owns @fanin;
 * the orchestrator owns @edges (pto_add_dependency() runs on it);
 * the other fields of a task record (publish, ready, complete, retired)
 * are each written exactly once, by the thread that made that transition.  Readers (the JSON
 * exporter, tests) look only after pto_run() joined every thread.
 *
 * All timestamps are CLOCK_MONOTONIC ns (pto_now_ns(), and the core's
 * start_ns/end_ns from its register window, which use the same clock).
 * 0 = "did not happen".
 */
#ifndef PTO_TRACE_TRACE_H
#define PTO_TRACE_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "libpto/core/shape.h"
#include "pto2_abi.h"

struct pto_runtime;

/**
 * struct pto_trace_task - one task's lifecycle.
 * @task_id: runtime task id ((ring << 32) | local).
 * @kernel: kernel id per lane (AIC, AIV0, AIV1), -1 if unused.
 * @ring: ring the task lives in.
 * @shape: enum pto_task_shape (core/shape.h).
 * @block_num: SPMD blocks.
 * @num_fanin: producers found for it at submit (explicit, creator, tracked
 *	writers; one that retired before it was linked was a satisfied
 *	dependency); their ids are pto_trace.fanin[@fanin_off .. + @num_fanin).
 * @fanin_off: see @num_fanin.
 * @t_submit: pto_submit() entered.
 * @t_publish: the task became visible to the schedulers (wired).
 * @t_ready: its last dependency was satisfied (pushed to a ready queue).
 * @t_complete: the scheduler observed its last block/lane finish.
 * @t_retired: it was consumed (all references released) and its ring
 *	watermark passed it.
 */
struct pto_trace_task {
	int64_t task_id;
	int32_t kernel[3];
	uint16_t ring;
	uint8_t shape;
	uint8_t pad0;
	uint32_t block_num;
	uint32_t num_fanin;
	uint32_t fanin_off;
	uint32_t pad1;
	uint64_t t_submit;
	uint64_t t_publish;
	uint64_t t_ready;
	uint64_t t_complete;
	uint64_t t_retired;
};

/**
 * struct pto_trace_dispatch - one dispatch to one core (a block or a MIX lane).
 * @task_idx: index of the task in pto_trace.tasks (submit order in the run).
 * @task_id: runtime task id.
 * @kernel: kernel id run.
 * @core: core id.
 * @block_idx: SPMD block index.
 * @sub_block_id: AIV lane of a MIX task (0 otherwise).
 * @sched: scheduler thread that dispatched it.
 * @status: kernel return value.
 * @t_dispatch: DATA_MAIN_BASE written.
 * @t_core_start: core latched the payload (register window start_ns).
 * @t_core_end: kernel returned (register window end_ns).
 * @t_observed: scheduler decoded the FIN.
 */
struct pto_trace_dispatch {
	uint32_t task_idx;
	uint32_t kernel;
	int64_t task_id;
	uint32_t core;
	uint32_t block_idx;
	uint16_t sub_block_id;
	uint16_t sched;
	int32_t status;
	uint64_t t_dispatch;
	uint64_t t_core_start;
	uint64_t t_core_end;
	uint64_t t_observed;
};

/**
 * struct pto_trace_edge - a dependency added after its consumer's submit
 *	(pto_add_dependency()): the consumer waited on @producer too.
 * @consumer_idx: index of the consumer in pto_trace.tasks.
 * @producer: the producer's task id.
 */
struct pto_trace_edge {
	uint32_t consumer_idx;
	uint32_t pad;
	int64_t producer;
};

/* Phases of the orchestrator and scheduler loops. */
enum pto_trace_phase_id {
	/* orchestrator */
	PTO_PHASE_ORCH_SUBMIT = 0,	/* one whole pto_submit() */
	PTO_PHASE_ORCH_LOOKUP,		/* TensorMap lookups of one submit */
	PTO_PHASE_ORCH_ALLOC_WAIT,	/* blocked on ring back-pressure */
	PTO_PHASE_ORCH_SCOPE_END,	/* releasing a scope's references */
	PTO_PHASE_ORCH_TENSOR_WAIT,	/* blocking pto_tensor_read/write */
	PTO_PHASE_ORCH_DRAIN,		/* after the function: waiting for retirement */
	/* schedulers */
	PTO_PHASE_SCHED_COMPLETE,	/* a pass that retired at least one dispatch */
	PTO_PHASE_SCHED_DISPATCH,	/* a pass that dispatched at least one block */
	PTO_PHASE_SCHED_SLEEP,		/* asleep waiting for completions or work */
	/* wiring thread */
	PTO_PHASE_WIRING_WIRE,		/* a pass over handed-over tasks (link, publish, release) */
	PTO_PHASE_WIRING_RETIRE,	/* a pass that retired consumed slots */
	PTO_PHASE_WIRING_SLEEP,		/* asleep waiting for handovers or retirements */
	PTO_PHASE_COUNT,
};

/**
 * struct pto_trace_phase - an interval of one thread's time.
 * @t0, @t1: start and end.
 * @phase: enum pto_trace_phase_id.
 * @count: items handled in it (tasks, dispatches; 0 when meaningless).
 */
struct pto_trace_phase {
	uint64_t t0;
	uint64_t t1;
	uint32_t phase;
	uint32_t count;
};

/**
 * struct pto_trace_sched - what one scheduler thread recorded.
 * @dispatches: @num_dispatches of @cap_dispatches records.
 * @phases: @num_phases of @cap_phases records.
 * @dropped: records of this thread that did not fit.
 */
struct pto_trace_sched {
	struct pto_trace_dispatch *dispatches;
	uint32_t num_dispatches;
	uint32_t cap_dispatches;
	struct pto_trace_phase *phases;
	uint32_t num_phases;
	uint32_t cap_phases;
	uint64_t dropped;
};

/**
 * struct pto_trace - everything recorded in one run.
 * @t_begin, @t_end: pto_run() entered and returned.
 * @num_clusters: of the device (lanes: cores 0..3*num_clusters-1).
 * @num_schedulers: entries of @sched.
 * @tasks: @num_tasks records (of @cap_tasks), indexed by submit order.
 * @fanin: producer task ids, @num_fanin of @cap_fanin.
 * @edges: explicit edges added after submit, @num_edges of @cap_edges.
 * @orch_phases: @num_orch_phases of @cap_orch_phases.
 * @sched: per scheduler thread.
 * @wiring_phases: @num_wiring_phases of @cap_wiring_phases (0 without a
 *	wiring thread).
 * @dropped: orchestrator records that did not fit (task, phase);
 *	pto_trace_dropped() adds the others' counts.
 * @fanin_dropped: producer ids that did not fit.
 * @edges_dropped: explicit edges that did not fit (or whose consumer's
 *	record did not).
 * @wiring_dropped: wiring-thread phases that did not fit.
 * @kernel_names: name per kernel id as registered (NULL if none); points
 *	into the runtime, valid while it lives.
 */
struct pto_trace {
	uint64_t t_begin;
	uint64_t t_end;
	uint32_t num_clusters;
	uint32_t num_schedulers;

	struct pto_trace_task *tasks;
	uint32_t num_tasks;
	uint32_t cap_tasks;
	int64_t *fanin;
	uint32_t num_fanin;
	uint32_t cap_fanin;
	struct pto_trace_edge *edges;
	uint32_t num_edges;
	uint32_t cap_edges;
	struct pto_trace_phase *orch_phases;
	uint32_t num_orch_phases;
	uint32_t cap_orch_phases;

	struct pto_trace_sched *sched;
	struct pto_trace_phase *wiring_phases;
	uint32_t num_wiring_phases;
	uint32_t cap_wiring_phases;
	uint64_t dropped;
	uint64_t fanin_dropped;
	uint64_t edges_dropped;
	uint64_t wiring_dropped;

	const char *const *kernel_names;
};

/* Most task records a trace holds: its phase buffers (4 per task) count in 32 bits. */
#define PTO_TRACE_MAX_TASKS	(UINT32_MAX / 4)

/*
 * pto_trace_alloc() - preallocate a trace for a run.
 * @task_cap: task records; dispatch records per scheduler, fanin ids and
 *	explicit edges are sized from it (each 2 * @task_cap), phases
 *	4 * @task_cap per thread.
 * @wiring: record a wiring thread's phases too.
 * Return: the trace or NULL (message recorded: a @task_cap of 0 or above
 *	%PTO_TRACE_MAX_TASKS, or out of memory).
 */
struct pto_trace *pto_trace_alloc(uint32_t task_cap, uint32_t num_schedulers,
				  uint32_t num_clusters, bool wiring);
void pto_trace_free(struct pto_trace *tr);
/* Forget the records of a previous run, keep the buffers. */
void pto_trace_reset(struct pto_trace *tr, uint32_t num_schedulers);
/* Total dropped records (orchestrator + every scheduler). */
uint64_t pto_trace_dropped(const struct pto_trace *tr);

/* One predictable branch when tracing is off. */
static inline int pto_trace_on(const struct pto_trace *tr)
{
	return __builtin_expect(tr != NULL, 0);
}

/*
 * Orchestrator side.  pto_trace_task_begin() claims the record for the
 * @idx-th task of the run (idx = submit order); it returns NULL (and counts
 * a drop) when @idx is beyond the capacity, and every later call takes that
 * NULL.
 */
/* The record of the @idx-th task; NULL when not tracing or beyond the capacity. */
static inline struct pto_trace_task *pto_trace_task_at(struct pto_trace *tr, uint32_t idx)
{
	return pto_trace_on(tr) && idx < tr->cap_tasks ? &tr->tasks[idx] : NULL;
}

struct pto_trace_task *pto_trace_task_begin(struct pto_trace *tr, uint32_t idx);
/* Append @n producer ids for @rec (drops them, counted, when full). */
void pto_trace_task_fanin(struct pto_trace *tr, struct pto_trace_task *rec,
			  const int64_t *ids, uint32_t n);
void pto_trace_orch_phase(struct pto_trace *tr, uint32_t phase, uint64_t t0, uint64_t t1,
			  uint32_t count);
void pto_trace_edge(struct pto_trace *tr, uint32_t consumer_idx, int64_t producer);

/*
 * pto_trace_add_edge() - the hook of pto_add_dependency(): the consumer
 * (record @consumer_idx) also waits on @producer.  No-op when not tracing.
 */
static inline void pto_trace_add_edge(struct pto_trace *tr, uint32_t consumer_idx,
				      int64_t producer)
{
	if (pto_trace_on(tr))
		pto_trace_edge(tr, consumer_idx, producer);
}

/* Wiring thread side. */
void pto_trace_wiring_phase(struct pto_trace *tr, uint32_t phase, uint64_t t0, uint64_t t1,
			    uint32_t count);

/* Scheduler side (thread @sched only). */
struct pto_trace_dispatch *pto_trace_dispatch_begin(struct pto_trace *tr, uint32_t sched);
void pto_trace_sched_phase(struct pto_trace *tr, uint32_t sched, uint32_t phase, uint64_t t0,
			   uint64_t t1, uint32_t count);

#endif /* PTO_TRACE_TRACE_H */
