// SPDX-License-Identifier: MIT
/* batch_kernels.c - the batched paged-attention kernels (batch_pa.h). */
#include <math.h>

#include "examples/batch_paged_attention/batch_pa.h"
#include "runtime/kernels/view.h"

/* What every batched kernel checks: the chunk's lens and (when used) block table. */
struct batch_ops {
	struct kern_view lens, table;
	uint32_t nb, heads, bs, j;
};

static uint32_t batch_len(const struct batch_ops *op, uint32_t b)
{
	const int32_t *p = (const int32_t *)op->lens.base + kern_view_offset(&op->lens, b, 1);

	return *p > 0 ? (uint32_t)*p : 0;
}

/* Tokens of sequence @b in block j: 0 past its end, at most bs. */
static uint32_t batch_valid(const struct batch_ops *op, uint32_t b)
{
	uint64_t len = batch_len(op, b), start = (uint64_t)op->j * op->bs;

	if (len <= start)
		return 0;
	return len - start < op->bs ? (uint32_t)(len - start) : op->bs;
}

/*
 * Load lens (tensor @li), the table (tensor @ti, unless < 0) and scalars
 * bs, j, H from scalar @si on; @rows is the row count the matrices have.
 */
static int batch_load(const struct pto_kernel_ctx *ctx, int li, int ti, uint32_t si,
		      uint32_t rows, struct batch_ops *op)
{
	int rc;

	if (pto_kernel_num_scalars(ctx) < si + 3)
		return -EINVAL;
	op->bs = (uint32_t)pto_kernel_scalar(ctx, si);
	op->j = (uint32_t)pto_kernel_scalar(ctx, si + 1);
	op->heads = (uint32_t)pto_kernel_scalar(ctx, si + 2);
	if ((rc = kern_view_load(ctx, (uint32_t)li, PTO2_DTYPE_I32, 1, &op->lens)))
		return rc;
	op->nb = (uint32_t)op->lens.numel;
	if (!op->bs || !op->heads || (uint64_t)op->nb * op->heads != rows)
		return -EINVAL;
	if (ti < 0)
		return 0;
	if ((rc = kern_view_load(ctx, (uint32_t)ti, PTO2_DTYPE_I32, 2, &op->table)))
		return rc;
	if (op->table.ndims != 2 || op->table.shape[0] != op->nb)
		return -EINVAL;
	/* a block the table has no column for cannot be looked up */
	for (uint32_t b = 0; b < op->nb; b++)
		if (batch_valid(op, b) && op->j >= op->table.shape[1])
			return -EINVAL;
	return 0;
}

/* Cache rows of block j of sequence @b; NULL when the id is out of the cache. */
static const float *batch_block(const struct batch_ops *op, const struct kern_view *cache,
				uint32_t b)
{
	const int32_t *id = (const int32_t *)op->table.base +
			    kern_view_offset(&op->table, (uint64_t)b * op->table.shape[1] + op->j, 2);

	if (*id < 0 || ((uint64_t)*id + 1) * op->bs > kern_mat_rows(cache))
		return NULL;
	return kern_mat_at(cache, 0) + (uint64_t)*id * op->bs * kern_mat_ld(cache);
}

int kern_qk_batch(const struct pto_kernel_ctx *ctx)
{
	struct kern_view q, k, s;
	struct batch_ops op;
	uint32_t dim;
	int rc;

	if ((rc = kern_mat_load(ctx, 0, KERN_ANY, KERN_ANY, &q)) ||
	    (rc = kern_mat_load(ctx, 1, KERN_ANY, kern_mat_cols(&q), &k)) ||
	    (rc = batch_load(ctx, 3, 2, 0, kern_mat_rows(&q), &op)) ||
	    (rc = kern_mat_load(ctx, 4, kern_mat_rows(&q), op.bs, &s)))
		return rc;
	dim = kern_mat_cols(&q);
	for (uint32_t b = 0; b < op.nb; b++) {
		uint32_t valid = batch_valid(&op, b);
		const float *kb = valid ? batch_block(&op, &k, b) : NULL;

		if (valid && !kb)
			return -EINVAL;
		for (uint32_t h = 0; h < op.heads; h++) {
			uint64_t r = (uint64_t)b * op.heads + h;
			const float *qr = kern_mat_at(&q, 0) + r * kern_mat_ld(&q);
			float *sr = kern_mat_at(&s, 0) + r * kern_mat_ld(&s);

			for (uint32_t t = 0; t < op.bs; t++) {
				float acc = 0.0f;

				if (t < valid)
					for (uint32_t d = 0; d < dim; d++)
						acc += qr[d] * kb[t * kern_mat_ld(&k) + d];
				sr[t] = acc;
			}
		}
	}
	return 0;
}

