/* SPDX-License-Identifier: MIT */
/* bgemm.h - what bgemm and its manual-scope variant share. */
#ifndef PTO_EXAMPLES_BGEMM_H
#define PTO_EXAMPLES_BGEMM_H

#include "examples/example.h"

struct bgemm_state {
	uint32_t tile, loop, grid_k, groups;
	uint32_t blocks;		/* SPMD blocks per task (rows split between them) */
	uint64_t a_addr, b_addr, c_addr;
	uint64_t tiles_ab, tiles_c;	/* tile x tile matrices in A (= B) and in C */
	float *a, *b;			/* host copies for the golden */
};

#define BGEMM_KEYS	"tile loop grid_k n blocks"
/*
 * The reference system's cases (n = GEMM+ADD pairs) plus small ones, as an
 * initializer list so each variant can size its table.
 */
#define BGEMM_CASES \
	{ "Small", "tile=32 loop=2 grid_k=2 n=16", EX_CASE_SMALL, "8 groups, 32 tasks" }, \
	{ "SmallK4", "tile=16 loop=1 grid_k=4 n=24", EX_CASE_SMALL, "6 groups, chains of 4" }, \
	{ "Case0", "tile=128 loop=4 grid_k=2 n=500", 0, "1000 tasks" }, \
	{ "Case1", "tile=128 loop=4 grid_k=2 n=64", 0, "128 tasks" }, \
	{ "Case2", "tile=128 loop=4 grid_k=2 n=256", 0, "512 tasks" }, \
	{ "Case3", "tile=128 loop=16 grid_k=2 n=64", 0, "128 tasks, 16 tiles per task" }, \
	{ "Case4", "tile=128 loop=4 grid_k=4 n=64", 0, "128 tasks, chains of 4" }, \
	{ "Bgemm64", "tile=64 loop=1 grid_k=4 n=32", EX_CASE_SMALL, "64 tasks of 64x64 tiles" }, \
	{ "SmallSpmd", "tile=32 loop=2 grid_k=2 n=16 blocks=4", EX_CASE_SMALL, \
	  "every task split into 4 SPMD blocks" }

/* The device tensors of one run: A and B [tiles_ab, tile, tile], C [tiles_c, tile, tile]. */
struct bgemm_io {
	struct pto_tensor a, b, c;
};

/* Inside the orchestration function. */
int bgemm_io_init(const struct bgemm_state *st, struct bgemm_io *io);
/* Submit the GEMM (P = A @ B) and ADD (C += P) of group @g, step @k; ids in @task. */
void bgemm_submit_pair(struct pto_runtime *rt, const struct bgemm_state *st,
		       const struct bgemm_io *io, uint32_t g, uint32_t k, int64_t task[2]);
int bgemm_setup(struct ex_run *run);
int bgemm_reset(struct ex_run *run);
int bgemm_check(struct ex_run *run, struct ex_result *res);
/*
 * The golden of C tile @ct, in double, into @w (tile * tile, overwritten):
 * the sum over k < @grid_k of A @ B tiles (g * grid_k + k) * loop + i, with
 * g = ct / loop and i = ct % loop, from host copies @a and @b of A and B.
 * multi_bgemm checks its slices with it too.
 */
void bgemm_golden_tile(const float *a, const float *b, uint32_t tile, uint32_t loop,
		       uint32_t grid_k, uint64_t ct, double *w);
void bgemm_teardown(struct ex_run *run);
/* Descriptor fields bgemm and bgemm_manual share; each adds name, description, cases, orch. */
#define BGEMM_EXAMPLE_COMMON \
	.atol = 1e-3, .rtol = 1e-3, .keys = BGEMM_KEYS, .setup = bgemm_setup, \
	.reset = bgemm_reset, .check = bgemm_check, .teardown = bgemm_teardown

#endif /* PTO_EXAMPLES_BGEMM_H */
