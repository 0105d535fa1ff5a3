/* SPDX-License-Identifier: MIT */
/*
 * tef_check.h - a checker of the Trace Event Format for test_trace: the
 * fields each phase type needs, and flow pairs bound to slices the way the
 * viewers bind them.  Include after <cmocka.h> and tools/pto-trace/json.h.
 */
#ifndef PTO_TESTS_TEF_CHECK_H
#define PTO_TESTS_TEF_CHECK_H

#include <math.h>
#include <string.h>


static int is_num(const struct pto__json *v)
{
	return v && v->type == PTO__JSON_NUMBER;
}

static int is_int(const struct pto__json *v)
{
	return is_num(v) && v->is_int;
}

static const char *str_of(const struct pto__json *e, const char *key)
{
	const struct pto__json *v = pto__json_get(e, key);

	return v && v->type == PTO__JSON_STRING ? v->str : NULL;
}

/*
 * Is flow event @f bound to a slice?  A complete event on its lane with its
 * "cat" and exactly its "ts": Chrome DevTools binds only those; Perfetto and
 * chrome://tracing take the slice enclosing "ts", the same one.
 */
static int tef_bound(const struct pto__json *events, const struct pto__json *f)
{
	int64_t pid = pto__json_int(pto__json_get(f, "pid"), -1);
	int64_t tid = pto__json_int(pto__json_get(f, "tid"), -1);
	double ts = pto__json_get(f, "ts")->num;

	for (const struct pto__json *e = events->child; e; e = e->next) {
		if (strcmp(str_of(e, "ph"), "X") || pto__json_int(pto__json_get(e, "pid"), -1) != pid ||
		    pto__json_int(pto__json_get(e, "tid"), -1) != tid ||
		    strcmp(pto__json_string(pto__json_get(e, "cat"), ""), str_of(f, "cat")))
			continue;
		if (fabs(pto__json_get(e, "ts")->num - ts) < 1e-7)
			return 1;
	}
	return 0;
}

/*
 * The fields the Trace Event Format requires per phase type, for every event
 * (fails the test naming the event): M (process/thread name and sort index),
 * X, C (numeric series), s/f flow pairs (one of each per id, same cat and
 * name, start not after finish, each bound to a slice on its own lane, the
 * finish with "bp":"e").  Returns the number of flows.
 */
