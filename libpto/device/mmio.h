/* SPDX-License-Identifier: MIT */
/*
 * mmio.h - register accesses that also hold for device memory, used for the
 * two hand-offs of the register protocol on the scheduler side (dispatch:
 * DATA_MAIN_BASE; completion: COND).  Internal.  docs/porting.md has the
 * barrier map.
 *
 * C11 acquire/release orders accesses among CPUs (on ARMv8, the inner
 * shareable domain: LDAR/STLR, DMB ISH).  On the chip the other side is a
 * device core: the register window is Device memory (pgprot_noncached in
 * kmod/pto2_pci.c) and the payloads, descriptors and results are in device
 * memory mapped write-combining (Normal non-cacheable on arm64), outer
 * shareable.  Like the kernel's writel()/readl(), these accessors put the
 * barrier of that domain around a single-copy access:
 *
 *  pto_mmio_write32_release(): barrier, then the store.  Pairs with the
 *	device core's read of the register before it reads what the store
 *	publishes.  arm64: DMB OSH (writel() has DMB OSHST; OSH also orders
 *	the earlier loads, e.g. the status of the buffer now being reused,
 *	which C11 release promises too); x86: SFENCE, which drains the
 *	write-combining buffers holding the payload.
 *  pto_mmio_read32_acquire(): the load, then barrier.  Pairs with the
 *	device core's write of the register after what it publishes (status,
 *	timestamps, kernel results): the reads that follow must not be
 *	satisfied before the register read (the rmb seed PR #906's review
 *	found missing).  arm64: DMB OSHLD (readl()'s); x86: compiler barrier
 *	(loads are not reordered with later loads or stores).
 *
 * Both are at least as strong as the C11 atomics they replace, so the mock
 * and the soft device (normal memory, cores emulated by threads using
 * runtime/regs.h) keep working.  Under TSan, which cannot see inline
 * assembly, they are the C11 atomics themselves.
 */
#ifndef PTO_DEVICE_MMIO_H
#define PTO_DEVICE_MMIO_H

#include <stdint.h>

#if defined(__SANITIZE_THREAD__)
#define PTO_MMIO_C11	1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PTO_MMIO_C11	1
#endif
#endif

static inline void pto_mmio_write32_release(uint32_t *reg, uint32_t v)
{
#if defined(PTO_MMIO_C11)
	__atomic_store_n(reg, v, __ATOMIC_RELEASE);
#elif defined(__aarch64__)
	__asm__ __volatile__("dmb osh" ::: "memory");
	__asm__ __volatile__("str %w0, [%1]" : : "rZ"(v), "r"(reg) : "memory");
#elif defined(__x86_64__) || defined(__i386__)
	__asm__ __volatile__("sfence" ::: "memory");
	*(volatile uint32_t *)reg = v;
#else
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(reg, v, __ATOMIC_RELEASE);
#endif
}

static inline uint32_t pto_mmio_read32_acquire(const uint32_t *reg)
{
	uint32_t v;

#if defined(PTO_MMIO_C11)
	v = __atomic_load_n(reg, __ATOMIC_ACQUIRE);
#elif defined(__aarch64__)
	__asm__ __volatile__("ldr %w0, [%1]" : "=r"(v) : "r"(reg) : "memory");
	__asm__ __volatile__("dmb oshld" ::: "memory");
#elif defined(__x86_64__) || defined(__i386__)
	v = *(const volatile uint32_t *)reg;
	__asm__ __volatile__("" ::: "memory");
#else
	v = __atomic_load_n(reg, __ATOMIC_ACQUIRE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
	return v;
}

#endif /* PTO_DEVICE_MMIO_H */
