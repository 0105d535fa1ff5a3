// SPDX-License-Identifier: MIT
/*
 * test_mem.c - device memory: the allocator (alignment, exhaustion,
 * coalescing), the allocation table (double free, bad addresses) and the
 * range checks of pto_mem_map/addr/upload/download.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "libpto/core/run.h"
#include "libpto/device/device_ops.h"
#include "libpto/device/mem_alloc.h"
#include "pto/device.h"
#include "pto/runtime.h"

#define MEM_4M		(4ull << 20)

static int dev_setup(void **state)
{
	struct pto_device *dev;

	if (pto_device_open("mock:clusters=1,workers=1,mem=4M", &dev))
		return -1;
	*state = dev;
	return 0;
}

static int dev_teardown(void **state)
{
	pto_device_close(*state);
	return 0;
}

static void assert_error_has(const char *what)
{
	if (!strstr(pto_last_error(), what))
		fail_msg("error message '%s' does not mention '%s'", pto_last_error(), what);
}

static void test_alloc_alignment(void **state)
{
	struct pto_device *dev = *state;
	const uint64_t aligns[] = { 0, 1, 2, 8, 64, 128, 4096, 65536, 1ull << 20 };

	for (size_t i = 0; i < sizeof(aligns) / sizeof(aligns[0]); i++) {
		uint64_t a = 0, want = aligns[i] < 64 ? 64 : aligns[i];

		/* an odd size first, to leave the free list misaligned */
		assert_int_equal(pto_mem_alloc(dev, 1 + i * 17, 0, &a), 0);
		assert_int_equal(pto_mem_alloc(dev, 100, aligns[i], &a), 0);
		assert_true(a != 0);
		assert_int_equal(a % want, 0);
	}
}

static void test_alloc_bad_args(void **state)
{
	struct pto_device *dev = *state;
	uint64_t a = 0;

	assert_int_equal(pto_mem_alloc(dev, 0, 0, &a), -EINVAL);
	assert_error_has("size is 0");
	assert_int_equal(pto_mem_alloc(dev, 64, 3, &a), -EINVAL);
	assert_error_has("alignment 3");
	assert_int_equal(pto_mem_alloc(dev, 64, 96, &a), -EINVAL);
	assert_int_equal(pto_mem_alloc(dev, 64, 2ull << 30, &a), -EINVAL);
	assert_error_has("1 GiB");
	assert_int_equal(pto_mem_alloc(dev, 64, 1ull << 63, &a), -EINVAL);
	assert_int_equal(pto_mem_alloc(NULL, 64, 0, &a), -EINVAL);
	assert_error_has("dev is NULL");
	assert_int_equal(pto_mem_alloc(dev, 64, 0, NULL), -EINVAL);
	assert_error_has("addr is NULL");
	assert_int_equal(a, 0);
}

static void test_alloc_exhaustion(void **state)
{
	struct pto_device *dev = *state;
	uint64_t a, addrs[4096];
	uint32_t n = 0;
	int rc;

	assert_int_equal(pto_mem_alloc(dev, MEM_4M + 1, 0, &a), -ENOMEM);
	assert_error_has("exceed device memory");
	/* the first page is reserved: no object can be larger than one page less */
	assert_int_equal(pto_mem_alloc(dev, MEM_4M - 4095, 0, &a), -ENOMEM);
	assert_error_has("no object can be larger than 4190208 bytes");
	assert_int_equal(pto_mem_alloc(dev, UINT64_MAX, 0, &a), -ENOMEM);
	for (;;) {
		rc = pto_mem_alloc(dev, 3000, 0, &addrs[n]);
		if (rc)
			break;
		n++;
		assert_true(n < 4096);
	}
	assert_int_equal(rc, -ENOMEM);
	assert_error_has("no free range");
	assert_true(n > 1300);	/* 4 MiB / 3008 B, minus payloads */
	/* free in a scattered order; coalescing must give one big range back */
	for (uint32_t step = 0; step < 7; step++)
		for (uint32_t i = step; i < n; i += 7)
			assert_int_equal(pto_mem_free(dev, addrs[i]), 0);
	assert_int_equal(pto_mem_alloc(dev, 3ull << 20, 1ull << 20, &a), 0);
	assert_int_equal(a % (1ull << 20), 0);
	assert_int_equal(pto_mem_free(dev, a), 0);
}

