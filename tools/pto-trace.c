// SPDX-License-Identifier: MIT
/*
 * pto-trace - summarise a trace written by pto_trace_write().
 *
 *	pto-trace [--samples N] [--top N] FILE
 *
 * Prints per kernel: execution time (core end - core start), head overhead
 * (core start - dispatch) and tail overhead (completion observed - core
 * end) as p50/p90/p99, each defined in the output; per-core utilisation;
 * the critical path (tools/pto-trace/tasks.c); the slowest tasks with their
 * lifecycle stage by stage; the time spent per scheduler / orchestrator
 * phase; and ring occupancy (tasks submitted but not yet retired) sampled
 * over the run.  The format is described in docs/tracing.md.
 *
 * Exit status (tools/cli/cli.h): 0; 1 when the file cannot be read (a read
 * error, no permission, out of memory); 2 for bad usage, a FILE that does
 * not exist or is a directory, or a malformed trace, with one line ("pto-trace: FILE:LINE:COL: why" for a
 * syntax error, "pto-trace: FILE: traceEvents[i]: why" for an event the
 * summary cannot use).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/pto-trace/json.h"
#include "pto/runtime.h"
#include "tools/cli/cli.h"
#include "tools/pto-trace/tasks.h"
#include "tools/parse_num.h"

struct series {
	uint64_t *v;
	size_t n, cap;
};

struct kernel_stats {
	char *name;
	struct series exec, head, tail;
};

struct phase_stats {
	char *cat;
	char *name;
	uint64_t count;
	double total_us;
};

struct ring_series {
	struct series submit, retired;
};

struct summary {
	const char *path;
	struct kernel_stats *kernels;
	size_t nkernels;
	struct phase_stats *phases;
	size_t nphases;
	struct ring_series rings[PTO_NUM_RINGS];
	uint64_t task_events;
	uint64_t tasks;
	struct task_table tt;	/* per task: lifecycle, deps; per core: busy time */
	int64_t elapsed;
	uint64_t lanes;
	int64_t dropped;
	int64_t cores;
	size_t error_index;	/* the first event refused, and why */
	char errbuf[160];
};

static void oom(void)
{
	fprintf(stderr, "pto-trace: out of memory\n");
	exit(1);
}

static void push(struct series *s, uint64_t v)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			oom();
	}
	s->v[s->n++] = v;
}

static char *dup_str(const char *s)
{
	char *d = strdup(s);

	if (!d)
		oom();
	return d;
}

static struct kernel_stats *kernel_get(struct summary *sm, const char *name)
{
	for (size_t i = 0; i < sm->nkernels; i++)
		if (!strcmp(sm->kernels[i].name, name))
			return &sm->kernels[i];
	sm->kernels = realloc(sm->kernels, (sm->nkernels + 1) * sizeof(*sm->kernels));
	if (!sm->kernels)
		oom();
	struct kernel_stats *k = &sm->kernels[sm->nkernels++];

	memset(k, 0, sizeof(*k));
	k->name = dup_str(name);
	return k;
}

static struct phase_stats *phase_get(struct summary *sm, const char *cat, const char *name)
{
	for (size_t i = 0; i < sm->nphases; i++)
		if (!strcmp(sm->phases[i].cat, cat) && !strcmp(sm->phases[i].name, name))
			return &sm->phases[i];
	sm->phases = realloc(sm->phases, (sm->nphases + 1) * sizeof(*sm->phases));
	if (!sm->phases)
		oom();
	struct phase_stats *p = &sm->phases[sm->nphases++];

	memset(p, 0, sizeof(*p));
	p->cat = dup_str(cat);
	p->name = dup_str(name);
	return p;
}

/* Record why traceEvents[@index] is refused; returns -1 to stop the parse. */
static int __attribute__((format(printf, 3, 4)))
event_error(struct summary *sm, size_t index, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sm->errbuf, sizeof(sm->errbuf), fmt, ap);
	va_end(ap);
	sm->error_index = index;
	return -1;
}

/* Integer member @key of @obj that must be present and >= 0. */
static int need_u64(struct summary *sm, size_t index, const struct pto__json *obj, const char *key,
		    uint64_t *out)
{
	const struct pto__json *v = pto__json_get(obj, key);

	if (!v || v->type != PTO__JSON_NUMBER || !v->is_int || v->i < 0)
		return event_error(sm, index, "task event without a non-negative integer args.%s",
				   key);
	*out = (uint64_t)v->i;
	return 0;
}

