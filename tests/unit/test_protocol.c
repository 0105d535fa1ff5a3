// SPDX-License-Identifier: MIT
/*
 * test_protocol.c - the register protocol between a scheduler and a core:
 * first a core driven step by step (runtime/executor.c, no threads), then
 * cores of a mock device served by the sim/ workers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "runtime/executor.h"
#include "sim_test_util.h"

enum {
	K_STORE = 1,	/* out[scalar1] = identity of the core; returns 0 */
	K_FAIL = 2,	/* returns (int)scalar0 */
	K_BLOCK = 3,	/* waits for *scalar0 != 0, then as K_STORE with scalar1/2 */
	K_SEE_COND = 4,	/* records COND as the kernel sees it */
	K_UNSET = 5,	/* never registered */
};

#define GM_SIZE		(1u << 16)
#define PAYLOAD_AT	4096u
#define OUT_AT		8192u

static uint64_t core_identity(const struct pto_kernel_ctx *ctx)
{
	return 0x1000000ull * ctx->core_type + 0x1000ull * ctx->cluster_id + ctx->core_id + 1;
}

static int k_store(const struct pto_kernel_ctx *ctx)
{
	uint64_t *out = (uint64_t *)(ctx->gm + pto_kernel_scalar(ctx, 0));

	out[pto_kernel_scalar(ctx, 1)] = core_identity(ctx);
	return 0;
}

static int k_fail(const struct pto_kernel_ctx *ctx)
{
	return (int)pto_kernel_scalar(ctx, 0);
}

static int k_block(const struct pto_kernel_ctx *ctx)
{
	uint32_t *flag = (uint32_t *)(ctx->gm + pto_kernel_scalar(ctx, 0));
	uint64_t *out = (uint64_t *)(ctx->gm + pto_kernel_scalar(ctx, 1));
	uint64_t deadline = pto_now_ns() + TEST_WAIT_NS;

	/* pairs with the test's release store of the flag */
	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE)) {
		if (pto_now_ns() > deadline)
			return -ETIMEDOUT;
		usleep(100);
	}
	out[pto_kernel_scalar(ctx, 2)] = core_identity(ctx);
	return 0;
}

static struct pto2_core_regs *see_cond_regs;
static uint32_t seen_cond;

static int k_see_cond(const struct pto_kernel_ctx *ctx)
{
	(void)ctx;
	seen_cond = reg_load_acquire(&see_cond_regs->cond);
	return 0;
}

/* --- one core, driven by hand ------------------------------------------------- */

struct bench {
	struct pto2_core_regs *regs;
	uint8_t *gm;
	pto_kernel_fn kernels[PTO2_MAX_KERNELS];
	struct pto_executor ex;
};

static int bench_setup(void **state)
{
	struct bench *b = calloc(1, sizeof(*b));

	b->regs = aligned_alloc(PTO2_REG_WINDOW_SIZE, PTO2_REG_WINDOW_SIZE);
	b->gm = calloc(1, GM_SIZE);
	memset(b->regs, 0, sizeof(*b->regs));
	b->regs->data_main_base = PTO2_REG_IDLE;
	b->regs->cond = PTO2_COND_IDLE;
	b->regs->payload_addr = PAYLOAD_AT;
	b->regs->core_id = 7;
	b->regs->core_type = PTO2_CORE_AIV;
	b->regs->cluster_id = 2;
	b->kernels[K_STORE] = k_store;
	b->kernels[K_FAIL] = k_fail;
	b->kernels[K_SEE_COND] = k_see_cond;
	pto_exec_init(&b->ex, b->regs, b->gm, GM_SIZE, b->kernels);
	see_cond_regs = b->regs;
	*state = b;
	return 0;
}

static int bench_teardown(void **state)
{
	struct bench *b = *state;

	free(b->regs);
	free(b->gm);
	free(b);
	return 0;
}

static void bench_dispatch(struct bench *b, uint32_t id, uint32_t kernel, uint64_t s0, uint64_t s1)
{
	struct pto2_dispatch_payload *p = (struct pto2_dispatch_payload *)
		(b->gm + PAYLOAD_AT + PTO2_PAYLOAD_SLOT(id) * PTO2_PAYLOAD_SIZE);

	memset(p, 0, sizeof(*p));
	p->kernel_id = kernel;
	p->num_scalars = 2;
	p->args[0] = s0;
	p->args[1] = s1;
	reg_store_release(&b->regs->data_main_base, id);
}

