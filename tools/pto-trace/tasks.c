// SPDX-License-Identifier: MIT
/* tasks.c - pto-trace's per-task and per-core view and its reports (tasks.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libpto/core/task_id.h"
#include "tools/pto-trace/tasks.h"

static void oom(void)
{
	fprintf(stderr, "pto-trace: out of memory\n");
	exit(1);
}

static size_t hash_id(int64_t id, size_t n)
{
	return (size_t)(((uint64_t)id * 0x9e3779b97f4a7c15ull) >> 20) & (n - 1);
}

/* The task of @id, created (all times unknown) on first sight. */
static struct task *task_get(struct task_table *sm, int64_t id)
{
	size_t h;

	if (sm->ntv * 2 >= sm->nslot) {
		size_t n = sm->nslot ? sm->nslot * 2 : 1024;
		int64_t *slot = malloc(n * sizeof(*slot));

		if (!slot)
			oom();
		memset(slot, 0xff, n * sizeof(*slot));
		for (size_t i = 0; i < sm->ntv; i++) {
			for (h = hash_id(sm->tv[i].id, n); slot[h] >= 0; h = (h + 1) & (n - 1))
				;
			slot[h] = (int64_t)i;
		}
		free(sm->slot);
		sm->slot = slot;
		sm->nslot = n;
	}
	for (h = hash_id(id, sm->nslot); sm->slot[h] >= 0; h = (h + 1) & (sm->nslot - 1))
		if (sm->tv[sm->slot[h]].id == id)
			return &sm->tv[sm->slot[h]];
	if (sm->ntv == sm->cap_tv) {
		sm->cap_tv = sm->cap_tv ? sm->cap_tv * 2 : 256;
		sm->tv = realloc(sm->tv, sm->cap_tv * sizeof(*sm->tv));
		if (!sm->tv)
			oom();
	}
	sm->slot[h] = (int64_t)sm->ntv;
	sm->tv[sm->ntv] = (struct task){ .id = id, .path_prev = -1, .submit = NO_TIME,
		.ready = NO_TIME, .dispatch = NO_TIME, .start = NO_TIME, .end = NO_TIME,
		.observed = NO_TIME, .complete = NO_TIME };
	return &sm->tv[sm->ntv++];
}

static int64_t task_index(const struct task_table *sm, int64_t id)
{
	for (size_t h = hash_id(id, sm->nslot); sm->nslot && sm->slot[h] >= 0;
	     h = (h + 1) & (sm->nslot - 1))
		if (sm->tv[sm->slot[h]].id == id)
			return sm->slot[h];
	return -1;
}

static void min_time(uint64_t *t, uint64_t v)
{
	if (v < *t)
		*t = v;
}

static void max_time(uint64_t *t, uint64_t v)
{
	if (v != NO_TIME && (*t == NO_TIME || v > *t))
		*t = v;
}

static struct core_stats *core_get(struct task_table *sm, size_t core)
{
	if (core >= sm->ncores_v) {
		size_t n = core + 1;

		sm->cores_v = realloc(sm->cores_v, n * sizeof(*sm->cores_v));
		if (!sm->cores_v)
			oom();
		memset(sm->cores_v + sm->ncores_v, 0, (n - sm->ncores_v) * sizeof(*sm->cores_v));
		sm->ncores_v = n;
	}
	return &sm->cores_v[core];
}

/* Merge one event of a task into its task record and its core's busy time. */
void tt_merge(struct task_table *sm, const struct pto__json *ev, const struct pto__json *args,
		       int64_t id, const char *kernel, uint64_t dispatch, uint64_t start,
		       uint64_t end, uint64_t observed)
{
	struct task *t = task_get(sm, id);
	const struct pto__json *deps = pto__json_get(args, "deps");
	int64_t core = pto__json_int(pto__json_get(args, "core"),
				     pto__json_int(pto__json_get(ev, "tid"), -1));

	t->kernel = kernel;
	min_time(&t->submit, (uint64_t)pto__json_int(pto__json_get(args, "t_submit"), -1));
	min_time(&t->ready, (uint64_t)pto__json_int(pto__json_get(args, "t_ready"), -1));
	max_time(&t->complete, (uint64_t)pto__json_int(pto__json_get(args, "t_complete"), -1));
	min_time(&t->dispatch, dispatch);
	min_time(&t->start, start);
	max_time(&t->end, end);
	max_time(&t->observed, observed);
	if (deps && deps->type == PTO__JSON_ARRAY && !t->deps && deps->len) {
		t->deps = malloc(deps->len * sizeof(*t->deps));
		if (!t->deps)
			oom();
		for (const struct pto__json *d = deps->child; d; d = d->next)
			if (d->type == PTO__JSON_NUMBER && d->is_int)
				t->deps[t->ndeps++] = d->i;
	}
	if (core >= 0 && core < 1 << 20) {
		struct core_stats *cs = core_get(sm, (size_t)core);

		cs->busy_ns += end > start ? end - start : 0;
		cs->events++;
	}
	if (start < sm->t_min)
		sm->t_min = start;
	if (end > sm->t_max)
		sm->t_max = end;
}

