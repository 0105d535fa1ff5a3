// SPDX-License-Identifier: MIT
/*
 * waiter.c - futex sleep with a need-wakeup count (see waiter.h).
 *
 * The lost-wakeup argument is Dekker's: the sleeper increments @sleepers
 * and then loads @seq; the waker increments @seq and then loads @sleepers.
 * All four accesses are seq_cst, so at least one side sees the other's
 * write: either the sleeper sees the new @seq and does not sleep, or the
 * waker sees a sleeper and calls FUTEX_WAKE.  The kernel re-checks @seq
 * against @seen inside FUTEX_WAIT, closing the window between our check
 * and the syscall.  Model-checked (with two broken variants):
 * tests/models/waiter.pml.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "libpto/util/waiter.h"

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
	/* pairs with the seq_cst increment in pto_waiter_wake() */
	return __atomic_load_n(&w->seq, __ATOMIC_ACQUIRE);
}

void pto_waiter_sleep(struct pto_waiter *w, uint32_t seen, uint64_t deadline_ns)
{
	struct timespec ts, *tsp = NULL;

	if (__atomic_load_n(&w->seq, __ATOMIC_ACQUIRE) != seen)
		return;
	if (deadline_ns) {
		if (pto_now_ns() >= deadline_ns)
			return;
		ts.tv_sec = (time_t)(deadline_ns / 1000000000u);
		ts.tv_nsec = (long)(deadline_ns % 1000000000u);
		tsp = &ts;
	}
	/* Dekker with pto_waiter_wake(): announce, then re-check @seq. */
	__atomic_fetch_add(&w->sleepers, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&w->seq, __ATOMIC_SEQ_CST) == seen) {
		/*
		 * FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC
		 * deadline.  EINTR, EAGAIN (word moved) and ETIMEDOUT all
		 * mean "return and let the caller re-check".
		 */
		futex(&w->seq, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, seen, tsp,
		      FUTEX_BITSET_MATCH_ANY);
	}
	__atomic_fetch_sub(&w->sleepers, 1, __ATOMIC_RELEASE);
}

void pto_waiter_wake(struct pto_waiter *w)
{
	/* Dekker with pto_waiter_sleep(): publish, then look for sleepers. */
	__atomic_fetch_add(&w->seq, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&w->sleepers, __ATOMIC_SEQ_CST))
		futex(&w->seq, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, INT_MAX, NULL, 0);
}
