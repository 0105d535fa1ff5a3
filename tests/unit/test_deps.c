// SPDX-License-Identifier: MIT
/*
 * test_deps.c - which edges each argument kind creates (read from the
 * trace's per-task fanin lists), creator retention, manual_dep, explicit
 * deps, write-after-read not tracked, scope references holding tasks
 * alive, MANUAL scopes (boundary edges, pto_add_dependency, publish at
 * scope end) and the explicit-only dependency mode.
 */
#include <pthread.h>
#include <unistd.h>

#include "rt_test_util.h"
#include "rt_check.h"

#include "libpto/core/run.h"
#include "libpto/trace/trace.h"

struct deps_ctx {
	struct pto_device *dev;
	uint64_t x, y;
	int64_t id[32];
	uint64_t t_before_end;
};

static struct pto_tensor rows(uint64_t addr, uint32_t r0, uint32_t nr)
{
	struct pto_tensor t;
	uint32_t shape[2] = { 8, 8 }, vs[2] = { nr, 8 }, off[2] = { r0, 0 };

	assert_int_equal(pto_tensor_external(&t, addr, PTO2_DTYPE_I32, 2, shape), 0);
	assert_int_equal(pto_tensor_view(&t, &t, vs, off), 0);
	return t;
}

static int64_t sub1(struct pto_runtime *rt, struct pto_tensor *t, enum pto_arg_kind kind,
		    int64_t dep)
{
	struct pto_args a;
	int64_t id;

	pto_args_init(&a);
	if (t)
		pto_arg_tensor(&a, t, kind);
	if (dep >= 0)
		pto_args_add_dep(&a, dep);
	id = pto_submit_aiv(rt, K_NOP_AIV, &a);
	assert_true(id >= 0);
	return id;
}

static int orch_kinds(struct pto_runtime *rt, void *p)
{
	struct deps_ctx *c = p;
	struct pto_tensor t, cr, v;
	uint32_t shape[2] = { 8, 8 };
	int64_t *id = c->id;

	t = rows(c->x, 0, 4);
	id[0] = sub1(rt, &t, PTO_ARG_INOUT, -1);		/* W1 rows 0-3 */
	t = rows(c->x, 0, 2);
	id[1] = sub1(rt, &t, PTO_ARG_INPUT, -1);		/* R1 -> W1 */
	t = rows(c->x, 4, 4);
	id[2] = sub1(rt, &t, PTO_ARG_INPUT, -1);		/* R2 disjoint -> none */
	t = rows(c->x, 2, 4);
	id[3] = sub1(rt, &t, PTO_ARG_OUTPUT_EXISTING, -1);	/* OE rows 2-5 -> none */
	t = rows(c->x, 0, 8);
	id[4] = sub1(rt, &t, PTO_ARG_INPUT, -1);		/* R3 -> W1, OE */
	id[5] = sub1(rt, &t, PTO_ARG_NO_DEP, -1);		/* ND -> none */
	id[6] = sub1(rt, &t, PTO_ARG_INOUT, -1);		/* W2 all -> W1, OE; covers both */
	t = rows(c->x, 0, 4);
	id[7] = sub1(rt, &t, PTO_ARG_INPUT, -1);		/* R4 -> W2 only */
	assert_int_equal(pto_tensor_create(&cr, PTO2_DTYPE_I32, 2, shape), 0);
	id[8] = sub1(rt, &cr, PTO_ARG_OUTPUT, -1);		/* P creates cr -> none */
	assert_int_equal(cr.owner, id[8]);
	assert_true(cr.addr != 0);
	id[9] = sub1(rt, &cr, PTO_ARG_INPUT, -1);		/* -> P (creator) */
	id[10] = sub1(rt, &cr, PTO_ARG_NO_DEP, -1);		/* -> P (creator) */
	v = cr;
	pto_tensor_set_manual_dep(&v, 1);
	id[11] = sub1(rt, &v, PTO_ARG_INPUT, -1);		/* manual_dep: still -> P */
	t = rows(c->x, 0, 8);
	pto_tensor_set_manual_dep(&t, 1);
	id[12] = sub1(rt, &t, PTO_ARG_INPUT, -1);		/* manual_dep external -> none */
	t = rows(c->x, 0, 2);
	id[13] = sub1(rt, &t, PTO_ARG_INOUT, -1);		/* WAR after R4: -> W2 only */
	id[14] = sub1(rt, NULL, PTO_ARG_INPUT, id[2]);		/* explicit -> R2 */
	/* OUTPUT is not a tracked writer: a reader of cr's region finds only the creator */
	id[15] = sub1(rt, &cr, PTO_ARG_INPUT, -1);		/* -> P */
	return 0;
}