static int tef_check(const struct pto__json *root, const struct pto__json *events)
{
	const char *unit = str_of(root, "displayTimeUnit");
	size_t i = 0;
	int flows = 0;

	assert_true(!unit || !strcmp(unit, "ns") || !strcmp(unit, "ms"));
	for (const struct pto__json *e = events->child; e; e = e->next, i++) {
		const char *ph = str_of(e, "ph"), *name = str_of(e, "name");
		const struct pto__json *args = pto__json_get(e, "args");
		const struct pto__json *ts = pto__json_get(e, "ts");
		int has_tid = is_int(pto__json_get(e, "tid"));

		if (!ph || !name || !is_int(pto__json_get(e, "pid")))
			fail_msg("traceEvents[%zu]: no string ph and name, or no integer pid", i);
		if (!strcmp(ph, "M")) {
			int thread = !strncmp(name, "thread_", 7);

			if (!args || args->type != PTO__JSON_OBJECT || (thread && !has_tid))
				fail_msg("traceEvents[%zu]: metadata %s without args/tid", i, name);
			if (strstr(name, "_name") ? !str_of(args, "name") :
			    strstr(name, "_sort_index") ? !is_int(pto__json_get(args, "sort_index")) : 1)
				fail_msg("traceEvents[%zu]: metadata %s: bad args", i, name);
		} else if (!strcmp(ph, "X")) {
			const struct pto__json *dur = pto__json_get(e, "dur");

			if (!is_num(ts) || ts->num < 0 || !is_num(dur) || dur->num < 0 || !has_tid)
				fail_msg("traceEvents[%zu]: complete event without ts, dur >= 0, tid", i);
			if (args && args->type != PTO__JSON_OBJECT)
				fail_msg("traceEvents[%zu]: args is not an object", i);
		} else if (!strcmp(ph, "C")) {
			if (!is_num(ts) || !args || args->type != PTO__JSON_OBJECT || !args->len)
				fail_msg("traceEvents[%zu]: counter without ts or series", i);
			for (const struct pto__json *v = args->child; v; v = v->next)
				if (!is_num(v))
					fail_msg("traceEvents[%zu]: counter series %s is not a number", i,
						 v->key);
		} else if (!strcmp(ph, "s")) {
			const struct pto__json *f = NULL;
			int64_t id = pto__json_int(pto__json_get(e, "id"), -1);
			int n = 0;

			if (!is_num(ts) || !has_tid || id < 0 || !str_of(e, "cat"))
				fail_msg("traceEvents[%zu]: flow start without ts, tid, id, cat", i);
			for (const struct pto__json *g = events->child; g; g = g->next) {
				const char *gph = str_of(g, "ph");

				if (!gph || (strcmp(gph, "f") && strcmp(gph, "s")) ||
				    pto__json_int(pto__json_get(g, "id"), -2) != id || g == e)
					continue;
				if (!strcmp(gph, "s"))
					fail_msg("traceEvents[%zu]: flow id %lld started twice", i,
						 (long long)id);
				f = g;
				n++;
			}
			if (n != 1 || strcmp(str_of(f, "cat"), str_of(e, "cat")) ||
			    strcmp(str_of(f, "name"), name) ||
			    strcmp(pto__json_string(pto__json_get(f, "bp"), ""), "e") ||
			    !is_num(pto__json_get(f, "ts")) || !is_int(pto__json_get(f, "tid")))
				fail_msg("traceEvents[%zu]: flow %lld: %d finishes, or one with another "
					 "cat/name, no bp \"e\", ts or tid", i, (long long)id, n);
			if (pto__json_get(f, "ts")->num < ts->num)
				fail_msg("traceEvents[%zu]: flow %lld finishes before it starts", i,
					 (long long)id);
			if (!tef_bound(events, e) || !tef_bound(events, f))
				fail_msg("traceEvents[%zu]: flow %lld not bound to a slice at both ends",
					 i, (long long)id);
			flows++;
		} else if (strcmp(ph, "f")) {
			fail_msg("traceEvents[%zu]: phase \"%s\" is not one the exporter writes", i, ph);
		}
	}
	/* a finish without a start */
	int finishes = 0;

	for (const struct pto__json *e = events->child; e; e = e->next)
		finishes += !strcmp(pto__json_string(pto__json_get(e, "ph"), ""), "f");
	assert_int_equal(finishes, flows);
	return flows;
}

/* The flow from @p_tid at @p_ts to @c_tid at @c_ts (µs) exists. */
static int tef_has_flow(const struct pto__json *events, int64_t p_tid, double p_ts, int64_t c_tid, double c_ts)
{
	for (const struct pto__json *e = events->child; e; e = e->next) {
		int64_t id = pto__json_int(pto__json_get(e, "id"), -1);

		if (strcmp(str_of(e, "ph"), "s") || pto__json_int(pto__json_get(e, "tid"), -1) != p_tid ||
		    fabs(pto__json_get(e, "ts")->num - p_ts) > 1e-6)
			continue;
		for (const struct pto__json *f = events->child; f; f = f->next)
			if (!strcmp(str_of(f, "ph"), "f") &&
			    pto__json_int(pto__json_get(f, "id"), -2) == id &&
			    pto__json_int(pto__json_get(f, "tid"), -1) == c_tid &&
			    fabs(pto__json_get(f, "ts")->num - c_ts) < 1e-6)
				return 1;
	}
	return 0;
}

#endif
