// SPDX-License-Identifier: MIT
/*
 * test_rings.c - ring allocation arithmetic: heap placement (wrap, no
 * straddling, exhaustion), task window wrap, slot/heap/dep checked together,
 * in-order reclaim; and a randomized run against a byte-level model.
 */
#include "rt_test_util.h"

#include "libpto/ring/ring.h"

static void test_heap_place(void **state)
{
	uint64_t off;

	(void)state;
	/* empty: always from 0 */
	assert_true(pto_heap_place(1024, 512, 512, true, 256, &off));
	assert_int_equal(off, 0);
	assert_false(pto_heap_place(1024, 0, 0, true, 2048, &off));
	/* live [256, 768): fits at the top */
	assert_true(pto_heap_place(1024, 768, 256, false, 256, &off));
	assert_int_equal(off, 768);
	/* does not fit at the top: wraps to 0 only if strictly below tail */
	assert_true(pto_heap_place(1024, 896, 256, false, 192, &off));
	assert_int_equal(off, 0);
	assert_false(pto_heap_place(1024, 896, 256, false, 256, &off));
	/* never straddles the end */
	assert_false(pto_heap_place(1024, 960, 64, false, 128, &off));
	/* wrapped: free is [top, tail) and must stay non-empty */
	assert_true(pto_heap_place(1024, 128, 512, false, 256, &off));
	assert_int_equal(off, 128);
	assert_false(pto_heap_place(1024, 128, 512, false, 384, &off));
}

static void test_task_window_wrap(void **state)
{
	struct pto_ring_alloc ra;
	struct pto_ring_grant g;
	uint64_t alive = 0;

	(void)state;
	assert_int_equal(pto_ring_alloc_init(&ra, 8, 1 << 16, 64), 0);
	for (uint64_t i = 0; i < 8; i++) {
		assert_int_equal(pto_ring_try_alloc(&ra, alive, 64, 0, &g), PTO_RING_FITS);
		assert_int_equal(g.local, i);
	}
	assert_int_equal(pto_ring_try_alloc(&ra, alive, 64, 0, &g), PTO_RING_SHORT_SLOT);
	/* retire in order, the window slides: ids keep growing, slots wrap */
	for (uint64_t i = 8; i < 100; i++) {
		alive++;
		assert_int_equal(pto_ring_try_alloc(&ra, alive, 64, 0, &g), PTO_RING_FITS);
		assert_int_equal(g.local, i);
		assert_int_equal(pto_ring_try_alloc(&ra, alive, 64, 0, &g), PTO_RING_SHORT_SLOT);
	}
	pto_ring_alloc_reset(&ra);
	assert_int_equal(pto_ring_try_alloc(&ra, 0, 64, 0, &g), PTO_RING_FITS);
	assert_int_equal(g.local, 0);
	pto_ring_alloc_fini(&ra);
	/* bad construction: window not a power of two >= 2, heap below one block, no pool */
	assert_int_equal(pto_ring_alloc_init(&ra, 6, 1 << 16, 64), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "ring: window 6"));
	assert_int_equal(pto_ring_alloc_init(&ra, 1, 1 << 16, 64), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "ring: window 1"));
	assert_int_equal(pto_ring_alloc_init(&ra, 8, PTO_HEAP_ALIGN - 1, 64), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "heap 63"));
	assert_int_equal(pto_ring_alloc_init(&ra, 8, 1 << 16, 0), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "dep pool 0"));
}

static void test_heap_wrap_and_exhaustion(void **state)
{
	struct pto_ring_alloc ra;
	struct pto_ring_grant g;

	(void)state;
	assert_int_equal(pto_ring_alloc_init(&ra, 16, 1024, 64), 0);
	/* 3 x 320 (rounded from 300) = 960: a fourth does not fit */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pto_ring_try_alloc(&ra, 0, 300, 0, &g), PTO_RING_FITS);
		assert_int_equal(g.heap_off, (uint64_t)i * 320);
	}
	assert_int_equal(pto_ring_try_alloc(&ra, 0, 300, 0, &g), PTO_RING_SHORT_HEAP);
	/* the slot was not taken by the failed attempt (checked together) */
	assert_int_equal(ra.next, 3);
	/* task 0 retired: [0, 320) free, but 320 < tail is needed strictly */
	assert_int_equal(pto_ring_try_alloc(&ra, 1, 320, 0, &g), PTO_RING_SHORT_HEAP);
	assert_int_equal(pto_ring_try_alloc(&ra, 1, 256, 0, &g), PTO_RING_FITS);
	assert_int_equal(g.heap_off, 0);
	assert_int_equal(pto_ring_heap_used(&ra, 1), 640 + 64 + 256);
	/* everything retired: a block as big as the heap fits from 0 */
	assert_int_equal(pto_ring_try_alloc(&ra, 4, 1024, 0, &g), PTO_RING_FITS);
	assert_int_equal(g.heap_off, 0);
	assert_int_equal(pto_ring_try_alloc(&ra, 4, 2048, 0, &g), PTO_RING_SHORT_HEAP);
	pto_ring_alloc_fini(&ra);
}

