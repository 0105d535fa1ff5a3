// SPDX-License-Identifier: MIT
/*
 * test_kmod_life.c - lifetime and privilege of /dev/pto2: mappings outlive
 * close(), rmmod is refused while anything pins the module, ATTACH judges
 * the opener's CAP_SYS_ADMIN, pto2-load reports errors (qemu guest, root).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "kmod_test.h"

#define PAGE 4096u

static void test_mapping_survives_close(void **state)
{
	struct pto2_mem_alloc a;
	int fd = kt_open();
	uint32_t *p;

	(void)state;
	p = kt_alloc_map(fd, 2 * PAGE, &a);
	p[0] = 1;
	assert_int_equal(close(fd), 0);
	/* the VMA still pins the file, its object and the module */
	p[1] = 2;
	p[2 * PAGE / 4 - 1] = 3;
	assert_int_equal(p[0] + p[1] + p[2 * PAGE / 4 - 1], 6);
	assert_int_equal(kt_sysfs("objects"), 1);
	assert_int_equal(kt_sysfs("opens"), 1);
	assert_int_equal(munmap(p, 2 * PAGE), 0);
	assert_int_equal(kt_sysfs("objects"), 0);
	assert_int_equal(kt_sysfs("opens"), 0);
	assert_int_equal(kt_sysfs("mappings"), 0);
}

static void test_rmmod_busy_with_open_fd(void **state)
{
	int fd = kt_open();

	(void)state;
	/* pto2-load: 1, the operation failed (tools/cli/cli.h) */
	assert_int_equal(kt_run_says("pto2-load remove pto2", "module is busy"), 1);
	/* the raw syscall: the kernel's word for "has references" */
	assert_int_equal(syscall(SYS_delete_module, "pto2", O_NONBLOCK), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	close(fd);
	assert_int_equal(kt_module_remove(), 0);
	assert_int_equal(access(PTO2_DEVICE_PATH, F_OK), -1);
	assert_int_equal(kt_module_insert(), 0);
	close(kt_open());
}

static void test_rmmod_busy_with_mapping(void **state)
{
	int fd = kt_open(), err;
	uint64_t off = PTO2_MMAP_OFFSET(PTO2_MMAP_REGS, 0);
	void *r = kt_mmap(fd, off, PAGE, PROT_READ, MAP_SHARED, &err);

	(void)state;
	assert_non_null(r);
	close(fd);
	assert_int_equal(kt_run_says("pto2-load remove pto2", "module is busy"), 1);
	munmap(r, PAGE);
	assert_int_equal(kt_module_remove(), 0);
	assert_int_equal(kt_module_insert(), 0);
}

static void test_pto2_load_reports_errors(void **state)
{
	(void)state;
	/* exit 1: the operation failed; 2: bad usage, module file or parameters */
	assert_int_equal(kt_run_says("pto2-load insert $PTO2_KO", "module already loaded"), 1);
	assert_int_equal(kt_run_says("pto2-load insert /bin/busybox", "invalid module format"), 2);
	assert_int_equal(kt_run_says("pto2-load insert /nonexistent.ko", "/nonexistent.ko"), 2);
	assert_int_equal(kt_run_says("pto2-load remove pto2_not_loaded", "pto2_not_loaded"), 1);
	assert_int_equal(kt_run("pto2-load status pto2"), 0);
	assert_int_equal(kt_run_says("pto2-load bogus", "unknown command 'bogus'"), 2);
	/* parameters the module refuses */
	assert_int_equal(kt_module_remove(), 0);
	assert_int_equal(kt_run_says("pto2-load insert $PTO2_KO clusters=0",
				     "invalid module parameters"), 2);
	assert_int_equal(kt_run_says("pto2-load insert $PTO2_KO cpus=banana",
				     "invalid module parameters"), 2);
	assert_int_equal(kt_module_insert(), 0);
}

/* In a child: optionally open before becoming user A, then ATTACH; exit with -ret. */
static int attach_in_child(int open_first)
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct pto2_attach at = { 0 };
		int fd = -1;

		if (open_first)
			fd = open(PTO2_DEVICE_PATH, O_RDWR);
		if (kt_become(KT_UID_A, KT_GID_PTO2, 1))
			_exit(100);
		if (!open_first)
			fd = open(PTO2_DEVICE_PATH, O_RDWR);
		if (fd < 0)
			_exit(101);
		_exit(-kt_ioctl(fd, PTO2_IOC_ATTACH, &at));
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void test_attach_needs_opener_privilege(void **state)
{
	int fd;

	(void)state;
	kt_node_group(PTO2_DEVICE_PATH);
	/* root's file: an ATTACH without CAP_SYS_ADMIN must be alone with its user */
	fd = kt_open();
	/* opened without CAP_SYS_ADMIN: refused */
	assert_int_equal(attach_in_child(0), EBUSY);
	/* opened with it, dropped later: the opener's credentials count */
	assert_int_equal(attach_in_child(1), 0);
	close(fd);
	assert_int_equal(kt_sysfs("attached"), 0);
}

static void test_fork_does_not_copy_mappings(void **state)
{
	struct pto2_mem_alloc a;
	int fd = kt_open(), st;
	volatile uint32_t *p;
	pid_t pid;

	(void)state;
	p = kt_alloc_map(fd, PAGE, &a);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* VM_DONTCOPY: the child has no mapping there (and no cmocka handler) */
		signal(SIGSEGV, SIG_DFL);
		p[0] = 1;
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSEGV);
	assert_int_equal(p[0], 0);
	munmap((void *)p, PAGE);
	close(fd);
	assert_int_equal(kt_sysfs("mappings"), 0);
}

