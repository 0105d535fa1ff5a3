// SPDX-License-Identifier: MIT
/* hazard.c - the submit-time write-after-read / write-after-write check (hazard.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libpto/core/run.h"
#include "runtime/regs.h"

#define HZ_INIT		64

int pto__hz_init(struct pto_hazard *hz, const uint32_t *window)
{
	memset(hz, 0, sizeof(*hz));
	for (int r = 0; r < PTO_NUM_RINGS; r++) {
		hz->window[r] = window[r];
		hz->seen[r] = calloc(window[r], sizeof(*hz->seen[r]));
		if (!hz->seen[r])
			goto nomem;
	}
	hz->cap_stack = HZ_INIT;
	hz->stack = malloc(hz->cap_stack * sizeof(*hz->stack));
	hz->cap_cand = HZ_INIT;
	hz->cand = malloc(hz->cap_cand * sizeof(*hz->cand));
	if (!hz->stack || !hz->cand)
		goto nomem;
	return 0;
nomem:
	pto__hz_fini(hz);
	return -ENOMEM;
}

void pto__hz_fini(struct pto_hazard *hz)
{
	for (int r = 0; r < PTO_NUM_RINGS; r++)
		free(hz->seen[r]);
	free(hz->stack);
	free(hz->cand);
	memset(hz, 0, sizeof(*hz));
}

/* Grow *@p (of *@cap elements of @size bytes) to hold @n + 1. */
static int grow(void **p, uint32_t *cap, uint32_t n, size_t size)
{
	void *np;

	if (n < *cap)
		return 0;
	np = realloc(*p, (size_t)*cap * 2 * size);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap *= 2;
	return 0;
}

int pto__hz_add(struct pto_hazard *hz, int64_t task, uint32_t arg, bool waw)
{
	if (grow((void **)&hz->cand, &hz->cap_cand, hz->num_cand, sizeof(*hz->cand)))
		return -ENOMEM;
	hz->cand[hz->num_cand++] = (struct pto_hz_cand){ task, arg, waw };
	return 0;
}

/* The slot of task @id if that task is submitted, not retired and not finished; else NULL. */
static struct pto_task *unfinished(struct pto_runtime *rt, int64_t id)
{
	uint64_t ring = pto_task_ring(id), local = pto_task_local(id);
	struct pto_ring *r;
	struct pto_task *p;

	if (id < 0 || ring >= PTO_NUM_RINGS)
		return NULL;
	r = &rt->rings[ring];
	/* pairs with the seq_cst store in pto__ring_publish() after the slot reset */
	if (local >= r->alloc.next || local < reg_load_acquire(&r->ctl->last_task_alive))
		return NULL;
	p = pto__task_slot(rt, id);
	/* the id is the orchestrator's own write; a reused slot holds another task */
	if (p->id != id)
		return NULL;
	/* COMPLETED is stored under the task's lock; a stale PENDING only reports a real race */
	return __atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == PTO_TASK_PENDING ? p : NULL;
}

/* Is @id one of the candidates the walk still looks for?  Then it found it. */
static void reached(struct pto_hazard *hz, int64_t id)
{
	for (uint32_t c = 0; c < hz->num_cand; c++) {
		if (hz->cand[c].task == id) {
			hz->left--;
			return;
		}
	}
}

/* Push task @id on the walk's stack if it is unfinished and not visited yet. */
static int visit(struct pto_runtime *rt, int64_t id, uint32_t *top)
{
	struct pto_hazard *hz = &rt->hz;
	struct pto_task *p = unfinished(rt, id);
	uint32_t *seen;

	if (!p)
		return 0;
	seen = &hz->seen[p->ring][p->local & (hz->window[p->ring] - 1)];
	if (*seen == hz->epoch)
		return 0;
	*seen = hz->epoch;
	reached(hz, id);
	if (grow((void **)&hz->stack, &hz->cap_stack, *top, sizeof(*hz->stack)))
		return -ENOMEM;
	hz->stack[(*top)++] = id;
	return 0;
}

/*
 * Mark the unfinished tasks the writer is ordered after (through any chain
 * of edges) with a new epoch, until every candidate left is marked.  Only
 * unfinished tasks are walked: a finished one's producers all finished, so
 * no unfinished candidate hides behind it.
 */
