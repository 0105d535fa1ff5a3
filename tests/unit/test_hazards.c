// SPDX-License-Identifier: MIT
/*
 * test_hazards.c - write-after-read and write-after-write through
 * OUTPUT_EXISTING: pto_tensor_write() waits for INPUT readers, the three
 * hazard modes (raw, track, check) on small fixed graphs, and their
 * configuration (struct field and $PTO_HAZARDS).
 *
 * A "gate" task (K_GATE, spinning on a host flag) holds the tasks that
 * depend on it unfinished until the orchestrator opens it, so which task
 * is still running at a submit is decided by the graph, not by timing.
 */
#include <pthread.h>
#include <time.h>

#include "rt_test_util.h"

#define K_GATE		20	/* AIV: spins until its NO_DEP flag tensor is non-zero */
#define K_COPY		21	/* AIV: out[i] = in[i] (arg 0 out, arg 1 in) */
#define K_SLOW_COPY	22	/* AIV: sleeps 100 ms, then out[i] = in[i] */
#define N		16

static int k_gate(const struct pto_kernel_ctx *ctx)
{
	uint32_t *flag = pto_kernel_data(ctx, 0);
	struct timespec ts = { 0, 1000000 };

	/* backstop: a test that forgets to open the gate fails instead of hanging */
	for (int i = 0; i < 20000; i++) {
		/* pairs with gate_open()'s release store */
		if (__atomic_load_n(flag, __ATOMIC_ACQUIRE))
			return 0;
		nanosleep(&ts, NULL);
	}
	return -110;
}

static int k_copy(const struct pto_kernel_ctx *ctx)
{
	uint32_t *o = pto_kernel_data(ctx, 0), *in = pto_kernel_data(ctx, 1);
	uint64_t n = pto_kernel_numel(ctx, 0);

	for (uint64_t i = 0; i < n; i++)
		o[i] = in[i];
	return 0;
}

static int k_slow_copy(const struct pto_kernel_ctx *ctx)
{
	struct timespec ts = { 0, 100000000 };

	nanosleep(&ts, NULL);
	return k_copy(ctx);
}

struct hz {
	struct pto_device *dev;
	struct pto_runtime *rt;
	uint64_t flag, x, y, z;
	int64_t id[2];
	bool wait_w;		/* orch_war(): let W finish before opening the gate */
	int64_t ret;
	char msg[256];
};

static struct pto_tensor vec(uint64_t addr)
{
	struct pto_tensor t;
	uint32_t shape[1] = { N };

	assert_int_equal(pto_tensor_external(&t, addr, PTO2_DTYPE_I32, 1, shape), 0);
	return t;
}

static uint32_t *host(struct hz *h, uint64_t addr)
{
	uint32_t *p = pto_mem_map(h->dev, addr, N * 4);

	assert_non_null(p);
	return p;
}

static void fill(struct hz *h, uint64_t addr, uint32_t v)
{
	uint32_t *p = host(h, addr);

	for (int i = 0; i < N; i++)
		p[i] = v;
}

static void gate_open(struct hz *h)
{
	/* pairs with k_gate()'s acquire load */
	__atomic_store_n(host(h, h->flag), 1, __ATOMIC_RELEASE);
}

static int64_t submit_gate(struct pto_runtime *rt, struct hz *h)
{
	struct pto_tensor f = vec(h->flag);
	struct pto_args a;

	pto_args_init(&a);
	pto_arg_no_dep(&a, &f);
	return pto_submit_aiv(rt, K_GATE, &a);
}

/* copy @in (kind INPUT) into @out (kind @okind), after @dep when >= 0 */
static int64_t submit_copy(struct pto_runtime *rt, uint32_t kernel, uint64_t out,
			   enum pto_arg_kind okind, uint64_t in, int64_t dep)
{
	struct pto_tensor o = vec(out), i = vec(in);
	struct pto_args a;

	pto_args_init(&a);
	pto_arg_tensor(&a, &o, okind);
	pto_arg_input(&a, &i);
	if (dep >= 0)
		pto_args_add_dep(&a, dep);
	return pto_submit_aiv(rt, kernel, &a);
}

