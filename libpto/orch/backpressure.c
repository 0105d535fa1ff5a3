// SPDX-License-Identifier: MIT
/*
 * backpressure.c - ring allocation with back-pressure: try the ring, spin,
 * sleep until retirement frees enough (the refill mark), and fail with a
 * named diagnostic when waiting cannot help (PTO_E_SCOPE_DEADLOCK,
 * PTO_E_DEP_POOL) or nothing moves (PTO_E_RING_STALL).  docs/runtime.md,
 * Back-pressure.
 */
#include <inttypes.h>

#include "libpto/orch/orch_impl.h"

static const char *const state_names[] = { "pending", "completed", "consumed" };

static const char *short_name(enum pto_ring_short s)
{
	return s == PTO_RING_SHORT_SLOT ? "task window" :
	       s == PTO_RING_SHORT_HEAP ? "heap" : "dependency pool";
}

static int ring_stall(struct pto_runtime *rt, struct pto_ring *r, enum pto_ring_short why,
		      uint64_t la, uint64_t heap_bytes, uint32_t ms)
{
	struct pto_task *old = &r->slots[la & r->alloc.mask];
	uint32_t st, fanout = 0, fanout_ref = 0;

	/*
	 * The fanout counts change under the task's lock, and a consumed
	 * task's slot may be being reset (the wiring thread retires it after
	 * seeing CONSUMED): read them under the lock, and only while live.
	 */
	pto__task_lock(old);
	st = old->state;
	if (st != PTO_TASK_CONSUMED) {
		fanout = old->fanout_count;
		fanout_ref = old->fanout_refcount;
	}
	pto__task_unlock(old);
	return orch_fail(rt, PTO_E_RING_STALL, "ring %u stalled %u ms on its %s: %" PRIu64
			 " of %u slots live, heap %" PRIu64 "/%" PRIu64 " bytes used (+%" PRIu64
			 " wanted), dep pool %" PRIu64 "/%u; oldest live task %" PRId64
			 " (kernel '%s', %s, fanin %u/%u, fanout %u/%u)", r->id, ms,
			 short_name(why), r->alloc.next - la, r->alloc.window,
			 pto_ring_heap_used(&r->alloc, la), r->alloc.heap_size,
			 heap_bytes ? pto_ring_heap_round(heap_bytes) : 0,
			 pto_ring_dep_used(&r->alloc, la),
			 r->alloc.dep_cap, old->id,
			 pto__kernel_name(rt, old->kernel[0] >= 0 ? old->kernel[0] :
					  old->kernel[1] >= 0 ? old->kernel[1] : old->kernel[2]),
			 st < 3 ? state_names[st] : "?",
			 __atomic_load_n(&old->fanin_refcount, __ATOMIC_RELAXED),
			 __atomic_load_n(&old->fanin_count, __ATOMIC_RELAXED), fanout_ref, fanout);
}

/*
 * After back-pressure, wait until an eighth of what is live has retired
 * (or retiring pauses for ORCH_REFILL_NS) instead of taking room task by
 * task, whichever of slots, heap or dependency entries ran short: waking
 * per retired task kept the orchestrator's CPU busy and starved the
 * emulated cores on a 2-CPU machine (docs/runtime.md, Idling), and
 * alternating one submit with one wait kept it from running them.  The ring
 * advance wakes the orchestrator only at that mark (orch_wake_la), so the
 * batching also saves the wake-ups, not just the submits.
 */
#define ORCH_REFILL_NS		1000000ull

/*
 * The refill mark (declared in orch_impl.h, tested case by case in
 * test_backpressure.c): the ring's watermark once an eighth of the live
 * tasks retired (a full window: an eighth of its slots), but never one a
 * task of an open scope must pass, which cannot retire while this thread
 * waits.
 */
uint64_t pto__refill_mark(uint64_t next, uint64_t la, uint32_t open_tasks)
{
	uint64_t live = next - la, step = live / 8;

	if (step > live - open_tasks)
		step = live - open_tasks;
	return la + (step ? step : 1);
}

static bool ring_refilling(uint64_t la, uint64_t mark, uint64_t idle_ns)
{
	return la < mark && idle_ns < ORCH_REFILL_NS;
}

