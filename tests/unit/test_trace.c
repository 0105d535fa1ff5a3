// SPDX-License-Identifier: MIT
/*
 * test_trace.c - the trace exporter and the JSON reader it is read back
 * with: a hand-built trace exported and parsed back field by field, the
 * reader's error messages on malformed input, a real run on the mock device
 * (lanes, dependencies, SPMD blocks), and pto_trace_write()'s errors.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "rt_test_util.h"
#include "libpto/trace/trace.h"
#include "libpto/trace/trace_json.h"
#include "pto/pto.h"
#include "pto/trace.h"
#include "tools/pto-trace/json.h"
#include "tef_check.h"

/* --- helpers ------------------------------------------------------------------ */

struct doc {
	char *buf;
	size_t len;
	struct pto__json_arena arena;
	struct pto__json *root;
	const struct pto__json *events;
};

static void tmp_path(char *buf, size_t len, const char *tag)
{
	snprintf(buf, len, "/tmp/pto-test-trace-%d-%s.json", (int)getpid(), tag);
}

/* Read and fully parse @path; fails the test on any error. */
static void doc_load(struct doc *d, const char *path)
{
	struct pto__json_error err;
	int rc;

	assert_int_equal(pto__json_read_file(path, &d->buf, &d->len), 0);
	pto__json_arena_init(&d->arena);
	rc = pto__json_parse(d->buf, d->len, &d->arena, &d->root, &err);
	if (rc)
		fail_msg("%s:%u:%u: %s", path, err.line, err.col, err.msg);
	assert_int_equal(d->root->type, PTO__JSON_OBJECT);
	d->events = pto__json_get(d->root, "traceEvents");
	assert_non_null(d->events);
	assert_int_equal(d->events->type, PTO__JSON_ARRAY);
}

static void doc_free(struct doc *d)
{
	pto__json_arena_free(&d->arena);
	free(d->buf);
}

/* Is there a thread_name metadata event for (@pid, @tid) named @name? */
static int has_lane(const struct doc *d, int64_t pid, int64_t tid, const char *name)
{
	for (const struct pto__json *e = d->events->child; e; e = e->next) {
		const char *n = pto__json_string(pto__json_get(e, "name"), "");

		if (strcmp(pto__json_string(pto__json_get(e, "ph"), ""), "M") ||
		    strcmp(n, "thread_name"))
			continue;
		if (pto__json_int(pto__json_get(e, "pid"), -1) != pid ||
		    pto__json_int(pto__json_get(e, "tid"), -1) != tid)
			continue;
		return !strcmp(pto__json_string(pto__json_get(pto__json_get(e, "args"), "name"), ""),
			       name);
	}
	return 0;
}

/* The task event of @task_id block @block, or NULL. */
static const struct pto__json *task_event(const struct doc *d, int64_t task_id, int64_t block)
{
	for (const struct pto__json *e = d->events->child; e; e = e->next) {
		const struct pto__json *args = pto__json_get(e, "args");

		if (strcmp(pto__json_string(pto__json_get(e, "cat"), ""), "task"))
			continue;
		if (pto__json_int(pto__json_get(args, "task"), -1) == task_id &&
		    pto__json_int(pto__json_get(args, "block"), -1) == block)
			return e;
	}
	return NULL;
}

static int count_events(const struct doc *d, const char *ph, const char *cat)
{
	int n = 0;

	for (const struct pto__json *e = d->events->child; e; e = e->next)
		if (!strcmp(pto__json_string(pto__json_get(e, "ph"), ""), ph) &&
		    (!cat || !strcmp(pto__json_string(pto__json_get(e, "cat"), ""), cat)))
			n++;
	return n;
}

static int count_named(const struct doc *d, const char *ph, const char *name)
{
	int n = 0;

	for (const struct pto__json *e = d->events->child; e; e = e->next)
		if (!strcmp(pto__json_string(pto__json_get(e, "ph"), ""), ph) &&
		    !strcmp(pto__json_string(pto__json_get(e, "name"), ""), name))
			n++;
	return n;
}

static void assert_deps(const struct pto__json *ev, const int64_t *want, uint32_t n)
{
	const struct pto__json *deps = pto__json_get(pto__json_get(ev, "args"), "deps");
	uint32_t i = 0;

	assert_non_null(deps);
	assert_int_equal(deps->type, PTO__JSON_ARRAY);
	assert_int_equal(deps->len, n);
	for (const struct pto__json *v = deps->child; v; v = v->next, i++) {
		assert_true(v->is_int);
		assert_int_equal(v->i, want[i]);
	}
}

