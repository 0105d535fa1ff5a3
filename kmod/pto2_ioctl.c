// SPDX-License-Identifier: GPL-2.0
/*
 * pto2_ioctl.c - the ioctl dispatcher and handlers of /dev/pto2.
 *
 * The table's own command (not the caller's) decides direction and size: a
 * shorter user struct is zero-extended, a longer one must have a zero tail
 * (-E2BIG otherwise), unknown numbers get -ENOTTY.  Handlers validate every
 * input before they take a lock or allocate.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/nospec.h>
#include <linux/sizes.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "pto2_drv.h"

union pto2_ioctl_args {
	struct pto2_info info;
	struct pto2_mem_alloc alloc;
	struct pto2_mem_free free;
	struct pto2_attach attach;
	struct pto2_wait wait;
	struct pto2_signal signal;
};

/* Reserved fields (flags, pad) must be 0 so later ABIs can give them meaning. */
static int pto2_check_reserved(struct pto2_dev *pdev, const char *ioc, u32 flags, u32 pad)
{
	if (!flags && !pad)
		return 0;
	pto2_dbg(pdev, "%s: flags %#x / pad %#x must be 0\n", ioc, flags, pad);
	return -EINVAL;
}

static int pto2_ioc_info(struct pto2_file *pf, void *data)
{
	struct pto2_dev *pdev = pf->pdev;
	struct pto2_info *a = data;

	if (pto2_check_reserved(pdev, "INFO", a->flags, 0))
		return -EINVAL;
	/* the whole struct is rebuilt, so nothing the caller sent goes back */
	memset(a, 0, sizeof(*a));
	a->abi_version = PTO2_ABI_VERSION;
	a->platform = pdev->platform;
	a->num_clusters = pdev->num_clusters;
	a->num_cores = pdev->num_cores;
	a->num_aic = pdev->num_clusters;
	a->num_aiv = pdev->num_clusters * PTO2_AIV_PER_CLUSTER;
	a->mem_size = pdev->mem_size;
	a->mem_free = atomic64_read(&pdev->mem_free);
	a->num_cpus = pdev->num_cpus;
	memcpy(a->cpus, pdev->cpus, sizeof(a->cpus));
	return 0;
}

static int pto2_ioc_mem_alloc(struct pto2_file *pf, void *data)
{
	struct pto2_mem_alloc *a = data;

	if (pto2_check_reserved(pf->pdev, "MEM_ALLOC", a->flags, a->pad))
		return -EINVAL;
	return pto2_mem_alloc(pf, a);
}

static void pto2_ioc_mem_alloc_undo(struct pto2_file *pf, void *data)
{
	struct pto2_mem_alloc *a = data;

	pto2_mem_free(pf, a->handle);
}

static int pto2_ioc_mem_free(struct pto2_file *pf, void *data)
{
	struct pto2_mem_free *a = data;

	if (pto2_check_reserved(pf->pdev, "MEM_FREE", 0, a->pad))
		return -EINVAL;
	return pto2_mem_free(pf, a->handle);
}

/*
 * An unprivileged ATTACH must be alone with its own user: the aperture
 * shows every memory object of every file, and a file stays open while a
 * mapping of it exists.  Under @pdev->lock.
 */
static bool pto2_alone_with_own_user(struct pto2_dev *pdev, struct file *file)
{
	struct pto2_file *other;

	list_for_each_entry(other, &pdev->files, link)
		if (!uid_eq(other->file->f_cred->euid, file->f_cred->euid))
			return false;
	return true;
}

/* Zero all device memory, a slice at a time (it may be GiBs). */
static void pto2_scrub_all(struct pto2_dev *pdev)
{
	u64 off, len;

	for (off = 0; off < pdev->mem_size; off += len) {
		len = min_t(u64, SZ_16M, pdev->mem_size - off);
		pdev->ops->scrub(pdev, off, len);
		cond_resched();
	}
}

/*
 * Policy (docs/kmod.md, "Permissions"): an opener with CAP_SYS_ADMIN
 * attaches as it always did.  Any other opener (a member of the device's
 * group) attaches only while every open file of the device is its own
 * user's; then no other user may open the device until it detaches.  When
 * the last emulator was another user's, the memory it may have written
 * through the aperture is zeroed first, which needs no live memory object
 * (else -EBUSY: they would be zeroed under their owner).  Under @pdev->lock.
 */
