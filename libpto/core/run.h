/* SPDX-License-Identifier: MIT */
/*
 * run.h - the run state: the floor below the orchestrator (orch/), the
 * wiring (wiring/), the schedulers (sched/) and the runtime shell
 * (runtime/).  It holds struct pto_runtime, the task slots and rings, and
 * declares the primitives every layer above shares (the files of libpto/core/):
 * slot lookup and the task lock (task.c), readiness (ready.c), reference
 * release (release.c), retirement (retire.c), wake-ups (wake.c) and the
 * run's error latch (fail.c).  Nothing here calls up into a layer above;
 * tests/integration/layers.sh checks that from the object files.
 *
 * Teardown rule (every layer): each *_teardown() and pto_runtime_destroy()
 * accepts a half-built runtime.  pto_runtime_create() calls the destroy
 * path after any failed setup step, so a teardown frees only what is
 * non-NULL / marked initialized and never assumes a later setup step ran.
 *
 * Internal.  docs/runtime.md explains the design and the ordering pairs.
 */
#ifndef PTO_CORE_RUN_H
#define PTO_CORE_RUN_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "libpto/core/shape.h"
#include "libpto/core/task_id.h"
#include "libpto/device/device_impl.h"
#include "libpto/error_impl.h"
#include "libpto/gate/affinity.h"
#include "libpto/orch/hazard.h"
#include "libpto/orch/tensormap.h"
#include "libpto/ring/ring.h"
#include "libpto/util/ready_queue.h"
#include "libpto/trace/trace.h"
#include "libpto/util/waiter.h"
#include "pto/runtime.h"

#define PTO_MAX_SCOPE_DEPTH	64
#define PTO_MAX_SCHEDULERS	64
#define PTO_LOCAL_READY_CAP	64	/* per scheduler, per shape */

/* Task states (pto_task.state). */
enum pto_task_state {
	PTO_TASK_PENDING = 0,	/* submitted, not finished */
	PTO_TASK_COMPLETED = 1,	/* every block/lane finished; consumers notified */
	PTO_TASK_CONSUMED = 2,	/* completed and every reference released */
};

/* Lane bits of pto_task.lanes. */
#define PTO_LANE_AIC		(1u << 0)
#define PTO_LANE_AIV0		(1u << 1)
#define PTO_LANE_AIV1		(1u << 2)

struct pto_task;

/*
 * Which of the 64 tasks submitted to its ring just before @task it is
 * ordered after (bit i: local - 1 - i), through the producers it was given
 * at submit, transitively.  Orchestrator-private, one per slot, to tell that
 * a TensorMap entry's writer is ordered before a new writer of the region
 * (pto_tm_prune()).
 */
struct pto_ancestry {
	int64_t task;
	uint64_t mask;
};

/* An entry of a ring's dependency-list pool: @consumer waits for the list's owner. */
struct pto_dep_node {
	struct pto_task *consumer;
	struct pto_dep_node *next;
};

/*
 * A task's argument block (heap ring): @nt descriptors, then, when its
 * arguments do not fit the payload (PTO2_PAYLOAD_SPILLED), the @nt
 * descriptor addresses, so that with the scalars that follow they form
 * the argument array the core reads; then the @ns scalars, the fanin ids
 * and the runtime-created outputs.
 */
static inline bool pto__args_spill(uint32_t nt, uint32_t ns)
{
	return nt + ns > PTO2_PAYLOAD_ARGS;
}

/* Byte offset of the scalars in the argument block. */
static inline uint64_t pto__args_scalar_off(uint32_t nt, uint32_t ns)
{
	return (uint64_t)nt * sizeof(struct pto2_tensor_desc) +
	       (pto__args_spill(nt, ns) ? (uint64_t)nt * 8 : 0);
}

/*
 * struct pto_task - one task slot (host memory, one per window slot).
 *
 * The first group is written by the orchestrator before the task is
 * published (wired) and read-only afterwards.  The second group is the
 * scheduler side: @completed_sub and the fanin counters are atomics; @lock
 * protects @state, @fanout_head, @fanout_count and @fanout_refcount (it is
 * the serialization point between "producer completes" and "consumer wires
 * itself onto the producer").
 */