/* d = b - a when both are known and in order, else 0 (clocks of agents differ by ns). */
static double stage_us(uint64_t a, uint64_t b)
{
	return a == NO_TIME || b == NO_TIME || b < a ? 0 : (b - a) / 1e3;
}

void tt_print_cores(struct task_table *sm, int64_t cores)
{
	uint64_t span = sm->t_max > sm->t_min ? sm->t_max - sm->t_min : 0, busy = 0;
	size_t used = 0;

	if (!span)
		return;
	printf("\ncore utilisation (busy = sum of exec on the core, over the %.3f ms from the "
	       "first core start to the last core end)\n", span / 1e6);
	printf("  %-5s %-18s %7s %10s %7s\n", "core", "lane", "events", "busy us", "util");
	for (size_t c = 0; c < sm->ncores_v; c++) {
		struct core_stats *cs = &sm->cores_v[c];

		if (!cs->events)
			continue;
		used++;
		busy += cs->busy_ns;
		printf("  %-5zu %-18.18s %7" PRIu64 " %10.1f %6.1f%%\n", c, cs->name[0] ? cs->name : "-",
		       cs->events, cs->busy_ns / 1e3, 100.0 * cs->busy_ns / span);
	}
	printf("  %zu cores ran tasks", used);
	if (cores > 0)
		printf(", %" PRId64 " idle", cores - (int64_t)used > 0 ?
		       cores - (int64_t)used : 0);
	printf("; mean utilisation %.1f%% over the cores that ran tasks", used ?
	       100.0 * busy / span / (double)used : 0.0);
	if (cores > 0)
		printf(", %.1f%% over all %" PRId64, 100.0 * busy / span / (double)cores,
		       cores);
	printf("\n");
}

static int cmp_submit(const void *a, const void *b, void *ctx)
{
	const struct task *tv = ctx;
	const struct task *x = &tv[*(const size_t *)a], *y = &tv[*(const size_t *)b];

	if (x->submit != y->submit)
		return x->submit < y->submit ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* A task id as ring:sequence. */
static const char *task_name(const struct task *t, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRIu64 ":%" PRIu64, pto_task_ring(t->id),
		 pto_task_local(t->id));
	return buf;
}

/* Exec span of a task: its first core start to its last core end. */
static uint64_t task_exec(const struct task *t)
{
	return t->start == NO_TIME || t->end == NO_TIME || t->end < t->start ? 0 :
		t->end - t->start;
}

/*
 * The critical path: the dependency chain with the most exec time (a
 * producer is always submitted before its consumer, so submit order is a
 * topological order).  Lists its tasks, and the wall time the chain took.
 */
