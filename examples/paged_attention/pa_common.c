// SPDX-License-Identifier: MIT
/* pa_common.c - inputs, golden and task helpers of the paged attention examples. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "examples/paged_attention/pa.h"

#define PA_MAX_BATCH	4096
#define PA_MAX_HEADS	1024
#define PA_MAX_DIM	1024
#define PA_MAX_BLOCK	4096
#define PA_MAX_SEQ	(1u << 20)
#define PA_POISON	-12345.0f


/* Per-sequence lengths: PA_SEQ_LEN wins (and sets batch), else seq (one value or batch values). */
static int pa_parse_seq(struct ex_run *run, struct pa_state *st)
{
	const char *env = getenv("PA_SEQ_LEN");
	uint32_t *vals, n;
	int rc;

	/* empty is unset, as for every variable (docs/env.md) */
	if (env && *env) {
		if ((rc = ex_parse_list(run, "PA_SEQ_LEN", env, PA_MAX_SEQ, &vals, &n)))
			return rc;
		if (n > PA_MAX_BATCH) {
			free(vals);
			return ex_fail(run, -EINVAL, "PA_SEQ_LEN: %u lengths, at most %u", n,
				       PA_MAX_BATCH);
		}
		st->batch = n;
		st->seq = vals;
		return 0;
	}
	if ((rc = ex_param_list(run, "seq", PA_MAX_SEQ, &vals, &n)))
		return rc;
	if (n == st->batch) {
		st->seq = vals;
		return 0;
	}
	if (n != 1) {
		free(vals);
		return ex_fail(run, -EINVAL, "seq has %u lengths but batch=%u: give one length, "
			       "or one per sequence", n, st->batch);
	}
	st->seq = malloc(st->batch * sizeof(*st->seq));
	if (!st->seq) {
		free(vals);
		return ex_fail(run, -ENOMEM, "out of memory");
	}
	for (uint32_t b = 0; b < st->batch; b++)
		st->seq[b] = vals[0];
	free(vals);
	return 0;
}

static int pa_params(struct ex_run *run, struct pa_state *st)
{
	int rc;

	if ((rc = ex_param_u32(run, "batch", PA_MAX_BATCH, &st->batch)) ||
	    (rc = ex_param_u32(run, "heads", PA_MAX_HEADS, &st->heads)) ||
	    (rc = ex_param_u32(run, "head_dim", PA_MAX_DIM, &st->head_dim)) ||
	    (rc = ex_param_u32(run, "block", PA_MAX_BLOCK, &st->block)) ||
	    (rc = ex_param_u32_or(run, "q_tile", PA_MAX_HEADS,
				  st->heads < 128 ? st->heads : 128, &st->q_tile)) ||
	    (rc = ex_param_u32_or(run, "unroll", 1024, 64, &st->unroll)) ||
	    (rc = ex_param_f32_or(run, "scale", (float)(1.0 / sqrt((double)st->head_dim)),
				  &st->scale)))
		return rc;
	/* as a float: 1e-50 is positive but rounds to 0 */
	if (!(st->scale > 0))
		return ex_fail(run, -EINVAL, "scale must be positive");
	if (st->q_tile > st->heads)
		st->q_tile = st->heads;
	return pa_parse_seq(run, st);
}

/* Block table: every sequence's blocks drawn from one shuffled pool. */
static int pa_make_table(struct ex_run *run, struct pa_state *st)
{
	uint64_t total = 0, rows;
	uint32_t *perm, next = 0;
	uint64_t lcg = 42;

	st->max_blocks = 0;
	for (uint32_t b = 0; b < st->batch; b++) {
		uint32_t nb = (st->seq[b] + st->block - 1) / st->block;

		total += nb;
		if (nb > st->max_blocks)
			st->max_blocks = nb;
	}
	rows = total * st->block;
	if (total > INT32_MAX || rows > UINT32_MAX)
		return ex_fail(run, -EINVAL, "the KV cache would need %llu blocks: too many",
			       (unsigned long long)total);
	st->total_blocks = (uint32_t)total;
	st->table = malloc((uint64_t)st->batch * st->max_blocks * sizeof(*st->table));
	perm = malloc(total * sizeof(*perm));
	if (!st->table || !perm) {
		free(perm);
		return ex_fail(run, -ENOMEM, "out of memory");
	}
	for (uint32_t i = 0; i < total; i++)
		perm[i] = i;
	for (uint32_t i = (uint32_t)total; i > 1; i--) {	/* Fisher-Yates, fixed seed */
		uint32_t j, t;

		lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
		j = (uint32_t)((lcg >> 33) % i);
		t = perm[i - 1];
		perm[i - 1] = perm[j];
		perm[j] = t;
	}
	for (uint32_t b = 0; b < st->batch; b++) {
		uint32_t nb = (st->seq[b] + st->block - 1) / st->block;

		for (uint32_t j = 0; j < st->max_blocks; j++)
			st->table[(uint64_t)b * st->max_blocks + j] = j < nb ? (int32_t)perm[next++] : -1;
	}
	free(perm);
	return 0;
}

