// SPDX-License-Identifier: MIT
/*
 * trace_json.c - export a run's trace as Chrome/Perfetto JSON.
 *
 * Layout (docs/tracing.md has the full format):
 *   pid 1 "host": tid 1 orchestrator, tid 2 wiring thread, tid 10+i scheduler i;
 *   pid 2 "device": tid = core id, one lane per core ("AIC3", "AIV17").
 * Each dispatch (a task, or one block / lane of it) is a complete event on
 * its core's lane with the task's ids, kernel, dependencies and every
 * lifecycle timestamp (ns since pto_run() began) in "args"; every dependency
 * (found at submit or added by pto_add_dependency()) is also a flow event
 * pair from the producer's end to the consumer's start, which the viewers
 * draw as an arrow; orchestrator and scheduler phases are complete events on
 * their lanes; ring occupancy is one sampled counter track per ring;
 * "otherData" carries the dropped-record count.
 *
 * Numbers are formatted by hand into a 64 KiB buffer flushed with write(2):
 * a 100,000-task trace is ~1.5 M numbers, where printf would dominate.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libpto/core/task_id.h"
#include "libpto/error_impl.h"
#include "libpto/trace/trace.h"
#include "libpto/trace/trace_deps.h"
#include "libpto/trace/trace_json.h"
#include "pto/trace.h"

#define JW_BUF			(64u * 1024)
/* Counter samples of ring occupancy over the run. */
#define OCCUPANCY_SAMPLES	256

struct jw {
	int fd;
	int err;		/* first -errno of a write */
	size_t n;
	uint64_t t0;		/* timestamps are written relative to this */
	uint64_t pid_host;	/* the host and device processes of the trace being written */
	uint64_t pid_dev;
	char buf[JW_BUF];
};

static void jw_flush(struct jw *w)
{
	size_t off = 0;

	while (off < w->n && !w->err) {
		ssize_t r = write(w->fd, w->buf + off, w->n - off);

		if (r < 0) {
			if (errno != EINTR)
				w->err = -errno;
			continue;
		}
		off += (size_t)r;
	}
	w->n = 0;
}

/* Make room for @len bytes (len <= JW_BUF). */
static inline char *jw_room(struct jw *w, size_t len)
{
	if (JW_BUF - w->n < len)
		jw_flush(w);
	return w->buf + w->n;
}

static void jw_raw(struct jw *w, const char *s, size_t len)
{
	while (len) {
		size_t chunk = len < JW_BUF ? len : JW_BUF;

		memcpy(jw_room(w, chunk), s, chunk);
		w->n += chunk;
		s += chunk;
		len -= chunk;
	}
}

static void jw_str(struct jw *w, const char *s)
{
	jw_raw(w, s, strlen(s));
}

static void jw_u64(struct jw *w, uint64_t v)
{
	char tmp[24];
	int i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	jw_raw(w, tmp + i, sizeof(tmp) - (size_t)i);
}

static void jw_i64(struct jw *w, int64_t v)
{
	if (v < 0) {
		jw_raw(w, "-", 1);
		jw_u64(w, (uint64_t)0 - (uint64_t)v);
	} else {
		jw_u64(w, (uint64_t)v);
	}
}

/* A timestamp relative to the run start, in ns (clamped at 0). */
static uint64_t rel(const struct jw *w, uint64_t t)
{
	return t > w->t0 ? t - w->t0 : 0;
}

/* @ns as microseconds with 3 decimals: the unit of "ts" and "dur". */
static void jw_us(struct jw *w, uint64_t ns)
{
	char frac[4];

	jw_u64(w, ns / 1000);
	frac[0] = '.';
	frac[1] = (char)('0' + ns / 100 % 10);
	frac[2] = (char)('0' + ns / 10 % 10);
	frac[3] = (char)('0' + ns % 10);
	jw_raw(w, frac, 4);
}

