// SPDX-License-Identifier: GPL-2.0
/*
 * pto2_inode.c - a private pseudo filesystem whose anonymous inodes give
 * each device its own address_space, the way DRM's drm_fs_inode_new() does.
 *
 * Every open file of a device points its f_mapping at the device's inode,
 * so unplug can zap all user mappings with one unmap_mapping_range(), and
 * no mapping depends on the inode of whichever device node the first
 * opener used (a tmpfs /dev of a container may be unmounted at any time).
 */
#include <linux/fs.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>

#include "pto2_drv.h"

#define PTO2_FS_MAGIC	0x70746f32	/* "pto2" */

static struct vfsmount *pto2_fs_mnt;

static int pto2_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, PTO2_FS_MAGIC) ? 0 : -ENOMEM;
}

/*
 * No .owner: the mount lives from module load to unload, and an owner
 * would make it pin the module against its own rmmod.  Only the kernel's
 * kill_anon_super() runs at unmount, from pto2_inode_fini().
 */
static struct file_system_type pto2_fs_type = {
	.name = "pto2fs",
	.init_fs_context = pto2_fs_init_fs_context,
	.kill_sb = kill_anon_super,
};

int pto2_inode_init(void)
{
	pto2_fs_mnt = kern_mount(&pto2_fs_type);
	return PTR_ERR_OR_ZERO(pto2_fs_mnt);
}

/* Every device is gone (each held an inode of this mount). */
void pto2_inode_fini(void)
{
	kern_unmount(pto2_fs_mnt);
}

/**
 * pto2_inode_new() - an anonymous inode for one device.
 *
 * Return: the inode (iput() it when the device is freed) or an ERR_PTR.
 */
struct inode *pto2_inode_new(void)
{
	return alloc_anon_inode(pto2_fs_mnt->mnt_sb);
}
