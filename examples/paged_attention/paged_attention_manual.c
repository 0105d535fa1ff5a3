// SPDX-License-Identifier: MIT
/*
 * paged_attention_manual - paged_attention (one task chain per KV block,
 * not unrolled) in one MANUAL scope per (sequence, query tile).
 *
 * The same four tasks per block as paged_attention: QK, softmax prepare,
 * PV and online update.  Inside the tile's scope every edge is explicit:
 * QK -> softmax -> PV -> update per block, and update -> update through the
 * tile's running state.  Blocking reads are not allowed in a manual scope,
 * so the sequence's context length and block ids are read from the device
 * before its first tile's scope opens.  The query, caches and output come
 * from outside the scope, so their boundary dependencies still come from
 * the tensors.  Right in AUTO and explicit-only mode alike.
 */

#include "examples/paged_attention/pa.h"

/* The tasks of one tile; st->pass_id holds the sequence's @nblk block ids. */
static int pa_manual_tile(struct pto_runtime *rt, struct pa_state *st, struct pa_io *io,
			  struct pa_tile *tile, uint32_t b, uint32_t len, uint32_t nblk)
{
	int64_t prev_up = PTO_TASK_NONE;
	int rc = 0;

	(void)b;
	for (uint32_t j = 0; !rc && j < nblk; j++) {
		uint32_t valid = len - j * st->block;
		struct pto_tensor kj, vj, s, o;
		struct pa_block blk;
		int64_t t[4];

		if ((rc = pa_cache_block(st, &io->k, st->pass_id[j], &kj)) ||
		    (rc = pa_cache_block(st, &io->v, st->pass_id[j], &vj)))
			return rc;
		t[0] = pa_submit_qk(rt, st, tile, &kj, &s);
		t[1] = pa_submit_softmax(rt, st, tile, &s, valid < st->block ? valid : st->block,
					 &blk);
		t[2] = pa_submit_pv(rt, tile, &blk, &vj, &o);
		t[3] = pa_submit_update(rt, tile, &blk, &o, j == 0, j == nblk - 1);
		rc = pa_link_block(rt, t, &prev_up);
	}
	return rc;
}

/* The block ids read before the tiles: blocking reads are refused in a manual scope. */
static int pa_manual_orch(struct pto_runtime *rt, void *arg)
{
	return pa_for_each_tile(rt, arg, PTO_SCOPE_MANUAL, true, pa_manual_tile);
}

static const struct ex_case pa_manual_cases[] = { PA_CASES };

const struct ex_example ex_paged_attention_manual = {
	.name = "paged_attention_manual",
	/* MANUAL scopes with explicit edges: right in either mode */
	.deps = EX_DEPS_AUTO | EX_DEPS_EXPLICIT,
	.description = "paged_attention (not unrolled) in one MANUAL scope per query tile",
	EX_CASES(pa_manual_cases),
	.orch = pa_manual_orch,
	PA_EXAMPLE_COMMON,
};
