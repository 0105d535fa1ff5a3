// SPDX-License-Identifier: MIT
/*
 * test_kernels.c - the reference kernels, called directly.
 *
 * Each test lays a dispatch payload, tensor descriptors and data out in a
 * host buffer standing in for device memory (gm), exactly as a core would
 * see them, runs the kernel and compares with a double-precision reference.
 * Views are cut out of larger buffers whose other elements hold a sentinel,
 * so a kernel that ignores strides or writes outside its view fails.
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

#include "runtime/kernels/kernels.h"

#define GM_SIZE		(8u << 20)
#define SENTINEL	-777.0f

#include "gm_test_util.h"

/* A float buffer of @n elements filled with the sentinel. */
static uint64_t gm_fbuf(struct gm *g, uint64_t n)
{
	uint64_t addr = gm_alloc(g, n * 4);
	float *p = (float *)(g->mem + addr);

	for (uint64_t i = 0; i < n; i++)
		p[i] = SENTINEL;
	return addr;
}

static void gm_scalar_f32(struct gm *g, float f)
{
	uint32_t bits;

	memcpy(&bits, &f, sizeof(bits));
	gm_scalar(g, bits);
}

static float *gm_f(struct gm *g, uint64_t addr)
{
	return (float *)(g->mem + addr);
}

/* Deterministic values in [-1, 1). */
static float rnd(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return (float)((*s >> 8) & 0xffff) / 32768.0f - 1.0f;
}

/* Fill the [rows, cols] view at (r0, c0) of a row-major buffer with ld columns. */
static void fill_view(float *buf, uint32_t ld, uint32_t r0, uint32_t c0, uint32_t rows,
		      uint32_t cols, uint32_t *seed)
{
	for (uint32_t i = 0; i < rows; i++)
		for (uint32_t j = 0; j < cols; j++)
			buf[(r0 + i) * ld + c0 + j] = rnd(seed);
}

/* Every element outside [r0, r0+rows) x [c0, c0+cols) still holds the sentinel. */
static void assert_untouched_outside(const float *buf, uint32_t raw_rows, uint32_t ld,
				     uint32_t r0, uint32_t c0, uint32_t rows, uint32_t cols)
{
	for (uint32_t i = 0; i < raw_rows; i++)
		for (uint32_t j = 0; j < ld; j++) {
			int in = i >= r0 && i < r0 + rows && j >= c0 && j < c0 + cols;

			if (!in)
				assert_true(buf[i * ld + j] == SENTINEL);
		}
}

static void assert_close(double got, double want, double tol)
{
	if (fabs(got - want) > tol + tol * fabs(want))
		fail_msg("got %.9g want %.9g (tol %g)", got, want, tol);
}

/* --- elementwise -------------------------------------------------------------- */

/* a, b, c are [3, 5] views at different offsets of [6, 8] buffers. */
struct ew_fix {
	struct gm g;
	uint64_t a, b, c;
};

static const uint32_t ew_raw[2] = { 6, 8 };
static const uint32_t ew_shape[2] = { 3, 5 };
static const uint32_t ew_off_a[2] = { 1, 2 }, ew_off_b[2] = { 3, 0 }, ew_off_c[2] = { 2, 3 };

static void ew_setup(struct ew_fix *f, int with_b)
{
	uint32_t seed = 7;

	gm_init(&f->g);
	f->a = gm_fbuf(&f->g, 48);
	f->b = gm_fbuf(&f->g, 48);
	f->c = gm_fbuf(&f->g, 48);
	fill_view(gm_f(&f->g, f->a), 8, 1, 2, 3, 5, &seed);
	fill_view(gm_f(&f->g, f->b), 8, 3, 0, 3, 5, &seed);
	gm_arg(&f->g, f->a, PTO2_DTYPE_F32, 2, ew_raw, ew_shape, ew_off_a);
	if (with_b)
		gm_arg(&f->g, f->b, PTO2_DTYPE_F32, 2, ew_raw, ew_shape, ew_off_b);
	gm_arg(&f->g, f->c, PTO2_DTYPE_F32, 2, ew_raw, ew_shape, ew_off_c);
}

static double ew_a(struct ew_fix *f, int i, int j)
{
	return gm_f(&f->g, f->a)[(1 + i) * 8 + 2 + j];
}

static double ew_b(struct ew_fix *f, int i, int j)
{
	return gm_f(&f->g, f->b)[(3 + i) * 8 + j];
}

static double ew_c(struct ew_fix *f, int i, int j)
{
	return gm_f(&f->g, f->c)[(2 + i) * 8 + 3 + j];
}

