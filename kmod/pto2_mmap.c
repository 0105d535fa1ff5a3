// SPDX-License-Identifier: GPL-2.0
/*
 * pto2_mmap.c - the mmap offset namespace of /dev/pto2.
 *
 * The offset names (type, id), see PTO2_MMAP_OFFSET().  A mapping must be
 * exactly the object's size, MAP_SHARED and never executable; it cannot be
 * expanded, split or copied into a child (VM_IO makes madvise(MADV_DOFORK)
 * fail with -EINVAL, so VM_DONTCOPY stays; it also keeps get_user_pages()
 * from pinning device memory past an unplug).  Each VMA holds one reference on
 * what it maps (the memory object, or the device for register windows and
 * the aperture), taken in ->mmap/->open and dropped in ->close.
 */
#include <linux/mm.h>

#include "pto2_drv.h"

static_assert(PTO2_MMAP_ID_SHIFT == PAGE_SHIFT, "mmap ids count pages");

static void pto2_vma_count(struct vm_area_struct *vma, int delta)
{
	struct pto2_file *pf = vma->vm_file->private_data;

	atomic_add(delta, &pf->pdev->stats.mappings);
}

static void pto2_mem_vm_open(struct vm_area_struct *vma)
{
	pto2_mem_get(vma->vm_private_data);
	pto2_vma_count(vma, 1);
}

static void pto2_mem_vm_close(struct vm_area_struct *vma)
{
	pto2_vma_count(vma, -1);
	pto2_mem_put(vma->vm_private_data);
}

static void pto2_dev_vm_open(struct vm_area_struct *vma)
{
	pto2_dev_get(vma->vm_private_data);
	pto2_vma_count(vma, 1);
}

static void pto2_dev_vm_close(struct vm_area_struct *vma)
{
	pto2_vma_count(vma, -1);
	pto2_dev_put(vma->vm_private_data);
}

/* the VMA always covers exactly one object */
static int pto2_vm_may_split(struct vm_area_struct *vma, unsigned long addr)
{
	return -EINVAL;
}

static const struct vm_operations_struct pto2_mem_vm_ops = {
	.open = pto2_mem_vm_open,
	.close = pto2_mem_vm_close,
	.may_split = pto2_vm_may_split,
};

static const struct vm_operations_struct pto2_dev_vm_ops = {
	.open = pto2_dev_vm_open,
	.close = pto2_dev_vm_close,
	.may_split = pto2_vm_may_split,
};

/* Map register windows or the aperture; the VMA then holds a device reference. */
static int pto2_mmap_dev(struct pto2_file *pf, struct vm_area_struct *vma,
			 unsigned long type, unsigned long id, unsigned long len)
{
	struct pto2_dev *pdev = pf->pdev;
	int ret;

	switch (type) {
	case PTO2_MMAP_REGS:
		if (id >= pdev->num_cores || len != PAGE_SIZE)
			return -EINVAL;
		/*
		 * A soft device's cores are a privileged process's threads: only
		 * that process may dispatch to them, everyone else only looks.
		 */
		if (pdev->platform == PTO2_PLATFORM_SOFT && !pto2_is_attached(pf)) {
			if (vma->vm_flags & VM_WRITE)
				return -EACCES;
			vma->vm_flags &= ~VM_MAYWRITE;
		}
		ret = pdev->ops->map_regs(pdev, vma, id, 1);
		break;
	case PTO2_MMAP_REGS_ALL:
		if (id || len != (unsigned long)pdev->num_cores * PAGE_SIZE)
			return -EINVAL;
		if (!pto2_is_attached(pf))
			return -EPERM;
		ret = pdev->ops->map_regs(pdev, vma, 0, pdev->num_cores);
		break;
	case PTO2_MMAP_APERTURE:
		if (id || len != pdev->mem_size)
			return -EINVAL;
		if (!pto2_is_attached(pf))
			return -EPERM;
		ret = pdev->ops->map_mem(pdev, vma, 0);
		break;
	default:
		return -EINVAL;
	}
	if (ret)
		return ret;
	vma->vm_ops = &pto2_dev_vm_ops;
	vma->vm_private_data = pdev;
	pto2_dev_vm_open(vma);
	return 0;
}

static int pto2_mmap_mem(struct pto2_file *pf, struct vm_area_struct *vma,
			 unsigned long id, unsigned long len)
{
	struct pto2_dev *pdev = pf->pdev;
	struct pto2_mem_obj *obj;
	int ret;

	obj = pto2_mem_lookup(pf, id);
	if (!obj)
		return -EINVAL;
	if (len != obj->size) {
		ret = -EINVAL;
		goto out_put;
	}
	ret = pdev->ops->map_mem(pdev, vma, obj->dev_addr);
	if (ret)
		goto out_put;
	vma->vm_ops = &pto2_mem_vm_ops;
	/* the lookup's reference now belongs to the VMA */
	vma->vm_private_data = obj;
	pto2_vma_count(vma, 1);
	return 0;

out_put:
	pto2_mem_put(obj);
	return ret;
}

int pto2_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct pto2_file *pf = file->private_data;
	struct pto2_dev *pdev = pf->pdev;
	unsigned long len = vma->vm_end - vma->vm_start;
	unsigned long type = vma->vm_pgoff >> (PTO2_MMAP_TYPE_SHIFT - PAGE_SHIFT);
	unsigned long id = vma->vm_pgoff & PTO2_MMAP_ID_MASK;
	int ret, idx;

	if (!(vma->vm_flags & VM_SHARED)) {
		ret = -EINVAL;
		goto out_reject;
	}
	if (vma->vm_flags & VM_EXEC) {
		ret = -EPERM;
		goto out_reject;
	}

	/* fixed before the backend maps, so a partial failure unwinds cleanly */
	vma->vm_flags |= VM_IO | VM_DONTEXPAND | VM_DONTCOPY | VM_DONTDUMP | VM_NORESERVE;
	vma->vm_flags &= ~VM_MAYEXEC;

	ret = pto2_dev_enter(pdev, &idx);
	if (!ret && type == PTO2_MMAP_MEM)
		ret = pto2_mmap_mem(pf, vma, id, len);
	else if (!ret)
		ret = pto2_mmap_dev(pf, vma, type, id, len);
	pto2_dev_exit(pdev, idx);
	if (!ret)
		return 0;

out_reject:
	pto2_count_reject(pdev, ret);
	pto2_dbg(pdev, "mmap offset %#llx size %lu flags %#lx refused: %d\n",
		 (u64)vma->vm_pgoff << PAGE_SHIFT, len, vma->vm_flags, ret);
	return ret;
}