/* --- a hand-built trace ---------------------------------------------------------- */

#define T0		1000000000ull
#define RING1(x)	((1ll << 32) | (x))

static const char *const names[4] = {
	[0] = "plain",
	[1] = "q\"uote\\back\nline\ttab\x01",
	[2] = "utf8 \xc3\xa9 bad \xff end",
	/* [3] unnamed: exported as "kernel3" */
};

static struct pto_trace *build_trace(void)
{
	struct pto_trace *tr = pto_trace_alloc(8, 2, 2, false);
	struct pto_trace_task *t;
	struct pto_trace_dispatch *d;
	int64_t fan1[] = { 0 }, fan2[] = { 0, 1 };

	assert_non_null(tr);
	/* the phase buffers (4 per task) must count in 32 bits */
	assert_null(pto_trace_alloc(PTO_TRACE_MAX_TASKS + 1, 2, 2, false));
	assert_non_null(strstr(pto_last_error(), "bad capacity"));
	tr->t_begin = T0;
	tr->t_end = T0 + 100000;
	tr->kernel_names = names;

	/* task 0: kernel 0, no deps, SPMD with 2 blocks on cores 0 and 1 */
	t = pto_trace_task_begin(tr, 0);
	*t = (struct pto_trace_task){ .task_id = 0, .kernel = { 0, -1, -1 }, .block_num = 2,
		.t_submit = T0 + 100, .t_publish = T0 + 150, .t_ready = T0 + 200,
		.t_complete = T0 + 3000, .t_retired = T0 + 3100 };
	/* task 1: kernel 1 on an AIV core, deps {0} */
	t = pto_trace_task_begin(tr, 1);
	*t = (struct pto_trace_task){ .task_id = 1, .kernel = { -1, 1, -1 }, .shape = 1,
		.t_submit = T0 + 300, .t_ready = T0 + 3000, .t_complete = T0 + 6000,
		.t_retired = T0 + 6100 };
	pto_trace_task_fanin(tr, t, fan1, 1);
	/* task 2 in ring 1: kernel 2, deps {0, 1} */
	t = pto_trace_task_begin(tr, 2);
	*t = (struct pto_trace_task){ .task_id = RING1(0), .kernel = { 2, -1, -1 }, .ring = 1,
		.t_submit = T0 + 400, .t_ready = T0 + 6000, .t_complete = T0 + 9000,
		.t_retired = T0 + 9500 };
	pto_trace_task_fanin(tr, t, fan2, 2);
	/* task 3: kernel 3 (no name) */
	t = pto_trace_task_begin(tr, 3);
	*t = (struct pto_trace_task){ .task_id = 2, .kernel = { 3, -1, -1 },
		.t_submit = T0 + 500, .t_ready = T0 + 500, .t_complete = T0 + 2000,
		.t_retired = T0 + 9600 };

	for (uint32_t b = 0; b < 2; b++) {
		d = pto_trace_dispatch_begin(tr, b);
		*d = (struct pto_trace_dispatch){ .task_idx = 0, .task_id = 0, .kernel = 0, .core = b,
			.block_idx = b, .sched = (uint16_t)b, .t_dispatch = T0 + 1000,
			.t_core_start = T0 + 1200 + b, .t_core_end = T0 + 2500,
			.t_observed = T0 + 2900 };
	}
	d = pto_trace_dispatch_begin(tr, 0);
	*d = (struct pto_trace_dispatch){ .task_idx = 1, .task_id = 1, .kernel = 1, .core = 3,
		.t_dispatch = T0 + 3100, .t_core_start = T0 + 3300, .t_core_end = T0 + 5300,
		.t_observed = T0 + 5900 };
	d = pto_trace_dispatch_begin(tr, 1);
	*d = (struct pto_trace_dispatch){ .task_idx = 2, .task_id = RING1(0), .kernel = 2,
		.core = 1, .t_dispatch = T0 + 6100, .t_core_start = T0 + 6200,
		.t_core_end = T0 + 8000, .t_observed = T0 + 8800, .status = -5 };
	d = pto_trace_dispatch_begin(tr, 1);
	*d = (struct pto_trace_dispatch){ .task_idx = 3, .task_id = 2, .kernel = 3, .core = 2,
		.t_dispatch = T0 + 600, .t_core_start = T0 + 700, .t_core_end = T0 + 1700,
		.t_observed = T0 + 1900 };

