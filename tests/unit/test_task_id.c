// SPDX-License-Identifier: MIT
/*
 * test_task_id.c - the run state's pure helpers alone: task-id encoding and
 * decoding (core/task_id.h) and the capacity of a queue that must never
 * refuse a push (pto__queue_cap(), core/run.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "libpto/core/run.h"

static void test_id_round_trip(void **state)
{
	static const uint64_t locals[] = { 0, 1, 4095, 0x7fffffffu, 0xffffffffu };

	(void)state;
	for (uint32_t ring = 0; ring < PTO_NUM_RINGS; ring++) {
		for (size_t i = 0; i < sizeof(locals) / sizeof(locals[0]); i++) {
			int64_t id = pto_task_id(ring, locals[i]);

			assert_true(id >= 0);
			assert_int_equal(pto_task_ring(id), ring);
			assert_int_equal(pto_task_local(id), locals[i]);
		}
	}
	/* the documented layout: (ring << 32) | local */
	assert_int_equal(pto_task_id(2, 5), (2ll << 32) | 5);
	/* a local id past 32 bits keeps only its low half, never touching the ring */
	assert_int_equal(pto_task_ring(pto_task_id(1, 0x100000003ull)), 1);
	assert_int_equal(pto_task_local(pto_task_id(1, 0x100000003ull)), 3);
}

static void test_queue_cap(void **state)
{
	(void)state;
	/* a power of two above n + 2, for every n around the powers of two */
	for (uint64_t n = 0; n < 5000; n++) {
		uint64_t cap = pto__queue_cap(n);

		assert_int_equal(cap & (cap - 1), 0);
		assert_true(cap > n + 2);
		assert_true(cap / 2 <= n + 2);
	}
	/* the default windows: 4 rings of 16384 slots */
	assert_int_equal(pto__queue_cap(4 * 16384), 131072);
	assert_int_equal(pto__queue_cap(2 * 4 * 16384), 262144);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_round_trip),
		cmocka_unit_test(test_queue_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
