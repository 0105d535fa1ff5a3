// SPDX-License-Identifier: MIT
/*
 * retire.c - a consumed task's slot retires: the ring's consumed prefix is
 * reset and last_task_alive moves over it, which frees the slots, heap
 * blocks and dependency entries for reuse (and wakes an orchestrator
 * waiting for them, wake.c).  Inline, the thread that consumed a task
 * advances the ring, once per batch (and at once while the orchestrator
 * waits); with a wiring thread, that thread alone retires (wiring/thread.c)
 * and is woken from here.
 */
#include "libpto/core/run.h"
#include "libpto/core/test_hooks.h"
#include "runtime/regs.h"

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
	 * (ring_alive(), orch/orch_impl.h) before it reuses a slot or heap
	 * block.  seq_cst: the other half of the pair in pto__orch_wake_ring().
	 */
	__atomic_store_n(&r->ctl->last_task_alive, la, __ATOMIC_SEQ_CST);
	pto__orch_wake_ring(rt, r, la);
}

/*
 * The orchestrator waits for ring @r to retire up to @want, and task @la
 * (below @top, the tasks whose slots the caller may read) blocks it.  The
 * consumer of task want - 1 retires for it anyway (pto__ring_consumed());
 * if that one is consumed already (out-of-order completion), ask the
 * consumer of @la instead.  Return true if @la was consumed meanwhile
 * (scan again).  The wiring thread's retire pass and, inline, the advance
 * lock's holder call it, so its store has one writer at a time.
 */
bool pto__ring_arm_wake(struct pto_ring *r, uint64_t la, uint64_t want, uint64_t top)
{
	const struct pto_task *last = &r->slots[(want - 1) & r->alloc.mask];
	uint64_t at = PTO_NO_WAITER;

	/*
	 * seq_cst loads and store: the pairs are listed in pto__ring_consumed().
	 * A task at or past @top is not consumed (and its slot not ours to read).
	 */
	if (want - 1 > la && want - 1 < top && last->local == want - 1 &&
	    __atomic_load_n(&last->state, __ATOMIC_SEQ_CST) == PTO_TASK_CONSUMED)
		at = la;
	__atomic_store_n(&r->orch_wake_at, at, __ATOMIC_SEQ_CST);
	return at != PTO_NO_WAITER &&
	       __atomic_load_n(&r->slots[la & r->alloc.mask].state, __ATOMIC_SEQ_CST) ==
	       PTO_TASK_CONSUMED;
}

void pto__ring_advance(struct pto_runtime *rt, struct pto_ring *r)
{
	/* seq_cst on the flag and the lock: see the retry argument in docs/runtime.md */
	__atomic_store_n(&r->advance_pending, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		uint64_t la, cur, top, want;

		if (__atomic_exchange_n(&r->advance_lock, 1, __ATOMIC_SEQ_CST))
			return;	/* the holder re-checks advance_pending before leaving */
		__atomic_store_n(&r->advance_pending, 0, __ATOMIC_SEQ_CST);
		la = reg_load_relaxed(&r->ctl->last_task_alive);	/* only the lock holder writes it */
		/* pairs with the orchestrator's release store after it initialized the slot */
		top = reg_load_acquire(&r->ctl->current_task_index);
		cur = pto__ring_scan(rt, r, la, top);
		if (cur != la)
			pto__ring_publish(rt, r, cur);
		/* a waiting orchestrator's range is not done yet: is a straggler blocking it? */
		want = __atomic_load_n(&r->orch_wake_la, __ATOMIC_SEQ_CST);
		if (want != PTO_NO_WAITER && cur < want && cur < top &&
		    pto__ring_arm_wake(r, cur, want, top))
			__atomic_store_n(&r->advance_pending, 1, __ATOMIC_SEQ_CST);
		PTO_TEST_HOOK(advance_scanned, r);
		__atomic_store_n(&r->advance_lock, 0, __ATOMIC_SEQ_CST);
		if (!__atomic_load_n(&r->advance_pending, __ATOMIC_SEQ_CST))
			return;
	}
}

