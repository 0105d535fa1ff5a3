// SPDX-License-Identifier: MIT
/*
 * test_tensormap.c - the TensorMap against a brute-force model: random 2-D
 * views of a few buffers, inserts across four rings, watermark moves,
 * covered-entry removal; plus pool growth and exhaustion.
 */
#include "rt_test_util.h"

#include "libpto/orch/tensormap.h"

#define NBUF		4
#define ROWS		12
#define COLS		10
#define WINDOW		64
#define MAX_MODEL	200000

struct model_entry {
	struct pto_tensor t;
	uint32_t ring;
	uint64_t local;
	enum pto_tm_kind kind;
	int dead;
};

static struct model_entry model[MAX_MODEL];
static uint32_t nmodel;
static uint64_t rng = 88172645463325252ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static void random_view(struct pto_tensor *t)
{
	uint32_t shape[2] = { ROWS, COLS }, vs[2], off[2];
	uint64_t base = 0x10000 + (uint64_t)rnd(NBUF) * 0x1000;

	assert_int_equal(pto_tensor_external(t, base, PTO2_DTYPE_I32, 2, shape), 0);
	for (int d = 0; d < 2; d++) {
		vs[d] = 1 + rnd(shape[d]);
		off[d] = rnd(shape[d] - vs[d] + 1);
	}
	assert_int_equal(pto_tensor_view(t, t, vs, off), 0);
}

/* Brute force, by enumerating elements: 0 disjoint, 1 overlap, 2 e inside t. */
static int brute(const struct pto_tensor *t, const struct pto_tensor *e)
{
	uint8_t grid[ROWS][COLS] = { { 0 } };
	int any = 0, all = 1;

	if (t->addr != e->addr)
		return 0;
	for (uint32_t r = 0; r < t->shapes[0]; r++)
		for (uint32_t c = 0; c < t->shapes[1]; c++)
			grid[t->offsets[0] + r][t->offsets[1] + c] = 1;
	for (uint32_t r = 0; r < e->shapes[0]; r++) {
		for (uint32_t c = 0; c < e->shapes[1]; c++) {
			if (grid[e->offsets[0] + r][e->offsets[1] + c])
				any = 1;
			else
				all = 0;
		}
	}
	return any ? (all ? 2 : 1) : 0;
}

struct found {
	int64_t ids[MAX_MODEL];
	uint32_t n;
};

static struct found got, want;