static void test_step_idle_does_nothing(void **state)
{
	struct bench *b = *state;

	assert_int_equal(pto_exec_step(&b->ex), PTO_EXEC_NONE);
	assert_int_equal(b->regs->cond, PTO2_COND_IDLE);
	assert_int_equal(b->regs->exec_count, 0);
}

static void test_step_runs_kernel(void **state)
{
	struct bench *b = *state;
	uint64_t *out = (uint64_t *)(b->gm + OUT_AT);
	uint32_t id = PTO2_DISPATCH_ID(0);

	bench_dispatch(b, id, K_STORE, OUT_AT, 3);
	assert_int_equal(pto_exec_step(&b->ex), PTO_EXEC_TASK);
	assert_int_equal(b->regs->cond, PTO2_COND(1, id));
	assert_int_equal(b->regs->status[PTO2_PAYLOAD_SLOT(id)], 0);
	assert_int_equal(out[3], 0x1000000ull * PTO2_CORE_AIV + 0x1000ull * 2 + 7 + 1);
	assert_int_equal(b->regs->exec_count, 1);
	assert_true(b->regs->start_ns[1] != 0);
	assert_true(b->regs->end_ns[1] >= b->regs->start_ns[1]);
	/* the same id again is not new work */
	assert_int_equal(pto_exec_step(&b->ex), PTO_EXEC_NONE);
	assert_int_equal(b->regs->exec_count, 1);
}

static void test_step_ack_before_kernel(void **state)
{
	struct bench *b = *state;
	uint32_t id = PTO2_DISPATCH_ID(4);

	bench_dispatch(b, id, K_SEE_COND, 0, 0);
	assert_int_equal(pto_exec_step(&b->ex), PTO_EXEC_TASK);
	assert_int_equal(seen_cond, PTO2_COND(0, id));
	assert_int_equal(b->regs->cond, PTO2_COND(1, id));
}

static void test_step_failing_kernel_status(void **state)
{
	struct bench *b = *state;
	uint32_t id1 = PTO2_DISPATCH_ID(0), id2 = PTO2_DISPATCH_ID(1);

	bench_dispatch(b, id1, K_FAIL, (uint64_t)(int64_t)-77, 0);
	assert_int_equal(pto_exec_step(&b->ex), PTO_EXEC_TASK);
	assert_int_equal(b->regs->status[PTO2_PAYLOAD_SLOT(id1)], -77);
	assert_int_equal(b->regs->cond, PTO2_COND(1, id1));
	bench_dispatch(b, id2, K_FAIL, 5, 0);
	assert_int_equal(pto_exec_step(&b->ex), PTO_EXEC_TASK);
	assert_int_equal(b->regs->status[PTO2_PAYLOAD_SLOT(id2)], 5);
	/* the other buffer's status is untouched */
	assert_int_equal(b->regs->status[PTO2_PAYLOAD_SLOT(id1)], -77);
}

static void test_step_unregistered_kernel(void **state)
{
	struct bench *b = *state;
	uint32_t id = PTO2_DISPATCH_ID(0);

	bench_dispatch(b, id, K_UNSET, 0, 0);
	assert_int_equal(pto_exec_step(&b->ex), PTO_EXEC_TASK);
	assert_int_equal(b->regs->status[PTO2_PAYLOAD_SLOT(id)], PTO2_STATUS_NO_KERNEL);
	assert_int_equal(b->regs->cond, PTO2_COND(1, id));
	/* out of the table altogether */
	id = PTO2_DISPATCH_ID(1);
	bench_dispatch(b, id, PTO2_MAX_KERNELS, 0, 0);
	assert_int_equal(pto_exec_step(&b->ex), PTO_EXEC_TASK);
	assert_int_equal(b->regs->status[PTO2_PAYLOAD_SLOT(id)], PTO2_STATUS_NO_KERNEL);
	id = PTO2_DISPATCH_ID(2);
	bench_dispatch(b, id, UINT32_MAX, 0, 0);
	assert_int_equal(pto_exec_step(&b->ex), PTO_EXEC_TASK);
	assert_int_equal(b->regs->status[PTO2_PAYLOAD_SLOT(id)], PTO2_STATUS_NO_KERNEL);
}