/*
 * Sleep until the ring's watermark passes @la (reaches @mark when @refill)
 * or @deadline_ns.  The sleep was announced (pto__orch_wait_step())
 * before @la was loaded, so a wake in between is not lost.  Model-checked
 * with its callers: tests/models/wiring_publish.pml (proctype orch).
 */
static void ring_sleep(struct pto_runtime *rt, struct pto_ring *r, uint64_t la, bool refill,
		       uint64_t mark, uint64_t deadline_ns)
{
	uint64_t want = refill ? mark : la + 1;

	/* seq_cst pair with pto__ring_publish()'s store of la and load of orch_wake_la */
	__atomic_store_n(&r->orch_wake_la, want, __ATOMIC_SEQ_CST);
	/*
	 * A new mark: the wiring thread re-arms its wake-up for it; inline, the
	 * consumer of its range's last task advances, and this scan (after the
	 * store) covers one consumed before it (pto__ring_consumed()).
	 */
	if (rt->wiring_on)
		pto_waiter_wake(&rt->wiring_wait);
	else
		pto__ring_advance(rt, r);
	if (__atomic_load_n(&r->ctl->last_task_alive, __ATOMIC_SEQ_CST) == la)
		pto__orch_sleep(rt, deadline_ns);
	else
		pto__orch_sleep_cancel(rt);
}

/*
 * The orchestrator starts waiting on ring @r.  A wiring thread retires
 * lazily, so it is told: while orch_wake_la is set it publishes at once and
 * every consumed task of the ring wakes it (pto__ring_consumed()).
 */
static void ring_wait_begin(struct pto_runtime *rt, struct pto_ring *r, uint64_t la)
{
	/* seq_cst: pairs with pto__ring_consumed()'s load, then the wake starts a scan */
	__atomic_store_n(&r->orch_wake_la, la + 1, __ATOMIC_SEQ_CST);
	if (rt->wiring_on)
		pto_waiter_wake(&rt->wiring_wait);
}

/*
 * Is ring @r's oldest live task @la completed, but held by tasks that start
 * only at the end of a still-open scope (and by nothing that will run)?
 * The orchestrator waiting for this ring cannot end that scope, so the
 * ring can never advance.  Typical cause: readers in a manual scope of a
 * region written with OUTPUT_EXISTING, which does not replace the earlier
 * writers, so each later reader takes a reference on them all.
 * Return: how many unpublished tasks hold it (0: not pinned), *@holder one.
 */
static uint32_t oldest_pinned(struct pto_runtime *rt, struct pto_ring *r, uint64_t la,
			      int64_t *holder)
{
	struct pto_task *old = &r->slots[la & r->alloc.mask];
	uint32_t st, left, held = 0, by_tasks = 0;

	/*
	 * The wiring thread links tasks (and fills their fanin lists) later:
	 * only once it caught up (its seq_cst load pairs with wire_pass()'s add
	 * of wire_done, after the lists were written) are they complete.
	 */
	if (!pto__wiring_caught_up(rt) || old->local != la)
		return 0;
	/* as in ring_stall(): a consumed slot may be being reset, read it only while live */
	pto__task_lock(old);
	st = old->state;
	left = st == PTO_TASK_COMPLETED ? old->fanout_count - old->fanout_refcount : 0;
	pto__task_unlock(old);
	if (st != PTO_TASK_COMPLETED)
		return 0;
	/* its scope's own reference, while that scope is open */
	if (old->scope_depth < rt->depth &&
	    rt->scopes[old->scope_depth].serial == old->scope_serial)
		held++;
	for (uint32_t i = 0; i < rt->num_scope_tasks && held <= left; i++) {
		const struct pto_task *u = rt->scope_tasks[i];
		uint32_t n = 0;

		if (u->published)
			continue;
		for (uint32_t k = 0; k < u->num_fanin; k++)
			n += u->fanin[k] == old->id;
		for (const struct pto_dep_node *d = u->extra_fanin; d; d = d->next)
			n += d->consumer == old;
		if (n)
			*holder = u->id;
		by_tasks += n;
		held += n;
	}
	return by_tasks && held == left ? by_tasks : 0;
}

