/* SPDX-License-Identifier: MIT */
/*
 * orch.h - the orchestrator, as the runtime shell sees it: per-runtime
 * state, the per-run reset, the outer scope pto_run() wraps around the
 * orchestration function, and the check every orchestrator call makes.
 * The orchestrator calls the wiring (wiring/) and the run state (core/),
 * never the schedulers or the shell.  Internal.
 */
#ifndef PTO_ORCH_ORCH_H
#define PTO_ORCH_ORCH_H

#include "libpto/core/run.h"

/* setup.c.  Teardown accepts a half-built runtime. */
int pto__orch_setup(struct pto_runtime *rt);
void pto__orch_teardown(struct pto_runtime *rt);
/* A new run: empty rings, TensorMap, scopes. */
void pto__orch_reset(struct pto_runtime *rt);
/* The orchestrator's own check that it may act (in a run, on its thread, no error). */
int pto__orch_check(struct pto_runtime *rt, const char *fn);

/*
 * help.c: after the orchestration function returned, run emulated cores
 * until the run ends (or fails), sleeping when there is nothing to run.
 */
void pto__orch_help_drain(struct pto_runtime *rt);

/* scope.c: open a scope / close the innermost one (releasing its references). */
int pto__scope_open(struct pto_runtime *rt, enum pto_scope_mode mode);
void pto__scope_close(struct pto_runtime *rt);

#endif /* PTO_ORCH_ORCH_H */
