// SPDX-License-Identifier: MIT
/* matmul.c - tile matrix multiply (plain, accumulating, B transposed). */
#include "runtime/kernels/kernels.h"
#include "runtime/kernels/view.h"

enum mm_mode { MM_SET, MM_ACC, MM_BT };

/*
 * C (=|+=) A @ B, or C = A @ B^T.  Rows of C are split over SPMD blocks,
 * counted across the batch so small tiles still spread.
 */
static int mm_run(const struct pto_kernel_ctx *ctx, enum mm_mode mode)
{
	struct kern_view a, b, c;
	uint32_t m, k, n;
	uint64_t batch, lo, hi;
	int rc;

	if ((rc = kern_view_load(ctx, 0, PTO2_DTYPE_F32, 2, &a)) ||
	    (rc = kern_view_load(ctx, 1, PTO2_DTYPE_F32, 2, &b)) ||
	    (rc = kern_view_load(ctx, 2, PTO2_DTYPE_F32, 2, &c)))
		return rc;
	m = kern_mat_rows(&a);
	k = kern_mat_cols(&a);
	n = kern_mat_cols(&c);
	batch = kern_mat_batch(&a);
	if (kern_mat_rows(&c) != m || kern_mat_batch(&b) != batch || kern_mat_batch(&c) != batch)
		return -EINVAL;
	if (mode == MM_BT ? (kern_mat_rows(&b) != n || kern_mat_cols(&b) != k)
			  : (kern_mat_rows(&b) != k || kern_mat_cols(&b) != n))
		return -EINVAL;

	kern_block_range(ctx, batch * m, &lo, &hi);
	for (uint64_t r = lo; r < hi; r++) {
		uint64_t bi = r / m;
		uint32_t i = (uint32_t)(r % m);
		const float *ar = kern_mat_at(&a, bi) + i * kern_mat_ld(&a);
		const float *bm = kern_mat_at(&b, bi);
		float *cr = kern_mat_at(&c, bi) + i * kern_mat_ld(&c);
		uint64_t ldb = kern_mat_ld(&b);

		if (mode == MM_BT) {
			for (uint32_t j = 0; j < n; j++) {
				const float *br = bm + j * ldb;
				float acc = 0.0f;

				for (uint32_t x = 0; x < k; x++)
					acc += ar[x] * br[x];
				cr[j] = acc;
			}
			continue;
		}
		if (mode == MM_SET)
			for (uint32_t j = 0; j < n; j++)
				cr[j] = 0.0f;
		/* i-k-j order: B and C rows are read contiguously */
		for (uint32_t x = 0; x < k; x++) {
			const float *br = bm + x * ldb;
			float av = ar[x];

			for (uint32_t j = 0; j < n; j++)
				cr[j] += av * br[j];
		}
	}
	return 0;
}

int kern_matmul(const struct pto_kernel_ctx *ctx)
{
	return mm_run(ctx, MM_SET);
}

int kern_matmul_acc(const struct pto_kernel_ctx *ctx)
{
	return mm_run(ctx, MM_ACC);
}

int kern_matmul_bt(const struct pto_kernel_ctx *ctx)
{
	return mm_run(ctx, MM_BT);
}