/* Length of the valid UTF-8 sequence at @s (0 if invalid). */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t cp;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and values beyond U+10FFFF are invalid */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* A JSON string: quotes, backslashes and control characters escaped; bad UTF-8 -> U+FFFD. */
static void jw_qstr(struct jw *w, const char *str)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;

	jw_raw(w, "\"", 1);
	while (*s) {
		const unsigned char *run = s;

		while (*s >= 0x20 && *s < 0x80 && *s != '"' && *s != '\\')
			s++;
		jw_raw(w, (const char *)run, (size_t)(s - run));
		if (!*s)
			break;
		if (*s == '"' || *s == '\\') {
			char e[2] = { '\\', (char)*s };

			jw_raw(w, e, 2);
			s++;
		} else if (*s < 0x20) {
			char e[6] = { '\\', 'u', '0', '0', hex[*s >> 4], hex[*s & 15] };

			jw_raw(w, e, 6);
			s++;
		} else {
			size_t n = utf8_len(s);

			if (n) {
				jw_raw(w, (const char *)s, n);
				s += n;
			} else {
				jw_raw(w, "\\ufffd", 6);
				s++;
			}
		}
	}
	jw_raw(w, "\"", 1);
}

/* ,"key": */
static void jw_key(struct jw *w, const char *key)
{
	jw_raw(w, ",\"", 2);
	jw_str(w, key);
	jw_raw(w, "\":", 2);
}

/* ,"key":v */
static void jw_kv_u64(struct jw *w, const char *key, uint64_t v)
{
	jw_key(w, key);
	jw_u64(w, v);
}

/* Chrome lanes. */
#define PID_HOST		1
#define PID_DEVICE		2
#define TID_ORCH		1
#define TID_WIRING		2
#define TID_SCHED0		10

/* ,"pid":<device process>,"tid": */
static void jw_pid_dev(struct jw *w)
{
	jw_str(w, ",\"pid\":");
	jw_u64(w, w->pid_dev);
	jw_str(w, ",\"tid\":");
}