struct pto_task {
	int64_t id;
	uint64_t local;
	uint32_t ring;
	uint32_t shape;			/* enum pto_task_shape */
	int32_t kernel[3];		/* AIC, AIV0, AIV1 (-1 unused) */
	uint32_t lanes;			/* PTO_LANE_* */
	uint32_t block_num;
	uint32_t total_sub;		/* block_num * popcount(lanes) */
	uint32_t flags;			/* PTO_LAUNCH_* */
	uint32_t num_tensors;
	uint32_t num_scalars;
	uint32_t num_fanin;		/* producers this task holds a reference on */
	uint32_t trace_idx;		/* submit order in the run */
	uint64_t args_addr;		/* device address of the argument block */
	uint8_t *args_host;		/* its host mapping */
	int64_t *fanin;			/* producer ids, inside the argument block */
	/* producers added by pto_add_dependency() (node->consumer = the producer) */
	struct pto_dep_node *extra_fanin;
	uint64_t dep_first;		/* its dependency entries (wiring thread mode) */
	/* orchestrator-private */
	uint32_t scope_depth;		/* depth of the scope that submitted it */
	uint64_t scope_serial;		/* and which opening of that depth (pto_scope.serial) */
	bool published;			/* its redundant fanin was released */
	/* per ring, the local id its next task had when this one was submitted */
	uint64_t order_next[PTO_NUM_RINGS];
	/* hazards=check: its producers as found at submit (in its argument block) */
	const int64_t *hz_fanin;
	uint32_t hz_nfanin;

	/* owned by the scheduler that popped the task (SPMD progress) */
	uint32_t next_block;

	_Alignas(64) uint32_t completed_sub;	/* atomic */
	uint32_t fanin_count;		/* atomic: producers + 1 */
	uint32_t fanin_refcount;	/* atomic */
	uint32_t lock;			/* spinlock */
	uint32_t state;			/* enum pto_task_state; atomic stores */
	uint32_t fanout_count;		/* 1 (scope) + consumers */
	uint32_t fanout_refcount;
	struct pto_dep_node *fanout_head;
};

/*
 * struct pto_ring - one ring.  The fields up to @alloc are fixed at setup
 * and read by every thread; what the orchestrator moves on every submit
 * (@alloc's cursor, @open_tasks) is on lines no other thread reads.
 * @slots: the task window.
 * @deps: dependency-list pool (@alloc.dep_cap nodes).
 * @ctl: flow control in device memory (uapi struct pto2_ring_ctl).
 * @heap_addr, @heap_host: the heap ring's device address and host mapping.
 * @ancestry: per slot (AUTO mode only), see struct pto_ancestry.
 * @alloc: the orchestrator's allocation state (ring.h).
 * @open_tasks: tasks of still-open scopes in this ring (orchestrator).
 * @advance_lock, @advance_pending: who moves last_task_alive; a thread
 *	that finds the lock taken leaves the pending flag for the holder,
 *	who re-scans before leaving, so no advance is ever lost.
 */
struct pto_ring {
	uint32_t id;
	struct pto_task *slots;
	struct pto_dep_node *deps;
	struct pto2_ring_ctl *ctl;
	uint64_t heap_addr;
	uint8_t *heap_host;
	struct pto_ancestry *ancestry;
	struct pto_ring_alloc alloc;
	_Alignas(64) uint32_t open_tasks;
	_Alignas(64) uint32_t advance_lock;
	uint32_t advance_pending;
	/*
	 * The watermark the orchestrator waits for while the ring is full:
	 * whoever advances the ring wakes it once last_task_alive reaches this.
	 * PTO_NO_WAITER while it does not wait.  Written by the orchestrator.
	 */
	uint64_t orch_wake_la;
	/*
	 * While the orchestrator waits: a straggler, the task whose consumption
	 * must retire the ring for it (wake the wiring thread, or inline
	 * advance), since the range's last task is consumed already
	 * (PTO_NO_WAITER: none); see pto__ring_arm_wake().  Written by the
	 * wiring thread, inline by the advance lock's holder.
	 */
	uint64_t orch_wake_at;
	/*
	 * Wiring thread mode, owned by the wiring thread (own cache line: the
	 * others read the line above on every consumed task):
	 * @scan_la: the consumed prefix it retired (slots reset); published as
	 *	last_task_alive in batches.
	 * @wire_top: one past the last task handed over to it; slots below
	 *	are initialized (the handover queue published them).
	 */
	_Alignas(64) uint64_t scan_la;
	uint64_t wire_top;
};

