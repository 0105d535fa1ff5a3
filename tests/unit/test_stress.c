// SPDX-License-Identifier: MIT
/*
 * test_stress.c - random DAGs against sequential execution on the host.
 *
 * Each DAG is a handful of tasks over overlapping 2-D views of three
 * external buffers and of buffers the runtime creates: AIC, AIV, MIX and
 * SPMD tasks computing out = out * 3 + in1 + 7 * in2 + c (uint32).  AUTO
 * tracking supplies read-after-write and write-after-write order; the
 * generator adds the write-after-read edges the runtime does not track
 * (pto_args_add_dep), as its documentation tells users to.  One runtime
 * serves every DAG of a configuration; the matrix repeats the check for
 * 1, 2 and 3 scheduler threads, without and with the wiring thread, with a
 * tiny and the default task window.  The manual matrix runs the same
 * generator with every edge declared by pto_add_dependency() (computed by
 * brute force from the views: read-after-write, write-after-write,
 * write-after-read) inside a MANUAL scope, and in explicit-only mode.
 * The hazard matrix runs AUTO DAGs without the write-after-read edges:
 * with hazards=track they must still match sequential execution; with
 * hazards=check (some edges added, some dropped, every task held
 * unfinished by a gate task until all are submitted) the run must fail
 * with PTO_E_HAZARD exactly when the graph, by brute force, leaves a
 * write unordered after an overlapping read (or an OUTPUT_EXISTING write
 * after an overlapping write).
 */
#include <unistd.h>

#include "rt_test_util.h"

#define NDAGS		1000
#define MATRIX_DAGS	100	/* per schedulers x wiring x window combination */
#define NEXT		3	/* external buffers */
#define MAXT		14	/* tasks per DAG */
#define NBUF		(NEXT + MAXT)
#define R		8
#define C		8

struct view {
	uint32_t buf, r0, c0, nr, nc;
};

struct read_rec {
	struct view v;
	int64_t task;
};

/* How a DAG gets its edges. */
enum dag_deps {
	DAG_AUTO,		/* TensorMap, plus the write-after-read edges as args deps */
	DAG_MANUAL,		/* one MANUAL scope, every edge by pto_add_dependency() */
	DAG_TRACK,		/* hazards=track: no write-after-read edges of our own */
	DAG_CHECK,		/* hazards=check: some of them, behind a gate task */
};

#define K_GATE		20	/* AIV: spins until its flag tensor is non-zero */

/* What the brute-force hazard verdict needs to know about one task. */
struct task_rec {
	struct view vo;
	struct view vi[2];
	uint32_t nin;
	uint32_t wkind;		/* 0 INOUT, 1 OUTPUT_EXISTING, 2 fresh OUTPUT */
	uint32_t deps;		/* explicit edges: bit i = task i of the DAG */
};

struct dag {
	struct pto_device *dev;
	uint32_t deps;			/* enum dag_deps */
	struct read_rec writes[MAXT];	/* output views, for the manual edges */
	uint32_t nwrites;
	uint32_t manual_edges;
	uint64_t ext[NEXT];
	uint64_t copy[MAXT];		/* manual mode: where created buffers are copied out */
	uint32_t model[NBUF][R][C];	/* host model of every buffer */
	struct pto_tensor whole[NBUF];	/* created buffers: their tensor */
	uint32_t created_nr[NBUF], created_nc[NBUF];
	uint32_t nbuf;			/* NEXT + created so far */
	struct read_rec reads[MAXT * 2];
	uint32_t nreads;
	uint64_t rng;
	uint32_t ntasks;
	uint32_t kinds[4];		/* AIC, AIV, MIX, SPMD tasks generated */
	uint32_t war_edges;
	uint32_t waw_edges;
	/* DAG_CHECK */
	uint64_t flag;			/* the gate's flag */
	struct task_rec tasks[MAXT];
	int64_t ids[MAXT];
	uint32_t creator[NBUF];		/* created buffer -> task index */
	uint32_t ntasks_dag;		/* tasks of the current DAG */
	bool drop_edges;		/* this DAG leaves some edges out */
	uint32_t hazard_dags, clean_dags, dropped_edges;
};

