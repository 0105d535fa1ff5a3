// SPDX-License-Identifier: MIT
/*
 * test_kmod_abi.c - the ioctl and mmap ABI of /dev/pto2, one test per
 * rule, each asserting the exact errno (runs in the qemu guest).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "kmod_test.h"

#define PAGE 4096u

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static long long param(const char *name)
{
	char path[128], buf[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/pto2/parameters/%s", name);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	return strtoll(buf, NULL, 0);
}

static void get_info(int fd, struct pto2_info *info)
{
	memset(info, 0, sizeof(*info));
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_INFO, info), 0);
}

/* --- INFO ------------------------------------------------------------------ */

static void test_info_reports_parameters(void **state)
{
	struct pto2_info info;
	int fd = kt_open();
	uint32_t nc = (uint32_t)param("clusters");

	(void)state;
	get_info(fd, &info);
	assert_int_equal(info.abi_version, PTO2_ABI_VERSION);
	assert_int_equal(info.platform, PTO2_PLATFORM_SOFT);
	assert_int_equal(info.num_clusters, nc);
	assert_int_equal(info.num_cores, 3 * nc);
	assert_int_equal(info.num_aic, nc);
	assert_int_equal(info.num_aiv, 2 * nc);
	assert_int_equal(info.mem_size, (uint64_t)param("mem_mb") << 20);
	assert_int_equal(info.mem_free, kt_sysfs("mem_free"));
	/* the guest loads with cpus=0-1 */
	assert_int_equal(info.num_cpus, 2);
	assert_int_equal(info.cpus[0], 0);
	assert_int_equal(info.cpus[1], 1);
	assert_int_equal(kt_sysfs("num_clusters"), nc);
	close(fd);
}

static void test_info_copies_out_nothing_stale(void **state)
{
	struct pto2_info info;
	int fd = kt_open();
	size_t i;

	(void)state;
	memset(&info, 0xa5, sizeof(info));
	info.flags = 0;
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_INFO, &info), 0);
	for (i = info.num_cpus; i < PTO2_MAX_CPUS; i++)
		assert_int_equal(info.cpus[i], 0);
	assert_int_equal(info.flags, 0);
	close(fd);
}

static void test_info_flags_must_be_zero(void **state)
{
	struct pto2_info info = { .flags = 1 };
	int fd = kt_open();

	(void)state;
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_INFO, &info), -EINVAL);
	info.flags = 0x80000000u;
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_INFO, &info), -EINVAL);
	close(fd);
}

/* --- dispatcher ------------------------------------------------------------- */

static void test_unknown_ioctl_is_enotty(void **state)
{
	unsigned int next = _IOWR(PTO2_IOC_MAGIC, 0x06, struct pto2_signal);
	unsigned int last = _IOWR(PTO2_IOC_MAGIC, 0xff, struct pto2_signal);
	char buf[64] = { 0 };
	int fd = kt_open();

	(void)state;
	assert_int_equal(kt_ioctl(fd, next, buf), -ENOTTY);
	assert_int_equal(kt_ioctl(fd, last, buf), -ENOTTY);
	assert_int_equal(kt_ioctl(fd, _IOWR('Q', 0x00, struct pto2_info), buf), -ENOTTY);
	assert_int_equal(kt_ioctl(fd, FIONREAD, buf), -ENOTTY);
	assert_int_equal(kt_ioctl(fd, 0, NULL), -ENOTTY);
	close(fd);
}

static void test_short_struct_is_zero_extended(void **state)
{
	unsigned int cmd = _IOC(_IOC_READ | _IOC_WRITE, PTO2_IOC_MAGIC, 0x00, 8);
	unsigned char buf[sizeof(struct pto2_info)];
	int fd = kt_open();
	uint32_t v[2];

	(void)state;
	memset(buf, 0x5a, sizeof(buf));
	memset(buf, 0, 8);
	assert_int_equal(kt_ioctl(fd, cmd, buf), 0);
	memcpy(v, buf, 8);
	assert_int_equal(v[0], PTO2_ABI_VERSION);
	assert_int_equal(v[1], PTO2_PLATFORM_SOFT);
	/* only the 8 bytes the caller named were written */
	assert_int_equal(buf[8], 0x5a);
	assert_int_equal(buf[sizeof(buf) - 1], 0x5a);
	close(fd);
}

