/*
 * ring_advance.pml - the inline ring advance: consumers retire the consumed
 * prefix under a try-lock, and a consumer that finds the lock taken leaves
 * advance_pending for the holder, which re-checks it after unlocking.  The
 * consumer of every B-th task advances, and while the orchestrator waits
 * for the watermark to reach `want', the consumer of task want - 1 (the
 * range's end) and of the straggler an advance armed (orch_wake_at: the
 * range's end was consumed, an earlier task not); the orchestrator scans
 * itself before it waits and after each store of `want' (the wait's begin,
 * a refill mark), and once more at the run's end.
 *
 * Mirrors (keep in step when either changes):
 *   libpto/core/retire.c      pto__ring_advance(), pto__ring_scan(),
 *                             slot_reset(), pto__ring_publish(),
 *                             pto__ring_arm_wake() -> inline advance();
 *                             pto__ring_consumed()'s batch and wait
 *                             test -> consumer; pto__ring_retire_rest()
 *                             -> the orchestrator's last advance
 *   libpto/core/release.c     try_consume_locked()     -> consumer's CONSUMED
 *   libpto/orch/backpressure.c ring_alloc_wait(), ring_wait_begin(),
 *                             ring_sleep() / pto_ring_try_alloc()'s slot
 *                             test; libpto/orch/submit.c's slot
 *                             initialization and release store of
 *                             current_task_index     -> proctype orch
 *
 * NT tasks go through a window of W slots; NC consumers each consume any
 * submitted task not yet consumed, in any order (out-of-order completion),
 * then advance.  The orchestrator's wait for a free slot is a blocking
 * guard on the watermark reaching `want' (one free slot, or, refilling, a
 * whole window): the wake-up that ends it is model waiter.pml's business.  Every
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
 *   -DMUTANT_NO_WAIT_FLAG   consumers advance only at batch ends, even
 *                           while the orchestrator waits
 *   -DMUTANT_NO_ARM         an advance that finds the range's end consumed
 *                           but a straggler before it does not arm it
 *   -DMUTANT_NO_ARM_RECHECK the arming advance does not look at the
 *                           straggler again after its store
 *   -DMUTANT_NO_SLEEP_SCAN  the orchestrator does not scan after storing a
 *                           refill mark
 *   -DMUTANT_NO_RETIRE_REST nothing retires the last batch at the run's end
 */

#ifndef NT
#define NT 4		/* enough for every mutant; 5 takes minutes */
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
#define NONE	255
byte want = NONE;		/* orch_wake_la (NONE: PTO_NO_WAITER) */
byte wake_at = NONE;		/* orch_wake_at */

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
		/* pto__ring_arm_wake(): the range's end consumed, task l not */
		if
#ifndef MUTANT_NO_ARM
		:: want != NONE && l < want && l < c && want - 1 > l &&
		   state[(want - 1) % W] == CONSUMED && slot_task[(want - 1) % W] == want - 1 ->
			wake_at = l;
#ifndef MUTANT_NO_ARM_RECHECK
			if
			:: state[l % W] == CONSUMED && slot_task[l % W] == l -> adv_pending = 1
			:: else -> skip
			fi
#endif
		:: want != NONE && l < want && l < c &&
		   !(want - 1 > l && state[(want - 1) % W] == CONSUMED &&
		     slot_task[(want - 1) % W] == want - 1) -> wake_at = NONE
#endif
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
		:: t % B == B - 1 || (want != NONE && (t + 1 == want || t == wake_at)) -> advance()
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
				want = la + 1;	/* ring_wait_begin(): seq_cst store */
				/*
				 * the next pass's scan: only sooner progress while it
				 * spins, the scan after the sleep's store is the one
				 * progress needs (MUTANT_NO_SLEEP_SCAN)
				 */
				advance();
				if
				:: next - la < W -> skip
				:: else ->
					/* ring_sleep(): one slot, or refilling the whole window */
					if
					:: want = next - W + 1
					:: want = next
					fi;
#ifndef MUTANT_NO_SLEEP_SCAN
					advance();
#endif
					/* asleep until an advance publishes want (waiter.pml) */
					(la >= want)
				fi;
				want = NONE
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
