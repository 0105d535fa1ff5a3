// SPDX-License-Identifier: MIT
/*
 * paged_attention - decode attention, one task chain per KV block.
 *
 * Per (sequence, query tile) scope, per KV block of that sequence:
 * QK (AIC) s = q k^T, softmax prepare (AIV), PV (AIC) o_j = p v, online
 * update (AIV) folding (m_j, l_j, o_j) into the tile's running state; the
 * last update writes the output rows.  Context lengths and block ids are
 * read from device tensors with the blocking pto_tensor_read(), as a
 * program whose control flow depends on device data would.
 */
#include "examples/paged_attention/pa.h"

static int pa_tile(struct pto_runtime *rt, struct pa_state *st, struct pa_io *io,
		   struct pa_tile *tile, uint32_t b, uint32_t len, uint32_t nblk)
{
	int rc;

	for (uint32_t j = 0; j < nblk; j++) {
		uint32_t valid = len - j * st->block;
		struct pto_tensor kj, vj, s, o;
		struct pa_block blk;
		int32_t id;

		if ((rc = pa_read_block(rt, io, b, j, &id)) ||
		    (rc = pa_cache_block(st, &io->k, id, &kj)) ||
		    (rc = pa_cache_block(st, &io->v, id, &vj)))
			return rc;
		pa_submit_qk(rt, st, tile, &kj, &s);

		pa_submit_softmax(rt, st, tile, &s, valid < st->block ? valid : st->block, &blk);

		pa_submit_pv(rt, tile, &blk, &vj, &o);

		pa_submit_update(rt, tile, &blk, &o, j == 0, j == nblk - 1);
	}
	return 0;
}

static int pa_orch(struct pto_runtime *rt, void *arg)
{
	return pa_for_each_tile(rt, arg, PTO_SCOPE_AUTO, false, pa_tile);
}

static const struct ex_case pa_cases[] = { PA_CASES };

const struct ex_example ex_paged_attention = {
	.name = "paged_attention",
	.description = "decode attention over a paged KV cache, online softmax, 4 tasks per KV block",
	EX_CASES(pa_cases),
	.orch = pa_orch,
	PA_EXAMPLE_COMMON,
};
