// SPDX-License-Identifier: MIT
/*
 * dev_kmod.c - the kernel-module device backend: a pto2 device reached
 * through /dev/pto2 (uapi/pto2_ioctl.h).
 *
 * On hardware, register windows are mapped one per core and memory objects
 * one mapping each.  On the soft device the module's windows and memory are
 * plain kernel pages with nothing behind them, so this backend becomes the
 * device: it ATTACHes (root, or a member of the node's group using the
 * device alone: docs/kmod.md, "Permissions"), maps the whole aperture and every
 * window, writes each core's identity and payload address, and runs the
 * sim/ core engine inside the process.  The aperture mapping is then the
 * host view of every memory object.
 *
 * Completions: workers bump a process-local counter after each FIN; a
 * thread that wants to sleep registers in @waiters and sleeps in
 * PTO2_IOC_WAIT on the module's counter, which a worker bumps with
 * PTO2_IOC_SIGNAL only while someone may be asleep.
 *
 * ioctls go through libdrm's drmIoctl(), which restarts on EINTR and
 * EAGAIN; the module never uses EAGAIN to mean "busy", and WAIT takes an
 * absolute deadline, so a restart is always safe.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>

#include "libpto/device/device_impl.h"
#include "libpto/device/device_ops.h"
#include "libpto/error_impl.h"
#include "libpto/util/env.h"
#include "libpto/util/waiter.h"
#include "sim/sim.h"

#define KMOD_PAGE		4096u
/* Hardware has no completion interrupt yet: waiters poll COND this often. */
#define KMOD_HW_POLL_NS		50000u

/**
 * struct kmod_dev - backend state.
 * @fd: the open device node.
 * @platform: enum pto2_platform reported by the module.
 * @aperture: whole device memory mapped (soft device), else NULL.
 * @aperture_size: its size.
 * @regs_all: every register window mapped (soft device), else NULL.
 * @regs_size: its size.
 * @fin_seq: process-local completion counter, bumped (seq-cst) after a FIN.
 * @waiters: threads that may be asleep in PTO2_IOC_WAIT.
 * @kseq: last value of the module's completion counter seen by a waiter.
 */
struct kmod_dev {
	int fd;
	uint32_t platform;
	uint8_t *aperture;
	uint64_t aperture_size;
	uint8_t *regs_all;
	uint64_t regs_size;
	uint32_t fin_seq;
	uint32_t waiters;
	uint32_t kseq;
};

static int kmod_ioctl(int fd, unsigned long req, void *arg)
{
	return drmIoctl(fd, req, arg) == 0 ? 0 : -errno;
}

static struct kmod_dev *kdev(struct pto_device *dev)
{
	return dev->priv;
}

static int kmod_map(struct kmod_dev *k, uint64_t offset, uint64_t size, void **out)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, k->fd, (off_t)offset);

	if (p == MAP_FAILED)
		return -errno;
	*out = p;
	return 0;
}

static int kmod_mem_alloc(struct pto_device *dev, uint64_t size, uint64_t align,
			  struct pto_mem_obj *obj)
{
	struct kmod_dev *k = kdev(dev);
	struct pto2_mem_alloc a = { .size = size };
	struct pto2_mem_free f = { 0 };
	void *host = NULL;
	int ret;

	if (align > (1u << 20))
		return pto__fail(-EINVAL,
				 "alignment %llu: the kernel device aligns to at most 1 MiB",
				 (unsigned long long)align);
	a.align = align > KMOD_PAGE ? (uint32_t)align : 0;
	ret = kmod_ioctl(k->fd, PTO2_IOC_MEM_ALLOC, &a);
	if (ret)
		return pto__fail(ret, "MEM_ALLOC of %llu bytes: %s", (unsigned long long)size,
				 strerror(-ret));
	if (k->aperture) {
		host = k->aperture + a.dev_addr;
	} else {
		ret = kmod_map(k, a.mmap_offset, a.alloc_size, &host);
		if (ret) {
			f.handle = a.handle;
			kmod_ioctl(k->fd, PTO2_IOC_MEM_FREE, &f);
			return pto__fail(ret, "mmap of a %llu-byte memory object: %s",
					 (unsigned long long)a.alloc_size, strerror(-ret));
		}
	}
	obj->addr = a.dev_addr;
	obj->size = a.alloc_size;
	obj->host = host;
	obj->handle = a.handle;
	return 0;
}

