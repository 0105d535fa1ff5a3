/* SPDX-License-Identifier: MIT */
/*
 * rt_check.h - what every finished run must leave behind, checked from the
 * runtime's internals (header-only, like rt_test_util.h).
 */
#ifndef PTO_RT_CHECK_H
#define PTO_RT_CHECK_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "libpto/core/run.h"
#include "libpto/device/device_ops.h"

/*
 * After a run: every ring retired (the last batch too), and no thread left
 * a sleep announced, which would turn every later wake into a syscall.
 */
static inline void rt_assert_run_clean(struct pto_runtime *rt)
{
	uint32_t key;

	for (int r = 0; r < PTO_NUM_RINGS; r++)
		assert_int_equal(rt->hdr->ctl[r].last_task_alive,
				 rt->hdr->ctl[r].current_task_index);
	assert_int_equal(__atomic_load_n(&rt->sched_idle.sleepers, __ATOMIC_RELAXED), 0);
	assert_int_equal(__atomic_load_n(&rt->orch_wait.sleepers, __ATOMIC_RELAXED), 0);
	assert_int_equal(__atomic_load_n(&rt->wiring_wait.sleepers, __ATOMIC_RELAXED), 0);
	assert_false(rt->orch_arm.armed);
	/*
	 * The device's completion waiter (busy schedulers sleep there): a
	 * notify moves the key only if someone is still announced.
	 */
	key = pto__device_completion_prepare(rt->dev);
	pto__device_completion_cancel(rt->dev);
	pto__device_notify(rt->dev);
	assert_int_equal(pto__device_completion_prepare(rt->dev), key);
	pto__device_completion_cancel(rt->dev);
}

#endif /* PTO_RT_CHECK_H */
