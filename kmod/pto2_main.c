// SPDX-License-Identifier: GPL-2.0
/*
 * pto2_main.c - module entry: the device-wide parameters (cpus, debug), the
 * /dev/pto2 misc device, device lifetime (kref + SRCU unplug gate) and the
 * per-open context.
 *
 * One device at a time sits behind /dev/pto2: real hardware if the PCI
 * driver bound one at load time, otherwise (soft=1) a soft device built from
 * its module parameters (pto2_soft.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/genalloc.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/poll.h>
#include <linux/slab.h>

#include "pto2_drv.h"

static char *cpus = "";
module_param(cpus, charp, 0444);
MODULE_PARM_DESC(cpus, "CPU list recommended for scheduler threads, e.g. \"0-1\" (default none)");

bool pto2_debug;
module_param_named(debug, pto2_debug, bool, 0644);
MODULE_PARM_DESC(debug, "log why requests are rejected (rate-limited)");

static DEFINE_MUTEX(pto2_reg_lock);	/* protects pto2_current */
static struct pto2_dev *pto2_current;
static struct cpumask pto2_cpu_mask;

static const struct file_operations pto2_fops;

static void pto2_dev_release(struct kref *ref)
{
	struct pto2_dev *pdev = container_of(ref, struct pto2_dev, ref);

	pto2_mem_fini(pdev);
	if (pdev->ops->fini)
		pdev->ops->fini(pdev);
	put_device(pdev->kdev);
	iput(pdev->inode);
	cleanup_srcu_struct(&pdev->srcu);
	mutex_destroy(&pdev->lock);
	kfree(pdev);
}

void pto2_dev_get(struct pto2_dev *pdev)
{
	kref_get(&pdev->ref);
}

void pto2_dev_put(struct pto2_dev *pdev)
{
	kref_put(&pdev->ref, pto2_dev_release);
}

/**
 * pto2_dev_enter() - start a call that touches the device.
 * @pdev: device.
 * @idx: receives the SRCU index; pto2_dev_exit() it whatever this returns.
 *
 * Return: 0, or -ENODEV once the device was unplugged.
 */
int pto2_dev_enter(struct pto2_dev *pdev, int *idx)
	__acquires(&pdev->srcu)
{
	*idx = srcu_read_lock(&pdev->srcu);
	return READ_ONCE(pdev->unplugged) ? -ENODEV : 0;
}

void pto2_dev_exit(struct pto2_dev *pdev, int idx)
	__releases(&pdev->srcu)
{
	srcu_read_unlock(&pdev->srcu, idx);
}

/**
 * pto2_dev_get_current() - the device behind /dev/pto2 now, referenced.
 *
 * Return: the device (pto2_dev_put() it) or NULL when there is none.
 */
struct pto2_dev *pto2_dev_get_current(void)
{
	struct pto2_dev *pdev;

	mutex_lock(&pto2_reg_lock);
	pdev = pto2_current;
	if (pdev)
		pto2_dev_get(pdev);
	mutex_unlock(&pto2_reg_lock);
	return pdev;
}

bool pto2_dev_registered(void)
{
	bool ret;

	mutex_lock(&pto2_reg_lock);
	ret = pto2_current != NULL;
	mutex_unlock(&pto2_reg_lock);
	return ret;
}

/**
 * pto2_dev_create() - build a device and register /dev/pto2 for it.
 * @platform: enum pto2_platform.
 * @num_clusters: clusters, 1..%PTO2_MAX_CLUSTERS.
 * @mem_size: bytes of device memory, page multiple, at least two pages.
 * @ops: backend.
 * @backend: backend data (released through @ops->fini once the device is freed).
 * @parent: parent device (PCI) or NULL.
 *
 * The device is complete (backend included) before /dev/pto2 appears, so
 * an open racing with the registration finds nothing half-built.  The
 * caller owns one reference, dropped after pto2_dev_unplug().
 *
 * Return: the device, or ERR_PTR(-EBUSY) when /dev/pto2 already has a
 * device, -EINVAL, -ENOMEM or misc_register()'s error.  On error @backend
 * is still the caller's.
 */
struct pto2_dev *pto2_dev_create(u32 platform, u32 num_clusters, u64 mem_size,
				 const struct pto2_backend_ops *ops, void *backend,
				 struct device *parent)
{
	struct pto2_dev *pdev;
	unsigned int cpu;
	int ret;

