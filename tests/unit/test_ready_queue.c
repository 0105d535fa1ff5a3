// SPDX-License-Identifier: MIT
/* test_ready_queue.c - the bounded MPMC ready queue: order, edges, stress. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "libpto/util/ready_queue.h"
#include "libpto/util/waiter.h"
#include "pto/error.h"

/* Items are small integers + 1 disguised as pointers (never NULL). */
#define ITEM(v)		((void *)(uintptr_t)((v) + 1))
#define VAL(p)		((uint64_t)(uintptr_t)(p) - 1)

/* Push @n items in order until the queue is full; return how many went in. */
static uint32_t push_n(struct pto_ready_queue *q, void *const *items, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n && pto_rq_push(q, items[i]); i++)
		;
	return i;
}

/* Pop up to @max items in order into @out; return how many. */
static uint32_t pop_n(struct pto_ready_queue *q, void **out, uint32_t max)
{
	uint32_t i;

	for (i = 0; i < max && (out[i] = pto_rq_pop(q)); i++)
		;
	return i;
}

static void test_capacity_validation(void **state)
{
	struct pto_ready_queue q;
	static const uint64_t bad[] = { 0, 1, 3, 6, 100, 65535, (UINT64_C(1) << 32) + 1,
					UINT64_C(1) << 33, UINT64_C(1) << 63 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(pto_rq_init(&q, bad[i]), -EINVAL);
		assert_non_null(strstr(pto_last_error(), "capacity"));
		assert_null(q.cells);
		pto_rq_fini(&q);	/* harmless after a failed init */
	}
	assert_int_equal(pto_rq_init(NULL, 8), -EINVAL);
	assert_int_equal(pto_rq_init(&q, 2), 0);
	assert_int_equal(q.mask, 1);
	pto_rq_fini(&q);
	assert_null(q.cells);
	pto_rq_fini(&q);	/* twice is fine */
}

static void test_fifo_single_thread(void **state)
{
	struct pto_ready_queue q;
	uint64_t i;

	(void)state;
	assert_int_equal(pto_rq_init(&q, 16), 0);
	assert_null(pto_rq_pop(&q));
	assert_int_equal(pto_rq_size(&q), 0);
	for (i = 0; i < 10; i++)
		assert_true(pto_rq_push(&q, ITEM(i)));
	assert_int_equal(pto_rq_size(&q), 10);
	for (i = 0; i < 10; i++)
		assert_int_equal(VAL(pto_rq_pop(&q)), i);
	assert_null(pto_rq_pop(&q));
	assert_int_equal(pto_rq_size(&q), 0);
	pto_rq_fini(&q);
}

static void test_full_and_empty_edges(void **state)
{
	struct pto_ready_queue q;
	void *out[8];
	uint64_t i;

	(void)state;
	assert_int_equal(pto_rq_init(&q, 4), 0);
	for (i = 0; i < 4; i++)
		assert_true(pto_rq_push(&q, ITEM(i)));
	assert_int_equal(pto_rq_size(&q), 4);
	assert_false(pto_rq_push(&q, ITEM(99)));	/* full */
	assert_int_equal(push_n(&q, (void *[]){ ITEM(98) }, 1), 0);
	assert_int_equal(pto_rq_size(&q), 4);
	/* one out, one in: the freed cell is reusable at once */
	assert_int_equal(VAL(pto_rq_pop(&q)), 0);
	assert_true(pto_rq_push(&q, ITEM(4)));
	assert_false(pto_rq_push(&q, ITEM(5)));
	for (i = 1; i <= 4; i++)
		assert_int_equal(VAL(pto_rq_pop(&q)), i);
	assert_null(pto_rq_pop(&q));
	assert_int_equal(pop_n(&q, out, 8), 0);
	assert_int_equal(pto_rq_size(&q), 0);

	/* capacity 2, the smallest */
	pto_rq_fini(&q);
	assert_int_equal(pto_rq_init(&q, 2), 0);
	assert_true(pto_rq_push(&q, ITEM(1)));
	assert_true(pto_rq_push(&q, ITEM(2)));
	assert_false(pto_rq_push(&q, ITEM(3)));
	assert_int_equal(pop_n(&q, out, 8), 2);
	assert_int_equal(VAL(out[0]), 1);
	assert_int_equal(VAL(out[1]), 2);
	pto_rq_fini(&q);
}

