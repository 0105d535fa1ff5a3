// SPDX-License-Identifier: MIT
/*
 * tensor_access.c - blocking tensor access from the orchestrator
 * (pto_tensor_read(), pto_tensor_write()): wait for the creator and the
 * overlapping writers (and, to write, their consumers and the readers),
 * then copy one element.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "libpto/api.h"
#include "libpto/orch/orch_impl.h"

/* Is @id done enough: completed (read) or also released by its consumers (write)? */
static bool task_settled(struct pto_runtime *rt, int64_t id, bool write)
{
	struct pto_task *p;
	bool done;

	if (pto__task_liveness(rt, id) <= 0)
		return true;
	p = pto__task_slot(rt, id);
	pto__task_lock(p);
	if (p->id != id || p->state == PTO_TASK_CONSUMED)
		done = true;
	else if (p->state != PTO_TASK_COMPLETED)
		done = false;
	else
		/* only the scope's own reference may remain */
		done = !write || p->fanout_refcount + 1 >= p->fanout_count;
	pto__task_unlock(p);
	return done;
}

/*
 * Wait until every task in dep_scratch settled (see task_settled(); @write
 * for the first @nwrite of them, the writers, completion for the rest, the
 * readers) and at least @barrier tasks completed, or fail.
 */
static int wait_tasks(struct pto_runtime *rt, const char *fn, bool write, uint32_t nwrite,
		      uint64_t deadline, uint64_t barrier, uint64_t *cpu0)
{
	uint32_t spins = 0, i = 0;

	for (;;) {
		uint64_t now, done;

		/* a consumer still queued for the wiring thread has not registered yet */
		if (i < rt->num_dep_scratch && pto__wiring_caught_up(rt) &&
		    task_settled(rt, rt->dep_scratch[i], write && i < nwrite)) {
			i++;
			continue;
		}
		/* acquire: pairs with task_complete()'s seq_cst increment */
		done = __atomic_load_n(&rt->completed, __ATOMIC_ACQUIRE);
		if (i == rt->num_dep_scratch && done >= barrier)
			return 0;
		if (pto__rt_error(rt))
			return pto__fail(PTO_E_ABORTED, "%s: the run already failed: %s", fn,
					 rt->err.msg);
		now = pto_now_ns();
		if (now > deadline && i < rt->num_dep_scratch)
			return orch_fail(rt, PTO_E_TENSOR_WAIT, "%s: task %" PRId64 " did not "
					 "finish within %u ms", fn, rt->dep_scratch[i],
					 rt->cfg.stall_timeout_ms);
		if (now > deadline)
			return orch_fail(rt, PTO_E_TENSOR_WAIT, "%s: %" PRIu64 " of the %" PRIu64
					 " published tasks did not finish within %u ms", fn,
					 barrier - done, barrier, rt->cfg.stall_timeout_ms);
		if (!*cpu0) {
			*cpu0 = pto_thread_cpu_ns();	/* it waits: from here it is not submit work */
			pto__orch_help_begin(rt);
		}
		/* (a core it ran may be the one waited for) */
		if (pto__orch_wait_step(rt, &spins) != PTO_WAIT_SLEEP)
			continue;
		pto__orch_sleep(rt, deadline + 1);
	}
}

/* wait_tasks(), its CPU time kept out of the orchestrator's own (pto_run_stats). */
static int orch_wait_tasks(struct pto_runtime *rt, const char *fn, bool write, uint32_t nwrite,
			   uint64_t deadline, uint64_t barrier)
{
	uint64_t cpu0 = 0;
	int ret = wait_tasks(rt, fn, write, nwrite, deadline, barrier, &cpu0);

	if (cpu0) {
		rt->orch_wait_cpu_ns += pto_thread_cpu_ns() - cpu0;
		pto__orch_help_end(rt);
	}
	return ret;
}

/*
 * Explicit-only mode waits for every published task: one that waits for a
 * task of an open scope (unpublished until that scope ends, an edge out of
 * an outer scope into an inner one already ended) can never finish, so
 * neither could the wait.  Found from the unpublished side: an open
 * scope's task with a published consumer on its fanout list (under its
 * lock: the wiring thread may be linking; an edge it has not linked yet is
 * missed, and the wait's own deadline reports that case).
 */
static int published_waits_unpublished(struct pto_runtime *rt, const char *fn)
{
	for (uint32_t i = 0; i < rt->num_scope_tasks; i++) {
		struct pto_task *u = rt->scope_tasks[i];
		int64_t held = PTO_TASK_NONE;

		if (u->published)
			continue;
		pto__task_lock(u);
		for (const struct pto_dep_node *d = u->fanout_head; d; d = d->next)
			if (d->consumer->published) {
				held = d->consumer->id;
				break;
			}
		pto__task_unlock(u);
		if (held != PTO_TASK_NONE)
			return orch_fail(rt, PTO_E_WAIT_UNPUBLISHED, "%s: published task %" PRId64
					 " waits for task %" PRId64 ", which is not published "
					 "before its scope ends: waiting for every published task "
					 "(explicit-only mode) would never end", fn, held, u->id);
	}
	return 0;
}

