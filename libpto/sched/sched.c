// SPDX-License-Identifier: MIT
/*
 * sched.c - scheduler threads: completion decoding, fanout release,
 * dispatch (dual issue, MIX, SPMD, sync-start), hang detection, idling.
 *
 * Scheduler i owns the clusters c with c % N == i, so every core is
 * touched by exactly one thread and its struct pto_core needs no locks.
 * Ready tasks go through the global lock-free queues per shape (AIC, AIV,
 * MIX) plus a per-thread local buffer for consumers this thread's own
 * completions made ready.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libpto/device/device_ops.h"
#include "libpto/device/mmio.h"
#include "libpto/runtime/rt_impl.h"
#include "libpto/sched/cond_decode.h"
#include "runtime/regs.h"

/* Longest a scheduler sleeps without a reason to wake (hang checks need no more). */
#define SCHED_NAP_NS		(100ull * 1000 * 1000)
/*
 * How long an idle scheduler spins before sleeping (PTO_SCHED_SPIN_NS
 * overrides; tuning).  Short for the same reason as the sim's SIM_SPIN_NS:
 * on a small machine its spin takes the CPU the emulated cores need.
 */
#define SCHED_SPIN_NS		5000ull

static uint64_t sched_spin_ns(void)
{
	static uint64_t v;
	uint64_t x = __atomic_load_n(&v, __ATOMIC_RELAXED);

	if (!x) {
		const char *e = getenv("PTO_SCHED_SPIN_NS");

		x = e && *e ? strtoull(e, NULL, 0) + 1 : SCHED_SPIN_NS + 1;
		__atomic_store_n(&v, x, __ATOMIC_RELAXED);
	}
	return x - 1;
}

/* A scheduler that never idles still checks its cores' deadlines this often. */
#define HANG_CHECK_NS		(10ull * 1000 * 1000)

/* How long a failed run waits for each core to acknowledge EXIT. */
#define EXIT_WAIT_NS		(2000ull * 1000 * 1000)

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
	uint32_t *clusters;
	uint32_t num_clusters;
	struct pto_task *local[PTO_NUM_SHAPES][PTO_LOCAL_READY_CAP];
	uint32_t num_local[PTO_NUM_SHAPES];
	uint64_t dispatches;	/* added to rt->dispatches once, when the thread ends */
	/* sync-start: as owner */
	struct pto_task *sync_task;
	uint32_t sync_req_gen;
	/* sync-start: as lender (offer_* are read by the owner) */
	uint32_t seen_gen;
	bool lending;
	_Alignas(64) uint32_t offer_gen;	/* atomic: request the offer is for */
	uint32_t offer_n;			/* atomic: entries of @offer published */
	uint32_t *offer;			/* atomic entries: core or cluster ids */
};

static uint64_t core_timeout_ns(const struct pto_runtime *rt)
{
	return (uint64_t)rt->cfg.core_timeout_ms * 1000000ull;
}

static int32_t sub_kernel(const struct pto_sub *sub)
{
	return sub->task->kernel[sub->lane];
}

/* --- readiness ---------------------------------------------------------------------- */

static void trace_ready(struct pto_runtime *rt, struct pto_task *t)
{
	struct pto_trace_task *tr = pto_trace_task_at(rt->trace, t->trace_idx);

	if (tr)
		tr->t_ready = pto_now_ns();
}

static void make_ready(struct pto_sched *s, struct pto_task *t)
{
	uint32_t sh = t->shape;

	trace_ready(s->rt, t);
	if (s->num_local[sh] < PTO_LOCAL_READY_CAP)
		s->local[sh][s->num_local[sh]++] = t;
	else
		pto__task_push_ready(s->rt, t, false);
}

/* Leftovers of the local buffers go where every scheduler can take them. */
static void flush_local(struct pto_sched *s)
{
	bool pushed = false;

	for (uint32_t sh = 0; sh < PTO_NUM_SHAPES; sh++) {
		for (uint32_t i = 0; i < s->num_local[sh]; i++) {
			pto__task_push_ready(s->rt, s->local[sh][i], false);
			pushed = true;
		}
		s->num_local[sh] = 0;
	}
	if (pushed && s->rt->num_sched > 1)
		pto__sched_kick(s->rt);
}

static struct pto_task *pop_ready(struct pto_sched *s, uint32_t sh)
{
	if (s->num_local[sh])
		return s->local[sh][--s->num_local[sh]];
	return pto_rq_pop(&s->rt->ready[sh]);
}

/* --- completion ----------------------------------------------------------------------- */