static void kmod_mem_free(struct pto_device *dev, struct pto_mem_obj *obj)
{
	struct kmod_dev *k = kdev(dev);
	struct pto2_mem_free f = { .handle = obj->handle };

	if (!k->aperture && obj->host)
		munmap(obj->host, obj->size);
	/* cannot fail for a handle this backend allocated */
	kmod_ioctl(k->fd, PTO2_IOC_MEM_FREE, &f);
}

static void kmod_kick(struct pto_device *dev, uint32_t core)
{
	if (dev->sim)
		pto_sim_kick(dev->sim, core);
}

/*
 * Here the key is a plain snapshot: every FIN and notify bumps @fin_seq
 * (kmod_bump()), and the announcement is made inside kmod_wait_completion()
 * where the module needs it, so prepare only reads and cancel has nothing
 * to withdraw.
 */
static uint32_t kmod_completion_prepare(struct pto_device *dev)
{
	/* pairs with the release increment in kmod_on_fin() */
	return __atomic_load_n(&kdev(dev)->fin_seq, __ATOMIC_ACQUIRE);
}

static void kmod_completion_cancel(struct pto_device *dev)
{
	(void)dev;
}

/*
 * Move the completion counter (a worker published FIN/EXITED, or notify):
 * count it, and wake sleepers through the module.
 */
static void kmod_bump(struct kmod_dev *k)
{
	struct pto2_signal s = { .count = 1 };

	/*
	 * Seq-cst increment, then seq-cst load of @waiters; pairs with the
	 * seq-cst increment of @waiters and load of @fin_seq in
	 * kmod_wait_completion(): in the single total order either the waiter
	 * sees the new count or we see the waiter.  (Also a release for the
	 * FIN the worker published before calling us.)
	 */
	__atomic_add_fetch(&k->fin_seq, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&k->waiters, __ATOMIC_SEQ_CST) && k->platform == PTO2_PLATFORM_SOFT)
		kmod_ioctl(k->fd, PTO2_IOC_SIGNAL, &s);
}

static void kmod_on_fin(void *arg)
{
	kmod_bump(arg);
}

static void kmod_notify(struct pto_device *dev)
{
	kmod_bump(kdev(dev));
}

static void kmod_wait_completion(struct pto_device *dev, uint32_t seen, uint64_t deadline_ns)
{
	struct kmod_dev *k = kdev(dev);
	/* 0 means no deadline here, "do not sleep" to the module */
	struct pto2_wait w = { .deadline_ns = deadline_ns ? deadline_ns : UINT64_MAX };

	if (k->platform != PTO2_PLATFORM_SOFT) {
		/* no completion interrupt: sleep a poll interval, callers re-check COND */
		uint64_t now = pto_now_ns();
		struct timespec ts = { 0, KMOD_HW_POLL_NS };

		if (__atomic_load_n(&k->fin_seq, __ATOMIC_ACQUIRE) == seen && now < w.deadline_ns) {
			if (w.deadline_ns - now < KMOD_HW_POLL_NS)
				ts.tv_nsec = (long)(w.deadline_ns - now);
			nanosleep(&ts, NULL);
		}
		return;
	}

	/* seq-cst register, then seq-cst re-read: pairs with kmod_bump() */
	__atomic_add_fetch(&k->waiters, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&k->fin_seq, __ATOMIC_SEQ_CST) == seen) {
		/*
		 * Any SIGNAL since kseq was read moved the module's counter
		 * away from it, so this returns at once instead of missing it.
		 */
		w.seq = __atomic_load_n(&k->kseq, __ATOMIC_RELAXED);
		w.flags = 0;
		w.pad = 0;
		if (kmod_ioctl(k->fd, PTO2_IOC_WAIT, &w))
			break;	/* -ETIMEDOUT (or the device is gone): callers re-check */
		__atomic_store_n(&k->kseq, w.cur_seq, __ATOMIC_RELAXED);
	}
	__atomic_sub_fetch(&k->waiters, 1, __ATOMIC_RELAXED);
}

