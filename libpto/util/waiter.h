/* SPDX-License-Identifier: MIT */
/*
 * waiter.h - spin briefly, then sleep: the one idle policy of every libpto
 * thread.  Internal.
 *
 * A waiter sleeps on a futex word with a need-wakeup flag (io_uring SQPOLL
 * style): the sleeper sets the flag, re-checks its condition (full fence
 * between), then futex-waits; a waker changes the word and calls the
 * futex wake only when the flag is set, so the fast path costs one load.
 */
#ifndef PTO_UTIL_WAITER_H
#define PTO_UTIL_WAITER_H

#include <stdbool.h>
#include <stdint.h>

#include "libpto/util/clock.h"

struct pto_waiter {
	uint32_t seq;		/* futex word: bumped by every pto_waiter_wake() */
	uint32_t sleepers;	/* need-wakeup: threads inside the futex wait */
};

void pto_waiter_init(struct pto_waiter *w);

/* Snapshot to pass to pto_waiter_sleep(); take it BEFORE checking the condition. */
uint32_t pto_waiter_prepare(struct pto_waiter *w);

/*
 * Sleep until pto_waiter_wake() moved the word past @seen, or the absolute
 * CLOCK_MONOTONIC @deadline_ns (0 = no deadline).  Returns at once if it
 * already moved.  Spurious returns are possible: callers re-check.
 */
void pto_waiter_sleep(struct pto_waiter *w, uint32_t seen, uint64_t deadline_ns);

/* Bump the word; futex-wake all sleepers if any.  Cheap when nobody sleeps. */
void pto_waiter_wake(struct pto_waiter *w);

/* Bounded spin budget before sleeping (iterations of a cpu_relax loop). */
#define PTO_SPIN_BUDGET		2048


/* One pause instruction (or a compiler barrier where there is none). */
static inline void pto_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

#endif /* PTO_UTIL_WAITER_H */