static int k_gate(const struct pto_kernel_ctx *ctx)
{
	uint32_t *flag = pto_kernel_data(ctx, 0);

	/* backstop: the run fails instead of hanging if the gate never opens */
	for (uint32_t i = 0; i < 20000; i++) {
		/* pairs with gate_open()'s release store */
		if (__atomic_load_n(flag, __ATOMIC_ACQUIRE))
			return 0;
		usleep(1000);
	}
	return -110;
}

static void gate_open(struct dag *d)
{
	if (d->deps == DAG_CHECK)
		/* pairs with k_gate()'s acquire load */
		__atomic_store_n((uint32_t *)pto_mem_map(d->dev, d->flag, 4), 1, __ATOMIC_RELEASE);
}

static int task_index(const struct dag *d, int64_t id)
{
	for (uint32_t i = 0; i < d->ntasks_dag; i++)
		if (d->ids[i] == id)
			return (int)i;
	return -1;
}

static uint32_t rnd(struct dag *d, uint32_t n)
{
	d->rng ^= d->rng << 13;
	d->rng ^= d->rng >> 7;
	d->rng ^= d->rng << 17;
	return (uint32_t)(d->rng % n);
}

static uint32_t buf_rows(struct dag *d, uint32_t b)
{
	return b < NEXT ? R : d->created_nr[b];
}

static uint32_t buf_cols(struct dag *d, uint32_t b)
{
	return b < NEXT ? C : d->created_nc[b];
}

static void pick_view(struct dag *d, struct view *v, uint32_t buf, uint32_t nr, uint32_t nc)
{
	v->buf = buf;
	v->nr = nr;
	v->nc = nc;
	v->r0 = rnd(d, buf_rows(d, buf) - nr + 1);
	v->c0 = rnd(d, buf_cols(d, buf) - nc + 1);
}

static void make_tensor(struct dag *d, const struct view *v, struct pto_tensor *t)
{
	uint32_t shape[2] = { v->nr, v->nc }, off[2] = { v->r0, v->c0 };
	uint32_t full[2] = { R, C };

	if (v->buf < NEXT)
		assert_int_equal(pto_tensor_external(t, d->ext[v->buf], PTO2_DTYPE_I32, 2, full), 0);
	else
		*t = d->whole[v->buf];
	assert_int_equal(pto_tensor_view(t, t, shape, off), 0);
}

static bool views_overlap(const struct view *a, const struct view *b)
{
	return a->buf == b->buf && a->r0 < b->r0 + b->nr && b->r0 < a->r0 + a->nr &&
	       a->c0 < b->c0 + b->nc && b->c0 < a->c0 + a->nc;
}

/*
 * Brute force: does the DAG (d->tasks, d->ntasks_dag) leave a write
 * unordered after an overlapping read, or an OUTPUT_EXISTING write after
 * an overlapping write?  Order = the transitive closure of read-after-write
 * edges (a read of a region after every earlier writer of an overlapping
 * one, INOUT reading its own region), creator edges and explicit edges.
 */
static bool dag_has_hazard(const struct dag *d)
{
	uint32_t reach[MAXT];

	for (uint32_t j = 0; j < d->ntasks_dag; j++) {
		const struct task_rec *tj = &d->tasks[j];
		uint32_t pred = tj->deps;

		for (uint32_t i = 0; i < j; i++) {
			const struct task_rec *ti = &d->tasks[i];
			bool raw = tj->wkind == 0 && views_overlap(&ti->vo, &tj->vo);

			for (uint32_t k = 0; k < tj->nin; k++)
				raw |= views_overlap(&ti->vo, &tj->vi[k]);
			/* every use of a created buffer depends on its creator */
			if (tj->vo.buf >= NEXT && tj->wkind != 2 && d->creator[tj->vo.buf] == i)
				raw = true;
			for (uint32_t k = 0; k < tj->nin; k++)
				raw |= tj->vi[k].buf >= NEXT && d->creator[tj->vi[k].buf] == i;
			if (raw)
				pred |= 1u << i;
		}
		reach[j] = pred;
		for (uint32_t i = 0; i < j; i++)
			if (pred & (1u << i))
				reach[j] |= reach[i];
		if (tj->wkind == 2)
			continue;	/* a fresh buffer: nobody touched it before */
		for (uint32_t i = 0; i < j; i++) {
			const struct task_rec *ti = &d->tasks[i];
			bool conflict = tj->wkind == 1 && views_overlap(&ti->vo, &tj->vo);

			for (uint32_t k = 0; k < ti->nin; k++)
				conflict |= views_overlap(&ti->vi[k], &tj->vo);
			if (conflict && !(reach[j] & (1u << i)))
				return true;
		}
	}
	return false;
}

