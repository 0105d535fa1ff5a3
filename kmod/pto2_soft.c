// SPDX-License-Identifier: GPL-2.0
/*
 * pto2_soft.c - the soft devices: register windows and device memory are
 * zeroed kernel pages (vmalloc_user), nothing executes behind them until a
 * core emulator in user space ATTACHes and maps them.  Their module
 * parameters and their plug/unplug (the debugfs knobs) live here too.
 *
 * Soft device slot i (0 .. soft_count - 1) takes entry i of each list
 * parameter (clusters, mem_mb, cpus); a list shorter than soft_count
 * repeats its last entry, so the single values of one soft device
 * (clusters=24 mem_mb=64) apply to every slot.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/moduleparam.h>
#include <linux/vmalloc.h>

#include "pto2_drv.h"

static unsigned int clusters[PTO2_MAX_SOFT] = { PTO2_DEFAULT_CLUSTERS };
static unsigned int nr_clusters = 1;
module_param_array(clusters, uint, &nr_clusters, 0444);
MODULE_PARM_DESC(clusters, "soft devices: clusters (1 AIC + 2 AIV each), 1..64, one per soft device (\"4,8\"), the last repeating (default 24)");

static unsigned int mem_mb[PTO2_MAX_SOFT] = { 64 };
static unsigned int nr_mem_mb = 1;
module_param_array(mem_mb, uint, &nr_mem_mb, 0444);
MODULE_PARM_DESC(mem_mb, "soft devices: device memory in MiB, 1..16384, one per soft device (\"32,64\"), the last repeating (default 64)");

static bool soft = true;
module_param(soft, bool, 0444);
MODULE_PARM_DESC(soft, "create soft devices (default 1; 0: none at all)");

static unsigned int soft_count;
module_param(soft_count, uint, 0444);
MODULE_PARM_DESC(soft_count, "number of soft devices, 0..16, beside any hardware; 0 (default): one soft device when no hardware is bound. Nodes: the first device is /dev/pto2, the next /dev/pto2-1, /dev/pto2-2 ... (lowest free number)");

static DEFINE_MUTEX(pto2_soft_lock);	/* protects pto2_soft_devs */
/* slot -> its plugged device, or NULL (unplugged by the knob, or never plugged) */
static struct pto2_dev *pto2_soft_devs[PTO2_MAX_SOFT];

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
 * pto2_soft_create() - build and register a soft device.
 * @num_clusters: clusters.
 * @mem_size: bytes of device memory (page multiple).
 * @cpus: CPUs recommended for scheduler threads.
 *
 * Return: the device (the caller owns one reference) or an ERR_PTR.
 */