static void test_step_bad_payload_addr(void **state)
{
	struct bench *b = *state;
	uint32_t id = PTO2_DISPATCH_ID(0);

	b->regs->payload_addr = GM_SIZE - PTO2_PAYLOAD_SIZE;	/* second buffer outside */
	reg_store_release(&b->regs->data_main_base, id);
	assert_int_equal(pto_exec_step(&b->ex), PTO_EXEC_TASK);
	assert_int_equal(b->regs->status[1], PTO_EXEC_STATUS_BAD_PAYLOAD);
	assert_int_equal(b->regs->cond, PTO2_COND(1, id));
	b->regs->payload_addr = 0;
	id = PTO2_DISPATCH_ID(1);
	reg_store_release(&b->regs->data_main_base, id);
	assert_int_equal(pto_exec_step(&b->ex), PTO_EXEC_TASK);
	assert_int_equal(b->regs->status[0], PTO_EXEC_STATUS_BAD_PAYLOAD);
	b->regs->payload_addr = UINT64_MAX - 100;
	id = PTO2_DISPATCH_ID(2);
	reg_store_release(&b->regs->data_main_base, id);
	assert_int_equal(pto_exec_step(&b->ex), PTO_EXEC_TASK);
	assert_int_equal(b->regs->status[1], PTO_EXEC_STATUS_BAD_PAYLOAD);
}

static void test_step_exit_and_restart(void **state)
{
	struct bench *b = *state;
	uint64_t *out = (uint64_t *)(b->gm + OUT_AT);
	uint32_t id = PTO2_DISPATCH_ID(0);

	bench_dispatch(b, id, K_STORE, OUT_AT, 0);
	assert_int_equal(pto_exec_step(&b->ex), PTO_EXEC_TASK);
	reg_store_release(&b->regs->data_main_base, PTO2_REG_EXIT);
	assert_int_equal(pto_exec_step(&b->ex), PTO_EXEC_EXIT);
	assert_int_equal(b->regs->cond, PTO2_COND_EXITED);
	assert_int_equal(pto_exec_step(&b->ex), PTO_EXEC_NONE);
	/* a new runtime starts its id sequence over: the core takes it */
	out[1] = 0;
	bench_dispatch(b, id, K_STORE, OUT_AT, 1);
	assert_int_equal(pto_exec_step(&b->ex), PTO_EXEC_TASK);
	assert_int_equal(b->regs->cond, PTO2_COND(1, id));
	assert_true(out[1] != 0);
}

static void test_step_reserved_values_are_not_work(void **state)
{
	struct bench *b = *state;
	const uint32_t reserved[] = { 0, PTO2_ID_MAX + 1, PTO2_REG_IDLE, PTO2_ID_EXIT_ACK,
				      PTO2_ID_CORE_IDLE, 0x80000001u, UINT32_MAX };

	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		reg_store_release(&b->regs->data_main_base, reserved[i]);
		assert_int_equal(pto_exec_step(&b->ex), PTO_EXEC_NONE);
	}
	assert_int_equal(b->regs->cond, PTO2_COND_IDLE);
	assert_int_equal(b->regs->exec_count, 0);
}

static void test_id_wrap_keeps_parity(void **state)
{
	(void)state;
	/* ids stay in range and keep alternating buffers across the wrap */
	uint64_t n = PTO2_ID_SPAN - 2;

	for (int i = 0; i < 4; i++, n++) {
		uint32_t a = PTO2_DISPATCH_ID(n), c = PTO2_DISPATCH_ID(n + 1);

		assert_true(a >= PTO2_ID_MIN && a <= PTO2_ID_MAX);
		assert_int_not_equal(a, c);
		assert_int_not_equal(PTO2_PAYLOAD_SLOT(a), PTO2_PAYLOAD_SLOT(c));
	}
	assert_int_equal(PTO2_DISPATCH_ID(PTO2_ID_SPAN), PTO2_ID_MIN);
}

/* --- cores of a mock device ----------------------------------------------------- */

struct dev_fixture {
	struct pto_device *dev;
	uint64_t out;		/* device address of a u64 array */
	uint64_t flag;		/* device address of a u32 */
	uint64_t *out_host;
	uint32_t *flag_host;
};

static int dev_setup(void **state)
{
	struct dev_fixture *f = calloc(1, sizeof(*f));

	if (pto_device_open("mock:clusters=2,workers=2,mem=4M", &f->dev))
		return -1;
	if (pto_mem_alloc(f->dev, 4096, 0, &f->out) || pto_mem_alloc(f->dev, 64, 0, &f->flag))
		return -1;
	f->out_host = pto_mem_map(f->dev, f->out, 4096);
	f->flag_host = pto_mem_map(f->dev, f->flag, 4);
	memset(f->out_host, 0, 4096);
	*f->flag_host = 0;
	pto__device_set_kernel(f->dev, K_STORE, k_store);
	pto__device_set_kernel(f->dev, K_FAIL, k_fail);
	pto__device_set_kernel(f->dev, K_BLOCK, k_block);
	*state = f;
	return 0;
}

