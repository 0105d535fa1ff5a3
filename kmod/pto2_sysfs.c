// SPDX-License-Identifier: GPL-2.0
/*
 * pto2_sysfs.c - read-only attributes of /sys/class/misc/pto2: the device
 * parameters and a few counters.
 */
#include <linux/device.h>
#include <linux/sysfs.h>

#include "pto2_drv.h"

static struct pto2_dev *to_pto2(struct device *dev)
{
	struct miscdevice *misc = dev_get_drvdata(dev);

	return container_of(misc, struct pto2_dev, misc);
}

#define PTO2_ATTR(name, fmt, expr)						\
static ssize_t name##_show(struct device *dev, struct device_attribute *attr,	\
			   char *buf)						\
{										\
	struct pto2_dev *pdev = to_pto2(dev);					\
										\
	return sysfs_emit(buf, fmt "\n", expr);					\
}										\
static DEVICE_ATTR_RO(name)

PTO2_ATTR(platform, "%s", pdev->platform == PTO2_PLATFORM_SOFT ? "soft" : "hw");
PTO2_ATTR(num_clusters, "%u", pdev->num_clusters);
PTO2_ATTR(num_cores, "%u", pdev->num_cores);
PTO2_ATTR(mem_size, "%llu", pdev->mem_size);
PTO2_ATTR(mem_free, "%lld", (long long)atomic64_read(&pdev->mem_free));
PTO2_ATTR(objects, "%d", atomic_read(&pdev->stats.objects));
PTO2_ATTR(mappings, "%d", atomic_read(&pdev->stats.mappings));
PTO2_ATTR(opens, "%d", atomic_read(&pdev->stats.opens));
PTO2_ATTR(allocs, "%lld", (long long)atomic64_read(&pdev->stats.allocs));
PTO2_ATTR(frees, "%lld", (long long)atomic64_read(&pdev->stats.frees));
PTO2_ATTR(rejects, "%lld", (long long)atomic64_read(&pdev->stats.rejects));
PTO2_ATTR(waits, "%lld", (long long)atomic64_read(&pdev->stats.waits));
PTO2_ATTR(completions, "%u", (u32)atomic_read(&pdev->comp_seq));
PTO2_ATTR(attached, "%d", READ_ONCE(pdev->attached) != NULL);

static ssize_t abi_version_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", PTO2_ABI_VERSION);
}
static DEVICE_ATTR_RO(abi_version);

static ssize_t cpus_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct pto2_dev *pdev = to_pto2(dev);
	int len = 0;
	u32 i;

	for (i = 0; i < pdev->num_cpus; i++)
		len += sysfs_emit_at(buf, len, "%s%u", i ? "," : "", pdev->cpus[i]);
	len += sysfs_emit_at(buf, len, "\n");
	return len;
}
static DEVICE_ATTR_RO(cpus);

static struct attribute *pto2_attrs[] = {
	&dev_attr_abi_version.attr,
	&dev_attr_platform.attr,
	&dev_attr_num_clusters.attr,
	&dev_attr_num_cores.attr,
	&dev_attr_mem_size.attr,
	&dev_attr_mem_free.attr,
	&dev_attr_cpus.attr,
	&dev_attr_objects.attr,
	&dev_attr_mappings.attr,
	&dev_attr_opens.attr,
	&dev_attr_allocs.attr,
	&dev_attr_frees.attr,
	&dev_attr_rejects.attr,
	&dev_attr_waits.attr,
	&dev_attr_completions.attr,
	&dev_attr_attached.attr,
	NULL,
};

static const struct attribute_group pto2_attr_group = {
	.attrs = pto2_attrs,
};

const struct attribute_group *pto2_attr_groups[] = {
	&pto2_attr_group,
	NULL,
};