#define PTO_NO_WAITER		UINT64_MAX

/* One dispatch held by a core: which block/lane of which task. */
struct pto_sub {
	struct pto_task *task;
	uint32_t id;			/* dispatch id; PTO_COND_NO_ID when empty */
	uint32_t block_idx;
	uint32_t lane;			/* 0 AIC, 1 AIV0, 2 AIV1 */
	struct pto_trace_dispatch *trace;
};

/*
 * struct pto_core - scheduler-side state of one core; owned by the one
 * scheduler thread whose clusters include it (no sharing during a run).
 * @seq: dispatches ever made to this core (kept across runs: ids never repeat).
 */
struct pto_core {
	uint32_t id;
	uint32_t cluster;
	uint32_t type;
	uint32_t lane;
	struct pto2_core_regs *regs;
	struct pto2_dispatch_payload *payload[2];
	uint64_t seq;
	struct pto_sub run;
	struct pto_sub pend;
	bool run_acked;
	bool lent;			/* lent to another scheduler's sync-start launch */
	/*
	 * did not take EXIT when a failed run stopped the cores (its kernel
	 * still runs): no dispatch goes there until it has (pto__sched_start())
	 */
	bool lost;
	/*
	 * atomic (relaxed): its last dispatch is short enough to emulate on a
	 * runtime thread (payload.c); the waiting orchestrator helps only there
	 */
	uint32_t emul_inline;
	uint64_t deadline_ns;		/* running dispatch must finish by then */
};

struct pto_sched;

/*
 * struct pto_serve_list - emulated cores a scheduler rang this pass and
 * will run itself (sched/payload.c, loop.c serve_cores()).  Written by
 * that scheduler with relaxed stores, read by a helping orchestrator
 * (orch/help.c) as hints: serving checks the core's claim, doorbell and
 * class, so a stale entry costs a look, never a wrong run.
 * @n: atomic: entries valid.
 * @busy: atomic: the scheduler is running the listed cores right now, so
 *	more short kernels follow soon: a helper keeps spinning for them.
 * @cap: capacity (every core twice: dual issue, lent cores included).
 * @work_ns: scheduler-private: the listed kernels' expected run time.
 * @core: atomic entries: core ids.
 */
struct pto_serve_list {
	uint32_t n;
	uint32_t busy;
	uint32_t cap;
	uint64_t work_ns;
	uint32_t *core;
} __attribute__((aligned(64)));

/* Error latched by the first failure of a run. */
struct pto_run_error {
	int claimed;			/* atomic: the first failure CASes it 0 -> 1 */
	int code;			/* atomic; 0 = none; published after @msg */
	char msg[PTO_ERRMSG_MAX];
};

/* A scope on the orchestrator's stack. */
struct pto_scope {
	uint32_t first;			/* index into pto_runtime.scope_tasks */
	uint32_t ring;
	uint32_t mode;
	uint64_t serial;		/* scopes opened in the run before it + 1 */
};

struct pto_runtime {
	struct pto_device *dev;
	struct pto_runtime_config cfg;
	uint32_t num_clusters;
	uint32_t num_cores;

