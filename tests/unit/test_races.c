// SPDX-License-Identifier: MIT
/*
 * test_races.c - the scheduler's racing interleavings, forced through the
 * seams of libpto/core/test_hooks.h so each test fails deterministically
 * when the guard it covers is removed:
 *  - a late FIN of a multi-dispatch task counted after the task retired and
 *    its slot was reused (issue 12 A: total_sub read before the increment);
 *  - a sync-start lender that read an older request's generation while a
 *    new request opens (issue 12 B: generation and task in one word);
 *  - a consumer whose ring advance arrives while another thread holds the
 *    advance lock (issue 12 point 12: the advance-pending re-check).
 */
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "rt_test_util.h"

#include "libpto/core/run.h"
#include "libpto/core/test_hooks.h"

#define K_SPIN		10	/* AIV: waits for spin_release, then out[0] = 5 */
#define K_MARK		11	/* AIV: out[0] = out[0] * 3 + 1; sets m_ran */

static uint32_t spin_release, m_ran;

static int k_spin(const struct pto_kernel_ctx *ctx)
{
	uint32_t *o = pto_kernel_data(ctx, 0);

	/* pairs with the orchestrator's release store */
	while (!__atomic_load_n(&spin_release, __ATOMIC_ACQUIRE))
		usleep(200);
	o[0] = 5;
	return 0;
}

static int k_mark(const struct pto_kernel_ctx *ctx)
{
	uint32_t *o = pto_kernel_data(ctx, 0);

	o[0] = o[0] * 3 + 1;
	__atomic_store_n(&m_ran, 1, __ATOMIC_RELEASE);
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wait (bounded) until *@flag is non-zero; return whether it became so. */
static bool wait_flag(const uint32_t *flag, uint64_t ms)
{
	uint64_t end = now_ms() + ms;

	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE)) {
		if (now_ms() > end)
			return false;
		usleep(500);
	}
	return true;
}

/* --- A: a FIN counted after its task retired and the slot was reused ----------------- */

static struct pto_task *a_slot;		/* ring 1, slot 0: where T0 and later N live */
static uint32_t a_fired, a_reused, a_hook_done, a_saw_reuse;

/*
 * The first FIN of T0 (2 blocks on 2 schedulers) stops right after its
 * count went in, until the other block completed T0, T0 retired and the
 * orchestrator submitted N into the same slot.  Then the FIN's thread goes
 * on and must not complete N (whose total_sub is 1, like the count).
 */
static void a_sub_counted(struct pto_task *t, uint32_t count)
{
	uint32_t zero = 0;

	if (t != a_slot || count != 1 ||
	    !__atomic_compare_exchange_n(&a_fired, &zero, 1, false, __ATOMIC_RELAXED,
					 __ATOMIC_RELAXED))
		return;
	a_saw_reuse = wait_flag(&a_reused, 10000);
	__atomic_store_n(&a_hook_done, 1, __ATOMIC_RELEASE);
}

struct a_arg {
	uint64_t buf;
	int64_t t0;
};

static int a_submit_inner(struct pto_runtime *rt, const struct pto_launch *l, struct pto_args *a)
{
	int64_t id;

	assert_int_equal(pto_scope_begin(rt, PTO_SCOPE_AUTO), 0);
	id = pto_submit(rt, l, a);
	assert_int_equal(pto_scope_end(rt), 0);
	return id < 0 ? (int)id : 0;
}

static int orch_a(struct pto_runtime *rt, void *p)
{
	struct a_arg *aa = p;
	struct pto_launch aic2 = { K_NOP_AIC, PTO_NO_KERNEL, PTO_NO_KERNEL, 2, 0 };
	struct pto_launch nop = { PTO_NO_KERNEL, K_NOP_AIV, PTO_NO_KERNEL, 1, 0 };
	struct pto_launch spin = { PTO_NO_KERNEL, K_SPIN, PTO_NO_KERNEL, 1, 0 };
	struct pto_tensor b;
	struct pto_args args;
	uint32_t shape[1] = { 4 };

	assert_int_equal(pto_tensor_external(&b, aa->buf, PTO2_DTYPE_I32, 1, shape), 0);
	/* T0: ring 1, local 0; two blocks, one per scheduler (no dual issue) */
	pto_args_init(&args);
	assert_int_equal(a_submit_inner(rt, &aic2, &args), 0);
	/* locals 1..3 of the 4-slot window */
	for (int i = 0; i < 3; i++) {
		pto_args_init(&args);
		assert_int_equal(a_submit_inner(rt, &nop, &args), 0);
	}
	/* N: local 4, T0's slot once T0 retired; total_sub 1 */
	pto_args_init(&args);
	pto_arg_inout(&args, &b);
	assert_int_equal(a_submit_inner(rt, &spin, &args), 0);
	__atomic_store_n(&a_reused, 1, __ATOMIC_RELEASE);
	/* M: reads N's result; may run only after N completed */
	pto_args_init(&args);
	pto_arg_inout(&args, &b);
	assert_true(pto_submit_aiv(rt, K_MARK, &args) >= 0);
	assert_true(wait_flag(&a_hook_done, 20000));
	/* an early completion of N shows as M running before N's kernel ends */
	wait_flag(&m_ran, 300);
	__atomic_store_n(&spin_release, 1, __ATOMIC_RELEASE);
	return 0;
}