static void test_add_views(void **state)
{
	struct ew_fix f;

	(void)state;
	ew_setup(&f, 1);
	assert_int_equal(kern_add(&f.g.ctx), 0);
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 5; j++)
			assert_close(ew_c(&f, i, j), ew_a(&f, i, j) + ew_b(&f, i, j), 1e-6);
	assert_untouched_outside(gm_f(&f.g, f.c), 6, 8, 2, 3, 3, 5);
	gm_fini(&f.g);
}

static void test_mul_views(void **state)
{
	struct ew_fix f;

	(void)state;
	ew_setup(&f, 1);
	assert_int_equal(kern_mul(&f.g.ctx), 0);
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 5; j++)
			assert_close(ew_c(&f, i, j), ew_a(&f, i, j) * ew_b(&f, i, j), 1e-6);
	assert_untouched_outside(gm_f(&f.g, f.c), 6, 8, 2, 3, 3, 5);
	gm_fini(&f.g);
}

static void test_add_scalar_views(void **state)
{
	struct ew_fix f;

	(void)state;
	ew_setup(&f, 0);
	gm_scalar_f32(&f.g, 2.5f);
	assert_int_equal(kern_add_scalar(&f.g.ctx), 0);
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 5; j++)
			assert_close(ew_c(&f, i, j), ew_a(&f, i, j) + 2.5, 1e-6);
	assert_untouched_outside(gm_f(&f.g, f.c), 6, 8, 2, 3, 3, 5);
	gm_fini(&f.g);
}

static void test_add_scalar_missing_scalar(void **state)
{
	struct ew_fix f;

	(void)state;
	ew_setup(&f, 0);
	assert_int_equal(kern_add_scalar(&f.g.ctx), -EINVAL);
	gm_fini(&f.g);
}

static void test_acc_views(void **state)
{
	struct gm g;
	uint32_t seed = 3, raw[3] = { 4, 4, 6 }, shape[3] = { 2, 3, 4 }, off[3] = { 1, 1, 2 };
	uint64_t c, x;
	float before[24];

	(void)state;
	gm_init(&g);
	c = gm_fbuf(&g, 96);
	x = gm_fbuf(&g, 24);
	for (int i = 0; i < 96; i++)
		gm_f(&g, c)[i] = rnd(&seed);
	for (int i = 0; i < 24; i++)
		gm_f(&g, x)[i] = rnd(&seed);
	gm_arg(&g, c, PTO2_DTYPE_F32, 3, raw, shape, off);
	gm_arg(&g, x, PTO2_DTYPE_F32, 3, shape, NULL, NULL);
	for (int b = 0, n = 0; b < 2; b++)
		for (int i = 0; i < 3; i++)
			for (int j = 0; j < 4; j++)
				before[n++] = gm_f(&g, c)[(1 + b) * 24 + (1 + i) * 6 + 2 + j];
	assert_int_equal(kern_acc(&g.ctx), 0);
	for (int b = 0, n = 0; b < 2; b++)
		for (int i = 0; i < 3; i++)
			for (int j = 0; j < 4; j++, n++)
				assert_close(gm_f(&g, c)[(1 + b) * 24 + (1 + i) * 6 + 2 + j],
					     (double)before[n] + gm_f(&g, x)[n], 1e-6);
	gm_fini(&g);
}

static void test_elementwise_shape_mismatch(void **state)
{
	struct gm g;
	uint32_t s1[2] = { 4, 4 }, s2[2] = { 4, 5 };
	uint64_t a, b, c;

	(void)state;
	gm_init(&g);
	a = gm_fbuf(&g, 16);
	b = gm_fbuf(&g, 20);
	c = gm_fbuf(&g, 16);
	gm_arg(&g, a, PTO2_DTYPE_F32, 2, s1, NULL, NULL);
	gm_arg(&g, b, PTO2_DTYPE_F32, 2, s2, NULL, NULL);
	gm_arg(&g, c, PTO2_DTYPE_F32, 2, s1, NULL, NULL);
	assert_int_equal(kern_add(&g.ctx), -EINVAL);
	assert_int_equal(kern_mul(&g.ctx), -EINVAL);
	assert_true(gm_f(&g, c)[0] == SENTINEL);
	gm_fini(&g);
}

