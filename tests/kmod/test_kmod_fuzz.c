// SPDX-License-Identifier: MIT
/*
 * test_kmod_fuzz.c - 10,000 random ioctls (and some mmaps) against
 * /dev/pto2 with edge values in every field.  Passes if nothing crashes,
 * every error is one the ABI documents, and nothing is leaked afterwards;
 * the guest runner then checks dmesg and unloads the module.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "kmod_test.h"

#define FUZZ_CALLS 10000

#define FUZZ_SEED 0x9e3779b97f4a7c15ull

/* per thread, so the threaded run stays reproducible per thread */
static __thread uint64_t rng_state = FUZZ_SEED;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible from the printed seed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint64_t edge_value(void)
{
	static const uint64_t edges[] = {
		0, 1, 2, 3, 7, 8, 63, 64, 4095, 4096, 4097, 65536, 65537, 1u << 20, 2u << 20,
		0x7fffffffull, 0x80000000ull, 0xffffffffull, 0x100000000ull,
		0x7fffffffffffffffull, 0x8000000000000000ull, 0xfffffffffffff000ull, ~0ull,
	};

	switch (rnd() % 4) {
	case 0:
		return rnd();
	case 1:
		return rnd() % 64;
	default:
		return edges[rnd() % (sizeof(edges) / sizeof(edges[0]))];
	}
}

static const unsigned long known[] = {
	PTO2_IOC_INFO, PTO2_IOC_MEM_ALLOC, PTO2_IOC_MEM_FREE,
	PTO2_IOC_ATTACH, PTO2_IOC_WAIT, PTO2_IOC_SIGNAL,
};

static unsigned long random_cmd(void)
{
	unsigned long c = known[rnd() % (sizeof(known) / sizeof(known[0]))];

	switch (rnd() % 8) {
	case 0:	/* any number in our magic, any size and direction */
		return _IOC(rnd() % 4, PTO2_IOC_MAGIC, rnd() % 16, rnd() % 512);
	case 1:	/* a known number with a wrong size */
		return _IOC(_IOC_DIR(c), PTO2_IOC_MAGIC, _IOC_NR(c), rnd() % 512);
	case 2:
		return (unsigned long)rnd() & 0xffffffffu;
	default:
		return c;
	}
}

static int allowed_error(int e)
{
	switch (e) {
	case 0: case -EINVAL: case -ENOTTY: case -E2BIG: case -EFAULT: case -ENOENT:
	case -ENOMEM: case -ENOSPC: case -ETIMEDOUT: case -EPERM: case -EBUSY:
		return 1;
	default:
		return 0;
	}
}

static void fuzz_mmap(int fd, const unsigned char *buf)
{
	static const int prots[] = { PROT_READ, PROT_READ | PROT_WRITE, PROT_WRITE | PROT_EXEC };
	static const int flags[] = { MAP_SHARED, MAP_PRIVATE, MAP_SHARED | MAP_POPULATE };
	uint64_t off;
	size_t len = (size_t)((rnd() % 8) + 1) * 4096;
	int err, prot = prots[rnd() % 3];
	void *p;

	if (rnd() % 2) {
		/* an offset the last MEM_ALLOC may have returned */
		memcpy(&off, buf + 24, sizeof(off));
	} else {
		off = PTO2_MMAP_OFFSET(rnd() % 6, rnd() % 8);
	}
	off &= ~4095ull;
	p = kt_mmap(fd, off, len, prot, flags[rnd() % 3], &err);
	if (p) {
		if (prot & PROT_WRITE)
			memset(p, 0xcd, 4096);
		munmap(p, len);
	}
}

/*
 * @calls random ioctls (and mmaps) on @fd and @fd2.  Return: 0, or -1 with
 * @msg saying which call got an error the ABI does not document.
 */
