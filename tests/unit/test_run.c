// SPDX-License-Identifier: MIT
/*
 * test_run.c - tasks run end to end on the mock device: chains, MIX, SPMD,
 * sync-start, a failing kernel, a hung core, running again afterwards,
 * stats, trace records and ring retirement.
 */
#include <unistd.h>

#include "rt_test_util.h"
#include "rt_check.h"

#include "libpto/device/device_impl.h"
#include "libpto/device/mmio.h"
#include "libpto/core/run.h"
#include "libpto/trace/trace.h"
#include "sim/sim.h"

#define N 64

struct chain_arg {
	uint64_t a;		/* N uint32 */
	uint32_t len;
	struct pto_launch launch;
	uint32_t mask;
	int64_t last;
};

/* a = a * 3 + i, len times, as one dependent chain of INOUT tasks */
static int orch_chain(struct pto_runtime *rt, void *p)
{
	struct chain_arg *ca = p;
	struct pto_tensor a;
	uint32_t shape[2] = { 8, N / 8 };

	assert_int_equal(pto_tensor_external(&a, ca->a, PTO2_DTYPE_I32, 2, shape), 0);
	for (uint32_t i = 0; i < ca->len; i++) {
		struct pto_args args;

		pto_args_init(&args);
		pto_arg_inout(&args, &a);
		pto_arg_scalar(&args, ca->mask);
		pto_arg_scalar(&args, i);
		pto_arg_scalar(&args, 0);
		ca->last = pto_submit(rt, &ca->launch, &args);
		if (ca->last < 0)
			return (int)ca->last;
	}
	return 0;
}

static void expect_chain(struct pto_device *dev, uint64_t addr, uint32_t seed, uint32_t len)
{
	uint32_t *h = pto_mem_map(dev, addr, N * 4);

	for (uint32_t e = 0; e < N; e++) {
		uint32_t v = seed * 1000003u + e * 7u;

		for (uint32_t i = 0; i < len; i++)
			v = v * 3 + i;
		assert_int_equal(h[e], v);
	}
}

static void run_chain(struct pto_runtime *rt, struct pto_device *dev, struct pto_launch l,
		      uint32_t mask, uint32_t len)
{
	struct chain_arg ca = { .len = len, .launch = l, .mask = mask };

	ca.a = rt_buf(dev, N, 5);
	assert_int_equal(pto_run(rt, orch_chain, &ca), 0);
	expect_chain(dev, ca.a, 5, len);
	rt_assert_run_clean(rt);
	assert_int_equal(pto_mem_free(dev, ca.a), 0);
}

