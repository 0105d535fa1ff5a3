// SPDX-License-Identifier: MIT
/*
 * thread.c - the wiring thread (pto_runtime_config.wiring = 1).
 *
 * The orchestrator hands each submitted task over through an MPMC queue
 * (used single-producer, single-consumer) instead of linking it itself; this
 * thread links it onto its producers, pushes the tasks that became ready,
 * and is the only one that retires consumed slots.  It publishes the new
 * last_task_alive in batches (fewer stores to the line the orchestrator
 * polls), but at once whenever the orchestrator waits on that ring, whenever
 * it has nothing else to do, and at the end of the run, so no slot stays
 * hidden behind a stale watermark.  Dependency entries need no reclaim pass
 * of their own: the ring allocator frees them by that watermark (ring.h).
 * The publication and its wake-ups are model-checked in
 * tests/models/wiring_publish.pml (wiring_main(), retire_pass(), arm_wake()).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>

#include "libpto/wiring/wiring.h"
#include "runtime/regs.h"

/* Entries handled per pass before the retire scan runs again. */
#define WIRE_PASS_MAX		256
/*
 * Idle passes before it sleeps: fewer than the orchestrator's PTO_SPIN_BUDGET
 * pauses, since each pass also scans, and on a small machine the CPU it
 * spins on is one the schedulers and emulated cores need.
 */
#define WIRING_SPIN_PASSES	256
/*
 * Longest sleep: every event it waits for wakes it, so this only bounds
 * what a wake-up lost to a bug would cost (like the schedulers' nap).
 */
#define WIRING_NAP_NS		(100ull * 1000 * 1000)
/* Retired slots per ring published together (at most a quarter window). */
#define PUBLISH_BATCH_MAX	16

#define WIRE_OPS_MASK		((uintptr_t)(PTO_WIRE_LINK | PTO_WIRE_PUBLISH | PTO_WIRE_RELEASE))
_Static_assert(_Alignof(struct pto_task) > WIRE_OPS_MASK, "the ops fit a task pointer's low bits");

int pto__wiring_setup(struct pto_runtime *rt)
{
	uint64_t cap, n = 0;
	int ret;

	rt->wiring_on = rt->cfg.wiring != 0;
	pto_waiter_init(&rt->wiring_wait);
	if (!rt->wiring_on)
		return 0;
	/*
	 * a live task has at most two entries queued (link at submit, then
	 * publish and/or release at scope end): a push never fails
	 */
	for (int r = 0; r < PTO_NUM_RINGS; r++)
		n += 2 * (uint64_t)rt->cfg.task_window[r];
	cap = pto__queue_cap(n);
	ret = pto_rq_init(&rt->wire_q, cap);
	if (ret)
		return pto__fail(ret, "pto_runtime_create: wiring queue of %" PRIu64 " entries", cap);
	return 0;
}

void pto__wiring_teardown(struct pto_runtime *rt)
{
	if (rt->wire_q.cells)
		pto_rq_fini(&rt->wire_q);
}

int pto__wiring_push(struct pto_runtime *rt, struct pto_task *t, uint32_t ops)
{
	/* tasks are 64-byte aligned: the low bits carry the ops */
	if (!pto_rq_push(&rt->wire_q, (void *)((uintptr_t)t | ops)))
		return pto__rt_fail(rt, -ENOSPC, "wiring queue full handing over task %" PRId64
				    " (it is sized from the task windows: this is a bug)", t->id);
	rt->wire_pushed++;
	/* its seq_cst increment orders the push before the check for a sleeper */
	pto_waiter_wake(&rt->wiring_wait);
	return 0;
}

