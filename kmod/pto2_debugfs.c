// SPDX-License-Identifier: GPL-2.0
/*
 * pto2_debugfs.c - test knobs under /sys/kernel/debug/pto2 (no ABI promise).
 *
 * soft<i>_unplug (one per soft device slot i): write 1 to unplug soft
 * device i the way a hot-removed PCI device goes away (open files get
 * -ENODEV, mappings are zapped, sleepers wake), the other devices keep
 * serving; write 0 to plug a fresh one in from the module parameters.
 * soft_unplug is soft0_unplug (its name from when there was one device).
 *
 * <node>/state (pto2/state, pto2-1/state ...): the live state of that
 * device - its size and free memory, the attached emulator, and every open
 * file with its opener and its memory objects.  The top-level state is
 * that of /dev/pto2's device.
 */
#include <linux/debugfs.h>
#include <linux/kstrtox.h>
#include <linux/seq_file.h>

#include "pto2_drv.h"

static struct dentry *pto2_debugfs_dir;
/* the knobs, removed first at unload so nothing plugs a device back in */
static struct dentry *pto2_debugfs_knobs[PTO2_MAX_SOFT + 1];

static ssize_t pto2_soft_unplug_write(struct file *file, const char __user *ubuf,
				      size_t len, loff_t *ppos)
{
	unsigned int slot = (uintptr_t)file->private_data;
	bool unplug;
	int ret;

	ret = kstrtobool_from_user(ubuf, len, &unplug);
	if (ret)
		return ret;
	ret = unplug ? pto2_soft_unplug(slot) : pto2_soft_plug(slot);
	return ret ? ret : len;
}

static const struct file_operations pto2_soft_unplug_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = pto2_soft_unplug_write,
	.llseek = no_llseek,
};

static void pto2_state_file(struct seq_file *m, struct pto2_dev *pdev, struct pto2_file *pf)
{
	struct pto2_mem_obj *obj;
	unsigned long handle;
	u64 bytes = 0;
	u32 count = 0;

	/* a spinlock: the objects cannot go while it is held, and seq_printf() does not sleep */
	xa_lock(&pf->objs);
	xa_for_each(&pf->objs, handle, obj) {
		count++;
		bytes += obj->size;
	}
	seq_printf(m, "file: pid %d (%s), %u objects, %llu bytes%s\n", pf->pid, pf->comm,
		   count, bytes, pdev->attached == pf->file ? ", attached" : "");
	xa_for_each(&pf->objs, handle, obj)
		seq_printf(m, "  object %lu: dev_addr %#llx size %llu\n", handle,
			   obj->dev_addr, obj->size);
	xa_unlock(&pf->objs);
}

static void pto2_state_dev(struct seq_file *m, struct pto2_dev *pdev)
{
	struct pto2_file *pf;
	u32 files = 0;

	seq_printf(m, "device: %s, %u clusters, %u cores, mem_size %llu, mem_free %lld\n",
		   pdev->platform == PTO2_PLATFORM_SOFT ? "soft" : "hw", pdev->num_clusters,
		   pdev->num_cores, pdev->mem_size, (long long)atomic64_read(&pdev->mem_free));
	seq_printf(m, "objects: %d, mappings: %d\n", atomic_read(&pdev->stats.objects),
		   atomic_read(&pdev->stats.mappings));
	mutex_lock(&pdev->lock);
	list_for_each_entry(pf, &pdev->files, link)
		files++;
	seq_printf(m, "files: %u\n", files);
	if (pdev->attached) {
		pf = pdev->attached->private_data;
		seq_printf(m, "attached: pid %d (%s)\n", pf->pid, pf->comm);
	} else {
		seq_puts(m, "attached: none\n");
	}
	list_for_each_entry(pf, &pdev->files, link)
		pto2_state_file(m, pdev, pf);
	mutex_unlock(&pdev->lock);
}

/* Top-level state: /dev/pto2's device, whichever it is now. */
static int pto2_state_show(struct seq_file *m, void *unused)
{
	struct pto2_dev *pdev = pto2_dev_get_index(0);

	if (!pdev) {
		seq_puts(m, "device: none\n");
		return 0;
	}
	pto2_state_dev(m, pdev);
	pto2_dev_put(pdev);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pto2_state);

/*
 * <node>/state: its device is m->private; pto2_debugfs_dev_remove() waits
 * for readers in flight (debugfs' removal protection) before unplug goes on.
 */
static int pto2_dev_state_show(struct seq_file *m, void *unused)
{
	pto2_state_dev(m, m->private);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pto2_dev_state);

/* Root directory and the top-level state, before any device registers. */
void pto2_debugfs_init(void)
{
	/* debugfs is optional: failures only lose the knobs */
	pto2_debugfs_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("state", 0400, pto2_debugfs_dir, NULL, &pto2_state_fops);
}

/* The unplug knobs, one per soft slot, once the devices of the load exist. */
void pto2_debugfs_knobs_init(void)
{
	unsigned int slot;
	char name[24];

	pto2_debugfs_knobs[0] = debugfs_create_file("soft_unplug", 0200, pto2_debugfs_dir,
						    (void *)0, &pto2_soft_unplug_fops);
	for (slot = 0; slot < pto2_soft_slots(); slot++) {
		snprintf(name, sizeof(name), "soft%u_unplug", slot);
		pto2_debugfs_knobs[slot + 1] =
			debugfs_create_file(name, 0200, pto2_debugfs_dir,
					    (void *)(uintptr_t)slot, &pto2_soft_unplug_fops);
	}
}

/* Waits for writes in flight, so no knob plugs a device after this. */
void pto2_debugfs_knobs_fini(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pto2_debugfs_knobs); i++) {
		debugfs_remove(pto2_debugfs_knobs[i]);
		pto2_debugfs_knobs[i] = NULL;
	}
}

void pto2_debugfs_fini(void)
{
	debugfs_remove_recursive(pto2_debugfs_dir);
}

/* @pdev's directory, named like its node. */
void pto2_debugfs_dev_add(struct pto2_dev *pdev)
{
	pdev->debugfs = debugfs_create_dir(pdev->name, pto2_debugfs_dir);
	debugfs_create_file("state", 0400, pdev->debugfs, pdev, &pto2_dev_state_fops);
}

void pto2_debugfs_dev_remove(struct pto2_dev *pdev)
{
	debugfs_remove_recursive(pdev->debugfs);
	pdev->debugfs = NULL;
}