	pto_trace_orch_phase(tr, PTO_PHASE_ORCH_SUBMIT, T0 + 100, T0 + 250, 1);
	pto_trace_orch_phase(tr, PTO_PHASE_ORCH_DRAIN, T0 + 600, T0 + 9600, 0);
	pto_trace_sched_phase(tr, 0, PTO_PHASE_SCHED_DISPATCH, T0 + 900, T0 + 1100, 1);
	pto_trace_sched_phase(tr, 1, PTO_PHASE_SCHED_SLEEP, T0 + 3000, T0 + 6000, 0);
	/* explicit edges after submit: 2 <- task 3 (id 2), 2 <- 1 again (a repeat), one dropped */
	pto_trace_edge(tr, 2, 2);
	pto_trace_edge(tr, 2, 1);
	pto_trace_edge(tr, 99, 0);
	tr->dropped = 3;
	tr->sched[1].dropped = 2;
	return tr;
}

static void export_hand_built(void **state)
{
	struct pto_trace *tr = build_trace();
	const struct pto__json *e, *args, *other;
	char path[128];
	struct doc d;
	int64_t dep0[] = { 0 }, dep012[] = { 0, 1, 2 };

	(void)state;
	tmp_path(path, sizeof(path), "hand");
	assert_int_equal(pto__trace_write_json(tr, path), 0);
	doc_load(&d, path);

	/* lanes: orchestrator, both schedulers, all 6 cores of 2 clusters */
	assert_true(has_lane(&d, 1, 1, "orchestrator"));
	assert_true(has_lane(&d, 1, 10, "scheduler 0"));
	assert_true(has_lane(&d, 1, 11, "scheduler 1"));
	assert_true(has_lane(&d, 2, 0, "AIC0 (cluster 0)"));
	assert_true(has_lane(&d, 2, 1, "AIC1 (cluster 1)"));
	assert_true(has_lane(&d, 2, 2, "AIV2 (cluster 0)"));
	assert_true(has_lane(&d, 2, 5, "AIV5 (cluster 1)"));
	assert_false(has_lane(&d, 2, 6, "AIV6 (cluster 2)"));

	/* one complete event per dispatch (5), on the core's lane */
	assert_int_equal(count_events(&d, "X", "task"), 5);
	e = task_event(&d, 0, 1);
	assert_non_null(e);
	args = pto__json_get(e, "args");
	assert_int_equal(pto__json_int(pto__json_get(e, "tid"), -1), 1);
	assert_int_equal(pto__json_int(pto__json_get(e, "pid"), -1), 2);
	assert_string_equal(pto__json_string(pto__json_get(e, "name"), ""), "plain");
	/* ts/dur in microseconds: start 1.201 us after the run began, 1.299 us long */
	assert_true(pto__json_get(e, "ts")->num > 1.2005 && pto__json_get(e, "ts")->num < 1.2015);
	assert_true(pto__json_get(e, "dur")->num > 1.2985 && pto__json_get(e, "dur")->num < 1.2995);
	assert_int_equal(pto__json_int(pto__json_get(args, "blocks"), -1), 2);
	assert_int_equal(pto__json_int(pto__json_get(args, "sched"), -1), 1);
	assert_int_equal(pto__json_int(pto__json_get(args, "t_submit"), -1), 100);
	assert_int_equal(pto__json_int(pto__json_get(args, "t_dispatch"), -1), 1000);
	assert_int_equal(pto__json_int(pto__json_get(args, "t_start"), -1), 1201);
	assert_int_equal(pto__json_int(pto__json_get(args, "t_end"), -1), 2500);
	assert_int_equal(pto__json_int(pto__json_get(args, "t_observed"), -1), 2900);
	assert_int_equal(pto__json_int(pto__json_get(args, "t_retired"), -1), 3100);
	assert_deps(e, NULL, 0);

	/* dependencies, ring, status, escaped names round-trip */
	e = task_event(&d, 1, 0);
	assert_non_null(e);
	assert_deps(e, dep0, 1);
	assert_string_equal(pto__json_string(pto__json_get(e, "name"), ""), names[1]);
	assert_null(pto__json_get(pto__json_get(e, "args"), "t_publish"));	/* 0 = absent */
	e = task_event(&d, RING1(0), 0);
	assert_non_null(e);
	args = pto__json_get(e, "args");
	/* submit-time producers, then the explicit edge, the repeated one once */
	assert_deps(e, dep012, 3);
	assert_int_equal(pto__json_int(pto__json_get(args, "ring"), -1), 1);
	assert_int_equal(pto__json_int(pto__json_get(args, "status"), 0), -5);
	assert_string_equal(pto__json_string(pto__json_get(args, "kernel"), ""),
			    "utf8 \xc3\xa9 bad \xef\xbf\xbd end");
	e = task_event(&d, 2, 0);
	assert_non_null(e);
	assert_string_equal(pto__json_string(pto__json_get(e, "name"), ""), "kernel3");

	/* phases on their lanes */
	assert_int_equal(count_events(&d, "X", "orch"), 2);
	assert_int_equal(count_events(&d, "X", "sched"), 2);
	assert_true(count_events(&d, "C", NULL) > 0);

	other = pto__json_get(d.root, "otherData");
	/* 3 + 2, and the edge whose consumer has no record */
	assert_int_equal(pto__json_int(pto__json_get(other, "dropped_records"), -1), 6);

	/*
	 * Arrows: 1 <- 0, 2 <- 0, 2 <- 1, 2 <- 3; each bound at the producer's
	 * last-ending dispatch (task 0: both blocks end at 2500, block 1 on core
	 * 1, starting at 1201, is found last) and the consumer's first-starting
	 * one, with their exact lane, ts and cat.
	 */
	assert_int_equal(tef_check(d.root, d.events), 4);
	assert_int_equal(pto__json_int(pto__json_get(other, "flows"), -1), 4);
	assert_true(tef_has_flow(d.events, 1, 1.201, 3, 3.300));
	assert_true(tef_has_flow(d.events, 1, 1.201, 1, 6.200));
	assert_true(tef_has_flow(d.events, 3, 3.300, 1, 6.200));
	assert_true(tef_has_flow(d.events, 2, 0.700, 1, 6.200));
	/* ring occupancy: one counter track per ring in use */
	assert_true(count_named(&d, "C", "ring0 occupancy") > 0);
	assert_true(count_named(&d, "C", "ring1 occupancy") > 0);
	assert_int_equal(count_named(&d, "C", "ring2 occupancy"), 0);
	assert_int_equal(pto__json_int(pto__json_get(other, "tasks"), -1), 4);
	assert_int_equal(pto__json_int(pto__json_get(other, "cores"), -1), 6);
	assert_int_equal(pto__json_int(pto__json_get(other, "elapsed_ns"), -1), 100000);

	doc_free(&d);
	unlink(path);
	pto_trace_free(tr);
}