	if (!num_clusters || num_clusters > PTO2_MAX_CLUSTERS ||
	    mem_size < 2 * PAGE_SIZE || !PAGE_ALIGNED(mem_size))
		return ERR_PTR(-EINVAL);

	pdev = kzalloc(sizeof(*pdev), GFP_KERNEL);
	if (!pdev)
		return ERR_PTR(-ENOMEM);
	kref_init(&pdev->ref);
	mutex_init(&pdev->lock);
	INIT_LIST_HEAD(&pdev->files);
	init_waitqueue_head(&pdev->comp_wq);
	pdev->platform = platform;
	pdev->num_clusters = num_clusters;
	pdev->num_cores = num_clusters * PTO2_CORES_PER_CLUSTER;
	pdev->mem_size = mem_size;
	pdev->ops = ops;
	for_each_cpu(cpu, &pto2_cpu_mask)
		pdev->cpus[pdev->num_cpus++] = cpu;

	ret = init_srcu_struct(&pdev->srcu);
	if (ret)
		goto err_free;
	ret = pto2_mem_init(pdev);
	if (ret)
		goto err_srcu;
	pdev->inode = pto2_inode_new();
	if (IS_ERR(pdev->inode)) {
		ret = PTR_ERR(pdev->inode);
		goto err_mem;
	}

	pdev->misc.minor = MISC_DYNAMIC_MINOR;
	pdev->misc.name = "pto2";
	pdev->misc.fops = &pto2_fops;
	pdev->misc.mode = 0660;
	pdev->misc.parent = parent;
	pdev->misc.groups = pto2_attr_groups;

	mutex_lock(&pto2_reg_lock);
	if (pto2_current) {
		ret = -EBUSY;
		goto err_unlock;
	}
	/* before the node exists: an open + mmap may arrive as soon as it does */
	pdev->backend = backend;
	ret = misc_register(&pdev->misc);
	if (ret) {
		pdev->backend = NULL;
		goto err_unlock;
	}
	pdev->kdev = get_device(pdev->misc.this_device);
	pto2_current = pdev;
	mutex_unlock(&pto2_reg_lock);
	return pdev;

err_unlock:
	mutex_unlock(&pto2_reg_lock);
	iput(pdev->inode);
err_mem:
	pto2_mem_fini(pdev);
err_srcu:
	cleanup_srcu_struct(&pdev->srcu);
err_free:
	mutex_destroy(&pdev->lock);
	kfree(pdev);
	return ERR_PTR(ret);
}

/**
 * pto2_dev_unplug() - take /dev/pto2 away from a device.
 * @pdev: device.
 *
 * New opens fail; calls in flight finish; later calls fail with -ENODEV;
 * sleepers wake; every user mapping is zapped (a later access gets
 * SIGBUS), and then the backend drops the memory no mapping can reach.
 * The rest goes with the last reference.
 */
void pto2_dev_unplug(struct pto2_dev *pdev)
{
	mutex_lock(&pto2_reg_lock);
	misc_deregister(&pdev->misc);
	if (pto2_current == pdev)
		pto2_current = NULL;
	mutex_unlock(&pto2_reg_lock);

	WRITE_ONCE(pdev->unplugged, true);
	wake_up_all(&pdev->comp_wq);
	synchronize_srcu(&pdev->srcu);

	unmap_mapping_range(pdev->inode->i_mapping, 0, 0, 1);
	if (pdev->ops->unplug)
		pdev->ops->unplug(pdev);
}

