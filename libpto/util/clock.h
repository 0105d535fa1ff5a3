/* SPDX-License-Identifier: MIT */
/*
 * clock.h - the one clock of libpto, the mock device and the core-side
 * executor: CLOCK_MONOTONIC in ns; and the thread CPU clock.  Header-only, so code that runs on a
 * core (runtime/executor.c) gets the clock without libpto's waiter.
 * Internal.
 */
#ifndef PTO_UTIL_CLOCK_H
#define PTO_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC now, in ns. */
static inline uint64_t pto_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * CPU time of the calling thread, in ns: what pto_run_stats() reports as
 * the runtime's own cost.  A system call on Linux (no vDSO for thread
 * clocks), so read at thread and wait boundaries only, never per task.
 */
static inline uint64_t pto_thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif /* PTO_UTIL_CLOCK_H */
