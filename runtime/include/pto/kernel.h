/* SPDX-License-Identifier: MIT */
/*
 * pto/kernel.h - the ABI kernels are written against.
 *
 * A kernel is a C function run by one core for one dispatch:
 *
 *	static int my_add(const struct pto_kernel_ctx *ctx)
 *	{
 *		float *a = pto_kernel_data(ctx, 0);
 *		...
 *		return 0;	// non-zero fails the task and the run
 *	}
 *
 * Arguments come in submit order: tensors first (pto_kernel_tensor(), and
 * their data through pto_kernel_data()), then 64-bit scalars
 * (pto_kernel_scalar(), pto_kernel_scalar_f32()).  SPMD tasks run once per
 * logical block (pto_kernel_block_idx() of pto_kernel_block_num()); in a MIX
 * task the two AIV lanes tell themselves apart by pto_kernel_sub_block_id().
 */
#ifndef PTO_KERNEL_H
#define PTO_KERNEL_H

#include <stdint.h>
#include <string.h>

#include "pto2/pto2_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct pto_kernel_ctx - everything a kernel may look at.
 * @payload: the dispatch payload (in device memory).
 * @gm: host address of device address 0 (the aperture base).
 * @core_id: core running the kernel.
 * @core_type: enum pto2_core_type of that core.
 * @cluster_id: its cluster.
 */
struct pto_kernel_ctx {
	const struct pto2_dispatch_payload *payload;
	uint8_t *gm;
	uint32_t core_id;
	uint32_t core_type;
	uint32_t cluster_id;
	uint32_t pad;
};

/* A kernel: 0 on success; any other value fails the task and the run. */
typedef int (*pto_kernel_fn)(const struct pto_kernel_ctx *ctx);

/*
 * The argument array: inside the payload, or in device memory when the
 * task has more than %PTO2_PAYLOAD_ARGS arguments (%PTO2_PAYLOAD_SPILLED;
 * the executor checked that it lies inside device memory).
 */
static inline const uint64_t *pto_kernel_args(const struct pto_kernel_ctx *ctx)
{
	const struct pto2_dispatch_payload *p = ctx->payload;

	if (p->flags & PTO2_PAYLOAD_SPILLED)
		return (const uint64_t *)(ctx->gm + p->args[0]);
	return (const uint64_t *)p->args;
}

/* Tensor arguments of the task. */
static inline uint32_t pto_kernel_num_tensors(const struct pto_kernel_ctx *ctx)
{
	return ctx->payload->num_tensors;
}

/* Scalar arguments of the task. */
static inline uint32_t pto_kernel_num_scalars(const struct pto_kernel_ctx *ctx)
{
	return ctx->payload->num_scalars;
}

/* Descriptor of tensor argument @i (0-based among tensors). */
static inline const struct pto2_tensor_desc *pto_kernel_tensor(const struct pto_kernel_ctx *ctx,
							      uint32_t i)
{
	return (const struct pto2_tensor_desc *)(ctx->gm + pto_kernel_args(ctx)[i]);
}

/* Host pointer to the first element of tensor argument @i's view. */
static inline void *pto_kernel_data(const struct pto_kernel_ctx *ctx, uint32_t i)
{
	const struct pto2_tensor_desc *t = pto_kernel_tensor(ctx, i);

	return ctx->gm + t->buffer_addr + t->start_offset * PTO2_DTYPE_SIZE(t->dtype);
}

/* Elements of tensor argument @i's view. */
static inline uint64_t pto_kernel_numel(const struct pto_kernel_ctx *ctx, uint32_t i)
{
	const struct pto2_tensor_desc *t = pto_kernel_tensor(ctx, i);
	uint64_t n = 1;

	for (uint32_t d = 0; d < t->ndims; d++)
		n *= t->shapes[d];
	return n;
}

/*
 * Element stride of dimension @d of tensor argument @i (row-major in the
 * underlying buffer, so views of a larger buffer stride over it).
 */
static inline uint64_t pto_kernel_stride(const struct pto_kernel_ctx *ctx, uint32_t i, uint32_t d)
{
	const struct pto2_tensor_desc *t = pto_kernel_tensor(ctx, i);
	uint64_t s = 1;

	for (uint32_t k = d + 1; k < t->ndims; k++)
		s *= t->raw_shapes[k];
	return s;
}

/* Scalar argument @i (0-based among scalars) as raw 64 bits. */
static inline uint64_t pto_kernel_scalar(const struct pto_kernel_ctx *ctx, uint32_t i)
{
	return pto_kernel_args(ctx)[ctx->payload->num_tensors + i];
}

/* Scalar argument @i holding a float (the low 32 bits, as pto_arg_scalar_f32 stores it). */
static inline float pto_kernel_scalar_f32(const struct pto_kernel_ctx *ctx, uint32_t i)
{
	uint32_t bits = (uint32_t)pto_kernel_scalar(ctx, i);
	float f;

	memcpy(&f, &bits, sizeof(f));
	return f;
}

/* This dispatch's logical block of an SPMD task, 0..pto_kernel_block_num()-1. */
static inline uint32_t pto_kernel_block_idx(const struct pto_kernel_ctx *ctx)
{
	return ctx->payload->block_idx;
}

/* Logical blocks of the task (pto_launch.block_num; 1 for a plain task). */
static inline uint32_t pto_kernel_block_num(const struct pto_kernel_ctx *ctx)
{
	return ctx->payload->block_num;
}

/* Which AIV lane of a MIX task runs this dispatch: 0 (aiv0) or 1 (aiv1). */
static inline uint32_t pto_kernel_sub_block_id(const struct pto_kernel_ctx *ctx)
{
	return ctx->payload->sub_block_id;
}

#ifdef __cplusplus
}
#endif

#endif /* PTO_KERNEL_H */