static void test_elementwise_wrong_dtype(void **state)
{
	struct gm g;
	uint32_t s1[1] = { 8 };
	uint64_t a = 0, c;

	(void)state;
	gm_init(&g);
	a = gm_fbuf(&g, 8);
	c = gm_fbuf(&g, 8);
	gm_arg(&g, a, PTO2_DTYPE_I32, 1, s1, NULL, NULL);
	gm_arg(&g, a, PTO2_DTYPE_F32, 1, s1, NULL, NULL);
	gm_arg(&g, c, PTO2_DTYPE_F32, 1, s1, NULL, NULL);
	assert_int_equal(kern_add(&g.ctx), -EINVAL);
	gm_fini(&g);
}

static void test_elementwise_missing_tensor(void **state)
{
	struct gm g;
	uint32_t s1[1] = { 8 };
	uint64_t a;

	(void)state;
	gm_init(&g);
	a = gm_fbuf(&g, 8);
	gm_arg(&g, a, PTO2_DTYPE_F32, 1, s1, NULL, NULL);
	gm_arg(&g, a, PTO2_DTYPE_F32, 1, s1, NULL, NULL);
	assert_int_equal(kern_add(&g.ctx), -EINVAL);
	gm_fini(&g);
}

/* SPMD: each block does its share of rows; together they do all of them. */
static void test_add_spmd_blocks(void **state)
{
	struct ew_fix f;

	(void)state;
	ew_setup(&f, 1);
	f.g.pl->block_num = 2;
	f.g.pl->block_idx = 1;
	assert_int_equal(kern_add(&f.g.ctx), 0);
	/* block 1 of 2 over 3 rows owns rows [1, 3) only */
	for (int j = 0; j < 5; j++)
		assert_true(ew_c(&f, 0, j) == SENTINEL);
	assert_close(ew_c(&f, 2, 4), ew_a(&f, 2, 4) + ew_b(&f, 2, 4), 1e-6);
	f.g.pl->block_idx = 0;
	assert_int_equal(kern_add(&f.g.ctx), 0);
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 5; j++)
			assert_close(ew_c(&f, i, j), ew_a(&f, i, j) + ew_b(&f, i, j), 1e-6);
	/* a block index past the count does nothing */
	f.g.pl->block_idx = 5;
	assert_int_equal(kern_add(&f.g.ctx), 0);
	gm_fini(&f.g);
}

/* --- matmul ------------------------------------------------------------------- */

enum mm_kind { MM_PLAIN, MM_ACC, MM_BT };

/*
 * Batched (2 x) [M, K] @ [K, N] with every operand a view of a larger
 * buffer: A [3, M+1, K+2] at (1, 1, 2), B [2, K+3, N+1] at (0, 2, 1),
 * C [2, M+2, N+3] at (0, 1, 3).
 */
static void run_matmul(enum mm_kind kind, uint32_t m, uint32_t k, uint32_t n, uint32_t blocks)
{
	struct gm g;
	uint32_t seed = 11;
	uint32_t bk = kind == MM_BT ? n : k, bn = kind == MM_BT ? k : n;
	uint32_t araw[3] = { 3, m + 1, k + 2 }, ash[3] = { 2, m, k }, aoff[3] = { 1, 1, 2 };
	uint32_t braw[3] = { 2, bk + 3, bn + 1 }, bsh[3] = { 2, bk, bn }, boff[3] = { 0, 2, 1 };
	uint32_t craw[3] = { 2, m + 2, n + 3 }, csh[3] = { 2, m, n }, coff[3] = { 0, 1, 3 };
	uint64_t a, b, c;
	float *A, *B, *C, *C0;

	gm_init(&g);
	a = gm_fbuf(&g, 3ull * araw[1] * araw[2]);
	b = gm_fbuf(&g, 2ull * braw[1] * braw[2]);
	c = gm_fbuf(&g, 2ull * craw[1] * craw[2]);
	A = gm_f(&g, a);
	B = gm_f(&g, b);
	C = gm_f(&g, c);
	for (uint64_t i = 0; i < 3ull * araw[1] * araw[2]; i++)
		A[i] = rnd(&seed);
	for (uint64_t i = 0; i < 2ull * braw[1] * braw[2]; i++)
		B[i] = rnd(&seed);
	if (kind == MM_ACC)
		for (uint64_t i = 0; i < 2ull * craw[1] * craw[2]; i++)
			C[i] = rnd(&seed);
	C0 = malloc(2ull * craw[1] * craw[2] * 4);
	memcpy(C0, C, 2ull * craw[1] * craw[2] * 4);
	gm_arg(&g, a, PTO2_DTYPE_F32, 3, araw, ash, aoff);
	gm_arg(&g, b, PTO2_DTYPE_F32, 3, braw, bsh, boff);
	gm_arg(&g, c, PTO2_DTYPE_F32, 3, craw, csh, coff);
	g.pl->block_num = blocks;
	for (uint32_t blk = 0; blk < blocks; blk++) {
		g.pl->block_idx = blk;
		assert_int_equal(kind == MM_PLAIN ? kern_matmul(&g.ctx) :
				 kind == MM_ACC ? kern_matmul_acc(&g.ctx) : kern_matmul_bt(&g.ctx), 0);
	}
	for (uint32_t bt = 0; bt < 2; bt++)
		for (uint32_t i = 0; i < m; i++)
			for (uint32_t j = 0; j < n; j++) {
				uint64_t ci = ((uint64_t)bt * craw[1] + 1 + i) * craw[2] + 3 + j;
				double want = kind == MM_ACC ? C0[ci] : 0.0;

				for (uint32_t x = 0; x < k; x++) {
					double av = A[((1ull + bt) * araw[1] + 1 + i) * araw[2] + 2 + x];
					double bv = kind == MM_BT ?
						B[((uint64_t)bt * braw[1] + 2 + j) * braw[2] + 1 + x] :
						B[((uint64_t)bt * braw[1] + 2 + x) * braw[2] + 1 + j];

					want += av * bv;
				}
				assert_close(C[ci], want, 1e-5);
			}
	/* nothing outside C's view changed */
	for (uint32_t bt = 0; bt < 2; bt++)
		for (uint32_t i = 0; i < craw[1]; i++)
			for (uint32_t j = 0; j < craw[2]; j++) {
				uint64_t ci = ((uint64_t)bt * craw[1] + i) * craw[2] + j;

				if (i < 1 || i > m || j < 3)
					assert_true(C[ci] == C0[ci]);
			}
	free(C0);
	gm_fini(&g);
}