static void task_complete(struct pto_sched *s, struct pto_task *t, uint64_t now)
{
	struct pto_runtime *rt = s->rt;
	struct pto_trace_task *tr;
	struct pto_dep_node *node;
	uint32_t ring = t->ring;
	uint64_t local = t->local;	/* the slot may be reused once it is consumed */
	bool consumed;

	/*
	 * Release the producers first: t cannot be consumed (and its argument
	 * block, which holds the fanin list, recycled) before it is COMPLETED.
	 */
	for (uint32_t i = 0; i < t->num_fanin; i++)
		pto__task_release(rt, pto__task_slot(rt, t->fanin[i]));
	for (struct pto_dep_node *n = t->extra_fanin; n; n = n->next)
		pto__task_release(rt, n->consumer);
	tr = pto_trace_task_at(rt->trace, t->trace_idx);
	if (tr)
		tr->t_complete = pto_now_ns();
	pto__task_lock(t);
	node = t->fanout_head;
	consumed = t->fanout_refcount == t->fanout_count;
	/*
	 * One store, under the lock: a consumer wiring itself now sees the task
	 * done and does not queue.  seq_cst: pairs with the load of state in
	 * pto__ring_scan() (see pto__ring_consumed()).
	 */
	__atomic_store_n(&t->state, consumed ? PTO_TASK_CONSUMED : PTO_TASK_COMPLETED,
			 __ATOMIC_SEQ_CST);
	pto__task_unlock(t);
	/* t may be consumed by others from here on: only the nodes are touched */
	while (node) {
		struct pto_task *c = node->consumer;
		struct pto_dep_node *next = node->next;

		if (pto__task_fanin_add(c, 1))
			make_ready(s, c);
		node = next;
	}
	if (consumed)
		pto__ring_consumed(rt, ring, local);
	/* the pass's clock, like first_dispatch_ns: no clock read per task */
	__atomic_store_n(&rt->last_retire_ns, now, __ATOMIC_RELAXED);
	/*
	 * Termination (completed == submitted) implies all of the above.
	 * seq_cst count, then seq_cst load of the flag: pairs with the
	 * orchestrator's seq_cst store of orch_wants_done and load of completed
	 * in tensor_access(): either it sees this task done or this sees the flag.
	 */
	__atomic_fetch_add(&rt->completed, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&rt->orch_wants_done, __ATOMIC_SEQ_CST))
		pto_waiter_wake(&rt->orch_wait);
}

static void sub_finished(struct pto_sched *s, struct pto_core *core, struct pto_sub *sub,
			 uint64_t now)
{
	struct pto_runtime *rt = s->rt;
	uint32_t buf = PTO2_PAYLOAD_SLOT(sub->id);
	/* ordered after the acquire of COND that reported this FIN */
	int32_t status = reg_load_relaxed(&core->regs->status[buf]);
	struct pto_task *t = sub->task;

	if (sub->trace) {
		sub->trace->t_core_start = reg_load_relaxed(&core->regs->start_ns[buf]);
		sub->trace->t_core_end = reg_load_relaxed(&core->regs->end_ns[buf]);
		sub->trace->t_observed = pto_now_ns();
		sub->trace->status = status;
	}
	if (status != 0) {
		pto__rt_fail(rt, PTO_E_KERNEL_FAILED, "task %" PRId64 " failed: kernel '%s' "
			     "(id %d) returned %d on core %u (block %u)", t->id,
			     pto__kernel_name(rt, sub_kernel(sub)), sub_kernel(sub), status,
			     core->id, sub->block_idx);
		return;
	}
	if (__atomic_add_fetch(&t->completed_sub, 1, __ATOMIC_ACQ_REL) == t->total_sub)
		task_complete(s, t, now);
}

static void sub_clear(struct pto_sub *sub)
{
	sub->task = NULL;
	sub->id = PTO_COND_NO_ID;
	sub->trace = NULL;
}

static uint32_t poll_core(struct pto_sched *s, struct pto_core *core, uint64_t now)
{
	struct pto_cond_result res;
	uint32_t cond, done = 0;

	if (core->lent || core->run.id == PTO_COND_NO_ID)
		return 0;
	/*
	 * Pairs with the core's release store of COND after status and timestamps;
	 * the device-memory rmb keeps the status reads after it (libpto/device/mmio.h).
	 * Protocol model: tests/models/dispatch.pml.
	 */
	cond = pto_mmio_read32_acquire(&core->regs->cond);
	res = pto_cond_decode(core->run.id, core->pend.id, cond);
	if (res.running_done) {
		sub_finished(s, core, &core->run, now);
		done++;
	}
	if (res.pending_done) {
		sub_finished(s, core, &core->pend, now);
		done++;
	}
	if (res.promote) {
		core->run = core->pend;
		sub_clear(&core->pend);
		core->run_acked = true;
		core->deadline_ns = now + core_timeout_ns(s->rt);
	} else if (res.running_done) {
		sub_clear(&core->run);
		sub_clear(&core->pend);
		core->run_acked = false;
	}
	if (res.running_acked)
		core->run_acked = true;
	return done;
}

static uint32_t poll_completions(struct pto_sched *s, uint64_t now)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < s->num_aic; i++)
		n += poll_core(s, s->aic[i], now);
	for (uint32_t i = 0; i < s->num_aiv; i++)
		n += poll_core(s, s->aiv[i], now);
	return n;
}

/*
 * Fail the run if a core of @s overran its deadline; else lower
 * *@next_deadline to the nearest one and set *@busy if any core of @s has a
 * dispatch in flight.
 */
