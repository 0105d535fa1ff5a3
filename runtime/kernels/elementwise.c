// SPDX-License-Identifier: MIT
/* elementwise.c - add, add-scalar, mul and accumulate over float views. */
#include "runtime/kernels/kernels.h"
#include "runtime/kernels/view.h"

enum ew_op { EW_ADD, EW_MUL };

/* Load @n same-shaped f32 operands t0..t(n-1). */
static int ew_load(const struct pto_kernel_ctx *ctx, struct kern_view *v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		int rc = kern_view_load(ctx, i, PTO2_DTYPE_F32, 1, &v[i]);

		if (rc)
			return rc;
		if (i && !kern_view_same_shape(&v[0], &v[i]))
			return -EINVAL;
	}
	return 0;
}

/* out = a (op) b, row by row; out may alias a or b (same element order). */
static int ew_binary(const struct pto_kernel_ctx *ctx, const struct kern_view *a,
		     const struct kern_view *b, const struct kern_view *out, enum ew_op op)
{
	uint32_t cols = a->shape[a->ndims - 1];
	uint64_t lo, hi;

	kern_block_range(ctx, kern_view_rows(a), &lo, &hi);
	for (uint64_t r = lo; r < hi; r++) {
		const float *x = kern_view_row(a, r);
		const float *y = kern_view_row(b, r);
		float *z = kern_view_row(out, r);

		if (op == EW_ADD)
			for (uint32_t c = 0; c < cols; c++)
				z[c] = x[c] + y[c];
		else
			for (uint32_t c = 0; c < cols; c++)
				z[c] = x[c] * y[c];
	}
	return 0;
}

static int ew_three(const struct pto_kernel_ctx *ctx, enum ew_op op)
{
	struct kern_view v[3];
	int rc = ew_load(ctx, v, 3);

	return rc ? rc : ew_binary(ctx, &v[0], &v[1], &v[2], op);
}

int kern_add(const struct pto_kernel_ctx *ctx)
{
	return ew_three(ctx, EW_ADD);
}

int kern_mul(const struct pto_kernel_ctx *ctx)
{
	return ew_three(ctx, EW_MUL);
}

int kern_acc(const struct pto_kernel_ctx *ctx)
{
	struct kern_view v[2];
	int rc = ew_load(ctx, v, 2);

	return rc ? rc : ew_binary(ctx, &v[0], &v[1], &v[0], EW_ADD);
}

int kern_add_scalar(const struct pto_kernel_ctx *ctx)
{
	struct kern_view v[2];
	uint64_t lo, hi;
	uint32_t cols;
	float s;
	int rc = ew_load(ctx, v, 2);

	if (rc)
		return rc;
	if (pto_kernel_num_scalars(ctx) < 1)
		return -EINVAL;
	s = pto_kernel_scalar_f32(ctx, 0);
	cols = v[0].shape[v[0].ndims - 1];
	kern_block_range(ctx, kern_view_rows(&v[0]), &lo, &hi);
	for (uint64_t r = lo; r < hi; r++) {
		const float *x = kern_view_row(&v[0], r);
		float *z = kern_view_row(&v[1], r);

		for (uint32_t c = 0; c < cols; c++)
			z[c] = x[c] + s;
	}
	return 0;
}