struct stream_count {
	size_t events;
	size_t members;
	int stop_at;
};

static int count_elem(void *ctx, const struct pto__json *v, size_t index)
{
	struct stream_count *c = ctx;

	(void)v;
	c->events++;
	return c->stop_at >= 0 && (int)index == c->stop_at ? 42 : 0;
}

static int count_member(void *ctx, const char *key, const struct pto__json *v)
{
	struct stream_count *c = ctx;

	(void)key;
	(void)v;
	c->members++;
	return 0;
}

/* The streaming reader sees the same events as the DOM one; callbacks can stop it. */
static void stream_reader(void **state)
{
	struct pto_trace *tr = build_trace();
	struct stream_count c = { .stop_at = -1 };
	struct pto__json_error err;
	char path[128];
	struct doc d;
	size_t dom_events;

	(void)state;
	tmp_path(path, sizeof(path), "stream");
	assert_int_equal(pto__trace_write_json(tr, path), 0);
	doc_load(&d, path);
	dom_events = d.events->len;
	assert_int_equal(pto__json_parse_stream(d.buf, d.len, "traceEvents", count_elem,
						count_member, &c, &err), 0);
	assert_int_equal(c.events, dom_events);
	assert_int_equal(c.members, 2);	/* displayTimeUnit, otherData */
	c = (struct stream_count){ .stop_at = 3 };
	assert_int_equal(pto__json_parse_stream(d.buf, d.len, "traceEvents", count_elem, NULL, &c,
						&err), 42);
	assert_int_equal(c.events, 4);
	assert_int_equal(pto__json_parse_stream(d.buf, d.len, "nope", NULL, NULL, NULL, &err),
			 -EINVAL);
	assert_string_equal(err.msg, "no \"nope\" array in the top-level object");
	doc_free(&d);
	unlink(path);
	pto_trace_free(tr);
}

/* --- the reader on malformed input ------------------------------------------------- */