	/*
	 * kernels: function, name and core type per id (registered outside
	 * runs); the functions go to the device's table at each run's start,
	 * so runtimes sharing a device each run their own
	 */
	pto_kernel_fn kernel_fn[PTO2_MAX_KERNELS];
	char *kernel_name[PTO2_MAX_KERNELS];
	int8_t kernel_type[PTO2_MAX_KERNELS];	/* -1 = unregistered */
	/*
	 * atomic (relaxed; a lost update only blurs the average): each kernel's
	 * recent run time on an emulated core, ns, 0 = not seen yet; decides
	 * whether its dispatches run on a runtime thread (sched/payload.c)
	 */
	uint64_t kernel_ns[PTO2_MAX_KERNELS];
	/* the same: each kernel's last two run times, ns (learn_kernel_ns()) */
	uint64_t kernel_prev_ns[PTO2_MAX_KERNELS][2];

	/* device memory: ring header + heaps */
	uint64_t ring_area_addr;
	struct pto2_ring_header *hdr;
	struct pto_ring rings[PTO_NUM_RINGS];

	/* orchestrator */
	struct pto_tensormap tm;
	struct pto_hazard hz;		/* hazards=check (orch/hazard.h) */
	struct pto_scope scopes[PTO_MAX_SCOPE_DEPTH];
	uint32_t depth;			/* open scopes */
	uint32_t manual_depth;		/* depth + 1 of the open manual scope, 0 = none */
	uint64_t scope_serial;		/* scopes opened in this run */
	struct pto_task **scope_tasks;
	uint32_t num_scope_tasks;
	uint32_t cap_scope_tasks;
	/*
	 * The allocation the last checked external tensor lay in, valid while
	 * the device's free generation is @gen (pto_submit()'s check_external()):
	 * most submits name the same few buffers, so one locked lookup serves
	 * many.
	 */
	struct {
		uint64_t base, len;
		uint32_t gen;
		bool valid;
	} ext_seen;
	int64_t *dep_scratch;		/* producers of the task being submitted */
	uint32_t num_dep_scratch;
	uint32_t cap_dep_scratch;
	pthread_t orch_thread;
	bool in_run;
	uint32_t run_tasks;		/* tasks submitted in this run (trace index) */
	uint64_t published;		/* tasks of this run made visible to the schedulers */
	uint64_t orch_blocked_ns;
	uint64_t orch_waits;		/* back-pressure waits this run (tests: refill batching) */
	uint64_t orch_wait_cpu_ns;	/* thread CPU spent in those waits (helping included) */
	uint32_t help_cursor;		/* the serve list the orchestrator helps with first */

	/*
	 * schedulers: read-mostly, on lines of their own, apart from the
	 * orchestrator's per-submit fields above (published, run_tasks, ...):
	 * sharing one cost every scheduler pass a miss per submit
	 */
	_Alignas(64) uint32_t num_sched;
	struct pto_sched *sched;
	struct pto_core *cores;
	struct pto_ready_queue ready[PTO_NUM_SHAPES];
	struct pto_gate_plan *plan;
	uint32_t sched_caps[PTO_NUM_SHAPES];	/* sync-start capacity of the device */
	/*
	 * Emulated cores (docs/runtime.md, "Emulating the cores"), set per run:
	 * @emulate: the scheduler that rings a core's doorbell runs the core
	 * itself, and a waiting orchestrator helps; @emul_kick: CPUs beyond the
	 * run's threads exist, so the sim workers are woken too; @threads_fit:
	 * the run's threads fit its CPUs, so spinning takes no CPU another
	 * thread needs (a scheduler spins for a FIN another thread will
	 * publish, an orchestrator for a list a scheduler is running).
	 */
	bool emulate;
	bool emul_kick;
	bool threads_fit;
	uint64_t sched_spin_ns;		/* $PTO_SCHED_SPIN_NS; UINT64_MAX = derived */
	struct pto_serve_list *serve;	/* one per scheduler */
	/*
	 * Where a scheduler with nothing in flight on its cores sleeps: no FIN
	 * can concern it, so it is woken only by new work (pto__sched_kick()),
	 * not by every FIN of the device like the busy ones.
	 */
	_Alignas(64) struct pto_waiter sched_idle;
	/*
	 * Sync-start launches wider than one scheduler: the owner holds the
	 * task, the others lend it idle cores (sched/sync_start.c).
	 */
	_Alignas(64) int32_t sync_owner;	/* atomic: scheduler index or -1 */
	/*
	 * atomic: generation (high 32 bits, odd while a request is open) and
	 * the request's shape and lanes, one word (sched/sync_start.c, SYNC_REQ)
	 */
	uint64_t sync_req;