static void expect_fanin(const struct pto_trace *tr, uint32_t idx, const int64_t *want,
			 uint32_t n)
{
	const struct pto_trace_task *t = &tr->tasks[idx];

	if (t->num_fanin != n)
		fail_msg("task %u: %u fanins, want %u", idx, t->num_fanin, n);
	for (uint32_t i = 0; i < n; i++) {
		bool found = false;

		for (uint32_t k = 0; k < t->num_fanin; k++)
			found |= tr->fanin[t->fanin_off + k] == want[i];
		if (!found)
			fail_msg("task %u: missing fanin %lld", idx, (long long)want[i]);
	}
}

/*
 * Task @idx waits for task @pidx, unless that one was already consumed (every
 * reference released: a satisfied dependency, not an edge) when @idx was
 * wired; consumed implies it completed before @idx was published.
 */
static void expect_edge_or_retired(const struct pto_trace *tr, uint32_t idx, uint32_t pidx)
{
	const struct pto_trace_task *t = &tr->tasks[idx], *p = &tr->tasks[pidx];

	if (t->num_fanin == 0 && p->t_complete && p->t_complete <= t->t_publish)
		return;
	expect_fanin(tr, idx, &p->task_id, 1);
}

static struct pto_runtime *make_rt(struct pto_device *dev, uint32_t dep_mode, uint32_t window,
				   void **state)
{
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;

	rt_test_config(&cfg, window);
	cfg.flags |= PTO_RT_TRACE;
	cfg.dep_mode = dep_mode;
	cfg.wiring = rt_test_wiring(state);
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	rt_register_all(rt);
	return rt;
}

static void test_arg_kinds(void **state)
{
	struct deps_ctx c = { 0 };
	struct pto_runtime *rt;
	const struct pto_trace *tr;
	int64_t *id = c.id;

	c.dev = rt_open_dev(2);
	c.x = rt_buf(c.dev, 64, 1);
	rt = make_rt(c.dev, PTO_DEPS_AUTO, 64, state);
	assert_int_equal(pto_run(rt, orch_kinds, &c), 0);
	tr = pto__trace_last(rt);
	assert_non_null(tr);
	expect_fanin(tr, 0, NULL, 0);
	expect_fanin(tr, 1, (int64_t[]){ id[0] }, 1);
	expect_fanin(tr, 2, NULL, 0);
	expect_fanin(tr, 3, NULL, 0);
	expect_fanin(tr, 4, (int64_t[]){ id[0], id[3] }, 2);
	expect_fanin(tr, 5, NULL, 0);
	expect_fanin(tr, 6, (int64_t[]){ id[0], id[3] }, 2);
	expect_fanin(tr, 7, (int64_t[]){ id[6] }, 1);
	expect_fanin(tr, 8, NULL, 0);
	expect_fanin(tr, 9, (int64_t[]){ id[8] }, 1);
	expect_fanin(tr, 10, (int64_t[]){ id[8] }, 1);
	expect_fanin(tr, 11, (int64_t[]){ id[8] }, 1);
	expect_fanin(tr, 12, NULL, 0);
	expect_fanin(tr, 13, (int64_t[]){ id[6] }, 1);
	expect_fanin(tr, 14, (int64_t[]){ id[2] }, 1);
	expect_fanin(tr, 15, (int64_t[]){ id[8] }, 1);
	pto_runtime_destroy(rt);
	pto_device_close(c.dev);
}

/* --- OUTPUT_EXISTING entries and pruning ------------------------------------------ */