/* While the orchestrator waits, every this many consumed tasks publish progress. */
#define RETIRE_TICK		256

/* Inline, the consumer of every this many tasks (at most a quarter window) advances the ring. */
#define RETIRE_BATCH		64

void pto__ring_consumed(struct pto_runtime *rt, uint32_t ring, uint64_t local)
{
	struct pto_ring *r = &rt->rings[ring];
	uint64_t want, mask;

	want = __atomic_load_n(&r->orch_wake_la, __ATOMIC_SEQ_CST);
	if (!rt->wiring_on) {
		/*
		 * An advance costs five full barriers and a store to the line
		 * the orchestrator loads on every submit: take it once per
		 * batch, and while the orchestrator waits for this ring, for
		 * the task that completes the range it waits for: the last one
		 * of the range (in-order completion), or the straggler the last
		 * advance found blocking it (orch_wake_at, pto__ring_arm_wake()).
		 * Every task advancing while it waited made a refill of an
		 * eighth of the window cost the consumers that many advances.
		 * No advance is lost: the CONSUMED store and these loads are
		 * seq_cst, as are the orchestrator's store of orch_wake_la
		 * (followed by its own advance, ring_alloc_wait()) and the
		 * advancer's store of orch_wake_at (followed by a re-check of
		 * that task), and the scan's load of the state; so either this
		 * thread sees the request, or that scan sees the task consumed.
		 * The rest is retired by the next batch, the orchestrator when
		 * it is short of space, or pto__ring_retire_rest() at the end.
		 * Model-checked: tests/models/ring_advance.pml.
		 */
		/* window >= 4 (pto_runtime_create()): a batch is at least one task */
		mask = (r->alloc.window / 4 < RETIRE_BATCH ? r->alloc.window / 4 : RETIRE_BATCH) - 1;
		if ((local & mask) == mask ||
		    (want != PTO_NO_WAITER && (local + 1 == want ||
		     local == __atomic_load_n(&r->orch_wake_at, __ATOMIC_SEQ_CST))))
			pto__ring_advance(rt, r);
		return;
	}
	/*
	 * The wiring thread alone retires slots (so it may skip retired
	 * producers without touching their slots).  It retires on every pass
	 * it makes anyway; a consumed task wakes it only while the
	 * orchestrator waits for this ring, and then only the task that can
	 * complete the range it waits for: the last one of the range (in-order
	 * completion), or the one the wiring thread found blocking it
	 * (orch_wake_at).  No wake-up is lost: the CONSUMED store and these
	 * loads are seq_cst, as are the stores of orch_wake_la (each followed
	 * by a wake of the wiring thread) and of orch_wake_at (followed by a
	 * re-check of that task), and the scan's load of the state; so either
	 * this thread sees the request, or the wiring thread sees the task
	 * consumed.  Model-checked: tests/models/wiring_publish.pml.
	 */
	if (want == PTO_NO_WAITER)
		return;
	/*
	 * Also every RETIRE_TICK-th task: a refill can take longer than the
	 * orchestrator's "retiring paused" timeout (ORCH_REFILL_NS), and
	 * without visible progress it would give up waiting for the mark.
	 */
	if (local + 1 >= want || (local & (RETIRE_TICK - 1)) == RETIRE_TICK - 1 ||
	    local == __atomic_load_n(&r->orch_wake_at, __ATOMIC_SEQ_CST))
		pto_waiter_wake(&rt->wiring_wait);
}

void pto__ring_retire_rest(struct pto_runtime *rt)
{
	if (rt->wiring_on)
		return;	/* the wiring thread retires the rest before it ends */
	for (int i = 0; i < PTO_NUM_RINGS; i++)
		pto__ring_advance(rt, &rt->rings[i]);
}