static int mark_ancestors(struct pto_runtime *rt)
{
	struct pto_hazard *hz = &rt->hz;
	uint32_t top = 0;
	int ret = 0;

	if (++hz->epoch == 0) {
		/* wrapped: forget every old mark */
		for (int r = 0; r < PTO_NUM_RINGS; r++)
			memset(hz->seen[r], 0, hz->window[r] * sizeof(*hz->seen[r]));
		hz->epoch = 1;
	}
	for (uint32_t i = 0; !ret && hz->left && i < rt->num_dep_scratch; i++)
		ret = visit(rt, rt->dep_scratch[i], &top);
	while (!ret && hz->left && top) {
		struct pto_task *t = pto__task_slot(rt, hz->stack[--top]);

		/* its producers as found at its submit, then pto_add_dependency() edges */
		for (uint32_t k = 0; !ret && k < t->hz_nfanin; k++)
			ret = visit(rt, t->hz_fanin[k], &top);
		for (struct pto_dep_node *d = t->extra_fanin; !ret && d; d = d->next) {
			/*
			 * The node names a slot: if its producer retired, the slot
			 * may hold a later task, which t cannot depend on.
			 */
			if (d->consumer->trace_idx < t->trace_idx)
				ret = visit(rt, d->consumer->id, &top);
		}
	}
	return ret;
}

static bool marked(const struct pto_hazard *hz, const struct pto_task *p)
{
	return hz->seen[p->ring][p->local & (hz->window[p->ring] - 1)] == hz->epoch;
}

static const char *task_kernel(const struct pto_runtime *rt, const int32_t *k)
{
	return pto__kernel_name(rt, k[0] >= 0 ? k[0] : k[1] >= 0 ? k[1] : k[2]);
}

/* "[a,b]" of @n values into @buf. */
static void dims(char *buf, size_t len, const uint32_t *v, uint32_t n)
{
	size_t o = 0;

	o += (size_t)snprintf(buf + o, len - o, "[");
	for (uint32_t d = 0; d < n && o < len; d++)
		o += (size_t)snprintf(buf + o, len - o, d ? ",%u" : "%u", v[d]);
	if (o < len)
		snprintf(buf + o, len - o, "]");
}

int pto__hz_check(struct pto_runtime *rt, int64_t wid, int32_t kernel,
		  const struct pto_args *args, bool (*is_before)(void *ctx, int64_t task),
		  void *ctx)
{
	struct pto_hazard *hz = &rt->hz;
	uint32_t n = 0;

	/* cheap verdicts first: finished, a direct producer, in the ancestry mask */
	for (uint32_t c = 0; c < hz->num_cand; c++) {
		const struct pto_hz_cand *hc = &hz->cand[c];
		bool done = !unfinished(rt, hc->task) || is_before(ctx, hc->task);

		for (uint32_t i = 0; !done && i < rt->num_dep_scratch; i++)
			done = rt->dep_scratch[i] == hc->task;
		for (uint32_t k = 0; !done && k < n; k++)
			done = hz->cand[k].task == hc->task;	/* one entry per task */
		if (!done)
			hz->cand[n++] = *hc;
	}
	hz->num_cand = n;
	hz->left = n;
	if (n && mark_ancestors(rt)) {
		hz->num_cand = 0;
		return pto__rt_fail(rt, -ENOMEM, "pto_submit: hazard check walk");
	}
	for (uint32_t c = 0; c < n; c++) {
		const struct pto_hz_cand *hc = &hz->cand[c];
		struct pto_task *p = pto__task_slot(rt, hc->task);
		const struct pto_tensor *t;
		char off[64], shp[64];

		/*
		 * Still unfinished after the walk: then so was every task
		 * between it and the writer during the walk, which therefore
		 * crossed them; finished meanwhile: nothing left to race with.
		 */
		if (marked(hz, p) || !unfinished(rt, hc->task))
			continue;
		t = args->tensors[hc->arg];
		dims(off, sizeof(off), t->offsets, t->ndims);
		dims(shp, sizeof(shp), t->shapes, t->ndims);
		hz->num_cand = 0;
		return pto__rt_fail(rt, PTO_E_HAZARD, "pto_submit: write-after-%s hazard: task %"
				    PRId64 " ('%s') writes argument %u (buffer 0x%" PRIx64
				    " offsets %s shape %s) that unfinished task %" PRId64 " ('%s') "
				    "%s, and is not ordered after it",
				    hc->waw ? "write" : "read", wid, pto__kernel_name(rt, kernel),
				    hc->arg, t->addr, off, shp, p->id, task_kernel(rt, p->kernel),
				    hc->waw ? "wrote" : "read");
	}
	hz->num_cand = 0;
	return 0;
}