static int dev_teardown(void **state)
{
	struct dev_fixture *f = *state;

	pto_device_close(f->dev);
	free(f);
	return 0;
}

static void test_dev_every_core_runs(void **state)
{
	struct dev_fixture *f = *state;
	struct pto_device_info info;

	assert_int_equal(pto_device_get_info(f->dev, &info), 0);
	assert_int_equal(info.num_cores, 6);
	for (uint32_t c = 0; c < info.num_cores; c++) {
		uint64_t s[2] = { f->out, c };

		test_dispatch(f->dev, c, PTO2_DISPATCH_ID(0), K_STORE, s, 2);
	}
	for (uint32_t c = 0; c < info.num_cores; c++) {
		struct pto2_core_regs *r = pto_device_regs(f->dev, c);
		uint32_t type = PTO2_CORE_TYPE(2, c), cl = PTO2_CORE_CLUSTER(2, c);

		assert_true(test_wait_cond(f->dev, c, PTO2_COND(1, PTO2_DISPATCH_ID(0))));
		assert_int_equal(r->status[PTO2_PAYLOAD_SLOT(PTO2_DISPATCH_ID(0))], 0);
		assert_int_equal(f->out_host[c], 0x1000000ull * type + 0x1000ull * cl + c + 1);
	}
}

static void test_dev_sequence_and_status(void **state)
{
	struct dev_fixture *f = *state;
	const uint32_t core = 4;

	for (uint32_t n = 0; n < 50; n++) {
		uint32_t id = PTO2_DISPATCH_ID(n);
		uint64_t s[2] = { (uint64_t)-(int64_t)(n + 1), 0 };

		test_dispatch(f->dev, core, id, K_FAIL, s, 1);
		assert_true(test_wait_cond(f->dev, core, PTO2_COND(1, id)));
		assert_int_equal(pto_device_regs(f->dev, core)->status[PTO2_PAYLOAD_SLOT(id)],
				 -(int)(n + 1));
	}
	assert_int_equal(reg_load_relaxed(&pto_device_regs(f->dev, core)->exec_count), 50);
}

static void test_dev_unregistered_kernel(void **state)
{
	struct dev_fixture *f = *state;
	uint32_t id = PTO2_DISPATCH_ID(0);

	test_dispatch(f->dev, 1, id, K_UNSET, NULL, 0);
	assert_true(test_wait_cond(f->dev, 1, PTO2_COND(1, id)));
	assert_int_equal(pto_device_regs(f->dev, 1)->status[1], PTO2_STATUS_NO_KERNEL);
	/* registering it later makes the next dispatch run it */
	pto__device_set_kernel(f->dev, K_UNSET, k_fail);
	id = PTO2_DISPATCH_ID(1);
	{
		uint64_t s[1] = { 9 };

		test_dispatch(f->dev, 1, id, K_UNSET, s, 1);
	}
	assert_true(test_wait_cond(f->dev, 1, PTO2_COND(1, id)));
	assert_int_equal(pto_device_regs(f->dev, 1)->status[0], 9);
	assert_int_equal(pto__device_set_kernel(f->dev, PTO2_MAX_KERNELS, k_fail), -EINVAL);
}

/* ACK while running, then a second dispatch into the other buffer (dual issue). */
static void test_dev_ack_then_pending_dispatch(void **state)
{
	struct dev_fixture *f = *state;
	const uint32_t core = 2;
	uint32_t id1 = PTO2_DISPATCH_ID(0), id2 = PTO2_DISPATCH_ID(1);
	struct pto2_core_regs *r = pto_device_regs(f->dev, core);
	uint64_t s1[3] = { f->flag, f->out, 10 };
	uint64_t s2[2] = { f->out, 11 };

	test_dispatch(f->dev, core, id1, K_BLOCK, s1, 3);
	assert_true(test_wait_cond(f->dev, core, PTO2_COND(0, id1)));
	/* the running buffer is latched: fill the other one */
	test_dispatch(f->dev, core, id2, K_STORE, s2, 2);
	assert_int_equal(reg_load_acquire(&r->cond), PTO2_COND(0, id1));
	assert_int_equal(f->out_host[10], 0);
	/* release the first kernel; pairs with the acquire in k_block */
	__atomic_store_n(f->flag_host, 1, __ATOMIC_RELEASE);
	assert_true(test_wait_cond(f->dev, core, PTO2_COND(1, id2)));
	assert_int_equal(r->status[PTO2_PAYLOAD_SLOT(id1)], 0);
	assert_int_equal(r->status[PTO2_PAYLOAD_SLOT(id2)], 0);
	assert_true(f->out_host[10] != 0);
	assert_true(f->out_host[11] != 0);
	assert_true(r->end_ns[PTO2_PAYLOAD_SLOT(id1)] <= r->start_ns[PTO2_PAYLOAD_SLOT(id2)]);
	assert_int_equal(reg_load_relaxed(&r->exec_count), 2);
}

