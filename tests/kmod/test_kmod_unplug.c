// SPDX-License-Identifier: MIT
/*
 * test_kmod_unplug.c - the device going away under open files (qemu
 * guest): the soft device is unplugged through debugfs the way a PCI
 * device is hot-removed, then plugged back.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "kmod_test.h"

#define PAGE 4096u
#define KNOB "/sys/kernel/debug/pto2/soft_unplug"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Write @v to the knob; 0 or -errno. */
static int knob(const char *v)
{
	int fd = open(KNOB, O_WRONLY), ret = 0;

	if (fd < 0)
		fail_msg("%s: %s (debugfs mounted?)", KNOB, strerror(errno));
	if (write(fd, v, strlen(v)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

struct sleeper {
	int fd;
	uint32_t seq;
	int ret;
};

static void *sleep_in_wait(void *arg)
{
	struct sleeper *s = arg;
	struct pto2_wait w = { 0 };

	w.seq = s->seq;
	w.deadline_ns = now_ns() + 60ull * 1000 * 1000 * 1000;
	s->ret = kt_ioctl(s->fd, PTO2_IOC_WAIT, &w);
	return NULL;
}

static sigjmp_buf touch_jb;

static void on_touch_signal(int sig)
{
	siglongjmp(touch_jb, sig);
}

/* Read @p; return the signal the read raised (0 if none). */
static int touch(volatile uint32_t *p)
{
	struct sigaction sa = { .sa_handler = on_touch_signal }, old_bus, old_segv;
	volatile int sig;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old_bus);
	sigaction(SIGSEGV, &sa, &old_segv);
	sig = sigsetjmp(touch_jb, 1);
	if (!sig)
		(void)p[0];
	sigaction(SIGBUS, &old_bus, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	return sig;
}

static void test_unplug_under_open_files(void **state)
{
	struct pto2_mem_alloc a;
	struct pto2_info info = { 0 };
	struct sleeper sl;
	struct pollfd pfd;
	pthread_t t;
	int fd = kt_open(), fd2, err;
	volatile uint32_t *obj;
	void *p;

	(void)state;
	obj = kt_alloc_map(fd, PAGE, &a);
	obj[0] = 5;
	assert_int_equal(touch(obj), 0);
	sl.fd = fd;
	/* read here: on a slow kernel the thread may start after the unplug removed sysfs */
	sl.seq = (uint32_t)kt_sysfs("completions");
	sl.ret = 1;
	assert_int_equal(pthread_create(&t, NULL, sleep_in_wait, &sl), 0);
	/* let it fall asleep (not required for correctness, only for coverage) */
	usleep(50 * 1000);

	assert_int_equal(knob("1"), 0);
	pthread_join(t, NULL);
	assert_int_equal(sl.ret, -ENODEV);
	assert_int_equal(access(PTO2_DEVICE_PATH, F_OK), -1);
	assert_int_equal(knob("1"), -ENODEV);

	/* every call on the old file fails, poll says hang-up */
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_INFO, &info), -ENODEV);
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_MEM_ALLOC, &a), -ENODEV);
	assert_null(kt_mmap(fd, PTO2_MMAP_OFFSET(PTO2_MMAP_REGS, 0), PAGE, PROT_READ, MAP_SHARED,
			    &err));
	assert_int_equal(err, ENODEV);
	pfd.fd = fd;
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 0), 1);
	assert_int_equal(pfd.revents & (POLLERR | POLLHUP), POLLERR | POLLHUP);

	/* the mapping was zapped: touching it is SIGBUS, never stale memory */
	assert_int_equal(touch(obj), SIGBUS);

	/* a new device can be plugged in while the old one lingers */
	assert_int_equal(knob("0"), 0);
	assert_int_equal(knob("0"), -EBUSY);
	fd2 = kt_open();
	assert_int_equal(kt_ioctl(fd2, PTO2_IOC_INFO, &info), 0);
	assert_int_equal(info.mem_free, info.mem_size - PAGE);
	assert_int_equal(kt_sysfs("opens"), 1);
	assert_int_equal(kt_ioctl(fd, PTO2_IOC_INFO, &info), -ENODEV);
	p = kt_mmap(fd2, PTO2_MMAP_OFFSET(PTO2_MMAP_REGS, 0), PAGE, PROT_READ, MAP_SHARED, &err);
	assert_non_null(p);
	munmap(p, PAGE);
	close(fd2);

	munmap((void *)obj, PAGE);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unplug_under_open_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