static bool check_hangs(struct pto_sched *s, uint64_t now, uint64_t *next_deadline, bool *busy)
{
	struct pto_core **lists[2] = { s->aic, s->aiv };
	uint32_t counts[2] = { s->num_aic, s->num_aiv };

	for (int l = 0; l < 2; l++) {
		for (uint32_t i = 0; i < counts[l]; i++) {
			struct pto_core *c = lists[l][i];

			if (c->lent || c->run.id == PTO_COND_NO_ID)
				continue;
			*busy = true;
			if (now > c->deadline_ns) {
				pto__rt_fail(s->rt, PTO_E_CORE_HANG, "core %u did not finish task "
					     "%" PRId64 " (kernel '%s', block %u) within %u ms",
					     c->id, c->run.task->id,
					     pto__kernel_name(s->rt, sub_kernel(&c->run)),
					     c->run.block_idx, s->rt->cfg.core_timeout_ms);
				return true;
			}
			if (c->deadline_ns < *next_deadline)
				*next_deadline = c->deadline_ns;
		}
	}
	return false;
}

/* --- dispatch ------------------------------------------------------------------------------ */

/* Nothing running (raw state; a lent core is free but not ours to use). */
static bool core_free(const struct pto_core *c)
{
	return c->run.id == PTO_COND_NO_ID;
}

/* Free and usable by its own scheduler. */
static bool core_idle(const struct pto_core *c)
{
	/* lent first: a lent core's other fields belong to the borrower */
	return !c->lent && core_free(c);
}

/* May take a dispatch now: idle, or (dual issue) its running one was latched. */
static bool core_takes(const struct pto_runtime *rt, const struct pto_core *c)
{
	if (core_idle(c))
		return true;
	return !c->lent && !(rt->cfg.flags & PTO_RT_NO_DUAL_ISSUE) && c->run_acked &&
	       c->pend.id == PTO_COND_NO_ID;
}

static void dispatch_sub(struct pto_sched *s, struct pto_core *core, struct pto_task *t,
			 uint32_t block, uint32_t lane, uint64_t now)
{
	struct pto_runtime *rt = s->rt;
	uint32_t id = PTO2_DISPATCH_ID(core->seq);
	struct pto2_dispatch_payload *p = core->payload[PTO2_PAYLOAD_SLOT(id)];
	struct pto_sub *sub = core_free(core) ? &core->run : &core->pend;
	uint64_t *sc = (uint64_t *)(t->args_host + (uint64_t)t->num_tensors *
				    sizeof(struct pto2_tensor_desc));

	core->seq++;
	p->kernel_id = (uint32_t)t->kernel[lane];
	p->flags = 0;
	p->block_idx = block;
	p->block_num = t->block_num;
	p->sub_block_id = lane == 2 ? 1 : 0;
	p->num_tensors = t->num_tensors;
	p->num_scalars = t->num_scalars;
	p->task_id = (uint64_t)t->id;
	for (uint32_t i = 0; i < t->num_tensors; i++)
		p->args[i] = t->args_addr + (uint64_t)i * sizeof(struct pto2_tensor_desc);
	memcpy(&p->args[t->num_tensors], sc, (uint64_t)t->num_scalars * 8);

	sub->task = t;
	sub->id = id;
	sub->block_idx = block;
	sub->lane = lane;
	sub->trace = NULL;
	if (pto_trace_on(rt->trace)) {
		struct pto_trace_dispatch *d = pto_trace_dispatch_begin(rt->trace, s->idx);

		if (d) {
			d->task_idx = t->trace_idx;
			d->task_id = t->id;
			d->kernel = (uint32_t)t->kernel[lane];
			d->core = core->id;
			d->block_idx = block;
			d->sub_block_id = (uint16_t)p->sub_block_id;
			d->sched = (uint16_t)s->idx;
			d->t_dispatch = now;
			sub->trace = d;
		}
	}
	if (sub == &core->run) {
		core->run_acked = false;
		core->deadline_ns = now + core_timeout_ns(rt);
	}
	/*
	 * The payload is complete: pairs with the core's acquire of DATA_MAIN_BASE
	 * (device-memory wmb before the doorbell store: libpto/device/mmio.h).
	 */
	pto_mmio_write32_release(&core->regs->data_main_base, id);
	pto__device_kick(rt->dev, core->id);
	s->dispatches++;
}

/* The cores of @s that run single-lane tasks of @shape (AIC or AIV), *@n of them. */
static struct pto_core **shape_cores(struct pto_sched *s, uint32_t shape, uint32_t *n)
{
	bool aic = shape == PTO_TRACE_SHAPE_AIC;

	*n = aic ? s->num_aic : s->num_aiv;
	return aic ? s->aic : s->aiv;
}

/* Some core of @s can take one more block of a single-lane task of @shape. */
static bool any_core_takes(struct pto_sched *s, uint32_t shape)
{
	uint32_t n;
	struct pto_core **list = shape_cores(s, shape, &n);

	for (uint32_t i = 0; i < n; i++)
		if (core_takes(s->rt, list[i]))
			return true;
	return false;
}

/* The core of lane @l (0 AIC, 1 AIV0, 2 AIV1; bit l of PTO_LANE_*) of cluster @c. */
static struct pto_core *lane_core(struct pto_runtime *rt, uint32_t c, uint32_t l)
{
	return &rt->cores[l == 0 ? PTO2_AIC_CORE(c) : PTO2_AIV_CORE(rt->num_clusters, c, l - 1)];
}