static int pto2_attach_unprivileged(struct pto2_dev *pdev, struct file *file)
{
	kuid_t uid = file->f_cred->euid;

	if (!pto2_alone_with_own_user(pdev, file)) {
		pto2_dbg(pdev, "ATTACH: unprivileged, and another user has the device open\n");
		return -EBUSY;
	}
	if (pdev->mem_dirty && !uid_eq(pdev->mem_uid, uid)) {
		if (atomic_read(&pdev->stats.objects)) {
			pto2_dbg(pdev, "ATTACH: memory of another user's emulator cannot be zeroed while %d objects are live\n",
				 atomic_read(&pdev->stats.objects));
			return -EBUSY;
		}
		pto2_scrub_all(pdev);
		pdev->mem_dirty = false;
	}
	return 0;
}

static int pto2_ioc_attach(struct pto2_file *pf, void *data)
{
	struct pto2_dev *pdev = pf->pdev;
	struct pto2_attach *a = data;
	bool priv;
	int ret = 0;

	if (pto2_check_reserved(pdev, "ATTACH", a->flags, a->pad))
		return -EINVAL;
	if (pdev->platform != PTO2_PLATFORM_SOFT)
		return -EOPNOTSUPP;
	/* the opener's credentials, so a passed fd cannot escalate */
	priv = file_ns_capable(pf->file, &init_user_ns, CAP_SYS_ADMIN);

	mutex_lock(&pdev->lock);
	if (pdev->attached && pdev->attached != pf->file) {
		ret = -EBUSY;
		goto out_unlock;
	}
	if (!pdev->attached) {
		if (!priv) {
			ret = pto2_attach_unprivileged(pdev, pf->file);
			if (ret)
				goto out_unlock;
		}
		/*
		 * A new emulator starts from power-on register state; under
		 * the lock, so a second ATTACH of the same file cannot return
		 * (and start emulating) while the reset still runs.
		 */
		pdev->ops->reset_regs(pdev);
		pdev->attached_unpriv = !priv;
		pdev->mem_uid = pf->file->f_cred->euid;
		pdev->mem_dirty = true;
		WRITE_ONCE(pdev->attached, pf->file);
	}
out_unlock:
	mutex_unlock(&pdev->lock);
	if (ret)
		return ret;

	a->aperture_offset = PTO2_MMAP_OFFSET(PTO2_MMAP_APERTURE, 0);
	a->aperture_size = pdev->mem_size;
	a->regs_offset = PTO2_MMAP_OFFSET(PTO2_MMAP_REGS_ALL, 0);
	a->regs_size = (u64)pdev->num_cores * PAGE_SIZE;
	return 0;
}

static int pto2_ioc_wait(struct pto2_file *pf, void *data)
{
	struct pto2_dev *pdev = pf->pdev;
	struct pto2_wait *a = data;
	u64 now;
	long ret;

	if (pto2_check_reserved(pdev, "WAIT", a->flags, a->pad))
		return -EINVAL;

	if (atomic_read(&pdev->comp_seq) == a->seq) {
		now = ktime_get_ns();
		if (a->deadline_ns <= now)
			return -ETIMEDOUT;
		atomic64_inc(&pdev->stats.waits);
		/* relative time recomputed from the absolute deadline on every restart */
		ret = wait_event_interruptible_hrtimeout(pdev->comp_wq,
				atomic_read(&pdev->comp_seq) != a->seq ||
				READ_ONCE(pdev->unplugged),
				ns_to_ktime(min_t(u64, a->deadline_ns - now, KTIME_MAX)));
		if (READ_ONCE(pdev->unplugged))
			return -ENODEV;
		if (ret == -ETIME)
			return -ETIMEDOUT;
		if (ret)
			return ret;
	}
	a->cur_seq = atomic_read(&pdev->comp_seq);
	atomic_set(&pf->seen_seq, a->cur_seq);
	return 0;
}