static void test_matmul_views(void **state)
{
	(void)state;
	run_matmul(MM_PLAIN, 5, 7, 6, 1);
	run_matmul(MM_PLAIN, 16, 32, 16, 3);
}

static void test_matmul_acc_views(void **state)
{
	(void)state;
	run_matmul(MM_ACC, 4, 9, 5, 1);
	run_matmul(MM_ACC, 8, 8, 8, 4);
}

static void test_matmul_bt_views(void **state)
{
	(void)state;
	run_matmul(MM_BT, 6, 8, 5, 1);
	run_matmul(MM_BT, 16, 16, 16, 2);
}

static void test_matmul_shape_mismatch(void **state)
{
	struct gm g;
	uint32_t sa[2] = { 4, 3 }, sb[2] = { 4, 5 }, sc[2] = { 4, 5 }, sb3[3] = { 2, 3, 5 };
	uint64_t a, b, c;

	(void)state;
	gm_init(&g);
	a = gm_fbuf(&g, 12);
	b = gm_fbuf(&g, 30);
	c = gm_fbuf(&g, 20);
	gm_arg(&g, a, PTO2_DTYPE_F32, 2, sa, NULL, NULL);
	gm_arg(&g, b, PTO2_DTYPE_F32, 2, sb, NULL, NULL);	/* K 4 != 3 */
	gm_arg(&g, c, PTO2_DTYPE_F32, 2, sc, NULL, NULL);
	assert_int_equal(kern_matmul(&g.ctx), -EINVAL);
	assert_int_equal(kern_matmul_acc(&g.ctx), -EINVAL);
	assert_int_equal(kern_matmul_bt(&g.ctx), -EINVAL);	/* B^T would need [5, 3] */
	/* a batch count that differs between operands */
	g.pl->num_tensors = 0;
	gm_arg(&g, a, PTO2_DTYPE_F32, 2, sa, NULL, NULL);
	gm_arg(&g, b, PTO2_DTYPE_F32, 3, sb3, NULL, NULL);
	gm_arg(&g, c, PTO2_DTYPE_F32, 2, sc, NULL, NULL);
	assert_int_equal(kern_matmul(&g.ctx), -EINVAL);
	/* a 1-D operand is not a matrix */
	g.pl->num_tensors = 0;
	gm_arg(&g, a, PTO2_DTYPE_F32, 1, &sa[0], NULL, NULL);
	gm_arg(&g, b, PTO2_DTYPE_F32, 2, sb, NULL, NULL);
	gm_arg(&g, c, PTO2_DTYPE_F32, 2, sc, NULL, NULL);
	assert_int_equal(kern_matmul(&g.ctx), -EINVAL);
	gm_fini(&g);
}

/* --- attention ---------------------------------------------------------------- */