static void test_null_items_rejected(void **state)
{
	struct pto_ready_queue q;
	void *items[4] = { ITEM(0), ITEM(1), NULL, ITEM(3) };
	void *out[4];

	(void)state;
	assert_int_equal(pto_rq_init(&q, 8), 0);
	assert_false(pto_rq_push(&q, NULL));
	assert_non_null(strstr(pto_last_error(), "NULL item"));
	assert_int_equal(pto_rq_size(&q), 0);
	/* only the prefix before the NULL goes in */
	assert_int_equal(push_n(&q, items, 4), 2);
	assert_non_null(strstr(pto_last_error(), "NULL item"));
	assert_int_equal(pop_n(&q, out, 4), 2);
	assert_int_equal(VAL(out[0]), 0);
	assert_int_equal(VAL(out[1]), 1);
	pto_rq_fini(&q);
}

static void test_batch_push_partial_and_order(void **state)
{
	struct pto_ready_queue q;
	void *items[12], *out[12];
	uint32_t i;

	(void)state;
	for (i = 0; i < 12; i++)
		items[i] = ITEM(i);
	assert_int_equal(pto_rq_init(&q, 8), 0);
	assert_true(pto_rq_push(&q, ITEM(100)));
	assert_true(pto_rq_push(&q, ITEM(101)));
	/* 6 free cells: the first 6 go in, in order */
	assert_int_equal(push_n(&q, items, 12), 6);
	assert_int_equal(pto_rq_size(&q), 8);
	assert_int_equal(push_n(&q, items + 6, 6), 0);
	/* batch pop bounded by max, then the rest */
	assert_int_equal(pop_n(&q, out, 3), 3);
	assert_int_equal(VAL(out[0]), 100);
	assert_int_equal(VAL(out[1]), 101);
	assert_int_equal(VAL(out[2]), 0);
	assert_int_equal(push_n(&q, items + 6, 6), 3);	/* 3 freed */
	assert_int_equal(pop_n(&q, out, 12), 8);
	for (i = 0; i < 8; i++)
		assert_int_equal(VAL(out[i]), i + 1);
	assert_int_equal(pto_rq_size(&q), 0);
	/* batch larger than the capacity fills it exactly */
	assert_int_equal(push_n(&q, items, 12), 8);
	assert_int_equal(pop_n(&q, out, 12), 8);
	for (i = 0; i < 8; i++)
		assert_int_equal(VAL(out[i]), i);
	pto_rq_fini(&q);
}

/* Pop stops at the first unpublished cell (a claimed-but-unwritten one looks the same). */
static void test_batch_pop_stops_at_gap(void **state)
{
	struct pto_ready_queue q;
	void *out[8];

	(void)state;
	assert_int_equal(pto_rq_init(&q, 8), 0);
	assert_true(pto_rq_push(&q, ITEM(0)));
	assert_true(pto_rq_push(&q, ITEM(1)));
	/* simulate a producer that claimed position 2 but has not published yet */
	__atomic_store_n(&q.enqueue_pos, 3, __ATOMIC_RELAXED);
	assert_int_equal(pop_n(&q, out, 8), 2);
	assert_null(pto_rq_pop(&q));
	assert_int_equal(pop_n(&q, out, 8), 0);
	pto_rq_fini(&q);
}

/* Many laps over a small ring with mixed single and multi-item calls. */
static void test_wrap_around(void **state)
{
	struct pto_ready_queue q;
	void *items[5], *out[5];
	uint64_t next_in = 0, next_out = 0, round;
	uint32_t i, k;

	(void)state;
	assert_int_equal(pto_rq_init(&q, 8), 0);
	for (round = 0; round < 20000; round++) {
		uint32_t burst = 1 + round % 5;

		for (i = 0; i < burst; i++)
			items[i] = ITEM(next_in + i);
		if (round & 1) {
			k = push_n(&q, items, burst);
			assert_int_equal(k, burst);
		} else {
			for (i = 0; i < burst; i++)
				assert_true(pto_rq_push(&q, items[i]));
		}
		next_in += burst;
		assert_int_equal(pto_rq_size(&q), next_in - next_out);
		if (round % 3 == 0) {
			while (next_out < next_in) {
				void *p = pto_rq_pop(&q);

				assert_non_null(p);
				assert_int_equal(VAL(p), next_out);
				next_out++;
			}
		} else {
			/* leave a residue so the ring holds items across rounds */
			k = pop_n(&q, out, 4);
			assert_int_equal(k, next_in - next_out < 4 ? next_in - next_out : 4);
			for (i = 0; i < k; i++)
				assert_int_equal(VAL(out[i]), next_out + i);
			next_out += k;
		}
	}
	assert_true(next_in > 1000 * 8);	/* well over a thousand laps */
	assert_int_equal(pop_n(&q, out, 5), next_in - next_out);
	pto_rq_fini(&q);
}

/* --- multi-producer multi-consumer stress -------------------------------- */

#define PRODUCERS	2
#define CONSUMERS	2
#define PER_PRODUCER	100000u		/* 200k items in all */
#define STRESS_CAP	64		/* small: many full and empty edges */
#define HANG_GUARD_NS	(300ull * 1000000000ull)