static void hz_setup(struct hz *h, uint32_t hazards, uint32_t wiring)
{
	struct pto_runtime_config cfg;

	memset(h, 0, sizeof(*h));
	h->dev = rt_open_dev(2);
	rt_test_config(&cfg, 64);
	cfg.hazards = hazards;
	cfg.wiring = wiring;
	assert_int_equal(pto_runtime_create(h->dev, &cfg, &h->rt), 0);
	rt_register_all(h->rt);
	assert_int_equal(pto_register_kernel(h->rt, K_GATE, PTO2_CORE_AIV, k_gate, "gate"), 0);
	assert_int_equal(pto_register_kernel(h->rt, K_COPY, PTO2_CORE_AIV, k_copy, "copy"), 0);
	assert_int_equal(pto_register_kernel(h->rt, K_SLOW_COPY, PTO2_CORE_AIV, k_slow_copy,
					     "slow_copy"), 0);
	h->flag = rt_buf(h->dev, N, 0);
	h->x = rt_buf(h->dev, N, 0);
	h->y = rt_buf(h->dev, N, 0);
	h->z = rt_buf(h->dev, N, 0);
	fill(h, h->flag, 0);
	fill(h, h->x, 1);
	fill(h, h->y, 0);
	fill(h, h->z, 0);
}

static void hz_teardown(struct hz *h)
{
	pto_runtime_destroy(h->rt);
	pto_device_close(h->dev);
}

/* --- D: pto_tensor_write() waits for INPUT readers ----------------------------- */

/* y = x by a slow task reading x as INPUT; then the orchestrator writes x[0] = 2 */
static int orch_write_after_input(struct pto_runtime *rt, void *p)
{
	struct hz *h = p;
	struct pto_tensor x = vec(h->x);
	uint32_t idx[1] = { 0 }, v = 2;
	int64_t id = submit_copy(rt, K_SLOW_COPY, h->y, PTO_ARG_OUTPUT_EXISTING, h->x, -1);

	if (id < 0)
		return (int)id;
	return pto_tensor_write(rt, &x, idx, &v);
}

/*
 * Opens the gate once the orchestrator's write landed in x (no wait: the
 * bug) or after 300 ms (it is waiting for the gated reader, as it must).
 */
static void *gate_opener(void *p)
{
	struct hz *h = p;
	struct timespec ts = { 0, 1000000 };

	for (int i = 0; i < 300; i++) {
		if (__atomic_load_n(&host(h, h->x)[0], __ATOMIC_ACQUIRE) != 1)
			break;
		nanosleep(&ts, NULL);
	}
	gate_open(h);
	return NULL;
}

/* The same with the reader held behind the gate: the verdict does not depend on timing. */
static int orch_write_after_gated_input(struct pto_runtime *rt, void *p)
{
	struct hz *h = p;
	struct pto_tensor x = vec(h->x);
	uint32_t idx[1] = { 0 }, v = 2;
	int64_t g = submit_gate(rt, h), id;
	pthread_t th;
	int ret;

	if (g < 0)
		return (int)g;
	id = submit_copy(rt, K_COPY, h->y, PTO_ARG_OUTPUT_EXISTING, h->x, g);
	if (id < 0) {
		gate_open(h);
		return (int)id;
	}
	assert_int_equal(pthread_create(&th, NULL, gate_opener, h), 0);
	ret = pto_tensor_write(rt, &x, idx, &v);
	pthread_join(th, NULL);
	return ret;
}

static void test_write_waits_for_input_reader(void **state)
{
	struct hz h;

	hz_setup(&h, PTO_HAZARDS_RAW, rt_test_wiring(state));
	assert_int_equal(pto_run(h.rt, orch_write_after_gated_input, &h), 0);
	/* the reader saw the value before the write, the write landed */
	assert_int_equal(host(&h, h.y)[0], 1);
	assert_int_equal(host(&h, h.x)[0], 2);
	/* and without a gate, behind a slow kernel */
	fill(&h, h.x, 1);
	fill(&h, h.y, 0);
	assert_int_equal(pto_run(h.rt, orch_write_after_input, &h), 0);
	assert_int_equal(host(&h, h.y)[0], 1);
	assert_int_equal(host(&h, h.x)[0], 2);
	hz_teardown(&h);
}

/* --- 8: the three modes on one write-after-read ----------------------------------- */

/*
 * R (gated) copies x into y; W overwrites x with z (= 0) as @wkind, not
 * ordered after R.  Then the gate opens.
 */
