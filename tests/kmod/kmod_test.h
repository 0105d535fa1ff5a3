/* SPDX-License-Identifier: MIT */
/*
 * kmod_test.h - helpers shared by the guest tests of /dev/pto2 (run inside
 * the qemu guest by tests/kmod/guest-init.sh, as root, with pto2.ko loaded
 * from $PTO2_KO with $PTO2_PARAMS).
 */
#ifndef PTO_KMOD_TEST_H
#define PTO_KMOD_TEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pto2_ioctl.h"

/* Open /dev/pto2 read-write; fails the test when it cannot. */
int kt_open(void);

/* ioctl() returning 0 or -errno (no restart: tests want the exact error). */
int kt_ioctl(int fd, unsigned long req, void *arg);

/* mmap() of the device returning the address, or NULL with *err = errno. */
void *kt_mmap(int fd, uint64_t offset, size_t len, int prot, int flags, int *err);

/* An attribute of /sys/class/misc/pto2 as a number; fails the test if unreadable. */
long long kt_sysfs(const char *attr);

/* Run a shell command; return its exit status (or 128 + signal). */
int kt_run(const char *cmd);
/* kt_run() with stderr captured: fails the test unless it contains @want. */
int kt_run_says(const char *cmd, const char *want);

/* Remove the module through pto2-load; return pto2-load's exit status. */
int kt_module_remove(void);

/* Insert $PTO2_KO with $PTO2_PARAMS through pto2-load; return its exit status. */
int kt_module_insert(void);

/* Allocate @size bytes; fails the test unless MEM_ALLOC succeeds. */
void kt_alloc(int fd, uint64_t size, struct pto2_mem_alloc *out);

/* kt_alloc(), then map the object read-write and shared; fails the test unless both work. */
void *kt_alloc_map(int fd, uint64_t size, struct pto2_mem_alloc *out);

/* Write @v to /sys/kernel/debug/pto2/soft_unplug ("1" unplugs, "0" plugs); 0 or -errno. */
int kt_knob(const char *v);

/* Write @v to /sys/module/pto2/parameters/debug; fails the test if it cannot. */
void kt_set_debug(const char *v);

/*
 * The ids of the unprivileged tests (no /etc/passwd in the guest: numbers
 * only).  KT_GID_PTO2 stands for the group pto2 of udev/60-pto2.rules.
 */
#define KT_GID_PTO2	990
#define KT_UID_A	1000	/* member of pto2 */
#define KT_UID_B	1002	/* member of pto2 */
#define KT_UID_STRANGER	1001	/* not a member */

/*
 * Become @uid/@gid (real, effective, saved), with pto2 as the only
 * supplementary group when @in_pto2_group, else none; every capability
 * goes with the uid.  For a child process.  Return 0 or -1 (errno).
 */
int kt_become(uid_t uid, gid_t gid, int in_pto2_group);

/* Give @path group pto2 and mode 0660, as the udev rule would; fails the test if it cannot. */
void kt_node_group(const char *path);


#endif /* PTO_KMOD_TEST_H */
