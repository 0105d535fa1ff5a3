// SPDX-License-Identifier: MIT
/*
 * task.c - task slots: finding a task's slot from its id, and the task lock
 * that serializes "producer completes" with "consumer links itself onto
 * the producer".  Any thread.
 */
#include <sched.h>

#include "libpto/core/run.h"
#include "libpto/core/test_hooks.h"

/* Test seams (test_hooks.h): NULL, so inert, outside the tests that set them. */
struct pto_test_hooks pto__test_hooks;

struct pto_task *pto__task_slot(struct pto_runtime *rt, int64_t id)
{
	uint64_t ring;
	struct pto_ring *r;

	if (id < 0)
		return NULL;
	ring = pto_task_ring(id);
	if (ring >= PTO_NUM_RINGS)
		return NULL;
	r = &rt->rings[ring];
	return &r->slots[pto_task_local(id) & r->alloc.mask];
}

void pto__task_lock(struct pto_task *t)
{
	uint32_t spins = 0;

	/* acquire: pairs with the release in pto__task_unlock() */
	while (__atomic_exchange_n(&t->lock, 1, __ATOMIC_ACQUIRE)) {
		/* critical sections are a few stores; yield if the holder was preempted */
		if (++spins < 128)
			pto_cpu_relax();
		else
			sched_yield();
	}
}

void pto__task_unlock(struct pto_task *t)
{
	/* release: pairs with the acquire exchange in pto__task_lock() */
	__atomic_store_n(&t->lock, 0, __ATOMIC_RELEASE);
}