static int orch_war(struct pto_runtime *rt, void *p, enum pto_arg_kind wkind)
{
	struct hz *h = p;
	int64_t g = submit_gate(rt, h);

	if (g < 0)
		return (int)g;
	h->id[0] = submit_copy(rt, K_COPY, h->y, PTO_ARG_OUTPUT_EXISTING, h->x, g);
	if (h->id[0] < 0)
		return (int)h->id[0];
	h->id[1] = submit_copy(rt, K_COPY, h->x, wkind, h->z, -1);
	h->ret = h->id[1];
	snprintf(h->msg, sizeof(h->msg), "%s", pto_last_error());
	if (h->ret < 0) {
		gate_open(h);
		return (int)h->ret;
	}
	/* raw: let W finish before R may start, so R surely reads W's data */
	if (h->wait_w) {
		struct pto_tensor x = vec(h->x);
		uint32_t idx[1] = { 0 }, v;
		int ret = pto_tensor_read(rt, &x, idx, &v);

		if (ret)
			return ret;
	}
	gate_open(h);
	return 0;
}

static int orch_war_oe(struct pto_runtime *rt, void *p)
{
	return orch_war(rt, p, PTO_ARG_OUTPUT_EXISTING);
}

static int orch_war_inout(struct pto_runtime *rt, void *p)
{
	return orch_war(rt, p, PTO_ARG_INOUT);
}

static void test_raw_mode_lets_war_through(void **state)
{
	struct hz h;

	(void)state;
	hz_setup(&h, PTO_HAZARDS_RAW, 0);
	h.wait_w = true;
	assert_int_equal(pto_run(h.rt, orch_war_oe, &h), 0);
	/* the documented hazard: R read W's data */
	assert_int_equal(host(&h, h.y)[0], 0);
	hz_teardown(&h);
}

static void test_track_mode_orders_war(void **state)
{
	struct hz h;

	hz_setup(&h, PTO_HAZARDS_TRACK, rt_test_wiring(state));
	assert_int_equal(pto_run(h.rt, rt_test_wiring(state) ? orch_war_inout : orch_war_oe, &h), 0);
	/* W waited for R: R read the old x */
	assert_int_equal(host(&h, h.y)[0], 1);
	assert_int_equal(host(&h, h.x)[0], 0);
	hz_teardown(&h);
}

static void test_check_mode_reports_war(void **state)
{
	struct hz h;
	char want[256];

	(void)state;
	hz_setup(&h, PTO_HAZARDS_CHECK, 0);
	assert_int_equal(pto_run(h.rt, orch_war_inout, &h), PTO_E_HAZARD);
	assert_int_equal(h.ret, PTO_E_HAZARD);
	/* W would have been the next task of ring 0 */
	snprintf(want, sizeof(want), "pto_submit: write-after-read hazard: task %" PRId64
		 " ('copy') writes argument 0 (buffer 0x%" PRIx64 " offsets [0] shape [16]) that "
		 "unfinished task %" PRId64 " ('copy') read, and is not ordered after it",
		 h.id[0] + 1, h.x, h.id[0]);
	assert_string_equal(h.msg, want);
	assert_non_null(strstr(pto_last_error(), "write-after-read hazard"));
	/* the runtime runs again */
	fill(&h, h.flag, 0);
	assert_int_equal(pto_run(h.rt, orch_write_after_input, &h), 0);
	hz_teardown(&h);
}

/* OUTPUT_EXISTING after an unfinished, unordered writer of the region */
static int orch_waw(struct pto_runtime *rt, void *p)
{
	struct hz *h = p;
	int64_t g = submit_gate(rt, h);

	if (g < 0)
		return (int)g;
	h->id[0] = submit_copy(rt, K_COPY, h->x, PTO_ARG_OUTPUT_EXISTING, h->y, g);
	if (h->id[0] < 0)
		return (int)h->id[0];
	h->ret = submit_copy(rt, K_COPY, h->x, PTO_ARG_OUTPUT_EXISTING, h->z, -1);
	snprintf(h->msg, sizeof(h->msg), "%s", pto_last_error());
	gate_open(h);
	return h->ret < 0 ? (int)h->ret : 0;
}

static void test_check_mode_reports_waw(void **state)
{
	struct hz h;

	(void)state;
	hz_setup(&h, PTO_HAZARDS_CHECK, 0);
	assert_int_equal(pto_run(h.rt, orch_waw, &h), PTO_E_HAZARD);
	assert_non_null(strstr(h.msg, "write-after-write hazard"));
	assert_non_null(strstr(h.msg, "that unfinished task"));
	assert_non_null(strstr(h.msg, "('copy') wrote"));
	hz_teardown(&h);
}

/*
 * Orderings the check must see: a direct edge, a chain through a task of
 * an inner scope (another ring), and a reader that already finished.
 */
