// SPDX-License-Identifier: MIT
/*
 * sync_start.c - sync-start tasks (PTO_LAUNCH_SYNC_START): all blocks
 * start at once, on idle cores this scheduler owns or lends from the
 * others.  The protocol is in the banner below and docs/runtime.md.
 */
#include "libpto/core/test_hooks.h"
#include "libpto/sched/sched_impl.h"

/* --- sync-start across schedulers --------------------------------------------------------
 *
 * A sync-start task's blocks must start together on idle cores (clusters for
 * MIX).  When the scheduler that popped it owns enough, it launches them
 * itself.  Otherwise it becomes the owner of a request: it CASes
 * sync_owner and release-stores sync_req with an odd generation and what
 * to lend (shape and lanes, one word: a lender can never pair one
 * request's generation with another request's task).  Every other
 * scheduler, once per loop, lends the idle units of its own it sees: it
 * marks them lent (so it stops polling or using them), appends them to its
 * offer list and release-stores offer_n.  The owner acquire-loads each
 * offer (offer_gen must match the request) and, once the lent units plus
 * its own idle ones cover every block, dispatches all blocks, then stores
 * sync_req with the next, even generation (release) and frees sync_owner.
 * A lender that acquire-loads the new generation takes its cores back, with the owner's
 * dispatches on them visible, and polls them from then on.  The generation
 * keeps a late lender from mixing two requests.
 */

/* rt->sync_req: generation (odd while a request is open) and what it lends. */
#define SYNC_REQ(gen, shape, lanes)	((uint64_t)(gen) << 32 | (uint64_t)(shape) << 8 | (lanes))
#define SYNC_REQ_GEN(v)			((uint32_t)((v) >> 32))
#define SYNC_REQ_SHAPE(v)		((uint32_t)((v) >> 8) & 0xffu)
#define SYNC_REQ_LANES(v)		((uint32_t)(v) & 0xffu)


static void unit_set_lent(struct pto_runtime *rt, uint32_t shape, uint32_t lanes, uint32_t unit)
{
	if (shape != PTO_TASK_SHAPE_MIX) {
		rt->cores[unit].lent = true;
		return;
	}
	for (uint32_t l = 0; l < 3; l++)
		if (lanes & (1u << l))
			lane_core(rt, unit, l)->lent = true;
}

/* Idle units for a task of @shape/@lanes that @s owns, into @out (capacity: 2 per cluster). */
static uint32_t local_units(struct pto_sched *s, uint32_t shape, uint32_t lanes, uint32_t *out)
{
	uint32_t n = 0;

	if (shape == PTO_TASK_SHAPE_MIX) {
		for (uint32_t i = 0; i < s->num_clusters; i++)
			if (unit_idle(s->rt, shape, lanes, s->clusters[i]))
				out[n++] = s->clusters[i];
	} else {
		uint32_t cnt;
		struct pto_core **list = shape_cores(s, shape, &cnt);

		for (uint32_t i = 0; i < cnt; i++)
			if (core_idle(list[i]))
				out[n++] = list[i]->id;
	}
	return n;
}

/* Every loop: give cores back after a request ended, lend idle ones to an open one. */
void pto__sync_lend(struct pto_sched *s)
{
	struct pto_runtime *rt = s->rt;
	/*
	 * One load gives the generation and what it wants, so they belong to
	 * the same request.  Acquire: pairs with the owner's release stores of
	 * sync_req (open: nothing to see yet; close: its dispatches on our
	 * lent cores).
	 */
	uint64_t req = __atomic_load_n(&rt->sync_req, __ATOMIC_ACQUIRE);
	uint32_t g = SYNC_REQ_GEN(req), shape = SYNC_REQ_SHAPE(req), lanes = SYNC_REQ_LANES(req);
	uint32_t n, k, units[2 * PTO2_MAX_CLUSTERS];

	if (s->lending && g != s->seen_gen) {
		/* the request ended: the owner's dispatches on our cores are visible */
		for (uint32_t i = 0; i < s->num_aic; i++)
			s->aic[i]->lent = false;
		for (uint32_t i = 0; i < s->num_aiv; i++)
			s->aiv[i]->lent = false;
		s->lending = false;
	}
	if (!(g & 1) || s->sync_task ||
	    __atomic_load_n(&rt->sync_owner, __ATOMIC_RELAXED) == (int32_t)s->idx)
		return;
	/* a request of @g is open (or was: the owner then ignores offers tagged @g) */
	PTO_TEST_HOOK(lend_loaded, g);
	if (s->seen_gen != g) {
		s->seen_gen = g;
		s->lending = true;
		__atomic_store_n(&s->offer_n, 0, __ATOMIC_RELAXED);
		/* the reset list is what the owner sees once it reads this gen */
		__atomic_store_n(&s->offer_gen, g, __ATOMIC_RELEASE);
	}
	k = local_units(s, shape, lanes, units);
	if (!k)
		return;
	n = __atomic_load_n(&s->offer_n, __ATOMIC_RELAXED);
	for (uint32_t i = 0; i < k; i++) {
		unit_set_lent(rt, shape, lanes, units[i]);
		__atomic_store_n(&s->offer[n++], units[i], __ATOMIC_RELAXED);
	}
	/* the entries and our hands-off (lent) precede: pairs with the owner's acquire */
	__atomic_store_n(&s->offer_n, n, __ATOMIC_RELEASE);
	pto__sched_kick(rt);
}

