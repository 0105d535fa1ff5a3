// SPDX-License-Identifier: GPL-2.0
/*
 * pto2_soft.c - the soft device: register windows and device memory are
 * zeroed kernel pages (vmalloc_user), nothing executes behind them until a
 * core emulator in user space ATTACHes and maps them.  Its module
 * parameters and its plug/unplug (the debugfs knob) live here too.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/moduleparam.h>
#include <linux/vmalloc.h>

#include "pto2_drv.h"

static unsigned int clusters = PTO2_DEFAULT_CLUSTERS;
module_param(clusters, uint, 0444);
MODULE_PARM_DESC(clusters, "soft device: clusters (1 AIC + 2 AIV each), 1..64 (default 24)");

static unsigned int mem_mb = 64;
module_param(mem_mb, uint, 0444);
MODULE_PARM_DESC(mem_mb, "soft device: device memory in MiB, 1..16384 (default 64)");

static bool soft = true;
module_param(soft, bool, 0444);
MODULE_PARM_DESC(soft, "create the soft device when no hardware is bound (default 1)");

static DEFINE_MUTEX(pto2_soft_lock);	/* protects pto2_soft_dev */
static struct pto2_dev *pto2_soft_dev;

/**
 * struct pto2_soft - soft backend state.
 * @regs: num_cores register windows, core 0 first.
 * @mem: device memory; device address = offset.
 */
struct pto2_soft {
	void *regs;
	void *mem;
};

static int pto2_soft_map_regs(struct pto2_dev *pdev, struct vm_area_struct *vma,
			      u32 first_core, u32 count)
{
	struct pto2_soft *s = pdev->backend;

	return remap_vmalloc_range(vma, s->regs, first_core);
}

static int pto2_soft_map_mem(struct pto2_dev *pdev, struct vm_area_struct *vma, u64 dev_addr)
{
	struct pto2_soft *s = pdev->backend;

	return remap_vmalloc_range(vma, s->mem, dev_addr >> PAGE_SHIFT);
}

/* Power-on state: identity fields, IDLE dispatch register, IDLE COND. */
static void pto2_soft_reset(struct pto2_soft *s, u32 nc)
{
	u32 core;

	for (core = 0; core < nc * PTO2_CORES_PER_CLUSTER; core++) {
		struct pto2_core_regs *r = s->regs + (size_t)core * PAGE_SIZE;

		memset(r, 0, sizeof(*r));
		r->core_id = core;
		r->core_type = PTO2_CORE_TYPE(nc, core);
		r->cluster_id = PTO2_CORE_CLUSTER(nc, core);
		r->sub_block_id = PTO2_CORE_LANE(nc, core);
		r->data_main_base = PTO2_REG_IDLE;
		r->cond = PTO2_COND_IDLE;
	}
	/* published to user space by the ATTACH return (or, at creation, misc_register()) */
	smp_wmb();
}

static void pto2_soft_reset_regs(struct pto2_dev *pdev)
{
	pto2_soft_reset(pdev->backend, pdev->num_clusters);
}

/* inside the unplug gate (see pto2_mem.c), so @mem is still there */
static void pto2_soft_scrub(struct pto2_dev *pdev, u64 dev_addr, u64 size)
{
	struct pto2_soft *s = pdev->backend;

	memset(s->mem + dev_addr, 0, size);
}

/*
 * After the zap no mapping reaches the pages, no new one can be made and
 * every other use of them is inside the gate, so they go now rather than
 * with the last old file.  A page some VMA still maps (an mmap that was
 * linked after the zap) keeps its own page reference until munmap().
 */
static void pto2_soft_unplug_mem(struct pto2_dev *pdev)
{
	struct pto2_soft *s = pdev->backend;

	vfree(s->mem);
	s->mem = NULL;
	vfree(s->regs);
	s->regs = NULL;
}

static void pto2_soft_fini(struct pto2_dev *pdev)
{
	struct pto2_soft *s = pdev->backend;

	if (!s)
		return;
	vfree(s->mem);
	vfree(s->regs);
	kfree(s);
}