/* Every lane of @lanes (PTO_LANE_*) of cluster @c is idle. */
static bool cluster_idle(struct pto_runtime *rt, uint32_t c, uint32_t lanes)
{
	for (uint32_t l = 0; l < 3; l++)
		if ((lanes & (1u << l)) && !core_idle(lane_core(rt, c, l)))
			return false;
	return true;
}

/* Some cluster of @s has every lane of @lanes idle. */
static bool any_cluster_idle(struct pto_sched *s, uint32_t lanes)
{
	for (uint32_t i = 0; i < s->num_clusters; i++)
		if (cluster_idle(s->rt, s->clusters[i], lanes))
			return true;
	return false;
}

/* --- sync-start across schedulers --------------------------------------------------------
 *
 * A sync-start task's blocks must start together on idle cores (clusters for
 * MIX).  When the scheduler that popped it owns enough, it launches them
 * itself.  Otherwise it becomes the owner of a request: it CASes
 * sync_owner, stores sync_task, and bumps sync_gen to odd.  Every other
 * scheduler, once per loop, lends the idle units of its own it sees: it
 * marks them lent (so it stops polling or using them), appends them to its
 * offer list and release-stores offer_n.  The owner acquire-loads each
 * offer (offer_gen must match the request) and, once the lent units plus
 * its own idle ones cover every block, dispatches all blocks, then bumps
 * sync_gen to even (release) and frees sync_owner.  A lender that
 * acquire-loads the new sync_gen takes its cores back, with the owner's
 * dispatches on them visible, and polls them from then on.  The generation
 * keeps a late lender from mixing two requests.
 */

/* Unit of a sync-start task: a core id (AIC/AIV) or a cluster id (MIX). */
static bool unit_idle(struct pto_runtime *rt, const struct pto_task *t, uint32_t unit)
{
	if (t->shape != PTO_TRACE_SHAPE_MIX)
		return core_idle(&rt->cores[unit]);
	return cluster_idle(rt, unit, t->lanes);
}

static void unit_set_lent(struct pto_runtime *rt, const struct pto_task *t, uint32_t unit)
{
	if (t->shape != PTO_TRACE_SHAPE_MIX) {
		rt->cores[unit].lent = true;
		return;
	}
	for (uint32_t l = 0; l < 3; l++)
		if (t->lanes & (1u << l))
			lane_core(rt, unit, l)->lent = true;
}

/* Idle units of @t that @s owns, into @out (capacity: 2 per cluster). */
static uint32_t local_units(struct pto_sched *s, const struct pto_task *t, uint32_t *out)
{
	uint32_t n = 0;

	if (t->shape == PTO_TRACE_SHAPE_MIX) {
		for (uint32_t i = 0; i < s->num_clusters; i++)
			if (unit_idle(s->rt, t, s->clusters[i]))
				out[n++] = s->clusters[i];
	} else {
		uint32_t cnt;
		struct pto_core **list = shape_cores(s, t->shape, &cnt);

		for (uint32_t i = 0; i < cnt; i++)
			if (core_idle(list[i]))
				out[n++] = list[i]->id;
	}
	return n;
}

/* Dispatch the next block of @t on @unit (a core, or a cluster's lanes). */
static void dispatch_unit(struct pto_sched *s, struct pto_task *t, uint32_t unit, uint64_t now)
{
	struct pto_runtime *rt = s->rt;

	if (t->shape != PTO_TRACE_SHAPE_MIX) {
		dispatch_sub(s, &rt->cores[unit], t, t->next_block,
			     t->shape == PTO_TRACE_SHAPE_AIC ? 0 : 1, now);
	} else {
		for (uint32_t l = 0; l < 3; l++)
			if (t->lanes & (1u << l))
				dispatch_sub(s, lane_core(rt, unit, l), t, t->next_block, l, now);
	}
	t->next_block++;
}

/* Every loop: give cores back after a request ended, lend idle ones to an open one. */
static void sync_lend(struct pto_sched *s)
{
	struct pto_runtime *rt = s->rt;
	/* pairs with the owner's acq_rel bumps of sync_gen */
	uint32_t g = __atomic_load_n(&rt->sync_gen, __ATOMIC_ACQUIRE), n, k, units[2 * PTO2_MAX_CLUSTERS];
	struct pto_task *t;

	if (s->lending && g != s->seen_gen) {
		/* the request ended: the owner's dispatches on our cores are visible */
		for (uint32_t i = 0; i < s->num_aic; i++)
			s->aic[i]->lent = false;
		for (uint32_t i = 0; i < s->num_aiv; i++)
			s->aiv[i]->lent = false;
		s->lending = false;
	}
	if (!(g & 1) || s->sync_task ||
	    __atomic_load_n(&rt->sync_owner, __ATOMIC_RELAXED) == (int32_t)s->idx)
		return;
	t = rt->sync_task;
	if (s->seen_gen != g) {
		s->seen_gen = g;
		s->lending = true;
		__atomic_store_n(&s->offer_n, 0, __ATOMIC_RELAXED);
		/* the reset list is what the owner sees once it reads this gen */
		__atomic_store_n(&s->offer_gen, g, __ATOMIC_RELEASE);
	}
	k = local_units(s, t, units);
	if (!k)
		return;
	n = __atomic_load_n(&s->offer_n, __ATOMIC_RELAXED);
	for (uint32_t i = 0; i < k; i++) {
		unit_set_lent(rt, t, units[i]);
		__atomic_store_n(&s->offer[n++], units[i], __ATOMIC_RELAXED);
	}
	/* the entries and our hands-off (lent) precede: pairs with the owner's acquire */
	__atomic_store_n(&s->offer_n, n, __ATOMIC_RELEASE);
	pto__sched_kick(rt);
}