static void set_debug(const char *v)
{
	FILE *f = fopen("/sys/module/pto2/parameters/debug", "w");

	assert_non_null(f);
	assert_true(fputs(v, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static void test_debug_logs_refusals_rate_limited(void **state)
{
	struct pto2_mem_alloc a = { .size = 0 };
	int fd = kt_open(), i;

	(void)state;
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_MEM_ALLOC, &a), -EINVAL);
	assert_int_not_equal(kt_run("dmesg | grep -q 'MEM_ALLOC: size 0 must be'"), 0);
	set_debug("1");
	/* a burst: the first ones are logged, the rest suppressed */
	for (i = 0; i < 200; i++)
		assert_int_equal(kt_ioctl(fd, PTO2_IOC_MEM_ALLOC, &a), -EINVAL);
	set_debug("0");
	assert_int_equal(kt_run("dmesg | grep -q "
				"'test_kmod_life\\[[0-9]*\\]: MEM_ALLOC: size 0 must be 1\\.\\.'"), 0);
	assert_int_equal(kt_run("[ $(dmesg | grep -c 'MEM_ALLOC: size 0 must be') -lt 200 ]"), 0);
	close(fd);
}

static void test_modinfo_and_debugfs_state(void **state)
{
	struct pto2_attach at = { 0 };
	struct pto2_mem_alloc a, b;
	int fd = kt_open(), emu = kt_open();
	char cmd[512];

	(void)state;
	/* PTO2_VERSION: the file VERSION, like the module's (mk/kmod.mk) */
	snprintf(cmd, sizeof(cmd), "modinfo -F version %s | grep -qx '%s' && "
		 "modinfo -F author %s | grep -q 'pto2' && grep -qx '%s' /sys/module/pto2/version",
		 getenv("PTO2_KO"), PTO2_VERSION, getenv("PTO2_KO"), PTO2_VERSION);
	assert_int_equal(kt_run(cmd), 0);

	kt_alloc(fd, 3 * 4096, &a);
	kt_alloc(fd, 4096, &b);
	assert_int_equal(kt_ioctl(emu, PTO2_IOC_ATTACH, &at), 0);
	assert_int_equal(kt_run("cat /sys/kernel/debug/pto2/state"), 0);
	assert_int_equal(kt_run("grep -q '^files: 2$' /sys/kernel/debug/pto2/state"), 0);
	snprintf(cmd, sizeof(cmd), "grep -q '^attached: pid %d (test_kmod_life)$' "
		 "/sys/kernel/debug/pto2/state", (int)getpid());
	assert_int_equal(kt_run(cmd), 0);
	snprintf(cmd, sizeof(cmd), "grep -q '^file: pid %d (test_kmod_life), 2 objects, 16384 bytes$' "
		 "/sys/kernel/debug/pto2/state", (int)getpid());
	assert_int_equal(kt_run(cmd), 0);
	snprintf(cmd, sizeof(cmd), "grep -q '^  object %u: dev_addr %#llx size 12288$' "
		 "/sys/kernel/debug/pto2/state", a.handle, (unsigned long long)a.dev_addr);
	assert_int_equal(kt_run(cmd), 0);
	assert_int_equal(kt_run("grep -q ', attached$' /sys/kernel/debug/pto2/state"), 0);
	close(emu);
	close(fd);
	assert_int_equal(kt_run("grep -q '^files: 0$' /sys/kernel/debug/pto2/state && "
				"grep -q '^attached: none$' /sys/kernel/debug/pto2/state"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mapping_survives_close),
		cmocka_unit_test(test_rmmod_busy_with_open_fd),
		cmocka_unit_test(test_rmmod_busy_with_mapping),
		cmocka_unit_test(test_pto2_load_reports_errors),
		cmocka_unit_test(test_attach_needs_opener_privilege),
		cmocka_unit_test(test_fork_does_not_copy_mappings),
		cmocka_unit_test(test_debug_logs_refusals_rate_limited),
		cmocka_unit_test(test_modinfo_and_debugfs_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