struct bad_case {
	const char *text;
	uint32_t line, col;
	const char *msg;
};

static void reader_errors(void **state)
{
	static const struct bad_case cases[] = {
		{ "", 1, 1, "unexpected end of input" },
		{ "{\"a\":1,}", 1, 8, "expected a member name, got '}'" },
		{ "{\"a\" 1}", 1, 6, "expected ':' after member name \"a\"" },
		{ "[1,\n 2", 2, 3, "unexpected end of input in array" },
		{ "[1 2]", 1, 4, "expected ',' or ']', got '2'" },
		{ "\"abc", 1, 2, "unterminated string" },
		{ "\"a\\qb\"", 1, 4, "bad escape \\'q' in string" },
		{ "\"a\\u12x4\"", 1, 3, "bad \\u escape" },
		{ "\"\\udc00\"", 1, 2, "unpaired UTF-16 surrogate in \\u escape" },
		{ "\"a\tb\"", 1, 3, "raw control character 0x09 in string" },
		{ "01", 1, 2, "trailing '1' after the document" },
		{ "-", 1, 1, "bad number" },
		{ "1.", 1, 1, "bad number: digits expected after '.'" },
		{ "1e+", 1, 1, "bad number: digits expected in exponent" },
		{ "tru", 1, 1, "bad literal (expected true)" },
		{ "[nul]", 1, 2, "bad literal (expected null)" },
		{ "@", 1, 1, "unexpected '@'" },
		{ "{}\n\n  x", 3, 3, "trailing 'x' after the document" },
	};
	struct pto__json_arena a;
	struct pto__json *v;
	struct pto__json_error err;

	(void)state;
	pto__json_arena_init(&a);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bad_case *c = &cases[i];
		int rc = pto__json_parse(c->text, strlen(c->text), &a, &v, &err);

		if (rc != -EINVAL || err.line != c->line || err.col != c->col ||
		    strcmp(err.msg, c->msg))
			fail_msg("case %zu '%s': rc %d at %u:%u '%s', want %u:%u '%s'", i, c->text,
				 rc, err.line, err.col, err.msg, c->line, c->col, c->msg);
		pto__json_arena_reset(&a);
	}

	/* nesting is bounded, not a stack overflow */
	char deep[600];

	memset(deep, '[', sizeof(deep));
	assert_int_equal(pto__json_parse(deep, sizeof(deep), &a, &v, &err), -EINVAL);
	assert_string_equal(err.msg, "nesting deeper than 256");

	/* the streaming entry checks the top level and the array member */
	assert_int_equal(pto__json_parse_stream("[]", 2, "traceEvents", NULL, NULL, NULL, &err),
			 -EINVAL);
	assert_string_equal(err.msg, "expected a JSON object at the top level");
	assert_int_equal(pto__json_parse_stream("{\"traceEvents\":{}}", 18, "traceEvents", NULL,
						NULL, NULL, &err), -EINVAL);
	assert_string_equal(err.msg, "\"traceEvents\" is not an array");
	/* and the separators between its members and the array's elements */
	static const struct {
		const char *text, *msg;
	} bad_stream[] = {
		{ "{\"a\":1", "unexpected end of input in object" },
		{ "{\"a\":1,}", "expected a member name, got '}'" },
		{ "{\"a\" 1}", "expected ':' after member name \"a\"" },
		{ "{\"a\":1 \"b\":2}", "expected ',' or '}', got '\"'" },
		{ "{\"traceEvents\":[1", "unexpected end of input in array" },
		{ "{\"traceEvents\":[1 2]}", "expected ',' or ']', got '2'" },
	};
	for (size_t i = 0; i < sizeof(bad_stream) / sizeof(bad_stream[0]); i++) {
		const char *t = bad_stream[i].text;

		assert_int_equal(pto__json_parse_stream(t, strlen(t), "traceEvents", NULL, NULL,
							NULL, &err), -EINVAL);
		if (strcmp(err.msg, bad_stream[i].msg))
			fail_msg("%s: got \"%s\", want \"%s\"", t, err.msg, bad_stream[i].msg);
	}
	pto__json_arena_free(&a);
}

