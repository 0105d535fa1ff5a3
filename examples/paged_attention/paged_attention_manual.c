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
#include <errno.h>

#include "examples/paged_attention/pa.h"

/* The tasks of one tile; @ids holds the sequence's @nblk block ids. */
static int pa_manual_tile(struct pto_runtime *rt, struct pa_state *st, struct pa_io *io,
			  struct pa_tile *tile, uint32_t len, uint32_t nblk, const int32_t *ids)
{
	uint32_t sshape[2] = { tile->rows, st->block };
	int64_t prev_up = PTO_TASK_NONE;
	int rc = 0;

	for (uint32_t j = 0; !rc && j < nblk; j++) {
		uint32_t valid = len - j * st->block;
		struct pto_tensor kj, vj, s, o;
		struct pto_args args;
		struct pa_block blk;
		int64_t t[4];

		if ((rc = pa_cache_block(st, &io->k, ids[j], &kj)) ||
		    (rc = pa_cache_block(st, &io->v, ids[j], &vj)))
			return rc;
		pto_tensor_create(&s, PTO2_DTYPE_F32, 2, sshape);
		pto_args_init(&args);		/* QK */
		pto_arg_input(&args, &tile->qi);
		pto_arg_input(&args, &kj);
		pto_arg_output(&args, &s);
		t[0] = pto_submit_aic(rt, EX_K_QK, &args);
		t[1] = pa_submit_softmax(rt, st, tile, &s, valid < st->block ? valid : st->block,
					 &blk);
		t[2] = pa_submit_pv(rt, tile, &blk, &vj, &o);
		t[3] = pa_submit_update(rt, tile, &blk, &o, j == 0, j == nblk - 1);
		if (t[0] < 0 || t[1] < 0 || t[2] < 0 || t[3] < 0)
			return PTO_E_ABORTED;	/* the submit failed the run */
		for (int i = 0; !rc && i < 3; i++)
			rc = pto_add_dependency(rt, t[i], t[i + 1]);
		if (!rc && prev_up != PTO_TASK_NONE)
			rc = pto_add_dependency(rt, prev_up, t[3]);
		prev_up = t[3];
	}
	return rc;
}

static int pa_manual_orch(struct pto_runtime *rt, void *arg)
{
	struct pa_state *st = arg;
	struct pa_io io;
	int rc = pa_io_init(st, &io);

	for (uint32_t b = 0; !rc && b < st->batch; b++) {
		uint32_t len, nblk;

		if ((rc = pa_read_len(rt, &io, b, &len)))
			break;
		nblk = (len + st->block - 1) / st->block;
		if (nblk > st->max_blocks)
			return -EINVAL;	/* lengths changed since setup sized pass_id */
		/* outside any manual scope: the blocking reads of the block table */
		for (uint32_t j = 0; !rc && j < nblk; j++)
			rc = pa_read_block(rt, &io, b, j, &st->pass_id[j]);
		for (uint32_t qt = 0; !rc && qt < pa_num_qtiles(st); qt++) {
			PTO_SCOPE(rt, PTO_SCOPE_MANUAL) {
				struct pa_tile tile;

				rc = pa_tile_init(st, &io, b, qt, &tile);
				if (!rc)
					rc = pa_manual_tile(rt, st, &io, &tile, len, nblk,
							    st->pass_id);
			}
		}
	}
	return rc;
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