static void test_dep_pool(void **state)
{
	struct pto_ring_alloc ra;
	struct pto_ring_grant g;

	(void)state;
	assert_int_equal(pto_ring_alloc_init(&ra, 16, 1 << 16, 10), 0);
	assert_int_equal(pto_ring_try_alloc(&ra, 0, 64, 6, &g), PTO_RING_FITS);
	pto_ring_set_dep_mark(&ra, g.local, g.dep_first + 6);
	assert_int_equal(pto_ring_try_alloc(&ra, 0, 64, 6, &g), PTO_RING_SHORT_DEP);
	assert_int_equal(pto_ring_try_alloc(&ra, 0, 64, 4, &g), PTO_RING_FITS);
	pto_ring_set_dep_mark(&ra, g.local, g.dep_first + 4);
	assert_int_equal(pto_ring_dep_used(&ra, 0), 10);
	/* task 0 retired: its 6 entries come back */
	assert_int_equal(pto_ring_dep_used(&ra, 1), 4);
	assert_int_equal(pto_ring_try_alloc(&ra, 1, 64, 6, &g), PTO_RING_FITS);
	pto_ring_alloc_fini(&ra);
}

/*
 * Entries taken after a task (explicit edges) are charged to the newest
 * task: they free when it retires, not with the next task submitted (which
 * may belong to another scope and charged them to it).
 */
static void test_dep_after_last_task(void **state)
{
	struct pto_ring_alloc ra;
	struct pto_ring_grant g;
	uint64_t first;

	(void)state;
	assert_int_equal(pto_ring_alloc_init(&ra, 16, 1 << 16, 4), 0);
	assert_int_equal(pto_ring_try_alloc(&ra, 0, 64, 0, &g), PTO_RING_FITS);
	pto_ring_set_dep_mark(&ra, g.local, g.dep_first);
	assert_int_equal(pto_ring_try_alloc(&ra, 0, 64, 0, &g), PTO_RING_FITS);
	pto_ring_set_dep_mark(&ra, g.local, g.dep_first);
	/* one edge after the last submit */
	assert_int_equal(pto_ring_try_deps(&ra, 0, 2, &first), PTO_RING_FITS);
	assert_int_equal(first, 0);
	assert_int_equal(pto_ring_dep_used(&ra, 0), 2);
	assert_int_equal(pto_ring_try_deps(&ra, 0, 3, &first), PTO_RING_SHORT_DEP);
	assert_int_equal(pto_ring_try_deps(&ra, 0, 2, &first), PTO_RING_FITS);
	assert_int_equal(first, 2);
	assert_int_equal(pto_ring_try_deps(&ra, 0, 1, &first), PTO_RING_SHORT_DEP);
	/* task 0 retired: task 1 still holds the edges */
	assert_int_equal(pto_ring_dep_used(&ra, 1), 4);
	/* both retired: the pool is empty, a task of the next scope gets all 4 */
	assert_int_equal(pto_ring_dep_used(&ra, 2), 0);
	assert_int_equal(pto_ring_try_alloc(&ra, 2, 64, 4, &g), PTO_RING_FITS);
	pto_ring_alloc_fini(&ra);
}

/* Random sizes, random in-order retirement; live blocks never overlap. */
static void test_random_against_model(void **state)
{
	enum { W = 32, H = 4096 };
	struct pto_ring_alloc ra;
	struct pto_ring_grant g;
	uint64_t off[W], len[W], alive = 0, allocs = 0, wraps = 0, last_off = 0;
	uint64_t seed = 12345;

	(void)state;
	assert_int_equal(pto_ring_alloc_init(&ra, W, H, 1000), 0);
	for (int op = 0; op < 200000; op++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		if ((seed >> 33) % 3 && alive < ra.next) {
			alive++;
			continue;
		}
		{
			uint64_t want = 1 + (seed >> 40) % 900;

			if (pto_ring_try_alloc(&ra, alive, want, 0, &g) != PTO_RING_FITS)
				continue;
			off[g.local % W] = g.heap_off;
			len[g.local % W] = pto_ring_heap_round(want);
			assert_true(g.heap_off + len[g.local % W] <= H);
			if (g.heap_off < last_off)
				wraps++;
			last_off = g.heap_off;
			allocs++;
			for (uint64_t l = alive; l < g.local; l++) {
				uint64_t a0 = off[l % W], a1 = a0 + len[l % W];

				assert_true(g.heap_off >= a1 || g.heap_off + len[g.local % W] <= a0);
			}
		}
	}
	assert_true(allocs > 10000);
	assert_true(wraps > 100);
	pto_ring_alloc_fini(&ra);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heap_place),
		cmocka_unit_test(test_task_window_wrap),
		cmocka_unit_test(test_heap_wrap_and_exhaustion),
		cmocka_unit_test(test_dep_pool),
		cmocka_unit_test(test_dep_after_last_task),
		cmocka_unit_test(test_random_against_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
