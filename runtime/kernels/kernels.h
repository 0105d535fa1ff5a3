/* SPDX-License-Identifier: MIT */
/*
 * kernels.h - the reference kernels the examples run (float32 data).
 *
 * Every kernel reads its operands through pto/kernel.h, so any argument may
 * be a view into a larger buffer: rows are addressed with the strides of
 * the underlying buffer, never assumed contiguous.  Operand shapes are
 * checked; a mismatch returns -EINVAL (which fails the task and the run)
 * instead of reading out of bounds.
 *
 * "Matrix" operands have >= 2 dimensions: the last two are rows and
 * columns, leading dimensions are a batch (all operands of one call must
 * have the same batch count).  "Vector" operands (row statistics) may have
 * any shape whose element count is the number of rows they describe.
 *
 * SPMD: kernels marked (spmd) split their rows over pto_kernel_block_num()
 * logical blocks; block pto_kernel_block_idx() does its share only.
 */
#ifndef PTO_REF_KERNELS_H
#define PTO_REF_KERNELS_H

#include <stdint.h>

#include "pto/kernel.h"

/* --- elementwise (elementwise.c): operands of identical view shape ------- */

/* (spmd) t0 a, t1 b, t2 c (out): c = a + b. */
int kern_add(const struct pto_kernel_ctx *ctx);
/* (spmd) t0 a, t1 c (out), scalar 0 f32 s: c = a + s. */
int kern_add_scalar(const struct pto_kernel_ctx *ctx);
/* (spmd) t0 a, t1 b, t2 c (out): c = a * b. */
int kern_mul(const struct pto_kernel_ctx *ctx);
/* (spmd) t0 c (inout), t1 x: c += x. */
int kern_acc(const struct pto_kernel_ctx *ctx);

/* --- tile matmul (matmul.c) ------------------------------------------------ */

/* (spmd) t0 A [.., M, K], t1 B [.., K, N], t2 C [.., M, N] (out): C = A @ B.
 * Also the PV step of attention (p [M, bs] @ v [bs, D]). */
int kern_matmul(const struct pto_kernel_ctx *ctx);
/* (spmd) as kern_matmul with C inout: C += A @ B. */
int kern_matmul_acc(const struct pto_kernel_ctx *ctx);
/* (spmd) t0 A [.., M, K], t1 B [.., N, K], t2 C [.., M, N] (out): C = A @ B^T
 * (the QK step of attention: q [M, D] @ k [bs, D]^T). */
int kern_matmul_bt(const struct pto_kernel_ctx *ctx);

/* --- attention (attention.c) ------------------------------------------------ */

/*
 * Softmax prepare of one score block.
 * t0 s [M, N], t1 p [M, N] (out), t2 m [M] (out), t3 l [M] (out);
 * scalar 0 f32 scale, scalar 1 valid (columns that hold real tokens, 0..N).
 * m = rowmax(scale * s[:, :valid]); p = exp(scale * s - m) on valid
 * columns, 0 beyond; l = rowsum(p).  valid == 0 gives m = -1e30, l = 0,
 * p = 0 (no NaN from exp(-inf - -inf)).
 */
int kern_softmax_prepare(const struct pto_kernel_ctx *ctx);

/*
 * Online softmax merge of one block into the running state.
 * t0 mj [M], t1 lj [M], t2 oj [M, D] (the block's m, l and p @ v),
 * t3 m [M], t4 l [M], t5 o [M, D] (running state: out when first, else
 * inout), t6 out [M, D] (only when last); scalar 0 is_first, 1 is_last.
 * first: (m, l, o) = (mj, lj, oj); else m' = max(m, mj), a = exp(m - m'),
 * b = exp(mj - m'), l = a l + b lj, o = a o + b oj, m = m'.
 * last: out = o / l (0 for a row with l == 0).
 */
int kern_online_update(const struct pto_kernel_ctx *ctx);

/* --- paged attention over several KV blocks (paged.c) ------------------ */

/*
 * t0 q [M, D], t1 key cache [R, D], t2 block ids [n] (int32),
 * t3 s [M, n * bs] (out); scalar 0 bs (rows per cache block).
 * s[:, j*bs + t] = q . key[ids[j] * bs + t].
 */
int kern_qk_paged(const struct pto_kernel_ctx *ctx);
/*
 * t0 p [M, n * bs], t1 value cache [R, D], t2 block ids [n] (int32),
 * t3 o [M, D] (out); scalar 0 bs.  o = sum_j p[:, j*bs:(j+1)*bs] @ value
 * rows of block ids[j].
 */
int kern_pv_paged(const struct pto_kernel_ctx *ctx);

#endif /* PTO_REF_KERNELS_H */
