// SPDX-License-Identifier: MIT
/*
 * test_mock_pub.c - what a mock device publishes for monitors
 * (libpto/device/mock_pub.h): the named shm object and its status page,
 * register windows and device memory seen through a read-only mapping of
 * another descriptor, mem_used following allocations, a destroyed
 * runtime's ring header no longer marked, the object gone at close,
 * PTO_MOCK_PUBLISH=0 publishing nothing, and a dead process's object
 * removed by the next open.
 */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "libpto/device/mock_pub.h"
#include "pto/device.h"
#include "pto/runtime.h"

/* Names of this process's published objects; returns how many, last in @name. */
static int my_objects(char *name, size_t len)
{
	char prefix[64];
	DIR *d = opendir("/dev/shm");
	struct dirent *e;
	int n = 0;

	snprintf(prefix, sizeof(prefix), PTO_MOCK_PUB_PREFIX "%d-", (int)getpid());
	assert_non_null(d);
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, prefix, strlen(prefix))) {
			if (name)
				snprintf(name, len, "/dev/shm/%s", e->d_name);
			n++;
		}
	closedir(d);
	return n;
}

/* A read-only mapping of this process's one object, as a monitor makes it. */
static const uint8_t *map_object(size_t *len)
{
	char path[300];
	struct stat st;
	void *p;
	int fd;

	assert_int_equal(my_objects(path, sizeof(path)), 1);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(p != MAP_FAILED);
	*len = (size_t)st.st_size;
	return p;
}

static void test_status_page(void **state)
{
	struct pto_device *dev;
	const struct pto_mock_pub *p;
	const uint8_t *base;
	uint64_t addr, used;
	size_t len;
	struct stat st;
	char path[300];
	uint8_t *host;

	(void)state;
	assert_int_equal(my_objects(NULL, 0), 0);
	assert_int_equal(pto_device_open("mock:clusters=2,workers=1,mem=8M", &dev), 0);
	assert_int_equal(my_objects(path, sizeof(path)), 1);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	base = map_object(&len);
	p = (const void *)base;
	assert_int_equal(p->magic, PTO_MOCK_PUB_MAGIC);
	assert_int_equal(p->version, PTO_MOCK_PUB_VERSION);
	assert_int_equal(p->pid, getpid());
	assert_int_equal(p->num_clusters, 2);
	assert_int_equal(p->num_cores, 6);
	assert_int_equal(p->num_workers, 1);
	assert_int_equal(p->mem_size, 8u << 20);
	assert_string_equal(p->spec, "mock:clusters=2,workers=1,mem=8M");
	assert_string_equal(p->name, "mock");
	assert_int_equal(p->win_offset, PTO_MOCK_PUB_STATUS_SIZE);
	assert_int_equal(p->gm_offset, PTO_MOCK_PUB_STATUS_SIZE + 6 * PTO2_REG_WINDOW_SIZE);
	assert_int_equal(len, p->gm_offset + p->mem_size);
	assert_true(p->owner_start > 0);
	for (uint32_t c = 0; c < 6; c++) {
		const struct pto2_core_regs *r = (const void *)(base + p->win_offset +
								 c * PTO2_REG_WINDOW_SIZE);

		assert_int_equal(r->core_id, c);
	}
	/* the payload buffers are allocated at open */
	used = p->mem_used;
	assert_true(used > 0);
	assert_int_equal(pto_mem_alloc(dev, 1 << 20, 4096, &addr), 0);
	assert_true(p->mem_used >= used + (1 << 20));
	host = pto_mem_map(dev, addr, 16);
	assert_non_null(host);
	memcpy(host, "monitor sees me", 16);
	assert_memory_equal(base + p->gm_offset + addr, "monitor sees me", 16);
	assert_int_equal(pto_mem_free(dev, addr), 0);
	assert_int_equal(p->mem_used, used);
	munmap((void *)base, len);
	pto_device_close(dev);
	assert_int_equal(my_objects(NULL, 0), 0);
}

/* The ring header of a live runtime is in the object; a destroyed one is unmarked. */
static void test_ring_header(void **state)
{
	struct pto_device *dev;
	struct pto_runtime *rt;
	const struct pto_mock_pub *p;
	const uint8_t *base;
	size_t len;
	int found = -1;

	(void)state;
	assert_int_equal(pto_device_open("mock:clusters=1,workers=1,mem=512M", &dev), 0);
	assert_int_equal(pto_runtime_create(dev, NULL, &rt), 0);
	base = map_object(&len);
	p = (const void *)base;
	for (uint64_t off = 4096; off < p->mem_size; off += 4096) {
		const struct pto2_ring_header *h = (const void *)(base + p->gm_offset + off);

		if (h->magic == PTO2_RING_MAGIC && h->num_rings == PTO2_NUM_RINGS) {
			found = (int)(off / 4096);
			break;
		}
	}
	assert_true(found > 0);
	pto_runtime_destroy(rt);
	assert_int_not_equal(((const struct pto2_ring_header *)(base + p->gm_offset +
								 (uint64_t)found * 4096))->magic,
			     PTO2_RING_MAGIC);
	munmap((void *)base, len);
	pto_device_close(dev);
}

static void test_unpublished(void **state)
{
	struct pto_device *dev;

	(void)state;
	setenv("PTO_MOCK_PUBLISH", "0", 1);
	assert_int_equal(pto_device_open("mock:clusters=1,workers=1,mem=4M", &dev), 0);
	assert_int_equal(my_objects(NULL, 0), 0);
	pto_device_close(dev);
	unsetenv("PTO_MOCK_PUBLISH");
}

/* A dead process's object is unlinked by the next mock open. */
static void test_sweep_dead_owner(void **state)
{
	struct pto_device *dev;
	char name[64], path[80];
	pid_t child = fork();
	struct stat st;
	int fd;

	(void)state;
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	snprintf(name, sizeof(name), "/" PTO_MOCK_PUB_PREFIX "%d-0", (int)child);
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(pto_device_open("mock:clusters=1,workers=1,mem=4M", &dev), 0);
	assert_int_equal(stat(path, &st), -1);
	pto_device_close(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_page),
		cmocka_unit_test(test_ring_header),
		cmocka_unit_test(test_unpublished),
		cmocka_unit_test(test_sweep_dead_owner),
	};

	unsetenv("PTO_MOCK_PUBLISH");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