/* Unmap and close everything pto__kmod_open() set up; safe on a partial set-up. */
static void kmod_close(struct pto_device *dev)
{
	struct kmod_dev *k = kdev(dev);
	uint32_t i;

	if (!k)
		return;
	if (dev->sim)
		dev->stuck = !pto_sim_stop(dev->sim);
	dev->sim = NULL;
	/* a worker stuck in a kernel still uses the mappings: keep them (and the fd) */
	if (dev->stuck)
		return;
	/* closing the fd frees every object; per-object mappings go first */
	if (!k->aperture)
		for (i = 0; i < dev->num_objs; i++)
			munmap(dev->objs[i].host, dev->objs[i].size);
	if (k->regs_all) {
		munmap(k->regs_all, k->regs_size);
	} else if (dev->regs) {
		for (i = 0; i < dev->info.num_cores; i++)
			if (dev->regs[i])
				munmap(dev->regs[i], KMOD_PAGE);
	}
	if (k->aperture)
		munmap(k->aperture, k->aperture_size);
	free(dev->regs);
	if (k->fd >= 0)
		close(k->fd);
	free(k);
	dev->priv = NULL;
	dev->regs = NULL;
}

static const struct pto_device_ops kmod_ops = {
	.name = "kmod",
	.close = kmod_close,
	.mem_alloc = kmod_mem_alloc,
	.mem_free = kmod_mem_free,
	.kick = kmod_kick,
	.completion_prepare = kmod_completion_prepare,
	.completion_cancel = kmod_completion_cancel,
	.wait_completion = kmod_wait_completion,
	.notify = kmod_notify,
};

static int kmod_query(struct pto_device *dev, struct kmod_dev *k, const char *path)
{
	struct pto2_info ki = { 0 };
	int ret;

	ret = kmod_ioctl(k->fd, PTO2_IOC_INFO, &ki);
	if (ret)
		return pto__fail(ret, "%s: INFO: %s (not a pto2 device?)", path, strerror(-ret));
	if (ki.abi_version != PTO2_ABI_VERSION)
		return pto__fail(-EPROTO, "%s speaks ABI %u, libpto %u", path, ki.abi_version,
				 PTO2_ABI_VERSION);
	/* the core numbering and the window mappings assume 3 cores per cluster */
	if (!ki.num_clusters || ki.num_clusters > PTO2_MAX_CLUSTERS ||
	    ki.num_cores != ki.num_clusters * PTO2_CORES_PER_CLUSTER || ki.num_cpus > PTO2_MAX_CPUS)
		return pto__fail(-EPROTO, "%s reports %u clusters, %u cores, %u CPUs", path,
				 ki.num_clusters, ki.num_cores, ki.num_cpus);
	k->platform = ki.platform;
	dev->info.abi_version = ki.abi_version;
	dev->info.platform = ki.platform;
	dev->info.num_clusters = ki.num_clusters;
	dev->info.num_cores = ki.num_cores;
	dev->info.num_aic = ki.num_aic;
	dev->info.num_aiv = ki.num_aiv;
	dev->info.mem_size = ki.mem_size;
	/* the module's pool leaves out the first page; above it MEM_ALLOC is EINVAL */
	dev->max_alloc = ki.mem_size - KMOD_PAGE;
	dev->info.num_cpus = ki.num_cpus;
	memcpy(dev->info.cpus, ki.cpus, sizeof(dev->info.cpus));
	return 0;
}

