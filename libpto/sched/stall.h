/* SPDX-License-Identifier: MIT */
/*
 * stall.h - the drain backstop (stall.c): after the orchestration function
 * returned, no completion and nothing in flight for stall_timeout_ms fails
 * the run with PTO_E_RUN_STALL.  Internal.
 */
#ifndef PTO_SCHED_STALL_H
#define PTO_SCHED_STALL_H

#include <stdbool.h>
#include <stdint.h>

struct pto_runtime;

/* One watcher's memory of the last progress it saw (zeroed at run start). */
struct pto_drain_watch {
	bool armed;
	uint64_t completed;
	uint64_t since_ns;
};

/*
 * Called by one scheduler every loop pass.  @inflight: some core of the
 * device has a dispatch in flight.  Return: true if it failed the run.
 */
bool pto__drain_check(struct pto_runtime *rt, struct pto_drain_watch *w, uint64_t now,
		      bool inflight);

#endif /* PTO_SCHED_STALL_H */
