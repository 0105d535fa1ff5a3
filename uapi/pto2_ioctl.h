/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * pto2_ioctl.h - the ioctl and mmap ABI of /dev/pto2.
 *
 * DOC: rules
 *
 * Every struct is a multiple of 8 bytes with explicit padding; padding and
 * reserved fields must be zero (-EINVAL otherwise); unknown flag bits are
 * rejected with -EINVAL; unknown ioctl numbers return -ENOTTY; ioctl numbers
 * are only ever appended.  Zero in a new field always means the old
 * behaviour.  Timeouts are absolute CLOCK_MONOTONIC deadlines, so every call
 * can be restarted after a signal.
 *
 * The argument size is part of the command, and the module uses its own:
 * a shorter user struct is zero-extended, a longer one must be zero beyond
 * what the module knows (-E2BIG otherwise).  A bad argument pointer gives
 * -EFAULT.  Once the device is gone (hardware unplugged) every call gives
 * -ENODEV.  The module never answers -EAGAIN, so callers may restart on it
 * (libdrm's drmIoctl() does) without spinning on a busy device.
 *
 * DOC: mmap offsets
 *
 * The file offset of mmap() names what is mapped: PTO2_MMAP_OFFSET(type, id).
 * A mapping must be exactly the object's size (-EINVAL), MAP_SHARED
 * (-EINVAL) and not executable (-EPERM; mprotect() cannot add PROT_EXEC
 * later).  An unknown type or id is -EINVAL.  Mappings cannot grow, be
 * split by a partial munmap() (-EINVAL), or be inherited by fork().  A
 * mapping keeps what it maps alive, and the module loaded, after close()
 * of the file and after MEM_FREE, until munmap().  Offsets stay below 2^44
 * so 32-bit user space can use mmap2.
 */
#ifndef PTO2_UAPI_IOCTL_H
#define PTO2_UAPI_IOCTL_H

#include <linux/ioctl.h>
#include <linux/types.h>

#include "pto2_abi.h"

#define PTO2_DEVICE_PATH		"/dev/pto2"

#define PTO2_MMAP_TYPE_SHIFT		40
#define PTO2_MMAP_ID_SHIFT		12
#define PTO2_MMAP_ID_MASK		((1ULL << (PTO2_MMAP_TYPE_SHIFT - PTO2_MMAP_ID_SHIFT)) - 1)
#define PTO2_MMAP_OFFSET(type, id) \
	(((__u64)(type) << PTO2_MMAP_TYPE_SHIFT) | (((__u64)(id) & PTO2_MMAP_ID_MASK) << PTO2_MMAP_ID_SHIFT))

/**
 * enum pto2_mmap_type - what an mmap offset refers to.
 * @PTO2_MMAP_REGS: one core's register window; id = core id; one page.
 *	On the soft device only the attached file may map it writable
 *	(-EACCES otherwise, and mprotect() cannot add PROT_WRITE later).
 * @PTO2_MMAP_MEM: a memory object of this file; id = its handle; size =
 *	its alloc_size.
 * @PTO2_MMAP_APERTURE: the whole device memory; id = 0.  Only for the
 *	attached file (-EPERM otherwise).
 * @PTO2_MMAP_REGS_ALL: every register window, core 0 first; id = 0.
 *	Only for the attached file (-EPERM otherwise).
 */
enum pto2_mmap_type {
	PTO2_MMAP_REGS = 1,
	PTO2_MMAP_MEM = 2,
	PTO2_MMAP_APERTURE = 3,
	PTO2_MMAP_REGS_ALL = 4,
};

/**
 * enum pto2_platform - what is behind /dev/pto2.
 * @PTO2_PLATFORM_HW: real hardware bound through PCI.
 * @PTO2_PLATFORM_SOFT: the soft device: kernel pages, executed by a core
 *	emulator in user space that attached with %PTO2_IOC_ATTACH.
 * @PTO2_PLATFORM_MOCK: the user-space mock device (never reported by the
 *	kernel module; listed so libpto can share the enum).
 */
enum pto2_platform {
	PTO2_PLATFORM_HW = 0,
	PTO2_PLATFORM_SOFT = 1,
	PTO2_PLATFORM_MOCK = 2,
};

#define PTO2_MAX_CPUS			64

/**
 * struct pto2_info - %PTO2_IOC_INFO: what the device is.
 *
 * Every field but @flags is output; the whole struct is written.  Errors:
 * -EINVAL for non-zero @flags.
 *
 * @abi_version: %PTO2_ABI_VERSION of the module.
 * @platform: enum pto2_platform.
 * @num_clusters: clusters of the device.
 * @num_cores: cores (3 per cluster).
 * @num_aic: AIC cores.
 * @num_aiv: AIV cores.
 * @mem_size: bytes of device memory (the aperture).
 * @mem_free: bytes not allocated right now.
 * @num_cpus: valid entries of @cpus.
 * @flags: must be zero on input; reserved.
 * @cpus: the CPU allowlist recommended for scheduler threads, in order.
 */
struct pto2_info {
	__u32 abi_version;
	__u32 platform;
	__u32 num_clusters;
	__u32 num_cores;
	__u32 num_aic;
	__u32 num_aiv;
	__u64 mem_size;
	__u64 mem_free;
	__u32 num_cpus;
	__u32 flags;
	__u16 cpus[PTO2_MAX_CPUS];
};

/**
 * struct pto2_mem_alloc - %PTO2_IOC_MEM_ALLOC: reserve device memory.
 *
 * The object belongs to this open file: its handle means nothing to other
 * files, and close() frees what MEM_FREE did not.  A new object always
 * reads as zeros.  The first page of device memory is reserved (no object
 * is at device address 0), so the largest object is mem_size - 4096.
 * Errors: -EINVAL for non-zero @flags or @pad, a @size outside
 * 1..mem_size - 4096, a bad @align, or a struct shorter than this one (the
 * answer could not come back, so nothing is allocated); -ENOMEM when no
 * free range fits; -ENOSPC when the file holds 65536 objects.
 *
 * @size: in: bytes wanted, 1..mem_size - 4096 (rounded up to a page).
 * @align: in: alignment in bytes, 0 (= page) or a power of two <= 1 MiB.
 * @flags: in: must be zero.
 * @pad: must be zero.
 * @handle: out: handle naming the object (never 0).
 * @dev_addr: out: device address of the object.
 * @mmap_offset: out: offset to pass to mmap() to map it.
 * @alloc_size: out: the size actually reserved (page multiple).
 */
struct pto2_mem_alloc {
	__u64 size;
	__u32 align;
	__u32 flags;
	__u32 handle;
	__u32 pad;
	__u64 dev_addr;
	__u64 mmap_offset;
	__u64 alloc_size;
};

/**
 * struct pto2_mem_free - %PTO2_IOC_MEM_FREE: drop a handle.
 *
 * The memory is released once the last mapping of it is gone too.
 * Errors: -EINVAL for non-zero @pad; -ENOENT when @handle names no live
 * object of this file (never allocated, or already freed).
 *
 * @handle: object to free.
 * @pad: must be zero.
 */
struct pto2_mem_free {
	__u32 handle;
	__u32 pad;
};

/**
 * struct pto2_attach - %PTO2_IOC_ATTACH.
 *
 * Makes this file the core emulator of a soft device: it may map the whole
 * aperture and all register windows, and signal completions.  The first
 * ATTACH puts every register window into its power-on state (identity
 * fields, IDLE in DATA_MAIN_BASE and COND); repeating it on the same file
 * changes nothing.  The file stays attached until it is released.
 * Privilege is judged by the credentials of whoever opened the file, so a
 * file passed to an unprivileged process cannot be used to escalate: an
 * opener with CAP_SYS_ADMIN may always attach; any other opener only
 * while every open file of the device is its own user's (effective uid),
 * and then, until it detaches, opens by other users fail with -EBUSY.  If
 * the previous emulator was another user's, all device memory is zeroed
 * before this ATTACH returns.
 * Errors: -EINVAL for non-zero @flags or @pad; -EOPNOTSUPP on hardware;
 * -EBUSY when another file is attached, or (opener without CAP_SYS_ADMIN)
 * another user has the device open, or memory another user's emulator
 * wrote would have to be zeroed while memory objects are live.
 *
 * @flags: in: must be zero.
 * @pad: must be zero.
 * @aperture_offset: out: mmap offset of the whole aperture.
 * @aperture_size: out: its size.
 * @regs_offset: out: mmap offset of all register windows.
 * @regs_size: out: their size (num_cores pages).
 */
struct pto2_attach {
	__u32 flags;
	__u32 pad;
	__u64 aperture_offset;
	__u64 aperture_size;
	__u64 regs_offset;
	__u64 regs_size;
};

/**
 * struct pto2_wait - %PTO2_IOC_WAIT: sleep until completions move.
 *
 * Returns 0 when the device's completion counter differs from @seq, or
 * -ETIMEDOUT at @deadline_ns (never earlier), or -EINTR on a signal
 * without SA_RESTART (restart with the same arguments: the deadline is
 * absolute).  A successful WAIT also marks @cur_seq as seen by this file
 * for poll(), which reports EPOLLIN while the counter differs from the
 * last value WAIT returned (EPOLLERR|EPOLLHUP once the device is gone).
 * Errors: -EINVAL for non-zero @flags or @pad.
 *
 * @seq: in: the completion counter value the caller already saw.
 * @flags: in: must be zero.
 * @deadline_ns: in: absolute CLOCK_MONOTONIC deadline; a past one (e.g. 0)
 *	means do not sleep.
 * @cur_seq: out: the completion counter on return (0 only).
 * @pad: must be zero.
 */
struct pto2_wait {
	__u32 seq;
	__u32 flags;
	__u64 deadline_ns;
	__u32 cur_seq;
	__u32 pad;
};

/**
 * struct pto2_signal - %PTO2_IOC_SIGNAL: the attached emulator reports
 * completions (what an interrupt does on hardware): bumps the completion
 * counter by @count and wakes waiters and poll().  Errors: -EINVAL for
 * non-zero @flags or a @count outside 1..65536; -EPERM unless this file
 * is attached.
 * @count: in: 1..65536.
 * @flags: in: must be zero.
 */
struct pto2_signal {
	__u32 count;
	__u32 flags;
};

/* Unknown numbers, or another magic, give -ENOTTY. */
#define PTO2_IOC_MAGIC			'P'
#define PTO2_IOC_INFO			_IOWR(PTO2_IOC_MAGIC, 0x00, struct pto2_info)
#define PTO2_IOC_MEM_ALLOC		_IOWR(PTO2_IOC_MAGIC, 0x01, struct pto2_mem_alloc)
#define PTO2_IOC_MEM_FREE		_IOW(PTO2_IOC_MAGIC, 0x02, struct pto2_mem_free)
#define PTO2_IOC_ATTACH			_IOWR(PTO2_IOC_MAGIC, 0x03, struct pto2_attach)
#define PTO2_IOC_WAIT			_IOWR(PTO2_IOC_MAGIC, 0x04, struct pto2_wait)
#define PTO2_IOC_SIGNAL			_IOW(PTO2_IOC_MAGIC, 0x05, struct pto2_signal)

PTO2_ABI_ASSERT(sizeof(struct pto2_info) == 176, "pto2_info layout");
PTO2_ABI_ASSERT(sizeof(struct pto2_mem_alloc) == 48, "pto2_mem_alloc layout");
PTO2_ABI_ASSERT(sizeof(struct pto2_mem_free) == 8, "pto2_mem_free layout");
PTO2_ABI_ASSERT(sizeof(struct pto2_attach) == 40, "pto2_attach layout");
PTO2_ABI_ASSERT(sizeof(struct pto2_wait) == 24, "pto2_wait layout");
PTO2_ABI_ASSERT(sizeof(struct pto2_signal) == 8, "pto2_signal layout");
PTO2_ABI_ASSERT(PTO2_MAX_CORES <= PTO2_MMAP_ID_MASK, "core ids fit the mmap id field");

#endif /* PTO2_UAPI_IOCTL_H */
