// SPDX-License-Identifier: GPL-2.0
/*
 * pto2_main.c - module entry: the device-wide parameters (cpus, debug), the
 * device registry and node naming, device lifetime (kref + SRCU unplug
 * gate) and the per-open context.
 *
 * Any number of devices at once: every PCI device the driver binds, then
 * the soft devices of the soft/soft_count parameters (pto2_soft.c).  Each
 * gets the lowest free index when it registers: index 0 is /dev/pto2, index
 * N > 0 is /dev/pto2-N (docs/kmod.md, "Several devices"), the names libpto's
 * enumeration looks for.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/genalloc.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "pto2_drv.h"

static char *cpus = "";
module_param(cpus, charp, 0444);
MODULE_PARM_DESC(cpus, "CPU list recommended for scheduler threads, one per soft device separated by ';' (\"0;1\"), the last repeating; hardware gets the first (default none)");

bool pto2_debug;
module_param_named(debug, pto2_debug, bool, 0644);
MODULE_PARM_DESC(debug, "log why requests are rejected (rate-limited)");

/* protects pto2_devs (a lookup takes its reference under it); serialises misc_register() */
static DEFINE_MUTEX(pto2_reg_lock);
/* index -> registered device (its node is /dev/pto2 or /dev/pto2-<index>) */
static DEFINE_XARRAY_ALLOC(pto2_devs);
/* the cpus entries: soft slot i gets entry min(i, pto2_num_cpu_masks - 1) */
static struct cpumask pto2_cpu_masks[PTO2_MAX_SOFT];
static unsigned int pto2_num_cpu_masks;

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
 * pto2_dev_get_index() - the registered device with index @index, referenced.
 * @index: 0 for /dev/pto2, N for /dev/pto2-N.
 *
 * Return: the device (pto2_dev_put() it) or NULL when there is none.
 */
struct pto2_dev *pto2_dev_get_index(int index)
{
	struct pto2_dev *pdev;

	mutex_lock(&pto2_reg_lock);
	pdev = xa_load(&pto2_devs, index);
	if (pdev)
		pto2_dev_get(pdev);
	mutex_unlock(&pto2_reg_lock);
	return pdev;
}

/* Whether any device is registered (the soft default needs none bound). */
bool pto2_dev_registered(void)
{
	bool ret;

	mutex_lock(&pto2_reg_lock);
	ret = !xa_empty(&pto2_devs);
	mutex_unlock(&pto2_reg_lock);
	return ret;
}

/**
 * pto2_cpus_for() - the CPU recommendation of soft slot @slot.
 * @slot: soft device slot (hardware uses 0).
 *
 * Return: the cpus entry of @slot, the last one when the list is shorter,
 * or an empty mask when cpus is empty.
 */
const struct cpumask *pto2_cpus_for(unsigned int slot)
{
	if (!pto2_num_cpu_masks)
		return cpu_none_mask;
	return &pto2_cpu_masks[min(slot, pto2_num_cpu_masks - 1)];
}

/**
 * pto2_dev_create() - build a device and register its node.
 * @platform: enum pto2_platform.
 * @num_clusters: clusters, 1..%PTO2_MAX_CLUSTERS.
 * @mem_size: bytes of device memory, page multiple, at least two pages.
 * @cpus: CPUs recommended for scheduler threads (at most %PTO2_MAX_CPUS).
 * @ops: backend.
 * @backend: backend data (released through @ops->fini once the device is freed).
 * @parent: parent device (PCI) or NULL.
 *
 * The device takes the lowest free index and its node is /dev/pto2 (index
 * 0) or /dev/pto2-<index>.  It is complete (backend included) before the
 * node appears, so an open racing with the registration finds nothing
 * half-built.  The caller owns one reference, dropped after
 * pto2_dev_unplug().
 *
 * Return: the device, or ERR_PTR(-EBUSY) when %PTO2_MAX_DEVICES are
 * registered, -EINVAL, -ENOMEM or misc_register()'s error.  On error
 * @backend is still the caller's.
 */