/* Every edge task @id needs to tasks submitted before it; return 0 or the error. */
static int add_manual_edges(struct pto_runtime *rt, struct dag *d, int64_t id,
			    const struct view *vo, const struct view *vi, uint32_t nin)
{
	int64_t seen[3 * MAXT];
	uint32_t nseen = 0;

	for (uint32_t k = 0; k < d->nwrites + d->nreads; k++) {
		const struct read_rec *rec = k < d->nwrites ? &d->writes[k] :
					     &d->reads[k - d->nwrites];
		bool edge = views_overlap(&rec->v, vo);	/* WAW, or WAR */
		bool dup = false;
		int rc;

		/* read-after-write: only an earlier writer orders a read */
		for (uint32_t j = 0; k < d->nwrites && j < nin; j++)
			edge |= views_overlap(&rec->v, &vi[j]);
		for (uint32_t j = 0; j < nseen; j++)
			dup |= seen[j] == rec->task;
		if (!edge || dup)
			continue;
		seen[nseen++] = rec->task;
		rc = pto_add_dependency(rt, rec->task, id);
		if (rc)
			return rc;
		d->manual_edges++;
	}
	return 0;
}

/*
 * Manual mode: a buffer created in the manual scope lives only as long as
 * the scope, so it is not read after it; a last task of the scope copies it
 * (overwrite with in + 0) into an external buffer checked after the run.
 */
static int copy_out(struct pto_runtime *rt, struct dag *d, uint32_t b)
{
	uint32_t full[2] = { R, C }, shape[2] = { d->created_nr[b], d->created_nc[b] };
	uint32_t off[2] = { 0, 0 };
	struct view vo = { NBUF + b, 0, 0, shape[0], shape[1] };	/* nothing else's */
	struct view vi = { b, 0, 0, shape[0], shape[1] };
	struct pto_launch l = { PTO_NO_KERNEL, K_MIX_AIV, PTO_NO_KERNEL, 1, 0 };
	struct pto_tensor out, in = d->whole[b];
	struct pto_args args;
	int64_t id;

	assert_int_equal(pto_tensor_external(&out, d->copy[b - NEXT], PTO2_DTYPE_I32, 2, full), 0);
	assert_int_equal(pto_tensor_view(&out, &out, shape, off), 0);
	pto_args_init(&args);
	pto_arg_output_existing(&args, &out);
	pto_arg_input(&args, &in);
	pto_arg_scalar(&args, 2);	/* mask: the AIV lane */
	pto_arg_scalar(&args, 0);	/* constant */
	pto_arg_scalar(&args, 1);	/* overwrite */
	id = pto_submit(rt, &l, &args);
	if (id < 0)
		return (int)id;
	return add_manual_edges(rt, d, id, &vo, &vi, 1);
}

