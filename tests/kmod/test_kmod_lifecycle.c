// SPDX-License-Identifier: MIT
/*
 * test_kmod_lifecycle.c - the device's life cycle against its users (qemu
 * guest): opens racing plug and unplug, a first opener whose device node
 * sits on a tmpfs that is then unmounted, an old file used after unplug
 * with debug logging on, and the memory an unplugged device keeps.  Each
 * of the first three crashed the kernel before its fix (oops=panic ends
 * the guest; guest-init.sh fails a test that leaves a kernel report or a
 * new taint).  Runs the module with a small soft device and puts it back
 * with $PTO2_PARAMS at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "kmod_test.h"

#define PAGE 4096u
#define SMALL_MB 16

static int small_device(void **state)
{
	char cmd[512];

	(void)state;
	if (kt_module_remove())
		return -1;
	snprintf(cmd, sizeof(cmd), "pto2-load insert %s clusters=1 mem_mb=%d",
		 getenv("PTO2_KO"), SMALL_MB);
	return kt_run(cmd) ? -1 : 0;
}

static int usual_device(void **state)
{
	(void)state;
	kt_knob("0");	/* a test that failed half-way may have left it unplugged */
	if (kt_module_remove())
		return -1;
	return kt_module_insert() ? -1 : 0;
}

/* --- crash 1: an open + mmap as the node appears -------------------------- */

#define OPENERS 4
#define PLUG_CYCLES 10

static atomic_bool stop;
static atomic_long maps_done;

static void *open_map_loop(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		struct pto2_info info = { 0 };
		void *p;
		int fd = open(PTO2_DEVICE_PATH, O_RDWR | O_CLOEXEC);

		if (fd < 0)
			continue;	/* between unplug and plug there is no node */
		p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, (off_t)PTO2_MMAP_OFFSET(PTO2_MMAP_REGS, 0));
		/* the crash was in ->mmap; touching the page could meet the zap (SIGBUS) */
		if (p != MAP_FAILED) {
			munmap((void *)p, PAGE);
			atomic_fetch_add(&maps_done, 1);
		}
		ioctl(fd, PTO2_IOC_INFO, &info);
		close(fd);
	}
	return NULL;
}

/*
 * Every thread on one CPU: an opener that blocked in misc_open() on the
 * misc lock while the node was being registered wakes as the registration
 * drops that lock, and (preempt=full) runs before the registering thread
 * takes its next step - the window in which the device was half-built.
 */
static void pin_to_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	assert_int_equal(sched_setaffinity(0, sizeof(set), &set), 0);
}

static void test_open_mmap_racing_plug(void **state)
{
	cpu_set_t all;
	pthread_t t[OPENERS];
	int i;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
	pin_to_cpu0();	/* inherited by the openers */
	atomic_store(&stop, false);
	for (i = 0; i < OPENERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, open_map_loop, NULL), 0);
	for (i = 0; i < PLUG_CYCLES; i++) {
		assert_int_equal(kt_knob("1"), 0);
		assert_int_equal(kt_knob("0"), 0);
		if (i % 5 == 4 || i == 0)
			print_message("%d plug cycles, %ld maps\n", i + 1, atomic_load(&maps_done));
	}
	atomic_store(&stop, true);
	for (i = 0; i < OPENERS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(sched_setaffinity(0, sizeof(all), &all), 0);
	/* the race was run, not just the plugging */
	assert_true(atomic_load(&maps_done) > 0);
	assert_int_equal(kt_sysfs("opens"), 0);
	assert_int_equal(kt_sysfs("mappings"), 0);
}

/* --- crash 2: the first opener's node on a tmpfs that goes away ----------- */