static void test_allocations_disjoint(void **state)
{
	struct pto_device *dev = *state;
	uint64_t addr[64], size[64];
	uint32_t seed = 12345;

	for (int i = 0; i < 64; i++) {
		seed = seed * 1103515245u + 12345u;
		size[i] = 1 + (seed >> 8) % 20000;
		assert_int_equal(pto_mem_alloc(dev, size[i], 0, &addr[i]), 0);
		memset(pto_mem_map(dev, addr[i], size[i]), i, size[i]);
	}
	for (int i = 0; i < 64; i++) {
		const uint8_t *p = pto_mem_map(dev, addr[i], size[i]);

		for (int j = 0; j < 64; j++)
			if (i != j)
				assert_true(addr[i] + size[i] <= addr[j] || addr[j] + size[j] <= addr[i]);
		for (uint64_t k = 0; k < size[i]; k++)
			if (p[k] != (uint8_t)i)
				fail_msg("allocation %d byte %llu overwritten", i, (unsigned long long)k);
	}
}

static void test_free_errors(void **state)
{
	struct pto_device *dev = *state;
	struct pto2_core_regs *r = pto_device_regs(dev, 0);
	uint64_t a;

	assert_int_equal(pto_mem_alloc(dev, 256, 0, &a), 0);
	assert_int_equal(pto_mem_free(dev, a + 64), -ENOENT);
	assert_error_has("not the start of a live allocation");
	assert_int_equal(pto_mem_free(dev, a), 0);
	assert_int_equal(pto_mem_free(dev, a), -ENOENT);	/* double free */
	assert_error_has("already freed");
	assert_int_equal(pto_mem_free(dev, 0), -ENOENT);
	assert_int_equal(pto_mem_free(dev, UINT64_MAX), -ENOENT);
	/* the cores' payload buffers belong to the device */
	assert_int_equal(pto_mem_free(dev, r->payload_addr), -ENOENT);
	assert_error_has("device's own memory");
	assert_non_null(pto_mem_map(dev, r->payload_addr, 2 * PTO2_PAYLOAD_SIZE));
	assert_int_equal(pto_mem_free(NULL, a), -EINVAL);
}

/*
 * A runtime's rings are its own: a stale pto_mem_free() of the address a
 * program once had (now the rings') is refused, not a hole under a live
 * runtime that the next allocation would overlap; the runtime frees them.
 */
static void test_free_runtime_memory(void **state)
{
	struct pto_device *dev = *state;
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;
	uint64_t a, b;
	char want[160];

	/* aligned as the ring area is, so the rings fit exactly there */
	assert_int_equal(pto_mem_alloc(dev, 4096, 4096, &a), 0);
	assert_int_equal(pto_mem_free(dev, a), 0);
	assert_int_equal(pto_runtime_config_init(&cfg), 0);
	cfg.flags |= PTO_RT_QUIET;
	for (int i = 0; i < PTO_NUM_RINGS; i++) {
		cfg.task_window[i] = 16;
		cfg.heap_size[i] = 64 << 10;
	}
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	assert_int_equal(rt->ring_area_addr, a);	/* the rings took the freed address */
	assert_int_equal(pto_mem_free(dev, a), -ENOENT);
	snprintf(want, sizeof(want), "pto_mem_free: device address 0x%llx is a runtime's ring "
		 "memory (pto_runtime_destroy() frees it), not from pto_mem_alloc()",
		 (unsigned long long)a);
	assert_string_equal(pto_last_error(), want);
	assert_int_equal(pto_mem_alloc(dev, 4096, 0, &b), 0);
	assert_int_not_equal(b, a);
	pto_runtime_destroy(rt);
	assert_int_equal(pto_mem_free(dev, a), -ENOENT);	/* the runtime freed it */
	assert_error_has("already freed");
	assert_int_equal(pto_mem_free(dev, b), 0);
}

