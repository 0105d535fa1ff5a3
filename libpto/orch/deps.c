// SPDX-License-Identifier: MIT
/*
 * deps.c - dependency collection for a submit or a blocking tensor access:
 * task liveness, the producer scratch list and its TensorMap callbacks, the
 * per-slot ancestry that prunes covered writers, and the creators a task in
 * a manual scope must keep alive.
 */
#include <errno.h>
#include <stdlib.h>

#include "libpto/orch/orch_impl.h"

/* Lookups may find entries of any ring: hide the retired ones first. */
void pto__tm_hide_retired(struct pto_runtime *rt)
{
	for (int r = 0; r < PTO_NUM_RINGS; r++)
		pto_tm_set_alive(&rt->tm, (uint32_t)r, ring_alive(&rt->rings[r]), 0);
}

/* -1: never submitted (this run); 0: retired; 1: alive. */
int pto__task_liveness(struct pto_runtime *rt, int64_t id)
{
	uint64_t ring = pto_task_ring(id), local = pto_task_local(id);
	struct pto_ring *r;

	if (id < 0 || ring >= PTO_NUM_RINGS)
		return -1;
	r = &rt->rings[ring];
	if (local >= r->alloc.next)
		return -1;
	return local >= ring_alive(r);
}

/*
 * Is the runtime-created buffer of task @owner still valid: was @owner
 * submitted in this run, and is its scope still open?  The heap block is
 * recycled once the scope ended and its users retired, so a use after the
 * scope (documented as not allowed) would touch memory that may already
 * belong to another task, depending on timing.  Refusing it always makes
 * the misuse visible every time.
 */
bool pto__owner_scope_open(struct pto_runtime *rt, int64_t owner)
{
	const struct pto_task *p;

	if (pto__task_liveness(rt, owner) <= 0)
		return false;
	p = pto__task_slot(rt, owner);
	return p->id == owner && p->scope_depth < rt->depth &&
	       rt->scopes[p->scope_depth].serial == p->scope_serial;
}