static int orch_overwrite(struct pto_runtime *rt, void *p)
{
	struct deps_ctx *c = p;
	struct pto_tensor x = rows(c->x, 0, 8), top = rows(c->x, 0, 4);
	int64_t *id = c->id;

	id[0] = sub1(rt, &x, PTO_ARG_OUTPUT_EXISTING, -1);
	id[1] = sub1(rt, &x, PTO_ARG_OUTPUT_EXISTING, -1);	/* unordered: both stay */
	id[2] = sub1(rt, &x, PTO_ARG_INPUT, -1);		/* -> id1, id0 */
	/* ordered after id2, so after its producers id1 and id0: their entries go */
	id[3] = sub1(rt, &x, PTO_ARG_OUTPUT_EXISTING, id[2]);
	id[4] = sub1(rt, &x, PTO_ARG_INPUT, -1);		/* -> id3 only */
	/* covers only half of id3's region: id3's entry stays */
	id[5] = sub1(rt, &top, PTO_ARG_OUTPUT_EXISTING, id[4]);
	id[6] = sub1(rt, &x, PTO_ARG_INPUT, -1);		/* -> id5, id3 */
	return 0;
}

/* Overwrite x, also writing y (INOUT): y chains the writers. */
static int64_t sub_xy(struct pto_runtime *rt, struct pto_tensor *x, struct pto_tensor *y)
{
	struct pto_args a;
	int64_t id;

	pto_args_init(&a);
	pto_arg_output_existing(&a, x);
	pto_arg_inout(&a, y);
	id = pto_submit_aiv(rt, K_NOP_AIV, &a);
	assert_true(id >= 0);
	return id;
}

/*
 * Two overwrites of x ordered only through a chain of @c->id[31] INOUT tasks
 * on y: id[0] and id[1] are the overwrites, id[2] reads x.
 */
static int orch_overwrite_far(struct pto_runtime *rt, void *p)
{
	struct deps_ctx *c = p;
	struct pto_tensor x = rows(c->x, 0, 8), y = rows(c->y, 0, 8);

	c->id[0] = sub_xy(rt, &x, &y);
	for (int64_t i = 0; i < c->id[31]; i++)
		sub1(rt, &y, PTO_ARG_INOUT, -1);
	c->id[1] = sub_xy(rt, &x, &y);
	c->id[2] = sub1(rt, &x, PTO_ARG_INPUT, -1);
	return 0;
}

/*
 * OUTPUT_EXISTING does not wait for earlier writers, so a reader depends on
 * all of them, unless the new writer is ordered after them (within the 64
 * tasks before it, transitively): then its entry stands for theirs.
 */
static void test_output_existing(void **state)
{
	struct deps_ctx c = { 0 };
	struct pto_runtime *rt;
	const struct pto_trace *tr;
	int64_t *id = c.id;

	c.dev = rt_open_dev(2);
	c.x = rt_buf(c.dev, 64, 1);
	rt = make_rt(c.dev, PTO_DEPS_AUTO, 64, state);
	assert_int_equal(pto_run(rt, orch_overwrite, &c), 0);
	tr = pto__trace_last(rt);
	expect_fanin(tr, 1, NULL, 0);
	expect_fanin(tr, 2, (int64_t[]){ id[1], id[0] }, 2);
	expect_fanin(tr, 3, (int64_t[]){ id[2] }, 1);
	expect_fanin(tr, 4, (int64_t[]){ id[3] }, 1);
	expect_fanin(tr, 6, (int64_t[]){ id[5], id[3] }, 2);
	pto_runtime_destroy(rt);
	/* a window that holds the 73 tasks of the outer scope below */
	rt = make_rt(c.dev, PTO_DEPS_AUTO, 256, state);
	/* ordered through a chain of 20 tasks: the reader needs only the last writer */
	c.y = rt_buf(c.dev, 64, 2);
	id[31] = 20;
	assert_int_equal(pto_run(rt, orch_overwrite_far, &c), 0);
	tr = pto__trace_last(rt);
	expect_fanin(tr, 22, (int64_t[]){ id[1] }, 1);
	/* 70 tasks apart: beyond what the orchestrator remembers, both stay */
	id[31] = 70;
	assert_int_equal(pto_run(rt, orch_overwrite_far, &c), 0);
	tr = pto__trace_last(rt);
	expect_fanin(tr, 72, (int64_t[]){ id[1], id[0] }, 2);
	pto_runtime_destroy(rt);
	pto_device_close(c.dev);
}

/* --- scope references ------------------------------------------------------------ */