static int orch_dag(struct pto_runtime *rt, void *p)
{
	struct dag *d = p;
	uint32_t ntasks = 2 + rnd(d, MAXT - 1);
	int64_t gate = -1;
	int rc;

	d->nbuf = NEXT;
	d->nreads = 0;
	d->nwrites = 0;
	d->ntasks_dag = 0;
	d->drop_edges = d->deps == DAG_CHECK && rnd(d, 2);
	if (d->deps == DAG_CHECK) {
		struct pto_tensor f;
		struct pto_args ga;
		uint32_t one[1] = { 1 };

		*(uint32_t *)pto_mem_map(d->dev, d->flag, 4) = 0;
		assert_int_equal(pto_tensor_external(&f, d->flag, PTO2_DTYPE_I32, 1, one), 0);
		pto_args_init(&ga);
		pto_arg_no_dep(&ga, &f);
		gate = pto_submit_aiv(rt, K_GATE, &ga);
		if (gate < 0)
			return (int)gate;
	}
	if (d->deps == DAG_MANUAL) {
		rc = pto_scope_begin(rt, PTO_SCOPE_MANUAL);
		if (rc)
			return rc;
	}
	for (uint32_t i = 0; i < ntasks; i++) {
		struct pto_args args;
		struct pto_tensor out, in[2];
		struct view vo, vi[2];
		uint32_t nr = 1 + rnd(d, R), nc = 1 + rnd(d, C), nin = rnd(d, 3);
		uint32_t cst = rnd(d, 1000), mask, fresh = 0, overwrite = 0, blocks = 1;
		struct pto_launch l = { PTO_NO_KERNEL, PTO_NO_KERNEL, PTO_NO_KERNEL, 1, 0 };
		uint32_t shape_kind = rnd(d, 10);
		bool inner;
		int64_t id;

		/* output: a fresh runtime-created buffer, or a view to update in place */
		if (rnd(d, 5) == 0 && d->nbuf < NBUF) {
			uint32_t b = d->nbuf++;
			uint32_t shape[2] = { nr, nc };

			d->created_nr[b] = nr;
			d->created_nc[b] = nc;
			assert_int_equal(pto_tensor_create(&d->whole[b], PTO2_DTYPE_I32, 2, shape), 0);
			vo = (struct view){ b, 0, 0, nr, nc };
			fresh = 1;
		} else {
			uint32_t b = rnd(d, d->nbuf);

			/*
			 * A third overwrite (OUTPUT_EXISTING), half of those the whole
			 * buffer, so covered regions (TensorMap pruning) come up often.
			 */
			overwrite = rnd(d, 3) == 0;
			if (overwrite && rnd(d, 2)) {
				nr = buf_rows(d, b);
				nc = buf_cols(d, b);
			}
			nr = nr < buf_rows(d, b) ? nr : buf_rows(d, b);
			nc = nc < buf_cols(d, b) ? nc : buf_cols(d, b);
			pick_view(d, &vo, b, nr, nc);
		}
		/* inputs: views of the same shape in other buffers */
		for (uint32_t k = 0; k < nin; k++) {
			uint32_t b = rnd(d, d->nbuf);

			if (b == vo.buf || buf_rows(d, b) < nr || buf_cols(d, b) < nc) {
				nin = k;
				break;
			}
			pick_view(d, &vi[k], b, nr, nc);
		}

		pto_args_init(&args);
		if (fresh) {
			out = d->whole[vo.buf];
			pto_arg_output(&args, &out);
		} else if (overwrite) {
			make_tensor(d, &vo, &out);
			pto_arg_output_existing(&args, &out);
		} else {
			make_tensor(d, &vo, &out);
			pto_arg_inout(&args, &out);
		}
		for (uint32_t k = 0; k < nin; k++) {
			make_tensor(d, &vi[k], &in[k]);
			pto_arg_input(&args, &in[k]);
		}
		/*
		 * Write-after-read is not tracked, nor write-after-write for an
		 * overwrite (OUTPUT_EXISTING): order after those tasks ourselves
		 * (each once: fewer than MAXT, within PTO_MAX_ARG_DEPS).
		 */
		d->tasks[d->ntasks_dag] = (struct task_rec){ .vo = vo, .nin = nin,
			.wkind = fresh ? 2 : overwrite ? 1 : 0 };
		memcpy(d->tasks[d->ntasks_dag].vi, vi, sizeof(vi));
		if (gate >= 0)
			pto_args_add_dep(&args, gate);	/* unfinished until all are submitted */
		for (uint32_t k = 0; (d->deps == DAG_AUTO || d->deps == DAG_CHECK) &&
				     k < d->nreads + d->nwrites; k++) {
			bool war = k < d->nreads;
			const struct read_rec *rec = war ? &d->reads[k] : &d->writes[k - d->nreads];
			bool dup = false;

			if ((!war && !overwrite) || !views_overlap(&rec->v, &vo))
				continue;
			for (uint32_t j = 0; j < args.num_deps; j++)
				dup |= args.deps[j] == rec->task;
			if (dup)
				continue;
			if (d->drop_edges && rnd(d, 3) == 0) {
				d->dropped_edges++;
				continue;
			}
			pto_args_add_dep(&args, rec->task);
			d->tasks[d->ntasks_dag].deps |= 1u << task_index(d, rec->task);
			if (war)
				d->war_edges++;
			else
				d->waw_edges++;
		}
		if (shape_kind < 4) {
			l.aic = K_MIX_AIC;
			mask = 1;
			d->kinds[0]++;
		} else if (shape_kind < 8) {
			l.aiv0 = K_MIX_AIV;
			mask = 2;
			d->kinds[1]++;
		} else {
			l.aiv0 = K_MIX_AIV;
			l.aiv1 = K_MIX_AIV;
			mask = 6;
			if (rnd(d, 2)) {
				l.aic = K_MIX_AIC;
				mask = 7;
			}
			d->kinds[2]++;
		}
		if (rnd(d, 6) == 0) {
			blocks = 2 + rnd(d, 3);
			d->kinds[3]++;
		}
		l.block_num = blocks;
		pto_arg_scalar(&args, mask);
		pto_arg_scalar(&args, cst);
		pto_arg_scalar(&args, fresh | overwrite);
		/*
		 * Hazard modes: a third of the tasks that create nothing run in an
		 * inner scope (ring 1), so orderings also cross rings, where the
		 * check's 64-task ancestry mask does not reach and its walk must.
		 */
		inner = (d->deps == DAG_TRACK || d->deps == DAG_CHECK) && !fresh &&
			rnd(d, 3) == 0;
		if (inner && (rc = pto_scope_begin(rt, PTO_SCOPE_AUTO)) != 0)
			return rc;
		id = pto_submit(rt, &l, &args);
		if (inner && id >= 0 && (rc = pto_scope_end(rt)) != 0)
			return rc;
		if (id < 0) {
			d->ids[d->ntasks_dag++] = -1;	/* the verdict covers the refused task */
			gate_open(d);
			return (int)id;
		}
		d->ids[d->ntasks_dag] = id;
		if (fresh)
			d->creator[vo.buf] = d->ntasks_dag;
		d->ntasks_dag++;
		if (d->deps == DAG_MANUAL) {
			rc = add_manual_edges(rt, d, id, &vo, vi, nin);
			if (rc)
				return rc;
		}
		if (fresh)
			d->whole[vo.buf] = out;	/* now allocated, owner = id */
		for (uint32_t k = 0; k < nin; k++)
			d->reads[d->nreads++] = (struct read_rec){ vi[k], id };
		d->writes[d->nwrites++] = (struct read_rec){ vo, id };

		/* sequential model */
		for (uint32_t r = 0; r < nr; r++) {
			for (uint32_t c = 0; c < nc; c++) {
				uint32_t *o = &d->model[vo.buf][vo.r0 + r][vo.c0 + c];
				uint32_t v = fresh || overwrite ? 0 : *o * 3;

				if (nin > 0)
					v += d->model[vi[0].buf][vi[0].r0 + r][vi[0].c0 + c];
				if (nin > 1)
					v += 7 * d->model[vi[1].buf][vi[1].r0 + r][vi[1].c0 + c];
				*o = v + cst;
			}
		}
		d->ntasks++;
	}
	gate_open(d);
	/* a manual scope's tasks start when it ends: only then can they be waited for */
	if (d->deps == DAG_MANUAL) {
		for (uint32_t b = NEXT; b < d->nbuf; b++) {
			rc = copy_out(rt, d, b);
			if (rc)
				return rc;
		}
		return pto_scope_end(rt);
	}
	/* created buffers: read back through the blocking orchestrator read */
	for (uint32_t b = NEXT; b < d->nbuf; b++) {
		uint32_t idx[2] = { rnd(d, d->created_nr[b]), rnd(d, d->created_nc[b]) }, v = 0;

		assert_int_equal(pto_tensor_read(rt, &d->whole[b], idx, &v), 0);
		assert_int_equal(v, d->model[b][idx[0]][idx[1]]);
	}
	return 0;
}