/* Owner: launch every block once own idle units plus lent ones cover them. */
static uint32_t sync_try_launch(struct pto_sched *s, uint64_t now)
{
	struct pto_runtime *rt = s->rt;
	struct pto_task *t = s->sync_task;
	uint32_t g = s->sync_req_gen, units[2 * PTO2_MAX_CLUSTERS];
	uint32_t own = local_units(s, t, units), total = own, b = t->block_num;

	for (uint32_t j = 0; j < rt->num_sched; j++) {
		struct pto_sched *o = &rt->sched[j];

		if (o != s && __atomic_load_n(&o->offer_gen, __ATOMIC_ACQUIRE) == g)
			total += __atomic_load_n(&o->offer_n, __ATOMIC_ACQUIRE);
	}
	if (total < b)
		return 0;
	for (uint32_t i = 0; i < own && t->next_block < b; i++)
		dispatch_unit(s, t, units[i], now);
	for (uint32_t j = 0; j < rt->num_sched && t->next_block < b; j++) {
		struct pto_sched *o = &rt->sched[j];
		uint32_t n;

		if (o == s || __atomic_load_n(&o->offer_gen, __ATOMIC_ACQUIRE) != g)
			continue;
		n = __atomic_load_n(&o->offer_n, __ATOMIC_ACQUIRE);
		for (uint32_t i = 0; i < n && t->next_block < b; i++)
			dispatch_unit(s, t, __atomic_load_n(&o->offer[i], __ATOMIC_RELAXED), now);
	}
	s->sync_task = NULL;
	/* even again: releases our dispatches on lent cores to their schedulers */
	__atomic_fetch_add(&rt->sync_gen, 1, __ATOMIC_ACQ_REL);
	/* pairs with the acq_rel CAS of the next owner in dispatch_sync() */
	__atomic_store_n(&rt->sync_owner, -1, __ATOMIC_RELEASE);
	pto__sched_kick(rt);
	return b;
}

