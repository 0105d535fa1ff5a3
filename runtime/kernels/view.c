// SPDX-License-Identifier: MIT
/* view.c - strided operand access shared by the reference kernels. */
#include "runtime/kernels/view.h"

int kern_view_load(const struct pto_kernel_ctx *ctx, uint32_t i, enum pto2_dtype dtype,
		   uint32_t min_dims, struct kern_view *v)
{
	const struct pto2_tensor_desc *t;

	if (i >= pto_kernel_num_tensors(ctx))
		return -EINVAL;
	t = pto_kernel_tensor(ctx, i);
	if (t->dtype != (uint32_t)dtype || t->ndims < 1 || t->ndims > PTO2_MAX_DIMS ||
	    t->ndims < min_dims)
		return -EINVAL;
	v->base = pto_kernel_data(ctx, i);
	v->ndims = t->ndims;
	v->esize = PTO2_DTYPE_SIZE(t->dtype);
	v->numel = 1;
	for (uint32_t d = 0; d < t->ndims; d++) {
		if (t->shapes[d] == 0)
			return -EINVAL;
		v->shape[d] = t->shapes[d];
		v->stride[d] = pto_kernel_stride(ctx, i, d);
		v->numel *= t->shapes[d];
	}
	return 0;
}

int kern_mat_load(const struct pto_kernel_ctx *ctx, uint32_t i, int64_t rows, int64_t cols,
		  struct kern_view *v)
{
	int rc = kern_view_load(ctx, i, PTO2_DTYPE_F32, 2, v);

	if (rc)
		return rc;
	if (kern_mat_batch(v) != 1 || (rows != KERN_ANY && kern_mat_rows(v) != rows) ||
	    (cols != KERN_ANY && kern_mat_cols(v) != cols))
		return -EINVAL;
	return 0;
}

uint64_t kern_view_offset(const struct kern_view *v, uint64_t idx, uint32_t dims)
{
	uint64_t off = 0;

	/* row-major decomposition, innermost of the @dims dimensions first */
	for (uint32_t d = dims; d-- > 0;) {
		off += (idx % v->shape[d]) * v->stride[d];
		idx /= v->shape[d];
	}
	return off;
}

int kern_view_same_shape(const struct kern_view *a, const struct kern_view *b)
{
	if (a->ndims != b->ndims)
		return 0;
	for (uint32_t d = 0; d < a->ndims; d++)
		if (a->shape[d] != b->shape[d])
			return 0;
	return 1;
}

void kern_block_range(const struct pto_kernel_ctx *ctx, uint64_t n, uint64_t *lo, uint64_t *hi)
{
	uint64_t num = pto_kernel_block_num(ctx);
	uint64_t idx = pto_kernel_block_idx(ctx);

	if (num <= 1) {
		*lo = 0;
		*hi = n;
		return;
	}
	if (idx >= num) {	/* a block index past the count does nothing */
		*lo = n;
		*hi = n;
		return;
	}
	*lo = n * idx / num;
	*hi = n * (idx + 1) / num;
}
