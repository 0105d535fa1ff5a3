// SPDX-License-Identifier: MIT
/*
 * waiter.c - an eventcount on a futex word (see waiter.h).
 *
 * The lost-wakeup argument is Dekker's, on two seq_cst fences: the sleeper
 * increments @sleepers, fences, then loads its condition; the waker stores
 * its event, fences, then loads @sleepers.  In the fences' single total
 * order one comes first: if the waker's, the sleeper's re-check sees the
 * event and it cancels; if the sleeper's, the waker sees it announced,
 * bumps @seq and calls FUTEX_WAKE.  The sleeper read its key after
 * announcing, and the kernel compares @seq with it inside FUTEX_WAIT, so a
 * bump that came before the wait makes it return at once.  Fences, not
 * seq_cst accesses, because the conditions are the callers' own words,
 * stored with whatever order they need.  Model-checked (with three broken
 * variants): tests/models/waiter.pml.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "libpto/util/waiter.h"

#ifdef __SANITIZE_THREAD__
/*
 * TSan has no fences (gcc -Wtsan): under it, an RMW both sides do on one
 * word stands in; it orders at least as much.
 */
static uint32_t fence_word;

static inline void full_fence(void)
{
	__atomic_fetch_add(&fence_word, 0, __ATOMIC_SEQ_CST);
}
#else
static inline void full_fence(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}
#endif

static long futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts,
		  uint32_t val3)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, val3);
}

void pto_waiter_init(struct pto_waiter *w)
{
	__atomic_store_n(&w->seq, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&w->sleepers, 0, __ATOMIC_RELAXED);
}

uint32_t pto_waiter_prepare(struct pto_waiter *w)
{
	__atomic_fetch_add(&w->sleepers, 1, __ATOMIC_RELAXED);
	/* pairs with the fence in pto_waiter_wake(): announce, then re-check */
	full_fence();
	/*
	 * acquire: a key that already holds a wake's bump also shows the
	 * event stored before it (the bump is a release), so the re-check
	 * sees it and the sleep is not entered with a spent key.
	 */
	return __atomic_load_n(&w->seq, __ATOMIC_ACQUIRE);
}

void pto_waiter_cancel(struct pto_waiter *w)
{
	/* relaxed: at worst a waker still sees us and makes one needless wake */
	__atomic_fetch_sub(&w->sleepers, 1, __ATOMIC_RELAXED);
}

void pto_waiter_sleep(struct pto_waiter *w, uint32_t key, uint64_t deadline_ns)
{
	struct timespec ts, *tsp = NULL;

	if (deadline_ns) {
		ts.tv_sec = (time_t)(deadline_ns / 1000000000u);
		ts.tv_nsec = (long)(deadline_ns % 1000000000u);
		tsp = &ts;
	}
	/*
	 * FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline (one
	 * already past returns ETIMEDOUT at once).  EINTR, EAGAIN (the word
	 * moved) and ETIMEDOUT all mean "return and let the caller re-check".
	 */
	if (__atomic_load_n(&w->seq, __ATOMIC_RELAXED) == key)
		futex(&w->seq, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, key, tsp,
		      FUTEX_BITSET_MATCH_ANY);
	pto_waiter_cancel(w);
}

void pto_waiter_wake(struct pto_waiter *w)
{
	/* pairs with the fence in pto_waiter_prepare(): publish, then look */
	full_fence();
	if (!__atomic_load_n(&w->sleepers, __ATOMIC_RELAXED))
		return;
	/* release: pairs with the key's acquire load in pto_waiter_prepare() */
	__atomic_fetch_add(&w->seq, 1, __ATOMIC_RELEASE);
	futex(&w->seq, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, INT_MAX, NULL, 0);
}