static int fuzz_run(int fd, int fd2, int calls, char *msg, size_t msg_len)
{
	unsigned char buf[512];
	unsigned long cmd;
	int i, e;

	memset(buf, 0, sizeof(buf));
	for (i = 0; i < calls; i++) {
		size_t j, n = rnd() % 6;
		void *arg = buf;

		if (rnd() % 4)
			memset(buf, 0, sizeof(buf));
		for (j = 0; j < n * 4; j++) {
			uint64_t v = edge_value();
			size_t at = (rnd() % 8) * 8;

			memcpy(buf + at, &v, rnd() % 2 ? 8 : 4);
		}
		switch (rnd() % 32) {
		case 0:
			arg = NULL;
			break;
		case 1:
			arg = (void *)0xffff800000000000ull;	/* kernel address */
			break;
		default:
			break;
		}
		cmd = random_cmd();
		/* never sleep: a WAIT gets a deadline in the past */
		if (_IOC_TYPE(cmd) == PTO2_IOC_MAGIC && _IOC_NR(cmd) == _IOC_NR(PTO2_IOC_WAIT) &&
		    arg == buf)
			memset(buf + 8, 0, 8);
		e = kt_ioctl(rnd() % 3 ? fd : fd2, cmd, arg);
		if (!allowed_error(e)) {
			snprintf(msg, msg_len, "call %d: cmd %#lx -> %d (%s)", i, cmd, e,
				 strerror(-e));
			return -1;
		}
		if (rnd() % 16 == 0)
			fuzz_mmap(rnd() % 2 ? fd : fd2, buf);
	}
	return 0;
}

static void assert_nothing_left(void)
{
	assert_int_equal(kt_sysfs("objects"), 0);
	assert_int_equal(kt_sysfs("mappings"), 0);
	assert_int_equal(kt_sysfs("opens"), 0);
	assert_int_equal(kt_sysfs("attached"), 0);
}

static uint64_t base_seed(void)
{
	const char *seed = getenv("PTO2_FUZZ_SEED");

	return seed && *seed ? strtoull(seed, NULL, 0) | 1 : FUZZ_SEED;
}

static void test_random_ioctls(void **state)
{
	int fd = kt_open(), fd2 = kt_open();
	char msg[128];

	(void)state;
	rng_state = base_seed();
	printf("fuzz seed %#llx\n", (unsigned long long)rng_state);
	if (fuzz_run(fd, fd2, FUZZ_CALLS, msg, sizeof(msg)))
		fail_msg("%s", msg);
	close(fd);
	close(fd2);
	assert_nothing_left();
}

struct fuzz_thread {
	pthread_t thread;
	uint64_t seed;
	int shared_fd;
	int rc;
	char msg[128];
};

static void *fuzz_thread_fn(void *arg)
{
	struct fuzz_thread *t = arg;
	int own = open(PTO2_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	rng_state = t->seed;
	if (own < 0) {
		snprintf(t->msg, sizeof(t->msg), "open: %s", strerror(errno));
		t->rc = -1;
		return NULL;
	}
	t->rc = fuzz_run(t->shared_fd, own, FUZZ_CALLS / 2, t->msg, sizeof(t->msg));
	close(own);
	return NULL;
}

/* Two threads on one shared file (allocs, frees, mmaps, attach racing). */
static void test_random_ioctls_threaded(void **state)
{
	struct fuzz_thread t[2] = { 0 };
	int fd = kt_open(), i;

	(void)state;
	for (i = 0; i < 2; i++) {
		t[i].seed = base_seed() + 2 * (uint64_t)(i + 1);
		t[i].shared_fd = fd;
		assert_int_equal(pthread_create(&t[i].thread, NULL, fuzz_thread_fn, &t[i]), 0);
	}
	for (i = 0; i < 2; i++) {
		pthread_join(t[i].thread, NULL);
		if (t[i].rc)
			fail_msg("thread %d (seed %#llx): %s", i, (unsigned long long)t[i].seed,
				 t[i].msg);
	}
	close(fd);
	assert_nothing_left();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_ioctls),
		cmocka_unit_test(test_random_ioctls_threaded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