/* Link, publish and/or release one handed-over task; true if it became ready. */
static bool wire_one(struct pto_runtime *rt, struct pto_task *t, uint32_t ops)
{
	struct pto_trace_task *tr = NULL;
	uint32_t add = 0;
	bool ready = false;

	if (pto_trace_on(rt->trace))
		tr = pto_trace_task_at(rt->trace, t->trace_idx);
	if (ops & PTO_WIRE_LINK) {
		uint64_t dep_top = t->dep_first;

		/* handed over in submit order, per ring */
		rt->rings[t->ring].wire_top = t->local + 1;
		/* before wiring drops the producers that retired since the submit */
		if (tr)
			pto_trace_task_fanin(rt->trace, tr, t->fanin, t->num_fanin);
		/* the orchestrator left the candidate producers in t->fanin */
		add = pto__task_wire(rt, t, t->fanin, t->num_fanin, &dep_top);
	}
	if (ops & PTO_WIRE_PUBLISH) {
		add++;	/* the redundant fanin that kept t unready while it was wired */
		if (tr)
			tr->t_publish = pto_now_ns();
	}
	if (add && pto__task_fanin_add(t, add)) {
		if (tr)
			tr->t_ready = pto_now_ns();
		pto__task_push_ready(rt, t, false);
		ready = true;
	}
	/* last: it may consume t (only this thread retires the slot) */
	if (ops & PTO_WIRE_RELEASE)
		pto__task_release(rt, t);
	return ready;
}

/* Handle up to WIRE_PASS_MAX queued entries; return how many. */
static uint32_t wire_pass(struct pto_runtime *rt)
{
	uint32_t n = 0, ready = 0;
	void *e;

	while (n < WIRE_PASS_MAX && (e = pto_rq_pop(&rt->wire_q))) {
		uintptr_t v = (uintptr_t)e;

		ready += wire_one(rt, (struct pto_task *)(v & ~WIRE_OPS_MASK),
				  (uint32_t)(v & WIRE_OPS_MASK));
		n++;
	}
	if (ready)
		pto__sched_kick(rt);	/* one wake-up for the whole pass */
	if (n) {
		/*
		 * seq_cst add, then pto__orch_wake_done()'s seq_cst load of the
		 * flag: pairs with tensor_access()'s store of orch_wants_done and
		 * its load of wire_done (pto__wiring_caught_up()).
		 */
		__atomic_fetch_add(&rt->wire_done, n, __ATOMIC_SEQ_CST);
		pto__orch_wake_done(rt);
	}
	return n;
}

static uint64_t publish_batch(const struct pto_ring *r)
{
	uint64_t b = r->alloc.window / 4;	/* window >= 4 */

	return b < PUBLISH_BATCH_MAX ? b : PUBLISH_BATCH_MAX;
}

/*
 * Retire every ring's consumed prefix; publish it when @force, when a batch
 * is full, or when the orchestrator waits on that ring.  Return true if it
 * retired anything (or must look again).
 */
static bool retire_pass(struct pto_runtime *rt, bool force)
{
	bool busy = false;

	for (int i = 0; i < PTO_NUM_RINGS; i++) {
		struct pto_ring *r = &rt->rings[i];
		/*
		 * Only tasks handed over can be consumed: scan up to those rather
		 * than current_task_index, a line the orchestrator writes per submit.
		 */
		uint64_t cur = r->wire_top;
		uint64_t la = pto__ring_scan(rt, r, r->scan_la, cur);
		/* this thread is its only writer */
		uint64_t pub = reg_load_relaxed(&r->ctl->last_task_alive);
		/*
		 * Relaxed is enough: the orchestrator wakes this thread after each
		 * store, so the pass after that wake sees it.
		 */
		uint64_t want = __atomic_load_n(&r->orch_wake_la, __ATOMIC_RELAXED);

		busy |= la != r->scan_la;
		r->scan_la = la;
		if (la != pub && (force || la - pub >= publish_batch(r) || want != PTO_NO_WAITER))
			pto__ring_publish(rt, r, la);
		if (want != PTO_NO_WAITER && la < want && la < cur)
			busy |= pto__ring_arm_wake(r, la, want, cur);
	}
	return busy;
}