static void collect(void *ctx, int64_t producer)
{
	struct found *f = ctx;

	f->ids[f->n++] = producer;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void test_against_model(void **state)
{
	struct pto_tensormap tm;
	uint32_t windows[PTO_NUM_RINGS] = { WINDOW, WINDOW, WINDOW, WINDOW };
	uint64_t next[PTO_NUM_RINGS] = { 0 }, alive[PTO_NUM_RINGS] = { 0 };
	uint32_t lookups = 0, edges = 0, views = 0;

	(void)state;
	/* a small pool: growth is part of what is tested */
	assert_int_equal(pto_tm_init(&tm, windows, 16, 1u << 20), 0);
	nmodel = 0;
	for (int op = 0; op < 30000; op++) {
		uint32_t k = rnd(10);

		if (k < 4) {
			/* insert a writer in a random ring (advance its watermark if full) */
			uint32_t r = rnd(PTO_NUM_RINGS);
			struct model_entry *m = &model[nmodel++];

			if (next[r] - alive[r] >= WINDOW - 1) {
				alive[r] += 1 + rnd(WINDOW / 2);
				pto_tm_set_alive(&tm, r, alive[r], 0);
			}
			random_view(&m->t);
			views++;
			m->ring = r;
			m->local = next[r]++;
			m->dead = 0;
			/* readers and writers: separate halves, never seen by each other's lookups */
			m->kind = rnd(3) == 0 ? PTO_TM_READER : PTO_TM_WRITER;
			assert_int_equal(pto_tm_reserve(&tm, 1), 0);
			pto_tm_insert(&tm, &m->t, m->kind, r, m->local);
		} else if (k < 9) {
			struct pto_tensor q;
			int inout = k == 8;
			enum pto_tm_kind kind = rnd(3) == 0 ? PTO_TM_READER : PTO_TM_WRITER;

			random_view(&q);
			views++;
			want.n = got.n = 0;
			for (uint32_t i = 0; i < nmodel; i++) {
				struct model_entry *m = &model[i];
				int ov;

				if (m->dead || m->local < alive[m->ring] || m->kind != kind)
					continue;
				ov = brute(&q, &m->t);
				if (!ov)
					continue;
				want.ids[want.n++] = pto_task_id(m->ring, m->local);
				if (inout && ov == 2)
					m->dead = 1;
			}
			pto_tm_lookup(&tm, &q, kind, inout, collect, &got);
			qsort(want.ids, want.n, sizeof(int64_t), cmp64);
			qsort(got.ids, got.n, sizeof(int64_t), cmp64);
			assert_int_equal(got.n, want.n);
			for (uint32_t i = 0; i < got.n; i++)
				assert_int_equal(got.ids[i], want.ids[i]);
			lookups++;
			edges += got.n;
		} else {
			uint32_t r = rnd(PTO_NUM_RINGS);

			alive[r] += rnd((uint32_t)(next[r] - alive[r]) + 1);
			pto_tm_set_alive(&tm, r, alive[r], rnd(2));
		}
		/* everything retired is eventually freed: used never exceeds what lives */
		assert_true(tm.used <= nmodel);
	}
	assert_true(views >= 10000);
	assert_true(edges > 1000);
	print_message("tensormap: %u views, %u lookups, %u edges, pool %u entries\n", views,
		      lookups, edges, tm.cap);
	pto_tm_fini(&tm);
}

static void noop(void *ctx, int64_t p)
{
	(void)ctx;
	(void)p;
}

static void test_overlap_rules(void **state)
{
	struct pto_tensor a, b, flat;
	uint32_t shape[2] = { 8, 8 }, s1[1] = { 64 }, vs[2], off[2];

	(void)state;
	assert_int_equal(pto_tensor_external(&a, 0x1000, PTO2_DTYPE_F32, 2, shape), 0);
	b = a;
	assert_int_equal(pto_tm_overlap(&a, &b), PTO_TM_COVERED);
	vs[0] = 4; vs[1] = 8; off[0] = 4; off[1] = 0;
	assert_int_equal(pto_tensor_view(&b, &a, vs, off), 0);
	assert_int_equal(pto_tm_overlap(&a, &b), PTO_TM_COVERED);
	assert_int_equal(pto_tm_overlap(&b, &a), PTO_TM_OVERLAP);
	off[0] = 0;
	assert_int_equal(pto_tensor_view(&a, &a, vs, off), 0);
	assert_int_equal(pto_tm_overlap(&a, &b), PTO_TM_DISJOINT);
	/* columns: rows overlap, columns disjoint */
	assert_int_equal(pto_tensor_external(&a, 0x1000, PTO2_DTYPE_F32, 2, shape), 0);
	vs[0] = 8; vs[1] = 4; off[0] = 0; off[1] = 0;
	assert_int_equal(pto_tensor_view(&b, &a, vs, off), 0);
	off[1] = 4;
	assert_int_equal(pto_tensor_view(&a, &a, vs, off), 0);
	assert_int_equal(pto_tm_overlap(&a, &b), PTO_TM_DISJOINT);
	/* different geometry over one base: byte spans, never "covered" */
	assert_int_equal(pto_tensor_external(&flat, 0x1000, PTO2_DTYPE_F32, 1, s1), 0);
	assert_int_equal(pto_tm_overlap(&flat, &b), PTO_TM_OVERLAP);
	vs[0] = 32;
	off[0] = 32;
	assert_int_equal(pto_tensor_view(&flat, &flat, vs, off), 0);
	/* b = rows 0..7, cols 0..3: its last element is flat 59 -> overlaps [32, 64) */
	assert_int_equal(pto_tm_overlap(&flat, &b), PTO_TM_OVERLAP);
	vs[0] = 4;
	off[0] = 60;
	assert_int_equal(pto_tensor_external(&flat, 0x1000, PTO2_DTYPE_F32, 1, s1), 0);
	assert_int_equal(pto_tensor_view(&flat, &flat, vs, off), 0);
	assert_int_equal(pto_tm_overlap(&flat, &b), PTO_TM_DISJOINT);
	/* inside b's byte span [0, 60) but between its rows: flat 4..7 (row 0, cols 4..7) */
	off[0] = 4;
	assert_int_equal(pto_tensor_external(&flat, 0x1000, PTO2_DTYPE_F32, 1, s1), 0);
	assert_int_equal(pto_tensor_view(&flat, &flat, vs, off), 0);
	assert_int_equal(pto_tm_overlap(&flat, &b), PTO_TM_DISJOINT);
	assert_int_equal(pto_tm_overlap(&b, &flat), PTO_TM_DISJOINT);
	off[0] = 3;
	assert_int_equal(pto_tensor_external(&flat, 0x1000, PTO2_DTYPE_F32, 1, s1), 0);
	assert_int_equal(pto_tensor_view(&flat, &flat, vs, off), 0);
	assert_int_equal(pto_tm_overlap(&flat, &b), PTO_TM_OVERLAP);
}

/* Every byte of view @t, marked in @bytes (relative to its buffer). */
static void mark_bytes(const struct pto_tensor *t, uint8_t *bytes, uint8_t bit)
{
	uint32_t idx[PTO2_MAX_DIMS] = { 0 };
	uint64_t esz = PTO2_DTYPE_SIZE(t->dtype);

	for (;;) {
		uint64_t flat = 0, stride = 1;
		int d;

		for (d = (int)t->ndims - 1; d >= 0; d--) {
			flat += (uint64_t)(t->offsets[d] + idx[d]) * stride;
			stride *= t->raw_shapes[d];
		}
		for (uint64_t k = 0; k < esz; k++)
			bytes[flat * esz + k] |= bit;
		for (d = (int)t->ndims - 1; d >= 0; d--) {
			if (++idx[d] < t->shapes[d])
				break;
			idx[d] = 0;
		}
		if (d < 0)
			return;
	}
}

/*
 * Views of one 240-byte buffer in other shapes (reshapes, other dtypes):
 * the verdict is exact, against every byte of both (the helper-found case
 * too: a [2][97] view's rows and a 1-D view between them).
 */
static void test_reshape_exact(void **state)
{
	static const uint32_t geoms[][4] = {	/* ndims, then the raw shape (F32: 60 elements) */
		{ 1, 60 }, { 2, 6, 10 }, { 2, 10, 6 }, { 3, 3, 4, 5 }, { 2, 2, 30 },
	};
	uint8_t bytes[240];
	unsigned int seed = 12345;
	uint32_t disjoint = 0, meet = 0;

	(void)state;
	for (int trial = 0; trial < 3000; trial++) {
		struct pto_tensor v[2];

		for (int i = 0; i < 2; i++) {
			const uint32_t *g = geoms[rand_r(&seed) % 5];
			uint32_t shape[3], off[3];
			struct pto_tensor base;

			assert_int_equal(pto_tensor_external(&base, 0x1000, PTO2_DTYPE_F32, g[0],
							     g + 1), 0);
			for (uint32_t d = 0; d < g[0]; d++) {
				shape[d] = 1 + (uint32_t)rand_r(&seed) % g[1 + d];
				off[d] = (uint32_t)rand_r(&seed) % (g[1 + d] - shape[d] + 1);
			}
			assert_int_equal(pto_tensor_view(&v[i], &base, shape, off), 0);
		}
		memset(bytes, 0, sizeof(bytes));
		mark_bytes(&v[0], bytes, 1);
		mark_bytes(&v[1], bytes, 2);
		bool meets = false;

		for (size_t k = 0; k < sizeof(bytes); k++)
			meets |= bytes[k] == 3;
		enum pto_tm_overlap verdict = pto_tm_overlap(&v[0], &v[1]);

		if ((verdict != PTO_TM_DISJOINT) != meets)
			fail_msg("trial %d: verdict %d, bytes %s", trial, verdict,
				 meets ? "meet" : "do not meet");
		assert_int_equal(pto_tm_overlap(&v[1], &v[0]) != PTO_TM_DISJOINT, meets);
		*(meets ? &meet : &disjoint) += 1;
	}
	/* both answers were exercised */
	assert_true(disjoint > 100 && meet > 100);
}

/* pto_tm_prune()'s verdict: tasks with a local id below this are "ordered before". */
static bool below(void *ctx, int64_t p)
{
	return (uint64_t)p < *(const uint64_t *)ctx;
}

static void test_prune(void **state)
{
	struct pto_tensormap tm;
	uint32_t windows[PTO_NUM_RINGS] = { 16, 16, 16, 16 };
	uint32_t shape[2] = { 8, 8 }, half[2] = { 4, 8 }, off[2] = { 0, 0 };
	struct pto_tensor whole, top, other;
	uint64_t limit;

	(void)state;
	assert_int_equal(pto_tm_init(&tm, windows, 16, 64), 0);
	assert_int_equal(pto_tensor_external(&whole, 0x1000, PTO2_DTYPE_I32, 2, shape), 0);
	assert_int_equal(pto_tensor_view(&top, &whole, half, off), 0);
	assert_int_equal(pto_tensor_external(&other, 0x2000, PTO2_DTYPE_I32, 2, shape), 0);
	assert_int_equal(pto_tm_reserve(&tm, 6), 0);
	pto_tm_insert(&tm, &top, PTO_TM_WRITER, 0, 0);		/* covered by whole */
	pto_tm_insert(&tm, &whole, PTO_TM_WRITER, 0, 1);	/* covered by whole, not by top */
	pto_tm_insert(&tm, &other, PTO_TM_WRITER, 0, 2);	/* another buffer */
	/* nothing ordered before: nothing removed */
	limit = 0;
	assert_int_equal(pto_tm_prune(&tm, &whole, PTO_TM_WRITER, below, &limit), 0);
	assert_int_equal(pto_tm_lookup(&tm, &whole, PTO_TM_WRITER, 0, noop, NULL), 2);
	/* top covers only task 0's entry, not task 1's (partial overlap) */
	limit = 2;
	assert_int_equal(pto_tm_prune(&tm, &top, PTO_TM_WRITER, below, &limit), 1);
	assert_int_equal(pto_tm_lookup(&tm, &whole, PTO_TM_WRITER, 0, noop, NULL), 1);
	/* newest first: the walk stops at task 4, which is not ordered before */
	pto_tm_insert(&tm, &whole, PTO_TM_WRITER, 0, 3);
	pto_tm_insert(&tm, &top, PTO_TM_WRITER, 0, 4);
	limit = 4;
	assert_int_equal(pto_tm_prune(&tm, &whole, PTO_TM_WRITER, below, &limit), 0);
	assert_int_equal(pto_tm_lookup(&tm, &whole, PTO_TM_WRITER, 0, noop, NULL), 3);	/* tasks 4, 3, 1 */
	limit = 5;
	assert_int_equal(pto_tm_prune(&tm, &whole, PTO_TM_WRITER, below, &limit), 3);
	assert_int_equal(pto_tm_lookup(&tm, &whole, PTO_TM_WRITER, 0, noop, NULL), 0);
	/* other buffers are never touched, nor retired entries */
	assert_int_equal(pto_tm_lookup(&tm, &other, PTO_TM_WRITER, 0, noop, NULL), 1);
	pto_tm_insert(&tm, &whole, PTO_TM_WRITER, 0, 5);
	pto_tm_set_alive(&tm, 0, 6, 0);
	limit = 100;
	assert_int_equal(pto_tm_prune(&tm, &whole, PTO_TM_WRITER, below, &limit), 0);
	pto_tm_fini(&tm);
}

/* Reader entries: their own half, pruned and removed apart from writers, freed at retirement. */
static void test_readers(void **state)
{
	struct pto_tensormap tm;
	uint32_t windows[PTO_NUM_RINGS] = { 16, 16, 16, 16 };
	uint32_t shape[2] = { 8, 8 }, half[2] = { 4, 8 }, off[2] = { 4, 0 };
	struct pto_tensor whole, bottom;
	uint64_t limit = 100;

	(void)state;
	assert_int_equal(pto_tm_init(&tm, windows, 16, 64), 0);
	assert_int_equal(pto_tensor_external(&whole, 0x1000, PTO2_DTYPE_I32, 2, shape), 0);
	assert_int_equal(pto_tensor_view(&bottom, &whole, half, off), 0);
	assert_int_equal(pto_tm_reserve(&tm, 4), 0);
	pto_tm_insert(&tm, &whole, PTO_TM_WRITER, 0, 0);
	pto_tm_insert(&tm, &bottom, PTO_TM_READER, 0, 1);
	pto_tm_insert(&tm, &whole, PTO_TM_READER, 1, 0);
	assert_int_equal(pto_tm_lookup(&tm, &whole, PTO_TM_WRITER, 0, noop, NULL), 1);
	assert_int_equal(pto_tm_lookup(&tm, &whole, PTO_TM_READER, 0, noop, NULL), 2);
	assert_int_equal(pto_tm_lookup(&tm, &bottom, PTO_TM_READER, 0, noop, NULL), 2);
	/* a writer pruning readers leaves the writer half alone */
	assert_int_equal(pto_tm_prune(&tm, &bottom, PTO_TM_READER, below, &limit), 1);
	assert_int_equal(pto_tm_lookup(&tm, &whole, PTO_TM_READER, 0, noop, NULL), 1);
	assert_int_equal(pto_tm_lookup(&tm, &whole, PTO_TM_WRITER, 0, noop, NULL), 1);
	/* removing covered readers during a lookup (a tracking writer waited for them) */
	assert_int_equal(pto_tm_lookup(&tm, &whole, PTO_TM_READER, 1, noop, NULL), 1);
	assert_int_equal(pto_tm_lookup(&tm, &whole, PTO_TM_READER, 0, noop, NULL), 0);
	assert_int_equal(pto_tm_lookup(&tm, &whole, PTO_TM_WRITER, 0, noop, NULL), 1);
	/* retired readers are invisible and their entries go back to the pool */
	pto_tm_insert(&tm, &whole, PTO_TM_READER, 2, 0);
	pto_tm_set_alive(&tm, 2, 1, 1);
	assert_int_equal(pto_tm_lookup(&tm, &whole, PTO_TM_READER, 0, noop, NULL), 0);
	pto_tm_set_alive(&tm, 0, 2, 1);
	pto_tm_set_alive(&tm, 1, 1, 1);
	assert_int_equal(tm.used, 0);
	pto_tm_fini(&tm);
}

static void test_pool_exhaustion(void **state)
{
	struct pto_tensormap tm;
	uint32_t windows[PTO_NUM_RINGS] = { 16, 16, 16, 16 };
	struct pto_tensor t;
	uint32_t shape[1] = { 4 };

	(void)state;
	assert_int_equal(pto_tm_init(&tm, windows, 4, 8), 0);
	assert_int_equal(pto_tensor_external(&t, 0x1000, PTO2_DTYPE_I32, 1, shape), 0);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(pto_tm_reserve(&tm, 1), 0);
		pto_tm_insert(&tm, &t, PTO_TM_WRITER, 0, (uint64_t)i);
	}
	assert_int_equal(pto_tm_reserve(&tm, 1), -ENOMEM);
	assert_non_null(strstr(pto_last_error(), "TensorMap pool exhausted"));
	/* retiring tasks reclaims their entries */
	pto_tm_set_alive(&tm, 0, 3, 0);
	assert_int_equal(pto_tm_reserve(&tm, 3), 0);
	assert_int_equal(pto_tm_lookup(&tm, &t, PTO_TM_WRITER, 0, noop, NULL), 5);
	assert_int_equal(pto_tm_reserve(&tm, 4), -ENOMEM);
	pto_tm_reset(&tm);
	assert_int_equal(pto_tm_lookup(&tm, &t, PTO_TM_WRITER, 0, noop, NULL), 0);
	assert_int_equal(pto_tm_reserve(&tm, 8), 0);
	pto_tm_fini(&tm);
	/* bad construction */
	assert_int_equal(pto_tm_init(&tm, windows, 0, 8), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "tensormap: pool 0..8 entries"));
	assert_int_equal(pto_tm_init(&tm, windows, 16, 8), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "tensormap: pool 16..8 entries"));
	windows[2] = 12;
	assert_int_equal(pto_tm_init(&tm, windows, 4, 8), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "tensormap: ring 2 window 12"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_overlap_rules),
		cmocka_unit_test(test_reshape_exact),
		cmocka_unit_test(test_against_model),
		cmocka_unit_test(test_pool_exhaustion),
		cmocka_unit_test(test_prune),
		cmocka_unit_test(test_readers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