static int on_task(struct summary *sm, const struct pto__json *ev, size_t index)
{
	const struct pto__json *args = pto__json_get(ev, "args");
	/* zeroed only for -O3, which cannot see need_u64() set each before use */
	uint64_t task = 0, ring = 0, block = 0, dispatch = 0, start = 0, end = 0, observed = 0;
	uint64_t submit, retired;
	const char *kernel;

	if (!args || args->type != PTO__JSON_OBJECT)
		return event_error(sm, index, "task event without an \"args\" object");
	kernel = pto__json_string(pto__json_get(args, "kernel"), NULL);
	if (!kernel)
		return event_error(sm, index, "task event without a string args.kernel");
	if (need_u64(sm, index, args, "task", &task) || need_u64(sm, index, args, "ring", &ring) ||
	    need_u64(sm, index, args, "block", &block) ||
	    need_u64(sm, index, args, "t_dispatch", &dispatch) ||
	    need_u64(sm, index, args, "t_start", &start) ||
	    need_u64(sm, index, args, "t_end", &end) ||
	    need_u64(sm, index, args, "t_observed", &observed))
		return -1;
	/* without its task record (dropped) an event has no submit/retire times */
	submit = (uint64_t)pto__json_int(pto__json_get(args, "t_submit"), -1);
	retired = (uint64_t)pto__json_int(pto__json_get(args, "t_retired"), -1);
	if (ring >= PTO_NUM_RINGS)
		return event_error(sm, index, "task %" PRIu64 " has ring %" PRIu64 " (max %d)",
				   task, ring, PTO_NUM_RINGS - 1);

	struct kernel_stats *k = kernel_get(sm, kernel);

	/* clamp: clocks of different agents may disagree by a few ns */
	push(&k->exec, end > start ? end - start : 0);
	push(&k->head, start > dispatch ? start - dispatch : 0);
	push(&k->tail, observed > end ? observed - end : 0);
	tt_merge(&sm->tt, ev, args, (int64_t)task, k->name, dispatch, start, end, observed);
	sm->task_events++;
	/* a task with several blocks or lanes has one event each: count it once */
	const struct pto__json *lane = pto__json_get(args, "lane");

	if (block == 0 && pto__json_int(lane, 0) == 0) {
		sm->tasks++;
		if (submit != UINT64_MAX && retired != UINT64_MAX) {
			push(&sm->rings[ring].submit, submit);
			push(&sm->rings[ring].retired, retired);
		}
	}
	return 0;
}

static int on_event(void *ctx, const struct pto__json *ev, size_t index)
{
	struct summary *sm = ctx;
	const char *ph, *cat, *name;

	if (ev->type != PTO__JSON_OBJECT)
		return event_error(sm, index, "trace event is not an object");
	ph = pto__json_string(pto__json_get(ev, "ph"), NULL);
	if (!ph)
		return event_error(sm, index, "trace event without a string \"ph\"");
	if (!strcmp(ph, "M")) {
		if (!strcmp(pto__json_string(pto__json_get(ev, "name"), ""), "thread_name")) {
			int64_t tid = pto__json_int(pto__json_get(ev, "tid"), -1);
			const char *lane = pto__json_string(pto__json_get(pto__json_get(ev, "args"),
									"name"), NULL);

			sm->lanes++;
			/* the device's lanes (pid 2) are its cores */
			if (pto__json_int(pto__json_get(ev, "pid"), -1) == 2 && lane)
				tt_lane(&sm->tt, tid, lane);
		}
		return 0;
	}
	if (strcmp(ph, "X"))
		return 0;	/* counters, instants: not summarised */
	cat = pto__json_string(pto__json_get(ev, "cat"), "");
	name = pto__json_string(pto__json_get(ev, "name"), "?");
	if (!strcmp(cat, "task"))
		return on_task(sm, ev, index);

	const struct pto__json *dur = pto__json_get(ev, "dur");

	if (!dur || dur->type != PTO__JSON_NUMBER || dur->num < 0)
		return event_error(sm, index, "complete event without a non-negative \"dur\"");
	struct phase_stats *p = phase_get(sm, cat, name);

	p->count++;
	p->total_us += dur->num;
	return 0;
}

