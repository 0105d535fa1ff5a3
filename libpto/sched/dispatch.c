// SPDX-License-Identifier: MIT
/*
 * dispatch.c - what goes where: pop ready tasks (this thread's local
 * buffer first, then the global queue of the shape), MIX first with its
 * cluster reservation, then AIC and AIV; single-lane tasks on idle cores,
 * then (dual issue) behind latched dispatches; SPMD tasks in waves.
 * Issuing is payload.c, sync-start tasks sync_start.c.
 */
#include "libpto/sched/sched_impl.h"

/* Leftovers of the local buffers go where every scheduler can take them. */
void pto__flush_local(struct pto_sched *s)
{
	bool pushed = false;

	for (uint32_t sh = 0; sh < PTO_NUM_SHAPES; sh++) {
		for (uint32_t i = 0; i < s->num_local[sh]; i++) {
			pto__task_push_ready(s->rt, s->local[sh][i], false);
			pushed = true;
		}
		s->num_local[sh] = 0;
	}
	if (pushed && s->rt->num_sched > 1)
		pto__sched_kick(s->rt);
}

static struct pto_task *pop_ready(struct pto_sched *s, uint32_t sh)
{
	if (s->num_local[sh])
		return s->local[sh][--s->num_local[sh]];
	return pto_rq_pop(&s->rt->ready[sh]);
}

/* The @k-th core of a list of @n after the shape's cursor @at (k < n, at < n). */
static inline uint32_t from_cursor(uint32_t at, uint32_t k, uint32_t n)
{
	return at + k < n ? at + k : at + k - n;
}

/* Some core of @s can take one more block of a single-lane task of @shape. */
static bool any_core_takes(struct pto_sched *s, uint32_t shape)
{
	uint32_t n;
	struct pto_core **list = shape_cores(s, shape, &n);

	for (uint32_t k = 0; k < n; k++) {
		struct pto_core *c = list[from_cursor(s->cursor[shape], k, n)];

		if (!core_reserved(s, c) && core_takes(s->rt, c))
			return true;
	}
	return false;
}

/* Some cluster of @s has every lane of @lanes idle. */
static bool any_cluster_idle(struct pto_sched *s, uint32_t lanes)
{
	for (uint32_t i = 0; i < s->num_clusters; i++)
		if (cluster_idle(s->rt, s->clusters[i], lanes))
			return true;
	return false;
}

/*
 * A MIX task @t found no cluster of @s with its lanes idle: reserve the
 * cluster with most of them idle already (keeping an existing reservation,
 * widened to @t's lanes), so single-lane tasks stop refilling those lanes.
 * Bounded: it holds only until a MIX task starts there, or no MIX task is
 * waiting any more (mix_reserve_check()); the lanes drain within one
 * dispatch each.
 */
static void mix_reserve(struct pto_sched *s, const struct pto_task *t)
{
	uint32_t best = 0, best_idle = 0;

	if (s->resv_cluster >= 0) {
		s->resv_lanes |= t->lanes;
		return;
	}
	for (uint32_t i = 0; i < s->num_clusters; i++) {
		uint32_t idle = 0;

		for (uint32_t l = 0; l < 3; l++)
			if ((t->lanes & (1u << l)) && core_idle(lane_core(s->rt, s->clusters[i], l)))
				idle++;
		if (i == 0 || idle > best_idle) {
			best = s->clusters[i];
			best_idle = idle;
		}
	}
	s->resv_cluster = (int32_t)best;
	s->resv_lanes = t->lanes;
}

/* Drop the MIX reservation once no MIX task waits for a cluster. */
static void mix_reserve_check(struct pto_sched *s)
{
	if (s->resv_cluster >= 0 && !s->num_local[PTO_TASK_SHAPE_MIX] &&
	    !pto_rq_size(&s->rt->ready[PTO_TASK_SHAPE_MIX]))
		s->resv_cluster = -1;
}