/* While tasks wait for their scope's end, how often a blocked orchestrator re-checks. */
#define PIN_RECHECK_NS		20000000ull

/*
 * Allocate slot + heap + dependency entries in ring @r (only @deps
 * entries, into *@dep_first, when @g is NULL: pto_add_dependency()),
 * blocking while the schedulers retire work.  Fails at once when only
 * open-scope tasks are live (nothing can ever retire), else after the
 * stall timeout.  Model-checked: tests/models/ring_advance.pml and
 * wiring_publish.pml (proctype orch).
 */
static int ring_alloc_wait(struct pto_runtime *rt, struct pto_ring *r, uint64_t heap_bytes,
			   uint32_t deps, struct pto_ring_grant *g, uint64_t *dep_first)
{
	uint64_t t_wait = 0, cpu_wait = 0, last_progress = 0, prev_la = UINT64_MAX;
	uint64_t stall_since = 0, prev_done = UINT64_MAX;	/* the stall clock */
	uint64_t mark = 0;				/* pto__refill_mark() when it began */
	uint32_t spins = 0, held;
	enum pto_ring_short first = PTO_RING_SHORT_SLOT;	/* what ran short then */
	bool pin_check = true, scanned = false;
	int64_t holder = PTO_TASK_NONE;

	for (;;) {
		/* while waiting, one clock read serves the refill test and the stall timer */
		uint64_t la = ring_alive(r), now = t_wait ? pto_now_ns() : 0, wake_at, done;
		enum pto_ring_short why;
		enum pto_wait_step step;
		bool refill = t_wait && ring_refilling(la, mark, now - last_progress);

		pto_tm_set_alive(&rt->tm, r->id, la, 0);
		if (refill)
			why = first;
		else if (g)
			why = pto_ring_try_alloc(&r->alloc, la, heap_bytes, deps, g);
		else
			why = pto_ring_try_deps(&r->alloc, la, deps, dep_first);
		if (why == PTO_RING_FITS)
			break;
		/*
		 * Inline, consumers advance the ring in batches (core/retire.c):
		 * retire what they left, then look again, before waiting and
		 * once after ring_wait_begin()'s seq_cst store of orch_wake_la,
		 * where this scan (seq_cst loads) is the half of
		 * pto__ring_consumed()'s pair that sees a task its consumer did
		 * not advance over (ring_sleep() scans after its store alike).
		 * Not on every pass: a spinning scan re-reads the line the
		 * oldest task's consumer is about to write.
		 */
		if (!rt->wiring_on && !scanned) {
			pto__ring_advance(rt, r);
			scanned = true;
			continue;
		}
		if (r->alloc.next - la <= r->open_tasks) {
			/* every live task belongs to an open scope: nothing will ever retire */
			if (why == PTO_RING_SHORT_DEP)
				return orch_fail(rt, PTO_E_DEP_POOL, "%s: ring %u dependency pool "
						 "of %u entries cannot hold the open scopes' %" PRIu64
						 " entries + %u more (%s; raise PTO2_RING_DEP_POOL or "
						 "split the scope)", g ? "pto_submit" :
						 "pto_add_dependency", r->id, r->alloc.dep_cap,
						 pto_ring_dep_used(&r->alloc, la), deps,
						 g ? "one per producer still running" :
						 "an edge takes 2");
			return orch_fail(rt, PTO_E_SCOPE_DEADLOCK, "scope at depth %u can never fit "
					 "ring %u: its open scopes hold %u tasks and %" PRIu64
					 " heap bytes; %s too small (window %u slots, heap %" PRIu64
					 " bytes, this task needs %" PRIu64 ")", rt->depth - 1,
					 r->id, r->open_tasks, pto_ring_heap_used(&r->alloc, la),
					 short_name(why), r->alloc.window, r->alloc.heap_size,
					 pto_ring_heap_round(heap_bytes));
		}
		/* (not while refilling: what it waits for is more than it needs) */
		if (pin_check && !refill && (held = oldest_pinned(rt, r, la, &holder)))
			return orch_fail(rt, PTO_E_SCOPE_DEADLOCK, "ring %u can never advance "
					 "(%s full): completed task %" PRId64 " is held by %u "
					 "unpublished tasks (one: %" PRId64 ") till their scope ends; "
					 "%s", r->id, short_name(why), pto_task_id(r->id, la), held,
					 holder, rt->manual_depth ? "a region's earlier writers and "
					 "readers stay for its later accesses unless an INOUT writer "
					 "of the whole region outside the manual scope supersedes them "
					 "(OUTPUT_EXISTING does not, nor a view of another shape): "
					 "write it INOUT there, or end the scope sooner" :
					 "end that scope sooner");
		pin_check = refill;
		if (pto__rt_error(rt))
			return pto__fail(PTO_E_ABORTED, "%s: the run already failed: %s",
					 g ? "pto_submit" : "pto_add_dependency", rt->err.msg);
		if (!t_wait) {
			t_wait = now = pto_now_ns();
			cpu_wait = pto_thread_cpu_ns();
			mark = pto__refill_mark(r->alloc.next, la, r->open_tasks);
			first = why;
			rt->orch_waits++;
			ring_wait_begin(rt, r, la);
			pto__orch_help_begin(rt);
			scanned = false;	/* the scan after the store */
		}
		/*
		 * Progress: a ring advance (also the refill clock), or any task
		 * completing (relaxed: a count, ordering nothing), so a slow
		 * oldest task is no stall while the others still complete.
		 */
		done = __atomic_load_n(&rt->completed, __ATOMIC_RELAXED);
		if (la != prev_la || done != prev_done) {
			if (la != prev_la)
				last_progress = now;
			prev_la = la;
			prev_done = done;
			stall_since = now;
		}
		if (now - stall_since > (uint64_t)rt->cfg.stall_timeout_ms * 1000000ull) {
			rt->orch_blocked_ns += now - t_wait;
			rt->orch_wait_cpu_ns += pto_thread_cpu_ns() - cpu_wait;
			return ring_stall(rt, r, why, la, heap_bytes, rt->cfg.stall_timeout_ms);
		}
		step = pto__orch_wait_step(rt, &spins);
		/* a core it ran is progress: keep spinning, restart the stall clock */
		if (step == PTO_WAIT_RAN)
			stall_since = pto_now_ns();
		if (step != PTO_WAIT_SLEEP)
			continue;
		/* while refilling, wake in time to take what fits if retiring pauses */
		wake_at = stall_since + (uint64_t)rt->cfg.stall_timeout_ms * 1000000ull + 1;
		if (refill && last_progress + ORCH_REFILL_NS + 1 < wake_at)
			wake_at = last_progress + ORCH_REFILL_NS + 1;
		/*
		 * Tasks waiting for their scope's end can pin the oldest task
		 * once it completes, which wakes nobody: look again now and then.
		 */
		if ((rt->manual_depth || rt->cfg.dep_mode == PTO_DEPS_EXPLICIT) &&
		    now + PIN_RECHECK_NS < wake_at)
			wake_at = now + PIN_RECHECK_NS;
		ring_sleep(rt, r, la, refill, mark, wake_at);
		pin_check = true;
	}
	if (t_wait) {
		uint64_t now = pto_now_ns();

		rt->orch_blocked_ns += now - t_wait;
		rt->orch_wait_cpu_ns += pto_thread_cpu_ns() - cpu_wait;
		if (pto_trace_on(rt->trace))
			pto_trace_orch_phase(rt->trace, PTO_PHASE_ORCH_ALLOC_WAIT, t_wait, now, 1);
	}
	return 0;
}

int pto__ring_alloc(struct pto_runtime *rt, struct pto_ring *r, uint64_t heap_bytes,
		      uint32_t deps, struct pto_ring_grant *g, uint64_t *dep_first)
{
	int ret = ring_alloc_wait(rt, r, heap_bytes, deps, g, dep_first);

	pto__orch_help_end(rt);

	/* done waiting (only this thread writes it; a stale read costs a spurious wake) */
	if (__atomic_load_n(&r->orch_wake_la, __ATOMIC_RELAXED) != PTO_NO_WAITER)
		__atomic_store_n(&r->orch_wake_la, PTO_NO_WAITER, __ATOMIC_RELAXED);
	return ret;
}
