// SPDX-License-Identifier: MIT
/*
 * lifecycle.c - task reference counting and ring retirement, callable from
 * the orchestrator and every scheduler thread.
 *
 * A task holds one fanout reference for its scope plus one per consumer
 * that wired itself onto it.  It is CONSUMED once it COMPLETED and every
 * reference was released; both transitions happen under the task's lock,
 * so exactly one thread sees "now consumed" and moves the ring watermark.
 */
#include <errno.h>
#include <sched.h>

#include "libpto/runtime/rt_impl.h"
#include "runtime/regs.h"

void pto__task_lock(struct pto_task *t)
{
	uint32_t spins = 0;

	/* acquire: pairs with the release in pto__task_unlock() */
	while (__atomic_exchange_n(&t->lock, 1, __ATOMIC_ACQUIRE)) {
		/* critical sections are a few stores; yield if the holder was preempted */
		if (++spins < 128)
			pto_cpu_relax();
		else
			sched_yield();
	}
}

void pto__task_unlock(struct pto_task *t)
{
	/* release: pairs with the acquire exchange in pto__task_lock() */
	__atomic_store_n(&t->lock, 0, __ATOMIC_RELEASE);
}

/* Under @t's lock: COMPLETED with every reference back -> CONSUMED. */
static bool try_consume_locked(struct pto_task *t)
{
	if (t->state != PTO_TASK_COMPLETED || t->fanout_refcount != t->fanout_count)
		return false;
	/* seq_cst: pairs with pto__ring_scan()'s load (see pto__ring_consumed()) */
	__atomic_store_n(&t->state, PTO_TASK_CONSUMED, __ATOMIC_SEQ_CST);
	return true;
}

void pto__task_release(struct pto_runtime *rt, struct pto_task *t)
{
	uint32_t ring = t->ring;
	uint64_t local = t->local;	/* the slot may be reused once it is consumed */
	bool consumed;

	pto__task_lock(t);
	t->fanout_refcount++;
	consumed = try_consume_locked(t);
	pto__task_unlock(t);
	if (consumed)
		pto__ring_consumed(rt, ring, local);
}

bool pto__task_fanin_add(struct pto_task *t, uint32_t n)
{
	/*
	 * acq_rel: the thread that makes the count whole sees every write the
	 * other contributors made before their increments (the orchestrator's
	 * slot initialization included).
	 */
	uint32_t v = __atomic_add_fetch(&t->fanin_refcount, n, __ATOMIC_ACQ_REL);

	return v == __atomic_load_n(&t->fanin_count, __ATOMIC_RELAXED);
}

void pto__task_push_ready(struct pto_runtime *rt, struct pto_task *t, bool notify)
{
	/* the queue's release/acquire hands the task's fields to the popper */
	if (!pto_rq_push(&rt->ready[t->shape], t)) {
		pto__rt_fail(rt, -ENOSPC, "ready queue %u full pushing task %lld (capacity is "
			     "sized from the task windows: this is a bug)", t->shape,
			     (long long)t->id);
		return;
	}
	/* wake a scheduler asleep on completions: one sleep serves both events */
	if (notify)
		pto__sched_kick(rt);
}

/* Reset a retired slot so a stale observer sees nothing to follow. */
static void slot_reset(struct pto_task *t)
{
	t->fanout_head = NULL;
	t->fanout_count = 0;
	t->fanout_refcount = 0;
	t->num_fanin = 0;
}

uint64_t pto__ring_scan(struct pto_runtime *rt, struct pto_ring *r, uint64_t la, uint64_t cur)
{
	while (la < cur) {
		struct pto_task *t = &r->slots[la & r->alloc.mask];
		struct pto_trace_task *tr;

		/*
		 * Pairs with the seq_cst store of CONSUMED (try_consume_locked(),
		 * task_complete()); seq_cst for the wiring thread's wake-up
		 * argument in pto__ring_consumed().
		 */
		if (__atomic_load_n(&t->state, __ATOMIC_SEQ_CST) != PTO_TASK_CONSUMED ||
		    t->local != la)
			break;
		tr = pto_trace_task_at(rt->trace, t->trace_idx);
		if (tr)
			tr->t_retired = pto_now_ns();
		slot_reset(t);
		la++;
	}
	return la;
}