static void test_long_struct_needs_zero_tail(void **state)
{
	unsigned char buf[sizeof(struct pto2_info) + 16];
	unsigned int cmd = _IOC(_IOC_READ | _IOC_WRITE, PTO2_IOC_MAGIC, 0x00, sizeof(buf));
	int fd = kt_open();
	long long rejects = kt_sysfs("rejects");

	(void)state;
	memset(buf, 0, sizeof(buf));
	assert_int_equal(kt_ioctl(fd, cmd, buf), 0);
	buf[sizeof(buf) - 1] = 1;
	assert_int_equal(kt_ioctl(fd, cmd, buf), -E2BIG);
	/* a bad argument counts as a reject */
	assert_int_equal(kt_sysfs("rejects"), rejects + 1);
	close(fd);
}

static void test_bad_pointer_is_efault(void **state)
{
	int fd = kt_open();
	long long rejects = kt_sysfs("rejects");

	(void)state;
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_INFO, NULL), -EFAULT);
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_MEM_ALLOC, (void *)16), -EFAULT);
	/* a bad pointer is the caller's memory, not a bad argument */
	assert_int_equal(kt_sysfs("rejects"), rejects);
	close(fd);
}

/* --- MEM_ALLOC / MEM_FREE -------------------------------------------------- */

static int try_alloc(int fd, uint64_t size, uint32_t align, uint32_t flags, uint32_t pad)
{
	struct pto2_mem_alloc a = { .size = size, .align = align, .flags = flags, .pad = pad };

	return kt_ioctl(fd, PTO2_IOC_MEM_ALLOC, &a);
}

static void test_mem_alloc_rejects_bad_arguments(void **state)
{
	int fd = kt_open();
	uint64_t mem = (uint64_t)param("mem_mb") << 20;

	(void)state;
	assert_int_equal(try_alloc(fd, PAGE, 0, 1, 0), -EINVAL);
	assert_int_equal(try_alloc(fd, PAGE, 0, 0x80000000u, 0), -EINVAL);
	assert_int_equal(try_alloc(fd, PAGE, 0, 0, 1), -EINVAL);
	assert_int_equal(try_alloc(fd, 0, 0, 0, 0), -EINVAL);
	assert_int_equal(try_alloc(fd, ~0ull, 0, 0, 0), -EINVAL);
	assert_int_equal(try_alloc(fd, ~0ull - PAGE + 2, 0, 0, 0), -EINVAL);
	assert_int_equal(try_alloc(fd, mem + 1, 0, 0, 0), -EINVAL);
	/* page 0 is never handed out, so the range ends a page short of mem_size */
	assert_int_equal(try_alloc(fd, mem, 0, 0, 0), -EINVAL);
	assert_int_equal(try_alloc(fd, mem - PAGE + 1, 0, 0, 0), -EINVAL);
	assert_int_equal(try_alloc(fd, PAGE, 3, 0, 0), -EINVAL);
	assert_int_equal(try_alloc(fd, PAGE, 2u << 20, 0, 0), -EINVAL);
	assert_int_equal(kt_sysfs("objects"), 0);
	close(fd);
}

static void test_mem_alloc_outputs(void **state)
{
	struct pto2_mem_alloc a;
	int fd = kt_open();
	long long free0 = kt_sysfs("mem_free");

	(void)state;
	memset(&a, 0xee, sizeof(a));
	a.size = 100;
	a.align = 65536;
	a.flags = 0;
	a.pad = 0;
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_MEM_ALLOC, &a), 0);
	assert_int_not_equal(a.handle, 0);
	assert_int_not_equal(a.dev_addr, 0);
	assert_int_equal(a.dev_addr % 65536, 0);
	assert_int_equal(a.alloc_size, PAGE);
	assert_int_equal(a.mmap_offset, PTO2_MMAP_OFFSET(PTO2_MMAP_MEM, a.handle));
	assert_int_equal(a.pad, 0);
	assert_int_equal(kt_sysfs("mem_free"), free0 - PAGE);
	close(fd);
	/* close released the object */
	assert_int_equal(kt_sysfs("mem_free"), free0);
	assert_int_equal(kt_sysfs("objects"), 0);
}