static void reader_values(void **state)
{
	const char *text = "{\"i\":-12,\"big\":9223372036854775807,\"f\":1.5e3,\"s\":"
			   "\"a\\u00e9\\ud83d\\ude00\\n\",\"t\":true,\"n\":null,\"e\":[],\"o\":{}}";
	struct pto__json_arena a;
	struct pto__json *v;
	struct pto__json_error err;

	(void)state;
	pto__json_arena_init(&a);
	assert_int_equal(pto__json_parse(text, strlen(text), &a, &v, &err), 0);
	assert_int_equal(v->len, 8);
	assert_true(pto__json_get(v, "i")->is_int);
	assert_int_equal(pto__json_get(v, "i")->i, -12);
	assert_int_equal(pto__json_get(v, "big")->i, INT64_MAX);
	assert_false(pto__json_get(v, "f")->is_int);
	assert_true(pto__json_get(v, "f")->num == 1500.0);
	assert_string_equal(pto__json_get(v, "s")->str, "a\xc3\xa9\xf0\x9f\x98\x80\n");
	assert_int_equal(pto__json_get(v, "s")->len, 8);
	assert_int_equal(pto__json_get(v, "t")->boolean, 1);
	assert_int_equal(pto__json_get(v, "n")->type, PTO__JSON_NULL);
	assert_int_equal(pto__json_get(v, "e")->len, 0);
	assert_int_equal(pto__json_get(v, "o")->type, PTO__JSON_OBJECT);
	assert_null(pto__json_get(v, "missing"));
	assert_int_equal(pto__json_int(pto__json_get(v, "s"), 7), 7);
	pto__json_arena_free(&a);
}

/* --- a real run on the mock device ---------------------------------------------- */

#define CHAIN		20

static int k_noop(const struct pto_kernel_ctx *ctx)
{
	(void)ctx;
	return 0;
}

struct run_arg {
	uint64_t addr;
	int64_t ids[CHAIN + 1];
};

/* A chain of INOUT tasks, then one SPMD task of 2 blocks reading the result. */
static int orch_chain(struct pto_runtime *rt, void *p)
{
	struct run_arg *ra = p;
	struct pto_launch spmd = { PTO_NO_KERNEL, 0, PTO_NO_KERNEL, 2, 0 };
	uint32_t shape[1] = { 16 };
	struct pto_tensor t;
	struct pto_args args;

	assert_int_equal(pto_tensor_external(&t, ra->addr, PTO2_DTYPE_F32, 1, shape), 0);
	for (int i = 0; i < CHAIN; i++) {
		pto_args_init(&args);
		pto_arg_inout(&args, &t);
		ra->ids[i] = pto_submit_aiv(rt, 0, &args);
		if (ra->ids[i] < 0)
			return (int)ra->ids[i];
	}
	pto_args_init(&args);
	pto_arg_input(&args, &t);
	ra->ids[CHAIN] = pto_submit(rt, &spmd, &args);
	return ra->ids[CHAIN] < 0 ? (int)ra->ids[CHAIN] : 0;
}

static struct pto_runtime *make_rt(struct pto_device *dev, uint32_t flags, uint32_t wiring)
{
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;

	rt_test_config(&cfg, 256);
	cfg.flags |= flags;
	cfg.wiring = wiring;
	cfg.trace_records = 4096;
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	assert_int_equal(pto_register_kernel(rt, 0, PTO2_CORE_AIV, k_noop, "noop"), 0);
	return rt;
}

