/* SPDX-License-Identifier: MIT */
/*
 * trace_deps.c - the dependency index the trace exporter writes flow arrows
 * and args.deps from (trace_deps.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "libpto/trace/trace_deps.h"

static int cmp_id(const void *a, const void *b)
{
	int64_t x = ((const struct id_idx *)a)->id, y = ((const struct id_idx *)b)->id;

	return x < y ? -1 : x > y;
}

void pto__trace_deps_free(struct deps *dp)
{
	free(dp->span);
	free(dp->ids);
	free(dp->edge_off);
	free(dp->edge_prod);
	free(dp->scratch);
}

/* The record of dispatch @d's task, or NULL (dropped, or a slot reused). */
const struct pto_trace_task *pto__trace_dispatch_task(const struct pto_trace *tr,
						      const struct pto_trace_dispatch *d)
{
	const struct pto_trace_task *t = d->task_idx < tr->num_tasks ? &tr->tasks[d->task_idx] :
		NULL;

	/* a dropped task record leaves its slot zeroed: only trust a matching id */
	return t && t->task_id == d->task_id ? t : NULL;
}

int pto__trace_deps_build(struct deps *dp, const struct pto_trace *tr)
{
	uint32_t n = tr->num_tasks, most = 0;

	memset(dp, 0, sizeof(*dp));
	dp->span = calloc(n + 1, sizeof(*dp->span));
	dp->ids = malloc((n + 1) * sizeof(*dp->ids));
	dp->edge_off = calloc(n + 1, sizeof(*dp->edge_off));
	dp->edge_prod = malloc((tr->num_edges + 1) * sizeof(*dp->edge_prod));
	if (!dp->span || !dp->ids || !dp->edge_off || !dp->edge_prod)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		if (!tr->tasks[i].t_submit)
			continue;	/* a dropped record */
		dp->ids[dp->nids++] = (struct id_idx){ tr->tasks[i].task_id, i };
	}
	qsort(dp->ids, dp->nids, sizeof(*dp->ids), cmp_id);
	for (uint32_t s = 0; s < tr->num_schedulers; s++) {
		for (uint32_t i = 0; i < tr->sched[s].num_dispatches; i++) {
			const struct pto_trace_dispatch *d = &tr->sched[s].dispatches[i];
			struct span *sp;
			uint64_t start = d->t_core_start ? d->t_core_start : d->t_dispatch;
			uint64_t end = d->t_core_end > start ? d->t_core_end : start;

			if (!pto__trace_dispatch_task(tr, d) || !start)
				continue;
			sp = &dp->span[d->task_idx];
			if (!sp->first_start || start < sp->first_start) {
				sp->first_start = start;
				sp->start_core = d->core;
			}
			if (end >= sp->last_end) {
				sp->last_end = end;
				sp->end_start = start;
				sp->end_core = d->core;
			}
		}
	}
	/* explicit edges grouped by consumer (counting sort, stable) */
	for (uint32_t i = 0; i < tr->num_edges; i++)
		if (tr->edges[i].consumer_idx < n)
			dp->edge_off[tr->edges[i].consumer_idx + 1]++;
	for (uint32_t i = 0; i < n; i++)
		dp->edge_off[i + 1] += dp->edge_off[i];
	for (uint32_t i = 0; i < tr->num_edges; i++) {
		uint32_t c = tr->edges[i].consumer_idx;

		if (c < n)
			dp->edge_prod[dp->edge_off[c]++] = tr->edges[i].producer;
	}
	/* the fill advanced each offset to its successor's start: shift back */
	for (uint32_t i = n; i > 0; i--)
		dp->edge_off[i] = dp->edge_off[i - 1];
	dp->edge_off[0] = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t k = tr->tasks[i].num_fanin + (dp->edge_off[i + 1] - dp->edge_off[i]);

		if (k > most)
			most = k;
	}
	dp->cap_scratch = most;
	dp->scratch = malloc((most + 1) * sizeof(*dp->scratch));
	return dp->scratch ? 0 : -ENOMEM;
}

/* The record index of task @id, or UINT32_MAX. */
uint32_t pto__trace_deps_find(const struct deps *dp, int64_t id)
{
	uint32_t lo = 0, hi = dp->nids;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (dp->ids[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < dp->nids && dp->ids[lo].id == id ? dp->ids[lo].idx : UINT32_MAX;
}

/* Producers of task record @idx, in order found, without repeats; returns the count. */
uint32_t pto__trace_deps_of(struct deps *dp, const struct pto_trace *tr, uint32_t idx)
{
	const struct pto_trace_task *t = &tr->tasks[idx];
	uint32_t k = 0;

	for (uint32_t i = 0; i < t->num_fanin + dp->edge_off[idx + 1] - dp->edge_off[idx]; i++) {
		int64_t p;
		uint32_t j;

		if (i < t->num_fanin) {
			uint64_t off = (uint64_t)t->fanin_off + i;

			if (off >= tr->num_fanin)
				continue;
			p = tr->fanin[off];
		} else {
			p = dp->edge_prod[dp->edge_off[idx] + i - t->num_fanin];
		}
		for (j = 0; j < k && dp->scratch[j] != p; j++)
			;
		if (j == k && k < dp->cap_scratch)
			dp->scratch[k++] = p;
	}
	return k;
}