static int orch_ordered(struct pto_runtime *rt, void *p)
{
	struct hz *h = p;
	struct pto_tensor x = vec(h->x);
	uint32_t idx[1] = { 0 }, v;
	int64_t g = submit_gate(rt, h), r, mid, w;
	int ret;

	if (g < 0)
		return (int)g;
	/* direct: W names R */
	r = submit_copy(rt, K_COPY, h->y, PTO_ARG_OUTPUT_EXISTING, h->x, g);
	w = submit_copy(rt, K_COPY, h->x, PTO_ARG_INOUT, h->z, r);
	if (r < 0 || w < 0)
		return -1;
	/* transitive, across rings: R -> mid (inner scope, reads y = R's output) -> W */
	r = submit_copy(rt, K_COPY, h->y, PTO_ARG_OUTPUT_EXISTING, h->x, g);
	ret = pto_scope_begin(rt, PTO_SCOPE_AUTO);
	if (ret)
		return ret;
	mid = submit_copy(rt, K_COPY, h->z, PTO_ARG_OUTPUT_EXISTING, h->y, -1);
	ret = pto_scope_end(rt);
	if (ret || mid < 0 || mid >> 32 != 1)
		return -2;
	w = submit_copy(rt, K_COPY, h->x, PTO_ARG_INOUT, h->z, -1);
	if (w < 0)
		return (int)w;
	/* finished: the reader completed before the writer is submitted */
	gate_open(h);
	ret = pto_tensor_read(rt, &x, idx, &v);
	if (ret)
		return ret;
	r = submit_copy(rt, K_COPY, h->y, PTO_ARG_OUTPUT_EXISTING, h->x, -1);
	if (r < 0)
		return (int)r;
	{
		struct pto_tensor y = vec(h->y);

		ret = pto_tensor_read(rt, &y, idx, &v);
		if (ret)
			return ret;
	}
	w = submit_copy(rt, K_COPY, h->x, PTO_ARG_OUTPUT_EXISTING, h->z, -1);
	return w < 0 ? (int)w : 0;
}

static void test_check_mode_sees_orderings(void **state)
{
	struct hz h;

	(void)state;
	hz_setup(&h, PTO_HAZARDS_CHECK, 0);
	if (pto_run(h.rt, orch_ordered, &h) != 0)
		fail_msg("ordered graph refused: %s", pto_last_error());
	hz_teardown(&h);
}

/* --- configuration ------------------------------------------------------------------ */

static void test_config(void **state)
{
	struct pto_runtime_config cfg;
	struct pto_device *dev;
	struct pto_runtime *rt = NULL;

	(void)state;
	unsetenv("PTO_HAZARDS");
	assert_int_equal(pto_runtime_config_init(&cfg), 0);
	assert_int_equal(cfg.hazards, PTO_HAZARDS_RAW);
	setenv("PTO_HAZARDS", "track", 1);
	assert_int_equal(pto_runtime_config_init(&cfg), 0);
	assert_int_equal(cfg.hazards, PTO_HAZARDS_TRACK);
	setenv("PTO_HAZARDS", "check", 1);
	assert_int_equal(pto_runtime_config_init(&cfg), 0);
	assert_int_equal(cfg.hazards, PTO_HAZARDS_CHECK);
	setenv("PTO_HAZARDS", "raw", 1);
	assert_int_equal(pto_runtime_config_init(&cfg), 0);
	assert_int_equal(cfg.hazards, PTO_HAZARDS_RAW);
	setenv("PTO_HAZARDS", "war", 1);
	assert_int_equal(pto_runtime_config_init(&cfg), -EINVAL);
	assert_string_equal(pto_last_error(), "PTO_HAZARDS='war': expected raw, track or check");
	assert_int_equal(cfg.hazards, PTO_HAZARDS_RAW);
	unsetenv("PTO_HAZARDS");

	dev = rt_open_dev(1);
	rt_test_config(&cfg, 16);
	cfg.hazards = 3;
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), -EINVAL);
	assert_string_equal(pto_last_error(), "pto_runtime_create: bad hazards mode 3 (raw 0, "
			    "track 1, check 2)");
	assert_null(rt);
	pto_device_close(dev);

	assert_string_not_equal(pto_strerror(PTO_E_HAZARD), "unknown status");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		RT_TEST_WIRING(test_write_waits_for_input_reader),
		cmocka_unit_test(test_raw_mode_lets_war_through),
		RT_TEST_WIRING(test_track_mode_orders_war),
		cmocka_unit_test(test_check_mode_reports_war),
		cmocka_unit_test(test_check_mode_reports_waw),
		cmocka_unit_test(test_check_mode_sees_orderings),
		cmocka_unit_test(test_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