static void test_map_ranges(void **state)
{
	struct pto_device *dev = *state;
	uint64_t a, b;
	uint8_t *p;

	assert_int_equal(pto_mem_alloc(dev, 1000, 0, &a), 0);
	assert_int_equal(pto_mem_alloc(dev, 1000, 0, &b), 0);
	p = pto_mem_map(dev, a, 1000);
	assert_non_null(p);
	assert_ptr_equal(pto_mem_map(dev, a + 10, 990), p + 10);
	assert_ptr_equal(pto_mem_map(dev, a + 999, 0), p + 999);	/* 0 = 1 byte */
	/* the allocation is what was asked for, not the bytes reserved past it (rounded to 64) */
	assert_null(pto_mem_map(dev, a, 1001));
	assert_error_has("not inside one live allocation");
	assert_null(pto_mem_map(dev, a + 1000, 1));
	assert_int_equal(pto_mem_addr(dev, p + 1000), 0);
	assert_int_equal(pto_mem_addr(dev, p + 999), a + 999);
	assert_null(pto_mem_map(dev, a, 1u << 20));
	assert_error_has("not inside one live allocation");
	assert_null(pto_mem_map(dev, a + 500, UINT64_MAX));
	assert_null(pto_mem_map(dev, 0, 1));
	assert_null(pto_mem_map(dev, 100, 1));	/* reserved first page */
	assert_null(pto_mem_map(dev, UINT64_MAX, 1));
	assert_null(pto_mem_map(NULL, a, 1));
	/* a range spanning two allocations is refused even if they are adjacent */
	assert_int_equal(b, a + 1024);
	assert_null(pto_mem_map(dev, a + 900, 200));
	assert_int_equal(pto_mem_free(dev, a), 0);
	assert_null(pto_mem_map(dev, a, 1));
}

static void test_addr_round_trip(void **state)
{
	struct pto_device *dev = *state;
	uint64_t a;
	uint8_t *p;
	int local;

	assert_int_equal(pto_mem_alloc(dev, 4096, 4096, &a), 0);
	p = pto_mem_map(dev, a, 4096);
	assert_int_equal(pto_mem_addr(dev, p), a);
	assert_int_equal(pto_mem_addr(dev, p + 4095), a + 4095);
	assert_int_equal(pto_mem_addr(dev, &local), 0);
	assert_error_has("not inside device memory");
	assert_int_equal(pto_mem_addr(dev, NULL), 0);
	assert_int_equal(pto_mem_addr(NULL, p), 0);
	assert_int_equal(pto_mem_free(dev, a), 0);
	assert_int_equal(pto_mem_addr(dev, p), 0);	/* freed: no longer device memory */
}

