/* SPDX-License-Identifier: MIT */
/*
 * batch_pa.h - the kernels of batch_paged_attention: QK, softmax prepare
 * and PV that iterate over the sequences of a batch chunk themselves.
 *
 * A chunk is nb consecutive sequences of H query rows each, so its query,
 * scores and output are [nb * H, X] matrices whose rows b * H .. b * H +
 * H - 1 belong to sequence b.  Every kernel handles KV block @j of every
 * sequence of the chunk: a sequence with fewer than j + 1 blocks
 * contributes nothing (zero scores, m = -1e30, l = 0, zero PV), which the
 * online update folds in as a no-op, so the chunk's task count depends on
 * its longest sequence only, not on nb.
 *
 * Common operands: lens [nb] int32 (context lengths), table [nb, >= blocks]
 * int32 (cache block ids); scalars bs (rows per cache block), j, H.
 */
#ifndef PTO_EXAMPLES_BATCH_PA_H
#define PTO_EXAMPLES_BATCH_PA_H

#include "pto/kernel.h"

/* t0 q [nb*H, D], t1 key cache [R, D], t2 table, t3 lens, t4 s [nb*H, bs] (out);
 * scalars 0 bs, 1 j, 2 H.  s = q k_j^T per sequence (0 past its end). */
int kern_qk_batch(const struct pto_kernel_ctx *ctx);
/* t0 s [nb*H, bs], t1 p (out), t2 m [nb*H] (out), t3 l [nb*H] (out), t4 lens;
 * scalars 0 f32 scale, 1 bs, 2 j, 3 H.  As kern_softmax_prepare with each
 * sequence's own count of valid columns in block j (0 past its end). */
int kern_softmax_batch(const struct pto_kernel_ctx *ctx);
/* t0 p [nb*H, bs], t1 value cache [R, D], t2 table, t3 lens, t4 o [nb*H, D] (out);
 * scalars 0 bs, 1 j, 2 H.  o = p v_j per sequence (0 past its end). */
int kern_pv_batch(const struct pto_kernel_ctx *ctx);

#endif /* PTO_EXAMPLES_BATCH_PA_H */
