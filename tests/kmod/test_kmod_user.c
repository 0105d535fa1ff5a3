// SPDX-License-Identifier: MIT
/*
 * test_kmod_user.c - the soft device without root (docs/kmod.md,
 * "Permissions"): a member of the device group runs an example through
 * libpto, a non-member cannot open the node, a second user is refused while
 * the first holds the device, and memory one user's emulator wrote reads as
 * zeros for the next user's.
 *
 * The guest has no udev: the node gets the rule's group and mode by hand
 * (kt_node_group()), and the users are numeric ids that children switch
 * to with setgroups/setresgid/setresuid (kt_become()).  Children report
 * through their exit status only (no cmocka in a child).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "pto/device.h"
#include "kmod_test.h"

#define MAGIC 0x5eb0a7c0ffee1234ull

static int wait_child(pid_t pid)
{
	int st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st))
		fail_msg("child %d died of signal %d", (int)pid, WTERMSIG(st));
	return WEXITSTATUS(st);
}

/* In a child as @uid (a pto2 member): open and exit with errno (0 when it opened). */
static int open_as(uid_t uid, gid_t gid, int member)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		if (kt_become(uid, gid, member))
			_exit(100);
		_exit(open(PTO2_DEVICE_PATH, O_RDWR) < 0 ? errno : 0);
	}
	return wait_child(pid);
}

/* In a child as member @uid: open + ATTACH; exit with -ret (0 when attached). */
static int attach_as(uid_t uid)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct pto2_attach at = { 0 };
		int fd;

		if (kt_become(uid, KT_GID_PTO2, 1))
			_exit(100);
		fd = open(PTO2_DEVICE_PATH, O_RDWR);
		if (fd < 0)
			_exit(101);
		_exit(-kt_ioctl(fd, PTO2_IOC_ATTACH, &at));
	}
	return wait_child(pid);
}

static int group_node(void **state)
{
	(void)state;
	kt_node_group(PTO2_DEVICE_PATH);
	return 0;
}

