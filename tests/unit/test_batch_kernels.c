// SPDX-License-Identifier: MIT
/*
 * test_batch_kernels.c - batch_paged_attention's kernels, called directly
 * on a host buffer standing in for device memory: each sequence of a chunk
 * gets its own block id and length, a sequence past its end contributes
 * nothing (zero scores, m = -1e30, l = 0, zero PV), and bad operands are
 * -EINVAL instead of an out-of-bounds read.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "examples/batch_paged_attention/batch_pa.h"

#define GM_SIZE		(1u << 20)
#define NB		3	/* sequences in the chunk */
#define H		2	/* heads (rows) per sequence */
#define D		4	/* head_dim */
#define BS		4	/* rows per cache block */
#define NBLK_MAX	3	/* block table columns */
#define CACHE_BLOCKS	6

#include "gm_test_util.h"

/* The chunk: lengths 9 (3 blocks), 4 (1 block), 6 (2 blocks); ids per sequence. */
static const int32_t lens_v[NB] = { 9, 4, 6 };
static const int32_t table_v[NB][NBLK_MAX] = { { 5, 0, 2 }, { 3, -1, -1 }, { 1, 4, -1 } };

struct chunk {
	struct gm g;
	uint64_t q, cache, table, lens, out;
};

static void chunk_init(struct chunk *c)
{
	float *q, *k;

	gm_init(&c->g);
	c->q = gm_alloc(&c->g, NB * H * D * 4);
	c->cache = gm_alloc(&c->g, CACHE_BLOCKS * BS * D * 4);
	c->table = gm_alloc(&c->g, sizeof(table_v));
	c->lens = gm_alloc(&c->g, sizeof(lens_v));
	c->out = gm_alloc(&c->g, NB * H * D * 4);
	q = (float *)(c->g.mem + c->q);
	k = (float *)(c->g.mem + c->cache);
	for (uint32_t i = 0; i < NB * H * D; i++)
		q[i] = (float)((i * 7) % 11) / 11.0f - 0.5f;
	for (uint32_t i = 0; i < CACHE_BLOCKS * BS * D; i++)
		k[i] = (float)((i * 5) % 13) / 13.0f - 0.5f;
	memcpy(c->g.mem + c->table, table_v, sizeof(table_v));
	memcpy(c->g.mem + c->lens, lens_v, sizeof(lens_v));
}

/* QK of block @j: q, cache, table, lens, s; scalars bs, j, H. */
static int run_qk(struct chunk *c, uint32_t j, uint32_t cache_blocks, uint32_t heads)
{
	uint32_t qs[2] = { NB * H, D }, ks[2] = { cache_blocks * BS, D };
	uint32_t ts[2] = { NB, NBLK_MAX }, ls[1] = { NB }, ss[2] = { NB * H, BS };

	c->g.pl->num_tensors = c->g.pl->num_scalars = 0;
	gm_arg(&c->g, c->q, PTO2_DTYPE_F32, 2, qs, NULL, NULL);
	gm_arg(&c->g, c->cache, PTO2_DTYPE_F32, 2, ks, NULL, NULL);
	gm_arg(&c->g, c->table, PTO2_DTYPE_I32, 2, ts, NULL, NULL);
	gm_arg(&c->g, c->lens, PTO2_DTYPE_I32, 1, ls, NULL, NULL);
	gm_arg(&c->g, c->out, PTO2_DTYPE_F32, 2, ss, NULL, NULL);
	gm_scalar(&c->g, BS);
	gm_scalar(&c->g, j);
	gm_scalar(&c->g, heads);
	return kern_qk_batch(&c->g.ctx);
}

/* Every sequence's scores are its own block's, zero past its end. */
static void test_qk_per_sequence(void **state)
{
	struct chunk c;

	(void)state;
	chunk_init(&c);
	for (uint32_t j = 0; j < NBLK_MAX; j++) {
		const float *q = (const float *)(c.g.mem + c.q);
		const float *k = (const float *)(c.g.mem + c.cache);
		const float *s = (const float *)(c.g.mem + c.out);

		assert_int_equal(run_qk(&c, j, CACHE_BLOCKS, H), 0);
		for (uint32_t b = 0; b < NB; b++) {
			uint32_t start = j * BS, len = (uint32_t)lens_v[b];
			uint32_t valid = len <= start ? 0 : len - start < BS ? len - start : BS;

			for (uint32_t h = 0; h < H; h++)
				for (uint32_t t = 0; t < BS; t++) {
					double want = 0;

					for (uint32_t d = 0; t < valid && d < D; d++)
						want += (double)q[(b * H + h) * D + d] *
							k[((uint32_t)table_v[b][j] * BS + t) * D + d];
					assert_true(fabs(s[(b * H + h) * BS + t] - want) < 1e-5);
				}
		}
	}
	gm_fini(&c.g);
}

