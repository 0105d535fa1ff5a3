/* SPDX-License-Identifier: MIT */
/*
 * trace_deps.h - what the trace exporter derives from a run's records
 * before writing (trace_json.c): per task the dispatches a flow arrow
 * leaves and reaches, its producers, and task id -> record index.
 */
#ifndef PTO_TRACE_DEPS_H
#define PTO_TRACE_DEPS_H

#include <stdint.h>

#include "libpto/trace/trace.h"

/*
 * What the exporter derives from the records before writing: per task, the
 * dispatches that start first and end last (where a flow arrow leaves and
 * arrives) and its producers (submit-time fanin plus explicit edges,
 * without repeats); and task id -> record index.
 */
struct span {
	uint64_t first_start;	/* earliest core start of its dispatches (0: none) */
	uint64_t last_end;	/* latest core end */
	uint64_t end_start;	/* start of the dispatch that ends last */
	uint32_t start_core, end_core;
};

struct id_idx {
	int64_t id;
	uint32_t idx;
};

struct deps {
	struct span *span;	/* per task record */
	struct id_idx *ids;	/* sorted by id */
	uint32_t nids;
	uint32_t *edge_off;	/* num_tasks + 1 offsets into edge_prod */
	int64_t *edge_prod;	/* explicit-edge producers grouped by consumer */
	int64_t *scratch;	/* one task's producer list */
	uint32_t cap_scratch;
};

/* Build @dp for @tr (0, or -ENOMEM); pto__trace_deps_free() either way. */
int pto__trace_deps_build(struct deps *dp, const struct pto_trace *tr);
void pto__trace_deps_free(struct deps *dp);
/* The task record a dispatch record belongs to (NULL: none). */
const struct pto_trace_task *pto__trace_dispatch_task(const struct pto_trace *tr,
						      const struct pto_trace_dispatch *d);
/* Record index of task @id (UINT32_MAX: not in the trace). */
uint32_t pto__trace_deps_find(const struct deps *dp, int64_t id);
/* Producers of record @idx into dp->scratch, without repeats: their count. */
uint32_t pto__trace_deps_of(struct deps *dp, const struct pto_trace *tr, uint32_t idx);

#endif /* PTO_TRACE_DEPS_H */