static void test_member_runs_an_example(void **state)
{
	pid_t pid = fork();

	(void)state;
	assert_true(pid >= 0);
	if (pid == 0) {
		int log = open("/tmp/user-ex.log", O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (log < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
			_exit(100);
		if (kt_become(KT_UID_A, KT_GID_PTO2, 1))
			_exit(101);
		execlp("pto-run", "pto-run", "vector_example", "--device", PTO2_DEVICE_PATH,
		       (char *)NULL);
		_exit(102);
	}
	if (wait_child(pid) != 0) {
		kt_run("cat /tmp/user-ex.log >&2");
		fail_msg("pto-run as uid %d (group pto2) failed", KT_UID_A);
	}
	assert_int_equal(kt_run("grep -q '^PASS vector_example' /tmp/user-ex.log"), 0);
	assert_int_equal(kt_sysfs("attached"), 0);
	assert_int_equal(kt_sysfs("opens"), 0);
}

static void test_non_member_gets_eacces(void **state)
{
	(void)state;
	assert_int_equal(open_as(KT_UID_STRANGER, KT_UID_STRANGER, 0), EACCES);
	/* the same user in the group opens */
	assert_int_equal(open_as(KT_UID_STRANGER, KT_UID_STRANGER, 1), 0);
}

/* A child as @uid that attaches, says so through @ready and holds until @go closes. */
static pid_t hold_as(uid_t uid, int *go_w)
{
	int ready[2], go[2];
	char c = 1;
	pid_t pid;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct pto2_attach at = { 0 };
		int fd;

		close(ready[0]);
		close(go[1]);
		if (kt_become(uid, KT_GID_PTO2, 1))
			_exit(100);
		fd = open(PTO2_DEVICE_PATH, O_RDWR);
		c = fd < 0 ? 101 : (char)-kt_ioctl(fd, PTO2_IOC_ATTACH, &at);
		if (write(ready[1], &c, 1) != 1)
			_exit(102);
		while (read(go[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	assert_int_equal(c, 0);
	*go_w = go[1];
	return pid;
}

static void test_second_user_refused_while_first_holds(void **state)
{
	struct pto2_attach at = { 0 };
	int go, fd;
	pid_t a;

	(void)state;
	a = hold_as(KT_UID_A, &go);
	assert_int_equal(kt_sysfs("attached"), 1);
	/* another user, even in the group, even root: the aperture would show its objects */
	assert_int_equal(open_as(KT_UID_B, KT_GID_PTO2, 1), EBUSY);
	assert_int_equal(open(PTO2_DEVICE_PATH, O_RDWR), -1);
	assert_int_equal(errno, EBUSY);
	/* through libpto: the same errno and a message that says why */
	{
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0) {
			struct pto_device *dev;
			int rc;

			if (kt_become(KT_UID_B, KT_GID_PTO2, 1))
				_exit(100);
			rc = pto_device_open(PTO2_DEVICE_PATH, &dev);
			if (!strstr(pto_last_error(), "in use by another user"))
				_exit(101);
			_exit(-rc);
		}
		assert_int_equal(wait_child(pid), EBUSY);
	}
	/* the same user opens, but the device has its emulator */
	assert_int_equal(open_as(KT_UID_A, KT_GID_PTO2, 1), 0);
	assert_int_equal(attach_as(KT_UID_A), EBUSY);
	close(go);
	assert_int_equal(wait_child(a), 0);
	assert_int_equal(kt_sysfs("attached"), 0);

	/* the other way round: another user's open file keeps an unprivileged ATTACH out */
	fd = kt_open();
	assert_int_equal(attach_as(KT_UID_A), EBUSY);
	/* ... but not a privileged one, and then others may open as before */
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_ATTACH, &at), 0);
	assert_int_equal(open_as(KT_UID_B, KT_GID_PTO2, 1), 0);
	assert_int_equal(attach_as(KT_UID_B), EBUSY);
	close(fd);
	assert_int_equal(attach_as(KT_UID_A), 0);
	assert_int_equal(kt_sysfs("opens"), 0);
}

/*
 * In a child as member @uid: attach, map the aperture; @write: put MAGIC
 * at two places of free memory; else exit 0 when both read as zeros, 1
 * when both still hold MAGIC.  @hold_object: first allocate an object on a
 * second file, expect ATTACH to say EBUSY (exit 50 otherwise), close it.
 */
static int aperture_as(uid_t uid, int write, int hold_object)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct pto2_attach at = { 0 };
		volatile uint64_t *p;
		uint64_t a, b;
		int fd, err;

		if (kt_become(uid, KT_GID_PTO2, 1))
			_exit(100);
		fd = open(PTO2_DEVICE_PATH, O_RDWR);
		if (fd < 0)
			_exit(101);
		if (hold_object) {
			struct pto2_mem_alloc m = { .size = 4096 };
			int fd2 = open(PTO2_DEVICE_PATH, O_RDWR);

			if (fd2 < 0 || kt_ioctl(fd2, PTO2_IOC_MEM_ALLOC, &m))
				_exit(102);
			if (kt_ioctl(fd, PTO2_IOC_ATTACH, &at) != -EBUSY)
				_exit(50);
			close(fd2);
		}
		if (kt_ioctl(fd, PTO2_IOC_ATTACH, &at))
			_exit(103);
		p = kt_mmap(fd, at.aperture_offset, at.aperture_size, PROT_READ | PROT_WRITE,
			    MAP_SHARED, &err);
		if (!p)
			_exit(104);
		a = at.aperture_size / 2 / 8;
		b = at.aperture_size / 8 - 1;
		if (write) {
			p[a] = MAGIC;
			p[b] = MAGIC;
			_exit(0);
		}
		if (!p[a] && !p[b])
			_exit(0);
		_exit(p[a] == MAGIC && p[b] == MAGIC ? 1 : 2);
	}
	return wait_child(pid);
}

static void test_next_user_reads_zeros(void **state)
{
	(void)state;
	assert_int_equal(aperture_as(KT_UID_A, 1, 0), 0);
	/* the same user again: nothing of anyone else to hide, no zeroing */
	assert_int_equal(aperture_as(KT_UID_A, 0, 0), 1);
	/* another user: zeroed at ATTACH */
	assert_int_equal(aperture_as(KT_UID_B, 0, 0), 0);
	/* zeroing would wipe a live object: EBUSY until it is gone, then zeros */
	assert_int_equal(aperture_as(KT_UID_A, 1, 0), 0);
	assert_int_equal(aperture_as(KT_UID_B, 0, 1), 0);
	assert_int_equal(kt_sysfs("objects"), 0);
	assert_int_equal(kt_sysfs("opens"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_member_runs_an_example, group_node),
		cmocka_unit_test_setup(test_non_member_gets_eacces, group_node),
		cmocka_unit_test_setup(test_second_user_refused_while_first_holds, group_node),
		cmocka_unit_test_setup(test_next_user_reads_zeros, group_node),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