static void test_dev_exit_acknowledged(void **state)
{
	struct dev_fixture *f = *state;
	uint64_t s[2] = { f->out, 20 };

	for (uint32_t c = 0; c < 6; c++)
		test_exit(f->dev, c);
	for (uint32_t c = 0; c < 6; c++)
		assert_true(test_wait_cond(f->dev, c, PTO2_COND_EXITED));
	/* an exited core takes new work (a new runtime on the same device) */
	test_dispatch(f->dev, 5, PTO2_DISPATCH_ID(0), K_STORE, s, 2);
	assert_true(test_wait_cond(f->dev, 5, PTO2_COND(1, PTO2_DISPATCH_ID(0))));
	assert_true(f->out_host[20] != 0);
}

/* Wait on @key with a 10 s hang guard; true if a wake-up (not the guard) ended it. */
static bool woken(struct pto_device *dev, uint32_t key)
{
	uint64_t t0 = pto_now_ns();

	pto__device_wait_completion(dev, key, t0 + 10000000000ull);
	return pto_now_ns() - t0 < 5000000000ull;
}

static void test_dev_completion_wakes_announced(void **state)
{
	struct dev_fixture *f = *state;
	uint64_t s[2] = { f->out, 30 };
	uint32_t key;

	/* a FIN after the announcement ends the sleep */
	key = pto__device_completion_prepare(f->dev);
	test_dispatch(f->dev, 0, PTO2_DISPATCH_ID(0), K_STORE, s, 2);
	assert_true(test_wait_cond(f->dev, 0, PTO2_COND(1, PTO2_DISPATCH_ID(0))));
	assert_true(woken(f->dev, key));
	/* notify ends it without a FIN */
	key = pto__device_completion_prepare(f->dev);
	pto__device_notify(f->dev);
	assert_true(woken(f->dev, key));
	/*
	 * A notify nobody announced for writes nothing (the point of the
	 * eventcount: the scheduler's line stays shared), and a withdrawn
	 * announcement is gone: the key stays.
	 */
	key = pto__device_completion_prepare(f->dev);
	pto__device_completion_cancel(f->dev);
	pto__device_notify(f->dev);
	assert_int_equal(pto__device_completion_prepare(f->dev), key);
	/* a deadline in the past returns at once (a hang fails the test) */
	pto__device_wait_completion(f->dev, key, pto_now_ns() - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_step_idle_does_nothing, bench_setup, bench_teardown),
		cmocka_unit_test_setup_teardown(test_step_runs_kernel, bench_setup, bench_teardown),
		cmocka_unit_test_setup_teardown(test_step_ack_before_kernel, bench_setup, bench_teardown),
		cmocka_unit_test_setup_teardown(test_step_failing_kernel_status, bench_setup, bench_teardown),
		cmocka_unit_test_setup_teardown(test_step_unregistered_kernel, bench_setup, bench_teardown),
		cmocka_unit_test_setup_teardown(test_step_bad_payload_addr, bench_setup, bench_teardown),
		cmocka_unit_test_setup_teardown(test_step_exit_and_restart, bench_setup, bench_teardown),
		cmocka_unit_test_setup_teardown(test_step_reserved_values_are_not_work, bench_setup, bench_teardown),
		cmocka_unit_test(test_id_wrap_keeps_parity),
		cmocka_unit_test_setup_teardown(test_dev_every_core_runs, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_dev_sequence_and_status, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_dev_unregistered_kernel, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_dev_ack_then_pending_dispatch, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_dev_exit_acknowledged, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_dev_completion_wakes_announced, dev_setup, dev_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
