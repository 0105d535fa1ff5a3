// SPDX-License-Identifier: GPL-2.0
/*
 * pto2_pci.c - real hardware: every bound PCI function is a device of its
 * own (/dev/pto2 or /dev/pto2-N, pto2_main.c).
 *
 * BAR 0 holds one register window page per core (3 per cluster), BAR 2 the
 * device memory.  Cores run on the device, so there is no ATTACH; user
 * space polls COND (completion interrupts are future work).  The PCI id is
 * a placeholder for the hypothetical part: nothing binds on a machine
 * without it, and the soft device is used instead.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/pci.h>

#include "pto2_drv.h"

#define PTO2_PCI_VENDOR		0x19e5
#define PTO2_PCI_DEVICE		0xd8f0
#define PTO2_BAR_REGS		0
#define PTO2_BAR_MEM		2

/**
 * struct pto2_pci - PCI backend state.
 * @pci: the PCI function.
 * @pdev: the pto2 device registered for it.
 * @mem: BAR 2 mapped into the kernel (for scrubbing freed memory).
 */
struct pto2_pci {
	struct pci_dev *pci;
	struct pto2_dev *pdev;
	void __iomem *mem;
};

static int pto2_pci_map_regs(struct pto2_dev *pdev, struct vm_area_struct *vma,
			     u32 first_core, u32 count)
{
	struct pto2_pci *p = pdev->backend;
	phys_addr_t base = pci_resource_start(p->pci, PTO2_BAR_REGS);

	vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	return vm_iomap_memory(vma, base + (phys_addr_t)first_core * PAGE_SIZE,
			       (unsigned long)count * PAGE_SIZE);
}

static int pto2_pci_map_mem(struct pto2_dev *pdev, struct vm_area_struct *vma, u64 dev_addr)
{
	struct pto2_pci *p = pdev->backend;
	phys_addr_t base = pci_resource_start(p->pci, PTO2_BAR_MEM);

	vma->vm_page_prot = pgprot_writecombine(vma->vm_page_prot);
	return vm_iomap_memory(vma, base + dev_addr, vma->vm_end - vma->vm_start);
}

/* Hardware owns its registers; there is no emulator to reset them for. */
static void pto2_pci_reset_regs(struct pto2_dev *pdev)
{
}

/*
 * Called inside the unplug gate (see pto2_mem.c), so pto2_dev_unplug()'s
 * synchronize_srcu() waits for this write before remove lets devres unmap
 * BAR 2.
 */
static void pto2_pci_scrub(struct pto2_dev *pdev, u64 dev_addr, u64 size)
{
	struct pto2_pci *p = pdev->backend;

	memset_io(p->mem + dev_addr, 0, size);
}

static void pto2_pci_fini(struct pto2_dev *pdev)
{
	kfree(pdev->backend);
}

static const struct pto2_backend_ops pto2_pci_ops = {
	.map_regs = pto2_pci_map_regs,
	.map_mem = pto2_pci_map_mem,
	.reset_regs = pto2_pci_reset_regs,
	.scrub = pto2_pci_scrub,
	.fini = pto2_pci_fini,
};

static int pto2_pci_probe(struct pci_dev *pci, const struct pci_device_id *id)
{
	resource_size_t regs_len, mem_len;
	struct pto2_pci *p;
	struct pto2_dev *pdev;
	u32 nc;
	int ret;

	ret = pcim_enable_device(pci);
	if (ret)
		return ret;
	regs_len = pci_resource_len(pci, PTO2_BAR_REGS);
	mem_len = pci_resource_len(pci, PTO2_BAR_MEM);
	nc = regs_len / (PAGE_SIZE * PTO2_CORES_PER_CLUSTER);
	if (!nc || nc > PTO2_MAX_CLUSTERS || !PAGE_ALIGNED(mem_len)) {
		dev_err(&pci->dev, "unexpected BARs: regs %pa, mem %pa\n", &regs_len, &mem_len);
		return -ENODEV;
	}
	ret = pcim_iomap_regions(pci, BIT(PTO2_BAR_REGS) | BIT(PTO2_BAR_MEM), KBUILD_MODNAME);
	if (ret)
		return ret;
	pci_set_master(pci);

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	p->pci = pci;
	p->mem = pcim_iomap_table(pci)[PTO2_BAR_MEM];

	/* the first cpus entry: the list is per soft device, hardware has no slot */
	pdev = pto2_dev_create(PTO2_PLATFORM_HW, nc, mem_len, pto2_cpus_for(0), &pto2_pci_ops, p,
			       &pci->dev);
	if (IS_ERR(pdev)) {
		kfree(p);
		return PTR_ERR(pdev);
	}
	p->pdev = pdev;
	pci_set_drvdata(pci, p);
	dev_info(&pci->dev, "%s: %u clusters, %llu MiB device memory\n", pdev->name, nc,
		 (u64)mem_len >> 20);
	return 0;
}

static void pto2_pci_remove(struct pci_dev *pci)
{
	struct pto2_pci *p = pci_get_drvdata(pci);
	struct pto2_dev *pdev = p->pdev;

	/* zaps user mappings before devres unmaps the BARs */
	pto2_dev_unplug(pdev);
	pto2_dev_put(pdev);
}

static const struct pci_device_id pto2_pci_ids[] = {
	{ PCI_DEVICE(PTO2_PCI_VENDOR, PTO2_PCI_DEVICE) },
	{ }
};
MODULE_DEVICE_TABLE(pci, pto2_pci_ids);

static struct pci_driver pto2_pci_driver = {
	.name = KBUILD_MODNAME,
	.id_table = pto2_pci_ids,
	.probe = pto2_pci_probe,
	.remove = pto2_pci_remove,
};

int pto2_pci_register(void)
{
	return pci_register_driver(&pto2_pci_driver);
}

void pto2_pci_unregister(void)
{
	pci_unregister_driver(&pto2_pci_driver);
}
