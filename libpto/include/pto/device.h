/* SPDX-License-Identifier: MIT */
/*
 * pto/device.h - opening a pto2 device and using its memory.
 *
 * A device is either the user-space mock device ("mock", "mock:clusters=4")
 * or the kernel module ("/dev/pto2").  Device memory is addressed by device
 * addresses (byte offsets into the device's memory aperture, never host
 * pointers); pto_mem_map() translates one into a host pointer that is valid
 * until the allocation is freed or the device closed.
 *
 * A device may be used from several threads; pto_device_close() must not
 * race with any other call on the same device.
 */
#ifndef PTO_DEVICE_H
#define PTO_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "pto2/pto2_abi.h"
#include "pto2/pto2_ioctl.h"
#include "pto/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct pto_device;

/**
 * struct pto_device_info - what a device is.
 * @abi_version: %PTO2_ABI_VERSION the device speaks.
 * @platform: enum pto2_platform (MOCK, SOFT or HW).
 * @num_clusters: clusters (1 AIC + 2 AIV each).
 * @num_cores: all cores; @num_aic AIC cores and @num_aiv AIV cores.
 * @mem_size: bytes of device memory.
 * @num_workers: threads emulating cores (0 when cores are real hardware).
 * @num_cpus: entries of @cpus, the CPU allowlist the device recommends for
 *	scheduler threads (0 = no recommendation).
 * @spec: the spec string the device was opened with.
 * @name: a short name telling devices apart (traces, listings): a node's
 *	basename ("pto2-1"), or for a mock "mock", "mock<N>" (index=N) or the
 *	given name= ("mock:name=a" -> "a").
 */
struct pto_device_info {
	uint32_t abi_version;
	uint32_t platform;
	uint32_t num_clusters;
	uint32_t num_cores;
	uint32_t num_aic;
	uint32_t num_aiv;
	uint64_t mem_size;
	uint32_t num_workers;
	uint32_t num_cpus;
	uint16_t cpus[PTO2_MAX_CPUS];
	char spec[128];
	char name[32];
};

/**
 * pto_device_open() - open a device.
 * @spec: "mock[:key=value,...]" or a device node path such as "/dev/pto2".
 *	Mock keys: clusters=1..64 (default 24), mem=SIZE (bytes, with an
 *	optional K/M/G suffix; default 1G), workers=1..64 (threads emulating
 *	cores; default the number of online CPUs), and, repeatable,
 *	fault=KIND@TARGET[:KEY=N]... to inject faults: KIND hang, fail or
 *	slow; TARGET coreN or kernelN; keys after=N (matching dispatches let
 *	through first), count=N (how many then fault, 0 = all), status=1..4095
 *	(fail), us=1..10000000 (slow, required); name=NAME (1..23 of
 *	[A-Za-z0-9_.-]) or index=0..1023 (name "mock<N>") to tell several
 *	mocks apart (pto_device_info.name).  docs/device.md has the
 *	details.  NULL means the PTO_DEVICE environment variable, or "mock"
 *	when it is unset.
 * @out: receives the device.
 *
 * Return: 0, or -EINVAL for a malformed spec (pto_last_error() names the
 * bad part), -ENOENT/-EACCES for a node that cannot be opened, -ENOMEM.
 */
int pto_device_open(const char *spec, struct pto_device **out);

/**
 * struct pto_device_entry - one device pto_device_list() found.
 * @spec: what pto_device_open() takes to open it ("/dev/pto2-1", "mock").
 * @name: its short name (as pto_device_info.name once opened).
 */
struct pto_device_entry {
	char spec[128];
	char name[32];
};

/**
 * pto_device_list() - the devices of this host.
 * @out: receives up to @max entries (may be NULL when @max is 0).
 * @max: capacity of @out.
 *
 * What is counted: every kernel-module device node present, /dev/pto2 and
 * /dev/pto2-N (character devices; /dev/pto2 first, then N ascending),
 * then one entry for the mock device (spec "mock"), always last.  The mock
 * is created on demand, any number of times ("mock:name=a", ...): it is
 * listed once, as the factory it is.  A node is listed whether or not this
 * process may open it; pto_device_open() says.
 *
 * Return: the number of devices (>= 1; may exceed @max, then only @max
 * entries are written), or -EINVAL for NULL @out with @max > 0, -errno when
 * /dev cannot be read.
 */
