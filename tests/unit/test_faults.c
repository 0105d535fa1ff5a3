// SPDX-License-Identifier: MIT
/*
 * test_faults.c - faults injected through the device spec (fault=...):
 * a hung core, a failing kernel and a slow core end in the named error (or
 * the right result), and the runtime and device are usable afterwards; a
 * slow core does not starve a ready MIX task, and back-pressure that waits
 * on a slow oldest task does not give up while other tasks complete.
 */
#include <unistd.h>

#include "rt_test_util.h"

#include "libpto/core/run.h"
#include "libpto/trace/trace.h"

#define K_SLEEP		10	/* AIV: sleeps scalar 0 milliseconds */

static int k_sleep(const struct pto_kernel_ctx *ctx)
{
	usleep((useconds_t)pto_kernel_scalar(ctx, 0) * 1000);
	return 0;
}

static struct pto_runtime *make_rt(struct pto_device *dev, void **state, uint32_t window,
				   uint32_t core_ms)
{
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;

	rt_test_config(&cfg, window);
	cfg.wiring = rt_test_wiring(state);
	cfg.core_timeout_ms = core_ms;
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	rt_register_all(rt);
	assert_int_equal(pto_register_kernel(rt, K_SLEEP, PTO2_CORE_AIV, k_sleep, "sleep"), 0);
	return rt;
}

/* --- a chain: a = a * 3 + i, on one launch shape ----------------------------------- */

struct chain {
	uint64_t a;
	uint32_t len;
	struct pto_launch l;
	uint32_t mask;
	int64_t ids[64];
};

static int orch_chain(struct pto_runtime *rt, void *p)
{
	struct chain *c = p;
	struct pto_tensor a;
	uint32_t shape[1] = { 16 };

	assert_int_equal(pto_tensor_external(&a, c->a, PTO2_DTYPE_I32, 1, shape), 0);
	for (uint32_t i = 0; i < c->len; i++) {
		struct pto_args args;

		pto_args_init(&args);
		pto_arg_inout(&args, &a);
		pto_arg_scalar(&args, c->mask);
		pto_arg_scalar(&args, i);
		pto_arg_scalar(&args, 0);
		c->ids[i] = pto_submit(rt, &c->l, &args);
		if (c->ids[i] < 0)
			return (int)c->ids[i];
	}
	return 0;
}

static void chain_init(struct chain *c, struct pto_device *dev, bool aic, uint32_t len)
{
	struct pto_launch aiv = { PTO_NO_KERNEL, K_MIX_AIV, PTO_NO_KERNEL, 1, 0 };
	struct pto_launch aicl = { K_MIX_AIC, PTO_NO_KERNEL, PTO_NO_KERNEL, 1, 0 };

	memset(c, 0, sizeof(*c));
	c->a = rt_buf(dev, 16, 4);
	c->len = len;
	c->l = aic ? aicl : aiv;
	c->mask = aic ? 1 : 2;
}

/* Run the chain and check every element; leaves the buffer at its start value. */
static void chain_ok(struct pto_runtime *rt, struct pto_device *dev, struct chain *c)
{
	uint32_t *h = pto_mem_map(dev, c->a, 64);

	for (uint32_t e = 0; e < 16; e++)
		h[e] = 4 * 1000003u + e * 7u;
	assert_int_equal(pto_run(rt, orch_chain, c), 0);
	for (uint32_t e = 0; e < 16; e++) {
		uint32_t v = 4 * 1000003u + e * 7u;

		for (uint32_t i = 0; i < c->len; i++)
			v = v * 3 + i;
		assert_int_equal(h[e], v);
	}
}

