/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pto2_drv.h - internal interface of the pto2 module: the device, its
 * backends (soft device, PCI hardware), per-open contexts, memory objects.
 */
#ifndef PTO2_DRV_H
#define PTO2_DRV_H

#include <linux/atomic.h>
#include <linux/cred.h>
#include <linux/cpumask.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/srcu.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include "pto2_ioctl.h"

struct gen_pool;
struct pto2_dev;

/* Most memory objects one open file may hold. */
#define PTO2_MAX_HANDLES	65536
/* Largest alignment MEM_ALLOC accepts (documented in uapi). */
#define PTO2_MAX_ALIGN		(1U << 20)
/* Largest count one SIGNAL may add. */
#define PTO2_MAX_SIGNAL		65536
/* Most devices at once (nodes /dev/pto2, /dev/pto2-1 .. /dev/pto2-255). */
#define PTO2_MAX_DEVICES	256
/* Most soft devices (module parameter soft_count). */
#define PTO2_MAX_SOFT		16

extern bool pto2_debug;

/*
 * Rate-limited, opt-in (debug=1) reason for rejecting a user request.
 * Logs through @kdev, which the device references, so an old file may
 * still log after unplug freed the node.
 */
#define pto2_dbg(pdev, fmt, ...)						\
	do {									\
		if (pto2_debug)							\
			dev_info_ratelimited((pdev)->kdev,			\
					     "%s[%d]: " fmt, current->comm,	\
					     task_pid_nr(current), ##__VA_ARGS__); \
	} while (0)

/**
 * struct pto2_backend_ops - what differs between the soft device and hardware.
 * @map_regs: map @count register windows starting at @first_core into
 *	@vma (whose size the caller checked).
 * @map_mem: map [@dev_addr, @dev_addr + vma size) of device memory into @vma.
 * @reset_regs: put every register window into its power-on state.
 * @scrub: zero [@dev_addr, @dev_addr + @size) before it is reused, so one
 *	process never sees another's data.
 * @unplug: the device is gone and no mapping reaches its memory any more
 *	(called after the zap): free what only mappings could have used, so
 *	an unplugged device that old files keep alive pins no memory.  May
 *	be NULL.
 * @fini: release the backend's resources (device is going away).
 */
struct pto2_backend_ops {
	int (*map_regs)(struct pto2_dev *pdev, struct vm_area_struct *vma,
			u32 first_core, u32 count);
	int (*map_mem)(struct pto2_dev *pdev, struct vm_area_struct *vma, u64 dev_addr);
	void (*reset_regs)(struct pto2_dev *pdev);
	void (*scrub)(struct pto2_dev *pdev, u64 dev_addr, u64 size);
	void (*unplug)(struct pto2_dev *pdev);
	void (*fini)(struct pto2_dev *pdev);
};

/**
 * struct pto2_counters - statistics shown in sysfs.
 * @objects: live memory objects (allocated, not yet released).
 * @mappings: live VMAs of this device.
 * @opens: open files.
 * @allocs: MEM_ALLOC calls that succeeded.
 * @frees: MEM_FREE calls that succeeded.
 * @rejects: ioctls and mmaps refused for bad arguments.
 * @waits: WAIT calls that slept.
 */
struct pto2_counters {
	atomic_t objects;
	atomic_t mappings;
	atomic_t opens;
	atomic64_t allocs;
	atomic64_t frees;
	atomic64_t rejects;
	atomic64_t waits;
};

/**
 * struct pto2_dev - one device and its node.
 * @ref: freed on the last put (open files, mappings and memory objects
 *	each hold one), never directly by remove.
 * @index: the device's number while it is registered (lowest free at
 *	registration): 0 is /dev/pto2, N > 0 is /dev/pto2-N.
 * @name: the node's name, "pto2" or "pto2-N" (also its sysfs and debugfs
 *	directory).
 * @debugfs: its debugfs directory (state view), removed at unplug.
 * @misc: the node.
 * @kdev: @misc's device, referenced until this struct is freed (logging).
 * @ops: backend.
 * @backend: backend private data.
 * @platform: enum pto2_platform.
 * @num_clusters: clusters.
 * @num_cores: 3 * @num_clusters.
 * @mem_size: bytes of device memory.
 * @mem_free: bytes not held by a memory object.
 * @pool: allocator of device addresses [PAGE_SIZE, @mem_size).
 * @cpus: CPU list recommended for scheduler threads.
 * @num_cpus: entries of @cpus.
 * @srcu: readers are ioctl/mmap/poll calls in flight; see @unplugged.
 * @unplugged: set once the hardware is gone; calls then fail with -ENODEV.
 * @lock: protects @attached, @attached_unpriv, @mem_uid, @mem_dirty and
 *	@files.
 * @files: open files (struct pto2_file.link): the debugfs state view, and
 *	the users an unprivileged ATTACH must be alone with.  A file stays
 *	here while a mapping of it exists (the VMA pins the file).
 * @attached: the file acting as core emulator (soft device), or NULL.
 * @attached_unpriv: @attached's opener lacked CAP_SYS_ADMIN: files of
 *	other users may not be opened while it is attached.
 * @mem_uid: effective uid of the opener of the last emulator.
 * @mem_dirty: an emulator was attached since memory was last zeroed as a
 *	whole, so free memory may hold what it wrote through the aperture.
 * @inode: private anonymous inode whose address_space every open file
 *	uses, so unplug zaps all mappings at once (pto2_inode.c).
 * @comp_seq: completion counter, bumped by SIGNAL (or an interrupt).
 * @comp_wq: WAIT and poll() sleep here.
 * @stats: counters.
 */
struct pto2_dev {
	struct kref ref;
	int index;
	char name[16];
	struct dentry *debugfs;
	struct miscdevice misc;
	struct device *kdev;
	const struct pto2_backend_ops *ops;
	void *backend;

	u32 platform;
	u32 num_clusters;
	u32 num_cores;
	u64 mem_size;
	atomic64_t mem_free;
	struct gen_pool *pool;
	u16 cpus[PTO2_MAX_CPUS];
	u32 num_cpus;

	struct srcu_struct srcu;
	bool unplugged;

	struct mutex lock;	/* protects attached, attached_unpriv, mem_uid, mem_dirty, files */
	struct list_head files;
	struct file *attached;
	bool attached_unpriv;
	kuid_t mem_uid;
	bool mem_dirty;
	struct inode *inode;

	atomic_t comp_seq;
	wait_queue_head_t comp_wq;

	struct pto2_counters stats;
};

/**
 * struct pto2_file - one open file of a device node.
 * @pdev: the device (a reference is held).
 * @objs: memory objects by handle; the table holds one reference each.
 * @seen_seq: completion counter last returned by WAIT; poll() reports
 *	EPOLLIN while the device counter differs.
 * @file: the struct file.
 * @link: in the device's @files (under its @lock).
 * @pid: thread-group id of the opener (debugfs state view).
 * @comm: the opener's command name (debugfs state view).
 */
struct pto2_file {
	struct pto2_dev *pdev;
	struct xarray objs;
	atomic_t seen_seq;
	struct file *file;
	struct list_head link;
	pid_t pid;
	char comm[TASK_COMM_LEN];
};

/*
 * Whether @pf is the soft device's core emulator.  Lockless but exact for
 * the caller's own file: only its ATTACH sets @attached to it and only its
 * release clears it, and neither can run inside one of its own calls
 * except a concurrent ATTACH, which may land on either side anyway.
 */
static inline bool pto2_is_attached(struct pto2_file *pf)
{
	return READ_ONCE(pf->pdev->attached) == pf->file;
}

/* Count @ret in @rejects if it refuses the caller's arguments (not -ENODEV, -ENOMEM...). */
static inline void pto2_count_reject(struct pto2_dev *pdev, int ret)
{
	if (ret == -EINVAL || ret == -E2BIG || ret == -EPERM || ret == -EACCES || ret == -ENOENT)
		atomic64_inc(&pdev->stats.rejects);
}

/**
 * struct pto2_mem_obj - a range of device memory.
 * @ref: the handle table and every mapping hold one.
 * @pdev: owner (a reference is held).
 * @dev_addr: device address.
 * @size: bytes (page multiple).
 */
struct pto2_mem_obj {
	struct kref ref;
	struct pto2_dev *pdev;
	u64 dev_addr;
	u64 size;
};

/* pto2_main.c */
struct pto2_dev *pto2_dev_create(u32 platform, u32 num_clusters, u64 mem_size,
				 const struct cpumask *cpus,
				 const struct pto2_backend_ops *ops, void *backend,
				 struct device *parent);
void pto2_dev_unplug(struct pto2_dev *pdev);
void pto2_dev_get(struct pto2_dev *pdev);
void pto2_dev_put(struct pto2_dev *pdev);
bool pto2_dev_registered(void);
struct pto2_dev *pto2_dev_get_index(int index);
const struct cpumask *pto2_cpus_for(unsigned int slot);
int pto2_dev_enter(struct pto2_dev *pdev, int *idx) __acquires(&pdev->srcu);
void pto2_dev_exit(struct pto2_dev *pdev, int idx) __releases(&pdev->srcu);

/* pto2_ioctl.c */
long pto2_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

/* pto2_mem.c */
int pto2_mem_init(struct pto2_dev *pdev);
void pto2_mem_fini(struct pto2_dev *pdev);
int pto2_mem_alloc(struct pto2_file *pf, struct pto2_mem_alloc *args);
int pto2_mem_free(struct pto2_file *pf, u32 handle);
struct pto2_mem_obj *pto2_mem_lookup(struct pto2_file *pf, u32 handle);
void pto2_mem_put(struct pto2_mem_obj *obj);
void pto2_mem_get(struct pto2_mem_obj *obj);
void pto2_mem_release_all(struct pto2_file *pf);

/* pto2_mmap.c */
int pto2_mmap(struct file *file, struct vm_area_struct *vma);

/* pto2_soft.c: the soft devices, made from their module parameters */
int pto2_soft_check_params(void);
unsigned int pto2_soft_slots(void);
int pto2_soft_plug_at_load(void);
int pto2_soft_plug(unsigned int slot);
int pto2_soft_unplug(unsigned int slot);
void pto2_soft_unplug_all(void);

/* pto2_inode.c */
int pto2_inode_init(void);
void pto2_inode_fini(void);
struct inode *pto2_inode_new(void);

/* pto2_debugfs.c */
void pto2_debugfs_init(void);
void pto2_debugfs_knobs_init(void);
void pto2_debugfs_knobs_fini(void);
void pto2_debugfs_fini(void);
void pto2_debugfs_dev_add(struct pto2_dev *pdev);
void pto2_debugfs_dev_remove(struct pto2_dev *pdev);

/* pto2_pci.c */
int pto2_pci_register(void);
void pto2_pci_unregister(void);

/* pto2_sysfs.c */
extern const struct attribute_group *pto2_attr_groups[];

#endif /* PTO2_DRV_H */