/*
 * Run @ndags random DAGs (seeded by @seed) on a fresh runtime built from
 * @cfg on a mock device of @clusters clusters, checking the external
 * buffers against the sequential model after each.
 */
static void run_dags(uint32_t clusters, const struct pto_runtime_config *cfg, uint32_t deps,
		     int ndags, uint64_t seed, const char *what)
{
	static struct dag d;
	struct pto_runtime *rt;

	memset(&d, 0, sizeof(d));
	d.rng = seed;
	d.deps = deps;
	d.dev = rt_open_dev(clusters);
	assert_int_equal(pto_runtime_create(d.dev, cfg, &rt), 0);
	rt_register_all(rt);
	assert_int_equal(pto_register_kernel(rt, K_GATE, PTO2_CORE_AIV, k_gate, "gate"), 0);
	d.flag = rt_buf(d.dev, 1, 0);
	for (int b = 0; b < NEXT; b++)
		d.ext[b] = rt_buf(d.dev, R * C, (uint32_t)b);
	for (int b = 0; deps == DAG_MANUAL && b < MAXT; b++)
		d.copy[b] = rt_buf(d.dev, R * C, 0);
	for (int n = 0; n < ndags; n++) {
		for (int b = 0; b < NEXT; b++) {
			uint32_t *h = pto_mem_map(d.dev, d.ext[b], R * C * 4);

			for (uint32_t e = 0; e < R * C; e++)
				h[e] = d.model[b][e / C][e % C] = (uint32_t)(n * 131 + b * 17) + e;
		}
		int rc = pto_run(rt, orch_dag, &d);

		if (deps == DAG_CHECK) {
			bool want = dag_has_hazard(&d);

			if (want != (rc == PTO_E_HAZARD))
				fail_msg("%s: DAG %d: hazard expected %s, run returned %d: %s", what,
					 n, want ? "yes" : "no", rc, pto_last_error());
			if (want) {
				assert_non_null(strstr(pto_last_error(), " hazard: task "));
				d.hazard_dags++;
				continue;
			}
			d.clean_dags++;
		} else if (deps == DAG_TRACK && dag_has_hazard(&d)) {
			d.hazard_dags++;	/* the runtime had to order it */
		}
		if (rc != 0)
			fail_msg("%s: DAG %d failed: %s", what, n, pto_last_error());
		for (int b = 0; b < NEXT; b++) {
			uint32_t *h = pto_mem_map(d.dev, d.ext[b], R * C * 4);

			for (uint32_t e = 0; e < R * C; e++) {
				if (h[e] != d.model[b][e / C][e % C])
					fail_msg("%s: DAG %d buffer %d element %u: got %u want %u",
						 what, n, b, e, h[e], d.model[b][e / C][e % C]);
			}
		}
		/* manual mode: the created buffers, as copied out inside the scope */
		for (uint32_t b = NEXT; deps == DAG_MANUAL && b < d.nbuf; b++) {
			uint32_t *h = pto_mem_map(d.dev, d.copy[b - NEXT], R * C * 4);

			for (uint32_t r = 0; r < d.created_nr[b]; r++) {
				for (uint32_t c = 0; c < d.created_nc[b]; c++) {
					if (h[r * C + c] != d.model[b][r][c])
						fail_msg("%s: DAG %d created buffer %u [%u][%u]: got %u "
							 "want %u", what, n, b, r, c, h[r * C + c],
							 d.model[b][r][c]);
				}
			}
		}
	}
	print_message("%s: %d DAGs, %u tasks (AIC %u, AIV %u, MIX %u, SPMD %u), %u WAR and %u "
		      "WAW edges, %u manual edges\n", what, ndags, d.ntasks, d.kinds[0],
		      d.kinds[1], d.kinds[2], d.kinds[3], d.war_edges, d.waw_edges,
		      d.manual_edges);
	if (deps == DAG_TRACK) {
		print_message("%s: %u DAGs had a write-after-read/write hazard to order\n", what,
			      d.hazard_dags);
		assert_true(d.hazard_dags > 0);
	}
	if (deps == DAG_CHECK) {
		print_message("%s: %u DAGs with a hazard (refused), %u without (ran), %u edges "
			      "dropped\n", what, d.hazard_dags, d.clean_dags, d.dropped_edges);
		/* both verdicts must come up, or the check proved nothing */
		assert_true(d.hazard_dags > 0 && d.clean_dags > 0);
	}
	pto_runtime_destroy(rt);
	pto_device_close(d.dev);
}

