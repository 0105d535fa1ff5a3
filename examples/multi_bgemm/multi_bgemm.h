/* SPDX-License-Identifier: MIT */
/*
 * multi_bgemm.h - bgemm (examples/bgemm) split by output tiles over several
 * devices or ranks: part i of k computes the groups [i*G/k, (i+1)*G/k) of
 * C, reading A and B.  The same golden as the single-device example.
 */
#ifndef PTO_EXAMPLES_MULTI_BGEMM_H
#define PTO_EXAMPLES_MULTI_BGEMM_H

#include <stdint.h>

#include "pto/host.h"

struct mbg {
	uint32_t tile, loop, grid_k, groups;
	uint64_t tiles_ab;
	float *a, *b, *c;		/* host: A and B (random), C (results) */
	uint64_t bytes_ab;
};

/* One program: groups [g_lo, g_hi) of @m; uses A (IN), B (IN), its C part (OUT). */
struct mbg_part {
	const struct mbg *m;
	uint32_t g_lo, g_hi;
};

/* A [n*loop tiles], B alike, C [n/grid_k*loop tiles].  Return 0, -EINVAL, -ENOMEM. */
int mbg_init(struct mbg *m, uint32_t tile, uint32_t loop, uint32_t grid_k, uint32_t n);
void mbg_free(struct mbg *m);
/* Part @i of @k (groups), for struct mbg_part. */
void mbg_split(const struct mbg *m, uint32_t k, uint32_t i, struct mbg_part *p);
/* Host address and bytes of @p's slice of C. */
float *mbg_c_part(const struct mbg *m, const struct mbg_part *p, uint64_t *bytes);
/* The device program (pto_prog_fn): arg is a struct mbg_part. */
int mbg_program(struct pto_runtime *rt, const struct pto_prog *p);
/* Register the kernels the program uses. */
int mbg_register(struct pto_runtime *rt);
/* Compare m->c with the double-precision golden: 0 = PASS, 1 = FAIL (message in @msg). */
int mbg_check(const struct mbg *m, char *msg, size_t len);

#endif /* PTO_EXAMPLES_MULTI_BGEMM_H */
