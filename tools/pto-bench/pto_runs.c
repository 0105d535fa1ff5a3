// SPDX-License-Identifier: MIT
/*
 * pto_runs.c - pto-bench's runs on our runtime: the runtimes by
 * configuration (created and warmed up once), the orchestration of every
 * shape of tests/peers/shapes.h with empty or busy-wait kernels, and one
 * repetition of such a job.
 */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>

#include "tools/pto-bench/bench.h"

#define K_SPIN			(PTO2_MAX_KERNELS - 1)	/* clear of the examples' ids */

/* --- our runtime -------------------------------------------------------------- */

static int k_spin(const struct pto_kernel_ctx *ctx)
{
	bench_spin_ns(pto_kernel_scalar(ctx, 0));
	return 0;
}

/*
 * The runtime for a configuration, created (and warmed up: threads, first
 * touch of the rings) on first use.  NULL with *@rc and @err on failure.
 */
struct pto_runtime *pb_get_rt(struct bench *b, uint32_t dep_mode, uint32_t window,
			      uint32_t flags, uint32_t trace_records, int *rc_out, char *err,
			      size_t errlen)
{
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;
	int rc;

	for (uint32_t i = 0; i < b->nrts; i++) {
		struct rt_slot *s = &b->rts[i];

		if (s->dep_mode == dep_mode && s->window == window && s->flags == flags &&
		    s->trace_records == trace_records)
			return s->rt;
	}
	*rc_out = -EINVAL;
	if (b->nrts == sizeof(b->rts) / sizeof(b->rts[0])) {
		snprintf(err, errlen, "too many runtime configurations");
		return NULL;
	}
	rc = pto_runtime_config_init(&cfg);
	if (rc) {
		snprintf(err, errlen, "pto_runtime_config_init: %s", pto_last_error());
		return NULL;
	}
	for (int r = 0; r < PTO_NUM_RINGS; r++) {
		cfg.task_window[r] = window;
		cfg.dep_pool[r] = window;
		/* outputs are 64 B: a small heap keeps several runtimes inside device memory */
		cfg.heap_size[r] = 16ull << 20;
	}
	if (b->o.schedulers)
		cfg.num_schedulers = b->o.schedulers;
	if (b->o.wiring >= 0)
		cfg.wiring = (uint32_t)b->o.wiring;
	cfg.dep_mode = dep_mode;
	cfg.flags |= flags;
	/* the report shows the thread layout once, printed by the first runtime */
	cfg.flags |= b->nrts ? PTO_RT_QUIET : PTO_RT_VERBOSE;
	cfg.trace_records = trace_records;
	rc = pto_runtime_create(b->dev, &cfg, &rt);
	if (rc) {
		snprintf(err, errlen, "%s", pto_last_error());
		*rc_out = rc;
		return NULL;
	}
	rc = pto_register_kernel(rt, K_SPIN, PTO2_CORE_AIV, k_spin, "spin");
	if (rc) {
		snprintf(err, errlen, "pto_register_kernel: %s", pto_last_error());
		pto_runtime_destroy(rt);
		*rc_out = rc;
		return NULL;
	}
	b->rts[b->nrts++] = (struct rt_slot){ rt, dep_mode, window, flags, trace_records };

	/* one untimed run, as the peers do: thread start-up and first touch are not measured */
	struct bench_graph warm;
	struct pto_run_stats st;
	const char *why;

	if (!(flags & PTO_RT_TRACE)) {
		bench_graph_init(&warm, SHAPE_INDEPENDENT, 4ull * b->o.chunk, b->o.width, &why);
		rc = pb_run_pto_graph(b, rt, &warm, dep_mode == PTO_DEPS_EXPLICIT ? MODE_EXPLICIT :
				      MODE_AUTO, 0, &st, err, errlen);
		if (rc) {
			*rc_out = rc;
			return NULL;
		}
	}
	*rc_out = 0;
	return rt;
}

struct orch_arg {
	const struct bench_graph *g;
	int mode;
	uint64_t grain;
	uint32_t chunk;
	struct pto_tensor *cells;
	int64_t *last_writer;
	int scope_failed;	/* pto_scope_begin() refused the mode */
};

/* Add @producer as an explicit dependency unless it is none or already there. */
static void add_dep(struct pto_args *args, int64_t producer)
{
	if (producer == PTO_TASK_NONE)
		return;
	for (uint32_t i = 0; i < args->num_deps; i++)
		if (args->deps[i] == producer)
			return;
	pto_args_add_dep(args, producer);
}

/*
 * The orchestration of every shape: tasks in scopes of @chunk (a scope must
 * fit its ring, and outputs are recycled per scope).  AUTO: dependencies
 * from the tensors.  MANUAL: manual scopes, tensors exempt from tracking,
 * every edge explicit.  EXPLICIT: the runtime's explicit-only mode, same
 * explicit edges.
 */
