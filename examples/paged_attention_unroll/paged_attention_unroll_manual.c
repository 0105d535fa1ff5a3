// SPDX-License-Identifier: MIT
/*
 * paged_attention_unroll_manual - paged_attention_unroll in MANUAL scopes.
 *
 * One manual scope per (sequence, query tile).  Each group's QK -> softmax
 * prepare -> PV -> update chain and the chain of updates through the
 * tile's running state are explicit edges; the query, caches and block
 * table come from outside the scope, so their (empty) boundary
 * dependencies still come from the tensors, and the output rows written by
 * the last update are seen by later outer readers.  Context lengths are
 * read before the scope opens: blocking reads are not allowed inside one.
 */
#include "examples/paged_attention/pa.h"

static int pa_unroll_manual_tile(struct pto_runtime *rt, struct pa_state *st,
				 struct pa_io *io, struct pa_tile *tile, uint32_t b, uint32_t len,
				 uint32_t nblk)
{
	int64_t prev_up = PTO_TASK_NONE;
	int rc = 0;

	for (uint32_t j0 = 0; !rc && j0 < nblk; j0 += st->unroll) {
		uint32_t n = nblk - j0 < st->unroll ? nblk - j0 : st->unroll;
		int64_t t[4];

		pa_unroll_group(rt, st, io, tile, b, j0, n, len, nblk, t);
		rc = pa_link_block(rt, t, &prev_up);
	}
	return rc;
}

static int pa_unroll_manual_orch(struct pto_runtime *rt, void *arg)
{
	return pa_for_each_tile(rt, arg, PTO_SCOPE_MANUAL, false, pa_unroll_manual_tile);
}

static const struct ex_case pa_unroll_manual_cases[] = { PA_CASES, PA_UNROLL_CASES };

const struct ex_example ex_paged_attention_unroll_manual = {
	.name = "paged_attention_unroll_manual",
	/* MANUAL scopes with explicit edges: right in either mode */
	.deps = EX_DEPS_AUTO | EX_DEPS_EXPLICIT,
	.description = "paged_attention_unroll in MANUAL scopes with explicit dependencies",
	EX_CASES(pa_unroll_manual_cases),
	.orch = pa_unroll_manual_orch,
	PA_EXAMPLE_COMMON,
};