static int on_member(void *ctx, const char *key, const struct pto__json *v)
{
	struct summary *sm = ctx;

	if (!strcmp(key, "otherData") && v->type == PTO__JSON_OBJECT) {
		sm->dropped = pto__json_int(pto__json_get(v, "dropped_records"), -1);
		sm->cores = pto__json_int(pto__json_get(v, "cores"), -1);
		sm->elapsed = pto__json_int(pto__json_get(v, "elapsed_ns"), -1);
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* qsort() must not see a NULL array, even an empty one. */
static void sort_u64(uint64_t *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_u64);
}

/* Nearest-rank percentile of sorted @s. */
static uint64_t pct(const struct series *s, unsigned int p)
{
	size_t rank;

	if (!s->n)
		return 0;
	rank = (s->n * p + 99) / 100;
	return s->v[rank ? rank - 1 : 0];
}

static void print_triplet(struct series *s)
{
	sort_u64(s->v, s->n);
	printf("%10.2f%10.2f%10.2f", pct(s, 50) / 1e3, pct(s, 90) / 1e3, pct(s, 99) / 1e3);
}

/* How many of sorted @s are <= @t. */
static size_t count_le(const struct series *s, uint64_t t)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->v[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Tasks of @r live at @t: submitted at or before @t, retired after it. */
static size_t live_at(const struct ring_series *r, uint64_t t)
{
	size_t subm = count_le(&r->submit, t), ret = count_le(&r->retired, t);

	return subm > ret ? subm - ret : 0;
}

static void print_summary(struct summary *sm, unsigned int samples, unsigned int top)
{
	struct kernel_stats all = { .name = "(all)" };
	uint64_t t_first = UINT64_MAX, t_last = 0;

	printf("trace %s\n", sm->path);
	printf("  %" PRIu64 " tasks, %" PRIu64 " task events, %" PRIu64 " lanes", sm->tasks,
	       sm->task_events, sm->lanes);
	if (sm->cores >= 0)
		printf(", %" PRId64 " cores", sm->cores);
	if (sm->dropped >= 0)
		printf(", %" PRId64 " dropped records", sm->dropped);
	else
		printf(", dropped records unknown (no otherData.dropped_records)");
	printf("\n");
	if (sm->dropped > 0)
		printf("  WARNING: %" PRId64 " records were dropped: the statistics below are "
		       "incomplete (raise pto_runtime_config.trace_records)\n", sm->dropped);

	printf("\n  %-20s %7s |%10s%10s%10s |%10s%10s%10s |%10s%10s%10s\n", "kernel (times in us)",
	       "count", "exec p50", "p90", "p99", "head p50", "p90", "p99", "tail p50", "p90", "p99");
	for (size_t i = 0; i <= sm->nkernels; i++) {
		struct kernel_stats *k = i < sm->nkernels ? &sm->kernels[i] : &all;

		if (k == &all && sm->nkernels < 2)
			break;
		if (k != &all) {
			for (size_t j = 0; j < k->exec.n; j++) {
				push(&all.exec, k->exec.v[j]);
				push(&all.head, k->head.v[j]);
				push(&all.tail, k->tail.v[j]);
			}
		}
		printf("  %-20.20s %7zu |", k->name, k->exec.n);
		print_triplet(&k->exec);
		printf(" |");
		print_triplet(&k->head);
		printf(" |");
		print_triplet(&k->tail);
		printf("\n");
	}
	if (!sm->nkernels)
		printf("  (no task events)\n");
	printf("  exec = core end - core start: the kernel's own time on its core\n"
	       "  head overhead = core start - dispatch: the scheduler wrote the dispatch "
	       "register -> the core started the kernel\n"
	       "  tail overhead = completion observed - core end: the kernel returned -> a "
	       "scheduler noticed it\n");
	free(all.exec.v);
	free(all.head.v);
	free(all.tail.v);

	tt_print_cores(&sm->tt, sm->cores);
	tt_print_critical_path(&sm->tt);
	tt_print_slowest(&sm->tt, top);

	if (sm->nphases) {
		printf("\nphases                           count   total ms    mean us\n");
		for (size_t i = 0; i < sm->nphases; i++) {
			struct phase_stats *p = &sm->phases[i];

			printf("  %-6.6s %-20.20s %10" PRIu64 " %10.3f %10.3f\n", p->cat, p->name,
			       p->count, p->total_us / 1e3, p->total_us / (double)p->count);
		}
	}

	for (int r = 0; r < PTO_NUM_RINGS; r++) {
		struct ring_series *rs = &sm->rings[r];

		sort_u64(rs->submit.v, rs->submit.n);
		sort_u64(rs->retired.v, rs->retired.n);
		if (rs->submit.n && rs->submit.v[0] < t_first)
			t_first = rs->submit.v[0];
		if (rs->retired.n && rs->retired.v[rs->retired.n - 1] > t_last)
			t_last = rs->retired.v[rs->retired.n - 1];
	}
	if (!sm->tasks || t_last <= t_first)
		return;
	printf("\nring occupancy (tasks submitted, not yet retired) over %.3f ms\n",
	       (t_last - t_first) / 1e6);
	printf("  time ms ");
	for (int r = 0; r < PTO_NUM_RINGS; r++)
		if (sm->rings[r].submit.n)
			printf("   ring%d", r);
	printf("\n");
	for (unsigned int i = 0; i < samples; i++) {
		uint64_t t = t_first + (t_last - t_first) * i / (samples > 1 ? samples - 1 : 1);

		/* the very last instant has everything retired: look just before it */
		if (i == samples - 1 && i > 0)
			t--;
		printf("  %7.3f ", (t - t_first) / 1e6);
		for (int r = 0; r < PTO_NUM_RINGS; r++)
			if (sm->rings[r].submit.n)
				printf(" %7zu", live_at(&sm->rings[r], t));
		printf("\n");
	}
}

static void free_summary(struct summary *sm)
{
	for (size_t i = 0; i < sm->nkernels; i++) {
		free(sm->kernels[i].name);
		free(sm->kernels[i].exec.v);
		free(sm->kernels[i].head.v);
		free(sm->kernels[i].tail.v);
	}
	free(sm->kernels);
	for (size_t i = 0; i < sm->nphases; i++) {
		free(sm->phases[i].cat);
		free(sm->phases[i].name);
	}
	free(sm->phases);
	tt_free(&sm->tt);
	for (int r = 0; r < PTO_NUM_RINGS; r++) {
		free(sm->rings[r].submit.v);
		free(sm->rings[r].retired.v);
	}
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: pto-trace [--samples N] [--top N] FILE\n"
		"  summarise a pto trace (Chrome/Perfetto JSON from pto_trace_write)\n"
		"  --samples N   ring occupancy at N instants (1..1000, default 8)\n"
		"  --top N       list the N slowest tasks (0..1000, default 5)\n"
		"  --help        this text\n"
		"  --version     the version of pto2\n"
		"exit status: 0; 1 the file cannot be read (read error, permission); 2 bad\n"
		"usage, a FILE that does not exist or is a directory, or a malformed trace\n");
}

int main(int argc, char **argv)
{
	struct summary sm = { .dropped = -1, .cores = -1, .elapsed = -1, .tt.t_min = UINT64_MAX };
	struct pto__json_error err;
	unsigned int samples = 8, top = 5;
	const char *path = NULL;
	size_t len;
	char *buf;
	int rc;

	static const struct option longopts[] = {
		{ "samples", required_argument, NULL, 's' },
		{ "top", required_argument, NULL, 't' },
		CLI_OPTIONS_COMMON,
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	cli_init("pto-trace", usage);
	while ((ch = cli_next(argc, argv, ":h", longopts)) != -1) {
		if (ch == 's')
			samples = (unsigned int)cli_parse_u64("--samples", optarg, 1, 1000);
		else if (ch == 't')
			top = (unsigned int)cli_parse_u64("--top", optarg, 0, 1000);
	}
	if (optind >= argc)
		cli_usage_error("no FILE given");
	if (optind + 1 < argc)
		cli_usage_error("more than one FILE given ('%s')", argv[optind + 1]);
	path = argv[optind];
	rc = pto__json_read_file(path, &buf, &len);
	if (rc) {
		fprintf(stderr, "pto-trace: %s: %s\n", path, strerror(-rc));
		/* a FILE that is not there (or not a file) is bad input; a read error is not */
		return rc == -ENOENT || rc == -ENOTDIR || rc == -EISDIR || rc == -ENAMETOOLONG ?
			CLI_EXIT_USAGE : CLI_EXIT_FAIL;
	}
	sm.path = path;
	rc = pto__json_parse_stream(buf, len, "traceEvents", on_event, on_member, &sm, &err);
	free(buf);
	if (rc == -ENOMEM) {
		fprintf(stderr, "pto-trace: %s: out of memory\n", path);
		rc = 1;
	} else if (rc == -EINVAL) {
		fprintf(stderr, "pto-trace: %s:%u:%u: %s\n", path, err.line, err.col, err.msg);
		rc = 2;
	} else if (rc) {
		fprintf(stderr, "pto-trace: %s: traceEvents[%zu]: %s\n", path, sm.error_index,
			sm.errbuf);
		rc = 2;
	} else {
		print_summary(&sm, samples, top);
	}
	free_summary(&sm);
	return rc;
}
