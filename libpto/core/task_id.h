/* SPDX-License-Identifier: MIT */
/*
 * task_id.h - task ids: (ring << 32) | local, local counting up from 0 in
 * each ring per run.  The one place that encodes and decodes them.  Internal.
 */
#ifndef PTO_CORE_TASK_ID_H
#define PTO_CORE_TASK_ID_H

#include <stdint.h>

/* Task id of (@ring, @local). */
static inline int64_t pto_task_id(uint32_t ring, uint64_t local)
{
	return (int64_t)(((uint64_t)ring << 32) | (local & 0xffffffffull));
}

/* The ring of task @id (not range-checked: callers check it against PTO_NUM_RINGS). */
static inline uint64_t pto_task_ring(int64_t id)
{
	return (uint64_t)id >> 32;
}

/* The local id of task @id within its ring. */
static inline uint64_t pto_task_local(int64_t id)
{
	return (uint64_t)id & 0xffffffffull;
}

#endif /* PTO_CORE_TASK_ID_H */