void tt_print_critical_path(struct task_table *sm)
{
	size_t *order = malloc((sm->ntv + 1) * sizeof(*order)), n = 0, best = 0;
	int64_t *chain;
	char id[32];

	if (!order)
		oom();
	if (!sm->ntv) {
		free(order);
		return;
	}
	for (size_t i = 0; i < sm->ntv; i++)
		order[i] = i;
	qsort_r(order, sm->ntv, sizeof(*order), cmp_submit, sm->tv);
	for (size_t k = 0; k < sm->ntv; k++) {
		struct task *t = &sm->tv[order[k]];
		uint64_t longest = 0;

		for (uint32_t d = 0; d < t->ndeps; d++) {
			int64_t p = task_index(sm, t->deps[d]);

			/* a producer not in the trace (or out of order: clock skew) ends the chain */
			if (p >= 0 && sm->tv[p].path_ns > longest &&
			    cmp_submit(&(size_t){ (size_t)p }, &order[k], sm->tv) < 0) {
				longest = sm->tv[p].path_ns;
				t->path_prev = p;
			}
		}
		t->path_ns = longest + task_exec(t);
		if (t->path_ns > sm->tv[best].path_ns)
			best = order[k];
	}
	free(order);
	chain = malloc(sm->ntv * sizeof(*chain));
	if (!chain)
		oom();
	for (int64_t i = (int64_t)best; i >= 0; i = sm->tv[i].path_prev)
		chain[n++] = i;
	struct task *first = &sm->tv[chain[n - 1]], *last = &sm->tv[chain[0]];

	printf("\ncritical path (the dependency chain with the most exec time): %zu tasks, "
	       "exec %.3f us, wall %.3f us (its first core start -> its last core end)\n", n,
	       last->path_ns / 1e3, stage_us(first->start, last->end));
	printf("  %-14s %-20s %10s %10s %10s\n", "task ring:seq", "kernel", "start us", "exec us",
	       "wait us");
	for (size_t k = n; k-- > 0;) {
		struct task *t = &sm->tv[chain[k]];
		struct task *prev = t->path_prev >= 0 ? &sm->tv[t->path_prev] : NULL;

		/* long chains: the first and last 10 links */
		if (n > 20 && k < n - 10 && k >= 10) {
			if (k == n - 11)
				printf("  ... %zu more ...\n", n - 20);
			continue;
		}
		printf("  %-14s %-20.20s %10.3f %10.3f %10.3f\n", task_name(t, id, sizeof(id)),
		       t->kernel ? t->kernel : "?", t->start == NO_TIME ? 0 : t->start / 1e3,
		       task_exec(t) / 1e3, prev ? stage_us(prev->end, t->start) : 0.0);
	}
	printf("  (wait = this task's core start - its predecessor's core end)\n");
	free(chain);
}

static int cmp_total(const void *a, const void *b, void *ctx)
{
	const struct task *tv = ctx;
	double x = stage_us(tv[*(const size_t *)a].submit, tv[*(const size_t *)a].complete);
	double y = stage_us(tv[*(const size_t *)b].submit, tv[*(const size_t *)b].complete);

	return x > y ? -1 : x < y;
}

/* The @top tasks with the longest submit -> complete, stage by stage. */
void tt_print_slowest(struct task_table *sm, unsigned int top)
{
	size_t *order, n = sm->ntv < top ? sm->ntv : top;
	char id[32];

	if (!n)
		return;
	order = malloc(sm->ntv * sizeof(*order));
	if (!order)
		oom();
	for (size_t i = 0; i < sm->ntv; i++)
		order[i] = i;
	qsort_r(order, sm->ntv, sizeof(*order), cmp_total, sm->tv);
	printf("\nslowest %zu tasks (submit -> complete), lifecycle in us:\n", n);
	printf("  %-14s %-16s %9s |%9s%9s%9s%9s%9s%9s\n", "task ring:seq", "kernel", "total",
	       "->ready", "->disp", "->start", "->end", "->obsvd", "->compl");
	for (size_t k = 0; k < n; k++) {
		struct task *t = &sm->tv[order[k]];

		printf("  %-14s %-16.16s %9.2f |%9.2f%9.2f%9.2f%9.2f%9.2f%9.2f\n",
		       task_name(t, id, sizeof(id)),
		       t->kernel ? t->kernel : "?", stage_us(t->submit, t->complete),
		       stage_us(t->submit, t->ready), stage_us(t->ready, t->dispatch),
		       stage_us(t->dispatch, t->start), stage_us(t->start, t->end),
		       stage_us(t->end, t->observed), stage_us(t->observed, t->complete));
	}
	printf("  (submit -> ready: waiting for producers; ready -> dispatch: for a core and a "
	       "scheduler;\n   dispatch -> core start: head; core end -> observed: tail; "
	       "observed -> complete: the last block/lane)\n");
	free(order);
}

void tt_lane(struct task_table *sm, int64_t tid, const char *name)
{
	if (tid >= 0 && tid < 1 << 20)
		snprintf(core_get(sm, (size_t)tid)->name, sizeof(sm->cores_v[0].name), "%s", name);
}

void tt_free(struct task_table *sm)
{
	for (size_t i = 0; i < sm->ntv; i++)
		free(sm->tv[i].deps);
	free(sm->tv);
	free(sm->slot);
	free(sm->cores_v);
}
