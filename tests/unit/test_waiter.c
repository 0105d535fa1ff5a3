// SPDX-License-Identifier: MIT
/*
 * test_waiter.c - the eventcount every libpto thread idles with: no lost
 * wake-ups, deadlines honoured, no sleep after a wake that saw the
 * announcement, and no write at all by a wake nobody announced for.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "libpto/util/waiter.h"

#define GUARD_NS	(5ull * 1000000000ull)

static void test_wake_after_prepare_ends_sleep(void **state)
{
	struct pto_waiter w;
	uint32_t key;

	(void)state;
	pto_waiter_init(&w);
	key = pto_waiter_prepare(&w);
	pto_waiter_wake(&w);
	/* no deadline: would block forever if the wake had missed the announcement */
	pto_waiter_sleep(&w, key, 0);
	assert_int_equal(__atomic_load_n(&w.sleepers, __ATOMIC_RELAXED), 0);
}

/* The fast path: a wake with nobody announced writes nothing (the line stays shared). */
static void test_unannounced_wake_writes_nothing(void **state)
{
	struct pto_waiter w;

	(void)state;
	pto_waiter_init(&w);
	pto_waiter_wake(&w);
	assert_int_equal(__atomic_load_n(&w.seq, __ATOMIC_RELAXED), 0);
	/* a withdrawn announcement no longer draws wakes */
	(void)pto_waiter_prepare(&w);
	pto_waiter_cancel(&w);
	pto_waiter_wake(&w);
	assert_int_equal(__atomic_load_n(&w.seq, __ATOMIC_RELAXED), 0);
	assert_int_equal(__atomic_load_n(&w.sleepers, __ATOMIC_RELAXED), 0);
	/* an announced one does: the wake bumps the word for it */
	(void)pto_waiter_prepare(&w);
	pto_waiter_wake(&w);
	assert_int_equal(__atomic_load_n(&w.seq, __ATOMIC_RELAXED), 1);
	pto_waiter_cancel(&w);
}

static void test_deadline(void **state)
{
	struct pto_waiter w;
	uint64_t t0, t1;

	(void)state;
	pto_waiter_init(&w);
	t0 = pto_now_ns();
	pto_waiter_sleep(&w, pto_waiter_prepare(&w), t0 + 20000000ull);
	t1 = pto_now_ns();
	/* a lower bound only: it slept until the deadline */
	assert_true(t1 - t0 >= 20000000ull);
	/* a deadline already past returns at once */
	pto_waiter_sleep(&w, pto_waiter_prepare(&w), t1 - 1);
	assert_int_equal(__atomic_load_n(&w.sleepers, __ATOMIC_RELAXED), 0);
}

/* The loops' announcement: once per sleep, withdrawn or ended exactly once. */
static void test_arm(void **state)
{
	struct pto_waiter w;
	struct pto_waiter_arm a = { 0 };

	(void)state;
	pto_waiter_init(&w);
	pto_waiter_disarm(&w, &a);	/* nothing announced: nothing withdrawn */
	assert_int_equal(__atomic_load_n(&w.sleepers, __ATOMIC_RELAXED), 0);
	assert_true(pto_waiter_arm(&w, &a));	/* announced: look once more */
	assert_false(pto_waiter_arm(&w, &a));	/* already: sleep now */
	assert_int_equal(__atomic_load_n(&w.sleepers, __ATOMIC_RELAXED), 1);
	pto_waiter_disarm(&w, &a);
	pto_waiter_disarm(&w, &a);
	assert_int_equal(__atomic_load_n(&w.sleepers, __ATOMIC_RELAXED), 0);
	/* a wake after the announcement ends the sleep (no deadline: it would hang) */
	assert_true(pto_waiter_arm(&w, &a));
	pto_waiter_wake(&w);
	pto_waiter_arm_sleep(&w, &a, 0);
	assert_false(a.armed);
	assert_int_equal(__atomic_load_n(&w.sleepers, __ATOMIC_RELAXED), 0);
	pto_waiter_disarm(&w, &a);
	assert_int_equal(__atomic_load_n(&w.sleepers, __ATOMIC_RELAXED), 0);
}

