/* SPDX-License-Identifier: MIT */
/*
 * prefetch.h - ask for a cache line in the state a write needs (exclusive),
 * ahead of the write.  The orchestrator writes lines the scheduler's CPU
 * read or wrote last (slots, argument blocks); without this each first
 * store waits for that transfer in the store buffer, and the buffer fills.
 * A hint: it never faults and is ignored where the memory type or the CPU
 * does not support it.  Internal.
 */
#ifndef PTO_UTIL_PREFETCH_H
#define PTO_UTIL_PREFETCH_H

static inline void pto_prefetch_write(const void *p)
{
#if defined(__x86_64__) || defined(__i386__)
	/* PREFETCHW: GCC emits it for __builtin_prefetch(p, 1) only with -mprfchw */
	__asm__ __volatile__("prefetchw (%0)" : : "r"(p));
#elif defined(__aarch64__)
	__asm__ __volatile__("prfm pstl1keep, [%0]" : : "r"(p));
#else
	__builtin_prefetch(p, 1, 3);
#endif
}

#endif /* PTO_UTIL_PREFETCH_H */
