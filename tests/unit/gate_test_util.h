// SPDX-License-Identifier: MIT
/* gate_test_util.h - what test_gate.c and test_share.c both use. */
#ifndef GATE_TEST_UTIL_H
#define GATE_TEST_UTIL_H

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "libpto/gate/affinity.h"
#include "pto/error.h"

#define U	PTO_GATE_UNPINNED
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const int32_t mask8[] = { 0, 1, 2, 3, 4, 5, 6, 7 };

static inline void expect_scheds(const struct pto_gate_plan *p, const int32_t *want, uint32_t n)
{
	uint32_t i;

	assert_int_equal(p->num_schedulers, n);
	for (i = 0; i < n; i++)
		if (p->sched_cpu[i] != want[i])
			fail_msg("scheduler %u: cpu %d, want %d", i, p->sched_cpu[i], want[i]);
	for (; i < PTO_GATE_MAX_THREADS; i++)
		assert_int_equal(p->sched_cpu[i], U);
}

#endif /* GATE_TEST_UTIL_H */
