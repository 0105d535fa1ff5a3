/* SPDX-License-Identifier: MIT */
/* plan.h - the runtime shell's thread plan (plan.c).  Internal. */
#ifndef PTO_RUNTIME_PLAN_H
#define PTO_RUNTIME_PLAN_H

#include "libpto/core/run.h"

/*
 * Plan the run's threads into rt->plan (allocated here; freed by
 * pto_runtime_destroy()); print it with PTO_RT_VERBOSE.
 * Return: 0, or the gate's error (-EINVAL for a bad allowlist) / -ENOMEM.
 */
int pto__plan_threads(struct pto_runtime *rt);

#endif /* PTO_RUNTIME_PLAN_H */