static int pto2_ioc_signal(struct pto2_file *pf, void *data)
{
	struct pto2_dev *pdev = pf->pdev;
	struct pto2_signal *a = data;

	if (pto2_check_reserved(pdev, "SIGNAL", a->flags, 0))
		return -EINVAL;
	if (!a->count || a->count > PTO2_MAX_SIGNAL) {
		pto2_dbg(pdev, "SIGNAL: count %u must be 1..%u\n", a->count, PTO2_MAX_SIGNAL);
		return -EINVAL;
	}
	if (!pto2_is_attached(pf))
		return -EPERM;
	atomic_add(a->count, &pdev->comp_seq);
	wake_up_all(&pdev->comp_wq);
	return 0;
}

/**
 * struct pto2_ioctl_desc - one table entry.
 * @cmd: the full command (direction and size are taken from here).
 * @fn: handler; gets the kernel copy of the argument.
 * @undo: reverts @fn when the result cannot be copied out, or NULL.
 * @min_size: shortest user struct accepted (-EINVAL before @fn runs):
 *	an ioctl that creates something must be able to hand it back.
 */
struct pto2_ioctl_desc {
	unsigned int cmd;
	int (*fn)(struct pto2_file *pf, void *data);
	void (*undo)(struct pto2_file *pf, void *data);
	unsigned int min_size;
};

#define PTO2_IOCTL(c, f, u, m) [_IOC_NR(c)] = { .cmd = c, .fn = f, .undo = u, .min_size = m }

static const struct pto2_ioctl_desc pto2_ioctls[] = {
	PTO2_IOCTL(PTO2_IOC_INFO, pto2_ioc_info, NULL, 0),
	/* every output (handle .. alloc_size) is in the first version */
	PTO2_IOCTL(PTO2_IOC_MEM_ALLOC, pto2_ioc_mem_alloc, pto2_ioc_mem_alloc_undo,
		   sizeof(struct pto2_mem_alloc)),
	PTO2_IOCTL(PTO2_IOC_MEM_FREE, pto2_ioc_mem_free, NULL, 0),
	PTO2_IOCTL(PTO2_IOC_ATTACH, pto2_ioc_attach, NULL, 0),
	PTO2_IOCTL(PTO2_IOC_WAIT, pto2_ioc_wait, NULL, 0),
	PTO2_IOCTL(PTO2_IOC_SIGNAL, pto2_ioc_signal, NULL, 0),
};

long pto2_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct pto2_file *pf = file->private_data;
	struct pto2_dev *pdev = pf->pdev;
	void __user *uptr = (void __user *)arg;
	const struct pto2_ioctl_desc *desc;
	union pto2_ioctl_args args;
	unsigned int nr, usize, ksize;
	int ret, idx;

	nr = _IOC_NR(cmd);
	if (_IOC_TYPE(cmd) != PTO2_IOC_MAGIC || nr >= ARRAY_SIZE(pto2_ioctls))
		return -ENOTTY;
	nr = array_index_nospec(nr, ARRAY_SIZE(pto2_ioctls));
	desc = &pto2_ioctls[nr];
	if (!desc->fn)
		return -ENOTTY;

	ksize = _IOC_SIZE(desc->cmd);
	usize = _IOC_SIZE(cmd);
	BUILD_BUG_ON(sizeof(args) > 256);
	if (WARN_ON_ONCE(ksize > sizeof(args)))
		return -EINVAL;
	if (usize < desc->min_size) {
		pto2_dbg(pdev, "ioctl %#x: struct of %u bytes, at least %u needed\n",
			 nr, usize, desc->min_size);
		ret = -EINVAL;
		goto out;
	}

	/* every ioctl takes input; zero-extends a short struct, rejects a non-zero tail */
	ret = copy_struct_from_user(&args, ksize, uptr, usize);
	if (ret)
		goto out;

	ret = pto2_dev_enter(pdev, &idx);
	if (!ret)
		ret = desc->fn(pf, &args);
	if (!ret && (_IOC_DIR(desc->cmd) & _IOC_READ) &&
	    copy_to_user(uptr, &args, min(usize, ksize))) {
		if (desc->undo)
			desc->undo(pf, &args);
		ret = -EFAULT;
	}
	pto2_dev_exit(pdev, idx);
out:
	pto2_count_reject(pdev, ret);
	return ret;
}