static void export_real_run(void **state)
{
	uint32_t wiring = rt_test_wiring(state);
	struct pto_device *dev;
	struct pto_runtime *rt;
	struct pto_run_stats st;
	struct run_arg ra;
	const struct pto__json *e;
	char path[128];
	struct doc d;

	assert_int_equal(pto_device_open("mock:clusters=2", &dev), 0);
	assert_int_equal(pto_mem_alloc(dev, 64, 64, &ra.addr), 0);
	rt = make_rt(dev, PTO_RT_TRACE, wiring);
	tmp_path(path, sizeof(path), "real");
	/* before any run there is nothing to write */
	assert_int_equal(pto_trace_write(rt, path), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "no pto_run() completed"));

	assert_int_equal(pto_run(rt, orch_chain, &ra), 0);
	assert_int_equal(pto_run_stats(rt, &st), 0);
	assert_int_equal(st.trace_dropped, 0);
	assert_int_equal(pto_trace_write(rt, NULL), -EINVAL);
	assert_string_equal(pto_last_error(), "pto_trace_write: path is NULL or empty");
	assert_int_equal(pto_trace_write(rt, ""), -EINVAL);
	/* the file's own errors come back through the public call */
	assert_int_equal(pto_trace_write(rt, "/nonexistent-dir/t.json"), -ENOENT);
	assert_non_null(strstr(pto_last_error(), "/nonexistent-dir/t.json"));
	assert_int_equal(pto_trace_write(rt, path), 0);
	doc_load(&d, path);

	assert_true(has_lane(&d, 1, 1, "orchestrator"));
	assert_true(has_lane(&d, 1, 10, "scheduler 0"));
	/* the wiring thread has a lane, with its passes on it, only when it exists */
	assert_int_equal(has_lane(&d, 1, 2, "wiring thread"), wiring);
	assert_int_equal(count_events(&d, "X", "wiring") > 0, wiring);
	for (int c = 0; c < 6; c++) {
		char name[64];

		snprintf(name, sizeof(name), "%s%d (cluster %d)", c < 2 ? "AIC" : "AIV", c,
			 c < 2 ? c : (c - 2) / 2);
		assert_true(has_lane(&d, 2, c, name));
	}
	/* every chain link names its predecessor; the SPMD task has one event per block */
	assert_int_equal(count_events(&d, "X", "task"), CHAIN + 2);
	for (int i = 0; i < CHAIN; i++) {
		e = task_event(&d, ra.ids[i], 0);
		assert_non_null(e);
		assert_string_equal(pto__json_string(pto__json_get(e, "name"), ""), "noop");
		if (i)
			assert_deps(e, &ra.ids[i - 1], 1);
		/* the core is an AIV core: ids 2..5 on 2 clusters */
		assert_true(pto__json_int(pto__json_get(e, "tid"), -1) >= 2);
	}
	for (int b = 0; b < 2; b++) {
		const struct pto__json *args;

		e = task_event(&d, ra.ids[CHAIN], b);
		assert_non_null(e);
		args = pto__json_get(e, "args");
		assert_deps(e, &ra.ids[CHAIN - 1], 1);
		assert_int_equal(pto__json_int(pto__json_get(args, "blocks"), -1), 2);
		/* the lifecycle is in order */
		assert_true(pto__json_int(pto__json_get(args, "t_submit"), -1) <=
			    pto__json_int(pto__json_get(args, "t_dispatch"), -1));
		assert_true(pto__json_int(pto__json_get(args, "t_dispatch"), -1) <=
			    pto__json_int(pto__json_get(args, "t_observed"), -1));
		assert_true(pto__json_int(pto__json_get(args, "t_start"), -1) <=
			    pto__json_int(pto__json_get(args, "t_end"), -1));
		assert_true(pto__json_int(pto__json_get(args, "t_observed"), -1) <=
			    pto__json_int(pto__json_get(args, "t_retired"), -1));
	}
	assert_true(count_events(&d, "X", "orch") >= CHAIN + 1);
	/* the JSON is valid Trace Event Format; an arrow per chain link and per SPMD dependency */
	assert_int_equal(tef_check(d.root, d.events), CHAIN);
	assert_int_equal(pto__json_int(pto__json_get(pto__json_get(d.root, "otherData"),
						     "dropped_records"), -1), 0);
	doc_free(&d);
	unlink(path);

	/* a runtime without PTO_RT_TRACE has nothing to write, even after a run */
	pto_runtime_destroy(rt);
	rt = make_rt(dev, 0, wiring);
	assert_int_equal(pto_run(rt, orch_chain, &ra), 0);
	assert_int_equal(pto_trace_write(rt, path), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "without PTO_RT_TRACE"));
	assert_int_equal(access(path, F_OK), -1);
	pto_runtime_destroy(rt);
	pto_mem_free(dev, ra.addr);
	pto_device_close(dev);
}

/* A manual scope: the consumer's only dependency is an explicit pto_add_dependency() edge. */
struct manual_arg {
	uint64_t a, b;
	int64_t producer, consumer, outer;
};

static int orch_manual_edge(struct pto_runtime *rt, void *p)
{
	struct manual_arg *m = p;
	uint32_t shape[1] = { 16 };
	struct pto_tensor ta, tb;
	struct pto_args args;

	assert_int_equal(pto_tensor_external(&ta, m->a, PTO2_DTYPE_F32, 1, shape), 0);
	assert_int_equal(pto_tensor_external(&tb, m->b, PTO2_DTYPE_F32, 1, shape), 0);
	pto_args_init(&args);
	pto_arg_inout(&args, &tb);
	m->outer = pto_submit_aiv(rt, 0, &args);
	PTO_SCOPE(rt, PTO_SCOPE_MANUAL) {
		pto_args_init(&args);
		pto_arg_inout(&args, &ta);
		m->producer = pto_submit_aiv(rt, 0, &args);
		pto_args_init(&args);
		pto_arg_input(&args, &ta);	/* same scope: no edge from the tensor */
		m->consumer = pto_submit_aiv(rt, 0, &args);
		assert_int_equal(pto_add_dependency(rt, m->producer, m->consumer), 0);
		/* the outer task may have retired by now: its edge is recorded either way */
		assert_int_equal(pto_add_dependency(rt, m->outer, m->consumer), 0);
	}
	return 0;
}

