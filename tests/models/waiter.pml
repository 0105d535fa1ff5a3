/*
 * waiter.pml - the waiter's need-wakeup handshake (io_uring SQPOLL style).
 *
 * Mirrors (keep in step when either changes):
 *   libpto/util/waiter.c  pto_waiter_prepare(), pto_waiter_sleep(),
 *                         pto_waiter_wake()       -> inlines below
 *   its callers' pattern (orch/backpressure.c ring_alloc_wait(), wiring/thread.c
 *   wiring_main(), sim/sim.c): snapshot, check the condition, sleep on the
 *   snapshot                                      -> proctype sleeper
 *
 * FUTEX_WAIT is modelled as the kernel does it: atomically compare the
 * word with the snapshot and queue, then block until a FUTEX_WAKE dequeues
 * it.  No deadline: with one, a lost wake-up would only be late, and the
 * model would prove nothing.  Every access is one step, in program order
 * (the C code's are all seq_cst).
 *
 * The waker publishes K events, one at a time, each after the sleeper
 * consumed the previous one (a ping-pong, like tests/unit/test_waiter.c).
 * Checked: no invalid end state (a sleeper asleep for good while its event
 * is published is one) and LTL "every event is eventually consumed" under
 * weak fairness.
 *
 * Mutants (each must make the check fail):
 *   -DMUTANT_WAKE_LOOKS_FIRST  the waker reads the need-wakeup count before
 *                              bumping the word (Dekker order broken)
 *   -DMUTANT_LATE_PREPARE      the sleeper snapshots the word after checking
 *                              its condition (waiter.h's contract broken)
 */

#ifndef K
#define K 3
#endif

byte seq = 0;			/* futex word (wraps harmlessly at 256 here: K is small) */
byte sleepers = 0;		/* need-wakeup count */
bit queued = 0;			/* the sleeper is inside FUTEX_WAIT */
byte events = 0;		/* published by the waker */
byte consumed = 0;		/* taken by the sleeper */

inline futex_wait(seen)
{
	atomic {
		if
		:: seq == seen -> queued = 1
		:: else -> skip		/* EAGAIN */
		fi
	};
	(queued == 0)			/* until FUTEX_WAKE */
}

inline futex_wake()
{
	queued = 0
}

inline waiter_sleep(seen)
{
	if
	:: seq != seen -> skip
	:: else ->
		sleepers++;
		if
		:: seq == seen -> futex_wait(seen)
		:: else -> skip
		fi;
		sleepers--
	fi
}

inline waiter_wake()
{
#ifdef MUTANT_WAKE_LOOKS_FIRST
	bit any;

	any = (sleepers > 0);
	seq++;
	if
	:: any -> futex_wake()
	:: else -> skip
	fi
#else
	seq++;
	if
	:: sleepers > 0 -> futex_wake()
	:: else -> skip
	fi
#endif
}

active proctype sleeper()
{
	byte seen;

	do
	:: consumed == K -> break
	:: else ->
#ifndef MUTANT_LATE_PREPARE
		seen = seq;		/* pto_waiter_prepare(): before the check */
#endif
		if
		:: events > consumed -> consumed++
		:: else ->
#ifdef MUTANT_LATE_PREPARE
			seen = seq;
#endif
			waiter_sleep(seen)
		fi
	od
}

active proctype waker()
{
	do
	:: events == K -> break
	:: events < K && consumed == events ->
		events++;
		waiter_wake()
	od
}

ltl all_consumed { <> (consumed == K) }
