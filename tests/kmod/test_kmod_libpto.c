// SPDX-License-Identifier: MIT
/*
 * test_kmod_libpto.c - libpto's kernel-module backend against the soft
 * device (qemu guest): pto_device_open("/dev/pto2"), memory round trips,
 * and a register-protocol dispatch run by the attached sim engine.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "kmod_test.h"
#include "libpto/device/device_ops.h"
#include "pto/device.h"
#include "runtime/regs.h"

#define KERNEL_ID 7

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Writes 1000 * (core + 1) + scalar 1 into the u32 at device address scalar 0. */
static int mark_kernel(const struct pto_kernel_ctx *ctx)
{
	const struct pto2_dispatch_payload *p = ctx->payload;
	uint32_t *out = (uint32_t *)(ctx->gm + p->args[0]);

	*out = 1000 * (ctx->core_id + 1) + (uint32_t)p->args[1];
	return 0;
}

static void test_open_reports_soft_device(void **state)
{
	struct pto_device_info info;
	struct pto_device *dev;

	(void)state;
	assert_int_equal(pto_device_open(PTO2_DEVICE_PATH, &dev), 0);
	assert_int_equal(pto_device_get_info(dev, &info), 0);
	assert_int_equal(info.abi_version, PTO2_ABI_VERSION);
	assert_int_equal(info.platform, PTO2_PLATFORM_SOFT);
	assert_int_equal(info.num_clusters, kt_sysfs("num_clusters"));
	assert_int_equal(info.num_cores, kt_sysfs("num_cores"));
	assert_int_equal(info.mem_size, kt_sysfs("mem_size"));
	assert_int_equal(info.num_cpus, 2);
	assert_true(info.num_workers >= 1);
	assert_string_equal(info.spec, PTO2_DEVICE_PATH);
	assert_int_equal(kt_sysfs("attached"), 1);
	/* the payload buffers are the device's own object */
	assert_int_equal(kt_sysfs("objects"), 1);
	pto_device_close(dev);
	assert_int_equal(kt_sysfs("attached"), 0);
	assert_int_equal(kt_sysfs("objects"), 0);
	assert_int_equal(kt_sysfs("opens"), 0);
}

static void test_second_emulator_is_refused(void **state)
{
	struct pto_device *dev, *dev2 = (struct pto_device *)1;

	(void)state;
	assert_int_equal(pto_device_open(PTO2_DEVICE_PATH, &dev), 0);
	assert_int_equal(pto_device_open(PTO2_DEVICE_PATH, &dev2), -EBUSY);
	assert_null(dev2);
	assert_non_null(strstr(pto_last_error(), "already run by another process"));
	pto_device_close(dev);
	assert_int_equal(kt_sysfs("opens"), 0);
}

/*
 * Opening the soft device runs its cores: without CAP_SYS_ADMIN only while
 * no other user has the device open (test_kmod_user has the rest).
 */
static void test_unprivileged_open_beside_another_user_is_ebusy(void **state)
{
	int fd;
	pid_t pid;
	int st;

	(void)state;
	kt_node_group(PTO2_DEVICE_PATH);
	fd = kt_open();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct pto_device *dev = (struct pto_device *)1;
		int rc;

		if (kt_become(KT_UID_A, KT_GID_PTO2, 1))
			_exit(100);
		rc = pto_device_open(PTO2_DEVICE_PATH, &dev);
		if (dev || !strstr(pto_last_error(), "open by another user"))
			_exit(101);
		_exit(-rc);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), EBUSY);
	close(fd);
	/* the failed open closed its file */
	assert_int_equal(kt_sysfs("opens"), 0);
	assert_int_equal(kt_sysfs("attached"), 0);
}

static void test_bad_node(void **state)
{
	struct pto_device *dev;

	(void)state;
	assert_int_equal(pto_device_open("/dev/pto2-missing", &dev), -ENOENT);
	assert_non_null(strstr(pto_last_error(), "/dev/pto2-missing"));
	/* a node that is not pto2 */
	assert_int_equal(pto_device_open("/dev/null", &dev), -ENOTTY);
	assert_non_null(strstr(pto_last_error(), "not a pto2 device"));
}

static void test_memory_round_trip(void **state)
{
	struct pto_device *dev;
	struct pto_device_info info;
	uint64_t a, b;
	uint8_t src[10000], dst[10000];
	size_t i;

	(void)state;
	assert_int_equal(pto_device_open(PTO2_DEVICE_PATH, &dev), 0);
	for (i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(pto_mem_alloc(dev, sizeof(src), 0, &a), 0);
	assert_int_equal(pto_mem_alloc(dev, 100, 1 << 20, &b), 0);
	assert_int_equal(b % (1 << 20), 0);
	assert_int_equal(kt_sysfs("objects"), 3);
	assert_int_equal(pto_mem_upload(dev, a, src, sizeof(src)), 0);
	memset(dst, 0, sizeof(dst));
	assert_int_equal(pto_mem_download(dev, dst, a, sizeof(dst)), 0);
	assert_memory_equal(src, dst, sizeof(src));
	assert_ptr_equal(pto_mem_map(dev, a + 10, 10), (uint8_t *)pto_mem_map(dev, a, 1) + 10);
	assert_int_equal(pto_mem_addr(dev, pto_mem_map(dev, a + 5, 1)), a + 5);
	/* beyond the kernel's alignment limit */
	assert_int_equal(pto_mem_alloc(dev, 100, 1u << 21, &b), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "1 MiB"));
	/* more than the device holds */
	assert_int_equal(pto_mem_alloc(dev, 1ull << 40, 0, &b), -ENOMEM);
	/* the whole aperture, and one byte over the module's largest object:
	 * ENOMEM as on the mock, not the ioctl's EINVAL */
	assert_int_equal(pto_device_get_info(dev, &info), 0);
	assert_int_equal(pto_mem_alloc(dev, info.mem_size, 0, &b), -ENOMEM);
	assert_int_equal(pto_mem_alloc(dev, info.mem_size - 4095, 0, &b), -ENOMEM);
	assert_non_null(strstr(pto_last_error(), "no object can be larger than"));
	assert_int_equal(pto_mem_free(dev, a), 0);
	assert_int_equal(pto_mem_free(dev, a), -ENOENT);
	assert_int_equal(kt_sysfs("objects"), 2);
	pto_device_close(dev);
	assert_int_equal(kt_sysfs("objects"), 0);
}

