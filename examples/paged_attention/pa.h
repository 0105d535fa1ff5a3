/* SPDX-License-Identifier: MIT */
/*
 * pa.h - what the paged attention examples share: inputs, golden, and the
 * per-tile task helpers.
 *
 * Decode attention for batch sequences: each of heads query rows of a
 * sequence attends over that sequence's context_lens[b] cached tokens,
 * whose keys and values live in a paged cache of block-row blocks named by
 * block_table[b][j] (blocks are shuffled, as a real allocator leaves them).
 * One KV head serves all query heads.  Query rows are processed in tiles
 * of q_tile rows; the variants differ in how they cut the KV loop into tasks.
 */
#ifndef PTO_EXAMPLES_PA_H
#define PTO_EXAMPLES_PA_H

#include <stdbool.h>

#include "examples/example.h"

struct pa_state {
	uint32_t batch, heads, head_dim, block, q_tile, unroll;
	uint32_t in_core_batch;		/* batch_paged_attention: sequences per chunk */
	float scale;
	uint32_t *seq;			/* context length per sequence */
	uint32_t max_blocks;		/* longest sequence in blocks (block table row) */
	uint32_t total_blocks;		/* cache blocks in use */
	int32_t *table;			/* [batch, max_blocks] block ids, -1 unused */
	float *q, *k, *v;		/* host copies for the golden */
	uint64_t q_addr, k_addr, v_addr, table_addr, lens_addr, out_addr;
	/* two-pass variant: per-block storage for one tile, sized max_blocks */
	struct pto_tensor *pass_s;
	int32_t *pass_id;
};

/* The device tensors of one run. */
struct pa_io {
	struct pto_tensor q, k, v, table, lens, out;
};

/* One query tile: its rows, the output rows, and the running (m, l, o). */
struct pa_tile {
	uint32_t rows;
	struct pto_tensor qi, out, m, l, o;
};

/* A softmax-prepared block: probabilities and row statistics. */
struct pa_block {
	struct pto_tensor p, m, l;
};

/*
 * The cases every variant runs: small ones take seconds on the mock
 * device; Case1-3 are the reference system's shapes (float32 here, so they
 * need a larger mock device).  An initializer list, so each variant's
 * table can be sized with sizeof.
 */
#define PA_CASES \
	{ "Default", "batch=4 heads=16 head_dim=64 block=64 seq=1024,517,2048,64", \
	  EX_CASE_SMALL, "mixed lengths, one of them a partial block" }, \
	{ "CaseSmall1", "batch=1 heads=16 head_dim=16 block=16 seq=33", EX_CASE_SMALL, \
	  "3 blocks, the last holding one token" }, \
	{ "CaseSmall2", "batch=1 heads=16 head_dim=16 block=16 seq=128", EX_CASE_SMALL, \
	  "8 full blocks" }, \
	{ "CaseVarSeq2", "batch=2 heads=16 head_dim=16 block=16 seq=33,17", EX_CASE_SMALL, \
	  "two lengths" }, \
	{ "CaseVarSeq4", "batch=4 heads=16 head_dim=16 block=16 seq=33,64,128,15", \
	  EX_CASE_SMALL, "four lengths, one shorter than a block" }, \
	{ "CaseQTile", "batch=2 heads=24 q_tile=16 head_dim=32 block=32 seq=100,31", \
	  EX_CASE_SMALL, "two query tiles per sequence, the second partial" }, \
	{ "Case1", "batch=256 heads=16 head_dim=128 block=128 seq=8192", 0, \
	  "reference Case1 shape (2 GiB of KV cache); needs --device mock:mem=4G" }, \
	{ "Case2", "batch=64 heads=64 head_dim=128 block=64 seq=8192", 0, \
	  "reference Case2 shape (512 MiB of KV cache); needs --device mock:mem=2G" }, \
	{ "Case3", "batch=64 heads=64 head_dim=256 block=64 seq=8192", 0, \
	  "reference Case3 shape (1 GiB of KV cache); needs --device mock:mem=2G" }
#define PA_KEYS		"batch heads head_dim block seq q_tile scale unroll"
#define PA_ENV		"PA_SEQ_LEN"
/* Descriptor fields every variant shares; a variant adds name, description, cases, orch. */
#define PA_EXAMPLE_COMMON \
	.atol = 1e-4, .rtol = 1e-3, .keys = PA_KEYS, .env = PA_ENV, .setup = pa_setup, \
	.reset = pa_reset, .check = pa_check, .teardown = pa_teardown

int pa_setup(struct ex_run *run);
int pa_reset(struct ex_run *run);
int pa_check(struct ex_run *run, struct ex_result *res);
void pa_teardown(struct ex_run *run);

