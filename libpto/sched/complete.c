// SPDX-License-Identifier: MIT
/*
 * complete.c - a core finished: poll COND of every busy core, decode it
 * (cond_decode.c), count the finished dispatch, and when a task's last
 * block/lane finished, complete it: release its producers (core/release.c)
 * and make its consumers ready (core/ready.c, or this thread's local
 * buffer).  The start of the return path (docs/runtime.md).
 */
#include <inttypes.h>

#include "libpto/core/test_hooks.h"
#include "libpto/device/mmio.h"
#include "libpto/sched/cond_decode.h"
#include "libpto/sched/sched_impl.h"
#include "runtime/regs.h"

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
	/* the pass's clock: no clock read per task; this thread's, no shared line */
	s->last_complete_ns = now;
	/*
	 * Termination (completed == submitted, pto__run_finished()) implies all
	 * of the above.  seq_cst count, then pto__orch_wake_done()'s seq_cst
	 * load of the flag: pairs with the orchestrator's seq_cst store of
	 * orch_wants_done and load of completed in tensor_access(): either it
	 * sees this task done or this sees the flag.
	 */
	__atomic_fetch_add(&rt->completed, 1, __ATOMIC_SEQ_CST);
	pto__orch_wake_done(rt);
}

/* The median of three. */
static uint64_t med3(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t lo = a < b ? a : b, hi = a < b ? b : a;

	return c < lo ? lo : c > hi ? hi : c;
}

/*
 * How long the kernel of @sub ran (the core's start_ns .. end_ns of buffer
 * @buf), folded into rt->kernel_ns by a quarter of the difference, up or
 * down.  What is folded in is the median of the kernel's last three runs:
 * a preemption stretches a run now and then (3-7 ms for a 524 us kernel on
 * a 2-vCPU VM), and one such run alone must not send a short kernel to the
 * workers, where busier CPUs stretch its runs further (docs/runtime.md,
 * "Only short kernels run inline").  A first run, or one past 10x the
 * inline bound, is taken as it is: a kernel seconds long leaves the
 * runtime's threads after one run.
 */
static void learn_kernel_ns(struct pto_runtime *rt, struct pto_core *core,
			    const struct pto_sub *sub, uint32_t buf)
{
	uint64_t t0 = reg_load_relaxed(&core->regs->start_ns[buf]);
	uint64_t t1 = reg_load_relaxed(&core->regs->end_ns[buf]);
	uint64_t d = t1 > t0 ? t1 - t0 : 1, *avg, *prev, old, p1, m;
	int32_t k = sub_kernel(sub);

	if (k < 0 || (uint32_t)k >= PTO2_MAX_KERNELS)
		return;
	avg = &rt->kernel_ns[k];
	prev = rt->kernel_prev_ns[k];
	old = __atomic_load_n(avg, __ATOMIC_RELAXED);
	p1 = __atomic_load_n(&prev[1], __ATOMIC_RELAXED);
	if (!old || d > 10 * PTO_INLINE_MAX_NS) {
		old = d;
		p1 = d;		/* the history restarts at this run */
	} else {
		m = med3(__atomic_load_n(&prev[0], __ATOMIC_RELAXED), p1, d);
		old = m > old ? old + (m - old) / 4 : old - (old - m) / 4;
	}
	__atomic_store_n(&prev[0], p1, __ATOMIC_RELAXED);
	__atomic_store_n(&prev[1], d, __ATOMIC_RELAXED);
	__atomic_store_n(avg, old ? old : 1, __ATOMIC_RELAXED);
}

static void sub_finished(struct pto_sched *s, struct pto_core *core, struct pto_sub *sub,
			 uint64_t now)
{
	struct pto_runtime *rt = s->rt;
	uint32_t buf = PTO2_PAYLOAD_SLOT(sub->id);
	/* ordered after the acquire of COND that reported this FIN */
	int32_t status = reg_load_relaxed(&core->regs->status[buf]);
	struct pto_task *t = sub->task;
	/*
	 * Read before our count goes in: until then @t cannot complete, so this
	 * is still its total.  After the increment another lane or block may
	 * complete @t, it may retire, and pto_submit() may reinitialize the slot
	 * for a new task, whose total_sub this thread must never compare with.
	 */
	uint32_t total = t->total_sub;
	uint32_t count;

	if (rt->emulate)
		learn_kernel_ns(rt, core, sub, buf);
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
	/* acq_rel: the last lane sees every other lane's writes (trace, outputs) */
	count = __atomic_add_fetch(&t->completed_sub, 1, __ATOMIC_ACQ_REL);
	PTO_TEST_HOOK(sub_counted, t, count);
	if (count == total)
		task_complete(s, t, now);
}

/* Model-checked: tests/models/dispatch.pml (proctype sched). */
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

uint32_t pto__sched_poll(struct pto_sched *s, uint64_t now)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < s->num_aic; i++)
		n += poll_core(s, s->aic[i], now);
	for (uint32_t i = 0; i < s->num_aiv; i++)
		n += poll_core(s, s->aiv[i], now);
	return n;
}