/* Dispatch what fits of @t; return blocks dispatched.  *@held: see pto__dispatch_sync(). */
static uint32_t dispatch_task(struct pto_sched *s, struct pto_task *t, uint64_t now, bool *held)
{
	struct pto_runtime *rt = s->rt;
	struct pto_core **list;
	uint32_t n = 0, cnt;
	int passes;

	if ((t->flags & PTO_LAUNCH_SYNC_START) && t->block_num > 1)
		return pto__dispatch_sync(s, t, now, held);
	if (t->shape == PTO_TASK_SHAPE_MIX) {
		for (uint32_t i = 0; i < s->num_clusters && t->next_block < t->block_num; i++) {
			if (!unit_idle(rt, t->shape, t->lanes, s->clusters[i]))
				continue;
			pto__dispatch_unit(s, t, s->clusters[i], now);
			if ((int32_t)s->clusters[i] == s->resv_cluster)
				s->resv_cluster = -1;	/* it served its purpose */
			n++;
		}
		if (t->next_block < t->block_num)
			mix_reserve(s, t);
		return n;
	}
	list = shape_cores(s, t->shape, &cnt);
	/*
	 * Idle cores first, then pending slots behind latched dispatches; not
	 * for a kernel this thread runs inline: queued behind a dispatch a
	 * worker runs, it would go to that worker, and the next behind it, so
	 * the core would never come back (and dual issue hides nothing here).
	 */
	passes = kernel_inline(rt, t->kernel[t->shape == PTO_TASK_SHAPE_AIC ? 0 : 1]) ? 1 : 2;
	for (int pass = 0; pass < passes && t->next_block < t->block_num; pass++) {
		uint32_t at = s->cursor[t->shape];

		for (uint32_t k = 0; k < cnt && t->next_block < t->block_num; k++) {
			uint32_t i = from_cursor(at, k, cnt);

			if (core_reserved(s, list[i]) ||
			    (pass == 0 ? !core_idle(list[i]) : !core_takes(rt, list[i])))
				continue;
			pto__dispatch_unit(s, t, list[i]->id, now);
			s->cursor[t->shape] = i;
			n++;
		}
	}
	return n;
}

static bool shape_has_room(struct pto_sched *s, uint32_t sh)
{
	if (sh == PTO_TASK_SHAPE_MIX)
		return any_cluster_idle(s, PTO_LANE_AIV0 | PTO_LANE_AIV1) ||
		       any_cluster_idle(s, PTO_LANE_AIC | PTO_LANE_AIV0);
	return any_core_takes(s, sh);
}

uint32_t pto__dispatch_ready(struct pto_sched *s, uint64_t now)
{
	/* MIX first (it needs whole clusters); then AIC/AIV, alternating by thread */
	uint32_t order[3] = { PTO_TASK_SHAPE_MIX, PTO_TASK_SHAPE_AIC, PTO_TASK_SHAPE_AIV };
	uint32_t n = 0;

	if (s->idx & 1) {
		order[1] = PTO_TASK_SHAPE_AIV;
		order[2] = PTO_TASK_SHAPE_AIC;
	}
	mix_reserve_check(s);
	for (int k = 0; k < 3; k++) {
		uint32_t sh = order[k];

		/* the room check scans cores: skip it when nothing of this shape waits */
		if (!s->num_local[sh] && !pto_rq_size(&s->rt->ready[sh]))
			continue;
		if (sh == PTO_TASK_SHAPE_MIX && s->resv_cluster < 0 && !shape_has_room(s, sh)) {
			/* no room: look at one waiting MIX task to reserve its lanes, put it back */
			struct pto_task *t = pop_ready(s, sh);

			if (t) {
				if (!(t->flags & PTO_LAUNCH_SYNC_START) || t->block_num == 1)
					mix_reserve(s, t);
				pto__task_push_ready(s->rt, t, false);
			}
			continue;
		}
		while (shape_has_room(s, sh)) {
			struct pto_task *t = pop_ready(s, sh);
			bool held = false;
			uint32_t d;

			if (!t)
				break;
			d = dispatch_task(s, t, now, &held);
			n += d;
			if (held)
				return n;	/* a sync-start request: nothing else until it launched */
			if (t->next_block < t->block_num) {
				/*
				 * Blocks left: let any scheduler with cores take the rest.
				 * Wake the others only if we placed some (then they may have
				 * room); a task we could not place at all waits for a FIN,
				 * and notifying ourselves would keep us from ever sleeping.
				 */
				pto__task_push_ready(s->rt, t, false);
				if (d && s->rt->num_sched > 1)
					pto__sched_kick(s->rt);
				break;
			}
		}
	}
	/* this thread's first dispatch of the run (pto_run_stats.sched_ns, at its end) */
	if (n && !s->first_dispatch_ns)
		s->first_dispatch_ns = now;
	return n;
}
