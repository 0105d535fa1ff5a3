// SPDX-License-Identifier: MIT
/*
 * wire.c - linking a submitted task onto its producers' fanout lists.
 *
 * The orchestrator does it inline at submit, or hands the task to the
 * wiring thread (thread.c), which calls the same function.  Either way the
 * task keeps its redundant fanin until it is published, so no producer can
 * make it ready while it is half wired.
 */
#include "libpto/wiring/wiring.h"

/*
 * Is producer @id certainly retired, without touching its slot?  Only the
 * wiring thread retires slots when it runs, so its own scan mark is exact
 * for it, and a slot below that mark may already hold a newer task that
 * the orchestrator is initializing.  Inline wiring runs on the thread that
 * reuses slots, so the slot itself (id, state) is the answer there.
 */
static bool retired_for_wiring(struct pto_runtime *rt, int64_t id)
{
	return rt->wiring_on && pto_task_local(id) < rt->rings[pto_task_ring(id)].scan_la;
}

uint32_t pto__task_wire(struct pto_runtime *rt, struct pto_task *t, const int64_t *ids,
			uint32_t n, uint64_t *dep_top)
{
	struct pto_ring *r = &rt->rings[t->ring];
	uint32_t sat = 0, kept = 0;

	/* ids may alias t->fanin: entry i is read before entry kept <= i is written */
	for (uint32_t i = 0; i < n; i++) {
		int64_t id = ids[i];
		struct pto_task *p;
		uint32_t st;

		if (retired_for_wiring(rt, id)) {
			sat++;
			continue;
		}
		p = pto__task_slot(rt, id);
		pto__task_lock(p);
		st = p->state;
		if (p->id != id || st == PTO_TASK_CONSUMED) {
			/* retired meanwhile (or slot reused): a satisfied dependency */
			sat++;
		} else {
			/* the reference keeps p (and its outputs) alive until t completes */
			p->fanout_count++;
			t->fanin[kept++] = id;
			if (st == PTO_TASK_COMPLETED) {
				sat++;
			} else {
				struct pto_dep_node *node = &r->deps[*dep_top % r->alloc.dep_cap];

				(*dep_top)++;
				node->consumer = t;
				node->next = p->fanout_head;
				p->fanout_head = node;
			}
		}
		pto__task_unlock(p);
	}
	t->num_fanin = kept;
	return sat;
}
