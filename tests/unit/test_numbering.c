// SPDX-License-Identifier: MIT
/*
 * test_numbering.c - core and cluster numbering (uapi macros) for several
 * cluster counts, and the identity and payload buffers a mock device
 * writes into each register window at bring-up.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "pto/device.h"
#include "runtime/regs.h"

static const uint32_t cluster_counts[] = { 1, 2, 3, 4, 7, 24, 36, PTO2_MAX_CLUSTERS };

static void test_macros_partition_cores(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(cluster_counts) / sizeof(cluster_counts[0]); k++) {
		uint32_t nc = cluster_counts[k];
		uint8_t seen[PTO2_MAX_CORES] = { 0 };

		for (uint32_t c = 0; c < nc; c++) {
			uint32_t ids[3] = { PTO2_AIC_CORE(c), PTO2_AIV_CORE(nc, c, 0),
					    PTO2_AIV_CORE(nc, c, 1) };

			assert_int_equal(ids[0], c);
			assert_int_equal(ids[1], nc + 2 * c);
			assert_int_equal(ids[2], nc + 2 * c + 1);
			for (int i = 0; i < 3; i++) {
				assert_true(ids[i] < 3 * nc);
				seen[ids[i]]++;
				assert_int_equal(PTO2_CORE_CLUSTER(nc, ids[i]), c);
				assert_int_equal(PTO2_CORE_TYPE(nc, ids[i]),
						 i == 0 ? PTO2_CORE_AIC : PTO2_CORE_AIV);
				assert_int_equal(PTO2_CORE_LANE(nc, ids[i]), i == 0 ? 0 : i - 1);
			}
		}
		/* every id in [0, 3nc) belongs to exactly one (cluster, role) */
		for (uint32_t id = 0; id < 3 * nc; id++)
			if (seen[id] != 1)
				fail_msg("nc=%u: core %u named %u times", nc, id, seen[id]);
		/* AIC first, then AIV */
		assert_int_equal(PTO2_CORE_TYPE(nc, nc - 1), PTO2_CORE_AIC);
		assert_int_equal(PTO2_CORE_TYPE(nc, nc), PTO2_CORE_AIV);
	}
}

static void test_default_part(void **state)
{
	(void)state;
	/* a2a3: 24 clusters = 24 AIC + 48 AIV; cluster 23 = {23, 70, 71} */
	assert_int_equal(PTO2_DEFAULT_CLUSTERS, 24);
	assert_int_equal(PTO2_AIV_CORE(24, 23, 0), 70);
	assert_int_equal(PTO2_AIV_CORE(24, 23, 1), 71);
	assert_int_equal(PTO2_CORE_CLUSTER(24, 24), 0);
	assert_int_equal(PTO2_CORE_CLUSTER(24, 25), 0);
	assert_int_equal(PTO2_CORE_CLUSTER(24, 26), 1);
}

static void check_device(uint32_t nc)
{
	char spec[64];
	struct pto_device *dev;
	struct pto_device_info info;
	uint64_t prev_end = 0;

	snprintf(spec, sizeof(spec), "mock:clusters=%u,workers=1,mem=4M", nc);
	assert_int_equal(pto_device_open(spec, &dev), 0);
	assert_int_equal(pto_device_get_info(dev, &info), 0);
	assert_int_equal(info.num_cores, 3 * nc);
	assert_int_equal(info.num_aic, nc);
	assert_int_equal(info.num_aiv, 2 * nc);
	for (uint32_t id = 0; id < info.num_cores; id++) {
		struct pto2_core_regs *r = pto_device_regs(dev, id);
		uint64_t pa;

		assert_non_null(r);
		assert_int_equal((uintptr_t)r % PTO2_REG_WINDOW_SIZE, 0);
		assert_int_equal(reg_load_relaxed(&r->core_id), id);
		assert_int_equal(reg_load_relaxed(&r->core_type), PTO2_CORE_TYPE(nc, id));
		assert_int_equal(reg_load_relaxed(&r->cluster_id), PTO2_CORE_CLUSTER(nc, id));
		assert_int_equal(reg_load_relaxed(&r->sub_block_id), PTO2_CORE_LANE(nc, id));
		assert_int_equal(reg_load_acquire(&r->data_main_base), PTO2_REG_IDLE);
		assert_int_equal(reg_load_acquire(&r->cond), PTO2_COND_IDLE);
		/* two payload buffers per core, never 0, never overlapping */
		pa = reg_load_relaxed(&r->payload_addr);
		assert_true(pa != 0);
		assert_true(pa >= prev_end);
		prev_end = pa + PTO2_PAYLOADS_PER_CORE * PTO2_PAYLOAD_SIZE;
		assert_non_null(pto_mem_map(dev, pa, PTO2_PAYLOADS_PER_CORE * PTO2_PAYLOAD_SIZE));
		/* each window is its own page */
		if (id > 0)
			assert_true(r != pto_device_regs(dev, id - 1));
	}
	assert_null(pto_device_regs(dev, info.num_cores));
	assert_non_null(strstr(pto_last_error(), "out of range"));
	assert_null(pto_device_regs(dev, UINT32_MAX));
	pto_device_close(dev);
}

static void test_device_windows(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(cluster_counts) / sizeof(cluster_counts[0]); k++)
		check_device(cluster_counts[k]);
	assert_null(pto_device_regs(NULL, 0));
	assert_non_null(strstr(pto_last_error(), "dev is NULL"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_macros_partition_cores),
		cmocka_unit_test(test_default_part),
		cmocka_unit_test(test_device_windows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