static void test_random_dags(void **state)
{
	struct pto_runtime_config cfg;

	(void)state;
	rt_test_config(&cfg, 32);
	cfg.stall_timeout_ms = 20000;
	cfg.core_timeout_ms = 20000;
	run_dags(2, &cfg, DAG_AUTO, NDAGS, 0x9E3779B97F4A7C15ull, "default schedulers, window 32");
}

/*
 * Every scheduler count, without and with the wiring thread, with the
 * smallest window that holds a whole DAG (MAXT tasks, all in the run's
 * outer scope) and the default window.  Three clusters, so each of up to
 * three schedulers owns a whole cluster for MIX tasks.  The seed depends on
 * schedulers and window but not on wiring: both wiring modes run the same
 * DAGs and must match the same sequential results.
 */
static void test_matrix(void **state)
{
	static const uint32_t windows[] = { 16, 16384 };

	(void)state;
	for (uint32_t ns = 1; ns <= 3; ns++) {
		for (uint32_t wiring = 0; wiring <= 1; wiring++) {
			for (uint32_t w = 0; w < 2; w++) {
				struct pto_runtime_config cfg;
				char what[64];

				rt_test_config(&cfg, windows[w]);
				cfg.num_schedulers = ns;
				cfg.wiring = wiring;
				cfg.stall_timeout_ms = 20000;
				cfg.core_timeout_ms = 20000;
				snprintf(what, sizeof(what), "%u scheduler(s), wiring %s, window %u",
					 ns, wiring ? "on" : "off", windows[w]);
				run_dags(3, &cfg, DAG_AUTO, MATRIX_DAGS,
					 0x2545F4914F6CDD1Dull * (ns * 2 + w + 1), what);
			}
		}
	}
}