static uint64_t pa_out_elems(const struct pa_state *st)
{
	return (uint64_t)st->batch * st->heads * st->head_dim;
}

int pa_setup(struct ex_run *run)
{
	struct pa_state *st = calloc(1, sizeof(*st));
	uint64_t qn, kvn;
	int rc;

	if (!st)
		return ex_fail(run, -ENOMEM, "out of memory");
	run->state = st;
	if ((rc = pa_params(run, st)) || (rc = pa_make_table(run, st)))
		return rc;
	qn = (uint64_t)st->batch * st->heads * st->head_dim;
	kvn = (uint64_t)st->total_blocks * st->block * st->head_dim;
	st->q = malloc(qn * sizeof(float));
	st->k = malloc(kvn * sizeof(float));
	st->v = malloc(kvn * sizeof(float));
	st->pass_s = calloc(st->max_blocks, sizeof(*st->pass_s));
	st->pass_id = calloc(st->max_blocks, sizeof(*st->pass_id));
	if (!st->q || !st->k || !st->v || !st->pass_s || !st->pass_id)
		return ex_fail(run, -ENOMEM, "out of host memory for the inputs");
	ex_fill_random(st->q, qn, 11);
	ex_fill_random(st->k, kvn, 12);
	ex_fill_random(st->v, kvn, 13);
	if ((rc = ex_dev_alloc(run, qn * sizeof(float), st->q, &st->q_addr)) ||
	    (rc = ex_dev_alloc(run, kvn * sizeof(float), st->k, &st->k_addr)) ||
	    (rc = ex_dev_alloc(run, kvn * sizeof(float), st->v, &st->v_addr)) ||
	    (rc = ex_dev_alloc(run, (uint64_t)st->batch * st->max_blocks * sizeof(int32_t),
			       st->table, &st->table_addr)) ||
	    (rc = ex_dev_alloc(run, (uint64_t)st->batch * sizeof(uint32_t), st->seq,
			       &st->lens_addr)) ||
	    (rc = ex_dev_alloc(run, pa_out_elems(st) * sizeof(float), NULL, &st->out_addr)))
		return rc;
	return pa_reset(run);
}

/* Poison the output before each round so a row never written cannot pass. */
int pa_reset(struct ex_run *run)
{
	struct pa_state *st = run->state;

	return ex_dev_fill(run, st->out_addr, pa_out_elems(st), PA_POISON);
}

/* softmax(scale * q k^T) v per (sequence, head), in double precision. */
int pa_check(struct ex_run *run, struct ex_result *res)
{
	struct pa_state *st = run->state;
	uint32_t d = st->head_dim, bs = st->block, maxlen = 0;
	double *want = malloc(pa_out_elems(st) * sizeof(*want));
	double *w;
	int rc;

	for (uint32_t b = 0; b < st->batch; b++)
		if (st->seq[b] > maxlen)
			maxlen = st->seq[b];
	w = malloc(maxlen * sizeof(*w));
	if (!want || !w) {
		free(want);
		free(w);
		return ex_fail(run, -ENOMEM, "out of memory");
	}
	for (uint32_t b = 0; b < st->batch; b++)
		for (uint32_t h = 0; h < st->heads; h++) {
			const float *q = st->q + ((uint64_t)b * st->heads + h) * d;
			double *o = want + ((uint64_t)b * st->heads + h) * d, mx = -INFINITY, sum = 0;

			for (uint32_t t = 0; t < st->seq[b]; t++) {
				int32_t id = st->table[(uint64_t)b * st->max_blocks + t / bs];
				const float *k = st->k + ((uint64_t)id * bs + t % bs) * d;
				double dot = 0;

				for (uint32_t x = 0; x < d; x++)
					dot += (double)q[x] * k[x];
				w[t] = dot * st->scale;
				mx = fmax(mx, w[t]);
			}
			for (uint32_t t = 0; t < st->seq[b]; t++)
				sum += (w[t] = exp(w[t] - mx));
			memset(o, 0, d * sizeof(*o));
			for (uint32_t t = 0; t < st->seq[b]; t++) {
				int32_t id = st->table[(uint64_t)b * st->max_blocks + t / bs];
				const float *v = st->v + ((uint64_t)id * bs + t % bs) * d;
				double p = w[t] / sum;

				for (uint32_t x = 0; x < d; x++)
					o[x] += p * v[x];
			}
		}
	free(w);
	rc = ex_check_download(run, st->out_addr, want, pa_out_elems(st), res);
	free(want);
	return rc;
}

