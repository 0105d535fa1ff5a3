// SPDX-License-Identifier: MIT
/*
 * batch_paged_attention - decode attention whose kernels iterate over the
 * batch themselves (batch_pa.h).
 *
 * The batch is cut into chunks of in_core_batch consecutive sequences (16
 * by default); chunks are independent, so they spread over the cores.  Per
 * chunk, one AUTO scope, and per KV block index j up to the chunk's longest
 * sequence four tasks: QK, softmax prepare and PV over every sequence of
 * the chunk (each with its own length and block ids, read by the kernels
 * from the device's block table and context lengths), and the online
 * update over all the chunk's rows.  So a chunk's task count is 4 x its
 * longest sequence's blocks however many sequences it holds: up to
 * in_core_batch sequences the run's task count stays constant as the batch
 * grows (CaseBatch2 and CaseBatch16 are both 32 tasks).  Per-sequence
 * lengths vary freely (seq=..., or PA_SEQ_LEN); the golden is the paged
 * attention examples' own.
 */
#include <errno.h>
#include <stdlib.h>

#include "examples/paged_attention/pa.h"

#define BPA_MAX_CHUNK	4096

static int bpa_setup(struct ex_run *run)
{
	int rc = pa_setup(run);
	struct pa_state *st = run->state;

	if (rc)
		return rc;
	return ex_param_u32_or(run, "in_core_batch", BPA_MAX_CHUNK, 16, &st->in_core_batch);
}

/* The chunk's views of the query, output, block table and lengths. */
struct bpa_chunk {
	struct pto_tensor q, out, table, lens;
	struct pto_tensor m, l, o;	/* running state over all the chunk's rows */
	uint32_t rows;
};

static int bpa_chunk_init(const struct pa_state *st, const struct pa_io *io, uint32_t b0,
			  uint32_t nb, struct bpa_chunk *c)
{
	uint32_t qs[2] = { nb * st->heads, st->head_dim }, qo[2] = { b0 * st->heads, 0 };
	uint32_t ts[2] = { nb, st->max_blocks }, to[2] = { b0, 0 };
	uint32_t ls[1] = { nb }, lo[1] = { b0 }, vs[1] = { nb * st->heads };
	int rc;

	c->rows = nb * st->heads;
	if ((rc = pto_tensor_view(&c->q, &io->q, qs, qo)) ||
	    (rc = pto_tensor_view(&c->out, &io->out, qs, qo)) ||
	    (rc = pto_tensor_view(&c->table, &io->table, ts, to)) ||
	    (rc = pto_tensor_view(&c->lens, &io->lens, ls, lo)) ||
	    (rc = pto_tensor_create(&c->m, PTO2_DTYPE_F32, 1, vs)) ||
	    (rc = pto_tensor_create(&c->l, PTO2_DTYPE_F32, 1, vs)) ||
	    (rc = pto_tensor_create(&c->o, PTO2_DTYPE_F32, 2, qs)))
		return rc;
	return 0;
}

/* The four tasks of KV block @j of every sequence of chunk @c. */
static void bpa_block(struct pto_runtime *rt, const struct pa_state *st, struct pa_io *io,
		      struct bpa_chunk *c, uint32_t j, int first, int last)
{
	uint32_t sshape[2] = { c->rows, st->block }, vs[1] = { c->rows };
	enum pto_arg_kind state = first ? PTO_ARG_OUTPUT : PTO_ARG_INOUT;
	struct pto_tensor s, p, mj, lj, oj;
	struct pto_args args;

	pto_tensor_create(&s, PTO2_DTYPE_F32, 2, sshape);
	pto_args_init(&args);			/* QK of every sequence */
	pto_arg_input(&args, &c->q);
	pto_arg_input(&args, &io->k);
	pto_arg_input(&args, &c->table);
	pto_arg_input(&args, &c->lens);
	pto_arg_output(&args, &s);
	pto_arg_scalar(&args, st->block);
	pto_arg_scalar(&args, j);
	pto_arg_scalar(&args, st->heads);
	pto_submit_aic(rt, EX_K_QK_BATCH, &args);

	pto_tensor_create(&p, PTO2_DTYPE_F32, 2, sshape);
	pto_tensor_create(&mj, PTO2_DTYPE_F32, 1, vs);
	pto_tensor_create(&lj, PTO2_DTYPE_F32, 1, vs);
	pto_args_init(&args);			/* softmax prepare, each its own length */
	pto_arg_input(&args, &s);
	pto_arg_output(&args, &p);
	pto_arg_output(&args, &mj);
	pto_arg_output(&args, &lj);
	pto_arg_input(&args, &c->lens);
	pto_arg_scalar_f32(&args, st->scale);
	pto_arg_scalar(&args, st->block);
	pto_arg_scalar(&args, j);
	pto_arg_scalar(&args, st->heads);
	pto_submit_aiv(rt, EX_K_SOFTMAX_BATCH, &args);

