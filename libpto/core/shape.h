/* SPDX-License-Identifier: MIT */
/*
 * shape.h - task shapes: which cores a task needs, so which ready queue it
 * goes through.  Owned by the run state (core/run.h); the trace records it.
 * Internal.
 */
#ifndef PTO_CORE_SHAPE_H
#define PTO_CORE_SHAPE_H

enum pto_task_shape {
	PTO_TASK_SHAPE_AIC = 0,		/* one AIC core per block */
	PTO_TASK_SHAPE_AIV = 1,		/* one AIV core per block */
	PTO_TASK_SHAPE_MIX = 2,		/* several lanes of one cluster per block */
};

#define PTO_NUM_SHAPES		3

#endif /* PTO_CORE_SHAPE_H */
