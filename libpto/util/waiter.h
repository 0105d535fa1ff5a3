/* SPDX-License-Identifier: MIT */
/*
 * waiter.h - spin briefly, then sleep: the one idle policy of every libpto
 * thread.  Internal.
 *
 * An eventcount on a futex word.  A thread that is about to sleep first
 * announces itself (pto_waiter_prepare()), then checks its condition once
 * more, then either sleeps (pto_waiter_sleep()) or withdraws
 * (pto_waiter_cancel()).  A waker publishes its event, then looks for an
 * announced sleeper, and only if there is one bumps the word and calls the
 * futex wake.  So a wake nobody waits for costs a fence and a load of a
 * line that stays shared: no write, no cache line taken from the threads
 * that poll.  That is the point: the orchestrator wakes the scheduler after
 * every submit, and a device core after every dispatch.
 */
#ifndef PTO_UTIL_WAITER_H
#define PTO_UTIL_WAITER_H

#include <stdbool.h>
#include <stdint.h>

#include "libpto/util/clock.h"

struct pto_waiter {
	uint32_t seq;		/* futex word: bumped by a wake that found a sleeper */
	uint32_t sleepers;	/* announced: between prepare and sleep/cancel */
};

void pto_waiter_init(struct pto_waiter *w);

/*
 * Announce a sleep and return the key for pto_waiter_sleep().  Check the
 * condition AFTER this; then call exactly one of pto_waiter_sleep() and
 * pto_waiter_cancel().  An announced thread makes every wake a syscall, so
 * announce only once spinning is over (one more look, then sleep).
 */
uint32_t pto_waiter_prepare(struct pto_waiter *w);

/* Withdraw a pto_waiter_prepare() whose re-check found the condition met. */
void pto_waiter_cancel(struct pto_waiter *w);

/*
 * Sleep until a pto_waiter_wake() after the pto_waiter_prepare() that gave
 * @key, or the absolute CLOCK_MONOTONIC @deadline_ns (0 = no deadline); ends
 * the announcement.  Spurious returns are possible: callers re-check.
 */
void pto_waiter_sleep(struct pto_waiter *w, uint32_t key, uint64_t deadline_ns);

/*
 * Call after publishing the event (any store the sleeper's re-check reads):
 * wakes every announced sleeper.  A fence and a load when nobody sleeps.
 */
void pto_waiter_wake(struct pto_waiter *w);

/*
 * One thread's announcement on a waiter, for the loops that spin, then
 * announce, look once more, then sleep (wiring thread, orchestrator, sim
 * worker): the key and whether it is announced, kept across passes.
 */
struct pto_waiter_arm {
	uint32_t key;
	bool armed;
};

/*
 * The spin is over: announce on @w unless @a already is.  Return: true if
 * it announced just now (look once more: that look is the re-check),
 * false if it was announced already (sleep now: pto_waiter_arm_sleep()).
 */
static inline bool pto_waiter_arm(struct pto_waiter *w, struct pto_waiter_arm *a)
{
	if (a->armed)
		return false;
	a->key = pto_waiter_prepare(w);
	a->armed = true;
	return true;
}

/*
 * Withdraw @a's announcement, if any (a look found work, or the loop ends).
 * Inline: the orchestrator passes here on every submit, almost always
 * with nothing announced.
 */
static inline void pto_waiter_disarm(struct pto_waiter *w, struct pto_waiter_arm *a)
{
	if (!a->armed)
		return;
	a->armed = false;
	pto_waiter_cancel(w);
}

/* pto_waiter_sleep() on @a's announcement, which it ends. */
static inline void pto_waiter_arm_sleep(struct pto_waiter *w, struct pto_waiter_arm *a,
					uint64_t deadline_ns)
{
	a->armed = false;
	pto_waiter_sleep(w, a->key, deadline_ns);
}

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