static void test_mem_free_bad_handle_and_double_free(void **state)
{
	struct pto2_mem_alloc a;
	struct pto2_mem_free f = { 0 };
	int fd = kt_open();

	(void)state;
	kt_alloc(fd, PAGE, &a);
	f.handle = a.handle;
	f.pad = 1;
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_MEM_FREE, &f), -EINVAL);
	f.pad = 0;
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_MEM_FREE, &f), 0);
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_MEM_FREE, &f), -ENOENT);
	f.handle = 0;
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_MEM_FREE, &f), -ENOENT);
	f.handle = 0xffffffffu;
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_MEM_FREE, &f), -ENOENT);
	close(fd);
}

static void test_mem_alloc_copy_out_failure_is_undone(void **state)
{
	struct pto2_mem_alloc a = { .size = PAGE };
	int fd = kt_open();
	void *ro;

	(void)state;
	/* readable, so the request is copied in; not writable, so the answer cannot go out */
	ro = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(ro != MAP_FAILED);
	memcpy(ro, &a, sizeof(a));
	assert_int_equal(mprotect(ro, PAGE, PROT_READ), 0);
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_MEM_ALLOC, ro), -EFAULT);
	assert_int_equal(kt_sysfs("objects"), 0);
	munmap(ro, PAGE);
	close(fd);
}

static void test_mem_alloc_handle_limit(void **state)
{
	struct pto2_mem_alloc a;
	int fd = kt_open(), i;

	(void)state;
	for (i = 0; i < 65536; i++) {
		memset(&a, 0, sizeof(a));
		a.size = 1;
		if (kt_ioctl(fd, PTO2_IOC_MEM_ALLOC, &a))
			fail_msg("allocation %d of 65536 failed", i);
	}
	assert_int_equal(a.handle, 65536);
	memset(&a, 0, sizeof(a));
	a.size = 1;
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_MEM_ALLOC, &a), -ENOSPC);
	assert_int_equal(kt_sysfs("objects"), 65536);
	close(fd);
	assert_int_equal(kt_sysfs("objects"), 0);
}

static void test_handles_are_per_file(void **state)
{
	struct pto2_mem_alloc a;
	struct pto2_mem_free f = { 0 };
	int fd1 = kt_open(), fd2 = kt_open(), err;

	(void)state;
	kt_alloc(fd1, PAGE, &a);
	f.handle = a.handle;
	assert_int_equal(kt_ioctl(fd2, PTO2_IOC_MEM_FREE, &f), -ENOENT);
	assert_null(kt_mmap(fd2, a.mmap_offset, PAGE, PROT_READ, MAP_SHARED, &err));
	assert_int_equal(err, EINVAL);
	assert_int_equal(kt_ioctl(fd1, PTO2_IOC_MEM_FREE, &f), 0);
	close(fd1);
	close(fd2);
}

static void test_freed_memory_is_scrubbed(void **state)
{
	struct pto2_mem_alloc a;
	struct pto2_mem_free f = { 0 };
	int fd = kt_open(), err;
	unsigned char *p;
	size_t i;

	(void)state;
	p = kt_alloc_map(fd, 4 * PAGE, &a);
	memset(p, 0x77, 4 * PAGE);
	munmap(p, 4 * PAGE);
	f.handle = a.handle;
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_MEM_FREE, &f), 0);
	/* first fit hands the same range out again */
	kt_alloc(fd, 4 * PAGE, &a);
	p = kt_mmap(fd, a.mmap_offset, 4 * PAGE, PROT_READ, MAP_SHARED, &err);
	assert_non_null(p);
	for (i = 0; i < 4 * PAGE; i++)
		assert_int_equal(p[i], 0);
	munmap(p, 4 * PAGE);
	close(fd);
}

/* --- mmap ------------------------------------------------------------------- */