static int tensor_access(struct pto_runtime *rt, const struct pto_tensor *t, const uint32_t *idx,
			 void *value, bool write, const char *fn)
{
	uint64_t flat = 0, stride = 1, esz, deadline, t0;
	uint32_t nwrite;
	uint8_t *host;
	struct lookup_ctx lc = { rt, 0 };
	int ret = pto__orch_check(rt, fn);

	if (ret)
		return ret;
	if (rt->manual_depth)
		return orch_fail(rt, PTO_E_MANUAL_BLOCKING, "%s: blocking tensor access inside a "
				 "manual scope (its tasks start only at scope end)", fn);
	if (!t || !idx || !value)
		return orch_fail(rt, -EINVAL, "%s: NULL argument", fn);
	if (t->ndims == 0 || t->ndims > PTO2_MAX_DIMS || t->dtype >= PTO2_DTYPE_COUNT ||
	    (t->flags & PTO_TENSOR_UNALLOCATED) || t->addr == 0)
		return orch_fail(rt, -EINVAL, "%s: tensor is not allocated", fn);
	for (uint32_t d = t->ndims; d-- > 0;) {
		if (idx[d] >= t->shapes[d])
			return orch_fail(rt, -EINVAL, "%s: index %u of dimension %u outside the "
					 "view extent %u", fn, idx[d], d, t->shapes[d]);
		flat += (uint64_t)(t->offsets[d] + idx[d]) * stride;
		stride *= t->raw_shapes[d];
	}
	esz = PTO2_DTYPE_SIZE(t->dtype);
	if ((flat + 1) * esz > t->size)
		return orch_fail(rt, -EINVAL, "%s: element outside the buffer", fn);
	host = pto_mem_map(rt->dev, t->addr + flat * esz, esz);
	if (!host)
		return orch_fail(rt, -EINVAL, "%s: %s", fn, pto_last_error());

	if (t->owner >= 0 && !pto__owner_scope_open(rt, t->owner))
		return orch_fail(rt, -EINVAL, "%s: tensor created by task %" PRId64 " in a "
				 "scope that has ended (or another run): its buffer may be reused",
				 fn, t->owner);
	/*
	 * who must finish first: the creator and every tracked overlapping
	 * writer, and for a write also every live overlapping reader
	 */
	rt->num_dep_scratch = 0;
	if (t->owner >= 0 && pto__scratch_add(rt, t->owner))
		lc.err = -ENOMEM;
	if (!(t->flags & PTO_TENSOR_MANUAL_DEP) && rt->cfg.dep_mode == PTO_DEPS_AUTO) {
		pto__tm_hide_retired(rt);
		pto_tm_lookup(&rt->tm, t, PTO_TM_WRITER, 0, pto__lookup_cb, &lc);
	}
	nwrite = rt->num_dep_scratch;
	if (write && !(t->flags & PTO_TENSOR_MANUAL_DEP) && rt->cfg.dep_mode == PTO_DEPS_AUTO)
		pto_tm_lookup(&rt->tm, t, PTO_TM_READER, 0, pto__lookup_cb, &lc);
	if (lc.err)
		return orch_fail(rt, -ENOMEM, "%s: dependency list", fn);
	for (uint32_t i = 0; i < rt->num_dep_scratch; i++) {
		struct pto_task *p = pto__task_slot(rt, rt->dep_scratch[i]);

		if (pto__task_liveness(rt, rt->dep_scratch[i]) > 0 && p->id == rt->dep_scratch[i] &&
		    !p->published)
			return orch_fail(rt, PTO_E_WAIT_UNPUBLISHED, "%s: task %" PRId64 " is not "
					 "published before its scope ends: waiting would never end",
					 fn, p->id);
	}
	if (rt->cfg.dep_mode == PTO_DEPS_EXPLICIT && !(t->flags & PTO_TENSOR_MANUAL_DEP)) {
		ret = published_waits_unpublished(rt, fn);
		if (ret)
			return ret;
	}
	t0 = pto_now_ns();
	deadline = t0 + (uint64_t)rt->cfg.stall_timeout_ms * 1000000ull;
	/*
	 * seq_cst pair with task_complete()'s count and flag load: a task that
	 * completed without seeing the flag is ordered before this load of
	 * completed, which acquires its state for task_settled().  The same
	 * pair with the wiring thread's wire_done and flag load.
	 */
	__atomic_store_n(&rt->orch_wants_done, 1, __ATOMIC_SEQ_CST);
	(void)__atomic_load_n(&rt->completed, __ATOMIC_SEQ_CST);
	/*
	 * Explicit-only mode tracks no writers (or readers) of the tensor: wait
	 * for every task published so far, unless the tensor is exempt.
	 * Unpublished ones (open scopes) could not start before their scope
	 * ends anyway.
	 */
	ret = orch_wait_tasks(rt, fn, write, nwrite, deadline,
			      rt->cfg.dep_mode == PTO_DEPS_EXPLICIT &&
			      !(t->flags & PTO_TENSOR_MANUAL_DEP) ? rt->published : 0);
	__atomic_store_n(&rt->orch_wants_done, 0, __ATOMIC_RELAXED);
	if (ret)
		return ret;
	if (pto_trace_on(rt->trace))
		pto_trace_orch_phase(rt->trace, PTO_PHASE_ORCH_TENSOR_WAIT, t0, pto_now_ns(),
				     rt->num_dep_scratch);
	/*
	 * The tasks' writes are visible: their completion was observed through
	 * the acquire of COND by a scheduler, and task_settled() took the
	 * task's lock after that scheduler released it when marking COMPLETED.
	 */
	if (write)
		memcpy(host, value, esz);
	else
		memcpy(value, host, esz);
	return 0;
}

PTO_API int pto_tensor_read(struct pto_runtime *rt, const struct pto_tensor *t,
			    const uint32_t *idx, void *value)
{
	return tensor_access(rt, t, idx, value, false, "pto_tensor_read");
}

PTO_API int pto_tensor_write(struct pto_runtime *rt, const struct pto_tensor *t,
			     const uint32_t *idx, const void *value)
{
	return tensor_access(rt, t, idx, (void *)value, true, "pto_tensor_write");
}