/* Dispatch one task to @core and wait for its FIN; return the window. */
static struct pto2_core_regs *dispatch(struct pto_device *dev, uint32_t core, uint32_t n,
				       uint64_t out_addr, uint64_t scalar)
{
	struct pto2_core_regs *r = pto_device_regs(dev, core);
	uint32_t id = PTO2_DISPATCH_ID(n), cond;
	struct pto2_dispatch_payload *p;
	uint64_t deadline = now_ns() + 30ull * 1000 * 1000 * 1000;	/* hang guard */

	assert_non_null(r);
	p = pto_mem_map(dev, reg_load_relaxed(&r->payload_addr) +
			PTO2_PAYLOAD_SLOT(id) * PTO2_PAYLOAD_SIZE, PTO2_PAYLOAD_SIZE);
	assert_non_null(p);
	memset(p, 0, sizeof(*p));
	p->kernel_id = KERNEL_ID;
	p->block_num = 1;
	p->num_scalars = 2;
	p->args[0] = out_addr;
	p->args[1] = scalar;
	/* publishes the payload; pairs with the core's acquire load of DATA_MAIN_BASE */
	reg_store_release(&r->data_main_base, id);
	pto__device_kick(dev, core);
	for (;;) {
		/* announced before the look: a FIN after it ends the sleep */
		uint32_t key = pto__device_completion_prepare(dev);

		/* pairs with the core's release store of COND */
		cond = reg_load_acquire(&r->cond);
		if (cond == PTO2_COND(1, id)) {
			pto__device_completion_cancel(dev);
			break;
		}
		assert_true(now_ns() < deadline);
		pto__device_wait_completion(dev, key, deadline);
	}
	return r;
}

static void test_register_protocol_round_trip(void **state)
{
	struct pto_device *dev;
	struct pto_device_info info;
	uint64_t out;
	uint32_t *host, core, waits0;
	struct pto2_core_regs *r;

	(void)state;
	assert_int_equal(pto_device_open(PTO2_DEVICE_PATH, &dev), 0);
	assert_int_equal(pto_device_get_info(dev, &info), 0);
	assert_int_equal(pto__device_set_kernel(dev, KERNEL_ID, mark_kernel), 0);
	assert_int_equal(pto_mem_alloc(dev, 4 * info.num_cores, 0, &out), 0);
	host = pto_mem_map(dev, out, 4 * info.num_cores);
	assert_non_null(host);
	waits0 = (uint32_t)kt_sysfs("waits");

	/* every core, AIC and AIV, twice: both payload buffers */
	for (core = 0; core < info.num_cores; core++) {
		r = dispatch(dev, core, 0, out + 4 * core, 1);
		assert_int_equal(host[core], 1000 * (core + 1) + 1);
		assert_int_equal(r->status[PTO2_PAYLOAD_SLOT(PTO2_DISPATCH_ID(0))], PTO2_STATUS_OK);
		r = dispatch(dev, core, 1, out + 4 * core, 2);
		assert_int_equal(host[core], 1000 * (core + 1) + 2);
		assert_int_equal(reg_load_relaxed(&r->exec_count), 2);
		assert_true(r->end_ns[1] >= r->start_ns[1]);
	}
	printf("WAIT calls that slept: %u, module completions: %lld\n",
	       (uint32_t)kt_sysfs("waits") - waits0, kt_sysfs("completions"));
	pto_device_close(dev);
	assert_int_equal(kt_sysfs("attached"), 0);
}

static void test_unknown_kernel_reports_status(void **state)
{
	struct pto_device *dev;
	uint64_t out;
	struct pto2_core_regs *r;

	(void)state;
	assert_int_equal(pto_device_open(PTO2_DEVICE_PATH, &dev), 0);
	assert_int_equal(pto_mem_alloc(dev, 64, 0, &out), 0);
	/* KERNEL_ID is not registered in this process */
	r = dispatch(dev, 0, 0, out, 0);
	assert_int_equal(r->status[PTO2_PAYLOAD_SLOT(PTO2_DISPATCH_ID(0))], PTO2_STATUS_NO_KERNEL);
	pto_device_close(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_reports_soft_device),
		cmocka_unit_test(test_second_emulator_is_refused),
		cmocka_unit_test(test_unprivileged_open_beside_another_user_is_ebusy),
		cmocka_unit_test(test_bad_node),
		cmocka_unit_test(test_memory_round_trip),
		cmocka_unit_test(test_register_protocol_round_trip),
		cmocka_unit_test(test_unknown_kernel_reports_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