static void test_chain_aiv_aic(void **state)
{
	struct pto_device *dev = rt_open_dev(2);
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;
	struct pto_launch aiv = { PTO_NO_KERNEL, K_MIX_AIV, PTO_NO_KERNEL, 1, 0 };
	struct pto_launch aic = { K_MIX_AIC, PTO_NO_KERNEL, PTO_NO_KERNEL, 1, 0 };
	struct pto_run_stats st;

	rt_test_config(&cfg, 64);
	cfg.wiring = rt_test_wiring(state);
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	rt_register_all(rt);
	run_chain(rt, dev, aiv, 2, 40);
	assert_int_equal(pto_run_stats(rt, &st), 0);
	assert_int_equal(st.tasks, 40);
	assert_int_equal(st.dispatches, 40);
	assert_true(st.elapsed_ns >= st.orch_ns);
	run_chain(rt, dev, aic, 1, 40);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

static void test_mix_spmd(void **state)
{
	struct pto_device *dev = rt_open_dev(3);
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;
	struct pto_launch mix3 = { K_MIX_AIC, K_MIX_AIV, K_MIX_AIV, 1, 0 };
	struct pto_launch mix2 = { PTO_NO_KERNEL, K_MIX_AIV, K_MIX_AIV, 2, 0 };
	struct pto_launch spmd = { PTO_NO_KERNEL, K_MIX_AIV, PTO_NO_KERNEL, 8, 0 };
	/* 2 blocks fit one scheduler's AIV cores for up to 3 schedulers on 3 clusters */
	struct pto_launch sync = { PTO_NO_KERNEL, K_MIX_AIV, PTO_NO_KERNEL, 2,
				   PTO_LAUNCH_SYNC_START };
	struct pto_launch aiv1 = { PTO_NO_KERNEL, PTO_NO_KERNEL, K_MIX_AIV, 1, 0 };
	struct pto_run_stats st;

	rt_test_config(&cfg, 64);
	cfg.wiring = rt_test_wiring(state);
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	rt_register_all(rt);
	run_chain(rt, dev, mix3, 7, 10);
	assert_int_equal(pto_run_stats(rt, &st), 0);
	assert_int_equal(st.dispatches, 30);
	run_chain(rt, dev, mix2, 6, 10);
	assert_int_equal(pto_run_stats(rt, &st), 0);
	assert_int_equal(st.dispatches, 40);
	/* SPMD with more blocks than the 6 AIV cores: dispatched in waves */
	run_chain(rt, dev, spmd, 2, 10);
	assert_int_equal(pto_run_stats(rt, &st), 0);
	assert_int_equal(st.dispatches, 80);
	run_chain(rt, dev, sync, 2, 10);
	/* a lone AIV1 kernel is an AIV task (lane mask of AIV0 in the kernel) */
	run_chain(rt, dev, aiv1, 2, 5);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}


/* More schedulers than clusters: capped, and the layout says so. */
static void test_schedulers_capped(void **state)
{
	struct pto_device *dev = rt_open_dev(2);
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;
	struct pto_launch aiv = { PTO_NO_KERNEL, K_MIX_AIV, PTO_NO_KERNEL, 1, 0 };

	(void)state;
	rt_test_config(&cfg, 64);
	cfg.num_schedulers = 3;
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	assert_int_equal(rt->num_sched, 2);
	assert_int_equal(rt->plan->num_schedulers, 2);
	assert_non_null(strstr(rt->plan->warnings, "3 schedulers capped to the device's 2 clusters"));
	rt_register_all(rt);
	run_chain(rt, dev, aiv, 2, 8);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

/* Sync-start launches wider than one scheduler's cores: the schedulers pool them. */
static void test_sync_start_across_schedulers(void **state)
{
	struct pto_device *dev = rt_open_dev(3);
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;
	struct pto_launch aiv6 = { PTO_NO_KERNEL, K_MIX_AIV, PTO_NO_KERNEL, 6,
				   PTO_LAUNCH_SYNC_START };
	struct pto_launch aic3 = { K_MIX_AIC, PTO_NO_KERNEL, PTO_NO_KERNEL, 3,
				   PTO_LAUNCH_SYNC_START };
	struct pto_launch mix3 = { K_MIX_AIC, K_MIX_AIV, K_MIX_AIV, 3, PTO_LAUNCH_SYNC_START };
	struct pto_run_stats st;

	(void)state;
	for (uint32_t n = 1; n <= 3; n++) {
		const struct pto_trace *tr;

		rt_test_config(&cfg, 64);
		cfg.num_schedulers = n;
		cfg.flags |= PTO_RT_TRACE;
		assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
		rt_register_all(rt);
		/* every AIV core of the device, every AIC core, every cluster */
		run_chain(rt, dev, aiv6, 2, 12);
		assert_int_equal(pto_run_stats(rt, &st), 0);
		assert_int_equal(st.dispatches, 72);
		/* all blocks of a task were launched by one scheduler, in one go */
		tr = pto__trace_last(rt);
		for (uint32_t k = 0; k < tr->num_tasks; k++) {
			int owner = -1, count = 0;

			for (uint32_t j = 0; j < tr->num_schedulers; j++) {
				for (uint32_t d = 0; d < tr->sched[j].num_dispatches; d++) {
					if (tr->sched[j].dispatches[d].task_idx != k)
						continue;
					assert_true(owner < 0 || owner == (int)j);
					owner = (int)j;
					count++;
				}
			}
			assert_int_equal(count, 6);
		}
		run_chain(rt, dev, aic3, 1, 12);
		run_chain(rt, dev, mix3, 7, 12);
		assert_int_equal(pto_run_stats(rt, &st), 0);
		assert_int_equal(st.dispatches, 108);
		pto_runtime_destroy(rt);
	}
	pto_device_close(dev);
}

static void test_dual_issue_off(void **state)
{
	struct pto_device *dev = rt_open_dev(1);
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;
	struct pto_launch aiv = { PTO_NO_KERNEL, K_MIX_AIV, PTO_NO_KERNEL, 1, 0 };

	(void)state;
	rt_test_config(&cfg, 16);
	cfg.flags |= PTO_RT_NO_DUAL_ISSUE;
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	rt_register_all(rt);
	run_chain(rt, dev, aiv, 2, 12);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

/* --- independent tasks (dual issue fills pending slots) ---------------------------- */

static int orch_independent(struct pto_runtime *rt, void *p)
{
	uint64_t base = *(uint64_t *)p;

	for (uint32_t i = 0; i < 200; i++) {
		struct pto_tensor t;
		struct pto_args args;
		uint32_t shape[1] = { 4 };

		assert_int_equal(pto_tensor_external(&t, base + (uint64_t)i * 16, PTO2_DTYPE_I32,
						     1, shape), 0);
		pto_args_init(&args);
		pto_arg_inout(&args, &t);
		pto_arg_scalar(&args, i % 2 ? 2 : 1);
		pto_arg_scalar(&args, i);
		pto_arg_scalar(&args, 1);
		if ((i % 2 ? pto_submit_aiv(rt, K_MIX_AIV, &args) :
			     pto_submit_aic(rt, K_MIX_AIC, &args)) < 0)
			return -1;
	}
	return 0;
}

static void test_independent(void **state)
{
	struct pto_device *dev = rt_open_dev(2);
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;
	uint64_t base = rt_buf(dev, 800, 1);
	uint32_t *h = pto_mem_map(dev, base, 3200);

	rt_test_config(&cfg, 256);
	cfg.wiring = rt_test_wiring(state);
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	rt_register_all(rt);
	for (int rep = 0; rep < 3; rep++) {
		assert_int_equal(pto_run(rt, orch_independent, &base), 0);
		for (uint32_t i = 0; i < 800; i++)
			assert_int_equal(h[i], i / 4);
		rt_assert_run_clean(rt);
	}
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

/* --- failures ------------------------------------------------------------------------ */

struct fail_arg {
	uint64_t a;
	uint32_t kernel;
	int64_t failing;
};

static int orch_fail(struct pto_runtime *rt, void *p)
{
	struct fail_arg *fa = p;
	struct pto_tensor a;
	uint32_t shape[1] = { 4 };
	int64_t ret = 0;

	assert_int_equal(pto_tensor_external(&a, fa->a, PTO2_DTYPE_I32, 1, shape), 0);
	for (int i = 0; i < 20 && ret >= 0; i++) {
		struct pto_args args;

		pto_args_init(&args);
		pto_arg_inout(&args, &a);
		pto_arg_scalar(&args, 2);
		pto_arg_scalar(&args, 1);
		pto_arg_scalar(&args, 0);
		ret = pto_submit_aiv(rt, i == 5 ? fa->kernel : K_MIX_AIV, &args);
		if (i == 5)
			fa->failing = ret;
	}
	/* later submits see the failure (or all went in before it happened) */
	assert_true(ret >= 0 || ret == PTO_E_ABORTED);
	return 0;
}

static void test_kernel_failure_then_rerun(void **state)
{
	struct pto_device *dev = rt_open_dev(2);
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;
	struct fail_arg fa = { .kernel = K_FAIL };
	struct pto_launch aiv = { PTO_NO_KERNEL, K_MIX_AIV, PTO_NO_KERNEL, 1, 0 };
	char want[64];

	rt_test_config(&cfg, 64);
	cfg.wiring = rt_test_wiring(state);
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	rt_register_all(rt);
	fa.a = rt_buf(dev, 4, 3);
	assert_int_equal(pto_run(rt, orch_fail, &fa), PTO_E_KERNEL_FAILED);
	snprintf(want, sizeof(want), "task %lld failed", (long long)fa.failing);
	assert_non_null(strstr(pto_last_error(), want));
	assert_non_null(strstr(pto_last_error(), "always_fails"));
	/* the same runtime runs again */
	run_chain(rt, dev, aiv, 2, 20);
	assert_int_equal(pto_run(rt, orch_fail, &fa), PTO_E_KERNEL_FAILED);
	pto_runtime_destroy(rt);
	/* and a new one on the same device */
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	rt_register_all(rt);
	run_chain(rt, dev, aiv, 2, 20);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

static int orch_one(struct pto_runtime *rt, void *p)
{
	struct fail_arg *fa = p;
	struct pto_tensor a;
	struct pto_args args;
	uint32_t shape[1] = { 4 };

	assert_int_equal(pto_tensor_external(&a, fa->a, PTO2_DTYPE_I32, 1, shape), 0);
	pto_args_init(&args);
	pto_arg_inout(&args, &a);
	pto_arg_scalar(&args, 1);
	pto_arg_scalar(&args, 1);
	pto_arg_scalar(&args, 0);
	fa->failing = pto_submit_aic(rt, K_MIX_AIC, &args);
	return fa->failing < 0 ? (int)fa->failing : 0;
}

static void test_core_hang_then_rerun(void **state)
{
	struct pto_device *dev = rt_open_dev(1);
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;
	struct fail_arg fa = { 0 };
	struct pto_launch aic = { K_MIX_AIC, PTO_NO_KERNEL, PTO_NO_KERNEL, 1, 0 };
	char want[64];

	rt_test_config(&cfg, 16);
	cfg.wiring = rt_test_wiring(state);
	cfg.core_timeout_ms = 200;
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	rt_register_all(rt);
	fa.a = rt_buf(dev, 4, 3);
	/* one cluster: the only AIC core is core 0 */
	assert_int_equal(pto_sim_set_fault(dev->sim, 0, PTO_SIM_FAULT_HANG, 0), 0);
	assert_int_equal(pto_run(rt, orch_one, &fa), PTO_E_CORE_HANG);
	snprintf(want, sizeof(want), "core 0 did not finish task %lld", (long long)fa.failing);
	assert_non_null(strstr(pto_last_error(), want));
	assert_non_null(strstr(pto_last_error(), "mix_aic"));
	assert_int_equal(pto_sim_set_fault(dev->sim, 0, PTO_SIM_FAULT_NONE, 0), 0);
	run_chain(rt, dev, aic, 1, 10);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

/* K_SPIN_AIV: returns once the test lets it (a kernel that overstays its timeout) */
static int spin_release;

static int k_spin(const struct pto_kernel_ctx *ctx)
{
	(void)ctx;
	while (!__atomic_load_n(&spin_release, __ATOMIC_ACQUIRE))
		usleep(100);
	return 0;
}

static int orch_spin_once(struct pto_runtime *rt, void *p)
{
	struct pto_args a;

	(void)p;
	pto_args_init(&a);
	return pto_submit_aiv(rt, K_SPIN_AIV, &a) < 0 ? -1 : 0;
}

/*
 * A kernel still running after its core timeout keeps its core: the failed
 * run names the core, later runs leave it out (else their first task on it
 * would "hang" behind the old kernel and be blamed for it), and it is back
 * once the kernel returned.  A never-seen kernel runs on a worker, so the
 * scheduler detects the hang.
 */
static void test_core_overstays(void **state)
{
	struct pto_device *dev = rt_open_dev(1);
	struct pto_launch aiv = { PTO_NO_KERNEL, K_MIX_AIV, PTO_NO_KERNEL, 1, 0 };
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;
	uint32_t lost = UINT32_MAX;
	char want[200];

	rt_test_config(&cfg, 16);
	cfg.wiring = rt_test_wiring(state);
	cfg.core_timeout_ms = 200;
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	rt_register_all(rt);
	assert_int_equal(pto_register_kernel(rt, K_SPIN_AIV, PTO2_CORE_AIV, k_spin, "spin"), 0);
	__atomic_store_n(&spin_release, 0, __ATOMIC_RELEASE);
	assert_int_equal(pto_run(rt, orch_spin_once, NULL), PTO_E_CORE_HANG);
	for (uint32_t i = 0; i < rt->num_cores; i++)
		if (rt->cores[i].lost) {
			assert_int_equal(lost, UINT32_MAX);	/* one */
			lost = i;
		}
	assert_int_not_equal(lost, UINT32_MAX);
	snprintf(want, sizeof(want), "core %u did not finish task 0 (kernel 'spin', block 0) "
		 "within 200 ms; core %u did not take EXIT (a kernel still running holds it): "
		 "left out of later runs until it does", lost, lost);
	assert_string_equal(pto_last_error(), want);
	/* the cluster's other AIV core serves the next runs alone */
	run_chain(rt, dev, aiv, 2, 12);
	assert_true(rt->cores[lost].lost);
	/* returned (and took the EXIT waiting for it): back at the next run's start */
	__atomic_store_n(&spin_release, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 2000 && pto_mmio_read32_acquire(&rt->cores[lost].regs->cond) !=
				    PTO2_COND_EXITED; i++)
		usleep(1000);
	run_chain(rt, dev, aiv, 2, 12);
	assert_false(rt->cores[lost].lost);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

/*
 * Closing the device while a worker is still in such a kernel returns
 * (after a bounded wait) instead of joining it for ever, and leaves it the
 * memory it runs on: released later, the kernel returns into live memory.
 */
static void test_close_with_kernel_running(void **state)
{
	struct pto_device *dev = rt_open_dev(1);
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;

	(void)state;
	rt_test_config(&cfg, 16);
	cfg.core_timeout_ms = 100;
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	assert_int_equal(pto_register_kernel(rt, K_SPIN_AIV, PTO2_CORE_AIV, k_spin, "spin"), 0);
	__atomic_store_n(&spin_release, 0, __ATOMIC_RELEASE);
	assert_int_equal(pto_run(rt, orch_spin_once, NULL), PTO_E_CORE_HANG);
	pto_runtime_destroy(rt);
	pto_device_close(dev);	/* before this returned 2 s after the kernel, i.e. never */
	__atomic_store_n(&spin_release, 1, __ATOMIC_RELEASE);
	usleep(20000);		/* the kernel returns and its worker writes FIN, then exits */
}

static int orch_returns_error(struct pto_runtime *rt, void *p)
{
	(void)rt;
	(void)p;
	return -ENOENT;
}

static int orch_returns_positive(struct pto_runtime *rt, void *p)
{
	(void)rt;
	(void)p;
	return 3;
}

static void test_orch_fn_error(void **state)
{
	struct pto_device *dev = rt_open_dev(1);
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;

	rt_test_config(&cfg, 16);
	cfg.wiring = rt_test_wiring(state);
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	assert_int_equal(pto_run(rt, orch_returns_error, NULL), -ENOENT);
	assert_non_null(strstr(pto_last_error(), "returned"));
	/* outside the contract (0 or negative): a failed run, not a success */
	assert_int_equal(pto_run(rt, orch_returns_positive, NULL), -EINVAL);
	assert_string_equal(pto_last_error(), "pto_run: the orchestration function returned 3: "
			    "want 0 or a negative status");
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}


/* --- error returns of the runtime calls themselves ------------------------------- */

struct misuse_arg {
	bool reg;	/* pto_register_kernel(), else a nested pto_run() */
	int ret;	/* what the refused call returned */
};

static int orch_misuse(struct pto_runtime *rt, void *p)
{
	struct misuse_arg *ma = p;

	if (ma->reg)
		ma->ret = pto_register_kernel(rt, K_NOP_AIC, PTO2_CORE_AIC, rt_k_nop, "x");
	else
		ma->ret = pto_run(rt, orch_misuse, p);
	return 0;
}

static int orch_nothing(struct pto_runtime *rt, void *p)
{
	(void)rt;
	(void)p;
	return 0;
}

static int orch_scope_left_open(struct pto_runtime *rt, void *p)
{
	(void)p;
	return pto_scope_begin(rt, PTO_SCOPE_AUTO);
}

static void test_run_misuse(void **state)
{
	struct pto_device *dev = rt_open_dev(1);
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;
	struct misuse_arg ma = { 0 };
	struct pto_sim *sim;

	rt_test_config(&cfg, 16);
	cfg.wiring = rt_test_wiring(state);
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	/*
	 * Calls refused inside the orchestration function fail the run, as
	 * any failing call there does, even when the function goes on to
	 * return 0; the runtime runs again after each.
	 */
	assert_int_equal(pto_run(rt, orch_misuse, &ma), -EBUSY);
	assert_int_equal(ma.ret, -EBUSY);
	assert_string_equal(pto_last_error(), "pto_run: called inside the run's orchestration "
			    "function (nested pto_run)");
	assert_int_equal(pto_run(rt, orch_nothing, NULL), 0);
	ma.reg = true;
	assert_int_equal(pto_run(rt, orch_misuse, &ma), -EBUSY);
	assert_int_equal(ma.ret, -EBUSY);
	assert_string_equal(pto_last_error(), "pto_register_kernel: called inside pto_run() "
			    "(register kernels before the run)");
	assert_int_equal(pto_run(rt, orch_scope_left_open, NULL), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "1 scope(s) still open"));
	/* the runtime runs again */
	assert_int_equal(pto_run(rt, orch_nothing, NULL), 0);
	/* a device whose cores load their own kernels (hardware) takes none from the host */
	sim = dev->sim;
	dev->sim = NULL;
	assert_int_equal(pto_register_kernel(rt, K_NOP_AIC, PTO2_CORE_AIC, rt_k_nop, "x"),
			 -EOPNOTSUPP);
	assert_non_null(strstr(pto_last_error(), "load kernels themselves"));
	dev->sim = sim;
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

#define EXPECT_CREATE_FAILS(assign, needle) do {					\
	struct pto_runtime_config bad = cfg;						\
	struct pto_runtime *none = (struct pto_runtime *)&bad;				\
	bad.assign;									\
	assert_int_equal(pto_runtime_create(dev, &bad, &none), -EINVAL);		\
	assert_null(none);								\
	if (!strstr(pto_last_error(), (needle)))					\
		fail_msg("message '%s' lacks '%s'", pto_last_error(), (needle));	\
} while (0)

static void test_config_errors(void **state)
{
	struct pto_device *dev = rt_open_dev(1);
	struct pto_runtime_config cfg;
	const char *saved = getenv("PTO_SCHEDULERS");
	char *keep = saved ? strdup(saved) : NULL;

	(void)state;
	rt_test_config(&cfg, 16);
	EXPECT_CREATE_FAILS(core_timeout_ms = 0, "core_timeout_ms");
	EXPECT_CREATE_FAILS(trace_records = PTO_TRACE_MAX_TASKS + 1, "trace_records");
	setenv("PTO_SCHEDULERS", "65", 1);
	assert_int_equal(pto_runtime_config_init(&cfg), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "PTO_SCHEDULERS"));
	if (keep)
		setenv("PTO_SCHEDULERS", keep, 1);
	else
		unsetenv("PTO_SCHEDULERS");
	free(keep);
	pto_device_close(dev);
}

static void *last_error_of_new_thread(void *p)
{
	*(bool *)p = pto_last_error()[0] == '\0';
	return NULL;
}

static void test_status_strings(void **state)
{
	static const int codes[] = {
		PTO_E_SCOPE_DEADLOCK, PTO_E_RING_STALL, PTO_E_KERNEL_FAILED, PTO_E_CORE_HANG,
		PTO_E_SYNC_START, PTO_E_DEP_POOL, PTO_E_ABORTED, PTO_E_MANUAL_SCOPE,
		PTO_E_TENSOR_WAIT, PTO_E_NO_KERNEL, PTO_E_RUN_STALL,
	};
	const size_t n = sizeof(codes) / sizeof(codes[0]);
	struct pto_run_stats st;
	bool empty = false;
	pthread_t th;

	(void)state;
	assert_string_equal(pto_strerror(PTO_OK), "success");
	for (size_t i = 0; i < n; i++) {
		const char *m = pto_strerror(codes[i]);

		assert_string_not_equal(m, "unknown status");
		assert_string_not_equal(m, strerror(-codes[i]));
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(m, pto_strerror(codes[j]));
	}
	assert_string_equal(pto_strerror(-ENOENT), strerror(ENOENT));
	assert_string_equal(pto_strerror(1), "unknown status");
	assert_string_equal(pto_strerror(-4096), "unknown status");
	/* the message is per thread: a fresh thread has none */
	assert_int_equal(pto_run_stats(NULL, &st), -EINVAL);
	assert_string_equal(pto_last_error(), "pto_run_stats: NULL runtime");
	assert_int_equal(pthread_create(&th, NULL, last_error_of_new_thread, &empty), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_true(empty);
	assert_string_equal(pto_last_error(), "pto_run_stats: NULL runtime");
}

/* --- blocking reads that cannot finish ---------------------------------------------- */

struct read_arg {
	uint64_t a;
	uint32_t kernel;
	int read_ret;
	uint32_t value;
	int manual_dep;		/* mark the tensor exempt from tracking */
};

static int orch_read_after(struct pto_runtime *rt, void *p)
{
	struct read_arg *ra = p;
	struct pto_tensor a;
	struct pto_args args;
	uint32_t shape[1] = { 4 }, idx[1] = { 2 }, v;
	bool scoped = rt->cfg.dep_mode == PTO_DEPS_EXPLICIT;

	assert_int_equal(pto_tensor_external(&a, ra->a, PTO2_DTYPE_I32, 1, shape), 0);
	pto_tensor_set_manual_dep(&a, ra->manual_dep);
	/* explicit-only mode publishes a scope's tasks at its end: close one first */
	if (scoped)
		assert_int_equal(pto_scope_begin(rt, PTO_SCOPE_AUTO), 0);
	pto_args_init(&args);
	pto_arg_inout(&args, &a);
	pto_arg_scalar(&args, 2);
	pto_arg_scalar(&args, 1);
	pto_arg_scalar(&args, 0);
	assert_true(pto_submit_aiv(rt, ra->kernel, &args) >= 0);
	if (scoped)
		assert_int_equal(pto_scope_end(rt), 0);
	ra->read_ret = pto_tensor_read(rt, &a, idx, &v);
	ra->value = v;
	return 0;
}

/* The AIV cores of the one-cluster device of the read tests hang (or not). */
static void hang_aiv(struct pto_device *dev, enum pto_sim_fault f)
{
	assert_int_equal(pto_sim_set_fault(dev->sim, 1, f, 0), 0);
	assert_int_equal(pto_sim_set_fault(dev->sim, 2, f, 0), 0);
}

/* A runtime for the read tests: 200 ms stall timeout, so a hung writer shows. */
static struct pto_runtime *read_rt(struct pto_device *dev, void **state, uint32_t dep_mode,
				   uint32_t core_timeout_ms)
{
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;

	rt_test_config(&cfg, 16);
	cfg.wiring = rt_test_wiring(state);
	cfg.dep_mode = dep_mode;
	cfg.stall_timeout_ms = 200;
	cfg.core_timeout_ms = core_timeout_ms;
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	rt_register_all(rt);
	return rt;
}

/*
 * Explicit-only mode tracks no writers: a blocking read waits for every
 * published task (here the one writer, with no creator to find it by).
 */
/*
 * A message may wrap the cause it replaces: pto_last_error() as an argument
 * of pto_error_set() (libraries layered on libpto), and inside libpto
 * (pto_mem_alloc()'s reason in pto_runtime_create()'s).  Formatting into the
 * buffer being read garbled both.
 */
static void test_error_wrap(void **state)
{
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;
	struct pto_device *dev;

	(void)state;
	assert_int_equal(pto_error_set(-EIO, "inner %d", 7), -EIO);
	assert_int_equal(pto_error_set(-EIO, "outer: %s", pto_last_error()), -EIO);
	assert_string_equal(pto_last_error(), "outer: inner 7");
	pto_error_set(-EIO, "%s (again)", pto_last_error());
	assert_string_equal(pto_last_error(), "outer: inner 7 (again)");
	pto_error_set(-EIO, "%s", pto_last_error());
	assert_string_equal(pto_last_error(), "outer: inner 7 (again)");

	/* rings larger than the device: the allocator's reason is kept, once */
	assert_int_equal(pto_device_open("mock:clusters=1,mem=1M", &dev), 0);
	pto_runtime_config_init(&cfg);
	cfg.flags |= PTO_RT_QUIET;
	for (int r = 0; r < PTO_NUM_RINGS; r++)
		cfg.heap_size[r] = 1u << 20;
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), -ENOMEM);
	assert_string_equal(pto_last_error(), "pto_runtime_create: cannot allocate 4198400 bytes "
			    "of device memory for the rings (heap_size per ring too large?): "
			    "pto_mem_alloc: 4198400 bytes exceed device memory (1048576): no object "
			    "can be larger than 1044480 bytes (the first page is reserved)");
	pto_device_close(dev);
}

static void test_explicit_tensor_wait(void **state)
{
	struct pto_device *dev = rt_open_dev(1);
	struct pto_runtime *rt = read_rt(dev, state, PTO_DEPS_EXPLICIT, 60000);
	struct read_arg ra = { .kernel = K_MIX_AIV };
	uint32_t *h;

	ra.a = rt_buf(dev, 4, 3);
	h = pto_mem_map(dev, ra.a, 16);
	h[2] = 5;
	/* the read sees the writer's result: 3 * 5 + 1 */
	assert_int_equal(pto_run(rt, orch_read_after, &ra), 0);
	assert_int_equal(ra.read_ret, 0);
	assert_int_equal(ra.value, 16);
	/* the writer hangs: the barrier gives up after the stall timeout */
	hang_aiv(dev, PTO_SIM_FAULT_HANG);
	assert_int_equal(pto_run(rt, orch_read_after, &ra), PTO_E_TENSOR_WAIT);
	assert_int_equal(ra.read_ret, PTO_E_TENSOR_WAIT);
	assert_non_null(strstr(pto_last_error(), "pto_tensor_read: 1 of the 1 published tasks "
			       "did not finish within 200 ms"));
	pto_runtime_destroy(rt);
	/*
	 * An exempt tensor waits only for its creator (none here): the read
	 * returns the old value while the writer hangs, then the hang fails the run.
	 */
	rt = read_rt(dev, state, PTO_DEPS_EXPLICIT, 300);
	ra.manual_dep = 1;
	h[2] = 5;
	hang_aiv(dev, PTO_SIM_FAULT_HANG);
	assert_int_equal(pto_run(rt, orch_read_after, &ra), PTO_E_CORE_HANG);
	assert_int_equal(ra.read_ret, 0);
	assert_int_equal(ra.value, 5);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

static void test_tensor_wait_failures(void **state)
{
	struct pto_device *dev = rt_open_dev(1);
	struct pto_runtime *rt = read_rt(dev, state, PTO_DEPS_AUTO, 60000);
	struct read_arg ra = { .kernel = K_MIX_AIV };
	uint32_t *h;

	ra.a = rt_buf(dev, 4, 3);
	/* the writer hangs: the read gives up after the stall timeout */
	hang_aiv(dev, PTO_SIM_FAULT_HANG);
	assert_int_equal(pto_run(rt, orch_read_after, &ra), PTO_E_TENSOR_WAIT);
	assert_int_equal(ra.read_ret, PTO_E_TENSOR_WAIT);
	assert_non_null(strstr(pto_last_error(), "did not finish within 200 ms"));
	hang_aiv(dev, PTO_SIM_FAULT_NONE);
	/* the writer fails while the orchestrator waits: the wait ends, the run reports the kernel */
	ra.kernel = K_FAIL;
	assert_int_equal(pto_run(rt, orch_read_after, &ra), PTO_E_KERNEL_FAILED);
	assert_int_equal(ra.read_ret, PTO_E_ABORTED);
	/* and a read that works: 3 * v + 1 */
	ra.kernel = K_MIX_AIV;
	h = pto_mem_map(dev, ra.a, 16);
	h[2] = 5;
	assert_int_equal(pto_run(rt, orch_read_after, &ra), 0);
	assert_int_equal(ra.read_ret, 0);
	assert_int_equal(h[2], 16);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

/* --- trace ------------------------------------------------------------------------------- */

static void test_trace_records(void **state)
{
	struct pto_device *dev = rt_open_dev(2);
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;
	struct pto_launch aiv = { PTO_NO_KERNEL, K_MIX_AIV, PTO_NO_KERNEL, 1, 0 };
	const struct pto_trace *tr;
	struct pto_run_stats st;
	uint32_t nd = 0;

	rt_test_config(&cfg, 64);
	cfg.wiring = rt_test_wiring(state);
	cfg.flags |= PTO_RT_TRACE;
	cfg.trace_records = 16;
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	rt_register_all(rt);
	assert_null(pto__trace_last(rt));
	run_chain(rt, dev, aiv, 2, 10);
	tr = pto__trace_last(rt);
	assert_non_null(tr);
	assert_int_equal(tr->num_tasks, 10);
	for (uint32_t i = 0; i < tr->num_tasks; i++) {
		const struct pto_trace_task *t = &tr->tasks[i];

		assert_true(t->t_submit > 0 && t->t_submit <= t->t_publish);
		assert_true(t->t_ready >= t->t_publish);
		assert_true(t->t_complete >= t->t_ready);
		assert_true(t->t_retired >= t->t_complete);
		/* a chain: each task waits for the one before */
		assert_int_equal(t->num_fanin, i ? 1 : 0);
		if (i)
			assert_int_equal(tr->fanin[t->fanin_off], tr->tasks[i - 1].task_id);
	}
	for (uint32_t s = 0; s < tr->num_schedulers; s++) {
		for (uint32_t k = 0; k < tr->sched[s].num_dispatches; k++) {
			const struct pto_trace_dispatch *d = &tr->sched[s].dispatches[k];

			assert_true(d->t_dispatch <= d->t_core_start + 1000);
			assert_true(d->t_core_start <= d->t_core_end);
			assert_true(d->t_core_end <= d->t_observed);
			nd++;
		}
	}
	assert_int_equal(nd, 10);
	/* the wiring thread's lane: it linked every task, then released the root scope's references */
	if (cfg.wiring) {
		uint32_t wired = 0;

		for (uint32_t k = 0; k < tr->num_wiring_phases; k++)
			if (tr->wiring_phases[k].phase == PTO_PHASE_WIRING_WIRE)
				wired += tr->wiring_phases[k].count;
		assert_int_equal(wired, 20);
	} else {
		assert_int_equal(tr->num_wiring_phases, 0);
	}
	assert_int_equal(pto_run_stats(rt, &st), 0);
	assert_int_equal(st.trace_dropped, 0);
	/* 20 tasks into 16 records: 4 dropped and counted */
	run_chain(rt, dev, aiv, 2, 20);
	assert_int_equal(pto_run_stats(rt, &st), 0);
	assert_true(st.trace_dropped >= 4);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		RT_TEST_WIRING(test_chain_aiv_aic),
		RT_TEST_WIRING(test_mix_spmd),
		cmocka_unit_test(test_schedulers_capped),
		cmocka_unit_test(test_sync_start_across_schedulers),
		cmocka_unit_test(test_dual_issue_off),
		RT_TEST_WIRING(test_independent),
		RT_TEST_WIRING(test_kernel_failure_then_rerun),
		RT_TEST_WIRING(test_core_hang_then_rerun),
		RT_TEST_WIRING(test_core_overstays),
		cmocka_unit_test(test_close_with_kernel_running),
		RT_TEST_WIRING(test_orch_fn_error),
		RT_TEST_WIRING(test_run_misuse),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_status_strings),
		cmocka_unit_test(test_error_wrap),
		RT_TEST_WIRING(test_tensor_wait_failures),
		RT_TEST_WIRING(test_explicit_tensor_wait),
		RT_TEST_WIRING(test_trace_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
