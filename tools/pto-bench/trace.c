// SPDX-License-Identifier: MIT
/* trace.c - pto-bench --trace: one run recorded and written as a trace (docs/tracing.md). */
#include <inttypes.h>
#include <stdio.h>

#include "pto/trace.h"
#include "tools/pto-bench/bench.h"

/* --- --trace: one recorded run -------------------------------------------------- */

int pb_trace_run(struct bench *b)
{
	uint32_t dep_mode = pb_mode_dep(b->o.trace_mode);
	int pa = b->o.trace_shape == SHAPE_PA;
	char err[256] = "";
	struct pto_run_stats st;
	struct pto_runtime *rt;
	struct bench_graph g = { .tasks = 0 };
	const char *why;
	int rc;

	if (!pa && bench_graph_init(&g, b->o.trace_shape, b->o.tasks, b->o.width, &why)) {
		fprintf(stderr, "pto-bench: %s\n", why);
		return 2;
	}
	/*
	 * Phase records grow with run time (every scheduler nap is one), not
	 * with tasks: leave ample room so a slow machine does not drop any.
	 */
	rt = pb_get_rt(b, dep_mode, b->o.window, PTO_RT_TRACE,
		       g.tasks * 4 > 65536 ? (uint32_t)g.tasks * 4 : 65536, &rc, err, sizeof(err));
	if (!rt) {
		fprintf(stderr, "pto-bench: %s\n", err);
		return 1;
	}
	/* paged attention brings its own tasks and kernels; its result is checked */
	if (pa)
		rc = pb_run_pa_once(b, rt, b->o.trace_mode, 1, &st, err, sizeof(err));
	else
		rc = pb_run_pto_graph(b, rt, &g, b->o.trace_mode, b->o.grain, &st, err,
				      sizeof(err));
	if (rc) {
		fprintf(stderr, "pto-bench: run failed: %s\n", err);
		return 1;
	}
	rc = pto_trace_write(rt, b->o.trace);
	if (rc) {
		fprintf(stderr, "pto-bench: %s\n", pto_last_error());
		return 1;
	}
	if (pa)
		snprintf(err, sizeof(err), "the example's kernels");
	else
		snprintf(err, sizeof(err), "grain %" PRIu64 " ns", b->o.grain);
	printf("trace of %s/%s, %" PRIu64 " tasks, %s: %.1f ns/task end to "
	       "end, %" PRIu64 " dropped records -> %s\n", pb_shape_name(b->o.trace_shape),
	       pb_mode_names[b->o.trace_mode], st.tasks, err,
	       (double)st.elapsed_ns / (double)st.tasks, st.trace_dropped, b->o.trace);
	return 0;
}