struct stress {
	struct pto_ready_queue q;
	uint8_t *seen;			/* per item: times popped (atomic) */
	uint64_t popped;		/* atomic */
	uint64_t deadline_ns;
	int order_errors;		/* atomic */
	int timed_out;			/* atomic */
};

struct worker {
	struct stress *s;
	unsigned int id;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Step of a blocked worker: spin a little (so workers on the two CPUs truly
 * overlap), then yield (2 vCPUs, 4 threads), and watch the hang guard.
 */
static int stress_wait(struct stress *s)
{
	for (int i = 0; i < 64; i++)
		pto_cpu_relax();
	sched_yield();
	if (now_ns() > s->deadline_ns) {
		__atomic_store_n(&s->timed_out, 1, __ATOMIC_RELAXED);
		return -1;
	}
	return __atomic_load_n(&s->timed_out, __ATOMIC_RELAXED) ? -1 : 0;
}

/* Item value: producer in the top bits, sequence below. */
#define STRESS_ITEM(p, i)	((uint64_t)(p) * PER_PRODUCER + (i))

static void *producer(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;
	void *batch[7];
	uint32_t i = 0, n, k, j;

	while (i < PER_PRODUCER) {
		if ((i / 7) & 1) {
			if (!pto_rq_push(&s->q, ITEM(STRESS_ITEM(w->id, i)))) {
				if (stress_wait(s))
					return NULL;
				continue;
			}
			i++;
			continue;
		}
		n = PER_PRODUCER - i < 7 ? PER_PRODUCER - i : 7;
		for (j = 0; j < n; j++)
			batch[j] = ITEM(STRESS_ITEM(w->id, i + j));
		k = push_n(&s->q, batch, n);
		i += k;
		if (k == 0 && stress_wait(s))
			return NULL;
	}
	return NULL;
}

static void consume(struct stress *s, uint64_t *last, void *p)
{
	uint64_t v = VAL(p);
	unsigned int prod = (unsigned int)(v / PER_PRODUCER);

	if (v >= (uint64_t)PRODUCERS * PER_PRODUCER) {
		__atomic_fetch_add(&s->order_errors, 1, __ATOMIC_RELAXED);
		return;
	}
	/* one consumer sees each producer's items in push order */
	if (last[prod] != UINT64_MAX && v <= last[prod])
		__atomic_fetch_add(&s->order_errors, 1, __ATOMIC_RELAXED);
	last[prod] = v;
	__atomic_fetch_add(&s->seen[v], 1, __ATOMIC_RELAXED);
}

static void *consumer(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;
	const uint64_t total = (uint64_t)PRODUCERS * PER_PRODUCER;
	uint64_t last[PRODUCERS];
	void *out[5];
	uint32_t k, j;
	int round = 0;

	for (j = 0; j < PRODUCERS; j++)
		last[j] = UINT64_MAX;
	while (__atomic_load_n(&s->popped, __ATOMIC_RELAXED) < total) {
		if ((round++ + w->id) & 1) {
			void *p = pto_rq_pop(&s->q);

			k = p ? 1 : 0;
			if (p)
				consume(s, last, p);
		} else {
			k = pop_n(&s->q, out, 5);
			for (j = 0; j < k; j++)
				consume(s, last, out[j]);
		}
		if (k)
			__atomic_fetch_add(&s->popped, k, __ATOMIC_RELAXED);
		else if (stress_wait(s))
			return NULL;
	}
	return NULL;
}

static void test_mpmc_stress(void **state)
{
	const uint64_t total = (uint64_t)PRODUCERS * PER_PRODUCER;
	pthread_t th[PRODUCERS + CONSUMERS];
	struct worker w[PRODUCERS + CONSUMERS];
	struct stress *s;
	uint64_t i, missing = 0, dup = 0;

	(void)state;
	s = calloc(1, sizeof(*s));
	assert_non_null(s);
	s->seen = calloc(total, 1);
	assert_non_null(s->seen);
	s->deadline_ns = now_ns() + HANG_GUARD_NS;
	assert_int_equal(pto_rq_init(&s->q, STRESS_CAP), 0);
	for (i = 0; i < PRODUCERS + CONSUMERS; i++) {
		w[i].s = s;
		w[i].id = (unsigned int)(i < PRODUCERS ? i : i - PRODUCERS);
		assert_int_equal(pthread_create(&th[i], NULL, i < PRODUCERS ? producer : consumer,
						&w[i]), 0);
	}
	for (i = 0; i < PRODUCERS + CONSUMERS; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(s->timed_out, 0);
	assert_int_equal(s->order_errors, 0);
	assert_int_equal(s->popped, total);
	for (i = 0; i < total; i++) {
		missing += s->seen[i] == 0;
		dup += s->seen[i] > 1;
	}
	assert_int_equal(missing, 0);
	assert_int_equal(dup, 0);
	assert_null(pto_rq_pop(&s->q));
	assert_int_equal(pto_rq_size(&s->q), 0);
	pto_rq_fini(&s->q);
	free(s->seen);
	free(s);
}

/*
 * Phases with only one side contending: two producers fill an empty queue
 * at once, then two consumers drain it at once (a barrier lines them up).
 */
#define PHASE_ROUNDS	50
#define PHASE_CAP	4096u
#define PHASE_PER	(PHASE_CAP / 2)

struct phase {
	struct pto_ready_queue q;
	pthread_barrier_t start;
	uint16_t seen[PHASE_CAP];	/* atomic: times popped this round */
	uint32_t failed;		/* atomic */
};

struct phase_worker {
	struct phase *ph;
	unsigned int id;
	int produce;
};

static void *phase_thread(void *arg)
{
	struct phase_worker *w = arg;
	struct phase *ph = w->ph;
	void *buf[9];
	uint32_t i = 0, n, k, j;

	pthread_barrier_wait(&ph->start);
	if (w->produce) {
		/* both producers together fill the queue exactly: nothing may fail */
		while (i < PHASE_PER) {
			if (i & 8) {
				if (!pto_rq_push(&ph->q, ITEM(w->id * PHASE_PER + i)))
					break;
				i++;
				continue;
			}
			n = PHASE_PER - i < 9 ? PHASE_PER - i : 9;
			for (j = 0; j < n; j++)
				buf[j] = ITEM(w->id * PHASE_PER + i + j);
			k = push_n(&ph->q, buf, n);
			i += k;
			if (k != n)
				break;
		}
		if (i != PHASE_PER)
			__atomic_fetch_add(&ph->failed, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	for (;;) {
		if ((w->id + i++) & 1) {
			k = pop_n(&ph->q, buf, 9);
		} else {
			buf[0] = pto_rq_pop(&ph->q);
			k = buf[0] != NULL;
		}
		if (!k)
			return NULL;	/* nobody pushes now: empty means drained */
		for (j = 0; j < k; j++) {
			uint64_t v = VAL(buf[j]);

			if (v >= PHASE_CAP)
				__atomic_fetch_add(&ph->failed, 1, __ATOMIC_RELAXED);
			else
				__atomic_fetch_add(&ph->seen[v], 1, __ATOMIC_RELAXED);
		}
	}
}

static void run_phase(struct phase *ph, int produce)
{
	struct phase_worker w[2];
	pthread_t th[2];
	int i;

	for (i = 0; i < 2; i++) {
		w[i].ph = ph;
		w[i].id = (unsigned int)i;
		w[i].produce = produce;
		assert_int_equal(pthread_create(&th[i], NULL, phase_thread, &w[i]), 0);
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
}

static void test_contended_fill_and_drain(void **state)
{
	struct phase *ph;
	uint32_t round, i, missing, dup;

	(void)state;
	ph = calloc(1, sizeof(*ph));
	assert_non_null(ph);
	assert_int_equal(pto_rq_init(&ph->q, PHASE_CAP), 0);
	assert_int_equal(pthread_barrier_init(&ph->start, NULL, 2), 0);
	for (round = 0; round < PHASE_ROUNDS; round++) {
		memset(ph->seen, 0, sizeof(ph->seen));
		run_phase(ph, 1);
		assert_int_equal(ph->failed, 0);
		assert_int_equal(pto_rq_size(&ph->q), PHASE_CAP);
		assert_false(pto_rq_push(&ph->q, ITEM(0)));
		run_phase(ph, 0);
		assert_int_equal(ph->failed, 0);
		missing = dup = 0;
		for (i = 0; i < PHASE_CAP; i++) {
			missing += ph->seen[i] == 0;
			dup += ph->seen[i] > 1;
		}
		assert_int_equal(missing, 0);
		assert_int_equal(dup, 0);
		assert_int_equal(pto_rq_size(&ph->q), 0);
	}
	pthread_barrier_destroy(&ph->start);
	pto_rq_fini(&ph->q);
	free(ph);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capacity_validation),
		cmocka_unit_test(test_fifo_single_thread),
		cmocka_unit_test(test_full_and_empty_edges),
		cmocka_unit_test(test_null_items_rejected),
		cmocka_unit_test(test_batch_push_partial_and_order),
		cmocka_unit_test(test_batch_pop_stops_at_gap),
		cmocka_unit_test(test_wrap_around),
		cmocka_unit_test(test_mpmc_stress),
		cmocka_unit_test(test_contended_fill_and_drain),
	};

	/* Hang guard for a livelock inside the queue (dies without a summary = failure). */
	alarm(HANG_GUARD_NS / 1000000000ull + 60);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
