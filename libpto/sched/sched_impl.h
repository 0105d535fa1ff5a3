/* SPDX-License-Identifier: MIT */
/*
 * sched_impl.h - what the scheduler's files share: the per-thread state
 * (struct pto_sched), the core predicates, and the steps of the loop.
 * Internal to libpto/sched/.
 *
 * Scheduler i owns the clusters c with c % N == i, so every core is
 * touched by exactly one thread and its struct pto_core needs no locks.
 * Ready tasks go through the global lock-free queues per shape (AIC, AIV,
 * MIX) plus a per-thread local buffer for consumers this thread's own
 * completions made ready.
 */
#ifndef PTO_SCHED_SCHED_IMPL_H
#define PTO_SCHED_SCHED_IMPL_H

#include "libpto/core/run.h"
#include "libpto/sched/cond_decode.h"

struct pto_sched {
	struct pto_runtime *rt;
	uint32_t idx;
	pthread_t thread;
	bool started;
	/* owned cores: AIC cores, AIV cores, clusters (AIC core id = cluster id) */
	struct pto_core **aic;
	uint32_t num_aic;
	struct pto_core **aiv;
	uint32_t num_aiv;
	/*
	 * Per single-lane shape, where the next look for a core starts: the
	 * last core given a dispatch, the likeliest to be free again with its
	 * lines still warm (a chain runs on one core), else the next one.
	 * Scanning from the first core every time walked past every core
	 * dispatched since it was free: most of the scheduler's instructions
	 * on short independent tasks.
	 */
	uint32_t cursor[PTO_NUM_SHAPES];
	uint32_t *clusters;
	uint32_t num_clusters;
	struct pto_task *local[PTO_NUM_SHAPES][PTO_LOCAL_READY_CAP];
	uint32_t num_local[PTO_NUM_SHAPES];
	uint64_t dispatches;	/* added to rt->dispatches once, when the thread ends */
	uint64_t emulated_ns;	/* time in pto__device_serve(), likewise added at the end */
	/* its first dispatch and last completion (pass clocks), folded in at the end */
	uint64_t first_dispatch_ns;
	uint64_t last_complete_ns;
	/* doorbells rung this pass, to emulate the cores behind them (rt->emulate) */
	struct pto_serve_list *serve;
	/* atomic: its last hang check saw a dispatch in flight (read by the drain watch) */
	uint32_t inflight;
	/*
	 * MIX reservation: while a ready MIX task found no cluster of ours with
	 * its lanes idle, single-lane tasks stay off lanes @resv_lanes of
	 * cluster @resv_cluster (-1: none), so they drain and the MIX task
	 * starts there instead of starving behind a stream of small tasks.
	 */
	int32_t resv_cluster;
	uint32_t resv_lanes;
	/* sync-start: as owner */
	struct pto_task *sync_task;
	uint64_t sync_req;		/* the rt->sync_req it opened */
	/* sync-start: as lender (offer_* are read by the owner) */
	uint32_t seen_gen;
	bool lending;
	_Alignas(64) uint32_t offer_gen;	/* atomic: request the offer is for */
	uint32_t offer_n;			/* atomic: entries of @offer published */
	uint32_t *offer;			/* atomic entries: core or cluster ids */
};

/*
 * The longest a kernel may usually take and still run on the thread that
 * dispatched it (docs/runtime.md, "Emulating the cores").  While it runs,
 * that scheduler dispatches nothing and checks no deadline, so this bounds
 * the delay inline emulation adds; past it a worker's wake-up (30-55 us
 * here) costs under 5%.  A scheduler spins at most this long for a core
 * another runtime thread runs.
 */
#define PTO_INLINE_MAX_NS	1000000ull

/*
 * Queued kernels beyond the one a scheduler runs first that are worth
 * waking a sleeping orchestrator for (sched/loop.c serve_cores()): a
 * wake-up takes 30-55 us to arrive on a small VM, so with less than about
 * twice that left the scheduler is done before the helper is there.
 */
#define PTO_HELP_WAKE_NS	100000ull

/*
 * Run a dispatch of kernel @k on the dispatching thread (rt->emulate)?
 * Only once the kernel was seen to be short: a kernel of unknown length
 * could hold the scheduler for seconds (its first run goes to a worker,
 * which measures it; sched/complete.c learn_kernel_ns()).
 */
static inline bool kernel_inline(const struct pto_runtime *rt, int32_t k)
{
	uint64_t ns;

	if (!rt->emulate || k < 0)
		return false;
	ns = __atomic_load_n(&rt->kernel_ns[k], __ATOMIC_RELAXED);
	return ns && ns < PTO_INLINE_MAX_NS;
}

static inline uint64_t core_timeout_ns(const struct pto_runtime *rt)
{
	return (uint64_t)rt->cfg.core_timeout_ms * 1000000ull;
}