struct pingpong {
	struct pto_waiter to_b, to_a;
	uint32_t ball;		/* whose turn: 0 = a, 1 = b */
	uint32_t rounds;
	uint32_t timeouts;
};

/* Wait for the ball to be @mine, sleeping on @w; count hang-guard expiries. */
static void await_ball(struct pingpong *p, struct pto_waiter *w, uint32_t mine)
{
	uint64_t deadline = pto_now_ns() + GUARD_NS;

	for (;;) {
		/* announce first: the look below is the re-check */
		uint32_t key = pto_waiter_prepare(w);

		/* pairs with the release store of the other side */
		if (__atomic_load_n(&p->ball, __ATOMIC_ACQUIRE) == mine) {
			pto_waiter_cancel(w);
			return;
		}
		if (pto_now_ns() > deadline || __atomic_load_n(&p->timeouts, __ATOMIC_RELAXED)) {
			/* a lost wake-up: stop both players at once */
			pto_waiter_cancel(w);
			__atomic_fetch_add(&p->timeouts, 1, __ATOMIC_RELAXED);
			return;
		}
		pto_waiter_sleep(w, key, deadline);
	}
}

static void *player_b(void *arg)
{
	struct pingpong *p = arg;

	for (uint32_t i = 0; i < p->rounds && !__atomic_load_n(&p->timeouts, __ATOMIC_RELAXED); i++) {
		await_ball(p, &p->to_b, 1);
		__atomic_store_n(&p->ball, 0, __ATOMIC_RELEASE);
		pto_waiter_wake(&p->to_a);
	}
	return NULL;
}

/* Every hand-off sleeps on a futex: a lost wake-up would hit the guard. */
static void test_ping_pong_no_lost_wakeups(void **state)
{
	struct pingpong p = { .rounds = 2000 };
	pthread_t t;

	(void)state;
	pto_waiter_init(&p.to_a);
	pto_waiter_init(&p.to_b);
	assert_int_equal(pthread_create(&t, NULL, player_b, &p), 0);
	for (uint32_t i = 0; i < p.rounds && !__atomic_load_n(&p.timeouts, __ATOMIC_RELAXED); i++) {
		await_ball(&p, &p.to_a, 0);
		__atomic_store_n(&p.ball, 1, __ATOMIC_RELEASE);
		pto_waiter_wake(&p.to_b);
	}
	await_ball(&p, &p.to_a, 0);
	pthread_join(t, NULL);
	assert_int_equal(__atomic_load_n(&p.timeouts, __ATOMIC_RELAXED), 0);
}

struct crowd {
	struct pto_waiter w;
	uint32_t go;
	uint32_t woke;
};

static void *crowd_member(void *arg)
{
	struct crowd *c = arg;
	uint64_t deadline = pto_now_ns() + GUARD_NS;

	for (;;) {
		uint32_t key = pto_waiter_prepare(&c->w);

		if (__atomic_load_n(&c->go, __ATOMIC_ACQUIRE)) {
			pto_waiter_cancel(&c->w);
			__atomic_fetch_add(&c->woke, 1, __ATOMIC_RELAXED);
			return NULL;
		}
		pto_waiter_sleep(&c->w, key, deadline);
		/* woken by the hang guard, not by the wake: not counted */
		if (pto_now_ns() > deadline)
			return NULL;
	}
}

/* One wake releases every sleeper. */
static void test_wake_all(void **state)
{
	struct crowd c = { 0 };
	pthread_t t[4];

	(void)state;
	pto_waiter_init(&c.w);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, crowd_member, &c), 0);
	usleep(20000);	/* let them fall asleep (not required for correctness) */
	__atomic_store_n(&c.go, 1, __ATOMIC_RELEASE);
	pto_waiter_wake(&c.w);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(c.woke, 4);
	assert_int_equal(__atomic_load_n(&c.w.sleepers, __ATOMIC_RELAXED), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wake_after_prepare_ends_sleep),
		cmocka_unit_test(test_unannounced_wake_writes_nothing),
		cmocka_unit_test(test_arm),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_ping_pong_no_lost_wakeups),
		cmocka_unit_test(test_wake_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
