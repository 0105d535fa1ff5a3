// SPDX-License-Identifier: MIT
/*
 * ready.c - a task becomes ready: its fanin count becomes whole (each
 * producer that completed, plus the redundant fanin released when it was
 * published), and it goes on its shape's global ready queue.  Any thread.
 */
#include <errno.h>

#include "libpto/core/run.h"

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
