/* SPDX-License-Identifier: MIT */
/*
 * wiring.h - linking tasks onto their producers (wire.c) and the optional
 * wiring thread (thread.c).  Called by the orchestrator and the runtime
 * shell; calls only the run state (core/).  Internal.
 */
#ifndef PTO_WIRING_WIRING_H
#define PTO_WIRING_WIRING_H

#include "libpto/core/run.h"

/* What the wiring thread does with a queued task (tags in the pointer's low bits). */
#define PTO_WIRE_LINK		1u	/* link it onto its producers */
#define PTO_WIRE_PUBLISH	2u	/* release its redundant fanin (make it visible) */
#define PTO_WIRE_RELEASE	4u	/* release its scope's reference (scope end) */

/*
 * Link @t onto each producer of @ids[0..@n) that is still alive, using the
 * dependency entries of @t's ring from *@dep_top on; compact the ones @t now
 * holds a reference on into t->fanin / t->num_fanin.  Return how many are
 * already satisfied.  Orchestrator (inline wiring) or wiring thread.
 */
uint32_t pto__task_wire(struct pto_runtime *rt, struct pto_task *t, const int64_t *ids,
			uint32_t n, uint64_t *dep_top);

/* Runtime shell: per-runtime state (teardown accepts a half-built runtime), per-run thread. */
int pto__wiring_setup(struct pto_runtime *rt);
void pto__wiring_teardown(struct pto_runtime *rt);
int pto__wiring_start(struct pto_runtime *rt);
void pto__wiring_join(struct pto_runtime *rt);
/* Orchestrator: hand @t to the wiring thread with PTO_WIRE_* @ops. */
int pto__wiring_push(struct pto_runtime *rt, struct pto_task *t, uint32_t ops);

#endif /* PTO_WIRING_WIRING_H */