/* Soft device: become its core emulator's host (ATTACH + map everything). */
static int kmod_attach(struct pto_device *dev, struct kmod_dev *k, const char *path)
{
	struct pto2_attach at = { 0 };
	void *p = NULL;
	uint32_t i;
	int ret;

	ret = kmod_ioctl(k->fd, PTO2_IOC_ATTACH, &at);
	/* a module before unprivileged ATTACH (docs/kmod.md, "Permissions") */
	if (ret == -EPERM)
		return pto__fail(ret, "%s is a soft device: running its cores needs CAP_SYS_ADMIN",
				 path);
	if (ret == -EBUSY)
		return pto__fail(ret, "%s is a soft device already run by another process, or "
				 "(without CAP_SYS_ADMIN) open by another user", path);
	if (ret)
		return pto__fail(ret, "%s: ATTACH: %s", path, strerror(-ret));
	ret = kmod_map(k, at.aperture_offset, at.aperture_size, &p);
	if (ret)
		return pto__fail(ret, "%s: mapping the %llu-byte aperture: %s", path,
				 (unsigned long long)at.aperture_size, strerror(-ret));
	k->aperture = p;
	k->aperture_size = at.aperture_size;
	ret = kmod_map(k, at.regs_offset, at.regs_size, &p);
	if (ret)
		return pto__fail(ret, "%s: mapping the register windows: %s", path, strerror(-ret));
	k->regs_all = p;
	k->regs_size = at.regs_size;
	for (i = 0; i < dev->info.num_cores; i++)
		dev->regs[i] = (struct pto2_core_regs *)(k->regs_all + (size_t)i * KMOD_PAGE);
	return 0;
}

static int kmod_map_windows(struct pto_device *dev, struct kmod_dev *k, const char *path)
{
	uint32_t i;
	void *p = NULL;
	int ret;

	for (i = 0; i < dev->info.num_cores; i++) {
		ret = kmod_map(k, PTO2_MMAP_OFFSET(PTO2_MMAP_REGS, i), KMOD_PAGE, &p);
		if (ret)
			return pto__fail(ret, "%s: mapping the window of core %u: %s", path, i,
					 strerror(-ret));
		dev->regs[i] = p;
	}
	return 0;
}

/* Threads for the soft device's cores: $PTO_KMOD_WORKERS, else the online CPUs; <= cores. */
static int kmod_workers(uint32_t num_cores, uint32_t *out)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t n = cpus > 0 ? (uint64_t)cpus : 1;
	int ret = pto__env_u64("PTO_KMOD_WORKERS", 1, PTO2_MAX_CORES, &n);

	*out = n > num_cores ? num_cores : (uint32_t)n;
	return ret;
}

/**
 * pto__kmod_open() - open a device node of the pto2 kernel module.
 * @dev: device to fill (ops, info, regs, sim, priv).
 * @path: the node, e.g. "/dev/pto2".
 *
 * Return: 0; -ENOENT/-EACCES when the node cannot be opened (-EBUSY: another
 * user's unprivileged emulator holds it); -EPROTO for an ABI mismatch;
 * -EPERM (an older module)/-EBUSY when a soft device cannot be attached; or the
 * error of a failing ioctl, mmap or thread start.
 */
int pto__kmod_open(struct pto_device *dev, const char *path)
{
	struct kmod_dev *k;
	int ret;

	k = calloc(1, sizeof(*k));
	if (!k)
		return pto__fail(-ENOMEM, "out of memory opening %s", path);
	k->fd = -1;
	dev->priv = k;
	dev->ops = &kmod_ops;

	k->fd = open(path, O_RDWR | O_CLOEXEC);
	if (k->fd < 0 && errno == EBUSY) {
		ret = pto__fail(-EBUSY, "%s: in use by another user's process, which runs its cores "
				"without CAP_SYS_ADMIN and so has the device to itself", path);
		goto err;
	}
	if (k->fd < 0) {
		ret = pto__fail(-errno, "%s: %s", path, strerror(errno));
		goto err;
	}
	ret = kmod_query(dev, k, path);
	if (ret)
		goto err;
	dev->regs = calloc(dev->info.num_cores, sizeof(*dev->regs));
	if (!dev->regs) {
		ret = pto__fail(-ENOMEM, "out of memory opening %s", path);
		goto err;
	}

	if (k->platform == PTO2_PLATFORM_SOFT)
		ret = kmod_attach(dev, k, path);
	else
		ret = kmod_map_windows(dev, k, path);
	if (ret)
		goto err;
	ret = pto__device_init_windows(dev);
	if (ret)
		goto err;
	if (k->platform == PTO2_PLATFORM_SOFT) {
		uint32_t workers;

		ret = kmod_workers(dev->info.num_cores, &workers);
		if (!ret)
			ret = pto__device_start_sim(dev, k->aperture, k->aperture_size, workers,
						    kmod_on_fin, k);
		if (ret)
			goto err;
	}
	return 0;

err:
	kmod_close(dev);
	dev->ops = NULL;
	return ret;
}
