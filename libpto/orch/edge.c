// SPDX-License-Identifier: MIT
/*
 * edge.c - explicit edges (pto_add_dependency()): in a manual scope or in
 * explicit dependency mode, a consumer not yet published waits for a
 * producer submitted before it.
 */
#include <errno.h>
#include <inttypes.h>

#include "libpto/api.h"
#include "libpto/orch/orch_impl.h"

PTO_API int pto_add_dependency(struct pto_runtime *rt, int64_t producer, int64_t consumer)
{
	struct pto_task *c, *p;
	struct pto_ring *r;
	struct pto_dep_node *fin, *fout;
	uint64_t first;
	int live, clive, ret = pto__orch_check(rt, "pto_add_dependency");

	if (ret)
		return ret;
	clive = pto__task_liveness(rt, consumer);
	if (clive < 0)
		return orch_fail(rt, -EINVAL, "pto_add_dependency: consumer %" PRId64 " was never "
				 "submitted", consumer);
	live = pto__task_liveness(rt, producer);
	if (live < 0)
		return orch_fail(rt, -EINVAL, "pto_add_dependency: producer %" PRId64 " was never "
				 "submitted", producer);
	if (producer == consumer)
		return orch_fail(rt, PTO_E_SELF_DEP, "pto_add_dependency: task %" PRId64
				 " cannot depend on itself", consumer);
	if (rt->cfg.dep_mode == PTO_DEPS_AUTO && !rt->manual_depth)
		return orch_fail(rt, PTO_E_MANUAL_SCOPE, "pto_add_dependency: only inside a manual "
				 "scope (or in explicit dependency mode)");
	c = pto__task_slot(rt, consumer);
	if (clive == 0 || c->id != consumer || c->published)
		return orch_fail(rt, PTO_E_DEP_PUBLISHED, "pto_add_dependency: consumer %" PRId64
				 " is already published (submitted in an AUTO scope, or its scope "
				 "ended): edges into it must be added before", consumer);
	if (c->scope_depth != rt->depth - 1)
		return orch_fail(rt, PTO_E_DEP_SCOPE, "pto_add_dependency: consumer %" PRId64
				 " belongs to the scope at depth %u, not the current scope at depth "
				 "%u: add its edges while its scope is the innermost", consumer,
				 c->scope_depth, rt->depth - 1);
	/*
	 * Producer before consumer in one order over all rings, so no set of
	 * edges can close a cycle (a retired producer too: the consumer's
	 * record says how far each ring had got when it was submitted).
	 */
	if (pto_task_local(producer) >= c->order_next[pto_task_ring(producer)])
		return orch_fail(rt, -EINVAL, "pto_add_dependency: producer %" PRId64 " was "
				 "submitted after consumer %" PRId64, producer, consumer);
	if (!live) {
		pto_trace_add_edge(rt->trace, c->trace_idx, producer);
		return 0;	/* retired: already satisfied */
	}
	/*
	 * Two entries of the consumer's ring, its fanin record and the fanout
	 * link: waits for them like pto_submit() waits for ring space.
	 */
	r = &rt->rings[c->ring];
	ret = pto__ring_alloc(rt, r, 0, 2, NULL, &first);
	if (ret)
		return ret;
	pto_trace_add_edge(rt->trace, c->trace_idx, producer);
	fin = &r->deps[first % r->alloc.dep_cap];
	fout = &r->deps[(first + 1) % r->alloc.dep_cap];
	/* before any producer can count it: the redundant fanin keeps c unready */
	__atomic_add_fetch(&c->fanin_count, 1, __ATOMIC_RELAXED);
	p = pto__task_slot(rt, producer);
	pto__task_lock(p);
	if (p->id != producer || p->state == PTO_TASK_CONSUMED) {
		pto__task_unlock(p);
		pto__task_fanin_add(c, 1);
		return 0;
	}
	p->fanout_count++;
	fin->consumer = p;
	fin->next = c->extra_fanin;
	c->extra_fanin = fin;
	if (p->state == PTO_TASK_COMPLETED) {
		pto__task_unlock(p);
		pto__task_fanin_add(c, 1);
		return 0;
	}
	fout->consumer = c;
	fout->next = p->fanout_head;
	p->fanout_head = fout;
	pto__task_unlock(p);
	return 0;
}
