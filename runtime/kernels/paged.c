// SPDX-License-Identifier: MIT
/* paged.c - QK and PV over several blocks of a paged KV cache in one task. */
#include "runtime/kernels/kernels.h"
#include "runtime/kernels/view.h"

/*
 * Common operand checks: t0 [M, X] f32, t1 cache [R, D] f32 (contiguous
 * rows of one buffer), t2 ids [n] int32 each naming a whole block inside
 * the cache, t3 [M, Y] f32; scalar 0 bs.  The scores side (t3 = s for QK,
 * t0 = p for PV) has n * bs columns, the other side D.
 */
struct paged_ops {
	struct kern_view a, cache, ids, out;
	uint32_t bs, n;
	uint32_t rows, dim;
};

static int32_t paged_id(const struct paged_ops *op, uint32_t j)
{
	return *(const int32_t *)(op->ids.base + kern_view_offset(&op->ids, j, op->ids.ndims) * 4);
}

static int paged_load(const struct pto_kernel_ctx *ctx, int scores_in, struct paged_ops *op)
{
	const struct kern_view *scores = scores_in ? &op->a : &op->out;
	const struct kern_view *rows = scores_in ? &op->out : &op->a;
	uint64_t cache_rows;
	int rc;

	if ((rc = kern_mat_load(ctx, 0, KERN_ANY, KERN_ANY, &op->a)) ||
	    (rc = kern_mat_load(ctx, 1, KERN_ANY, KERN_ANY, &op->cache)) ||
	    (rc = kern_view_load(ctx, 2, PTO2_DTYPE_I32, 1, &op->ids)) ||
	    (rc = kern_mat_load(ctx, 3, kern_mat_rows(&op->a), KERN_ANY, &op->out)))
		return rc;
	if (pto_kernel_num_scalars(ctx) < 1)
		return -EINVAL;
	op->bs = (uint32_t)pto_kernel_scalar(ctx, 0);
	op->n = (uint32_t)op->ids.numel;
	op->rows = kern_mat_rows(&op->a);
	op->dim = kern_mat_cols(rows);
	cache_rows = kern_mat_rows(&op->cache);
	if (op->bs == 0 || pto_kernel_scalar(ctx, 0) > cache_rows ||
	    kern_mat_cols(&op->cache) != op->dim ||
	    kern_mat_cols(scores) != (uint64_t)op->n * op->bs)
		return -EINVAL;
	for (uint32_t j = 0; j < op->n; j++) {
		int32_t id = paged_id(op, j);

		if (id < 0 || ((uint64_t)id + 1) * op->bs > cache_rows)
			return -EINVAL;
	}
	return 0;
}

static const float *paged_row(const struct paged_ops *op, uint32_t j, uint32_t t)
{
	int32_t id = paged_id(op, j);

	return kern_mat_at(&op->cache, 0) + ((uint64_t)id * op->bs + t) * kern_mat_ld(&op->cache);
}

int kern_qk_paged(const struct pto_kernel_ctx *ctx)
{
	struct paged_ops op;
	int rc = paged_load(ctx, 0, &op);

	if (rc)
		return rc;
	for (uint32_t i = 0; i < op.rows; i++) {
		const float *q = kern_mat_at(&op.a, 0) + i * kern_mat_ld(&op.a);
		float *s = kern_mat_at(&op.out, 0) + i * kern_mat_ld(&op.out);

		for (uint32_t j = 0; j < op.n; j++)
			for (uint32_t t = 0; t < op.bs; t++) {
				const float *k = paged_row(&op, j, t);
				float acc = 0.0f;

				for (uint32_t d = 0; d < op.dim; d++)
					acc += q[d] * k[d];
				s[j * op.bs + t] = acc;
			}
	}
	return 0;
}

int kern_pv_paged(const struct pto_kernel_ctx *ctx)
{
	struct paged_ops op;
	int rc = paged_load(ctx, 1, &op);

	if (rc)
		return rc;
	for (uint32_t i = 0; i < op.rows; i++) {
		const float *p = kern_mat_at(&op.a, 0) + i * kern_mat_ld(&op.a);
		float *o = kern_mat_at(&op.out, 0) + i * kern_mat_ld(&op.out);

		for (uint32_t d = 0; d < op.dim; d++)
			o[d] = 0.0f;
		for (uint32_t j = 0; j < op.n; j++)
			for (uint32_t t = 0; t < op.bs; t++) {
				const float *v = paged_row(&op, j, t);
				float pv = p[j * op.bs + t];

				if (pv == 0.0f)	/* masked tail columns */
					continue;
				for (uint32_t d = 0; d < op.dim; d++)
					o[d] += pv * v[d];
			}
	}
	return 0;
}
