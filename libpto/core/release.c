// SPDX-License-Identifier: MIT
/*
 * release.c - releasing a task's references.
 *
 * A task holds one fanout reference for its scope plus one per consumer
 * that wired itself onto it.  It is CONSUMED once it COMPLETED and every
 * reference was released; both transitions happen under the task's lock,
 * so exactly one thread sees "now consumed" and retires it (retire.c).
 * Callable from the orchestrator, the wiring thread and every scheduler.
 */
#include "libpto/core/run.h"

/*
 * Under @t's lock: COMPLETED with every reference back -> CONSUMED.
 * Model-checked: tests/models/ring_advance.pml (the consumer's CONSUMED store).
 */
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
