// SPDX-License-Identifier: MIT
/*
 * paged_attention_unroll - decode attention, up to `unroll` KV blocks per task.
 *
 * Same math as paged_attention, but each group of up to unroll blocks of a
 * sequence is four tasks: a paged QK (AIC) that looks the group's block ids
 * up in the block table itself, one softmax prepare over the whole group
 * (AIV), a paged PV (AIC) accumulating over the group's blocks, and one
 * online update (AIV).  Fewer, larger tasks: with unroll=64 a reference
 * Case1 sequence is 4 tasks instead of 256.
 */
#include "examples/paged_attention/pa.h"

void pa_unroll_group(struct pto_runtime *rt, const struct pa_state *st, struct pa_io *io,
		     struct pa_tile *tile, uint32_t b, uint32_t j0, uint32_t n, uint32_t len,
		     uint32_t nblk, int64_t task[4])
{
	uint32_t ishape[2] = { 1, n }, ioff[2] = { b, j0 };
	uint32_t sshape[2] = { tile->rows, n * st->block };
	uint32_t valid = len - j0 * st->block;
	struct pto_tensor ids, s, o;
	struct pto_args args;
	struct pa_block blk;

	pto_tensor_view(&ids, &io->table, ishape, ioff);
	pto_tensor_create(&s, PTO2_DTYPE_F32, 2, sshape);
	pto_args_init(&args);			/* QK over the group */
	pto_arg_input(&args, &tile->qi);
	pto_arg_input(&args, &io->k);
	pto_arg_input(&args, &ids);
	pto_arg_output(&args, &s);
	pto_arg_scalar(&args, st->block);
	task[0] = pto_submit_aic(rt, EX_K_QK_PAGED, &args);

	task[1] = pa_submit_softmax(rt, st, tile, &s, valid < sshape[1] ? valid : sshape[1], &blk);

	pto_tensor_create(&o, PTO2_DTYPE_F32, 2, tile->qi.shapes);
	pto_args_init(&args);			/* PV over the group */
	pto_arg_input(&args, &blk.p);
	pto_arg_input(&args, &io->v);
	pto_arg_input(&args, &ids);
	pto_arg_output(&args, &o);
	pto_arg_scalar(&args, st->block);
	task[2] = pto_submit_aic(rt, EX_K_PV_PAGED, &args);

	task[3] = pa_submit_update(rt, tile, &blk, &o, j0 == 0, j0 + n == nblk);
}

static int pa_unroll_tile(struct pto_runtime *rt, struct pa_state *st, struct pa_io *io,
			  struct pa_tile *tile, uint32_t b, uint32_t len, uint32_t nblk)
{
	for (uint32_t j0 = 0; j0 < nblk; j0 += st->unroll) {
		uint32_t n = nblk - j0 < st->unroll ? nblk - j0 : st->unroll;
		int64_t task[4];

		pa_unroll_group(rt, st, io, tile, b, j0, n, len, nblk, task);
	}
	return 0;
}

static int pa_unroll_orch(struct pto_runtime *rt, void *arg)
{
	return pa_for_each_tile(rt, arg, PTO_SCOPE_AUTO, false, pa_unroll_tile);
}

static const struct ex_case pa_unroll_cases[] = { PA_CASES, PA_UNROLL_CASES };

const struct ex_example ex_paged_attention_unroll = {
	.name = "paged_attention_unroll",
	.description = "paged attention with up to `unroll` KV blocks (default 64) per task group",
	EX_CASES(pa_unroll_cases),
	.orch = pa_unroll_orch,
	PA_EXAMPLE_COMMON,
};