void pa_teardown(struct ex_run *run)
{
	struct pa_state *st = run->state;

	if (!st)
		return;
	free(st->seq);
	free(st->table);
	free(st->q);
	free(st->k);
	free(st->v);
	free(st->pass_s);
	free(st->pass_id);
	free(st);
}

/* --- orchestration helpers ---------------------------------------------------- */

int pa_io_init(const struct pa_state *st, struct pa_io *io)
{
	uint32_t qs[2] = { st->batch * st->heads, st->head_dim };
	uint32_t ks[2] = { st->total_blocks * st->block, st->head_dim };
	uint32_t ts[2] = { st->batch, st->max_blocks }, ls[1] = { st->batch };
	int rc;

	if ((rc = pto_tensor_external(&io->q, st->q_addr, PTO2_DTYPE_F32, 2, qs)) ||
	    (rc = pto_tensor_external(&io->out, st->out_addr, PTO2_DTYPE_F32, 2, qs)) ||
	    (rc = pto_tensor_external(&io->k, st->k_addr, PTO2_DTYPE_F32, 2, ks)) ||
	    (rc = pto_tensor_external(&io->v, st->v_addr, PTO2_DTYPE_F32, 2, ks)) ||
	    (rc = pto_tensor_external(&io->table, st->table_addr, PTO2_DTYPE_I32, 2, ts)) ||
	    (rc = pto_tensor_external(&io->lens, st->lens_addr, PTO2_DTYPE_I32, 1, ls)))
		return rc;
	/*
	 * No task writes the control tensors the orchestration reads: nothing
	 * to track, and in explicit-only mode their reads need not wait for
	 * every published task.
	 */
	pto_tensor_set_manual_dep(&io->table, 1);
	pto_tensor_set_manual_dep(&io->lens, 1);
	return 0;
}

int pa_read_len(struct pto_runtime *rt, const struct pa_io *io, uint32_t b, uint32_t *len)
{
	uint32_t idx[1] = { b };

	return pto_tensor_read(rt, &io->lens, idx, len);
}

int pa_read_block(struct pto_runtime *rt, const struct pa_io *io, uint32_t b, uint32_t j,
		  int32_t *id)
{
	uint32_t idx[2] = { b, j };

	return pto_tensor_read(rt, &io->table, idx, id);
}

uint32_t pa_num_qtiles(const struct pa_state *st)
{
	return (st->heads + st->q_tile - 1) / st->q_tile;
}

int pa_for_each_tile(struct pto_runtime *rt, struct pa_state *st, enum pto_scope_mode mode,
		     bool read_ids, pa_tile_fn fn)
{
	struct pa_io io;
	int rc = pa_io_init(st, &io);

	for (uint32_t b = 0; !rc && b < st->batch; b++) {
		uint32_t len, nblk;

		if ((rc = pa_read_len(rt, &io, b, &len)))
			break;
		nblk = (len + st->block - 1) / st->block;
		if (read_ids && nblk > st->max_blocks)
			return -EINVAL;	/* lengths changed since setup sized pass_id */
		for (uint32_t j = 0; read_ids && !rc && j < nblk; j++)
			rc = pa_read_block(rt, &io, b, j, &st->pass_id[j]);
		for (uint32_t qt = 0; !rc && qt < pa_num_qtiles(st); qt++) {
			PTO_SCOPE(rt, mode) {
				struct pa_tile tile;

				rc = pa_tile_init(st, &io, b, qt, &tile);
				if (!rc)
					rc = fn(rt, st, &io, &tile, b, len, nblk);
			}
		}
	}
	return rc;
}

int pa_tile_init(const struct pa_state *st, const struct pa_io *io, uint32_t b, uint32_t qt,
		 struct pa_tile *tile)
{
	uint32_t first = qt * st->q_tile, shape[2], off[2], vs[1];
	int rc;