/*
 * Every edge explicit: a MANUAL scope on an AUTO runtime (the TensorMap
 * still adds boundary edges to the external buffers' earlier writers) and
 * the same scopes on an explicit-only runtime, with 1 and 3 schedulers,
 * without and with the wiring thread, small and default windows.  The dep
 * pool is sized for a whole DAG's edges (they stay until its scope ends).
 */
static void test_manual_matrix(void **state)
{
	/* the smallest that holds a whole DAG and its copy-out tasks (2 x MAXT) */
	static const uint32_t windows[] = { 32, 16384 };
	static const uint32_t scheds[] = { 1, 3 };

	(void)state;
	for (uint32_t mode = 0; mode < 2; mode++) {
		for (uint32_t s = 0; s < 2; s++) {
			for (uint32_t wiring = 0; wiring <= 1; wiring++) {
				for (uint32_t w = 0; w < 2; w++) {
					struct pto_runtime_config cfg;
					char what[96];

					rt_test_config(&cfg, windows[w]);
					for (int r = 0; r < PTO_NUM_RINGS; r++)
						cfg.dep_pool[r] = 1024;
					cfg.dep_mode = mode ? PTO_DEPS_EXPLICIT : PTO_DEPS_AUTO;
					cfg.num_schedulers = scheds[s];
					cfg.wiring = wiring;
					cfg.stall_timeout_ms = 20000;
					cfg.core_timeout_ms = 20000;
					snprintf(what, sizeof(what), "%s, %u scheduler(s), wiring %s, "
						 "window %u", mode ? "explicit-only" : "manual scope",
						 scheds[s], wiring ? "on" : "off", windows[w]);
					run_dags(3, &cfg, DAG_MANUAL, MATRIX_DAGS,
						 0x9E3779B97F4A7C15ull * (s * 2 + w + 7), what);
				}
			}
		}
	}
}

/*
 * AUTO DAGs that do contain write-after-read (and OUTPUT_EXISTING
 * write-after-write) hazards.  Tracking: no edges of our own, every
 * scheduler count, both wiring modes, tiny and default windows; results
 * must match sequential execution.  Checking: PTO_E_HAZARD exactly when
 * dag_has_hazard() says so (a window that holds the gate and a whole DAG).
 */
static void test_hazard_matrix(void **state)
{
	static const uint32_t windows[] = { 16, 16384 };

	(void)state;
	for (uint32_t mode = 0; mode < 2; mode++) {
		for (uint32_t ns = 1; ns <= 3; ns += 2) {
			for (uint32_t wiring = 0; wiring <= 1; wiring++) {
				for (uint32_t w = 0; w < 2; w++) {
					struct pto_runtime_config cfg;
					char what[96];

					rt_test_config(&cfg, windows[w]);
					cfg.hazards = mode ? PTO_HAZARDS_CHECK : PTO_HAZARDS_TRACK;
					cfg.num_schedulers = ns;
					cfg.wiring = wiring;
					cfg.stall_timeout_ms = 20000;
					cfg.core_timeout_ms = 20000;
					snprintf(what, sizeof(what), "hazards=%s, %u scheduler(s), "
						 "wiring %s, window %u", mode ? "check" : "track",
						 ns, wiring ? "on" : "off", windows[w]);
					run_dags(3, &cfg, mode ? DAG_CHECK : DAG_TRACK, MATRIX_DAGS,
						 0x9E3779B97F4A7C15ull * (ns * 2 + w + 13 + mode),
						 what);
				}
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_dags),
		cmocka_unit_test(test_matrix),
		cmocka_unit_test(test_manual_matrix),
		cmocka_unit_test(test_hazard_matrix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