static void test_first_opener_on_unmounted_tmpfs(void **state)
{
	const char *dir = "/tmp/ctr-dev", *node = "/tmp/ctr-dev/pto2";
	unsigned int major, minor;
	struct pto2_mem_alloc a;
	char devno[32] = "";
	void *p;
	FILE *f;
	int fd;

	(void)state;
	/* a fresh device, so the container's node is its first opener */
	assert_int_equal(kt_knob("1"), 0);
	assert_int_equal(kt_knob("0"), 0);
	f = fopen("/sys/class/misc/pto2/dev", "r");
	assert_non_null(f);
	assert_non_null(fgets(devno, sizeof(devno), f));
	fclose(f);
	assert_int_equal(sscanf(devno, "%u:%u", &major, &minor), 2);

	mkdir(dir, 0755);
	assert_int_equal(mount("x", dir, "tmpfs", 0, NULL), 0);
	assert_int_equal(mknod(node, S_IFCHR | 0600, makedev(major, minor)), 0);
	fd = open(node, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	p = kt_alloc_map(fd, PAGE, &a);
	munmap(p, PAGE);
	close(fd);
	assert_int_equal(umount(dir), 0);

	/* the device still works, through the usual node, and unplugs cleanly */
	fd = kt_open();
	p = kt_alloc_map(fd, PAGE, &a);
	memset(p, 0x5a, PAGE);
	munmap(p, PAGE);
	close(fd);
	assert_int_equal(kt_knob("1"), 0);
	assert_int_equal(kt_knob("0"), 0);
}

/* --- crash 3: logging from an old file after unplug ----------------------- */

static void test_old_file_logs_after_unplug(void **state)
{
	int fd, err;
	void *p;

	(void)state;
	fd = kt_open();
	kt_set_debug("1");
	assert_int_equal(kt_knob("1"), 0);
	/* refused (and logged) before the unplug gate: MAP_PRIVATE, PROT_EXEC */
	p = kt_mmap(fd, PTO2_MMAP_OFFSET(PTO2_MMAP_REGS, 0), PAGE, PROT_READ, MAP_PRIVATE, &err);
	assert_null(p);
	assert_int_equal(err, EINVAL);
	p = kt_mmap(fd, PTO2_MMAP_OFFSET(PTO2_MMAP_REGS, 0), PAGE, PROT_READ | PROT_EXEC,
		    MAP_SHARED, &err);
	assert_null(p);
	assert_int_equal(err, EPERM);
	p = kt_mmap(fd, PTO2_MMAP_OFFSET(PTO2_MMAP_REGS, 0), PAGE, PROT_READ, MAP_SHARED, &err);
	assert_null(p);
	assert_int_equal(err, ENODEV);
	kt_set_debug("0");
	assert_int_equal(kt_run("dmesg | grep -q 'test_kmod_lifec.*mmap offset .* refused: -22'"), 0);
	close(fd);
	assert_int_equal(kt_knob("0"), 0);
}

/* --- point 4: an unplugged device pins no device memory ------------------- */

#define PIN_CYCLES 8

static long long mem_free_kib(void)
{
	char line[128];
	long long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %lld kB", &v) == 1)
			break;
	fclose(f);
	assert_true(v >= 0);
	return v;
}

static void test_unplugged_device_frees_its_memory(void **state)
{
	int fds[PIN_CYCLES], i;
	void *maps[PIN_CYCLES];
	struct pto2_mem_alloc a;
	long long before, after;

	(void)state;
	before = mem_free_kib();
	for (i = 0; i < PIN_CYCLES; i++) {
		/* an old file and a mapping of it keep each old device alive */
		fds[i] = kt_open();
		maps[i] = kt_alloc_map(fds[i], PAGE, &a);
		assert_int_equal(kt_knob("1"), 0);
		assert_int_equal(kt_knob("0"), 0);
	}
	after = mem_free_kib();
	print_message("MemFree %lld -> %lld KiB over %d unplugs of %d MiB devices\n",
		      before, after, PIN_CYCLES, SMALL_MB);
	for (i = 0; i < PIN_CYCLES; i++) {
		munmap(maps[i], PAGE);
		close(fds[i]);
	}
	/* kept, they would hold PIN_CYCLES * SMALL_MB MiB; allow half of that as noise */
	assert_true(before - after < PIN_CYCLES * SMALL_MB * 1024 / 2);
	assert_int_equal(kt_sysfs("opens"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_mmap_racing_plug),
		cmocka_unit_test(test_first_opener_on_unmounted_tmpfs),
		cmocka_unit_test(test_old_file_logs_after_unplug),
		cmocka_unit_test(test_unplugged_device_frees_its_memory),
	};

	return cmocka_run_group_tests(tests, small_device, usual_device);
}