static void test_mmap_mem_object(void **state)
{
	struct pto2_mem_alloc a;
	int fd = kt_open(), err;
	uint32_t *p;

	(void)state;
	p = kt_alloc_map(fd, 2 * PAGE, &a);
	p[0] = 0x12345678;
	p[2 * PAGE / 4 - 1] = 0x9abcdef0;
	assert_int_equal(kt_sysfs("mappings"), 1);
	/* a second mapping shows the same memory */
	{
		uint32_t *q = kt_mmap(fd, a.mmap_offset, 2 * PAGE, PROT_READ, MAP_SHARED, &err);

		assert_non_null(q);
		assert_int_equal(q[0], 0x12345678);
		assert_int_equal(q[2 * PAGE / 4 - 1], 0x9abcdef0);
		assert_int_equal(kt_sysfs("mappings"), 2);
		munmap(q, 2 * PAGE);
	}
	munmap(p, 2 * PAGE);
	assert_int_equal(kt_sysfs("mappings"), 0);
	close(fd);
}

static void test_mmap_rejects_bad_requests(void **state)
{
	struct pto2_mem_alloc a;
	int fd = kt_open(), err;
	uint32_t nc = (uint32_t)param("clusters");
	long long rejects = kt_sysfs("rejects");

	(void)state;
	kt_alloc(fd, 2 * PAGE, &a);
	/* wrong sizes */
	assert_null(kt_mmap(fd, a.mmap_offset, PAGE, PROT_READ, MAP_SHARED, &err));
	assert_int_equal(err, EINVAL);
	assert_null(kt_mmap(fd, a.mmap_offset, 3 * PAGE, PROT_READ, MAP_SHARED, &err));
	assert_int_equal(err, EINVAL);
	/* wrong offsets: unknown handle, unknown type, a page into the object */
	assert_null(kt_mmap(fd, PTO2_MMAP_OFFSET(PTO2_MMAP_MEM, a.handle + 1000), 2 * PAGE,
			    PROT_READ, MAP_SHARED, &err));
	assert_int_equal(err, EINVAL);
	assert_null(kt_mmap(fd, PTO2_MMAP_OFFSET(9, 0), PAGE, PROT_READ, MAP_SHARED, &err));
	assert_int_equal(err, EINVAL);
	assert_null(kt_mmap(fd, 0, PAGE, PROT_READ, MAP_SHARED, &err));
	assert_int_equal(err, EINVAL);
	assert_null(kt_mmap(fd, a.mmap_offset + PAGE, PAGE, PROT_READ, MAP_SHARED, &err));
	assert_int_equal(err, EINVAL);
	/* private and executable mappings */
	assert_null(kt_mmap(fd, a.mmap_offset, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE,
			    &err));
	assert_int_equal(err, EINVAL);
	assert_null(kt_mmap(fd, a.mmap_offset, 2 * PAGE, PROT_READ | PROT_EXEC, MAP_SHARED, &err));
	assert_int_equal(err, EPERM);
	/* register windows: bad core id, wrong size */
	assert_null(kt_mmap(fd, PTO2_MMAP_OFFSET(PTO2_MMAP_REGS, 3 * nc), PAGE, PROT_READ,
			    MAP_SHARED, &err));
	assert_int_equal(err, EINVAL);
	assert_null(kt_mmap(fd, PTO2_MMAP_OFFSET(PTO2_MMAP_REGS, 0), 2 * PAGE, PROT_READ,
			    MAP_SHARED, &err));
	assert_int_equal(err, EINVAL);
	/* aperture and all windows need ATTACH */
	assert_null(kt_mmap(fd, PTO2_MMAP_OFFSET(PTO2_MMAP_APERTURE, 0),
			    (size_t)param("mem_mb") << 20, PROT_READ, MAP_SHARED, &err));
	assert_int_equal(err, EPERM);
	assert_null(kt_mmap(fd, PTO2_MMAP_OFFSET(PTO2_MMAP_REGS_ALL, 0), 3 * nc * PAGE,
			    PROT_READ, MAP_SHARED, &err));
	assert_int_equal(err, EPERM);
	assert_int_equal(kt_sysfs("mappings"), 0);
	/* every refusal above counts once */
	assert_int_equal(kt_sysfs("rejects"), rejects + 12);
	close(fd);
}

