// SPDX-License-Identifier: GPL-2.0
/*
 * pto2_mem.c - memory objects: ranges of device memory named by a per-file
 * handle.
 *
 * Device addresses come from a gen_pool over [PAGE_SIZE, mem_size), so
 * address 0 is never handed out and the largest object is mem_size minus
 * that page.  An object is referenced by its handle (until MEM_FREE or
 * close) and by every mapping of it; its range goes back to the pool,
 * scrubbed, only when the last of those is gone.  It is scrubbed again
 * when it is handed out: the attached emulator can write free memory
 * through the aperture.
 */
#include <linux/genalloc.h>
#include <linux/log2.h>
#include <linux/slab.h>

#include "pto2_drv.h"

int pto2_mem_init(struct pto2_dev *pdev)
{
	int ret;

	pdev->pool = gen_pool_create(PAGE_SHIFT, NUMA_NO_NODE);
	if (!pdev->pool)
		return -ENOMEM;
	ret = gen_pool_add(pdev->pool, PAGE_SIZE, pdev->mem_size - PAGE_SIZE, NUMA_NO_NODE);
	if (ret) {
		gen_pool_destroy(pdev->pool);
		pdev->pool = NULL;
		return ret;
	}
	atomic64_set(&pdev->mem_free, pdev->mem_size - PAGE_SIZE);
	return 0;
}

void pto2_mem_fini(struct pto2_dev *pdev)
{
	/* every object holds a device reference, so the pool is empty here */
	if (pdev->pool)
		gen_pool_destroy(pdev->pool);
	pdev->pool = NULL;
}

static void pto2_mem_obj_release(struct kref *ref)
{
	struct pto2_mem_obj *obj = container_of(ref, struct pto2_mem_obj, ref);
	struct pto2_dev *pdev = obj->pdev;
	int idx;

	/*
	 * The last reference can go in munmap() or close(), outside any
	 * call: inside the gate, so unplug's synchronize_srcu() waits for
	 * this write before the backend drops the memory (after unplug
	 * there is nothing left to scrub).
	 */
	if (!pto2_dev_enter(pdev, &idx))
		pdev->ops->scrub(pdev, obj->dev_addr, obj->size);
	pto2_dev_exit(pdev, idx);
	gen_pool_free(pdev->pool, obj->dev_addr, obj->size);
	atomic64_add(obj->size, &pdev->mem_free);
	atomic_dec(&pdev->stats.objects);
	kfree(obj);
	pto2_dev_put(pdev);
}

void pto2_mem_get(struct pto2_mem_obj *obj)
{
	kref_get(&obj->ref);
}

void pto2_mem_put(struct pto2_mem_obj *obj)
{
	kref_put(&obj->ref, pto2_mem_obj_release);
}

/**
 * pto2_mem_alloc() - MEM_ALLOC after the MBZ checks.
 * @pf: file that will own the handle.
 * @a: request; the outputs are filled on success.
 *
 * Called inside the unplug gate (an ioctl).
 *
 * Return: 0, -EINVAL for a size outside 1..mem_size - PAGE_SIZE or a bad alignment,
 * -ENOMEM when no free range fits, -ENOSPC when the file holds
 * %PTO2_MAX_HANDLES objects.
 */
int pto2_mem_alloc(struct pto2_file *pf, struct pto2_mem_alloc *a)
{
	struct pto2_dev *pdev = pf->pdev;
	struct genpool_data_align align = { .align = PAGE_SIZE };
	struct pto2_mem_obj *obj;
	unsigned long addr;
	u64 size;
	u32 handle;
	int ret;

	/* bounded by the pool first, so PAGE_ALIGN() cannot wrap */
	if (!a->size || a->size > pdev->mem_size - PAGE_SIZE) {
		pto2_dbg(pdev, "MEM_ALLOC: size %llu must be 1..%llu\n", a->size,
			 pdev->mem_size - PAGE_SIZE);
		return -EINVAL;
	}
	if (a->align && (!is_power_of_2(a->align) || a->align > PTO2_MAX_ALIGN)) {
		pto2_dbg(pdev, "MEM_ALLOC: align %u must be 0 or a power of two <= %u\n",
			 a->align, PTO2_MAX_ALIGN);
		return -EINVAL;
	}
	size = PAGE_ALIGN(a->size);
	if (a->align > PAGE_SIZE)
		align.align = a->align;

	obj = kzalloc(sizeof(*obj), GFP_KERNEL_ACCOUNT);
	if (!obj)
		return -ENOMEM;
	addr = gen_pool_alloc_algo(pdev->pool, size, gen_pool_first_fit_align, &align);
	if (!addr) {
		ret = -ENOMEM;
		goto err_free_obj;
	}
	/* whatever the emulator left in free memory is not the caller's business */
	pdev->ops->scrub(pdev, addr, size);
	kref_init(&obj->ref);
	obj->pdev = pdev;
	obj->dev_addr = addr;
	obj->size = size;

	ret = xa_alloc(&pf->objs, &handle, obj, XA_LIMIT(1, PTO2_MAX_HANDLES),
		       GFP_KERNEL_ACCOUNT);
	if (ret) {
		ret = ret == -EBUSY ? -ENOSPC : ret;
		goto err_pool_free;
	}

	pto2_dev_get(pdev);
	atomic64_sub(size, &pdev->mem_free);
	atomic_inc(&pdev->stats.objects);
	atomic64_inc(&pdev->stats.allocs);

	a->handle = handle;
	a->dev_addr = addr;
	a->mmap_offset = PTO2_MMAP_OFFSET(PTO2_MMAP_MEM, handle);
	a->alloc_size = size;
	return 0;

err_pool_free:
	gen_pool_free(pdev->pool, addr, size);
err_free_obj:
	kfree(obj);
	return ret;
}

/**
 * pto2_mem_free() - drop the handle's reference.
 * @pf: file owning the handle.
 * @handle: handle.
 *
 * Return: 0, or -ENOENT when @handle names no live object of @pf.
 */
int pto2_mem_free(struct pto2_file *pf, u32 handle)
{
	struct pto2_mem_obj *obj;

	obj = xa_erase(&pf->objs, handle);
	if (!obj) {
		pto2_dbg(pf->pdev, "MEM_FREE: no object with handle %u\n", handle);
		return -ENOENT;
	}
	atomic64_inc(&pf->pdev->stats.frees);
	pto2_mem_put(obj);
	return 0;
}

/**
 * pto2_mem_lookup() - find an object and take a reference.
 * @pf: file owning the handle.
 * @handle: handle.
 *
 * Return: the object (put it with pto2_mem_put()), or NULL.
 */
struct pto2_mem_obj *pto2_mem_lookup(struct pto2_file *pf, u32 handle)
{
	struct pto2_mem_obj *obj;

	/* the table's reference cannot go away while xa_lock is held */
	xa_lock(&pf->objs);
	obj = xa_load(&pf->objs, handle);
	if (obj)
		pto2_mem_get(obj);
	xa_unlock(&pf->objs);
	return obj;
}

void pto2_mem_release_all(struct pto2_file *pf)
{
	struct pto2_mem_obj *obj;
	unsigned long handle;

	xa_for_each(&pf->objs, handle, obj) {
		xa_erase(&pf->objs, handle);
		pto2_mem_put(obj);
	}
}
