/* SPDX-License-Identifier: MIT */
/*
 * hazard.h - the submit-time hazard check (PTO_HAZARDS_CHECK): is a writer
 * ordered after every unfinished task that read (or, for OUTPUT_EXISTING,
 * wrote) an overlapping region?  Orchestrator-private.  Internal.
 *
 * The candidates come from the TensorMap (pto_submit() collects them while
 * it looks up the writer's regions).  "Ordered before" is exact: a
 * candidate that is a direct producer, or in the writer's 64-task ancestry
 * mask, is; otherwise a walk back from the writer's producers through the
 * unfinished tasks' recorded producers (struct pto_task.hz_fanin, plus
 * pto_add_dependency() edges) decides, stopping once it reached them all.
 * Finished tasks stop the walk: everything they depend on finished too, so
 * an unfinished candidate cannot be behind them.
 */
#ifndef PTO_ORCH_HAZARD_H
#define PTO_ORCH_HAZARD_H

#include <stdbool.h>
#include <stdint.h>

#include "pto/runtime.h"

struct pto_runtime;
struct pto_task;

/* An earlier access the writer being submitted conflicts with. */
struct pto_hz_cand {
	int64_t task;
	uint32_t arg;		/* the writer's tensor argument */
	bool waw;		/* the earlier task wrote (else it read) */
};

/**
 * struct pto_hazard - check state.
 * @seen: per ring, per slot, the walk that last visited the slot's task.
 * @epoch: the current walk's number (0 = none yet).
 * @stack: the walk's work list.
 * @cand: candidates of the task being submitted.
 * @left: candidates the walk has not reached yet (it stops at 0).
 */
struct pto_hazard {
	uint32_t *seen[PTO_NUM_RINGS];
	uint32_t window[PTO_NUM_RINGS];
	uint32_t epoch;
	int64_t *stack;
	uint32_t cap_stack;
	struct pto_hz_cand *cand;
	uint32_t num_cand;
	uint32_t cap_cand;
	uint32_t left;
};

/* Tables for rings of @window slots.  Return 0 or -ENOMEM. */
int pto__hz_init(struct pto_hazard *hz, const uint32_t *window);
void pto__hz_fini(struct pto_hazard *hz);

/* Remember a candidate of the task being submitted.  Return 0 or -ENOMEM. */
int pto__hz_add(struct pto_hazard *hz, int64_t task, uint32_t arg, bool waw);

/*
 * pto__hz_check() - fail the run with %PTO_E_HAZARD if a candidate is
 * unfinished and not ordered before the writer, whose producers are
 * rt->dep_scratch and which will get id @wid and run @kernel.
 * @is_before(@ctx, task) is a fast, sound but incomplete "ordered before"
 * (the orchestrator's 64-task ancestry mask); the walk decides the rest.
 * Clears the candidates.  Return: 0 or the failed run's code.
 */
int pto__hz_check(struct pto_runtime *rt, int64_t wid, int32_t kernel,
		  const struct pto_args *args, bool (*is_before)(void *ctx, int64_t task),
		  void *ctx);

#endif /* PTO_ORCH_HAZARD_H */