	pto_tensor_create(&oj, PTO2_DTYPE_F32, 2, c->q.shapes);
	pto_args_init(&args);			/* PV of every sequence */
	pto_arg_input(&args, &p);
	pto_arg_input(&args, &io->v);
	pto_arg_input(&args, &c->table);
	pto_arg_input(&args, &c->lens);
	pto_arg_output(&args, &oj);
	pto_arg_scalar(&args, st->block);
	pto_arg_scalar(&args, j);
	pto_arg_scalar(&args, st->heads);
	pto_submit_aic(rt, EX_K_PV_BATCH, &args);

	pto_args_init(&args);			/* row-wise: one update for the chunk */
	pto_arg_input(&args, &mj);
	pto_arg_input(&args, &lj);
	pto_arg_input(&args, &oj);
	pto_arg_tensor(&args, &c->m, state);
	pto_arg_tensor(&args, &c->l, state);
	pto_arg_tensor(&args, &c->o, state);
	if (last)
		pto_arg_output_existing(&args, &c->out);
	pto_arg_scalar(&args, first != 0);
	pto_arg_scalar(&args, last != 0);
	pto_submit_aiv(rt, EX_K_ONLINE_UPDATE, &args);
}

static int bpa_orch(struct pto_runtime *rt, void *arg)
{
	struct pa_state *st = arg;
	struct pa_io io;
	int rc = pa_io_init(st, &io);

	for (uint32_t b0 = 0; !rc && b0 < st->batch; b0 += st->in_core_batch) {
		uint32_t nb = st->batch - b0 < st->in_core_batch ? st->batch - b0 :
			      st->in_core_batch;
		uint32_t nblk = 0;

		/* the chunk's longest sequence sets its task count */
		for (uint32_t b = b0; !rc && b < b0 + nb; b++) {
			uint32_t len;

			rc = pa_read_len(rt, &io, b, &len);
			if (!rc && (len + st->block - 1) / st->block > nblk)
				nblk = (len + st->block - 1) / st->block;
		}
		if (!rc && nblk > st->max_blocks)
			rc = -EINVAL;	/* lengths changed since setup sized the table */
		if (rc)
			break;
		PTO_SCOPE(rt, PTO_SCOPE_AUTO) {
			struct bpa_chunk c;

			rc = bpa_chunk_init(st, &io, b0, nb, &c);
			for (uint32_t j = 0; !rc && j < nblk; j++)
				bpa_block(rt, st, &io, &c, j, j == 0, j == nblk - 1);
		}
	}
	return rc;
}

static const struct ex_case bpa_cases[] = {
	{ "Default", "batch=4 heads=16 head_dim=64 block=64 seq=1024,517,2048,64", EX_CASE_SMALL,
	  "mixed lengths in one chunk: 4 x 32 tasks" },
	{ "CaseSmall1", "batch=1 heads=16 head_dim=16 block=16 seq=33", EX_CASE_SMALL,
	  "3 blocks, the last holding one token" },
	{ "CaseVarSeq4", "batch=4 heads=16 head_dim=16 block=16 seq=33,64,128,15", EX_CASE_SMALL,
	  "four lengths, one shorter than a block" },
	{ "CaseBatch2", "batch=2 heads=16 head_dim=16 block=16 seq=128", EX_CASE_SMALL,
	  "one chunk of 2: 32 tasks" },
	{ "CaseBatch16", "batch=16 heads=16 head_dim=16 block=16 seq=128", EX_CASE_SMALL,
	  "one chunk of 16: the same 32 tasks as CaseBatch2" },
	{ "CaseChunks", "batch=20 heads=16 head_dim=16 block=16 in_core_batch=8 "
	  "seq=33,64,17,128,5,99,48,16,1,77,64,31,130,2,56,90,15,40,112,8", EX_CASE_SMALL,
	  "three chunks (8, 8, 4) of varied lengths" },
	{ "CaseBatch256", "batch=256 heads=16 head_dim=16 block=16 seq=64", EX_CASE_SMALL,
	  "16 chunks of 16 sequences, 4 blocks each: 256 tasks" },
};

const struct ex_example ex_batch_paged_attention = {
	.name = "batch_paged_attention",
	.description = "paged attention whose kernels iterate over chunks of in_core_batch "
		       "sequences",
	EX_CASES(bpa_cases),
	.orch = bpa_orch,
	.atol = 1e-4, .rtol = 1e-3,
	.keys = "batch heads head_dim block seq scale in_core_batch",
	.env = PA_ENV, .setup = bpa_setup, .reset = pa_reset, .check = pa_check,
	.teardown = pa_teardown,
};