static void *wiring_main(void *arg)
{
	struct pto_runtime *rt = arg;
	uint32_t spins = 0;
	struct pto_waiter_arm arm = { 0 };
	uint64_t cpu0 = pto_thread_cpu_ns();

	pthread_setname_np(pthread_self(), "pto-wiring");
	for (;;) {
		/* acquire: pairs with pto_run()'s release store after the last handover */
		bool orch_done = __atomic_load_n(&rt->orch_done, __ATOMIC_ACQUIRE);
		uint64_t t0 = pto_trace_on(rt->trace) ? pto_now_ns() : 0, t1;
		uint32_t wired = wire_pass(rt);
		bool retired, finished;

		if (t0 && wired) {
			t1 = pto_now_ns();
			pto_trace_wiring_phase(rt->trace, PTO_PHASE_WIRING_WIRE, t0, t1, wired);
			t0 = t1;
		}
		retired = retire_pass(rt, false);
		if (t0 && retired)
			pto_trace_wiring_phase(rt->trace, PTO_PHASE_WIRING_RETIRE, t0, pto_now_ns(), 0);
		if (pto__rt_error(rt))
			break;
		if (wired || retired) {
			pto_waiter_disarm(&rt->wiring_wait, &arm);
			spins = 0;
			continue;
		}
		/*
		 * orch_done was read before the queue was found empty, so nothing
		 * comes after; and once every task completed, every task was
		 * consumed: the scan below retires all of them.
		 */
		finished = pto__run_finished(rt, orch_done);
		/* idle: nothing is worth batching any more */
		retire_pass(rt, true);
		if (finished)
			break;
		if (spins < WIRING_SPIN_PASSES) {
			spins++;
			pto_cpu_relax();
			continue;
		}
		/*
		 * Announce the sleep, then make one more whole pass before
		 * sleeping: that pass is the eventcount's re-check (util/waiter.h).
		 * Only here: while busy, wakers must not see a sleeper.
		 */
		if (pto_waiter_arm(&rt->wiring_wait, &arm))
			continue;
		t0 = pto_now_ns();
		/* every event it waits for wakes it: handover, consumed task, run end, error */
		pto_waiter_arm_sleep(&rt->wiring_wait, &arm, t0 + WIRING_NAP_NS);
		if (pto_trace_on(rt->trace))
			pto_trace_wiring_phase(rt->trace, PTO_PHASE_WIRING_SLEEP, t0, pto_now_ns(), 0);
		spins = 0;
	}
	pto_waiter_disarm(&rt->wiring_wait, &arm);
	/* its work is the schedulers' moved here: counted with theirs (pto_run_stats) */
	__atomic_fetch_add(&rt->sched_cpu_ns, pto_thread_cpu_ns() - cpu0, __ATOMIC_RELAXED);
	return NULL;
}

int pto__wiring_start(struct pto_runtime *rt)
{
	int ret;

	rt->wire_pushed = 0;
	rt->wire_done = 0;
	for (int r = 0; r < PTO_NUM_RINGS; r++) {
		rt->rings[r].scan_la = 0;
		rt->rings[r].wire_top = 0;
	}
	if (!rt->wiring_on)
		return 0;
	ret = pto_gate_thread_create(&rt->wiring_thread, rt->plan->wiring_cpu, wiring_main, rt);
	if (ret)
		return pto__rt_fail(rt, -ret, "pto_run: cannot start the wiring thread");
	rt->wiring_started = true;
	return 0;
}

void pto__wiring_join(struct pto_runtime *rt)
{
	if (rt->wiring_started)
		pthread_join(rt->wiring_thread, NULL);
	rt->wiring_started = false;
	/* a failed run may leave handovers behind: the next run starts empty */
	if (rt->wiring_on)
		while (pto_rq_pop(&rt->wire_q))
			;
}