void pto__ring_publish(struct pto_runtime *rt, struct pto_ring *r, uint64_t la)
{
	/*
	 * The slots were reset before the watermark says they are free: the
	 * store pairs with the orchestrator's acquire load of last_task_alive
	 * (ring_alive() in orch.c) before it reuses a slot or heap block.
	 * seq_cst store of la, then seq_cst load of the wanted watermark: pairs
	 * with ring_alloc()'s seq_cst store of orch_wake_la and reload of
	 * last_task_alive, so one of the two sees the other.
	 */
	__atomic_store_n(&r->ctl->last_task_alive, la, __ATOMIC_SEQ_CST);
	if (la >= __atomic_load_n(&r->orch_wake_la, __ATOMIC_SEQ_CST))
		pto_waiter_wake(&rt->orch_wait);
}

/*
 * Move ring @r's watermark over its consumed prefix (never loses an advance).
 * Model-checked, retry and its removal: tests/models/ring_advance.pml.
 */
static void ring_advance(struct pto_runtime *rt, struct pto_ring *r)
{
	/* seq_cst on the flag and the lock: see the retry argument in docs/runtime.md */
	__atomic_store_n(&r->advance_pending, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		uint64_t la, cur;

		if (__atomic_exchange_n(&r->advance_lock, 1, __ATOMIC_SEQ_CST))
			return;	/* the holder re-checks advance_pending before leaving */
		__atomic_store_n(&r->advance_pending, 0, __ATOMIC_SEQ_CST);
		la = reg_load_relaxed(&r->ctl->last_task_alive);	/* only the lock holder writes it */
		/* pairs with the orchestrator's release store after it initialized the slot */
		cur = reg_load_acquire(&r->ctl->current_task_index);
		cur = pto__ring_scan(rt, r, la, cur);
		if (cur != la)
			pto__ring_publish(rt, r, cur);
		__atomic_store_n(&r->advance_lock, 0, __ATOMIC_SEQ_CST);
		if (!__atomic_load_n(&r->advance_pending, __ATOMIC_SEQ_CST))
			return;
	}
}

/* While the orchestrator waits, every this many consumed tasks publish progress. */
#define RETIRE_TICK		256

void pto__ring_consumed(struct pto_runtime *rt, uint32_t ring, uint64_t local)
{
	struct pto_ring *r = &rt->rings[ring];
	uint64_t want;

	if (!rt->wiring_on) {
		ring_advance(rt, r);
		return;
	}
	/*
	 * The wiring thread alone retires slots (so it may skip retired
	 * producers without touching their slots).  It retires on every pass
	 * it makes anyway; a consumed task wakes it only while the
	 * orchestrator waits for this ring, and then only the task that can
	 * complete the range it waits for: the last one of the range (in-order
	 * completion), or the one the wiring thread found blocking it
	 * (wiring_wake_at).  No wake-up is lost: the CONSUMED store and these
	 * loads are seq_cst, as are the stores of orch_wake_la (each followed
	 * by a wake of the wiring thread) and of wiring_wake_at (followed by a
	 * re-check of that task), and the scan's load of the state; so either
	 * this thread sees the request, or the wiring thread sees the task
	 * consumed.  Model-checked: tests/models/wiring_publish.pml.
	 */
	want = __atomic_load_n(&r->orch_wake_la, __ATOMIC_SEQ_CST);
	if (want == PTO_NO_WAITER)
		return;
	/*
	 * Also every RETIRE_TICK-th task: a refill can take longer than the
	 * orchestrator's "retiring paused" timeout (ORCH_REFILL_NS), and
	 * without visible progress it would give up waiting for the mark.
	 */
	if (local + 1 >= want || (local & (RETIRE_TICK - 1)) == RETIRE_TICK - 1 ||
	    local == __atomic_load_n(&r->wiring_wake_at, __ATOMIC_SEQ_CST))
		pto_waiter_wake(&rt->wiring_wait);
}
