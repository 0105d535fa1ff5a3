// SPDX-License-Identifier: MIT
/*
 * paged_attention_two_pass - decode attention, all QK tasks of a tile first.
 *
 * Per (sequence, query tile) scope, pass 1 submits the QK of every KV
 * block, pass 2 the softmax prepare, PV and online update of each.  The
 * per-block scores of pass 1 must survive until pass 2, so they are kept in
 * arrays sized in setup from the actual context lengths (the longest
 * sequence's block count), never from a fixed cap.
 */
#include <errno.h>

#include "examples/paged_attention/pa.h"

static int pa_two_pass_tile(struct pto_runtime *rt, struct pa_state *st, struct pa_io *io,
			    struct pa_tile *tile, uint32_t b, uint32_t len, uint32_t nblk)
{
	struct pto_tensor kj, vj, o;
	struct pa_block blk;
	int rc;

	if (nblk > st->max_blocks)
		return -EINVAL;	/* lengths changed since setup sized the arrays */
	for (uint32_t j = 0; j < nblk; j++) {	/* pass 1: every QK */
		if ((rc = pa_read_block(rt, io, b, j, &st->pass_id[j])) ||
		    (rc = pa_cache_block(st, &io->k, st->pass_id[j], &kj)))
			return rc;
		pa_submit_qk(rt, st, tile, &kj, &st->pass_s[j]);
	}
	for (uint32_t j = 0; j < nblk; j++) {	/* pass 2: the rest, block by block */
		uint32_t valid = len - j * st->block;

		if ((rc = pa_cache_block(st, &io->v, st->pass_id[j], &vj)))
			return rc;
		pa_submit_softmax(rt, st, tile, &st->pass_s[j],
				  valid < st->block ? valid : st->block, &blk);
		pa_submit_pv(rt, tile, &blk, &vj, &o);
		pa_submit_update(rt, tile, &blk, &o, j == 0, j == nblk - 1);
	}
	return 0;
}

static int pa_two_pass_orch(struct pto_runtime *rt, void *arg)
{
	return pa_for_each_tile(rt, arg, PTO_SCOPE_AUTO, false, pa_two_pass_tile);
}

static const struct ex_case pa_two_pass_cases[] = { PA_CASES };

const struct ex_example ex_paged_attention_two_pass = {
	.name = "paged_attention_two_pass",
	.description = "paged attention submitting every QK of a tile first, then the rest",
	EX_CASES(pa_two_pass_cases),
	.orch = pa_two_pass_orch,
	PA_EXAMPLE_COMMON,
};
