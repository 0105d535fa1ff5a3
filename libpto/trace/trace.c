// SPDX-License-Identifier: MIT
/* trace.c - preallocated per-run trace buffers and their record helpers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "libpto/error_impl.h"
#include "libpto/trace/trace.h"

struct pto_trace *pto_trace_alloc(uint32_t task_cap, uint32_t num_schedulers,
				  uint32_t num_clusters, bool wiring)
{
	struct pto_trace *tr;
	uint64_t disp_cap = 2ull * task_cap, phase_cap = 4ull * task_cap;

	if (task_cap == 0 || task_cap > PTO_TRACE_MAX_TASKS || num_schedulers == 0) {
		pto__fail(-EINVAL, "trace: bad capacity %u for %u schedulers", task_cap,
			  num_schedulers);
		return NULL;
	}
	tr = calloc(1, sizeof(*tr));
	if (!tr)
		goto nomem;
	tr->num_clusters = num_clusters;
	tr->cap_tasks = task_cap;
	tr->cap_fanin = (uint32_t)disp_cap;
	tr->cap_edges = (uint32_t)disp_cap;
	tr->cap_orch_phases = (uint32_t)phase_cap;
	tr->tasks = calloc(task_cap, sizeof(*tr->tasks));
	tr->fanin = calloc(disp_cap, sizeof(*tr->fanin));
	tr->edges = calloc(disp_cap, sizeof(*tr->edges));
	tr->orch_phases = calloc(phase_cap, sizeof(*tr->orch_phases));
	tr->sched = calloc(num_schedulers, sizeof(*tr->sched));
	tr->num_schedulers = num_schedulers;
	if (!tr->tasks || !tr->fanin || !tr->edges || !tr->orch_phases || !tr->sched)
		goto nomem_free;
	if (wiring) {
		tr->cap_wiring_phases = (uint32_t)phase_cap;
		tr->wiring_phases = calloc(phase_cap, sizeof(*tr->wiring_phases));
		if (!tr->wiring_phases)
			goto nomem_free;
	}
	for (uint32_t i = 0; i < num_schedulers; i++) {
		struct pto_trace_sched *s = &tr->sched[i];

		s->cap_dispatches = (uint32_t)disp_cap;
		s->cap_phases = (uint32_t)phase_cap;
		s->dispatches = calloc(disp_cap, sizeof(*s->dispatches));
		s->phases = calloc(phase_cap, sizeof(*s->phases));
		if (!s->dispatches || !s->phases)
			goto nomem_free;
	}
	return tr;

nomem_free:
	pto_trace_free(tr);
nomem:
	pto__fail(-ENOMEM, "trace: cannot allocate buffers for %u tasks", task_cap);
	return NULL;
}

void pto_trace_free(struct pto_trace *tr)
{
	if (!tr)
		return;
	if (tr->sched) {
		for (uint32_t i = 0; i < tr->num_schedulers; i++) {
			free(tr->sched[i].dispatches);
			free(tr->sched[i].phases);
		}
	}
	free(tr->sched);
	free(tr->tasks);
	free(tr->fanin);
	free(tr->edges);
	free(tr->orch_phases);
	free(tr->wiring_phases);
	free(tr);
}

void pto_trace_reset(struct pto_trace *tr, uint32_t num_schedulers)
{
	memset(tr->tasks, 0, (size_t)tr->num_tasks * sizeof(*tr->tasks));
	tr->num_tasks = 0;
	tr->num_fanin = 0;
	tr->num_edges = 0;
	tr->num_orch_phases = 0;
	tr->num_wiring_phases = 0;
	tr->dropped = 0;
	tr->fanin_dropped = 0;
	tr->edges_dropped = 0;
	tr->wiring_dropped = 0;
	tr->t_begin = tr->t_end = 0;
	/* the buffers were sized for the allocation-time count; never grow it */
	if (num_schedulers < tr->num_schedulers)
		tr->num_schedulers = num_schedulers;
	for (uint32_t i = 0; i < tr->num_schedulers; i++) {
		tr->sched[i].num_dispatches = 0;
		tr->sched[i].num_phases = 0;
		tr->sched[i].dropped = 0;
	}
}

uint64_t pto_trace_dropped(const struct pto_trace *tr)
{
	uint64_t n = tr->dropped + tr->fanin_dropped + tr->edges_dropped + tr->wiring_dropped;

	for (uint32_t i = 0; i < tr->num_schedulers; i++)
		n += tr->sched[i].dropped;
	return n;
}

struct pto_trace_task *pto_trace_task_begin(struct pto_trace *tr, uint32_t idx)
{
	if (idx >= tr->cap_tasks) {
		tr->dropped++;
		return NULL;
	}
	if (idx >= tr->num_tasks)
		tr->num_tasks = idx + 1;
	return &tr->tasks[idx];
}

void pto_trace_task_fanin(struct pto_trace *tr, struct pto_trace_task *rec, const int64_t *ids,
			  uint32_t n)
{
	if (!rec || n == 0)
		return;
	if (tr->cap_fanin - tr->num_fanin < n) {
		tr->fanin_dropped += n;
		return;
	}
	rec->fanin_off = tr->num_fanin;
	rec->num_fanin = n;
	memcpy(&tr->fanin[tr->num_fanin], ids, n * sizeof(*ids));
	tr->num_fanin += n;
}

void pto_trace_edge(struct pto_trace *tr, uint32_t consumer_idx, int64_t producer)
{
	struct pto_trace_edge *e;

	/* without its consumer's record an edge has nowhere to show */
	if (consumer_idx >= tr->cap_tasks || tr->num_edges >= tr->cap_edges) {
		tr->edges_dropped++;
		return;
	}
	e = &tr->edges[tr->num_edges++];
	e->consumer_idx = consumer_idx;
	e->pad = 0;
	e->producer = producer;
}

static void phase_add(struct pto_trace_phase *phases, uint32_t *num, uint32_t cap,
		      uint64_t *dropped, uint32_t phase, uint64_t t0, uint64_t t1, uint32_t count)
{
	struct pto_trace_phase *p;

	if (*num >= cap) {
		(*dropped)++;
		return;
	}
	p = &phases[(*num)++];
	p->t0 = t0;
	p->t1 = t1;
	p->phase = phase;
	p->count = count;
}

void pto_trace_orch_phase(struct pto_trace *tr, uint32_t phase, uint64_t t0, uint64_t t1,
			  uint32_t count)
{
	phase_add(tr->orch_phases, &tr->num_orch_phases, tr->cap_orch_phases, &tr->dropped,
		  phase, t0, t1, count);
}

void pto_trace_wiring_phase(struct pto_trace *tr, uint32_t phase, uint64_t t0, uint64_t t1,
			    uint32_t count)
{
	phase_add(tr->wiring_phases, &tr->num_wiring_phases, tr->cap_wiring_phases,
		  &tr->wiring_dropped, phase, t0, t1, count);
}

struct pto_trace_dispatch *pto_trace_dispatch_begin(struct pto_trace *tr, uint32_t sched)
{
	struct pto_trace_sched *s = &tr->sched[sched];

	if (s->num_dispatches >= s->cap_dispatches) {
		s->dropped++;
		return NULL;
	}
	return &s->dispatches[s->num_dispatches++];
}

void pto_trace_sched_phase(struct pto_trace *tr, uint32_t sched, uint32_t phase, uint64_t t0,
			   uint64_t t1, uint32_t count)
{
	struct pto_trace_sched *s = &tr->sched[sched];

	phase_add(s->phases, &s->num_phases, s->cap_phases, &s->dropped, phase, t0, t1, count);
}