int pto__scratch_add(struct pto_runtime *rt, int64_t id)
{
	for (uint32_t i = 0; i < rt->num_dep_scratch; i++)
		if (rt->dep_scratch[i] == id)
			return 0;
	if (rt->num_dep_scratch == rt->cap_dep_scratch) {
		uint32_t ncap = rt->cap_dep_scratch * 2;
		int64_t *n = realloc(rt->dep_scratch, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		rt->dep_scratch = n;
		rt->cap_dep_scratch = ncap;
	}
	rt->dep_scratch[rt->num_dep_scratch++] = id;
	return 0;
}

/*
 * Is @id a task of the open manual scope?  Its edges to other tasks of that
 * scope come only from pto_add_dependency().
 */
bool pto__in_open_manual(struct pto_runtime *rt, int64_t id)
{
	struct pto_task *p;

	if (!rt->manual_depth || pto__task_liveness(rt, id) <= 0)
		return false;
	p = pto__task_slot(rt, id);
	return p->id == id && !p->published && p->scope_depth == rt->manual_depth - 1;
}

void pto__lookup_cb(void *ctx, int64_t producer)
{
	struct lookup_ctx *lc = ctx;

	if (pto__in_open_manual(lc->rt, producer))
		return;
	if (pto__scratch_add(lc->rt, producer))
		lc->err = -ENOMEM;
}

void pto__hz_cand_cb(void *ctx, int64_t task)
{
	struct hz_ctx *hc = ctx;

	if (pto__hz_add(&hc->rt->hz, task, hc->arg, hc->waw))
		hc->err = -ENOMEM;
}

/* The ancestry record of task @id, or NULL when its slot holds another task now. */
static const struct pto_ancestry *ancestry_of(const struct pto_runtime *rt, int64_t id)
{
	const struct pto_ring *r = &rt->rings[pto_task_ring(id)];
	const struct pto_ancestry *a = &r->ancestry[pto_task_local(id) & r->alloc.mask];

	return a->task == id ? a : NULL;
}

/*
 * Record which of the 64 tasks before @t in its ring @t is ordered after:
 * each producer of the same ring, and whatever that one was ordered after.
 * A producer that retired before (not in the list) completed, and so did
 * its ancestors: leaving them out only makes the record smaller.  Edges
 * added later (pto_add_dependency()) are not in it either.  Returns the mask.
 */
uint64_t pto__ancestry_mask(struct pto_runtime *rt, uint32_t ring, uint64_t local)
{
	uint64_t mask = 0;

	for (uint32_t i = 0; i < rt->num_dep_scratch; i++) {
		int64_t q = rt->dep_scratch[i];
		uint64_t ql = pto_task_local(q), d = local - ql;
		const struct pto_ancestry *qa;

		if (pto_task_ring(q) != ring || ql >= local || d > 64)
			continue;
		mask |= 1ull << (d - 1);
		qa = ancestry_of(rt, q);
		if (qa && d < 64)
			mask |= qa->mask << d;
	}
	return mask;
}

uint64_t pto__record_ancestry(struct pto_runtime *rt, struct pto_ring *r,
				const struct pto_task *t)
{
	struct pto_ancestry *a = &r->ancestry[t->local & r->alloc.mask];

	a->task = t->id;
	a->mask = pto__ancestry_mask(rt, t->ring, t->local);
	return a->mask;
}

/* Is writer @p ordered before the task being submitted?  Only for pruning: "no" is safe. */
bool pto__ordered_before(void *ctx, int64_t p)
{
	const struct order_ctx *o = ctx;
	uint64_t pl = pto_task_local(p);

	if (pto_task_ring(p) != o->ring || pl >= o->local || o->local - pl > 64)
		return false;
	return (o->mask >> (o->local - pl - 1)) & 1;
}

/*
 * Creators of tensors made inside the open manual scope that @a uses: the
 * task has no edge to them (edges there are explicit), but must keep their
 * heap blocks alive until it completed, even when its explicit edges reach
 * them only through tasks that complete earlier.  Fills @out (deduplicated,
 * leaving out producers it holds anyway); returns how many.
 */
uint32_t pto__inner_creators(struct pto_runtime *rt, const struct pto_args *a, int64_t *out)
{
	uint32_t n = 0;

	if (!rt->manual_depth)
		return 0;
	for (uint32_t i = 0; i < a->num_tensors; i++) {
		int64_t owner = a->tensors[i]->owner;
		bool dup = false;

		if (a->kinds[i] == PTO_ARG_OUTPUT || owner < 0 || !pto__in_open_manual(rt, owner))
			continue;
		for (uint32_t k = 0; k < n && !dup; k++)
			dup = out[k] == owner;
		for (uint32_t k = 0; k < rt->num_dep_scratch && !dup; k++)
			dup = rt->dep_scratch[k] == owner;
		if (!dup)
			out[n++] = owner;
	}
	return n;
}

/*
 * @t takes a reference on each creator of @ids, recorded like an explicit
 * edge's fanin (one dependency entry each, from @first on) and released
 * when @t completes, but without waiting for it.  The creators are
 * unpublished tasks of the open manual scope: pending, and held by it.
 */
void pto__retain_creators(struct pto_runtime *rt, struct pto_ring *r, struct pto_task *t,
			    const int64_t *ids, uint32_t n, uint64_t first)
{
	for (uint32_t k = 0; k < n; k++) {
		struct pto_dep_node *node = &r->deps[(first + k) % r->alloc.dep_cap];
		struct pto_task *p = pto__task_slot(rt, ids[k]);

		pto__task_lock(p);
		p->fanout_count++;
		pto__task_unlock(p);
		node->consumer = p;
		node->next = t->extra_fanin;
		t->extra_fanin = node;
	}
}
