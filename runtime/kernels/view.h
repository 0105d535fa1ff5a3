/* SPDX-License-Identifier: MIT */
/*
 * view.h - strided access to kernel operands (internal to the kernels).
 *
 * A struct kern_view caches one tensor argument's view shape and element
 * strides so kernels can walk rows of a view into a larger buffer without
 * recomputing strides per element.
 */
#ifndef PTO_KERN_VIEW_H
#define PTO_KERN_VIEW_H

#include <errno.h>
#include <stdint.h>

#include "pto/kernel.h"

struct kern_view {
	uint8_t *base;			/* first element of the view */
	uint32_t ndims;
	uint32_t esize;			/* bytes per element */
	uint32_t shape[PTO2_MAX_DIMS];
	uint64_t stride[PTO2_MAX_DIMS];	/* in elements, from the buffer's shape */
	uint64_t numel;
};

/*
 * Load tensor argument @i; fails with -EINVAL when it does not exist, has
 * a dtype other than @dtype, or fewer than @min_dims dimensions.
 */
int kern_view_load(const struct pto_kernel_ctx *ctx, uint32_t i, enum pto2_dtype dtype,
		   uint32_t min_dims, struct kern_view *v);

/* Element offset of the flat index @idx over the first @dims dimensions. */
uint64_t kern_view_offset(const struct kern_view *v, uint64_t idx, uint32_t dims);

/* Rows of an elementwise walk: all dimensions but the last. */
static inline uint64_t kern_view_rows(const struct kern_view *v)
{
	return v->numel / v->shape[v->ndims - 1];
}

/* Row @r of an elementwise walk (contiguous over the last dimension). */
static inline float *kern_view_row(const struct kern_view *v, uint64_t r)
{
	return (float *)v->base + kern_view_offset(v, r, v->ndims - 1);
}

/* Element @i of a vector operand, counted over its whole view. */
static inline float *kern_view_elem(const struct kern_view *v, uint64_t i)
{
	return (float *)v->base + kern_view_offset(v, i, v->ndims);
}

/* Matrix view: batch count (product of leading dims), rows, cols, row stride. */
static inline uint64_t kern_mat_batch(const struct kern_view *v)
{
	return v->numel / ((uint64_t)v->shape[v->ndims - 2] * v->shape[v->ndims - 1]);
}

static inline uint32_t kern_mat_rows(const struct kern_view *v)
{
	return v->shape[v->ndims - 2];
}

static inline uint32_t kern_mat_cols(const struct kern_view *v)
{
	return v->shape[v->ndims - 1];
}

static inline uint64_t kern_mat_ld(const struct kern_view *v)
{
	return v->stride[v->ndims - 2];
}

/* First element of batch @b of a matrix view. */
static inline float *kern_mat_at(const struct kern_view *v, uint64_t b)
{
	return (float *)v->base + kern_view_offset(v, b, v->ndims - 2);
}

/* A dimension kern_mat_load() does not check. */
#define KERN_ANY	(-1)

/*
 * Load tensor argument @i as a single f32 matrix (batch 1) of @rows x
 * @cols, either of which may be KERN_ANY; -EINVAL when it is not one.
 */
int kern_mat_load(const struct pto_kernel_ctx *ctx, uint32_t i, int64_t rows, int64_t cols,
		  struct kern_view *v);

/* 1 when both views have the same number of dimensions and shape. */
int kern_view_same_shape(const struct kern_view *a, const struct kern_view *b);

/*
 * This SPMD block's share [*lo, *hi) of @n items (all of them for a
 * single-block task).
 */
void kern_block_range(const struct pto_kernel_ctx *ctx, uint64_t n, uint64_t *lo, uint64_t *hi);

#endif /* PTO_KERN_VIEW_H */
