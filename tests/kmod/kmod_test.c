// SPDX-License-Identifier: MIT
/* kmod_test.c - helpers of the guest tests (see kmod_test.h). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "kmod_test.h"

int kt_open(void)
{
	int fd = open(PTO2_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		fail_msg("open %s: %s", PTO2_DEVICE_PATH, strerror(errno));
	return fd;
}

int kt_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) == 0 ? 0 : -errno;
}

void *kt_mmap(int fd, uint64_t offset, size_t len, int prot, int flags, int *err)
{
	void *p = mmap(NULL, len, prot, flags, fd, (off_t)offset);

	*err = p == MAP_FAILED ? errno : 0;
	return p == MAP_FAILED ? NULL : p;
}

long long kt_sysfs(const char *attr)
{
	char path[256], buf[64];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/misc/pto2/%s", attr);
	f = fopen(path, "r");
	if (!f)
		fail_msg("%s: %s", path, strerror(errno));
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		fail_msg("%s: empty", path);
	}
	fclose(f);
	return strtoll(buf, NULL, 0);
}

int kt_run(const char *cmd)
{
	int st = system(cmd);

	if (st == -1)
		fail_msg("system(%s): %s", cmd, strerror(errno));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int kt_run_says(const char *cmd, const char *want)
{
	char full[640], said[512] = "";
	FILE *f;
	int st;

	snprintf(full, sizeof(full), "%s 2>/tmp/kt_stderr", cmd);
	st = kt_run(full);
	f = fopen("/tmp/kt_stderr", "r");
	if (f) {
		size_t n = fread(said, 1, sizeof(said) - 1, f);

		said[n] = 0;
		fclose(f);
	}
	if (!strstr(said, want))
		fail_msg("%s: stderr \"%s\" does not say \"%s\"", cmd, said, want);
	return st;
}

int kt_module_remove(void)
{
	return kt_run("pto2-load remove pto2");
}

int kt_module_insert(void)
{
	const char *ko = getenv("PTO2_KO"), *params = getenv("PTO2_PARAMS");
	char cmd[512];

	if (!ko || !*ko)
		fail_msg("PTO2_KO is not set (run by tests/kmod/guest-init.sh)");
	snprintf(cmd, sizeof(cmd), "pto2-load insert %s %s", ko, params ? params : "");
	return kt_run(cmd);
}

void kt_alloc(int fd, uint64_t size, struct pto2_mem_alloc *out)
{
	int ret;

	memset(out, 0, sizeof(*out));
	out->size = size;
	ret = kt_ioctl(fd, PTO2_IOC_MEM_ALLOC, out);
	if (ret)
		fail_msg("MEM_ALLOC %llu: %s", (unsigned long long)size, strerror(-ret));
}

void *kt_alloc_map(int fd, uint64_t size, struct pto2_mem_alloc *out)
{
	void *p;
	int err;

	kt_alloc(fd, size, out);
	p = kt_mmap(fd, out->mmap_offset, size, PROT_READ | PROT_WRITE, MAP_SHARED, &err);
	if (!p)
		fail_msg("mmap of a %llu-byte object: %s", (unsigned long long)size, strerror(err));
	return p;
}

int kt_knob(const char *v)
{
	static const char knob[] = "/sys/kernel/debug/pto2/soft_unplug";
	int fd = open(knob, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		fail_msg("%s: %s (debugfs mounted?)", knob, strerror(errno));
	if (write(fd, v, strlen(v)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

void kt_set_debug(const char *v)
{
	FILE *f = fopen("/sys/module/pto2/parameters/debug", "w");

	if (!f)
		fail_msg("debug parameter: %s", strerror(errno));
	if (fputs(v, f) < 0 || fclose(f))
		fail_msg("debug parameter: cannot write %s", v);
}

int kt_become(uid_t uid, gid_t gid, int in_pto2_group)
{
	gid_t groups[1] = { KT_GID_PTO2 };

	/* supplementary groups first: setuid() takes the right to change them */
	if (setgroups(in_pto2_group ? 1 : 0, groups) || setresgid(gid, gid, gid) ||
	    setresuid(uid, uid, uid))
		return -1;
	return 0;
}

void kt_node_group(const char *path)
{
	/* what udev/60-pto2.rules does on a host with udev (the guest has none) */
	if (chown(path, 0, KT_GID_PTO2) || chmod(path, 0660))
		fail_msg("%s: group pto2, mode 0660: %s", path, strerror(errno));
}