/* s is a [M, N] view of a [M+1, N+2] buffer at (1, 1). */
static void run_softmax(uint32_t m, uint32_t n, uint32_t valid, float scale)
{
	struct gm g;
	uint32_t seed = 5, sraw[2] = { m + 1, n + 2 }, ssh[2] = { m, n }, soff[2] = { 1, 1 };
	uint32_t psh[2] = { m, n }, vsh[1] = { m };
	uint64_t s, p, mm, l;
	float *S;

	gm_init(&g);
	s = gm_fbuf(&g, (uint64_t)sraw[0] * sraw[1]);
	p = gm_fbuf(&g, (uint64_t)m * n);
	mm = gm_fbuf(&g, m);
	l = gm_fbuf(&g, m);
	S = gm_f(&g, s);
	for (uint64_t i = 0; i < (uint64_t)sraw[0] * sraw[1]; i++)
		S[i] = 4.0f * rnd(&seed);
	gm_arg(&g, s, PTO2_DTYPE_F32, 2, sraw, ssh, soff);
	gm_arg(&g, p, PTO2_DTYPE_F32, 2, psh, NULL, NULL);
	gm_arg(&g, mm, PTO2_DTYPE_F32, 1, vsh, NULL, NULL);
	gm_arg(&g, l, PTO2_DTYPE_F32, 1, vsh, NULL, NULL);
	gm_scalar_f32(&g, scale);
	gm_scalar(&g, valid);
	assert_int_equal(kern_softmax_prepare(&g.ctx), 0);
	for (uint32_t i = 0; i < m; i++) {
		const float *row = S + (1 + i) * sraw[1] + 1;
		double mx = valid ? -INFINITY : -1e30, sum = 0;

		for (uint32_t j = 0; j < valid; j++)
			mx = fmax(mx, (double)row[j] * scale);
		for (uint32_t j = 0; j < n; j++) {
			double want = j < valid ? exp((double)row[j] * scale - mx) : 0.0;

			assert_close(gm_f(&g, p)[i * n + j], want, 1e-5);
			sum += want;
		}
		assert_close(gm_f(&g, mm)[i], mx, 1e-6);
		assert_close(gm_f(&g, l)[i], sum, 1e-5);
		assert_false(isnan(gm_f(&g, l)[i]));
	}
	gm_fini(&g);
}

static void test_softmax_prepare(void **state)
{
	(void)state;
	run_softmax(4, 16, 16, 0.25f);
	run_softmax(3, 16, 5, 1.0f);	/* partial last block */
	run_softmax(2, 8, 0, 1.0f);	/* block past the sequence: no NaN */
}

static void test_softmax_prepare_bad_args(void **state)
{
	struct gm g;
	uint32_t s2[2] = { 4, 8 }, v4[1] = { 4 }, v3[1] = { 3 };
	uint64_t s, p, m, l;

	(void)state;
	gm_init(&g);
	s = gm_fbuf(&g, 32);
	p = gm_fbuf(&g, 32);
	m = gm_fbuf(&g, 4);
	l = gm_fbuf(&g, 4);
	gm_arg(&g, s, PTO2_DTYPE_F32, 2, s2, NULL, NULL);
	gm_arg(&g, p, PTO2_DTYPE_F32, 2, s2, NULL, NULL);
	gm_arg(&g, m, PTO2_DTYPE_F32, 1, v4, NULL, NULL);
	gm_arg(&g, l, PTO2_DTYPE_F32, 1, v4, NULL, NULL);
	gm_scalar_f32(&g, 1.0f);
	assert_int_equal(kern_softmax_prepare(&g.ctx), -EINVAL);	/* no valid count */
	gm_scalar(&g, 9);
	assert_int_equal(kern_softmax_prepare(&g.ctx), -EINVAL);	/* valid > cols */
	g.pl->num_scalars = 0;
	g.pl->num_tensors = 3;
	gm_arg(&g, l, PTO2_DTYPE_F32, 1, v3, NULL, NULL);
	gm_scalar_f32(&g, 1.0f);
	gm_scalar(&g, 8);
	assert_int_equal(kern_softmax_prepare(&g.ctx), -EINVAL);	/* l has 3 rows */
	gm_fini(&g);
}

/*
 * Attention for M query rows over a sequence of ctx tokens held in blocks
 * of bs rows, computed with the kernels exactly as the paged attention
 * example chains them (QK, softmax prepare, PV, online update per block),
 * against softmax(scale q k^T) v in double precision.
 */