/* hang@core0: the one AIC core hangs; the error names it; everything works afterwards. */
static void test_spec_hang(void **state)
{
	struct pto_device *dev = rt_open_spec("mock:clusters=1,workers=2,fault=hang@core0");
	struct pto_runtime *rt = make_rt(dev, state, 16, 300);
	struct chain c;
	char want[96];

	chain_init(&c, dev, true, 5);
	assert_int_equal(pto_run(rt, orch_chain, &c), PTO_E_CORE_HANG);
	snprintf(want, sizeof(want), "core 0 did not finish task %lld (kernel 'mix_aic', block 0) "
		 "within 300 ms", (long long)c.ids[0]);
	assert_non_null(strstr(pto_last_error(), want));
	/* the rule fired once: the same runtime runs the chain right */
	chain_ok(rt, dev, &c);
	pto_runtime_destroy(rt);
	/* a new runtime on the device the hang left behind */
	rt = make_rt(dev, state, 16, 300);
	chain_ok(rt, dev, &c);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
	/* and the same spec again: a new device, its own rule */
	dev = rt_open_spec("mock:clusters=1,workers=2,fault=hang@core0");
	rt = make_rt(dev, state, 16, 300);
	chain_init(&c, dev, true, 5);
	assert_int_equal(pto_run(rt, orch_chain, &c), PTO_E_CORE_HANG);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

/* fail@kernel2:after=5:status=9: the 6th mix_aiv dispatch fails, naming its task. */
static void test_spec_fail_after(void **state)
{
	struct pto_device *dev = rt_open_spec("mock:clusters=2,workers=2,"
					   "fault=fail@kernel2:after=5:status=9");
	struct pto_runtime *rt = make_rt(dev, state, 16, 3000);
	struct chain c;
	char want[96];

	chain_init(&c, dev, false, 10);
	assert_int_equal(pto_run(rt, orch_chain, &c), PTO_E_KERNEL_FAILED);
	snprintf(want, sizeof(want), "task %lld failed: kernel 'mix_aiv' (id 2) returned -9",
		 (long long)c.ids[5]);
	assert_non_null(strstr(pto_last_error(), want));
	chain_ok(rt, dev, &c);
	pto_runtime_destroy(rt);
	rt = make_rt(dev, state, 16, 3000);
	chain_ok(rt, dev, &c);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

/* slow@core1 and slow@kernel1 (every dispatch): right results. */
static void test_spec_slow(void **state)
{
	struct pto_device *dev = rt_open_spec("mock:clusters=1,workers=2,fault=slow@core1:us=3000,"
					   "fault=slow@kernel1:us=2000:after=2");
	struct pto_runtime *rt = make_rt(dev, state, 16, 3000);
	struct chain c;

	chain_init(&c, dev, false, 8);
	chain_ok(rt, dev, &c);
	chain_init(&c, dev, true, 8);
	chain_ok(rt, dev, &c);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

/* --- a ready MIX task behind single-lane tasks on a slow core ---------------------- */

#define MIX_BEFORE	6
#define MIX_AFTER	60

static int orch_mix_behind(struct pto_runtime *rt, void *p)
{
	struct pto_launch nop = { PTO_NO_KERNEL, K_NOP_AIV, PTO_NO_KERNEL, 1, 0 };
	struct pto_launch mix = { K_NOP_AIC, K_NOP_AIV, K_NOP_AIV, 1, 0 };
	struct pto2_core_regs *slow = pto_device_regs(p, 1);
	struct pto_args args;

	for (uint32_t i = 0; i < MIX_BEFORE + 1 + MIX_AFTER; i++) {
		/*
		 * The MIX task arrives once the slow core has its first dispatch
		 * (a fresh device's window says IDLE until then), so its lanes are
		 * busy and the tasks after it could take the fast one.
		 */
		for (int k = 0; i == MIX_BEFORE && k < 5000 &&
		     __atomic_load_n(&slow->data_main_base, __ATOMIC_ACQUIRE) == PTO2_REG_IDLE; k++)
			usleep(1000);
		pto_args_init(&args);
		if (pto_submit(rt, i == MIX_BEFORE ? &mix : &nop, &args) < 0)
			return -EIO;
	}
	return 0;
}

/*
 * One cluster whose AIV0 core takes 100 ms per kernel.  A MIX task needs
 * all three lanes idle at once; without a reservation the single-lane
 * tasks submitted after it keep the fast AIV1 core busy and it starts only
 * when they ran out.  With one, none of them starts before it.
 */
static void test_mix_not_starved(void **state)
{
	struct pto_device *dev = rt_open_spec("mock:clusters=1,workers=3,"
					   "fault=slow@core1:us=100000");
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;
	const struct pto_trace *tr;
	uint64_t t_mix = UINT64_MAX;
	uint32_t overtakers = 0;

	rt_test_config(&cfg, 128);
	cfg.wiring = rt_test_wiring(state);
	cfg.num_schedulers = 1;
	cfg.flags |= PTO_RT_TRACE;
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	rt_register_all(rt);
	assert_int_equal(pto_run(rt, orch_mix_behind, dev), 0);
	tr = pto__trace_last(rt);
	assert_non_null(tr);
	assert_int_equal(tr->sched[0].num_dispatches, MIX_BEFORE + 3 + MIX_AFTER);
	for (uint32_t d = 0; d < tr->sched[0].num_dispatches; d++) {
		const struct pto_trace_dispatch *x = &tr->sched[0].dispatches[d];

		if (x->task_idx == MIX_BEFORE && x->t_dispatch < t_mix)
			t_mix = x->t_dispatch;
	}
	for (uint32_t d = 0; d < tr->sched[0].num_dispatches; d++) {
		const struct pto_trace_dispatch *x = &tr->sched[0].dispatches[d];

		if (x->task_idx > MIX_BEFORE && x->t_dispatch < t_mix)
			overtakers++;
	}
	if (overtakers)
		fail_msg("%u single-lane tasks submitted after the MIX task started before it",
			 overtakers);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

/* --- back-pressure behind a slow oldest task while others complete ------------------ */

#define BP_CHAIN	40

static int orch_slow_head(struct pto_runtime *rt, void *p)
{
	struct pto_launch sleep = { PTO_NO_KERNEL, K_SLEEP, PTO_NO_KERNEL, 1, 0 };
	struct pto_tensor a;
	struct pto_args args;
	uint32_t shape[1] = { 4 };
	uint64_t *buf = p;

	assert_int_equal(pto_tensor_external(&a, *buf, PTO2_DTYPE_I32, 1, shape), 0);
	/* each task in a scope of its own (ring 1), so each can retire once done */
	for (uint32_t i = 0; i <= BP_CHAIN; i++) {
		int64_t id;

		assert_int_equal(pto_scope_begin(rt, PTO_SCOPE_AUTO), 0);
		pto_args_init(&args);
		/* the oldest task: 2.5 s, with nothing depending on it; then a chain of
		 * 100 ms tasks: one completes every 100 ms, 4 s in all */
		if (i)
			pto_arg_inout(&args, &a);
		pto_arg_scalar(&args, i ? 100 : 2500);
		id = pto_submit(rt, &sleep, &args);
		if (id < 0)
			return (int)id;	/* the run's error, not the open scope */
		assert_int_equal(pto_scope_end(rt), 0);
	}
	return 0;
}

/*
 * The window (32) fills behind the 2.5 s task, so the orchestrator waits
 * 2.5 s for the ring to move, longer than the 1 s stall timeout, while a
 * task completes every 100 ms: that is progress, not a stall.
 */
static void test_backpressure_progress(void **state)
{
	struct pto_device *dev = rt_open_spec("mock:clusters=1,workers=3");
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;
	uint64_t buf;

	rt_test_config(&cfg, 32);
	cfg.wiring = rt_test_wiring(state);
	cfg.stall_timeout_ms = 1000;
	cfg.core_timeout_ms = 60000;
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	assert_int_equal(pto_register_kernel(rt, K_SLEEP, PTO2_CORE_AIV, k_sleep, "sleep"), 0);
	buf = rt_buf(dev, 4, 1);
	if (pto_run(rt, orch_slow_head, &buf))
		fail_msg("%s", pto_last_error());
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		RT_TEST_WIRING(test_spec_hang),
		RT_TEST_WIRING(test_spec_fail_after),
		cmocka_unit_test(test_spec_slow),
		RT_TEST_WIRING(test_mix_not_starved),
		cmocka_unit_test(test_backpressure_progress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