static int orch_scope_ref(struct pto_runtime *rt, void *p)
{
	struct deps_ctx *c = p;
	struct pto_tensor y = rows(c->y, 0, 8);
	uint32_t idx[2] = { 0, 0 }, v;

	assert_int_equal(pto_scope_begin(rt, PTO_SCOPE_AUTO), 0);
	c->id[0] = sub1(rt, &y, PTO_ARG_INOUT, -1);
	/* ring 1: the scope's own depth */
	assert_int_equal(c->id[0] >> 32, 1);
	/* wait for it to complete: it stays alive while its scope holds it */
	assert_int_equal(pto_tensor_read(rt, &y, idx, &v), 0);
	assert_int_equal(__atomic_load_n(&rt->hdr->ctl[1].last_task_alive, __ATOMIC_ACQUIRE), 0);
	assert_int_equal(rt->hdr->ctl[1].current_task_index, 1);
	assert_int_equal(pto_scope_end(rt), 0);
	/*
	 * Completed and its last reference released: it retires lazily either
	 * way (inline, with the next batch of consumed tasks; the wiring
	 * thread, on its own passes), and always once the orchestrator waits
	 * for the ring or the run ends: test_scope_reference(), and
	 * test_backpressure.c for the wait.
	 */
	/* depth 2 and 4 use rings 2 and 3 */
	PTO_SCOPE(rt) {
		PTO_SCOPE(rt) {
			assert_int_equal(sub1(rt, &y, PTO_ARG_INOUT, -1) >> 32, 2);
			PTO_SCOPE(rt) {
				PTO_SCOPE(rt) {
					assert_int_equal(sub1(rt, &y, PTO_ARG_INOUT, -1) >> 32, 3);
				}
			}
		}
	}
	return 0;
}

static void test_scope_reference(void **state)
{
	struct deps_ctx c = { 0 };
	struct pto_runtime *rt;

	c.dev = rt_open_dev(1);
	c.y = rt_buf(c.dev, 64, 2);
	rt = make_rt(c.dev, PTO_DEPS_AUTO, 64, state);
	assert_int_equal(pto_run(rt, orch_scope_ref, &c), 0);
	/* at the end of a run every ring's watermark is published */
	rt_assert_run_clean(rt);
	assert_int_equal(rt->hdr->ctl[1].last_task_alive, 1);
	pto_runtime_destroy(rt);
	pto_device_close(c.dev);
}

/* --- manual scopes ---------------------------------------------------------------------- */

static int orch_manual(struct pto_runtime *rt, void *p)
{
	struct deps_ctx *c = p;
	struct pto_tensor x = rows(c->x, 0, 8), y = rows(c->y, 0, 8);
	int64_t *id = c->id;

	id[0] = sub1(rt, &x, PTO_ARG_INOUT, -1);		/* outer writer of x */
	PTO_SCOPE(rt, PTO_SCOPE_MANUAL) {
		id[1] = sub1(rt, &x, PTO_ARG_INPUT, -1);	/* boundary: -> id0 */
		id[2] = sub1(rt, &y, PTO_ARG_INOUT, -1);	/* writer of y inside */
		id[3] = sub1(rt, &y, PTO_ARG_INPUT, -1);	/* same scope: no auto edge */
		assert_int_equal(pto_add_dependency(rt, id[2], id[3]), 0);
		id[4] = sub1(rt, &x, PTO_ARG_INOUT, -1);	/* -> id0; later outer readers see it */
		assert_int_equal(pto_add_dependency(rt, id[1], id[4]), 0);
		/* a retired or outer producer is fine too */
		assert_int_equal(pto_add_dependency(rt, id[0], id[3]), 0);
		c->t_before_end = pto_now_ns();
	}
	id[5] = sub1(rt, &x, PTO_ARG_INPUT, -1);		/* -> id4 */
	id[6] = sub1(rt, &y, PTO_ARG_INPUT, -1);		/* -> id2 (y's writer in the scope) */
	return 0;
}