static int bench_orch(struct pto_runtime *rt, void *p)
{
	struct orch_arg *a = p;
	const struct bench_graph *g = a->g;
	int explicit_deps = a->mode != MODE_AUTO;
	enum pto_scope_mode smode = a->mode == MODE_MANUAL ? PTO_SCOPE_MANUAL : PTO_SCOPE_AUTO;
	uint32_t out_shape[1] = { CELL_BYTES / 4 };
	struct pto_args args;
	struct pto_tensor out;
	int rc;

	for (uint32_t c = 0; c < g->cells; c++)
		a->last_writer[c] = PTO_TASK_NONE;
	for (uint64_t k = 0; k < g->tasks; k += a->chunk) {
		uint64_t end = k + a->chunk < g->tasks ? k + a->chunk : g->tasks;

		rc = pto_scope_begin(rt, smode);
		if (rc) {
			a->scope_failed = 1;
			return rc;
		}
		for (uint64_t i = k; i < end; i++) {
			struct bench_task t;
			int64_t id;

			bench_graph_task(g, i, &t);
			pto_args_init(&args);
			for (uint32_t n = 0; n < t.nin; n++) {
				pto_arg_input(&args, &a->cells[t.in[n]]);
				if (explicit_deps)
					add_dep(&args, a->last_writer[t.in[n]]);
			}
			switch (t.out_mode) {
			case OUT_NONE:
				rc = pto_tensor_create(&out, PTO2_DTYPE_F32, 1, out_shape);
				if (rc)
					return rc;
				pto_arg_output(&args, &out);
				break;
			case OUT_W:
				pto_arg_output_existing(&args, &a->cells[t.out]);
				break;
			case OUT_RW:
				pto_arg_inout(&args, &a->cells[t.out]);
				if (explicit_deps)
					add_dep(&args, a->last_writer[t.out]);
				break;
			}
			pto_arg_scalar(&args, a->grain);
			id = pto_submit_aiv(rt, K_SPIN, &args);
			if (id < 0)
				return (int)id;
			if (t.out_mode != OUT_NONE)
				a->last_writer[t.out] = id;
		}
		rc = pto_scope_end(rt);
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * Run graph @g once on @rt.  Returns 0 with @st filled, or a negative
 * status with @err set.
 */
int pb_run_pto_graph(struct bench *b, struct pto_runtime *rt, const struct bench_graph *g,
		     int mode, uint64_t grain, struct pto_run_stats *st, char *err,
		     size_t errlen)
{
	struct pto_tensor *cells = calloc(g->cells, sizeof(*cells));
	int64_t *last = calloc(g->cells, sizeof(*last));
	struct orch_arg a = { .g = g, .mode = mode, .grain = grain, .chunk = b->o.chunk,
			      .cells = cells, .last_writer = last };
	uint32_t shape[1] = { CELL_BYTES / 4 };
	int rc = -ENOMEM;

	if (!cells || !last) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (uint32_t c = 0; c < g->cells; c++) {
		rc = pto_tensor_external(&cells[c], b->cells_addr + (uint64_t)c * CELL_BYTES,
					 PTO2_DTYPE_F32, 1, shape);
		if (rc) {
			snprintf(err, errlen, "pto_tensor_external: %s", pto_last_error());
			goto out;
		}
		if (mode == MODE_MANUAL)
			pto_tensor_set_manual_dep(&cells[c], 1);
	}
	rc = pto_run(rt, bench_orch, &a);
	if (rc) {
		snprintf(err, errlen, "%s", pto_last_error());
		/* a valid scope mode the library refuses is a missing feature, not a failure */
		if (a.scope_failed && mode == MODE_MANUAL)
			rc = -EOPNOTSUPP;
		goto out;
	}
	rc = pto_run_stats(rt, st);
	if (rc)
		snprintf(err, errlen, "pto_run_stats: %s", pto_last_error());
out:
	free(cells);
	free(last);
	return rc;
}

/* The runtime dep_mode a benchmark mode runs on. */
uint32_t pb_mode_dep(int mode)
{
	return mode == MODE_EXPLICIT ? PTO_DEPS_EXPLICIT : PTO_DEPS_AUTO;
}

/*
 * A job whose runtime could not be created: a runtime refusing a valid
 * option it documents (explicit mode, the wiring thread) lacks the
 * feature, so say so, never fake it; anything else failed.
 */
int pb_rt_failure_state(const struct bench *b, uint32_t dep_mode, int rc)
{
	return rc == -EINVAL && (dep_mode == PTO_DEPS_EXPLICIT || b->o.wiring == 1) ?
		JOB_UNSUPPORTED : JOB_FAILED;
}

/*
 * One repetition's samples: wall; submit = orchestrator time outside
 * back-pressure; the runtime's own CPU on the orchestrator and on the
 * scheduler and wiring threads (thread CPU clocks, pto_run_stats), which
 * carries over to hardware where the mock's emulated cores are not the
 * runtime's threads.
 */
void pb_record_run(struct job *j, uint64_t tasks, const struct pto_run_stats *st)
{
	j->real_tasks = tasks;
	j->wall.v[j->wall.n++] = (double)st->elapsed_ns;
	j->submit.v[j->submit.n++] = (double)(st->orch_ns > st->orch_blocked_ns ?
					      st->orch_ns - st->orch_blocked_ns : 0);
	j->orch_cpu.v[j->orch_cpu.n++] = (double)st->orch_cpu_ns;
	j->sched_cpu.v[j->sched_cpu.n++] = (double)st->sched_cpu_ns;
}

void pb_run_pto_job(struct bench *b, struct job *j)
{
	uint32_t dep_mode = pb_mode_dep(j->mode);
	struct pto_runtime *rt;
	struct bench_graph g;
	struct pto_run_stats st;
	const char *why;
	int rc;

	if (bench_graph_init(&g, j->shape, j->tasks, j->width, &why)) {
		j->state = JOB_FAILED;
		snprintf(j->err, sizeof(j->err), "%s", why);
		return;
	}
	rt = pb_get_rt(b, dep_mode, j->window, 0, 0, &rc, j->err, sizeof(j->err));
	if (!rt) {
		j->state = pb_rt_failure_state(b, dep_mode, rc);
		return;
	}
	rc = pb_run_pto_graph(b, rt, &g, j->mode, j->grain, &st, j->err, sizeof(j->err));
	if (rc) {
		j->state = rc == -EOPNOTSUPP || rc == -ENOSYS ? JOB_UNSUPPORTED : JOB_FAILED;
		return;
	}
	pb_record_run(j, g.tasks, &st);
}