static void test_mapping_cannot_change_shape(void **state)
{
	struct pto2_mem_alloc a;
	int fd = kt_open();
	char *p;

	(void)state;
	p = kt_alloc_map(fd, 2 * PAGE, &a);
	/* no exec later either */
	assert_int_equal(mprotect(p, 2 * PAGE, PROT_READ | PROT_EXEC), -1);
	assert_int_equal(errno, EACCES);
	/* no split */
	assert_int_equal(munmap(p, PAGE), -1);
	assert_int_equal(errno, EINVAL);
	/* no growth */
	assert_true(mremap(p, 2 * PAGE, 4 * PAGE, 0) == MAP_FAILED);
	assert_int_equal(errno, EFAULT);
	assert_int_equal(munmap(p, 2 * PAGE), 0);
	assert_int_equal(kt_sysfs("mappings"), 0);
	close(fd);
}

static void test_memory_lives_until_last_mapping(void **state)
{
	struct pto2_mem_alloc a;
	struct pto2_mem_free f = { 0 };
	struct pto2_info info;
	int fd = kt_open();
	uint64_t free0;
	uint32_t *p;

	(void)state;
	get_info(fd, &info);
	free0 = info.mem_free;
	p = kt_alloc_map(fd, PAGE, &a);
	f.handle = a.handle;
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_MEM_FREE, &f), 0);
	/* still mapped: still usable, still accounted */
	p[7] = 42;
	assert_int_equal(p[7], 42);
	get_info(fd, &info);
	assert_int_equal(info.mem_free, free0 - PAGE);
	assert_int_equal(kt_sysfs("objects"), 1);
	munmap(p, PAGE);
	get_info(fd, &info);
	assert_int_equal(info.mem_free, free0);
	assert_int_equal(kt_sysfs("objects"), 0);
	close(fd);
}

static void test_register_window_identity(void **state)
{
	uint32_t nc = (uint32_t)param("clusters"), core;
	int fd = kt_open(), err;

	(void)state;
	for (core = 0; core < 3 * nc; core++) {
		uint64_t off = PTO2_MMAP_OFFSET(PTO2_MMAP_REGS, core);
		struct pto2_core_regs *r;

		/* soft device: only the attached emulator's process may write windows */
		assert_null(kt_mmap(fd, off, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, &err));
		assert_int_equal(err, EACCES);
		r = kt_mmap(fd, off, PAGE, PROT_READ, MAP_SHARED, &err);
		assert_non_null(r);
		assert_int_equal(mprotect(r, PAGE, PROT_READ | PROT_WRITE), -1);
		assert_int_equal(errno, EACCES);
		assert_int_equal(r->core_id, core);
		assert_int_equal(r->core_type, PTO2_CORE_TYPE(nc, core));
		assert_int_equal(r->cluster_id, PTO2_CORE_CLUSTER(nc, core));
		assert_int_equal(r->sub_block_id, PTO2_CORE_LANE(nc, core));
		munmap(r, PAGE);
	}
	close(fd);
}

/* --- ATTACH, SIGNAL, WAIT, poll ---------------------------------------------- */