static inline int32_t sub_kernel(const struct pto_sub *sub)
{
	return sub->task->kernel[sub->lane];
}

static inline void sub_clear(struct pto_sub *sub)
{
	sub->task = NULL;
	sub->id = PTO_COND_NO_ID;
	sub->trace = NULL;
}

/* --- core predicates -------------------------------------------------------------- */

/* Nothing running (raw state; a lent core is free but not ours to use). */
static inline bool core_free(const struct pto_core *c)
{
	return c->run.id == PTO_COND_NO_ID;
}

/* Free and usable by its own scheduler. */
static inline bool core_idle(const struct pto_core *c)
{
	/* lent first: a lent core's other fields belong to the borrower */
	return !c->lent && !c->lost && core_free(c);
}

/* PTO_LANE_* bit of core @c within its cluster. */
static inline uint32_t core_lane_bit(const struct pto_core *c)
{
	return c->type == PTO2_CORE_AIC ? PTO_LANE_AIC : PTO_LANE_AIV0 << c->lane;
}

/* Held for a waiting MIX task of @s: no single-lane task goes there. */
static inline bool core_reserved(const struct pto_sched *s, const struct pto_core *c)
{
	return s->resv_cluster >= 0 && c->cluster == (uint32_t)s->resv_cluster &&
	       (s->resv_lanes & core_lane_bit(c));
}

/*
 * May take a dispatch now: idle, or (dual issue) its running one was latched.
 * Model-checked: tests/models/dispatch.pml (proctype sched).
 */
static inline bool core_takes(const struct pto_runtime *rt, const struct pto_core *c)
{
	if (core_idle(c))
		return true;
	return !c->lent && !(rt->cfg.flags & PTO_RT_NO_DUAL_ISSUE) && c->run_acked &&
	       c->pend.id == PTO_COND_NO_ID;
}

/* The cores of @s that run single-lane tasks of @shape (AIC or AIV), *@n of them. */
static inline struct pto_core **shape_cores(struct pto_sched *s, uint32_t shape, uint32_t *n)
{
	bool aic = shape == PTO_TASK_SHAPE_AIC;

	*n = aic ? s->num_aic : s->num_aiv;
	return aic ? s->aic : s->aiv;
}

/* The core of lane @l (0 AIC, 1 AIV0, 2 AIV1; bit l of PTO_LANE_*) of cluster @c. */
static inline struct pto_core *lane_core(struct pto_runtime *rt, uint32_t c, uint32_t l)
{
	return &rt->cores[l == 0 ? PTO2_AIC_CORE(c) : PTO2_AIV_CORE(rt->num_clusters, c, l - 1)];
}

/* Every lane of @lanes (PTO_LANE_*) of cluster @c is idle. */
static inline bool cluster_idle(struct pto_runtime *rt, uint32_t c, uint32_t lanes)
{
	for (uint32_t l = 0; l < 3; l++)
		if ((lanes & (1u << l)) && !core_idle(lane_core(rt, c, l)))
			return false;
	return true;
}

/* Unit of a sync-start task of @shape/@lanes: a core id (AIC/AIV) or a cluster id (MIX). */
static inline bool unit_idle(struct pto_runtime *rt, uint32_t shape, uint32_t lanes, uint32_t unit)
{
	if (shape != PTO_TASK_SHAPE_MIX)
		return core_idle(&rt->cores[unit]);
	return cluster_idle(rt, unit, lanes);
}

/* --- the steps of the loop, by file ---------------------------------------------- */

/* complete.c: poll @s's busy cores, handle every finished dispatch; return how many. */
uint32_t pto__sched_poll(struct pto_sched *s, uint64_t now);
/* dispatch.c: dispatch the ready tasks that fit @s's cores; return blocks dispatched. */
uint32_t pto__dispatch_ready(struct pto_sched *s, uint64_t now);
/* dispatch.c: leftovers of @s's local ready buffers go to the global queues. */
void pto__flush_local(struct pto_sched *s);
/* payload.c: dispatch the next block of @t on @unit (a core, or a cluster's lanes). */
void pto__dispatch_unit(struct pto_sched *s, struct pto_task *t, uint32_t unit, uint64_t now);
/* sync_start.c: sync-start task @t: launch locally, or open a request.  *@held: @s kept @t. */
uint32_t pto__dispatch_sync(struct pto_sched *s, struct pto_task *t, uint64_t now, bool *held);
/* sync_start.c: every loop: give lent cores back, lend idle ones to an open request. */
void pto__sync_lend(struct pto_sched *s);
/* sync_start.c: owner: launch every block once enough units are idle or lent. */
uint32_t pto__sync_try_launch(struct pto_sched *s, uint64_t now);
/* loop.c: the scheduler thread (pthread start routine, @arg is its struct pto_sched). */
void *pto__sched_main(void *arg);

#endif /* PTO_SCHED_SCHED_IMPL_H */