static void test_late_fin_after_reuse(void **state)
{
	struct pto_device *dev = NULL;
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;
	struct a_arg aa = { 0 };
	uint32_t *h;

	/* a worker per core: the spinning N must not hold up M's core */
	assert_int_equal(pto_device_open("mock:clusters=2,mem=256M,workers=6", &dev), 0);
	rt_test_config(&cfg, 4);
	cfg.wiring = rt_test_wiring(state);
	cfg.num_schedulers = 2;
	cfg.flags |= PTO_RT_NO_DUAL_ISSUE;
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	assert_int_equal(rt->num_sched, 2);
	rt_register_all(rt);
	assert_int_equal(pto_register_kernel(rt, K_SPIN, PTO2_CORE_AIV, k_spin, "spin"), 0);
	assert_int_equal(pto_register_kernel(rt, K_MARK, PTO2_CORE_AIV, k_mark, "mark"), 0);
	aa.buf = rt_buf(dev, 4, 1);
	a_slot = &rt->rings[1].slots[0];
	a_fired = a_reused = a_hook_done = a_saw_reuse = 0;
	spin_release = m_ran = 0;
	pto__test_hooks.sub_counted = a_sub_counted;
	assert_int_equal(pto_run(rt, orch_a, &aa), 0);
	pto__test_hooks.sub_counted = NULL;
	/* the interleaving happened: T0's first FIN waited until N took the slot */
	assert_int_equal(a_fired, 1);
	assert_int_equal(a_saw_reuse, 1);
	h = pto_mem_map(dev, aa.buf, 16);
	/* N (= 5) before M (* 3 + 1) */
	assert_int_equal(h[0], 16);
	assert_int_equal(rt->completed, rt->submitted);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

/* --- B: a lender holding an older generation while a new request opens ------------ */

static struct pto_runtime *b_rt;
static uint32_t b_fired, b_saw_next;

/*
 * The first lender to see an open request stops, holding that generation,
 * until a newer request was opened (its task published); then it goes on
 * to read what to lend, which must be what generation @g asked for.
 */
static void b_lend_loaded(uint32_t g)
{
	uint32_t zero = 0;
	uint64_t end = now_ms() + 10000;

	if (!__atomic_compare_exchange_n(&b_fired, &zero, 1, false, __ATOMIC_RELAXED,
					 __ATOMIC_RELAXED))
		return;
	while (now_ms() < end) {
		/*
		 * Relaxed: an acquire here would order the new owner's stores
		 * before the lender's reads and hide a race from TSan (with the
		 * old separate task pointer, TSan reported it 3 runs of 3).
		 */
		uint64_t req = __atomic_load_n(&b_rt->sync_req, __ATOMIC_RELAXED);

		/* g + 2: a newer request was opened (it may be over already) */
		if ((uint32_t)(req >> 32) >= g + 2) {
			b_saw_next = 1;
			return;
		}
		usleep(200);
	}
}

struct b_arg {
	uint64_t a;
	uint32_t len;
};

/* a = a * 3 + i over 4 sync-start blocks of 2 rows each, len times */
static int orch_b(struct pto_runtime *rt, void *p)
{
	struct b_arg *ba = p;
	struct pto_launch sync4 = { PTO_NO_KERNEL, K_MIX_AIV, PTO_NO_KERNEL, 4,
				    PTO_LAUNCH_SYNC_START };
	struct pto_tensor a;
	uint32_t shape[2] = { 8, 8 };

	assert_int_equal(pto_tensor_external(&a, ba->a, PTO2_DTYPE_I32, 2, shape), 0);
	for (uint32_t i = 0; i < ba->len; i++) {
		struct pto_args args;

		pto_args_init(&args);
		pto_arg_inout(&args, &a);
		pto_arg_scalar(&args, 2);
		pto_arg_scalar(&args, i);
		pto_arg_scalar(&args, 0);
		if (pto_submit(rt, &sync4, &args) < 0)
			return -EIO;
	}
	return 0;
}

static void test_lender_old_generation(void **state)
{
	struct pto_device *dev = rt_open_dev(3);
	struct pto_runtime_config cfg;
	struct b_arg ba = { .len = 6 };
	uint32_t *h;

	(void)state;
	rt_test_config(&cfg, 16);
	cfg.num_schedulers = 3;
	assert_int_equal(pto_runtime_create(dev, &cfg, &b_rt), 0);
	assert_int_equal(b_rt->num_sched, 3);
	rt_register_all(b_rt);
	ba.a = rt_buf(dev, 64, 9);
	b_fired = b_saw_next = 0;
	pto__test_hooks.lend_loaded = b_lend_loaded;
	assert_int_equal(pto_run(b_rt, orch_b, &ba), 0);
	pto__test_hooks.lend_loaded = NULL;
	assert_int_equal(b_fired, 1);
	assert_int_equal(b_saw_next, 1);
	h = pto_mem_map(dev, ba.a, 64 * 4);
	for (uint32_t e = 0; e < 64; e++) {
		uint32_t v = 9 * 1000003u + e * 7u;

		for (uint32_t i = 0; i < ba.len; i++)
			v = v * 3 + i;
		assert_int_equal(h[e], v);
	}
	pto_runtime_destroy(b_rt);
	pto_device_close(dev);
}

/* --- 12: the ring-advance re-check ----------------------------------------------------- */

struct adv_ctx {
	struct pto_runtime *rt;
	uint32_t calls;
};

static struct adv_ctx adv;

static void *adv_second_consumer(void *p)
{
	struct pto_ring *r = p;

	/* task 1 is consumed now, after the holder's scan stopped at it */
	__atomic_store_n(&r->slots[1].state, PTO_TASK_CONSUMED, __ATOMIC_SEQ_CST);
	pto__ring_consumed(adv.rt, r->id, 1);
	return NULL;
}

/* The lock holder scanned and published; a second consumer arrives and finds the lock taken. */
static void adv_scanned(struct pto_ring *r)
{
	pthread_t th;

	if (adv.calls++)
		return;
	assert_int_equal(__atomic_load_n(&r->advance_lock, __ATOMIC_SEQ_CST), 1);
	assert_int_equal(pthread_create(&th, NULL, adv_second_consumer, r), 0);
	/* it returns without advancing: the lock is ours; it left advance_pending set */
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(__atomic_load_n(&r->advance_pending, __ATOMIC_SEQ_CST), 1);
}

static void test_advance_recheck(void **state)
{
	struct pto_runtime *rt = calloc(1, sizeof(*rt));
	struct pto2_ring_ctl *ctl = calloc(1, sizeof(*ctl));
	struct pto_ring *r;

	(void)state;
	assert_non_null(rt);
	assert_non_null(ctl);
	r = &rt->rings[0];
	r->slots = calloc(4, sizeof(*r->slots));
	assert_non_null(r->slots);
	r->alloc.window = 4;
	r->alloc.mask = 3;
	r->ctl = ctl;
	r->orch_wake_la = PTO_NO_WAITER;
	r->orch_wake_at = PTO_NO_WAITER;
	pto_waiter_init(&rt->orch_wait);
	pto_waiter_init(&rt->wiring_wait);
	for (uint32_t i = 0; i < 4; i++)
		r->slots[i].local = i;
	/* two live tasks, 0 and 1 */
	ctl->current_task_index = 2;
	adv.rt = rt;
	adv.calls = 0;
	pto__test_hooks.advance_scanned = adv_scanned;
	r->slots[0].state = PTO_TASK_CONSUMED;
	pto__ring_consumed(rt, 0, 0);
	pto__test_hooks.advance_scanned = NULL;
	/* the holder's re-check picked up the second consumer: both retired */
	assert_int_equal(ctl->last_task_alive, 2);
	/* and it scanned again (once more under the lock) */
	assert_int_equal(adv.calls, 2);
	assert_int_equal(r->advance_lock, 0);
	free(r->slots);
	free(ctl);
	free(rt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		RT_TEST_WIRING(test_late_fin_after_reuse),
		cmocka_unit_test(test_lender_old_generation),
		cmocka_unit_test(test_advance_recheck),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