static void test_attach(void **state)
{
	struct pto2_attach at = { 0 };
	struct pto2_mem_alloc a;
	uint32_t nc = (uint32_t)param("clusters"), core;
	uint64_t mem = (uint64_t)param("mem_mb") << 20;
	int fd = kt_open(), fd2 = kt_open(), err;
	struct pto2_core_regs *regs;
	uint8_t *ap;
	uint32_t *obj;

	(void)state;
	at.flags = 1;
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_ATTACH, &at), -EINVAL);
	at.flags = 0;
	at.pad = 1;
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_ATTACH, &at), -EINVAL);
	at.pad = 0;
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_ATTACH, &at), 0);
	assert_int_equal(at.aperture_offset, PTO2_MMAP_OFFSET(PTO2_MMAP_APERTURE, 0));
	assert_int_equal(at.aperture_size, mem);
	assert_int_equal(at.regs_offset, PTO2_MMAP_OFFSET(PTO2_MMAP_REGS_ALL, 0));
	assert_int_equal(at.regs_size, 3ull * nc * PAGE);
	assert_int_equal(kt_sysfs("attached"), 1);
	/* idempotent for the attached file, busy for everyone else */
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_ATTACH, &at), 0);
	assert_int_equal(kt_ioctl(fd2, PTO2_IOC_ATTACH, &at), -EBUSY);

	assert_null(kt_mmap(fd, at.aperture_offset, mem - PAGE, PROT_READ, MAP_SHARED, &err));
	assert_int_equal(err, EINVAL);
	ap = kt_mmap(fd, at.aperture_offset, mem, PROT_READ | PROT_WRITE, MAP_SHARED, &err);
	assert_non_null(ap);
	regs = kt_mmap(fd, at.regs_offset, at.regs_size, PROT_READ | PROT_WRITE, MAP_SHARED, &err);
	assert_non_null(regs);
	for (core = 0; core < 3 * nc; core++) {
		assert_int_equal(regs[core].core_id, core);
		assert_int_equal(regs[core].data_main_base, PTO2_REG_IDLE);
		assert_int_equal(regs[core].cond, PTO2_COND_IDLE);
	}
	/* an object's mapping and the aperture alias the same device memory */
	obj = kt_alloc_map(fd, PAGE, &a);
	obj[3] = 0xfeedf00d;
	assert_memory_equal(ap + a.dev_addr + 12, &obj[3], 4);

	munmap(obj, PAGE);
	munmap(regs, at.regs_size);
	munmap(ap, mem);
	close(fd);
	assert_int_equal(kt_sysfs("attached"), 0);
	/* the release detached it */
	assert_int_equal(kt_ioctl(fd2, PTO2_IOC_ATTACH, &at), 0);
	close(fd2);
}

static void test_signal_rules(void **state)
{
	struct pto2_attach at = { 0 };
	struct pto2_signal s = { .count = 1 };
	int fd = kt_open();

	(void)state;
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_SIGNAL, &s), -EPERM);
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_ATTACH, &at), 0);
	s.count = 0;
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_SIGNAL, &s), -EINVAL);
	s.count = 65537;
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_SIGNAL, &s), -EINVAL);
	s.count = 1;
	s.flags = 4;
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_SIGNAL, &s), -EINVAL);
	s.flags = 0;
	s.count = 65536;
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_SIGNAL, &s), 0);
	close(fd);
}

static void test_wait_rules(void **state)
{
	struct pto2_wait w = { 0 };
	int fd = kt_open();
	uint32_t cur = (uint32_t)kt_sysfs("completions");
	uint64_t deadline;

	(void)state;
	w.flags = 1;
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_WAIT, &w), -EINVAL);
	w.flags = 0;
	w.pad = 1;
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_WAIT, &w), -EINVAL);
	w.pad = 0;
	/* already moved: returns at once */
	w.seq = cur + 5;
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_WAIT, &w), 0);
	assert_int_equal(w.cur_seq, cur);
	/* nothing moves: deadline 0 and a past deadline do not sleep */
	w.seq = cur;
	w.deadline_ns = 0;
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_WAIT, &w), -ETIMEDOUT);
	w.deadline_ns = 1;
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_WAIT, &w), -ETIMEDOUT);
	/* a future deadline is never cut short */
	deadline = now_ns() + 20 * 1000 * 1000;
	w.deadline_ns = deadline;
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_WAIT, &w), -ETIMEDOUT);
	assert_true(now_ns() >= deadline);
	close(fd);
}