static const struct pto2_backend_ops pto2_soft_ops = {
	.map_regs = pto2_soft_map_regs,
	.map_mem = pto2_soft_map_mem,
	.reset_regs = pto2_soft_reset_regs,
	.scrub = pto2_soft_scrub,
	.unplug = pto2_soft_unplug_mem,
	.fini = pto2_soft_fini,
};

/**
 * pto2_soft_create() - build and register the soft device.
 * @num_clusters: clusters.
 * @mem_size: bytes of device memory (page multiple).
 *
 * Return: the device (the caller owns one reference) or an ERR_PTR.
 */
static struct pto2_dev *pto2_soft_create(u32 num_clusters, u64 mem_size)
{
	u32 num_cores = num_clusters * PTO2_CORES_PER_CLUSTER;
	struct pto2_soft *s;
	struct pto2_dev *pdev;
	int ret;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return ERR_PTR(-ENOMEM);
	ret = -ENOMEM;
	s->regs = vmalloc_user((size_t)num_cores * PAGE_SIZE);
	if (!s->regs)
		goto err_free;
	s->mem = vmalloc_user(mem_size);
	if (!s->mem)
		goto err_free_regs;
	/* before /dev/pto2 exists: a reader may map a window as soon as it does */
	pto2_soft_reset(s, num_clusters);

	pdev = pto2_dev_create(PTO2_PLATFORM_SOFT, num_clusters, mem_size,
			       &pto2_soft_ops, s, NULL);
	if (IS_ERR(pdev)) {
		ret = PTR_ERR(pdev);
		goto err_free_mem;
	}
	return pdev;

err_free_mem:
	vfree(s->mem);
err_free_regs:
	vfree(s->regs);
err_free:
	kfree(s);
	return ERR_PTR(ret);
}

/**
 * pto2_soft_check_params() - validate the soft device's parameters at load.
 *
 * Return: 0, or -EINVAL (dmesg names the parameter).
 */
int __init pto2_soft_check_params(void)
{
	if (!clusters || clusters > PTO2_MAX_CLUSTERS) {
		pr_err("clusters=%u: must be 1..%d\n", clusters, PTO2_MAX_CLUSTERS);
		return -EINVAL;
	}
	if (!mem_mb || mem_mb > 16384) {
		pr_err("mem_mb=%u: must be 1..16384\n", mem_mb);
		return -EINVAL;
	}
	return 0;
}

/* soft=1: create the soft device when no hardware is bound. */
bool __init pto2_soft_wanted(void)
{
	return soft;
}

/**
 * pto2_soft_plug() - create the soft device from the module parameters.
 *
 * Return: 0, -EBUSY when /dev/pto2 already has a device, or the error of
 * pto2_soft_create().
 */
int pto2_soft_plug(void)
{
	struct pto2_dev *pdev;
	int ret = 0;

	mutex_lock(&pto2_soft_lock);
	if (pto2_soft_dev) {
		ret = -EBUSY;
		goto out_unlock;
	}
	pdev = pto2_soft_create(clusters, (u64)mem_mb << 20);
	if (IS_ERR(pdev)) {
		ret = PTR_ERR(pdev);
		goto out_unlock;
	}
	pto2_soft_dev = pdev;
	pr_info("soft device: %u clusters, %u MiB, %u scheduler CPUs\n",
		clusters, mem_mb, pdev->num_cpus);
out_unlock:
	mutex_unlock(&pto2_soft_lock);
	return ret;
}

/**
 * pto2_soft_unplug() - take the soft device away, as a hot-unplug would.
 *
 * Open files and mappings keep the old device alive but not its memory:
 * every call on them fails with -ENODEV, mapped pages are zapped and the
 * memory is freed.
 *
 * Return: 0, or -ENODEV when there is no soft device.
 */
int pto2_soft_unplug(void)
{
	struct pto2_dev *pdev;

	mutex_lock(&pto2_soft_lock);
	pdev = pto2_soft_dev;
	pto2_soft_dev = NULL;
	mutex_unlock(&pto2_soft_lock);
	if (!pdev)
		return -ENODEV;
	pto2_dev_unplug(pdev);
	pto2_dev_put(pdev);
	pr_info("soft device unplugged\n");
	return 0;
}