static void test_manual_scope(void **state)
{
	struct deps_ctx c = { 0 };
	struct pto_runtime *rt;
	const struct pto_trace *tr;
	int64_t *id = c.id;

	c.dev = rt_open_dev(2);
	c.x = rt_buf(c.dev, 64, 1);
	c.y = rt_buf(c.dev, 64, 2);
	rt = make_rt(c.dev, PTO_DEPS_AUTO, 64, state);
	for (int rep = 0; rep < 20; rep++) {
		assert_int_equal(pto_run(rt, orch_manual, &c), 0);
		tr = pto__trace_last(rt);
		expect_fanin(tr, 1, (int64_t[]){ id[0] }, 1);
		expect_fanin(tr, 2, NULL, 0);
		expect_fanin(tr, 3, NULL, 0);
		expect_fanin(tr, 4, (int64_t[]){ id[0] }, 1);
		/* the scope ended: its tasks may retire before these are submitted */
		expect_edge_or_retired(tr, 5, 4);
		expect_edge_or_retired(tr, 6, 2);
		/* manual tasks start only after the scope published them */
		for (int i = 1; i <= 4; i++)
			assert_true(tr->tasks[i].t_ready >= c.t_before_end);
		/* explicit edges hold */
		assert_true(tr->tasks[3].t_ready >= tr->tasks[2].t_complete);
		assert_true(tr->tasks[4].t_ready >= tr->tasks[1].t_complete);
	}
	pto_runtime_destroy(rt);
	pto_device_close(c.dev);
}

/* --- a manual scope's created tensor lives until its last user completed ---------------- */

#define K_GATE		10	/* AIV: returns once g_gate is set */
#define X_ELEMS		512
#define D_ELEMS		256
#define X_VALUE		0x1234u

static int g_gate;

static int k_gate(const struct pto_kernel_ctx *ctx)
{
	(void)ctx;
	/* acquire: pairs with the release store in open_gate() */
	while (!__atomic_load_n(&g_gate, __ATOMIC_ACQUIRE))
		usleep(100);
	return 0;
}

struct retain_ctx {
	struct pto_runtime *rt;
	uint64_t res, bflag;
	int stop;
	pthread_t th;
};

static int64_t mix(struct pto_runtime *rt, struct pto_tensor *out, enum pto_arg_kind kind,
		   struct pto_tensor *in, uint32_t c)
{
	struct pto_args a;

	pto_args_init(&a);
	pto_arg_tensor(&a, out, kind);
	if (in)
		pto_arg_input(&a, in);
	pto_arg_scalar(&a, 2);
	pto_arg_scalar(&a, c);
	pto_arg_scalar(&a, 1);	/* fresh: out = in + c */
	return pto_submit_aiv(rt, K_MIX_AIV, &a);
}

/*
 * Opens the gate once the tasks before it completed (the bug: they could
 * all run) or the orchestrator has waited on ring 1 for 200 ms (the fix:
 * the heap block they need is still held by C).
 */