static void run_attention_chain(uint32_t m, uint32_t dim, uint32_t bs, uint32_t ctx_len)
{
	struct gm g;
	uint32_t seed = 21, nblk = (ctx_len + bs - 1) / bs;
	uint32_t qs[2] = { m, dim }, ks[2] = { nblk * bs, dim }, kv[2] = { bs, dim };
	uint32_t ss[2] = { m, bs }, vs[1] = { m }, koff[2];
	uint32_t oraw[2] = { m + 2, dim + 1 }, ooff[2] = { 1, 1 };
	float scale = 1.0f / sqrtf((float)dim);
	uint64_t q, k, v, s, p, mj, lj, oj, mi, li, oi, out;

	gm_init(&g);
	q = gm_fbuf(&g, (uint64_t)m * dim);
	k = gm_fbuf(&g, (uint64_t)nblk * bs * dim);
	v = gm_fbuf(&g, (uint64_t)nblk * bs * dim);
	s = gm_fbuf(&g, (uint64_t)m * bs);
	p = gm_fbuf(&g, (uint64_t)m * bs);
	mj = gm_fbuf(&g, m);
	lj = gm_fbuf(&g, m);
	oj = gm_fbuf(&g, (uint64_t)m * dim);
	mi = gm_fbuf(&g, m);
	li = gm_fbuf(&g, m);
	oi = gm_fbuf(&g, (uint64_t)m * dim);
	out = gm_fbuf(&g, (uint64_t)oraw[0] * oraw[1]);
	for (uint64_t i = 0; i < (uint64_t)m * dim; i++)
		gm_f(&g, q)[i] = rnd(&seed);
	for (uint64_t i = 0; i < (uint64_t)nblk * bs * dim; i++) {
		gm_f(&g, k)[i] = rnd(&seed);
		gm_f(&g, v)[i] = rnd(&seed);
	}
	for (uint32_t b = 0; b < nblk; b++) {
		uint32_t valid = ctx_len - b * bs < bs ? ctx_len - b * bs : bs;

		koff[0] = b * bs;
		koff[1] = 0;
		g.pl->num_tensors = g.pl->num_scalars = 0;
		gm_arg(&g, q, PTO2_DTYPE_F32, 2, qs, NULL, NULL);
		gm_arg(&g, k, PTO2_DTYPE_F32, 2, ks, kv, koff);
		gm_arg(&g, s, PTO2_DTYPE_F32, 2, ss, NULL, NULL);
		assert_int_equal(kern_matmul_bt(&g.ctx), 0);

		g.pl->num_tensors = g.pl->num_scalars = 0;
		gm_arg(&g, s, PTO2_DTYPE_F32, 2, ss, NULL, NULL);
		gm_arg(&g, p, PTO2_DTYPE_F32, 2, ss, NULL, NULL);
		gm_arg(&g, mj, PTO2_DTYPE_F32, 1, vs, NULL, NULL);
		gm_arg(&g, lj, PTO2_DTYPE_F32, 1, vs, NULL, NULL);
		gm_scalar_f32(&g, scale);
		gm_scalar(&g, valid);
		assert_int_equal(kern_softmax_prepare(&g.ctx), 0);

		g.pl->num_tensors = g.pl->num_scalars = 0;
		gm_arg(&g, p, PTO2_DTYPE_F32, 2, ss, NULL, NULL);
		gm_arg(&g, v, PTO2_DTYPE_F32, 2, ks, kv, koff);
		gm_arg(&g, oj, PTO2_DTYPE_F32, 2, qs, NULL, NULL);
		assert_int_equal(kern_matmul(&g.ctx), 0);

		g.pl->num_tensors = g.pl->num_scalars = 0;
		gm_arg(&g, mj, PTO2_DTYPE_F32, 1, vs, NULL, NULL);
		gm_arg(&g, lj, PTO2_DTYPE_F32, 1, vs, NULL, NULL);
		gm_arg(&g, oj, PTO2_DTYPE_F32, 2, qs, NULL, NULL);
		gm_arg(&g, mi, PTO2_DTYPE_F32, 1, vs, NULL, NULL);
		gm_arg(&g, li, PTO2_DTYPE_F32, 1, vs, NULL, NULL);
		gm_arg(&g, oi, PTO2_DTYPE_F32, 2, qs, NULL, NULL);
		if (b == nblk - 1)
			gm_arg(&g, out, PTO2_DTYPE_F32, 2, oraw, qs, ooff);
		gm_scalar(&g, b == 0);
		gm_scalar(&g, b == nblk - 1);
		assert_int_equal(kern_online_update(&g.ctx), 0);
	}
	for (uint32_t i = 0; i < m; i++) {
		double w[512], mx = -INFINITY, sum = 0;

		assert_true(ctx_len <= 512);
		for (uint32_t t = 0; t < ctx_len; t++) {
			double d = 0;

			for (uint32_t x = 0; x < dim; x++)
				d += (double)gm_f(&g, q)[i * dim + x] * gm_f(&g, k)[t * dim + x];
			w[t] = d * scale;
			mx = fmax(mx, w[t]);
		}
		for (uint32_t t = 0; t < ctx_len; t++)
			sum += (w[t] = exp(w[t] - mx));
		for (uint32_t x = 0; x < dim; x++) {
			double want = 0;

			for (uint32_t t = 0; t < ctx_len; t++)
				want += w[t] / sum * gm_f(&g, v)[t * dim + x];
			assert_close(gm_f(&g, out)[(1 + i) * oraw[1] + 1 + x], want, 1e-4);
		}
	}
	assert_untouched_outside(gm_f(&g, out), oraw[0], oraw[1], 1, 1, m, dim);
	gm_fini(&g);
}