int kern_softmax_batch(const struct pto_kernel_ctx *ctx)
{
	struct kern_view s, p, m, l;
	struct batch_ops op;
	uint32_t rows;
	float scale;
	int rc;

	if ((rc = kern_mat_load(ctx, 0, KERN_ANY, KERN_ANY, &s)))
		return rc;
	rows = kern_mat_rows(&s);
	if ((rc = kern_mat_load(ctx, 1, rows, kern_mat_cols(&s), &p)) ||
	    (rc = kern_view_load(ctx, 2, PTO2_DTYPE_F32, 1, &m)) ||
	    (rc = kern_view_load(ctx, 3, PTO2_DTYPE_F32, 1, &l)) ||
	    (rc = batch_load(ctx, 4, -1, 1, rows, &op)))
		return rc;
	if (m.numel != rows || l.numel != rows || kern_mat_cols(&s) != op.bs)
		return -EINVAL;
	scale = pto_kernel_scalar_f32(ctx, 0);
	for (uint32_t b = 0; b < op.nb; b++) {
		uint32_t valid = batch_valid(&op, b);

		for (uint32_t h = 0; h < op.heads; h++) {
			uint64_t r = (uint64_t)b * op.heads + h;
			const float *sr = kern_mat_at(&s, 0) + r * kern_mat_ld(&s);
			float *pr = kern_mat_at(&p, 0) + r * kern_mat_ld(&p);
			/* no valid column: m = -1e30, l = 0, p = 0, a no-op for the update */
			float mx = -1e30f, sum = 0.0f;

			for (uint32_t t = 0; t < valid; t++)
				mx = fmaxf(mx, sr[t] * scale);
			for (uint32_t t = 0; t < op.bs; t++) {
				pr[t] = t < valid ? expf(sr[t] * scale - mx) : 0.0f;
				sum += pr[t];
			}
			*kern_view_elem(&m, r) = mx;
			*kern_view_elem(&l, r) = sum;
		}
	}
	return 0;
}

int kern_pv_batch(const struct pto_kernel_ctx *ctx)
{
	struct kern_view p, v, o;
	struct batch_ops op;
	uint32_t dim;
	int rc;

	if ((rc = kern_mat_load(ctx, 0, KERN_ANY, KERN_ANY, &p)) ||
	    (rc = kern_mat_load(ctx, 1, KERN_ANY, KERN_ANY, &v)) ||
	    (rc = batch_load(ctx, 3, 2, 0, kern_mat_rows(&p), &op)) ||
	    (rc = kern_mat_load(ctx, 4, kern_mat_rows(&p), kern_mat_cols(&v), &o)))
		return rc;
	if (kern_mat_cols(&p) != op.bs)
		return -EINVAL;
	dim = kern_mat_cols(&v);
	for (uint32_t b = 0; b < op.nb; b++) {
		uint32_t valid = batch_valid(&op, b);
		const float *vb = valid ? batch_block(&op, &v, b) : NULL;

		if (valid && !vb)
			return -EINVAL;
		for (uint32_t h = 0; h < op.heads; h++) {
			uint64_t r = (uint64_t)b * op.heads + h;
			const float *pr = kern_mat_at(&p, 0) + r * kern_mat_ld(&p);
			float *orow = kern_mat_at(&o, 0) + r * kern_mat_ld(&o);

			for (uint32_t d = 0; d < dim; d++)
				orow[d] = 0.0f;
			for (uint32_t t = 0; t < valid; t++)
				for (uint32_t d = 0; d < dim; d++)
					orow[d] += pr[t] * vb[t * kern_mat_ld(&v) + d];
		}
	}
	return 0;
}
