// SPDX-License-Identifier: MIT
/*
 * test_kmod_mem.c - what a file's device memory may and may not carry
 * (qemu guest): allocations read as zeros whatever the emulator wrote into
 * free memory, MADV_DOFORK cannot make a child inherit a mapping, the
 * largest allocation is what the uapi says, and a MEM_ALLOC whose answer
 * cannot reach the caller allocates nothing.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "kmod_test.h"

#define PAGE 4096u

static void test_allocation_reads_zero_after_emulator_wrote_free_memory(void **state)
{
	struct pto2_attach at = { 0 };
	struct pto2_mem_alloc a, b;
	int emu = kt_open(), fd = kt_open(), err;
	volatile uint8_t *ap, *p;
	size_t i;

	(void)state;
	assert_int_equal(kt_ioctl(emu, PTO2_IOC_ATTACH, &at), 0);
	ap = kt_mmap(emu, at.aperture_offset, at.aperture_size, PROT_READ | PROT_WRITE,
		     MAP_SHARED, &err);
	assert_non_null(ap);
	kt_alloc(fd, 4 * PAGE, &a);
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_MEM_FREE, &(struct pto2_mem_free){ .handle = a.handle }), 0);
	/* the emulator scribbles over the now free range */
	memset((void *)(ap + a.dev_addr), 0xa5, 4 * PAGE);
	p = kt_alloc_map(fd, 4 * PAGE, &b);
	/* first fit hands the same range out again: the case under test */
	assert_int_equal(b.dev_addr, a.dev_addr);
	for (i = 0; i < 4 * PAGE; i++)
		if (p[i])
			fail_msg("byte %zu of a new allocation is %#x, not 0", i, p[i]);
	munmap((void *)p, 4 * PAGE);
	munmap((void *)ap, at.aperture_size);
	close(fd);
	close(emu);
}

static void test_madv_dofork_is_refused(void **state)
{
	struct pto2_mem_alloc a;
	volatile uint32_t *p;
	int fd = kt_open(), st;
	pid_t pid;

	(void)state;
	p = kt_alloc_map(fd, PAGE, &a);
	p[0] = 0x5a5a5a5a;
	assert_int_equal(madvise((void *)p, PAGE, MADV_DOFORK), -1);
	assert_int_equal(errno, EINVAL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* still VM_DONTCOPY: no mapping there in the child */
		signal(SIGSEGV, SIG_DFL);
		_exit(p[0] == 0x5a5a5a5a ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSEGV);
	munmap((void *)p, PAGE);
	close(fd);
}

static void test_largest_allocation_is_mem_size_minus_a_page(void **state)
{
	struct pto2_info info = { 0 };
	struct pto2_mem_alloc a = { 0 };
	int fd = kt_open();

	(void)state;
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_INFO, &info), 0);
	/* the uapi's range ends where the pool does: mem_size is a bad argument */
	a.size = info.mem_size;
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_MEM_ALLOC, &a), -EINVAL);
	/* nothing else holds memory: all of it but the reserved first page is free */
	assert_int_equal(info.mem_free, info.mem_size - PAGE);
	memset(&a, 0, sizeof(a));
	a.size = info.mem_size - PAGE;
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_MEM_ALLOC, &a), 0);
	assert_int_equal(a.alloc_size, info.mem_size - PAGE);
	assert_int_equal(a.dev_addr, PAGE);
	assert_int_equal(kt_sysfs("mem_free"), 0);
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_MEM_FREE, &(struct pto2_mem_free){ .handle = a.handle }), 0);
	assert_int_equal(kt_sysfs("mem_free"), info.mem_size - PAGE);
	close(fd);
}

static void test_truncated_mem_alloc_allocates_nothing(void **state)
{
	/* sizes that cannot carry the answer back: no handle, or no alloc_size */
	static const unsigned int sizes[] = { 8, 16, 20, 24, 40 };
	struct pto2_mem_alloc a;
	long long allocs = kt_sysfs("allocs");
	int fd = kt_open();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned int cmd = _IOC(_IOC_READ | _IOC_WRITE, PTO2_IOC_MAGIC,
					_IOC_NR(PTO2_IOC_MEM_ALLOC), sizes[i]);

		memset(&a, 0, sizeof(a));
		a.size = PAGE;
		assert_int_equal(kt_ioctl(fd, cmd, &a), -EINVAL);
		assert_int_equal(kt_sysfs("objects"), 0);
	}
	assert_int_equal(kt_sysfs("allocs"), allocs);
	/* the full struct still works */
	kt_alloc(fd, PAGE, &a);
	assert_int_equal(kt_sysfs("objects"), 1);
	close(fd);
	assert_int_equal(kt_sysfs("objects"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allocation_reads_zero_after_emulator_wrote_free_memory),
		cmocka_unit_test(test_madv_dofork_is_refused),
		cmocka_unit_test(test_largest_allocation_is_mem_size_minus_a_page),
		cmocka_unit_test(test_truncated_mem_alloc_allocates_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