static void *open_gate(void *p)
{
	struct retain_ctx *c = p;
	struct pto_runtime *rt = c->rt;
	uint32_t waited = 0;

	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE) && waited < 2000) {
		/* A, B, D1, D2 */
		if (__atomic_load_n(&rt->completed, __ATOMIC_ACQUIRE) >= 4)
			break;
		if (__atomic_load_n(&rt->rings[1].orch_wake_la, __ATOMIC_ACQUIRE) != PTO_NO_WAITER)
			waited++;
		else
			waited = 0;
		usleep(100);
	}
	/* release: pairs with the gate kernel's acquire */
	__atomic_store_n(&g_gate, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Issue 12 C: A creates x in a MANUAL scope; B depends on A; C reads x and
 * depends on B and on the slow S of ring 0, not on A.  Once B completed, A
 * used to retire and its heap block be reused by D2 (a later scope's
 * output) before C read x.
 */
static int orch_retain(struct pto_runtime *rt, void *p)
{
	struct retain_ctx *c = p;
	uint32_t xs[1] = { X_ELEMS }, ds[1] = { D_ELEMS }, idx[1] = { 0 }, v;
	struct pto_tensor x, res, bflag, d1, d2;
	struct pto_args a;
	int64_t s, ta, tb, tc;

	/* started here: pto_run() resets the runtime fields it watches */
	assert_int_equal(pthread_create(&c->th, NULL, open_gate, c), 0);
	assert_int_equal(pto_tensor_external(&res, c->res, PTO2_DTYPE_I32, 1, xs), 0);
	assert_int_equal(pto_tensor_external(&bflag, c->bflag, PTO2_DTYPE_I32, 1, ds), 0);
	pto_args_init(&a);
	s = pto_submit_aiv(rt, K_GATE, &a);
	assert_true(s >= 0);
	PTO_SCOPE(rt, PTO_SCOPE_MANUAL) {
		assert_int_equal(pto_tensor_create(&x, PTO2_DTYPE_I32, 1, xs), 0);
		ta = mix(rt, &x, PTO_ARG_OUTPUT, NULL, X_VALUE);
		pto_args_init(&a);
		pto_arg_inout(&a, &bflag);
		tb = pto_submit_aic(rt, K_NOP_AIC, &a);
		tc = mix(rt, &res, PTO_ARG_OUTPUT_EXISTING, &x, 0);
		assert_true(ta >= 0 && tb >= 0 && tc >= 0);
		assert_int_equal(pto_add_dependency(rt, ta, tb), 0);
		assert_int_equal(pto_add_dependency(rt, tb, tc), 0);
		assert_int_equal(pto_add_dependency(rt, s, tc), 0);
	}
	/* B done (so A released by it); C still waits for S */
	assert_int_equal(pto_tensor_read(rt, &bflag, idx, &v), 0);
	PTO_SCOPE(rt) {
		/* D1 fills the top of ring 1's heap, D2 wraps to where x lives */
		assert_int_equal(pto_tensor_create(&d1, PTO2_DTYPE_I32, 1, ds), 0);
		assert_int_equal(pto_tensor_create(&d2, PTO2_DTYPE_I32, 1, ds), 0);
		assert_true(mix(rt, &d1, PTO_ARG_OUTPUT, NULL, 0xdead) >= 0);
		assert_true(mix(rt, &d2, PTO_ARG_OUTPUT, NULL, 0xbeef) >= 0);
	}
	return 0;
}

static void test_manual_creator_retention(void **state)
{
	struct pto_runtime_config cfg;
	struct pto_device *dev = NULL;
	struct pto_runtime *rt;
	struct retain_ctx c = { 0 };
	uint32_t *h;
	int bad = 0;

	/* a worker per core: the gate blocks only its own core */
	assert_int_equal(pto_device_open("mock:clusters=2,mem=512M,workers=6", &dev), 0);
	rt_test_config(&cfg, 64);
	/* ring 1: A, B, C and D1 fill it; D2 fits only where A's block was */
	cfg.heap_size[1] = 4096;
	cfg.wiring = rt_test_wiring(state);
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	rt_register_all(rt);
	assert_int_equal(pto_register_kernel(rt, K_GATE, PTO2_CORE_AIV, k_gate, "gate"), 0);
	c.rt = rt;
	c.res = rt_buf(dev, X_ELEMS, 3);
	c.bflag = rt_buf(dev, D_ELEMS, 4);
	for (int rep = 0; rep < 3; rep++) {
		g_gate = 0;
		c.stop = 0;
		if (pto_run(rt, orch_retain, &c))
			fail_msg("run: %s", pto_last_error());
		__atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
		pthread_join(c.th, NULL);
		h = pto_mem_map(dev, c.res, X_ELEMS * 4);
		for (uint32_t i = 0; i < X_ELEMS; i++)
			bad += h[i] != X_VALUE;
		if (bad)
			fail_msg("run %d: %d of %d elements C read are not what A wrote", rep, bad,
				 X_ELEMS);
	}
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

/* --- manual scopes over reused buffers ---------------------------------------------------- */

#define SW	16	/* stencil cells (rows of 8) */

struct stencil_ctx {
	uint64_t buf[2];
	uint32_t steps, per_scope;
	enum pto_arg_kind kind;	/* OUTPUT_EXISTING (fresh) or INOUT */
	uint64_t t_fail;
};

/* Row @r of an SW x 8 buffer. */
static struct pto_tensor cell(uint64_t addr, uint32_t r)
{
	struct pto_tensor t;
	uint32_t shape[2] = { SW, 8 }, vs[2] = { 1, 8 }, off[2] = { r, 0 };

	assert_int_equal(pto_tensor_external(&t, addr, PTO2_DTYPE_I32, 2, shape), 0);
	assert_int_equal(pto_tensor_view(&t, &t, vs, off), 0);
	return t;
}

/*
 * Step k: cell i of buf[(k+1)%2] = f(cells i, i+1 of buf[k%2]), several
 * steps per MANUAL scope, every same-scope dependency (read-after-write
 * and write-after-read) an explicit edge, the ones across scopes too.
 */
static int orch_stencil(struct pto_runtime *rt, void *p)
{
	struct stencil_ctx *c = p;
	int64_t prev[SW], cur[SW];

	for (uint32_t s = 0; s < c->steps; s += c->per_scope) {
		int ret = 0;

		PTO_SCOPE(rt, PTO_SCOPE_MANUAL) {
			for (uint32_t k = s; k < s + c->per_scope && k < c->steps && !ret; k++) {
				for (uint32_t i = 0; i < SW && !ret; i++) {
					struct pto_tensor o = cell(c->buf[(k + 1) % 2], i);
					struct pto_tensor a = cell(c->buf[k % 2], i);
					struct pto_tensor b = cell(c->buf[k % 2], (i + 1) % SW);
					struct pto_args args;

					pto_args_init(&args);
					pto_arg_tensor(&args, &o, c->kind);
					pto_arg_input(&args, &a);
					pto_arg_input(&args, &b);
					pto_arg_scalar(&args, 2);
					pto_arg_scalar(&args, k);
					pto_arg_scalar(&args, c->kind == PTO_ARG_OUTPUT_EXISTING);
					cur[i] = pto_submit_aiv(rt, K_MIX_AIV, &args);
					if (cur[i] < 0)
						ret = (int)cur[i];
				}
				/* RAW on rows i, i+1 (their writers); WAR on row i (its readers) */
				for (uint32_t i = 0; k && i < SW && !ret; i++) {
					int64_t ps[3] = { prev[i], prev[(i + 1) % SW],
							  prev[(i + SW - 1) % SW] };

					for (int q = 0; q < 3 && !ret; q++)
						ret = pto_add_dependency(rt, ps[q], cur[i]);
				}
				memcpy(prev, cur, sizeof(prev));
			}
		}
		if (ret) {
			c->t_fail = pto_now_ns();
			return ret;
		}
	}
	return 0;
}

/* What the stencil leaves in buf[steps % 2], computed on the host. */
static void stencil_model(struct pto_device *dev, const struct stencil_ctx *c,
			  const uint32_t *init0, const uint32_t *init1)
{
	uint32_t m[2][SW * 8], *h = pto_mem_map(dev, c->buf[c->steps % 2], SW * 8 * 4);

	memcpy(m[0], init0, sizeof(m[0]));
	memcpy(m[1], init1, sizeof(m[1]));
	for (uint32_t k = 0; k < c->steps; k++) {
		uint32_t *in = m[k % 2], *out = m[(k + 1) % 2];

		for (uint32_t i = 0; i < SW; i++)
			for (uint32_t e = 0; e < 8; e++) {
				uint32_t v = c->kind == PTO_ARG_INOUT ? out[i * 8 + e] * 3 : 0;

				out[i * 8 + e] = v + in[i * 8 + e] + 7 * in[((i + 1) % SW) * 8 + e] + k;
			}
	}
	for (uint32_t e = 0; e < SW * 8; e++)
		if (h[e] != m[c->steps % 2][e])
			fail_msg("element %u: %u, want %u", e, h[e], m[c->steps % 2][e]);
}

static void run_stencil(struct pto_device *dev, struct pto_runtime *rt, struct stencil_ctx *c,
			int want)
{
	uint32_t init[2][SW * 8];
	uint64_t t0;
	int ret;

	for (int b = 0; b < 2; b++) {
		uint32_t *h = pto_mem_map(dev, c->buf[b], SW * 8 * 4);

		for (uint32_t e = 0; e < SW * 8; e++)
			h[e] = init[b][e] = b * 1000 + e;
	}
	t0 = pto_now_ns();
	ret = pto_run(rt, orch_stencil, c);
	if (ret != want)
		fail_msg("stencil (%s, %u steps per scope): %d (%s), want %d",
			 c->kind == PTO_ARG_INOUT ? "INOUT" : "OUTPUT_EXISTING", c->per_scope, ret,
			 pto_last_error(), want);
	if (!want)
		stencil_model(dev, c, init[0], init[1]);
	else
		/* a hang guard, not a speed check: refused when it stops, not at the backstop */
		assert_true(c->t_fail - t0 < 5000ull * 1000 * 1000);
}

/*
 * Issue 12 point 3: several OUTPUT_EXISTING steps per manual scope keep the
 * first writers of each cell referenced by every later reader; once the
 * ring is full of them the tasks holding them wait for the scope's end,
 * which the blocked orchestrator can never reach.  Refused when that
 * happens, naming the cause, instead of stalling for the backstop.
 */
static void test_manual_output_existing(void **state)
{
	struct pto_device *dev = rt_open_dev(2);
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;
	struct stencil_ctx c = { .steps = 400, .per_scope = 10, .kind = PTO_ARG_OUTPUT_EXISTING };

	rt_test_config(&cfg, 1024);
	cfg.wiring = rt_test_wiring(state);
	/* the backstop far away: it must not be what ends the run */
	cfg.stall_timeout_ms = 30000;
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	rt_register_all(rt);
	c.buf[0] = rt_buf(dev, SW * 8, 1);
	c.buf[1] = rt_buf(dev, SW * 8, 2);
	run_stencil(dev, rt, &c, PTO_E_SCOPE_DEADLOCK);
	assert_non_null(strstr(pto_last_error(), "ring 1 can never advance"));
	assert_non_null(strstr(pto_last_error(), "(OUTPUT_EXISTING does not, nor a view of "
			       "another shape): write it INOUT there, or end the scope sooner"));
	/* what the message says to write instead runs, with the right result */
	c.kind = PTO_ARG_INOUT;
	run_stencil(dev, rt, &c, 0);
	c.kind = PTO_ARG_OUTPUT_EXISTING;
	c.per_scope = 1;
	run_stencil(dev, rt, &c, 0);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

/* --- explicit-only mode ------------------------------------------------------------------ */

static int orch_explicit(struct pto_runtime *rt, void *p)
{
	struct deps_ctx *c = p;
	struct pto_tensor x = rows(c->x, 0, 8), cr;
	uint32_t shape[2] = { 8, 8 }, idx[2] = { 1, 1 }, v;
	int64_t *id = c->id;

	PTO_SCOPE(rt) {
		id[0] = sub1(rt, &x, PTO_ARG_INOUT, -1);
		id[1] = sub1(rt, &x, PTO_ARG_INOUT, -1);	/* no tracking: no edge */
		assert_int_equal(pto_add_dependency(rt, id[0], id[1]), 0);
		assert_int_equal(pto_tensor_create(&cr, PTO2_DTYPE_I32, 2, shape), 0);
		id[2] = sub1(rt, &cr, PTO_ARG_OUTPUT, -1);
		id[3] = sub1(rt, &cr, PTO_ARG_INPUT, -1);	/* creator retention: -> id2 */
		c->t_before_end = pto_now_ns();
	}
	/* the scope published its tasks: waiting on them ends */
	assert_int_equal(pto_tensor_read(rt, &x, idx, &v), 0);
	return 0;
}

static void test_explicit_mode(void **state)
{
	struct deps_ctx c = { 0 };
	struct pto_runtime *rt;
	const struct pto_trace *tr;

	c.dev = rt_open_dev(2);
	c.x = rt_buf(c.dev, 64, 1);
	rt = make_rt(c.dev, PTO_DEPS_EXPLICIT, 64, state);
	assert_int_equal(pto_run(rt, orch_explicit, &c), 0);
	tr = pto__trace_last(rt);
	expect_fanin(tr, 1, NULL, 0);
	expect_fanin(tr, 3, (int64_t[]){ c.id[2] }, 1);
	for (int i = 0; i < 4; i++)
		assert_true(tr->tasks[i].t_ready >= c.t_before_end);
	assert_true(tr->tasks[1].t_ready >= tr->tasks[0].t_complete);
	pto_runtime_destroy(rt);
	pto_device_close(c.dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		RT_TEST_WIRING(test_arg_kinds),
		RT_TEST_WIRING(test_output_existing),
		RT_TEST_WIRING(test_scope_reference),
		RT_TEST_WIRING(test_manual_scope),
		RT_TEST_WIRING(test_manual_creator_retention),
		RT_TEST_WIRING(test_manual_output_existing),
		RT_TEST_WIRING(test_explicit_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