static void test_upload_download(void **state)
{
	struct pto_device *dev = *state;
	uint8_t src[300], dst[300];
	uint64_t a;

	for (int i = 0; i < 300; i++)
		src[i] = (uint8_t)(i * 7);
	assert_int_equal(pto_mem_alloc(dev, 300, 0, &a), 0);
	assert_int_equal(pto_mem_upload(dev, a, src, 300), 0);
	memset(dst, 0, sizeof(dst));
	assert_int_equal(pto_mem_download(dev, dst, a, 300), 0);
	assert_memory_equal(src, dst, 300);
	assert_int_equal(pto_mem_download(dev, dst, a + 100, 50), 0);
	assert_memory_equal(src + 100, dst, 50);

	assert_int_equal(pto_mem_upload(dev, a + 200, src, 1u << 20), -EINVAL);
	assert_error_has("pto_mem_upload");
	assert_int_equal(pto_mem_download(dev, dst, a - 64, 100), -EINVAL);
	assert_error_has("pto_mem_download");
	assert_int_equal(pto_mem_upload(dev, 0, src, 1), -EINVAL);
	assert_int_equal(pto_mem_upload(dev, a, NULL, 1), -EINVAL);
	assert_error_has("src is NULL");
	assert_int_equal(pto_mem_download(dev, NULL, a, 1), -EINVAL);
	assert_error_has("dst is NULL");
	assert_int_equal(pto_mem_upload(NULL, a, src, 1), -EINVAL);
	assert_error_has("dev is NULL");
	assert_int_equal(pto_mem_download(NULL, dst, a, 1), -EINVAL);
	assert_error_has("dev is NULL");
	assert_int_equal(pto_mem_free(dev, a), 0);
	assert_int_equal(pto_mem_upload(dev, a, src, 1), -EINVAL);
}

struct churn_arg {
	struct pto_device *dev;
	int failures;
};

static void *churn(void *p)
{
	struct churn_arg *c = p;
	uint64_t a[32];

	for (int round = 0; round < 200; round++) {
		for (int i = 0; i < 32; i++)
			if (pto_mem_alloc(c->dev, 64 + 64 * i, 0, &a[i]))
				c->failures++;
		for (int i = 0; i < 32; i++)
			if (pto_mem_free(c->dev, a[i]))
				c->failures++;
	}
	return NULL;
}

static void test_concurrent_alloc_free(void **state)
{
	struct churn_arg c[2] = { { *state, 0 }, { *state, 0 } };
	pthread_t t[2];

	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, churn, &c[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(c[0].failures + c[1].failures, 0);
}

static void test_arena_coalesces(void **state)
{
	struct pto_arena a;
	uint64_t addr[10], got[10];

	(void)state;
	assert_int_equal(pto__arena_init(&a, 4096, 4096 + 64 * 100), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(pto__arena_alloc(&a, 64 * 10, 64, &addr[i], &got[i]), 0);
	assert_int_equal(pto__arena_free_bytes(&a), 0);
	assert_int_equal(pto__arena_num_extents(&a), 0);
	assert_int_equal(pto__arena_alloc(&a, 1, 64, &addr[0], &got[0]), -ENOMEM);
	/* free every other one: 5 holes; then the rest: one extent again */
	for (int i = 0; i < 10; i += 2)
		pto__arena_free(&a, addr[i], got[i]);
	assert_int_equal(pto__arena_num_extents(&a), 5);
	/* best fit: a 640-byte hole fits a 600-byte request exactly after rounding */
	assert_int_equal(pto__arena_alloc(&a, 600, 64, &addr[0], &got[0]), 0);
	assert_int_equal(got[0], 640);
	assert_int_equal(pto__arena_num_extents(&a), 4);
	pto__arena_free(&a, addr[0], got[0]);
	for (int i = 1; i < 10; i += 2)
		pto__arena_free(&a, addr[i], got[i]);
	assert_int_equal(pto__arena_num_extents(&a), 1);
	assert_int_equal(pto__arena_free_bytes(&a), 64 * 100);
	/* alignment larger than the range start: head gap stays free */
	assert_int_equal(pto__arena_alloc(&a, 64, 4096, &addr[0], &got[0]), 0);
	assert_int_equal(addr[0] % 4096, 0);
	pto__arena_free(&a, addr[0], got[0]);
	assert_int_equal(pto__arena_num_extents(&a), 1);
	pto__arena_destroy(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_alloc_alignment, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_alloc_bad_args, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_alloc_exhaustion, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_allocations_disjoint, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_free_errors, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_free_runtime_memory, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_map_ranges, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_addr_round_trip, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_upload_download, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_alloc_free, dev_setup, dev_teardown),
		cmocka_unit_test(test_arena_coalesces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