	/* run control: written by several threads */
	_Alignas(64) uint64_t submitted;	/* atomic */
	_Alignas(64) uint64_t completed;	/* atomic */
	_Alignas(64) uint32_t orch_done;	/* atomic */
	uint64_t dispatches;			/* atomic: each scheduler adds its count as it ends */
	uint64_t sched_cpu_ns;			/* atomic: likewise its own CPU (pto_run_stats) */
	uint64_t emulated_ns;			/* atomic: likewise its time in emulated cores */
	uint64_t first_dispatch_ns;		/* atomic (min): each scheduler folds its own in */
	uint64_t last_retire_ns;		/* atomic (max): likewise its last completion */
	struct pto_run_error err;
	struct pto_waiter orch_wait;	/* woken by ring advance and task completion */
	/* orchestrator thread only: its announced sleep on orch_wait (orch/help.c) */
	struct pto_waiter_arm orch_arm;
	/*
	 * 1 while the orchestrator waits for tasks to complete (blocking tensor
	 * access): only then does a completion wake it, so a ring-blocked
	 * orchestrator is not woken once per task.
	 */
	uint32_t orch_wants_done;
	/*
	 * atomic (relaxed: a hint): 1 while the orchestrator waits and would
	 * run emulated cores (orch/help.c); a scheduler with a long list to
	 * run wakes it then (pto__orch_wake_help()).
	 */
	uint32_t orch_helps;

	/* wiring thread (cfg.wiring): orchestrator -> wiring thread handoff */
	bool wiring_on;
	struct pto_ready_queue wire_q;	/* tagged task pointers (PTO_WIRE_*) */
	pthread_t wiring_thread;
	bool wiring_started;
	uint64_t wire_pushed;		/* orchestrator-private: entries handed over */
	_Alignas(64) uint64_t wire_done;	/* atomic: entries the wiring thread finished */
	/* woken by handoffs, consumed tasks, run end; own line: bumped per handoff */
	_Alignas(64) struct pto_waiter wiring_wait;

	/* tracing */
	struct pto_trace *trace;	/* the run being recorded; NULL = off */
	struct pto_trace *trace_buf;
	bool trace_valid;

	struct pto_run_stats stats;
};

/* --- the error latch (core/fail.c) -------------------------------------------- */

/* Latch @code (first error wins) with a message; wakes every waiter.  Returns @code. */
__attribute__((format(printf, 3, 4)))
int pto__rt_fail(struct pto_runtime *rt, int code, const char *fmt, ...);
/* The latched error code, 0 if none (acquire). */
static inline int pto__rt_error(struct pto_runtime *rt)
{
	return __atomic_load_n(&rt->err.code, __ATOMIC_ACQUIRE);
}
/* Kernel name for messages. */
const char *pto__kernel_name(const struct pto_runtime *rt, int32_t id);

/* --- run control -------------------------------------------------------------- */

/*
 * Has the run ended normally: @orch_done (the caller's acquire load of
 * rt->orch_done, which pairs with pto_run()'s release store after the last
 * submit) and every submitted task completed?  Acquire: pairs with
 * task_complete()'s seq_cst (so also release) increment of completed, made
 * after that task's releases and queueing, so nothing is left in flight.
 */
static inline bool pto__run_finished(struct pto_runtime *rt, bool orch_done)
{
	return orch_done && __atomic_load_n(&rt->completed, __ATOMIC_ACQUIRE) ==
			    __atomic_load_n(&rt->submitted, __ATOMIC_RELAXED);
}

/*
 * Has the wiring thread finished everything handed over so far (true
 * without one)?  The orchestrator and the drain watch (sched/stall.c) ask.
 * seq_cst: pairs with the add of wire_done in wire_pass() (see
 * tensor_access()).
 */
static inline bool pto__wiring_caught_up(struct pto_runtime *rt)
{
	return !rt->wiring_on ||
	       __atomic_load_n(&rt->wire_done, __ATOMIC_SEQ_CST) == rt->wire_pushed;
}

