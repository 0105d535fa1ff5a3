/*
 * ring_advance.pml - the inline ring advance: consumers retire the consumed
 * prefix under a try-lock, and a consumer that finds the lock taken leaves
 * advance_pending for the holder, which re-checks it after unlocking.  The
 * consumer of every B-th task advances, and every consumer while the
 * orchestrator waits; the orchestrator scans itself before it waits and
 * after announcing the wait, and once more at the run's end.
 *
 * Mirrors (keep in step when either changes):
 *   libpto/core/retire.c      pto__ring_advance(), pto__ring_scan(),
 *                             slot_reset(), pto__ring_publish() -> inline
 *                             advance(); pto__ring_consumed()'s batch
 *                             test -> consumer; pto__ring_retire_rest()
 *                             -> the orchestrator's last advance
 *   libpto/core/release.c     try_consume_locked()     -> consumer's CONSUMED
 *   libpto/orch/backpressure.c ring_alloc_wait() / pto_ring_try_alloc()'s slot
 *                             test; libpto/orch/submit.c's slot
 *                             initialization and release store of
 *                             current_task_index     -> proctype orch
 *
 * NT tasks go through a window of W slots; NC consumers each consume any
 * submitted task not yet consumed, in any order (out-of-order completion),
 * then advance.  The orchestrator's wait for a free slot is a blocking
 * guard: the wake-up that ends it is model waiter.pml's business.  Every
 * shared access is one step (sequentially consistent: all of them are
 * seq_cst or under the task lock in the C code).
 *
 * Checked: a slot is reused only once its previous task was consumed and
 * its slot reset, and nobody holds a reference to it; the watermark never
 * passes an unconsumed task; no invalid end state (a lost advance leaves
 * the orchestrator blocked forever); at the end last_task_alive == NT; and
 * LTL "last_task_alive eventually reaches NT" under weak fairness.
 *
 * Mutants (each must make the check fail):
 *   -DMUTANT_NO_RECHECK     the holder does not re-check advance_pending
 *                           after unlocking (the retry removed)
 *   -DMUTANT_NO_ORCH_SCAN   the waiting orchestrator does not scan after
 *                           announcing its wait (orch_wake_la)
 *   -DMUTANT_NO_WAIT_FLAG   consumers advance only at batch ends, even
 *                           while the orchestrator waits
 *   -DMUTANT_NO_RETIRE_REST nothing retires the last batch at the run's end
 */

#ifndef NT
#define NT 5
#endif
#ifndef W
#define W 2
#endif
#ifndef NC
#define NC 2
#endif
#ifndef B
#define B 2		/* RETIRE_BATCH, as capped by the window */
#endif

#define PENDING		0
#define CONSUMED	2

byte cur = 0;			/* ctl->current_task_index */
byte la = 0;			/* ctl->last_task_alive */
bit lock = 0;			/* advance_lock */
bit adv_pending = 0;		/* advance_pending */
byte state[W] = CONSUMED;	/* slot state (never used: as if retired) */
byte slot_task[W] = 255;			/* slot's task number */
bit claimed[NT];		/* ghost: task i's last reference was taken by a consumer */
byte nclaimed = 0;
byte finished = 0;		/* consumers that are done */
bit orch_waits = 0;		/* orch_wake_la != PTO_NO_WAITER */

/* l and c: the caller's locals (an inline may be expanded more than once) */
inline advance()
{
	adv_pending = 1;
	do
	:: atomic { lock == 0 -> lock = 1 };
		adv_pending = 0;
		l = la;			/* only the lock holder writes it */
		c = cur;		/* acquire: the orchestrator's release store */
		/* pto__ring_scan(): the consumed prefix, one slot at a time */
		do
		:: l < c && state[l % W] == CONSUMED && slot_task[l % W] == l ->
			slot_task[l % W] = 255;	/* slot_reset(): nothing left to follow */
			l++
		:: else -> break
		od;
		if
		:: l != la -> assert(l <= c); la = l	/* pto__ring_publish() */
		:: else -> skip
		fi;
		lock = 0;
#ifdef MUTANT_NO_RECHECK
		break
#else
		if
		:: adv_pending == 0 -> break
		:: else -> skip
		fi
#endif
	:: else -> break		/* try-lock failed: the holder re-checks */
	od
}

active [NC] proctype consumer()
{
	byte t, r, l, c;

	do
	:: atomic {
		nclaimed < cur ->
		/* take the last reference of any submitted task still held (any order) */
		r = cur - nclaimed;
		t = 0;
		do
		:: claimed[t] -> t++
		:: !claimed[t] -> break
		:: !claimed[t] && r > 1 -> r--; t++
		od;
		claimed[t] = 1;
		nclaimed++
	   };
		/* try_consume_locked(): the last reference goes, CONSUMED (seq_cst) */
		assert(slot_task[t % W] == t);
		state[t % W] = CONSUMED;
		/* pto__ring_consumed(): the seq_cst load of orch_wake_la follows */
		if
#ifdef MUTANT_NO_WAIT_FLAG
		:: t % B == B - 1 -> advance()
#else
		:: t % B == B - 1 || orch_waits -> advance()
#endif
		:: else -> skip
		fi
	:: nclaimed == NT -> break
	od;
	finished++
}

active proctype orch()
{
	byte next = 0, l, c;

	do
	:: next < NT ->
		/* ring_alloc_wait(): a free slot is next - last_task_alive < W */
		if
		:: next - la < W -> skip
		:: else ->
			advance();		/* what the batches left */
			if
			:: next - la < W -> skip
			:: else ->
				orch_waits = 1;	/* ring_wait_begin(): seq_cst store */
#ifndef MUTANT_NO_ORCH_SCAN
				advance();	/* the next pass's scan */
#endif
				/* asleep until an advance publishes enough (waiter.pml) */
				(next - la < W);
				orch_waits = 0
			fi
		fi;
		/* the slot's previous task is gone and nobody references it */
		assert(next < W || (state[next % W] == CONSUMED && slot_task[next % W] == 255 &&
		       claimed[next - W]));
		d_step { state[next % W] = PENDING; slot_task[next % W] = next };
		cur = next + 1;		/* release: the slot is initialized */
		next++
	:: next == NT -> break
	od;
	/* every consumer left: nothing may stay hidden behind the watermark */
	(finished == NC);
#ifndef MUTANT_NO_RETIRE_REST
	advance();			/* pto__ring_retire_rest() */
#endif
	assert(la == NT)
}

ltl la_reaches_end { <> (la == NT) }