/* A sequence past its end: m = -1e30, l = 0, p = 0; valid columns only otherwise. */
static void test_softmax_past_end(void **state)
{
	uint32_t ss[2] = { NB * H, BS }, vs[1] = { NB * H }, ls[1] = { NB };
	struct chunk c;
	uint64_t p, m, l;
	float scale = 0.5f;
	uint32_t bits;

	(void)state;
	chunk_init(&c);
	assert_int_equal(run_qk(&c, 1, CACHE_BLOCKS, H), 0);	/* block 1: seq 1 is past its end */
	p = gm_alloc(&c.g, NB * H * BS * 4);
	m = gm_alloc(&c.g, NB * H * 4);
	l = gm_alloc(&c.g, NB * H * 4);
	c.g.pl->num_tensors = c.g.pl->num_scalars = 0;
	gm_arg(&c.g, c.out, PTO2_DTYPE_F32, 2, ss, NULL, NULL);
	gm_arg(&c.g, p, PTO2_DTYPE_F32, 2, ss, NULL, NULL);
	gm_arg(&c.g, m, PTO2_DTYPE_F32, 1, vs, NULL, NULL);
	gm_arg(&c.g, l, PTO2_DTYPE_F32, 1, vs, NULL, NULL);
	gm_arg(&c.g, c.lens, PTO2_DTYPE_I32, 1, ls, NULL, NULL);
	memcpy(&bits, &scale, sizeof(bits));
	gm_scalar(&c.g, bits);
	gm_scalar(&c.g, BS);
	gm_scalar(&c.g, 1);
	gm_scalar(&c.g, H);
	assert_int_equal(kern_softmax_batch(&c.g.ctx), 0);
	for (uint32_t b = 0; b < NB; b++) {
		/* block 1 holds 4, 0 and 2 tokens of sequences 0, 1, 2 */
		uint32_t valid = b == 0 ? 4 : b == 1 ? 0 : 2;

		for (uint32_t h = 0; h < H; h++) {
			uint32_t r = b * H + h;
			const float *pr = (const float *)(c.g.mem + p) + r * BS;
			float mr = ((const float *)(c.g.mem + m))[r];
			float lr = ((const float *)(c.g.mem + l))[r];
			double sum = 0;

			if (!valid) {
				assert_true(mr == -1e30f);
				assert_true(lr == 0.0f);
			}
			for (uint32_t t = 0; t < BS; t++) {
				if (t >= valid)
					assert_true(pr[t] == 0.0f);
				sum += pr[t];
			}
			assert_true(fabs(sum - lr) < 1e-5);
		}
	}
	gm_fini(&c.g);
}

/* Bad operands fail the task with -EINVAL, never read outside the cache or table. */
static void test_bad_operands(void **state)
{
	struct chunk c;

	(void)state;
	chunk_init(&c);
	/* a block id beyond the cache (sequence 0, block 0 is id 5 of 6) */
	assert_int_equal(run_qk(&c, 0, 5, H), -EINVAL);
	/* rows that are not sequences x heads */
	assert_int_equal(run_qk(&c, 0, CACHE_BLOCKS, H + 1), -EINVAL);
	/* a block the table has no column for, of a sequence that is that long */
	((int32_t *)(c.g.mem + c.lens))[0] = (NBLK_MAX + 1) * BS;
	assert_int_equal(run_qk(&c, NBLK_MAX, CACHE_BLOCKS, H), -EINVAL);
	/* heads 0 */
	assert_int_equal(run_qk(&c, 0, CACHE_BLOCKS, 0), -EINVAL);
	gm_fini(&c.g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qk_per_sequence),
		cmocka_unit_test(test_softmax_past_end),
		cmocka_unit_test(test_bad_operands),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
