/*
 * waiter.pml - the waiter's eventcount: announce, re-check, sleep or cancel.
 *
 * Mirrors (keep in step when either changes):
 *   libpto/util/waiter.c  pto_waiter_prepare(), pto_waiter_cancel(),
 *                         pto_waiter_sleep(), pto_waiter_wake() -> inlines below
 *   its callers' pattern (sched/loop.c, wiring/thread.c, orch/help.c
 *   pto__orch_wait_step(), sim/sim.c sim_worker_main()): look while
 *   spinning, then announce, look once more, then sleep on the key or
 *   cancel                                          -> proctype sleeper
 *
 * The two seq_cst fences of waiter.c make the announce and the re-check,
 * and the event and the look for sleepers, happen in that order as seen by
 * the other side: here every access is one step, in program order, and
 * the mutants break exactly those orders.  FUTEX_WAIT is modelled as the
 * kernel does it: atomically compare the word with the key and queue, then
 * block until a FUTEX_WAKE dequeues it.  No deadline: with one, a lost
 * wake-up would only be late, and the model would prove nothing.
 *
 * The waker publishes K events, one at a time, each after the sleeper
 * consumed the previous one (a ping-pong, like tests/unit/test_waiter.c).
 * Checked: no invalid end state (a sleeper asleep for good while its event
 * is published is one), the announcement count back at 0 at the end, and
 * LTL "every event is eventually consumed" under weak fairness.
 *
 * Mutants (each must make the check fail):
 *   -DMUTANT_WAKE_LOOKS_FIRST  the waker looks for sleepers before it
 *                              publishes (its fence missing: the load passes
 *                              the store)
 *   -DMUTANT_NO_RECHECK        the sleeper checks, then announces and sleeps
 *                              without checking again
 *   -DMUTANT_LATE_KEY          the sleeper reads its key after the re-check,
 *                              so a wake in between is spent before the wait
 */

#ifndef K
#define K 3
#endif

byte seq = 0;			/* futex word (wraps harmlessly at 256 here: K is small) */
byte sleepers = 0;		/* announced sleepers */
bit queued = 0;			/* the sleeper is inside FUTEX_WAIT */
byte events = 0;		/* published by the waker */
byte consumed = 0;		/* taken by the sleeper */

inline futex_wait(key)
{
	atomic {
		if
		:: seq == key -> queued = 1
		:: else -> skip		/* EAGAIN */
		fi
	};
	(queued == 0)			/* until FUTEX_WAKE */
}

inline futex_wake()
{
	queued = 0
}

inline waiter_wake()
{
	if
	:: sleepers > 0 -> seq++; futex_wake()
	:: else -> skip
	fi
}

active proctype sleeper()
{
	byte key;

	do
	:: consumed == K -> break
	:: events > consumed -> consumed++	/* a look while spinning */
	:: else ->
#ifdef MUTANT_NO_RECHECK
		sleepers++;
		key = seq;
		futex_wait(key);
		sleepers--
#else
		sleepers++;		/* pto_waiter_prepare(): announce, fence */
#ifndef MUTANT_LATE_KEY
		key = seq;
#endif
		if
		:: events > consumed ->	/* the re-check found it */
			sleepers--;	/* pto_waiter_cancel() */
			consumed++
		:: else ->
#ifdef MUTANT_LATE_KEY
			key = seq;
#endif
			futex_wait(key);	/* pto_waiter_sleep() */
			sleepers--
		fi
#endif
	od;
	assert(sleepers == 0)
}

active proctype waker()
{
	do
	:: events == K -> break
	:: events < K && consumed == events ->
#ifdef MUTANT_WAKE_LOOKS_FIRST
		bit any;

		any = (sleepers > 0);
		events++;
		if
		:: any -> seq++; futex_wake()
		:: else -> skip
		fi
#else
		events++;		/* publish, fence */
		waiter_wake()
#endif
	od
}

ltl all_consumed { <> (consumed == K) }
