// SPDX-License-Identifier: MIT
/*
 * scope.c - scopes: open, close (publish the tasks of a manual scope and
 * release the scope's reference on each task, inline or through the wiring
 * thread), and the open scopes' task list.
 */
#include <errno.h>
#include <stdlib.h>

#include "libpto/api.h"
#include "libpto/orch/orch_impl.h"
#include "libpto/wiring/wiring.h"

int pto__scope_push_task(struct pto_runtime *rt, struct pto_task *t)
{
	if (rt->num_scope_tasks == rt->cap_scope_tasks) {
		uint32_t ncap = rt->cap_scope_tasks * 2;
		struct pto_task **n = realloc(rt->scope_tasks, ncap * sizeof(*n));

		if (!n)
			return orch_fail(rt, -ENOMEM, "pto_submit: scope task list of %u", ncap);
		rt->scope_tasks = n;
		rt->cap_scope_tasks = ncap;
	}
	rt->scope_tasks[rt->num_scope_tasks++] = t;
	return 0;
}

int pto__scope_open(struct pto_runtime *rt, enum pto_scope_mode mode)
{
	struct pto_scope *s;
	uint32_t d = rt->depth;

	if (d >= PTO_MAX_SCOPE_DEPTH)
		return orch_fail(rt, -EINVAL, "pto_scope_begin: more than %u nested scopes",
				 PTO_MAX_SCOPE_DEPTH);
	if (rt->manual_depth)
		return orch_fail(rt, PTO_E_NESTED_MANUAL, "pto_scope_begin: a scope inside the "
				 "manual scope at depth %u (manual scopes hold no inner scopes: "
				 "end it first)", rt->manual_depth - 1);
	s = &rt->scopes[d];
	s->first = rt->num_scope_tasks;
	s->ring = d < PTO_NUM_RINGS - 1 ? d : PTO_NUM_RINGS - 1;
	s->mode = mode;
	s->serial = ++rt->scope_serial;
	rt->depth++;
	if (mode == PTO_SCOPE_MANUAL && rt->cfg.dep_mode == PTO_DEPS_AUTO)
		rt->manual_depth = rt->depth;
	return 0;
}

/* Inline wiring: release the redundant fanin of every unpublished task of the innermost scope. */
static void scope_publish(struct pto_runtime *rt, const struct pto_scope *s)
{
	for (uint32_t i = s->first; i < rt->num_scope_tasks; i++) {
		struct pto_task *t = rt->scope_tasks[i];
		struct pto_trace_task *tr = NULL;

		if (t->published)
			continue;
		t->published = true;
		rt->published++;
		if (pto_trace_on(rt->trace)) {
			tr = pto_trace_task_at(rt->trace, t->trace_idx);
			if (tr)
				tr->t_publish = pto_now_ns();
		}
		if (pto__task_fanin_add(t, 1)) {
			if (tr)
				tr->t_ready = tr->t_publish;
			pto__task_push_ready(rt, t, true);
		}
	}
}

/*
 * With a wiring thread, publish and release the innermost scope's tasks
 * there, after their link entries (the queue is FIFO).  Released here, a
 * completed producer could be consumed and retired while a consumer of the
 * same scope still waits in the queue to take its reference, and the
 * producer's heap block (its outputs, which that consumer reads) be reused.
 */
static void scope_hand_over(struct pto_runtime *rt, const struct pto_scope *s)
{
	for (uint32_t i = s->first; i < rt->num_scope_tasks; i++) {
		struct pto_task *t = rt->scope_tasks[i];
		uint32_t ops = PTO_WIRE_RELEASE;

		if (!t->published) {
			t->published = true;
			rt->published++;
			ops |= PTO_WIRE_PUBLISH;
		}
		if (pto__wiring_push(rt, t, ops))
			return;
	}
}

/* Release the innermost scope's reference on each of its tasks. */
void pto__scope_close(struct pto_runtime *rt)
{
	struct pto_scope *s = &rt->scopes[rt->depth - 1];
	uint64_t t0 = pto_trace_on(rt->trace) ? pto_now_ns() : 0;
	uint32_t n = rt->num_scope_tasks - s->first;

	if (rt->wiring_on) {
		scope_hand_over(rt, s);
	} else {
		scope_publish(rt, s);
		for (uint32_t i = s->first; i < rt->num_scope_tasks; i++)
			pto__task_release(rt, rt->scope_tasks[i]);
	}
	if (rt->manual_depth == rt->depth)
		rt->manual_depth = 0;
	rt->rings[s->ring].open_tasks -= n;
	rt->num_scope_tasks = s->first;
	rt->depth--;
	if (t0)
		pto_trace_orch_phase(rt->trace, PTO_PHASE_ORCH_SCOPE_END, t0, pto_now_ns(), n);
}

PTO_API int pto_scope_begin(struct pto_runtime *rt, enum pto_scope_mode mode)
{
	int ret = pto__orch_check(rt, "pto_scope_begin");

	if (ret)
		return ret;
	if (mode != PTO_SCOPE_AUTO && mode != PTO_SCOPE_MANUAL)
		return orch_fail(rt, -EINVAL, "pto_scope_begin: bad mode %d", (int)mode);
	return pto__scope_open(rt, mode);
}

PTO_API int pto_scope_end(struct pto_runtime *rt)
{
	int ret = pto__orch_check(rt, "pto_scope_end");

	if (ret)
		return ret;
	if (rt->depth <= 1)
		return orch_fail(rt, -EINVAL, "pto_scope_end: no scope open");
	pto__scope_close(rt);
	return 0;
}