/* Sync-start task @t: launch locally, or open a request.  *@held: @s kept @t. */
static uint32_t dispatch_sync(struct pto_sched *s, struct pto_task *t, uint64_t now, bool *held)
{
	struct pto_runtime *rt = s->rt;
	uint32_t units[2 * PTO2_MAX_CLUSTERS], n = local_units(s, t, units);
	int32_t none = -1;

	if (n >= t->block_num) {
		for (uint32_t i = 0; i < t->block_num; i++)
			dispatch_unit(s, t, units[i], now);
		return t->block_num;
	}
	/* acq_rel: pairs with the previous owner's release of sync_owner */
	if (rt->num_sched == 1 || s->sync_task ||
	    !__atomic_compare_exchange_n(&rt->sync_owner, &none, (int32_t)s->idx, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return 0;	/* wait for cores, or for the open request to finish */
	rt->sync_task = t;
	/* odd: a request is open; publishes sync_task to the lenders */
	s->sync_req_gen = __atomic_add_fetch(&rt->sync_gen, 1, __ATOMIC_ACQ_REL);
	s->sync_task = t;
	*held = true;
	pto__sched_kick(rt);
	return 0;
}

/* Dispatch what fits of @t; return blocks dispatched.  *@held: see dispatch_sync(). */
static uint32_t dispatch_task(struct pto_sched *s, struct pto_task *t, uint64_t now, bool *held)
{
	struct pto_runtime *rt = s->rt;
	struct pto_core **list;
	uint32_t n = 0, cnt;

	if ((t->flags & PTO_LAUNCH_SYNC_START) && t->block_num > 1)
		return dispatch_sync(s, t, now, held);
	if (t->shape == PTO_TRACE_SHAPE_MIX) {
		for (uint32_t i = 0; i < s->num_clusters && t->next_block < t->block_num; i++) {
			if (!unit_idle(rt, t, s->clusters[i]))
				continue;
			dispatch_unit(s, t, s->clusters[i], now);
			n++;
		}
		return n;
	}
	list = shape_cores(s, t->shape, &cnt);
	/* idle cores first, then pending slots behind latched dispatches */
	for (int pass = 0; pass < 2 && t->next_block < t->block_num; pass++) {
		for (uint32_t i = 0; i < cnt && t->next_block < t->block_num; i++) {
			if (pass == 0 ? !core_idle(list[i]) : !core_takes(rt, list[i]))
				continue;
			dispatch_unit(s, t, list[i]->id, now);
			n++;
		}
	}
	return n;
}

static bool shape_has_room(struct pto_sched *s, uint32_t sh)
{
	if (sh == PTO_TRACE_SHAPE_MIX)
		return any_cluster_idle(s, PTO_LANE_AIV0 | PTO_LANE_AIV1) ||
		       any_cluster_idle(s, PTO_LANE_AIC | PTO_LANE_AIV0);
	return any_core_takes(s, sh);
}

static uint32_t dispatch_ready(struct pto_sched *s, uint64_t now)
{
	/* MIX first (it needs whole clusters); then AIC/AIV, alternating by thread */
	uint32_t order[3] = { PTO_TRACE_SHAPE_MIX, PTO_TRACE_SHAPE_AIC, PTO_TRACE_SHAPE_AIV };
	uint32_t n = 0;

	if (s->idx & 1) {
		order[1] = PTO_TRACE_SHAPE_AIV;
		order[2] = PTO_TRACE_SHAPE_AIC;
	}
	for (int k = 0; k < 3; k++) {
		uint32_t sh = order[k];

		/* the room check scans cores: skip it when nothing of this shape waits */
		if (!s->num_local[sh] && !pto_rq_size(&s->rt->ready[sh]))
			continue;
		while (shape_has_room(s, sh)) {
			struct pto_task *t = pop_ready(s, sh);
			bool held = false;
			uint32_t d;

			if (!t)
				break;
			d = dispatch_task(s, t, now, &held);
			n += d;
			if (held)
				return n;	/* a sync-start request: nothing else until it launched */
			if (t->next_block < t->block_num) {
				/*
				 * Blocks left: let any scheduler with cores take the rest.
				 * Wake the others only if we placed some (then they may have
				 * room); a task we could not place at all waits for a FIN,
				 * and notifying ourselves would keep us from ever sleeping.
				 */
				pto__task_push_ready(s->rt, t, false);
				if (d && s->rt->num_sched > 1)
					pto__sched_kick(s->rt);
				break;
			}
		}
	}
	if (n) {
		uint64_t first = 0;

		/* first dispatch of the run, for pto_run_stats.sched_ns */
		__atomic_compare_exchange_n(&s->rt->first_dispatch_ns, &first, now, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	}
	return n;
}

/* --- the loop --------------------------------------------------------------------------------- */

static bool run_finished(struct pto_runtime *rt)
{
	/* acquire: pairs with the orchestrator's release store of orch_done */
	if (!__atomic_load_n(&rt->orch_done, __ATOMIC_ACQUIRE))
		return false;
	/* acquire: pairs with the release increment of completed in task_complete() */
	return __atomic_load_n(&rt->completed, __ATOMIC_ACQUIRE) ==
	       __atomic_load_n(&rt->submitted, __ATOMIC_RELAXED);
}

static void *sched_main(void *arg)
{
	struct pto_sched *s = arg;
	struct pto_runtime *rt = s->rt;
	struct pto_device *dev = rt->dev;
	uint64_t idle_since = 0, last_hang_check = 0;

	pto_gate_pin_self(rt->plan->sched_cpu[s->idx]);
	for (;;) {
		/* snapshot both before looking for work, so no wake-up is lost */
		uint32_t seen = pto__device_completion_seq(dev);
		uint32_t seen_idle = pto_waiter_prepare(&rt->sched_idle);
		uint64_t now = pto_now_ns(), next = now + SCHED_NAP_NS, t1;
		uint32_t done, disp;
		bool busy = false;

		done = poll_completions(s, now);
		if (pto__rt_error(rt))
			break;
		if (rt->num_sched > 1)
			sync_lend(s);
		disp = s->sync_task ? sync_try_launch(s, now) : dispatch_ready(s, now);
		flush_local(s);
		if (pto_trace_on(rt->trace) && (done || disp)) {
			t1 = pto_now_ns();
			if (done)
				pto_trace_sched_phase(rt->trace, s->idx, PTO_PHASE_SCHED_COMPLETE,
						      now, t1, done);
			if (disp)
				pto_trace_sched_phase(rt->trace, s->idx, PTO_PHASE_SCHED_DISPATCH,
						      now, t1, disp);
		}
		if (pto__rt_error(rt))
			break;
		if (run_finished(rt)) {
			/* wake the other schedulers so they notice too */
			pto__sched_kick(rt);
			break;
		}
		if (done || disp) {
			idle_since = 0;
			/* busy with other cores: still look for a hung one now and then */
			if (now - last_hang_check < HANG_CHECK_NS)
				continue;
		}
		last_hang_check = now;
		if (check_hangs(s, now, &next, &busy))
			break;
		if (done || disp)
			continue;
		/*
		 * Spin by time, not by passes: a pass polls every busy core, and on
		 * a small machine the emulated cores need the CPU we would burn.
		 */
		if (!idle_since)
			idle_since = now;
		if (now - idle_since < sched_spin_ns()) {
			pto_cpu_relax();
			continue;
		}
		t1 = pto_now_ns();
		/*
		 * Nothing in flight on our cores (and no sync-start role): only new
		 * work concerns us, so do not wake for every FIN of the device.
		 */
		if (!busy && !s->sync_task && !s->lending)
			pto_waiter_sleep(&rt->sched_idle, seen_idle, next);
		else
			pto__device_wait_completion(dev, seen, next);
		if (pto_trace_on(rt->trace))
			pto_trace_sched_phase(rt->trace, s->idx, PTO_PHASE_SCHED_SLEEP, t1,
					      pto_now_ns(), 0);
	}
	/* leave nothing behind in the local buffers (the run is over or failed) */
	for (uint32_t sh = 0; sh < PTO_NUM_SHAPES; sh++)
		s->num_local[sh] = 0;
	/* one shared add per run, not per dispatch; pto__sched_join() orders it */
	__atomic_fetch_add(&rt->dispatches, s->dispatches, __ATOMIC_RELAXED);
	return NULL;
}

/* --- setup ------------------------------------------------------------------------------------ */

static int plan_threads(struct pto_runtime *rt)
{
	int32_t cpus[PTO_GATE_MAX_THREADS], mask[CPU_SETSIZE];
	uint32_t ncpus = 0, nmask;
	int ret;

	if (rt->cfg.cpus && rt->cfg.cpus[0]) {
		ret = pto_gate_parse_cpus(rt->cfg.cpus, cpus, PTO_GATE_MAX_THREADS);
		if (ret < 0)
			return ret;
		ncpus = (uint32_t)ret;
	} else {
		for (uint32_t i = 0; i < rt->dev->info.num_cpus && i < PTO_GATE_MAX_THREADS; i++)
			cpus[ncpus++] = rt->dev->info.cpus[i];
	}
	ret = pto_gate_affinity_cpus(mask, CPU_SETSIZE);
	if (ret < 0)
		return ret;
	nmask = (uint32_t)ret;
	rt->plan = calloc(1, sizeof(*rt->plan));
	if (!rt->plan)
		return pto__fail(-ENOMEM, "pto_runtime_create: thread plan");
	ret = pto_gate_plan(cpus, ncpus, mask, nmask, rt->cfg.num_schedulers, rt->cfg.wiring,
			    rt->plan);
	if (!ret && rt->plan->num_schedulers > rt->num_clusters) {
		uint32_t planned = rt->plan->num_schedulers;

		/*
		 * A scheduler owns whole clusters: more threads than clusters would
		 * idle forever.  Plan again for that many, so the printed layout
		 * and its warnings describe the threads that really run.
		 */
		ret = pto_gate_plan(cpus, ncpus, mask, nmask, rt->num_clusters, rt->cfg.wiring,
				    rt->plan);
		if (!ret)
			pto_gate_warn(rt->plan, "%u schedulers capped to the device's %u clusters",
				      planned, rt->num_clusters);
	}
	if (ret)
		return ret;
	if (!(rt->cfg.flags & PTO_RT_QUIET))
		pto_gate_print(rt->plan);
	return 0;
}

void pto__sched_kick(struct pto_runtime *rt)
{
	/* busy schedulers sleep on the device's completion counter, idle ones here */
	pto__device_notify(rt->dev);
	pto_waiter_wake(&rt->sched_idle);
}

int pto__sched_setup(struct pto_runtime *rt)
{
	uint64_t qcap = 2;
	int ret;

	pto_waiter_init(&rt->sched_idle);
	ret = plan_threads(rt);
	if (ret)
		return ret;
	rt->num_sched = rt->plan->num_schedulers;
	rt->cores = calloc(rt->num_cores, sizeof(*rt->cores));
	rt->sched = calloc(rt->num_sched, sizeof(*rt->sched));
	if (!rt->cores || !rt->sched)
		return pto__fail(-ENOMEM, "pto_runtime_create: scheduler state");
	for (uint32_t i = 0; i < rt->num_cores; i++) {
		struct pto_core *c = &rt->cores[i];
		uint64_t pa;
		uint8_t *host;
		uint32_t cur;

		c->id = i;
		c->regs = pto_device_regs(rt->dev, i);
		if (!c->regs)
			return pto__fail(-EINVAL, "pto_runtime_create: core %u has no registers", i);
		c->type = PTO2_CORE_TYPE(rt->num_clusters, i);
		c->cluster = PTO2_CORE_CLUSTER(rt->num_clusters, i);
		c->lane = PTO2_CORE_LANE(rt->num_clusters, i);
		pa = reg_load_relaxed(&c->regs->payload_addr);
		host = pto_mem_map(rt->dev, pa, PTO2_PAYLOADS_PER_CORE * PTO2_PAYLOAD_SIZE);
		if (!host)
			return pto__fail(-EINVAL, "pto_runtime_create: core %u payload address "
					 "0x%" PRIx64 " is not device memory", i, pa);
		c->payload[0] = (struct pto2_dispatch_payload *)host;
		c->payload[1] = (struct pto2_dispatch_payload *)(host + PTO2_PAYLOAD_SIZE);
		/*
		 * Continue the core's id sequence: a core ignores a DATA_MAIN_BASE
		 * equal to the last one it latched (an earlier runtime's).
		 */
		cur = reg_load_relaxed(&c->regs->data_main_base);
		c->seq = cur >= PTO2_ID_MIN && cur <= PTO2_ID_MAX ? cur : 0;
	}
	for (uint32_t i = 0; i < rt->num_sched; i++) {
		struct pto_sched *s = &rt->sched[i];
		uint32_t nc = 0;

		s->rt = rt;
		s->idx = i;
		for (uint32_t c = i; c < rt->num_clusters; c += rt->num_sched)
			nc++;
		s->clusters = calloc(nc, sizeof(*s->clusters));
		s->aic = calloc(nc, sizeof(*s->aic));
		s->aiv = calloc(2 * nc, sizeof(*s->aiv));
		/* one request can borrow each idle unit once: 2 AIV cores per cluster */
		s->offer = calloc(2 * nc, sizeof(*s->offer));
		if (!s->clusters || !s->aic || !s->aiv || !s->offer)
			return pto__fail(-ENOMEM, "pto_runtime_create: scheduler %u cores", i);
		for (uint32_t c = i; c < rt->num_clusters; c += rt->num_sched) {
			s->clusters[s->num_clusters++] = c;
			s->aic[s->num_aic++] = &rt->cores[PTO2_AIC_CORE(c)];
			s->aiv[s->num_aiv++] = &rt->cores[PTO2_AIV_CORE(rt->num_clusters, c, 0)];
			s->aiv[s->num_aiv++] = &rt->cores[PTO2_AIV_CORE(rt->num_clusters, c, 1)];
		}
	}
	/* sync-start capacity: the device's (schedulers pool their cores for it) */
	rt->sched_caps[PTO_TRACE_SHAPE_AIC] = rt->num_clusters;
	rt->sched_caps[PTO_TRACE_SHAPE_AIV] = 2 * rt->num_clusters;
	rt->sched_caps[PTO_TRACE_SHAPE_MIX] = rt->num_clusters;
	/* every task of every window may be ready at once: a push can never fail */
	for (int r = 0; r < PTO_NUM_RINGS; r++)
		qcap += rt->cfg.task_window[r];
	while (qcap & (qcap - 1))
		qcap &= qcap - 1;
	qcap <<= 1;
	for (int sh = 0; sh < PTO_NUM_SHAPES; sh++) {
		ret = pto_rq_init(&rt->ready[sh], qcap);
		if (ret)
			return pto__fail(ret, "pto_runtime_create: ready queue of %" PRIu64, qcap);
	}
	return 0;
}

void pto__sched_teardown(struct pto_runtime *rt)
{
	if (rt->sched) {
		for (uint32_t i = 0; i < rt->num_sched; i++) {
			free(rt->sched[i].clusters);
			free(rt->sched[i].aic);
			free(rt->sched[i].aiv);
			free(rt->sched[i].offer);
		}
	}
	for (int sh = 0; sh < PTO_NUM_SHAPES; sh++)
		if (rt->ready[sh].cells)
			pto_rq_fini(&rt->ready[sh]);
	free(rt->sched);
	free(rt->cores);
	free(rt->plan);
}

int pto__sched_start(struct pto_runtime *rt)
{
	/* no thread runs: a failed run may have left a request open */
	rt->sync_owner = -1;
	rt->sync_gen = 0;
	rt->sync_task = NULL;
	for (uint32_t i = 0; i < rt->num_cores; i++)
		rt->cores[i].lent = false;
	for (uint32_t i = 0; i < rt->num_sched; i++) {
		struct pto_sched *s = &rt->sched[i];

		s->sync_task = NULL;
		s->seen_gen = 0;
		s->lending = false;
		s->offer_gen = 0;
		s->offer_n = 0;
		s->dispatches = 0;
	}
	for (uint32_t i = 0; i < rt->num_sched; i++) {
		struct pto_sched *s = &rt->sched[i];
		int ret = pthread_create(&s->thread, NULL, sched_main, s);

		if (ret) {
			pto__rt_fail(rt, -ret, "pto_run: cannot start scheduler thread %u", i);
			return -ret;
		}
		s->started = true;
	}
	return 0;
}

void pto__sched_join(struct pto_runtime *rt)
{
	for (uint32_t i = 0; i < rt->num_sched; i++) {
		if (rt->sched[i].started)
			pthread_join(rt->sched[i].thread, NULL);
		rt->sched[i].started = false;
	}
}

void pto__sched_stop_cores(struct pto_runtime *rt)
{
	struct pto_device *dev = rt->dev;
	uint64_t deadline = pto_now_ns() + EXIT_WAIT_NS;

	/*
	 * Every core gets EXIT, busy or not: the next dispatch id brings it
	 * back, and a core that latched EXIT is known to have dropped whatever
	 * the failed run gave it.
	 */
	for (uint32_t i = 0; i < rt->num_cores; i++) {
		/* nothing new in the payloads; pairs with the core's acquire */
		pto_mmio_write32_release(&rt->cores[i].regs->data_main_base, PTO2_REG_EXIT);
		pto__device_kick(dev, i);
	}
	for (uint32_t i = 0; i < rt->num_cores; i++) {
		struct pto_core *c = &rt->cores[i];

		for (;;) {
			uint32_t seen = pto__device_completion_seq(dev);

			/* pairs with the core's release store of COND_EXITED */
			if (pto_mmio_read32_acquire(&c->regs->cond) == PTO2_COND_EXITED)
				break;
			if (pto_now_ns() > deadline) {
				fprintf(stderr, "pto: core %u did not acknowledge EXIT\n", i);
				break;
			}
			pto__device_wait_completion(dev, seen, pto_now_ns() + 1000000);
		}
		sub_clear(&c->run);
		sub_clear(&c->pend);
		c->run_acked = false;
	}
	/* forget the failed run's ready tasks */
	for (int sh = 0; sh < PTO_NUM_SHAPES; sh++)
		while (pto_rq_pop(&rt->ready[sh]))
			;
}
