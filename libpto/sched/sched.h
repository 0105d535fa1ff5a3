/* SPDX-License-Identifier: MIT */
/*
 * sched.h - the scheduler threads, as the runtime shell sees them:
 * per-runtime state, start and join per run, and stopping the cores after
 * a failed run (setup.c).  Calls only the run state (core/) and below.
 * Internal.
 */
#ifndef PTO_SCHED_SCHED_H
#define PTO_SCHED_SCHED_H

#include "libpto/core/run.h"

/*
 * $PTO_SCHED_SPIN_NS, 0..PTO_SCHED_SPIN_MAX_NS, into *@ns; UINT64_MAX when
 * unset or empty (the default depends on the run).  -EINVAL when malformed.
 */
#define PTO_SCHED_SPIN_MAX_NS	1000000000ull
int pto__sched_spin_env(uint64_t *ns);

/* Needs rt->plan (runtime/plan.c).  Teardown accepts a half-built runtime. */
int pto__sched_setup(struct pto_runtime *rt);
void pto__sched_teardown(struct pto_runtime *rt);
int pto__sched_start(struct pto_runtime *rt);
void pto__sched_join(struct pto_runtime *rt);
/* After a failed run: EXIT every busy core, wait (bounded) for EXITED, forget dispatches. */
void pto__sched_stop_cores(struct pto_runtime *rt);

#endif /* PTO_SCHED_SCHED_H */
