// SPDX-License-Identifier: GPL-2.0
/*
 * pto2_debugfs.c - test knobs under /sys/kernel/debug/pto2 (no ABI promise).
 *
 * soft_unplug: write 1 to unplug the soft device the way a hot-removed PCI
 * device goes away (open files get -ENODEV, mappings are zapped, sleepers
 * wake); write 0 to plug a fresh one in from the module parameters.
 */
#include <linux/debugfs.h>
#include <linux/kstrtox.h>

#include "pto2_drv.h"

static struct dentry *pto2_debugfs_dir;

static ssize_t pto2_soft_unplug_write(struct file *file, const char __user *ubuf,
				      size_t len, loff_t *ppos)
{
	bool unplug;
	int ret;

	ret = kstrtobool_from_user(ubuf, len, &unplug);
	if (ret)
		return ret;
	ret = unplug ? pto2_soft_unplug() : pto2_soft_plug();
	return ret ? ret : len;
}

static const struct file_operations pto2_soft_unplug_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = pto2_soft_unplug_write,
	.llseek = no_llseek,
};

void pto2_debugfs_init(void)
{
	/* debugfs is optional: failures only lose the knobs */
	pto2_debugfs_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("soft_unplug", 0200, pto2_debugfs_dir, NULL, &pto2_soft_unplug_fops);
}

void pto2_debugfs_fini(void)
{
	debugfs_remove_recursive(pto2_debugfs_dir);
}