static void test_attention_chain(void **state)
{
	(void)state;
	run_attention_chain(4, 16, 16, 16);	/* one full block: first and last */
	run_attention_chain(4, 16, 16, 33);	/* tail block with one token */
	run_attention_chain(8, 32, 8, 61);
}

static void test_online_update_bad_args(void **state)
{
	struct gm g;
	uint32_t v4[1] = { 4 }, o4[2] = { 4, 8 }, o5[2] = { 5, 8 };
	uint64_t vbuf, obuf;

	(void)state;
	gm_init(&g);
	vbuf = gm_fbuf(&g, 4);
	obuf = gm_fbuf(&g, 40);
	for (int i = 0; i < 6; i++)
		gm_arg(&g, i == 2 || i == 5 ? obuf : vbuf, PTO2_DTYPE_F32, i == 2 || i == 5 ? 2 : 1,
		       i == 2 || i == 5 ? o4 : v4, NULL, NULL);
	assert_int_equal(kern_online_update(&g.ctx), -EINVAL);	/* no scalars */
	gm_scalar(&g, 1);
	gm_scalar(&g, 1);
	assert_int_equal(kern_online_update(&g.ctx), -EINVAL);	/* last needs out */
	g.pl->num_scalars = 0;
	g.pl->num_tensors = 5;
	gm_arg(&g, obuf, PTO2_DTYPE_F32, 2, o5, NULL, NULL);	/* o has 5 rows */
	gm_scalar(&g, 1);
	gm_scalar(&g, 0);
	assert_int_equal(kern_online_update(&g.ctx), -EINVAL);
	gm_fini(&g);
}

/* --- paged ---------------------------------------------------------------------- */