int pto_device_list(struct pto_device_entry *out, uint32_t max);

/**
 * pto_device_count() - pto_device_list(NULL, 0).
 *
 * Return: the number of devices (>= 1: the mock), or -errno.
 */
int pto_device_count(void);

/**
 * pto_device_close() - stop the device's cores and free everything.
 * @dev: device, or NULL (no-op).
 *
 * Every allocation and mapping of the device becomes invalid.  On the mock
 * and soft devices a core is a thread of this process: one still inside a
 * kernel that overstayed its timeout is waited for 2 s, then left running,
 * and the device's memory and state are kept for it (until the process
 * exits) rather than freed under it; close returns either way.
 */
void pto_device_close(struct pto_device *dev);

/**
 * pto_device_get_info() - describe a device.
 * @dev: device.
 * @info: filled in.
 *
 * Return: 0, or -EINVAL if an argument is NULL.
 */
int pto_device_get_info(const struct pto_device *dev, struct pto_device_info *info);

/**
 * pto_mem_alloc() - allocate device memory.
 * @dev: device.
 * @size: bytes, > 0.
 * @align: alignment in bytes: 0 (= 64) or a power of two up to 1 GiB.
 * @addr: receives the device address (never 0).
 *
 * Return: 0, -EINVAL for a zero size or bad alignment, -ENOMEM when the
 * device memory cannot hold it (on every device that includes sizes of
 * pto_device_info.mem_size and just below it: a device keeps its first
 * page, so that no object has address 0).
 */
int pto_mem_alloc(struct pto_device *dev, uint64_t size, uint64_t align, uint64_t *addr);

/**
 * pto_mem_free() - free an allocation.
 * @dev: device.
 * @addr: a device address returned by pto_mem_alloc().
 *
 * Return: 0, or -ENOENT when @addr is not the start of a live allocation
 * (never allocated, or already freed) or is memory libpto allocated for
 * itself (the cores' payload buffers, a runtime's rings: a stale free must
 * not take them from under a live runtime).
 */
int pto_mem_free(struct pto_device *dev, uint64_t addr);

/**
 * pto_mem_map() - host pointer for a device address.
 * @dev: device.
 * @addr: device address inside a live allocation.
 * @size: bytes the caller will access from @addr (0 is treated as 1).
 *
 * Return: the host pointer, or NULL (pto_last_error() says why) when
 * [@addr, @addr + @size) is not inside one live allocation (the bytes
 * pto_mem_alloc() was asked for, not what it rounded up to; the same for
 * pto_mem_upload(), pto_mem_download() and pto_mem_addr()).
 */
void *pto_mem_map(struct pto_device *dev, uint64_t addr, uint64_t size);

/**
 * pto_mem_addr() - device address of a host pointer into device memory.
 * @dev: device.
 * @ptr: a pointer obtained from pto_mem_map() (or inside such a range).
 *
 * Return: the device address, or 0 when @ptr is not in device memory.
 */
uint64_t pto_mem_addr(const struct pto_device *dev, const void *ptr);

/**
 * pto_mem_upload() - copy host data into device memory.
 * @dev: device.
 * @addr: destination device address.
 * @src: host source.
 * @size: bytes.
 *
 * Return: 0, or -EINVAL when the range is not inside one live allocation.
 */
int pto_mem_upload(struct pto_device *dev, uint64_t addr, const void *src, uint64_t size);

/**
 * pto_mem_download() - copy device memory to the host.
 * @dev: device.
 * @dst: host destination.
 * @addr: source device address.
 * @size: bytes.
 *
 * Return: 0, or -EINVAL when the range is not inside one live allocation.
 */
int pto_mem_download(struct pto_device *dev, void *dst, uint64_t addr, uint64_t size);

/**
 * pto_device_regs() - a core's register window.
 * @dev: device.
 * @core: core id, 0..num_cores-1.
 *
 * The window is shared with the core: access its fields with atomic loads
 * and stores (see uapi/pto2_abi.h for who writes what).
 *
 * Return: the window, or NULL for a bad core id.
 */
struct pto2_core_regs *pto_device_regs(struct pto_device *dev, uint32_t core);

#ifdef __cplusplus
}
#endif

#endif /* PTO_DEVICE_H */