static volatile unsigned int alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* WAIT under a 1 ms SIGALRM storm, with and without SA_RESTART. */
static void wait_under_signals(int sa_flags)
{
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = sa_flags }, old;
	struct itimerval it = { { 0, 1000 }, { 0, 1000 } }, off = { { 0, 0 }, { 0, 0 } };
	struct pto2_wait w = { 0 };
	int fd = kt_open(), ret, eintr = 0;
	uint64_t deadline;

	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	alarms = 0;
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	w.seq = (uint32_t)kt_sysfs("completions");
	deadline = now_ns() + 50 * 1000 * 1000;
	w.deadline_ns = deadline;
	/* the same arguments every time: the deadline is absolute */
	while ((ret = kt_ioctl(fd, PTO2_IOC_WAIT, &w)) == -EINTR)
		eintr++;
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	assert_int_equal(ret, -ETIMEDOUT);
	assert_true(now_ns() >= deadline);
	assert_true(alarms > 0);
	if (sa_flags & SA_RESTART)
		assert_int_equal(eintr, 0);
	else
		assert_true(eintr > 0);
	close(fd);
}

static void test_wait_restarts_under_signals(void **state)
{
	(void)state;
	wait_under_signals(SA_RESTART);
	wait_under_signals(0);
}

struct signaller {
	int fd;
	uint32_t count;
};

static void *signal_later(void *arg)
{
	struct signaller *sg = arg;
	struct pto2_signal s = { .count = sg->count };
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	if (kt_ioctl(sg->fd, PTO2_IOC_SIGNAL, &s))
		return (void *)1;
	return NULL;
}

static void test_wait_and_poll_see_signal(void **state)
{
	struct pto2_attach at = { 0 };
	struct signaller sg;
	struct pto2_wait w = { 0 };
	int emu = kt_open(), fd = kt_open();
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	pthread_t t;
	void *res;
	uint32_t cur;

	(void)state;
	assert_int_equal(kt_ioctl(emu, PTO2_IOC_ATTACH, &at), 0);
	cur = (uint32_t)kt_sysfs("completions");
	assert_int_equal(poll(&pfd, 1, 0), 0);

	/* WAIT sleeps until the emulator signals */
	sg.fd = emu;
	sg.count = 3;
	assert_int_equal(pthread_create(&t, NULL, signal_later, &sg), 0);
	w.seq = cur;
	w.deadline_ns = now_ns() + 30ull * 1000 * 1000 * 1000;
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_WAIT, &w), 0);
	assert_int_equal(w.cur_seq, cur + 3);
	pthread_join(t, &res);
	assert_null(res);
	/* WAIT consumed it for poll() */
	assert_int_equal(poll(&pfd, 1, 0), 0);

	/* poll() sleeps until the emulator signals */
	sg.count = 1;
	assert_int_equal(pthread_create(&t, NULL, signal_later, &sg), 0);
	assert_int_equal(poll(&pfd, 1, 30000), 1);
	assert_true(pfd.revents & POLLIN);
	pthread_join(t, &res);
	assert_null(res);
	close(fd);
	close(emu);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_info_reports_parameters),
		cmocka_unit_test(test_info_copies_out_nothing_stale),
		cmocka_unit_test(test_info_flags_must_be_zero),
		cmocka_unit_test(test_unknown_ioctl_is_enotty),
		cmocka_unit_test(test_short_struct_is_zero_extended),
		cmocka_unit_test(test_long_struct_needs_zero_tail),
		cmocka_unit_test(test_bad_pointer_is_efault),
		cmocka_unit_test(test_mem_alloc_rejects_bad_arguments),
		cmocka_unit_test(test_mem_alloc_outputs),
		cmocka_unit_test(test_mem_free_bad_handle_and_double_free),
		cmocka_unit_test(test_mem_alloc_copy_out_failure_is_undone),
		cmocka_unit_test(test_mem_alloc_handle_limit),
		cmocka_unit_test(test_handles_are_per_file),
		cmocka_unit_test(test_freed_memory_is_scrubbed),
		cmocka_unit_test(test_mmap_mem_object),
		cmocka_unit_test(test_mmap_rejects_bad_requests),
		cmocka_unit_test(test_mapping_cannot_change_shape),
		cmocka_unit_test(test_memory_lives_until_last_mapping),
		cmocka_unit_test(test_register_window_identity),
		cmocka_unit_test(test_attach),
		cmocka_unit_test(test_signal_rules),
		cmocka_unit_test(test_wait_rules),
		cmocka_unit_test(test_wait_and_poll_see_signal),
		cmocka_unit_test(test_wait_restarts_under_signals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
