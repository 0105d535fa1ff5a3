/* SPDX-License-Identifier: MIT */
/*
 * mock_pub.h - how a mock device publishes itself to other processes (a
 * monitor such as pto2-top).  A cross-process format, versioned; internal to
 * the tree (libpto writes it, tools/pto2-top reads it), not installed.
 *
 * A published mock device is one POSIX shared-memory object,
 * /dev/shm/pto2-mock-<pid>-<n> (mode 0600, unlinked at pto_device_close()),
 * laid out as
 *
 *	[0, PTO_MOCK_PUB_STATUS_SIZE)          struct pto_mock_pub (status page)
 *	[win_offset, + num_cores * 4096)       the cores' register windows
 *	[gm_offset, + mem_size)                device memory (the aperture)
 *
 * The device's own mappings are these very pages, so a reader mapping the
 * object PROT_READ sees the live registers, the ring headers the runtime
 * keeps in device memory (uapi/pto2_abi.h, DOC: rings) and the counters
 * below, and takes no lock the device takes.  docs/device.md, "Monitoring".
 */
#ifndef PTO_MOCK_PUB_H
#define PTO_MOCK_PUB_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pto2_abi.h"

#define PTO_MOCK_PUB_MAGIC		0x4d4f5450u	/* "PTOM" */
/* bump on any incompatible change of struct pto_mock_pub or the layout */
#define PTO_MOCK_PUB_VERSION		1u
#define PTO_MOCK_PUB_STATUS_SIZE	4096u
/* object names: "/" PTO_MOCK_PUB_PREFIX "<pid>-<n>" (in /dev/shm on Linux) */
#define PTO_MOCK_PUB_PREFIX		"pto2-mock-"

/**
 * struct pto_mock_pub - the status page.
 * @magic: %PTO_MOCK_PUB_MAGIC, release-stored last at open: a reader that
 *	acquire-loads it sees every other static field.
 * @version: %PTO_MOCK_PUB_VERSION.
 * @pid: the process that opened the device.
 * @num_clusters: clusters; cores are 3 * @num_clusters.
 * @num_cores: cores (register windows at @win_offset).
 * @num_workers: threads emulating the cores.
 * @owner_start: the owner's start time (field 22 of /proc/<pid>/stat, clock
 *	ticks since boot), so a reader tells a dead owner whose pid was reused.
 * @open_ns: CLOCK_MONOTONIC at open.
 * @mem_size: bytes of device memory (at @gm_offset).
 * @mem_used: bytes allocated (pinned payload buffers included); relaxed
 *	atomic adds by the allocating threads.
 * @win_offset: object offset of core 0's register window.
 * @gm_offset: object offset of device address 0.
 * @spec: the device spec the owner opened (NUL-terminated).
 * @name: the device's name (struct pto_device_info @name: "mock", "mock1",
 *	or the spec's name=), NUL-terminated.
 * @busy_ns: per core, nanoseconds it spent running kernels (start_ns to
 *	end_ns of each dispatch), cumulative; written only by the worker that
 *	serves the core, relaxed atomic stores.
 */
struct pto_mock_pub {
	uint32_t magic;
	uint32_t version;
	int32_t pid;
	uint32_t num_clusters;
	uint32_t num_cores;
	uint32_t num_workers;
	uint64_t owner_start;
	uint64_t open_ns;
	uint64_t mem_size;
	uint64_t mem_used;
	uint64_t win_offset;
	uint64_t gm_offset;
	char spec[128];
	char name[32];
	uint64_t pad[4];
	uint64_t busy_ns[PTO2_MAX_CORES];
};

_Static_assert(sizeof(struct pto_mock_pub) <= PTO_MOCK_PUB_STATUS_SIZE,
	       "the status page is one page");

/* --- libpto's side (libpto/device/mock_pub.c) ------------------------------- */

#include <stddef.h>

/*
 * pto__mock_pub_create() - the backing object of a mock device of @len bytes
 * (status page, windows, memory).  Published (a named shm object, its name in
 * @name) unless $PTO_MOCK_PUBLISH is "0" or the object cannot be created, in
 * which case an anonymous memfd (@name "").  Return: an fd, or -errno with a
 * message.
 */
int pto__mock_pub_create(size_t len, char name[64]);

/*
 * Field 22 (start time, clock ticks since boot) of /proc/@pid/stat, @pid 0
 * meaning this process; *@state (may be NULL) gets field 3.  0 if
 * unreadable.  What struct pto_mock_pub @owner_start holds, so a monitor
 * (tools/pto2-top) can tell the owner from a later process of the same pid.
 */
static inline uint64_t pto__proc_start_time(int pid, char *state)
{
	char path[64], buf[1024], *p, st = '?';
	unsigned long long start = 0;
	FILE *f;
	size_t n;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/stat");
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: fields restart after the last ')' */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
			 "%*d %*d %*d %*d %llu", &st, &start) != 2)
		return 0;
	if (state)
		*state = st;
	return start;
}

#endif /* PTO_MOCK_PUB_H */
