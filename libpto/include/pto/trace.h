/* SPDX-License-Identifier: MIT */
/*
 * pto/trace.h - exporting the trace of a run.
 *
 * A runtime created with PTO_RT_TRACE records, for every task, its
 * lifecycle timestamps (submit, publish, ready, dispatch, core start, core
 * end, completion observed, retired), plus scheduler loop and orchestrator
 * phases, into buffers allocated before the run.  Records that do not fit
 * are counted (pto_run_stats.trace_dropped), never silently lost.
 */
#ifndef PTO_TRACE_H
#define PTO_TRACE_H

#include "pto/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * pto_trace_write() - write the last run's trace as Chrome/Perfetto JSON.
 * @rt: a runtime created with %PTO_RT_TRACE, after pto_run().
 * @path: output file (created or truncated).
 *
 * One lane per orchestrator, scheduler, wiring thread and core; each task's
 * event carries its kernel, ids and dependency list in "args".
 *
 * Return: 0, -EINVAL when tracing was off or no run happened, -errno of the
 * failing file operation.
 */
int pto_trace_write(const struct pto_runtime *rt, const char *path);

#ifdef __cplusplus
}
#endif

#endif /* PTO_TRACE_H */