static void test_paged_qk_pv(void **state)
{
	struct gm g;
	uint32_t seed = 9, m = 4, dim = 8, bs = 4, n = 3, nblocks = 6;
	uint32_t qs[2] = { m, dim }, cs[2] = { nblocks * bs, dim }, is[1] = { n };
	uint32_t ss[2] = { m, n * bs };
	int32_t ids[3] = { 4, 0, 3 };
	uint64_t q, kc, vc, ib, s, o;
	int32_t *idp;

	(void)state;
	gm_init(&g);
	q = gm_fbuf(&g, (uint64_t)m * dim);
	kc = gm_fbuf(&g, (uint64_t)nblocks * bs * dim);
	vc = gm_fbuf(&g, (uint64_t)nblocks * bs * dim);
	ib = gm_alloc(&g, sizeof(ids));
	s = gm_fbuf(&g, (uint64_t)m * n * bs);
	o = gm_fbuf(&g, (uint64_t)m * dim);
	idp = (int32_t *)(g.mem + ib);
	memcpy(idp, ids, sizeof(ids));
	for (uint64_t i = 0; i < (uint64_t)m * dim; i++)
		gm_f(&g, q)[i] = rnd(&seed);
	for (uint64_t i = 0; i < (uint64_t)nblocks * bs * dim; i++) {
		gm_f(&g, kc)[i] = rnd(&seed);
		gm_f(&g, vc)[i] = rnd(&seed);
	}
	gm_arg(&g, q, PTO2_DTYPE_F32, 2, qs, NULL, NULL);
	gm_arg(&g, kc, PTO2_DTYPE_F32, 2, cs, NULL, NULL);
	gm_arg(&g, ib, PTO2_DTYPE_I32, 1, is, NULL, NULL);
	gm_arg(&g, s, PTO2_DTYPE_F32, 2, ss, NULL, NULL);
	gm_scalar(&g, bs);
	assert_int_equal(kern_qk_paged(&g.ctx), 0);
	for (uint32_t i = 0; i < m; i++)
		for (uint32_t j = 0; j < n; j++)
			for (uint32_t t = 0; t < bs; t++) {
				double want = 0;

				for (uint32_t x = 0; x < dim; x++)
					want += (double)gm_f(&g, q)[i * dim + x] *
						gm_f(&g, kc)[((uint64_t)ids[j] * bs + t) * dim + x];
				assert_close(gm_f(&g, s)[i * n * bs + j * bs + t], want, 1e-5);
			}

	/* PV with s as the probabilities */
	g.pl->num_tensors = g.pl->num_scalars = 0;
	gm_arg(&g, s, PTO2_DTYPE_F32, 2, ss, NULL, NULL);
	gm_arg(&g, vc, PTO2_DTYPE_F32, 2, cs, NULL, NULL);
	gm_arg(&g, ib, PTO2_DTYPE_I32, 1, is, NULL, NULL);
	gm_arg(&g, o, PTO2_DTYPE_F32, 2, qs, NULL, NULL);
	gm_scalar(&g, bs);
	assert_int_equal(kern_pv_paged(&g.ctx), 0);
	for (uint32_t i = 0; i < m; i++)
		for (uint32_t x = 0; x < dim; x++) {
			double want = 0;

			for (uint32_t j = 0; j < n; j++)
				for (uint32_t t = 0; t < bs; t++)
					want += (double)gm_f(&g, s)[i * n * bs + j * bs + t] *
						gm_f(&g, vc)[((uint64_t)ids[j] * bs + t) * dim + x];
			assert_close(gm_f(&g, o)[i * dim + x], want, 1e-5);
		}

	/* a block id outside the cache is refused, not read */
	idp[1] = (int32_t)nblocks;
	assert_int_equal(kern_pv_paged(&g.ctx), -EINVAL);
	idp[1] = -1;
	assert_int_equal(kern_pv_paged(&g.ctx), -EINVAL);
	idp[1] = 0;
	g.pl->args[g.pl->num_tensors] = 0;	/* block size 0 */
	assert_int_equal(kern_pv_paged(&g.ctx), -EINVAL);
	g.pl->args[g.pl->num_tensors] = bs;
	assert_int_equal(kern_pv_paged(&g.ctx), 0);
	/* QK wants t0 D wide and t3 n * bs wide: PV's operands are refused */
	assert_int_equal(kern_qk_paged(&g.ctx), -EINVAL);
	g.pl->num_scalars = 0;			/* no block size */
	assert_int_equal(kern_pv_paged(&g.ctx), -EINVAL);

	/* probabilities narrower than the ids' blocks */
	is[0] = n - 1;
	g.pl->num_tensors = g.pl->num_scalars = 0;
	gm_arg(&g, s, PTO2_DTYPE_F32, 2, ss, NULL, NULL);
	gm_arg(&g, vc, PTO2_DTYPE_F32, 2, cs, NULL, NULL);
	gm_arg(&g, ib, PTO2_DTYPE_I32, 1, is, NULL, NULL);
	gm_arg(&g, o, PTO2_DTYPE_F32, 2, qs, NULL, NULL);
	gm_scalar(&g, bs);
	assert_int_equal(kern_pv_paged(&g.ctx), -EINVAL);
	gm_fini(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_views),
		cmocka_unit_test(test_mul_views),
		cmocka_unit_test(test_add_scalar_views),
		cmocka_unit_test(test_add_scalar_missing_scalar),
		cmocka_unit_test(test_acc_views),
		cmocka_unit_test(test_elementwise_shape_mismatch),
		cmocka_unit_test(test_elementwise_wrong_dtype),
		cmocka_unit_test(test_elementwise_missing_tensor),
		cmocka_unit_test(test_add_spmd_blocks),
		cmocka_unit_test(test_matmul_views),
		cmocka_unit_test(test_matmul_acc_views),
		cmocka_unit_test(test_matmul_bt_views),
		cmocka_unit_test(test_matmul_shape_mismatch),
		cmocka_unit_test(test_softmax_prepare),
		cmocka_unit_test(test_softmax_prepare_bad_args),
		cmocka_unit_test(test_attention_chain),
		cmocka_unit_test(test_online_update_bad_args),
		cmocka_unit_test(test_paged_qk_pv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