/* Inside the orchestration function. */
int pa_io_init(const struct pa_state *st, struct pa_io *io);
/* Context length of sequence @b, read from the device (blocking). */
int pa_read_len(struct pto_runtime *rt, const struct pa_io *io, uint32_t b, uint32_t *len);
/* Block id of block @j of sequence @b, read from the device (blocking). */
int pa_read_block(struct pto_runtime *rt, const struct pa_io *io, uint32_t b, uint32_t j,
		  int32_t *id);
uint32_t pa_num_qtiles(const struct pa_state *st);

/*
 * A variant's per-tile body: submit the tasks of query tile @tile of
 * sequence @b (@len tokens in @nblk blocks).  Runs inside the tile's scope.
 */
typedef int (*pa_tile_fn)(struct pto_runtime *rt, struct pa_state *st, struct pa_io *io,
			  struct pa_tile *tile, uint32_t b, uint32_t len, uint32_t nblk);
/*
 * The loop every variant shares: per sequence its context length, read from
 * the device before any scope opens (blocking reads are not allowed inside a
 * manual one), with @read_ids its block ids too, into st->pass_id (-EINVAL
 * past st->max_blocks); then per query tile one scope of @mode around @fn.
 * Return: 0 or the first error of a read, pa_tile_init() or @fn.
 */
int pa_for_each_tile(struct pto_runtime *rt, struct pa_state *st, enum pto_scope_mode mode,
		     bool read_ids, pa_tile_fn fn);
/* Query and output views of tile @qt of sequence @b; (m, l, o) described, not allocated. */
int pa_tile_init(const struct pa_state *st, const struct pa_io *io, uint32_t b, uint32_t qt,
		 struct pa_tile *tile);
/* [block, head_dim] view of cache block @id of @cache. */
int pa_cache_block(const struct pa_state *st, const struct pto_tensor *cache, int32_t id,
		   struct pto_tensor *view);
/* Submit QK: @s (created here, [rows, block]) = tile->qi @ @kj^T. */
int64_t pa_submit_qk(struct pto_runtime *rt, const struct pa_state *st, struct pa_tile *tile,
		     struct pto_tensor *kj, struct pto_tensor *s);
/*
 * The explicit edges of one block's four tasks @t (QK, softmax, PV, update)
 * in a manual scope: each on the one before, the update also on the tile's
 * previous update *@prev_up (PTO_TASK_NONE for the first), which becomes
 * t[3].  Return: 0, PTO_E_ABORTED when a submit failed (negative @t), or
 * pto_add_dependency()'s error.
 */
int pa_link_block(struct pto_runtime *rt, const int64_t t[4], int64_t *prev_up);
/* Submit the softmax prepare of @s (of which @valid columns are tokens). */
int64_t pa_submit_softmax(struct pto_runtime *rt, const struct pa_state *st,
			  const struct pa_tile *tile, struct pto_tensor *s, uint32_t valid,
			  struct pa_block *blk);
/* Submit PV: @o (created here, tile-shaped) = blk->p @ @vj. */
int64_t pa_submit_pv(struct pto_runtime *rt, const struct pa_tile *tile, struct pa_block *blk,
		     struct pto_tensor *vj, struct pto_tensor *o);
/* Submit the online update with block result @o; the last one writes tile->out. */
int64_t pa_submit_update(struct pto_runtime *rt, struct pa_tile *tile, struct pa_block *blk,
			 struct pto_tensor *o, int first, int last);

/* Extra cases of the unrolled variants: several groups per sequence. */
#define PA_UNROLL_CASES \
	{ "UnrollSmall", "batch=4 heads=16 head_dim=16 block=16 seq=33,64,128,15 unroll=3", \
	  EX_CASE_SMALL, "several groups per sequence, partial last groups" }, \
	{ "UnrollMixed", "batch=3 heads=16 head_dim=32 block=16 seq=200,47,16 unroll=4", \
	  EX_CASE_SMALL, "groups of 4 blocks, a 1-block sequence" }, \
	{ "Bench1K", "batch=8 heads=32 q_tile=16 head_dim=32 block=16 " \
	  "seq=517,300,1024,77,640,256,900,160 unroll=1", EX_CASE_SMALL, \
	  "1952 tasks of one block each: pto-bench's paged-attention case" }

/*
 * Submit the four tasks (QK, softmax prepare, PV, update) of blocks
 * [j0, j0 + n) of sequence @b of a @len-token, @nblk-block sequence;
 * @task receives their ids.
 */
void pa_unroll_group(struct pto_runtime *rt, const struct pa_state *st, struct pa_io *io,
		     struct pa_tile *tile, uint32_t b, uint32_t j0, uint32_t n, uint32_t len,
		     uint32_t nblk, int64_t task[4]);

#endif /* PTO_EXAMPLES_PA_H */