static void manual_edges_in_trace(void **state)
{
	uint32_t wiring = rt_test_wiring(state);
	struct pto_device *dev;
	struct pto_runtime *rt;
	struct manual_arg m;
	const struct pto__json *e;
	char path[128];
	struct doc d;

	assert_int_equal(pto_device_open("mock:clusters=2", &dev), 0);
	assert_int_equal(pto_mem_alloc(dev, 64, 64, &m.a), 0);
	assert_int_equal(pto_mem_alloc(dev, 64, 64, &m.b), 0);
	rt = make_rt(dev, PTO_RT_TRACE, wiring);
	tmp_path(path, sizeof(path), "manual");
	assert_int_equal(pto_run(rt, orch_manual_edge, &m), 0);
	assert_int_equal(pto_trace_write(rt, path), 0);
	doc_load(&d, path);
	e = task_event(&d, m.consumer, 0);
	assert_non_null(e);
	assert_deps(e, (int64_t[]){ m.producer, m.outer }, 2);
	/* and both are arrows, into the consumer's slice */
	assert_int_equal(tef_check(d.root, d.events), 2);
	assert_int_equal(count_events(&d, "f", "task"), 2);
	doc_free(&d);
	unlink(path);
	pto_runtime_destroy(rt);
	pto_mem_free(dev, m.a);
	pto_mem_free(dev, m.b);
	pto_device_close(dev);
}

/* --- pto_trace_write() arguments ----------------------------------------------- */

static void write_errors(void **state)
{
	struct pto_trace *tr = build_trace();

	(void)state;
	assert_int_equal(pto_trace_write(NULL, "/tmp/x.json"), -EINVAL);
	assert_string_equal(pto_last_error(), "pto_trace_write: rt is NULL");
	assert_int_equal(pto__trace_write_json(tr, "/nonexistent-dir/t.json"), -ENOENT);
	assert_non_null(strstr(pto_last_error(), "cannot create /nonexistent-dir/t.json"));
	pto_trace_free(tr);
}

/* A failing write (disk full) is reported, not a truncated file passed off as done. */
static void write_disk_full(void **state)
{
	struct pto_trace *tr;

	(void)state;
	if (access("/dev/full", W_OK) != 0) {
		print_message("SKIP: /dev/full not writable: disk-full path not tested\n");
		skip();	/* counted as skipped by the suite, never as a pass */
	}
	tr = build_trace();
	assert_int_equal(pto__trace_write_json(tr, "/dev/full"), -ENOSPC);
	assert_non_null(strstr(pto_last_error(), "writing /dev/full"));
	pto_trace_free(tr);
}

/* --- pto__json_read_file() error returns ----------------------------------------- */

static void read_file_errors(void **state)
{
	char sentinel, *buf = &sentinel, path[128];
	size_t len = 7;
	FILE *f;

	(void)state;
	/* on failure *buf and *len stay as they were */
	assert_int_equal(pto__json_read_file("/nonexistent-dir/t.json", &buf, &len), -ENOENT);
	assert_int_equal(pto__json_read_file("/tmp", &buf, &len), -EISDIR);
	assert_ptr_equal(buf, &sentinel);
	assert_int_equal(len, 7);
	/* an empty file is an empty, NUL-terminated buffer */
	tmp_path(path, sizeof(path), "empty");
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(pto__json_read_file(path, &buf, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(buf[0], '\0');
	free(buf);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(export_hand_built),
		cmocka_unit_test(stream_reader),
		cmocka_unit_test(reader_errors),
		cmocka_unit_test(reader_values),
		cmocka_unit_test(write_errors),
		cmocka_unit_test(write_disk_full),
		cmocka_unit_test(read_file_errors),
		RT_TEST_WIRING(export_real_run),
		RT_TEST_WIRING(manual_edges_in_trace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