static int pto2_open(struct inode *inode, struct file *file)
{
	struct miscdevice *misc = file->private_data;
	struct pto2_dev *pdev = container_of(misc, struct pto2_dev, misc);
	struct pto2_file *pf;
	int ret, idx;

	ret = pto2_dev_enter(pdev, &idx);
	if (ret)
		goto out_exit;

	pf = kzalloc(sizeof(*pf), GFP_KERNEL_ACCOUNT);
	if (!pf) {
		ret = -ENOMEM;
		goto out_exit;
	}
	xa_init_flags(&pf->objs, XA_FLAGS_ALLOC1);
	pf->pdev = pdev;
	pf->file = file;
	pf->pid = task_tgid_nr(current);
	get_task_comm(pf->comm, current);
	atomic_set(&pf->seen_seq, atomic_read(&pdev->comp_seq));

	/*
	 * Every file shares the device's own address_space, whatever node it
	 * was opened through, so unplug can zap all mappings with one
	 * unmap_mapping_range().
	 */
	file->f_mapping = pdev->inode->i_mapping;
	mutex_lock(&pdev->lock);
	list_add_tail(&pf->link, &pdev->files);
	mutex_unlock(&pdev->lock);

	pto2_dev_get(pdev);
	atomic_inc(&pdev->stats.opens);
	file->private_data = pf;
	ret = nonseekable_open(inode, file);

out_exit:
	pto2_dev_exit(pdev, idx);
	return ret;
}

static int pto2_release(struct inode *inode, struct file *file)
{
	struct pto2_file *pf = file->private_data;
	struct pto2_dev *pdev = pf->pdev;

	mutex_lock(&pdev->lock);
	if (pdev->attached == file)
		WRITE_ONCE(pdev->attached, NULL);
	list_del(&pf->link);
	mutex_unlock(&pdev->lock);

	pto2_mem_release_all(pf);
	xa_destroy(&pf->objs);
	atomic_dec(&pdev->stats.opens);
	kfree(pf);
	pto2_dev_put(pdev);
	return 0;
}

static __poll_t pto2_poll(struct file *file, struct poll_table_struct *wait)
{
	struct pto2_file *pf = file->private_data;
	struct pto2_dev *pdev = pf->pdev;
	__poll_t mask = 0;

	poll_wait(file, &pdev->comp_wq, wait);
	if (READ_ONCE(pdev->unplugged))
		return EPOLLERR | EPOLLHUP;
	if (atomic_read(&pdev->comp_seq) != atomic_read(&pf->seen_seq))
		mask |= EPOLLIN | EPOLLRDNORM;
	return mask;
}

static const struct file_operations pto2_fops = {
	.owner = THIS_MODULE,
	.open = pto2_open,
	.release = pto2_release,
	.unlocked_ioctl = pto2_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = pto2_mmap,
	.poll = pto2_poll,
	.llseek = no_llseek,
};

static int __init pto2_parse_cpus(void)
{
	int ret;

	cpumask_clear(&pto2_cpu_mask);
	if (!cpus || !*cpus)
		return 0;
	ret = cpulist_parse(cpus, &pto2_cpu_mask);
	if (ret) {
		pr_err("cpus=\"%s\" is not a CPU list\n", cpus);
		return ret;
	}
	if (cpumask_weight(&pto2_cpu_mask) > PTO2_MAX_CPUS ||
	    cpumask_last(&pto2_cpu_mask) > U16_MAX) {
		pr_err("cpus=\"%s\": at most %d CPUs\n", cpus, PTO2_MAX_CPUS);
		return -EINVAL;
	}
	return 0;
}

static int __init pto2_init(void)
{
	int ret;

	ret = pto2_soft_check_params();
	if (ret)
		return ret;
	ret = pto2_parse_cpus();
	if (ret)
		return ret;
	ret = pto2_inode_init();
	if (ret)
		return ret;

	ret = pto2_pci_register();
	if (ret)
		goto err_inode;
	if (!pto2_dev_registered() && pto2_soft_wanted()) {
		ret = pto2_soft_plug();
		if (ret)
			goto err_pci;
	}
	pto2_debugfs_init();
	return 0;

err_pci:
	pto2_pci_unregister();
err_inode:
	pto2_inode_fini();
	return ret;
}

static void __exit pto2_exit(void)
{
	/* first, so no debugfs write can plug a device back in */
	pto2_debugfs_fini();
	pto2_soft_unplug();
	pto2_pci_unregister();
	/* last: no file or mapping (fops.owner) and so no device is left */
	pto2_inode_fini();
}

module_init(pto2_init);
module_exit(pto2_exit);

MODULE_DESCRIPTION("pto2 NPU driver: /dev/pto2, soft device and PCI hardware");
MODULE_AUTHOR("The pto2 maintainers");
/* the module's own version; the ioctl ABI it speaks is PTO2_ABI_VERSION (INFO, sysfs) */
MODULE_VERSION(PTO2_VERSION);
MODULE_LICENSE("GPL");
