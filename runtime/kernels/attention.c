// SPDX-License-Identifier: MIT
/* attention.c - softmax prepare and online softmax update of decode attention. */
#include <math.h>

#include "runtime/kernels/kernels.h"
#include "runtime/kernels/view.h"

/* Row max of a block with no valid column: finite, so exp(m - m') stays defined. */
#define KERN_NEG_BIG	(-1e30f)

/* Load a vector operand of exactly @n elements. */
static int vec_load(const struct pto_kernel_ctx *ctx, uint32_t i, uint64_t n, struct kern_view *v)
{
	int rc = kern_view_load(ctx, i, PTO2_DTYPE_F32, 1, v);

	if (!rc && v->numel != n)
		rc = -EINVAL;
	return rc;
}

int kern_softmax_prepare(const struct pto_kernel_ctx *ctx)
{
	struct kern_view s, p, m, l;
	uint32_t rows, cols;
	uint64_t valid;
	float scale;
	int rc;

	if ((rc = kern_mat_load(ctx, 0, KERN_ANY, KERN_ANY, &s)))
		return rc;
	if (pto_kernel_num_scalars(ctx) < 2)
		return -EINVAL;
	rows = kern_mat_rows(&s);
	cols = kern_mat_cols(&s);
	if ((rc = kern_mat_load(ctx, 1, rows, cols, &p)) || (rc = vec_load(ctx, 2, rows, &m)) ||
	    (rc = vec_load(ctx, 3, rows, &l)))
		return rc;
	scale = pto_kernel_scalar_f32(ctx, 0);
	valid = pto_kernel_scalar(ctx, 1);
	if (valid > cols)
		return -EINVAL;

	for (uint32_t i = 0; i < rows; i++) {
		const float *sr = kern_mat_at(&s, 0) + i * kern_mat_ld(&s);
		float *pr = kern_mat_at(&p, 0) + i * kern_mat_ld(&p);
		float mx = KERN_NEG_BIG, sum = 0.0f;

		for (uint32_t j = 0; j < valid; j++)
			mx = fmaxf(mx, sr[j] * scale);
		for (uint32_t j = 0; j < cols; j++) {
			pr[j] = j < valid ? expf(sr[j] * scale - mx) : 0.0f;
			sum += pr[j];
		}
		*kern_view_elem(&m, i) = mx;
		*kern_view_elem(&l, i) = sum;
	}
	return 0;
}

int kern_online_update(const struct pto_kernel_ctx *ctx)
{
	struct kern_view mj, lj, oj, m, l, o, out;
	uint32_t rows, dim;
	int first, last, rc;

	if (pto_kernel_num_scalars(ctx) < 2)
		return -EINVAL;
	first = pto_kernel_scalar(ctx, 0) != 0;
	last = pto_kernel_scalar(ctx, 1) != 0;
	if (pto_kernel_num_tensors(ctx) != (last ? 7u : 6u))
		return -EINVAL;
	if ((rc = kern_mat_load(ctx, 2, KERN_ANY, KERN_ANY, &oj)))
		return rc;
	rows = kern_mat_rows(&oj);
	dim = kern_mat_cols(&oj);
	if ((rc = vec_load(ctx, 0, rows, &mj)) || (rc = vec_load(ctx, 1, rows, &lj)) ||
	    (rc = vec_load(ctx, 3, rows, &m)) || (rc = vec_load(ctx, 4, rows, &l)) ||
	    (rc = kern_mat_load(ctx, 5, rows, dim, &o)) ||
	    (last && (rc = kern_mat_load(ctx, 6, rows, dim, &out))))
		return rc;

	for (uint32_t i = 0; i < rows; i++) {
		const float *ojr = kern_mat_at(&oj, 0) + i * kern_mat_ld(&oj);
		float *orow = kern_mat_at(&o, 0) + i * kern_mat_ld(&o);
		float *mi = kern_view_elem(&m, i), *li = kern_view_elem(&l, i);
		float mb = *kern_view_elem(&mj, i), lb = *kern_view_elem(&lj, i);

		if (first) {
			*mi = mb;
			*li = lb;
			for (uint32_t d = 0; d < dim; d++)
				orow[d] = ojr[d];
		} else {
			float mn = fmaxf(*mi, mb);
			float a = expf(*mi - mn), b = expf(mb - mn);

			*mi = mn;
			*li = a * *li + b * lb;
			for (uint32_t d = 0; d < dim; d++)
				orow[d] = a * orow[d] + b * ojr[d];
		}
		if (last) {
			float *dst = kern_mat_at(&out, 0) + i * kern_mat_ld(&out);
			float inv = *li > 0.0f ? 1.0f / *li : 0.0f;

			for (uint32_t d = 0; d < dim; d++)
				dst[d] = orow[d] * inv;
		}
	}
	return 0;
}
