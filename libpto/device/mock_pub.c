// SPDX-License-Identifier: MIT
/*
 * mock_pub.c - the backing object of a mock device: a named shared-memory
 * object another process can map read-only (mock_pub.h), or, when
 * publication is off or impossible, an anonymous memfd as before.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "libpto/device/mock_pub.h"
#include "libpto/error_impl.h"
#include "libpto/util/env.h"

/* Devices this process opened, for distinct names ("<pid>-<n>"). */
static uint32_t pub_serial;

/*
 * Publish unless $PTO_MOCK_PUBLISH is "0", and only when /dev/shm has room
 * for all of device memory: a tmpfs that fills up kills the writer with
 * SIGBUS (a container's 64 MiB /dev/shm), a memfd has no such limit.
 */
static int pub_wanted(size_t len, int *wanted)
{
	struct statvfs st;
	uint64_t on = 1;
	int ret = pto__env_u64("PTO_MOCK_PUBLISH", 0, 1, &on);

	*wanted = on && statvfs("/dev/shm", &st) == 0 &&
		  (unsigned long long)st.f_bavail * st.f_frsize >= len;
	return ret;
}

static int pub_size(int fd, size_t len, const char *what)
{
	if (ftruncate(fd, (off_t)len) == 0)
		return 0;
	return pto__fail(-errno, "mock device: sizing %s to %zu bytes: %s", what, len,
			 strerror(errno));
}

/*
 * Unlink the objects of owners that no longer exist: a process that
 * crashed could not unlink its own, and its written pages stay in /dev/shm
 * until someone does.  pto2-top does the same (and also spots a reused pid);
 * a readdir per device open costs nothing next to the rest of the open.
 */
static void pub_sweep(void)
{
	DIR *d = opendir("/dev/shm");
	struct dirent *e;
	size_t plen = strlen(PTO_MOCK_PUB_PREFIX);

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[300], *end;
		long pid;

		if (strncmp(e->d_name, PTO_MOCK_PUB_PREFIX, plen))
			continue;
		pid = strtol(e->d_name + plen, &end, 10);
		if (pid <= 0 || *end != '-' || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "/%.250s", e->d_name);
		shm_unlink(path);
	}
	closedir(d);
}

int pto__mock_pub_create(size_t len, char name[64])
{
	int fd, rc, wanted;

	name[0] = '\0';
	rc = pub_wanted(len, &wanted);
	if (rc)
		return rc;
	if (wanted) {
		uint32_t n = __atomic_fetch_add(&pub_serial, 1, __ATOMIC_RELAXED);

		pub_sweep();

		snprintf(name, 64, "/" PTO_MOCK_PUB_PREFIX "%d-%u", (int)getpid(), n);
		/* O_EXCL: a stale object of a dead process with our pid is never reused */
		fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno == EEXIST && shm_unlink(name) == 0)
			fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0) {
			rc = pub_size(fd, len, name);
			if (rc) {
				close(fd);
				shm_unlink(name);
				name[0] = '\0';
				return rc;
			}
			return fd;
		}
		/* no /dev/shm (a container, a sandbox): run unpublished, monitors miss it */
		name[0] = '\0';
	}
	fd = memfd_create("pto2-mock-gm", MFD_CLOEXEC);
	if (fd < 0)
		return pto__fail(-errno, "mock device: memfd_create: %s", strerror(errno));
	rc = pub_size(fd, len, "device memory");
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}