struct pto2_dev *pto2_dev_create(u32 platform, u32 num_clusters, u64 mem_size,
				 const struct cpumask *cpus,
				 const struct pto2_backend_ops *ops, void *backend,
				 struct device *parent)
{
	struct pto2_dev *pdev;
	unsigned int cpu;
	u32 id;
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
	for_each_cpu(cpu, cpus) {
		if (pdev->num_cpus == PTO2_MAX_CPUS)
			break;
		pdev->cpus[pdev->num_cpus++] = cpu;
	}

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
	pdev->misc.name = pdev->name;
	pdev->misc.fops = &pto2_fops;
	pdev->misc.mode = 0660;
	pdev->misc.parent = parent;
	pdev->misc.groups = pto2_attr_groups;

	mutex_lock(&pto2_reg_lock);
	/* reserved (NULL entry) until the node exists: lookups see no half-built device */
	ret = xa_alloc(&pto2_devs, &id, NULL, XA_LIMIT(0, PTO2_MAX_DEVICES - 1), GFP_KERNEL);
	if (ret)
		goto err_unlock;
	pdev->index = id;
	if (id)
		snprintf(pdev->name, sizeof(pdev->name), "pto2-%u", id);
	else
		strscpy(pdev->name, "pto2", sizeof(pdev->name));
	/* before the node exists: an open + mmap may arrive as soon as it does */
	pdev->backend = backend;
	ret = misc_register(&pdev->misc);
	if (ret) {
		pdev->backend = NULL;
		goto err_release_index;
	}
	pdev->kdev = get_device(pdev->misc.this_device);
	xa_store(&pto2_devs, id, pdev, GFP_KERNEL);	/* the slot exists: cannot fail */
	mutex_unlock(&pto2_reg_lock);
	pto2_debugfs_dev_add(pdev);
	return pdev;

err_release_index:
	xa_erase(&pto2_devs, id);
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
 * pto2_dev_unplug() - take a device's node (and debugfs directory) away.
 * @pdev: device.
 *
 * Other devices are untouched.  Its index is free again once this
 * returns.  New opens fail; calls in flight finish; later calls fail with -ENODEV;
 * sleepers wake; every user mapping is zapped (a later access gets
 * SIGBUS), and then the backend drops the memory no mapping can reach.
 * The rest goes with the last reference.
 */
void pto2_dev_unplug(struct pto2_dev *pdev)
{
	/* first: a state reader in flight finishes before this returns */
	pto2_debugfs_dev_remove(pdev);
	mutex_lock(&pto2_reg_lock);
	misc_deregister(&pdev->misc);
	xa_erase(&pto2_devs, pdev->index);
	mutex_unlock(&pto2_reg_lock);

	WRITE_ONCE(pdev->unplugged, true);
	wake_up_all(&pdev->comp_wq);
	synchronize_srcu(&pdev->srcu);

	unmap_mapping_range(pdev->inode->i_mapping, 0, 0, 1);
	if (pdev->ops->unplug)
		pdev->ops->unplug(pdev);
}

/*
 * While an unprivileged emulator is attached, the aperture it maps would
 * show the memory objects of any other user's file: such opens are
 * refused (the attacher was alone with its own uid's files when it
 * attached, see pto2_ioc_attach()).  Under @pdev->lock.
 */
static bool pto2_open_allowed(struct pto2_dev *pdev, struct file *file)
{
	return !pdev->attached || !pdev->attached_unpriv ||
	       uid_eq(pdev->attached->f_cred->euid, file->f_cred->euid);
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

	mutex_lock(&pdev->lock);
	if (!pto2_open_allowed(pdev, file)) {
		mutex_unlock(&pdev->lock);
		pto2_dbg(pdev, "open: another user's unprivileged emulator is attached\n");
		ret = -EBUSY;
		goto err_free;
	}
	list_add_tail(&pf->link, &pdev->files);
	mutex_unlock(&pdev->lock);

	/*
	 * Every file shares the device's own address_space, whatever node it
	 * was opened through, so unplug can zap all mappings with one
	 * unmap_mapping_range().
	 */
	file->f_mapping = pdev->inode->i_mapping;
	pto2_dev_get(pdev);
	atomic_inc(&pdev->stats.opens);
	file->private_data = pf;
	ret = nonseekable_open(inode, file);
	goto out_exit;

err_free:
	kfree(pf);
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

/* One cpus entry (@i: its position, for the message) into @mask. */
static int __init pto2_parse_cpu_entry(const char *entry, unsigned int i, struct cpumask *mask)
{
	int ret;

	cpumask_clear(mask);
	if (!*entry)
		return 0;
	ret = cpulist_parse(entry, mask);
	if (ret) {
		pr_err("cpus entry %u (\"%s\") is not a CPU list\n", i, entry);
		return ret;
	}
	if (cpumask_weight(mask) > PTO2_MAX_CPUS || cpumask_last(mask) > U16_MAX) {
		pr_err("cpus entry %u (\"%s\"): at most %d CPUs\n", i, entry, PTO2_MAX_CPUS);
		return -EINVAL;
	}
	return 0;
}

/* cpus: one CPU list per soft device, separated by ';'. */
static int __init pto2_parse_cpus(void)
{
	char *copy, *rest, *entry;
	unsigned int n = 0;
	int ret = 0;

	pto2_num_cpu_masks = 0;
	if (!cpus || !*cpus)
		return 0;
	copy = kstrdup(cpus, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	rest = copy;
	while ((entry = strsep(&rest, ";"))) {
		if (n == PTO2_MAX_SOFT) {
			pr_err("cpus=\"%s\": more than %d entries\n", cpus, PTO2_MAX_SOFT);
			ret = -EINVAL;
			break;
		}
		ret = pto2_parse_cpu_entry(entry, n, &pto2_cpu_masks[n]);
		if (ret)
			break;
		n++;
	}
	kfree(copy);
	if (!ret)
		pto2_num_cpu_masks = n;
	return ret;
}

/* A list with more entries than there are soft devices names a device that does not exist. */
static int __init pto2_check_cpus_count(void)
{
	if (pto2_num_cpu_masks > max(pto2_soft_slots(), 1U)) {
		pr_err("cpus=\"%s\": %u entries for %u soft devices (set soft_count)\n",
		       cpus, pto2_num_cpu_masks, max(pto2_soft_slots(), 1U));
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
	ret = pto2_check_cpus_count();
	if (ret)
		return ret;
	ret = pto2_inode_init();
	if (ret)
		return ret;
	/* the root directory first: every device adds its own directory to it */
	pto2_debugfs_init();

	ret = pto2_pci_register();
	if (ret)
		goto err_debugfs;
	ret = pto2_soft_plug_at_load();
	if (ret)
		goto err_unplug_soft;
	/* last: a knob may plug a device as soon as it exists */
	pto2_debugfs_knobs_init();
	return 0;

err_unplug_soft:
	pto2_soft_unplug_all();
	pto2_pci_unregister();
err_debugfs:
	pto2_debugfs_fini();
	pto2_inode_fini();
	return ret;
}

static void __exit pto2_exit(void)
{
	/* first, so no debugfs write can plug a device back in */
	pto2_debugfs_knobs_fini();
	pto2_soft_unplug_all();
	pto2_pci_unregister();
	pto2_debugfs_fini();
	/* last: no file or mapping (fops.owner) and so no device is left */
	pto2_inode_fini();
	xa_destroy(&pto2_devs);
}

module_init(pto2_init);
module_exit(pto2_exit);

MODULE_DESCRIPTION("pto2 NPU driver: /dev/pto2 and /dev/pto2-N, soft devices and PCI hardware");
MODULE_AUTHOR("The pto2 maintainers");
/* the module's own version; the ioctl ABI it speaks is PTO2_ABI_VERSION (INFO, sysfs) */
MODULE_VERSION(PTO2_VERSION);
MODULE_LICENSE("GPL");