/* Owner: launch every block once own idle units plus lent ones cover them. */
uint32_t pto__sync_try_launch(struct pto_sched *s, uint64_t now)
{
	struct pto_runtime *rt = s->rt;
	struct pto_task *t = s->sync_task;
	uint32_t g = SYNC_REQ_GEN(s->sync_req), units[2 * PTO2_MAX_CLUSTERS];
	uint32_t own = local_units(s, t->shape, t->lanes, units), total = own, b = t->block_num;

	for (uint32_t j = 0; j < rt->num_sched; j++) {
		struct pto_sched *o = &rt->sched[j];

		if (o != s && __atomic_load_n(&o->offer_gen, __ATOMIC_ACQUIRE) == g)
			total += __atomic_load_n(&o->offer_n, __ATOMIC_ACQUIRE);
	}
	if (total < b)
		return 0;
	for (uint32_t i = 0; i < own && t->next_block < b; i++)
		pto__dispatch_unit(s, t, units[i], now);
	for (uint32_t j = 0; j < rt->num_sched && t->next_block < b; j++) {
		struct pto_sched *o = &rt->sched[j];
		uint32_t n;

		if (o == s || __atomic_load_n(&o->offer_gen, __ATOMIC_ACQUIRE) != g)
			continue;
		n = __atomic_load_n(&o->offer_n, __ATOMIC_ACQUIRE);
		for (uint32_t i = 0; i < n && t->next_block < b; i++)
			pto__dispatch_unit(s, t, __atomic_load_n(&o->offer[i], __ATOMIC_RELAXED), now);
	}
	s->sync_task = NULL;
	/*
	 * Even again (only the owner writes sync_req): releases our dispatches
	 * on lent cores to their schedulers; pairs with the lenders' acquire
	 * load in pto__sync_lend().
	 */
	__atomic_store_n(&rt->sync_req, SYNC_REQ(g + 1, 0, 0), __ATOMIC_RELEASE);
	/* pairs with the acq_rel CAS of the next owner in pto__dispatch_sync() */
	__atomic_store_n(&rt->sync_owner, -1, __ATOMIC_RELEASE);
	pto__sched_kick(rt);
	return b;
}

/* Sync-start task @t: launch locally, or open a request.  *@held: @s kept @t. */
uint32_t pto__dispatch_sync(struct pto_sched *s, struct pto_task *t, uint64_t now, bool *held)
{
	struct pto_runtime *rt = s->rt;
	uint32_t units[2 * PTO2_MAX_CLUSTERS], n = local_units(s, t->shape, t->lanes, units);
	int32_t none = -1;
	uint64_t req;

	if (n >= t->block_num) {
		for (uint32_t i = 0; i < t->block_num; i++)
			pto__dispatch_unit(s, t, units[i], now);
		return t->block_num;
	}
	/* acq_rel: pairs with the previous owner's release of sync_owner */
	if (rt->num_sched == 1 || s->sync_task ||
	    !__atomic_compare_exchange_n(&rt->sync_owner, &none, (int32_t)s->idx, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return 0;	/* wait for cores, or for the open request to finish */
	/*
	 * Odd: a request is open.  Relaxed load: the CAS above ordered us after
	 * the previous owner's last store.  Release store: pairs with the
	 * lenders' acquire load in pto__sync_lend() (nothing else to publish: the
	 * word itself says what to lend).
	 */
	req = __atomic_load_n(&rt->sync_req, __ATOMIC_RELAXED);
	req = SYNC_REQ(SYNC_REQ_GEN(req) + 1, t->shape, t->lanes);
	__atomic_store_n(&rt->sync_req, req, __ATOMIC_RELEASE);
	s->sync_req = req;
	s->sync_task = t;
	*held = true;
	pto__sched_kick(rt);
	return 0;
}