static struct pto2_dev *pto2_soft_create(u32 num_clusters, u64 mem_size,
					 const struct cpumask *cpus)
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
	/* before the node exists: a reader may map a window as soon as it does */
	pto2_soft_reset(s, num_clusters);

	pdev = pto2_dev_create(PTO2_PLATFORM_SOFT, num_clusters, mem_size, cpus,
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

/* Entry @slot of a list parameter with @n entries; the last repeats. */
static unsigned int pto2_soft_param(const unsigned int *list, unsigned int n, unsigned int slot)
{
	return list[min(slot, n - 1)];
}

/*
 * A list entry out of range, or more entries than soft devices: dmesg
 * names the parameter and the entry.
 */
static int __init pto2_soft_check_list(const char *name, const unsigned int *list,
				       unsigned int n, unsigned int max, unsigned int slots)
{
	unsigned int i;

	if (n > slots) {
		pr_err("%s: %u entries for %u soft device%s (set soft_count)\n",
		       name, n, slots, slots == 1 ? "" : "s");
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (!list[i] || list[i] > max) {
			pr_err("%s entry %u is %u: must be 1..%u\n", name, i, list[i], max);
			return -EINVAL;
		}
	}
	return 0;
}

/**
 * pto2_soft_slots() - how many soft device slots there are.
 *
 * Return: soft_count, or 1 when soft_count is 0 (the default: one soft
 * device when no hardware is bound; its slot exists either way, so the
 * knob can plug it).
 */
unsigned int pto2_soft_slots(void)
{
	return soft_count ? soft_count : 1;
}

/**
 * pto2_soft_check_params() - validate the soft devices' parameters at load.
 *
 * Return: 0, or -EINVAL (dmesg names the parameter and the entry).
 */
int __init pto2_soft_check_params(void)
{
	int ret;

	if (soft_count > PTO2_MAX_SOFT) {
		pr_err("soft_count=%u: must be 0..%d\n", soft_count, PTO2_MAX_SOFT);
		return -EINVAL;
	}
	if (!soft && soft_count) {
		pr_err("soft_count=%u with soft=0: no soft device may be created\n", soft_count);
		return -EINVAL;
	}
	ret = pto2_soft_check_list("clusters", clusters, nr_clusters, PTO2_MAX_CLUSTERS,
				   pto2_soft_slots());
	if (ret)
		return ret;
	return pto2_soft_check_list("mem_mb", mem_mb, nr_mem_mb, 16384, pto2_soft_slots());
}

/**
 * pto2_soft_plug() - create soft device @slot from the module parameters.
 * @slot: 0 .. pto2_soft_slots() - 1.
 *
 * Return: 0, -EINVAL for a slot that does not exist, -EBUSY when the slot
 * has its device already, or the error of pto2_soft_create().
 */
int pto2_soft_plug(unsigned int slot)
{
	unsigned int nc, mb;
	struct pto2_dev *pdev;
	int ret = 0;

	if (slot >= pto2_soft_slots())
		return -EINVAL;
	nc = pto2_soft_param(clusters, nr_clusters, slot);
	mb = pto2_soft_param(mem_mb, nr_mem_mb, slot);
	mutex_lock(&pto2_soft_lock);
	if (pto2_soft_devs[slot]) {
		ret = -EBUSY;
		goto out_unlock;
	}
	pdev = pto2_soft_create(nc, (u64)mb << 20, pto2_cpus_for(slot));
	if (IS_ERR(pdev)) {
		ret = PTR_ERR(pdev);
		goto out_unlock;
	}
	pto2_soft_devs[slot] = pdev;
	dev_info(pdev->kdev, "soft device %u: %u clusters, %u MiB, %u scheduler CPUs\n",
		 slot, nc, mb, pdev->num_cpus);
out_unlock:
	mutex_unlock(&pto2_soft_lock);
	return ret;
}

/**
 * pto2_soft_plug_at_load() - the soft devices the parameters ask for.
 *
 * soft=0: none; soft_count=N: N; soft_count=0: one, when no hardware is
 * bound (the module's behaviour before soft_count existed).
 *
 * Return: 0, or the error of the first pto2_soft_plug() that failed (the
 * caller unplugs the slots already plugged).
 */
int __init pto2_soft_plug_at_load(void)
{
	unsigned int slot, n;
	int ret;

	if (!soft)
		return 0;
	n = soft_count;
	if (!n && !pto2_dev_registered())
		n = 1;
	for (slot = 0; slot < n; slot++) {
		ret = pto2_soft_plug(slot);
		if (ret) {
			pr_err("soft device %u: cannot create it (%d)\n", slot, ret);
			return ret;
		}
	}
	return 0;
}

/**
 * pto2_soft_unplug() - take soft device @slot away, as a hot-unplug would.
 * @slot: 0 .. pto2_soft_slots() - 1.
 *
 * The other devices keep serving.  Open files and mappings keep the old
 * device alive but not its memory: every call on them fails with
 * -ENODEV, mapped pages are zapped and the memory is freed.
 *
 * Return: 0, -EINVAL for a slot that does not exist, or -ENODEV when the
 * slot has no device.
 */
int pto2_soft_unplug(unsigned int slot)
{
	struct pto2_dev *pdev;

	if (slot >= pto2_soft_slots())
		return -EINVAL;
	mutex_lock(&pto2_soft_lock);
	pdev = pto2_soft_devs[slot];
	pto2_soft_devs[slot] = NULL;
	mutex_unlock(&pto2_soft_lock);
	if (!pdev)
		return -ENODEV;
	dev_info(pdev->kdev, "soft device %u unplugged\n", slot);
	pto2_dev_unplug(pdev);
	pto2_dev_put(pdev);
	return 0;
}

/* Every soft device that is plugged (module unload, failed load). */
void pto2_soft_unplug_all(void)
{
	unsigned int slot;

	for (slot = 0; slot < pto2_soft_slots(); slot++)
		pto2_soft_unplug(slot);
}