/*
 * Capacity of a queue that must hold @n entries at once, so that a push
 * never fails: the smallest power of two above @n + 2 (two entries of
 * slack; the ready queue takes only powers of two).
 */
static inline uint64_t pto__queue_cap(uint64_t n)
{
	uint64_t cap = n + 2;

	while (cap & (cap - 1))
		cap &= cap - 1;
	return cap << 1;
}

/* The last completed pto_run()'s trace, NULL when none (see pto_trace_write()). */
static inline const struct pto_trace *pto__trace_last(const struct pto_runtime *rt)
{
	return rt && rt->trace_valid ? rt->trace_buf : NULL;
}

/* --- task slots (core/task.c), any thread ------------------------------------- */

/* The slot of task @id, or NULL for an id no ring ever handed out. */
struct pto_task *pto__task_slot(struct pto_runtime *rt, int64_t id);
void pto__task_lock(struct pto_task *t);
void pto__task_unlock(struct pto_task *t);

/* --- readiness (core/ready.c) ------------------------------------------------- */

/* Add @n satisfied fanins; true if that made @t ready (caller queues it). */
bool pto__task_fanin_add(struct pto_task *t, uint32_t n);
/*
 * Queue a ready task for the schedulers from a thread that owns no local
 * buffer; @notify wakes them (false: the caller wakes them once for a batch).
 */
void pto__task_push_ready(struct pto_runtime *rt, struct pto_task *t, bool notify);

/* --- releasing references (core/release.c) ------------------------------------ */

/* Release one fanout reference of @t (scope end or a consumer that completed). */
void pto__task_release(struct pto_runtime *rt, struct pto_task *t);

/* --- retirement (core/retire.c) ----------------------------------------------- */

/* Task @local of ring @ring was consumed: advance the ring, or tell the wiring thread to. */
void pto__ring_consumed(struct pto_runtime *rt, uint32_t ring, uint64_t local);
/*
 * Move ring @r's watermark over its consumed prefix (never loses an
 * advance; any thread, inline mode only).  Model-checked, retry and its
 * removal: tests/models/ring_advance.pml.
 */
void pto__ring_advance(struct pto_runtime *rt, struct pto_ring *r);
bool pto__ring_arm_wake(struct pto_ring *r, uint64_t la, uint64_t want, uint64_t top);
/* The run is over: inline, retire every ring's consumed rest (the wiring thread does its own). */
void pto__ring_retire_rest(struct pto_runtime *rt);
/*
 * Reset the consumed slots of ring @r from @from on (stopping at the first
 * live one or @cur); return the new watermark.  One advancer at a time.
 */
uint64_t pto__ring_scan(struct pto_runtime *rt, struct pto_ring *r, uint64_t from, uint64_t cur);
/* Publish @la as ring @r's last_task_alive; wake the orchestrator if it waits for it. */
void pto__ring_publish(struct pto_runtime *rt, struct pto_ring *r, uint64_t la);

/* --- wake-ups (core/wake.c) --------------------------------------------------- */

/* New work for the schedulers (ready tasks, sync-start requests, run end): wake them. */
void pto__sched_kick(struct pto_runtime *rt);
/*
 * Ring @r's watermark just became @la (seq_cst store, pto__ring_publish()):
 * wake the orchestrator if it waits for that much.
 */
void pto__orch_wake_ring(struct pto_runtime *rt, struct pto_ring *r, uint64_t la);
/*
 * Progress the orchestrator may wait for in a blocking tensor access was
 * just counted (a seq_cst add of completed or wire_done): wake it if it waits.
 */
void pto__orch_wake_done(struct pto_runtime *rt);

/*
 * A scheduler queued emulated cores worth a second thread (sched/loop.c):
 * wake the orchestrator if it waits and helps (rt->orch_helps).
 */
void pto__orch_wake_help(struct pto_runtime *rt);

/* The run ended (every task completed): wake a draining orchestrator. */
void pto__orch_wake_end(struct pto_runtime *rt);

#endif /* PTO_CORE_RUN_H */