static void lane_meta(struct jw *w, int pid, uint32_t tid, const char *name)
{
	jw_str(w, ",\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":");
	jw_u64(w, (uint64_t)pid);
	jw_str(w, ",\"tid\":");
	jw_u64(w, tid);
	jw_str(w, ",\"args\":{\"name\":");
	jw_qstr(w, name);
	jw_str(w, "}},\n{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":");
	jw_u64(w, (uint64_t)pid);
	jw_str(w, ",\"tid\":");
	jw_u64(w, tid);
	jw_str(w, ",\"args\":{\"sort_index\":");
	jw_u64(w, tid);
	jw_str(w, "}}");
}

static void process_meta(struct jw *w, int pid, const char *name, int first)
{
	jw_str(w, first ? "\n" : ",\n");
	jw_str(w, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":");
	jw_u64(w, (uint64_t)pid);
	jw_str(w, ",\"args\":{\"name\":");
	jw_qstr(w, name);
	jw_str(w, "}},\n{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":");
	jw_u64(w, (uint64_t)pid);
	jw_str(w, ",\"args\":{\"sort_index\":");
	jw_u64(w, (uint64_t)pid);
	jw_str(w, "}}");
}

static const char *const phase_names[PTO_PHASE_COUNT] = {
	[PTO_PHASE_ORCH_SUBMIT] = "submit",
	[PTO_PHASE_ORCH_LOOKUP] = "lookup",
	[PTO_PHASE_ORCH_ALLOC_WAIT] = "alloc_wait",
	[PTO_PHASE_ORCH_SCOPE_END] = "scope_end",
	[PTO_PHASE_ORCH_TENSOR_WAIT] = "tensor_wait",
	[PTO_PHASE_ORCH_DRAIN] = "drain",
	[PTO_PHASE_SCHED_COMPLETE] = "complete",
	[PTO_PHASE_SCHED_DISPATCH] = "dispatch",
	[PTO_PHASE_SCHED_SLEEP] = "sleep",
	[PTO_PHASE_WIRING_WIRE] = "wire",
	[PTO_PHASE_WIRING_RETIRE] = "retire",
	[PTO_PHASE_WIRING_SLEEP] = "sleep",
};

static void phase_event(struct jw *w, const struct pto_trace_phase *p, const char *cat,
			uint32_t tid)
{
	const char *name = p->phase < PTO_PHASE_COUNT && phase_names[p->phase] ?
		phase_names[p->phase] : "unknown";

	jw_str(w, ",\n{\"ph\":\"X\",\"cat\":\"");
	jw_str(w, cat);
	jw_str(w, "\",\"name\":\"");
	jw_str(w, name);
	jw_str(w, "\",\"pid\":");
	jw_u64(w, w->pid_host);
	jw_str(w, ",\"tid\":");
	jw_u64(w, tid);
	jw_str(w, ",\"ts\":");
	jw_us(w, rel(w, p->t0));
	jw_str(w, ",\"dur\":");
	jw_us(w, p->t1 > p->t0 ? p->t1 - p->t0 : 0);
	jw_str(w, ",\"args\":{\"count\":");
	jw_u64(w, p->count);
	jw_str(w, "}}");
}

static void kernel_name(const struct pto_trace *tr, uint32_t kernel, char *buf, size_t len,
			const char **out)
{
	if (tr->kernel_names && kernel < PTO2_MAX_KERNELS && tr->kernel_names[kernel]) {
		*out = tr->kernel_names[kernel];
		return;
	}
	/* the fallback name pto_register_kernel() documents */
	snprintf(buf, len, "kernel%u", kernel);
	*out = buf;
}

/* One timestamp member, omitted when the event did not happen (0). */
static void ts_member(struct jw *w, const char *key, uint64_t t)
{
	if (t)
		jw_kv_u64(w, key, rel(w, t));
}

/*
 * One arrow per dependency whose both ends ran: a flow start bound to the
 * producer's last-ending dispatch and a flow end bound to the consumer's
 * first-starting dispatch; the viewers draw it from the end of the one to
 * the start of the other.  Each flow event has its slice's lane, "ts" and
 * "cat": Chrome DevTools binds a flow event to the slice with exactly those,
 * Perfetto and chrome://tracing to the slice enclosing "ts" on the lane
 * ("bp":"e" on the end), so both find the same slices.
 */
static uint64_t flow_events(struct jw *w, const struct pto_trace *tr, struct deps *dp)
{
	uint64_t id = 0;

	for (uint32_t c = 0; c < tr->num_tasks; c++) {
		const struct span *cs = &dp->span[c];
		uint32_t n;

		if (!cs->first_start)
			continue;
		n = pto__trace_deps_of(dp, tr, c);
		for (uint32_t i = 0; i < n; i++) {
			uint32_t p = pto__trace_deps_find(dp, dp->scratch[i]);
			const struct span *ps = p == UINT32_MAX ? NULL : &dp->span[p];

			if (!ps || !ps->first_start)
				continue;
			id++;
			jw_str(w, ",\n{\"ph\":\"s\",\"cat\":\"task\",\"name\":\"dep\",\"id\":");
			jw_u64(w, id);
			jw_pid_dev(w);
			jw_u64(w, ps->end_core);
			jw_str(w, ",\"ts\":");
			jw_us(w, rel(w, ps->end_start));
			jw_str(w, "},\n{\"ph\":\"f\",\"bp\":\"e\",\"cat\":\"task\",\"name\":\"dep\","
			       "\"id\":");
			jw_u64(w, id);
			jw_pid_dev(w);
			jw_u64(w, cs->start_core);
			jw_str(w, ",\"ts\":");
			jw_us(w, rel(w, cs->first_start));
			jw_str(w, "}");
		}
	}
	return id;
}

static void dispatch_event(struct jw *w, const struct pto_trace *tr, struct deps *dp,
			   const struct pto_trace_dispatch *d)
{
	const struct pto_trace_task *task = pto__trace_dispatch_task(tr, d);
	uint64_t start = d->t_core_start ? d->t_core_start : d->t_dispatch;
	uint64_t end = d->t_core_end > start ? d->t_core_end : start;
	char namebuf[32];
	const char *name;

	kernel_name(tr, d->kernel, namebuf, sizeof(namebuf), &name);
	jw_str(w, ",\n{\"ph\":\"X\",\"cat\":\"task\",\"name\":");
	jw_qstr(w, name);
	jw_pid_dev(w);
	jw_u64(w, d->core);
	jw_str(w, ",\"ts\":");
	jw_us(w, rel(w, start));
	jw_str(w, ",\"dur\":");
	jw_us(w, end - start);
	jw_str(w, ",\"args\":{\"task\":");
	jw_i64(w, d->task_id);
	jw_key(w, "kernel");
	jw_qstr(w, name);
	jw_kv_u64(w, "kernel_id", d->kernel);
	jw_kv_u64(w, "ring", task ? task->ring : pto_task_ring(d->task_id));
	jw_kv_u64(w, "block", d->block_idx);
	jw_kv_u64(w, "lane", d->sub_block_id);
	jw_kv_u64(w, "core", d->core);
	jw_kv_u64(w, "sched", d->sched);
	jw_key(w, "status");
	jw_i64(w, d->status);
	if (task) {
		jw_kv_u64(w, "blocks", task->block_num ? task->block_num : 1);
		jw_key(w, "deps");
		jw_raw(w, "[", 1);
		for (uint32_t i = 0, n = pto__trace_deps_of(dp, tr, d->task_idx); i < n; i++) {
			if (i)
				jw_raw(w, ",", 1);
			jw_i64(w, dp->scratch[i]);
		}
		jw_raw(w, "]", 1);
		ts_member(w, "t_submit", task->t_submit);
		ts_member(w, "t_publish", task->t_publish);
		ts_member(w, "t_ready", task->t_ready);
	}
	ts_member(w, "t_dispatch", d->t_dispatch);
	ts_member(w, "t_start", d->t_core_start);
	ts_member(w, "t_end", d->t_core_end);
	ts_member(w, "t_observed", d->t_observed);
	if (task) {
		ts_member(w, "t_complete", task->t_complete);
		ts_member(w, "t_retired", task->t_retired);
	}
	jw_str(w, "}}");
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Count of sorted @v[0..n) that are <= @t. */
static size_t count_le(const uint64_t *v, size_t n, uint64_t t)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Ring occupancy (tasks submitted, not yet retired) as a counter track,
 * sampled at OCCUPANCY_SAMPLES instants over the run.  Returns -ENOMEM.
 */
static int occupancy_counters(struct jw *w, const struct pto_trace *tr)
{
	uint64_t *sub[PTO_NUM_RINGS] = { 0 }, *ret[PTO_NUM_RINGS] = { 0 };
	size_t ns[PTO_NUM_RINGS] = { 0 }, nr[PTO_NUM_RINGS] = { 0 };
	uint64_t t_first = UINT64_MAX, t_last = 0;
	int rc = 0;

	for (int r = 0; r < PTO_NUM_RINGS; r++) {
		sub[r] = malloc((tr->num_tasks + 1) * sizeof(uint64_t));
		ret[r] = malloc((tr->num_tasks + 1) * sizeof(uint64_t));
		if (!sub[r] || !ret[r]) {
			rc = -ENOMEM;
			goto out;
		}
	}
	for (uint32_t i = 0; i < tr->num_tasks; i++) {
		const struct pto_trace_task *t = &tr->tasks[i];
		uint32_t r = t->ring < PTO_NUM_RINGS ? t->ring : PTO_NUM_RINGS - 1;

		if (!t->t_submit)
			continue;	/* a dropped record */
		sub[r][ns[r]++] = t->t_submit;
		if (t->t_submit < t_first)
			t_first = t->t_submit;
		if (t->t_retired) {
			ret[r][nr[r]++] = t->t_retired;
			if (t->t_retired > t_last)
				t_last = t->t_retired;
		}
	}
	if (t_first == UINT64_MAX || t_last <= t_first)
		goto out;
	for (int r = 0; r < PTO_NUM_RINGS; r++) {
		qsort(sub[r], ns[r], sizeof(uint64_t), cmp_u64);
		qsort(ret[r], nr[r], sizeof(uint64_t), cmp_u64);
	}
	/* one counter name per ring: one graph each (several args would stack) */
	for (int r = 0; r < PTO_NUM_RINGS; r++) {
		if (!ns[r])
			continue;
		for (uint32_t s = 0; s <= OCCUPANCY_SAMPLES; s++) {
			uint64_t t = t_first + (t_last - t_first) * s / OCCUPANCY_SAMPLES;

			jw_str(w, ",\n{\"ph\":\"C\",\"name\":\"ring");
			jw_u64(w, (uint64_t)r);
			jw_str(w, " occupancy\",\"pid\":");
			jw_u64(w, w->pid_host);
			jw_str(w, ",\"ts\":");
			jw_us(w, rel(w, t));
			jw_str(w, ",\"args\":{\"tasks\":");
			jw_u64(w, count_le(sub[r], ns[r], t) - count_le(ret[r], nr[r], t));
			jw_str(w, "}}");
		}
	}
out:
	for (int r = 0; r < PTO_NUM_RINGS; r++) {
		free(sub[r]);
		free(ret[r]);
	}
	return rc;
}

int pto__trace_write_json(const struct pto_trace *tr, const char *path)
{
	return pto__trace_write_json_named(tr, NULL, path);
}

/* Totals of the traces written, for "otherData". */
struct totals {
	uint64_t tasks, dispatches, flows, dropped;
};

/* The processes, lanes and events of one trace, in w->pid_host / w->pid_dev. */
static int write_body(struct jw *w, const struct pto_trace *tr, const char *device, int first,
		      struct totals *tot)
{
	struct deps dp = { 0 };
	char name[64];
	uint32_t cores = tr->num_clusters * PTO2_CORES_PER_CLUSTER;
	int rc;

	if (pto__trace_deps_build(&dp, tr)) {
		pto__trace_deps_free(&dp);
		return -ENOMEM;
	}
	/* a named device (several in one process) says which one it is */
	if (device && *device && strcmp(device, "mock")) {
		snprintf(name, sizeof(name), "pto host (%s)", device);
		process_meta(w, (int)w->pid_host, name, first);
		snprintf(name, sizeof(name), "pto device (%s)", device);
		process_meta(w, (int)w->pid_dev, name, 0);
	} else {
		process_meta(w, (int)w->pid_host, "pto host", first);
		process_meta(w, (int)w->pid_dev, "pto device", 0);
	}
	lane_meta(w, (int)w->pid_host, TID_ORCH, "orchestrator");
	if (tr->wiring_phases)
		lane_meta(w, (int)w->pid_host, TID_WIRING, "wiring thread");
	for (uint32_t s = 0; s < tr->num_schedulers; s++) {
		snprintf(name, sizeof(name), "scheduler %u", s);
		lane_meta(w, (int)w->pid_host, TID_SCHED0 + s, name);
	}
	for (uint32_t c = 0; c < cores; c++) {
		snprintf(name, sizeof(name), "%s%u (cluster %u)",
			 PTO2_CORE_TYPE(tr->num_clusters, c) == PTO2_CORE_AIC ? "AIC" : "AIV", c,
			 PTO2_CORE_CLUSTER(tr->num_clusters, c));
		lane_meta(w, (int)w->pid_dev, c, name);
	}

	for (uint32_t s = 0; s < tr->num_schedulers; s++) {
		const struct pto_trace_sched *sc = &tr->sched[s];

		for (uint32_t i = 0; i < sc->num_dispatches; i++)
			dispatch_event(w, tr, &dp, &sc->dispatches[i]);
		tot->dispatches += sc->num_dispatches;
	}
	tot->flows += flow_events(w, tr, &dp);
	for (uint32_t i = 0; i < tr->num_orch_phases; i++)
		phase_event(w, &tr->orch_phases[i], "orch", TID_ORCH);
	for (uint32_t s = 0; s < tr->num_schedulers; s++) {
		const struct pto_trace_sched *sc = &tr->sched[s];

		for (uint32_t i = 0; i < sc->num_phases; i++)
			phase_event(w, &sc->phases[i], "sched", TID_SCHED0 + s);
	}
	for (uint32_t i = 0; i < tr->num_wiring_phases; i++)
		phase_event(w, &tr->wiring_phases[i], "wiring", TID_WIRING);
	rc = occupancy_counters(w, tr);
	tot->tasks += tr->num_tasks;
	tot->dropped += pto_trace_dropped(tr);
	pto__trace_deps_free(&dp);
	return rc;
}

int pto__trace_write_json_multi(const struct pto_trace *const *trs, const char *const *names,
				uint32_t n, const char *path)
{
	struct totals tot = { 0 };
	uint64_t t_end = 0;
	struct jw *w;
	int rc = 0;

	if (n == 0)
		return pto__fail(-EINVAL, "trace: no trace to write to %s", path);
	w = malloc(sizeof(*w));
	if (!w)
		return pto__fail(-ENOMEM, "trace: out of memory writing %s", path);
	w->n = 0;
	w->err = 0;
	/* one time axis: the earliest run start */
	w->t0 = trs[0]->t_begin;
	for (uint32_t i = 1; i < n; i++)
		if (trs[i]->t_begin < w->t0)
			w->t0 = trs[i]->t_begin;
	for (uint32_t i = 0; i < n; i++)
		if (trs[i]->t_end > t_end)
			t_end = trs[i]->t_end;
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		rc = -errno;
		free(w);
		return pto__fail(rc, "trace: cannot create %s: %s", path, strerror(-rc));
	}

	jw_str(w, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[");
	for (uint32_t i = 0; i < n && !rc; i++) {
		w->pid_host = PID_HOST + 2 * i;
		w->pid_dev = PID_DEVICE + 2 * i;
		rc = write_body(w, trs[i], names ? names[i] : NULL, i == 0, &tot);
	}

	jw_str(w, "\n],\n\"otherData\":{\"producer\":\"libpto\",\"format\":1,\"tasks\":");
	jw_u64(w, tot.tasks);
	jw_kv_u64(w, "dispatches", tot.dispatches);
	jw_kv_u64(w, "flows", tot.flows);
	jw_kv_u64(w, "clusters", trs[0]->num_clusters);
	jw_kv_u64(w, "cores", trs[0]->num_clusters * PTO2_CORES_PER_CLUSTER);
	jw_kv_u64(w, "schedulers", trs[0]->num_schedulers);
	jw_kv_u64(w, "elapsed_ns", t_end > w->t0 ? t_end - w->t0 : 0);
	jw_kv_u64(w, "dropped_records", tot.dropped);
	if (n > 1)
		jw_kv_u64(w, "devices", n);
	jw_str(w, "}}\n");
	jw_flush(w);

	if (!rc)
		rc = w->err;
	if (close(w->fd) && !rc)
		rc = -errno;
	free(w);
	if (rc == -ENOMEM)
		return pto__fail(rc, "trace: out of memory writing %s", path);
	if (rc)
		return pto__fail(rc, "trace: writing %s: %s", path, strerror(-rc));
	return 0;
}

int pto__trace_write_json_named(const struct pto_trace *tr, const char *device,
				const char *path)
{
	return pto__trace_write_json_multi(&tr, &device, 1, path);
}