	tile->rows = st->heads - first < st->q_tile ? st->heads - first : st->q_tile;
	shape[0] = tile->rows;
	shape[1] = st->head_dim;
	off[0] = b * st->heads + first;
	off[1] = 0;
	vs[0] = tile->rows;
	if ((rc = pto_tensor_view(&tile->qi, &io->q, shape, off)) ||
	    (rc = pto_tensor_view(&tile->out, &io->out, shape, off)) ||
	    (rc = pto_tensor_create(&tile->m, PTO2_DTYPE_F32, 1, vs)) ||
	    (rc = pto_tensor_create(&tile->l, PTO2_DTYPE_F32, 1, vs)) ||
	    (rc = pto_tensor_create(&tile->o, PTO2_DTYPE_F32, 2, shape)))
		return rc;
	return 0;
}

int pa_cache_block(const struct pa_state *st, const struct pto_tensor *cache, int32_t id,
		   struct pto_tensor *view)
{
	uint32_t shape[2] = { st->block, st->head_dim }, off[2] = { 0, 0 };

	if (id < 0 || (uint32_t)id >= st->total_blocks)
		return -EINVAL;
	off[0] = (uint32_t)id * st->block;
	return pto_tensor_view(view, cache, shape, off);
}

int64_t pa_submit_qk(struct pto_runtime *rt, const struct pa_state *st, struct pa_tile *tile,
		     struct pto_tensor *kj, struct pto_tensor *s)
{
	uint32_t sshape[2] = { tile->rows, st->block };
	struct pto_args args;

	pto_tensor_create(s, PTO2_DTYPE_F32, 2, sshape);
	pto_args_init(&args);
	pto_arg_input(&args, &tile->qi);
	pto_arg_input(&args, kj);
	pto_arg_output(&args, s);
	return pto_submit_aic(rt, EX_K_QK, &args);
}

int pa_link_block(struct pto_runtime *rt, const int64_t t[4], int64_t *prev_up)
{
	int rc = 0;

	if (t[0] < 0 || t[1] < 0 || t[2] < 0 || t[3] < 0)
		return PTO_E_ABORTED;	/* the submit failed the run */
	for (int i = 0; !rc && i < 3; i++)
		rc = pto_add_dependency(rt, t[i], t[i + 1]);
	if (!rc && *prev_up != PTO_TASK_NONE)
		rc = pto_add_dependency(rt, *prev_up, t[3]);
	*prev_up = t[3];
	return rc;
}

int64_t pa_submit_softmax(struct pto_runtime *rt, const struct pa_state *st,
			  const struct pa_tile *tile, struct pto_tensor *s, uint32_t valid,
			  struct pa_block *blk)
{
	uint32_t vs[1] = { tile->rows };
	struct pto_args args;

	pto_tensor_create(&blk->p, PTO2_DTYPE_F32, 2, s->shapes);
	pto_tensor_create(&blk->m, PTO2_DTYPE_F32, 1, vs);
	pto_tensor_create(&blk->l, PTO2_DTYPE_F32, 1, vs);
	pto_args_init(&args);
	pto_arg_input(&args, s);
	pto_arg_output(&args, &blk->p);
	pto_arg_output(&args, &blk->m);
	pto_arg_output(&args, &blk->l);
	pto_arg_scalar_f32(&args, st->scale);
	pto_arg_scalar(&args, valid);
	return pto_submit_aiv(rt, EX_K_SOFTMAX_PREPARE, &args);
}

int64_t pa_submit_pv(struct pto_runtime *rt, const struct pa_tile *tile, struct pa_block *blk,
		     struct pto_tensor *vj, struct pto_tensor *o)
{
	struct pto_args args;

	pto_tensor_create(o, PTO2_DTYPE_F32, 2, tile->qi.shapes);
	pto_args_init(&args);
	pto_arg_input(&args, &blk->p);
	pto_arg_input(&args, vj);
	pto_arg_output(&args, o);
	return pto_submit_aic(rt, EX_K_PV, &args);
}

int64_t pa_submit_update(struct pto_runtime *rt, struct pa_tile *tile, struct pa_block *blk,
			 struct pto_tensor *o, int first, int last)
{
	enum pto_arg_kind state = first ? PTO_ARG_OUTPUT : PTO_ARG_INOUT;
	struct pto_args args;

	pto_args_init(&args);
	pto_arg_input(&args, &blk->m);
	pto_arg_input(&args, &blk->l);
	pto_arg_input(&args, o);
	pto_arg_tensor(&args, &tile->m, state);	/* the first update creates the state */
	pto_arg_tensor(&args, &tile->l, state);
	pto_arg_tensor(&args, &tile->o, state);
	if (last)
		pto_arg_output_existing(&args, &tile->out);
	pto_arg_scalar(&args, first != 0);
	pto_arg_scalar(&args, last != 0);
	return pto_submit_aiv(rt, EX_K_ONLINE_UPDATE, &args);
}
