/*
 * wiring_publish.pml - retirement on the wiring thread: batched publication
 * of last_task_alive, the forced publishes (while the orchestrator waits,
 * when idle, at the end) and the wake-ups that keep a waiting orchestrator
 * from sleeping on a stale watermark.
 *
 * Mirrors (keep in step when either changes):
 *   libpto/wiring/thread.c    wiring_main(), wire_pass() (handover only),
 *                             retire_pass(), arm_wake()  -> proctype wiring
 *   libpto/core/retire.c      pto__ring_consumed() (wiring_on branch),
 *                             pto__ring_scan(), pto__ring_publish()
 *                             -> proctype consumer, inline publish()
 *   libpto/orch/backpressure.c ring_alloc_wait(), ring_wait_begin(),
 *                             ring_sleep(), ring_alloc()  -> proctype orch
 *
 * NT (3) tasks, a window of W (2) slots, publication batches of BATCH (2;
 * the C code batches min(W/4, 16): BATCH 2 stands for a window of 8
 * without its state space).  The orchestrator waits for one slot or,
 * nondeterministically, a refill of 2 (orch_wake_la = the mark it needs).  One scheduler consumes
 * handed-over tasks in any order (out-of-order completion is what
 * wiring_wake_at is for).  Waiters are their futex word and a blocking
 * guard (the handshake itself is waiter.pml's); sleeps have no timeout and
 * RETIRE_TICK is left out, both of which only rescue a lost wake-up late.
 * Every access is one step (the C code's are seq_cst where it matters).
 *
 * Checked: no invalid end state (orchestrator and wiring thread asleep for
 * good is one), the published watermark never passes the scan mark, at the
 * end last_task_alive == NT (nothing hidden behind a batch), and LTL "the
 * orchestrator eventually submits everything" under weak fairness.
 *
 * Mutants (each must make the check fail):
 *   -DMUTANT_NO_IDLE_PUBLISH  the idle pass does not force the publish
 *   -DMUTANT_NO_WAKE_AT       a consumed task ignores wiring_wake_at
 *   -DMUTANT_NO_MARK_WAKE     the orchestrator stores its mark without
 *                             waking the wiring thread
 */

#ifndef NT
#define NT 3
#endif
#ifndef W
#define W 2
#endif
#ifndef BATCH
#define BATCH 2
#endif

#define NONE		255		/* PTO_NO_WAITER */
#define PENDING		0
#define CONSUMED	2

byte la = 0;			/* ctl->last_task_alive (published) */
byte handed = 0;		/* tasks pushed on the wiring queue */
byte wire_top = 0;		/* tasks the wiring thread popped */
byte orch_wake_la = NONE;
byte wiring_wake_at = NONE;
byte state[W] = CONSUMED;
byte slot_task[W] = 255;
/*
 * Each waiter has one sleeper, so its eventcount is a flag: the announce
 * (pto_waiter_prepare()) clears it, a wake sets it, and a sleep returns once
 * it is set, which is "a wake came after the announce" (waiter.pml checks
 * the eventcount itself) without its counters multiplying the state space.
 */
bit orch_seq = 0;		/* rt->orch_wait moved */
bit wiring_seq = 0;		/* rt->wiring_wait moved */
bit orch_done = 0;
byte nconsumed = 0;
bit claimed[NT];

inline wake(word)
{
	word = 1
}

/* pto__ring_publish() */
inline publish(v)
{
	la = v;
	if
	:: v >= orch_wake_la -> wake(orch_seq)
	:: else -> skip
	fi
}

active proctype orch()
{
	byte next = 0, l, target;

	do
	:: next < NT ->
		/* ring_alloc_wait() */
		orch_seq = 0;			/* pto_waiter_prepare() */
		l = la;
		if
		:: next - l < W -> skip
		:: else ->
			/* ring_wait_begin(), then ring_sleep() until the mark */
			if
			:: target = l + 1
			:: target = l + 2	/* a refill mark */
			fi;
			if
			:: target > next -> target = next
			:: else -> skip
			fi;
			do
			:: la >= target -> break
			:: else ->
				orch_seq = 0;
				l = la;
				if
				:: l >= target -> break
				:: else -> skip
				fi;
				orch_wake_la = target;
#ifndef MUTANT_NO_MARK_WAKE
				wake(wiring_seq);
#endif
				if
				:: la == l -> (orch_seq == 1)	/* pto_waiter_sleep() */
				:: else -> skip
				fi
			od;
			orch_wake_la = NONE		/* ring_alloc(): done waiting */
		fi;
		assert(next - la < W);
		assert(next < W || (state[next % W] == CONSUMED && slot_task[next % W] == 255));
		d_step { state[next % W] = PENDING; slot_task[next % W] = next };
		handed++;			/* pto__wiring_push() */
		wake(wiring_seq);
		next++
	:: next == NT -> break
	od;
	orch_done = 1;
	(nconsumed == NT);			/* pto_run() joins the schedulers */
	wake(wiring_seq)			/* then wakes it to retire the rest */
}

active proctype consumer()
{
	byte t, r, want;

	do
	:: atomic {
		nconsumed < wire_top ->
		/* any linked task still held, in any order */
		r = wire_top - nconsumed;
		t = 0;
		do
		:: claimed[t] -> t++
		:: !claimed[t] -> break
		:: !claimed[t] && r > 1 -> r--; t++
		od;
		claimed[t] = 1
	   };
		assert(slot_task[t % W] == t);
		state[t % W] = CONSUMED;
		nconsumed++;
		/* pto__ring_consumed(), wiring thread on */
		want = orch_wake_la;
		if
		:: want == NONE -> skip
#ifdef MUTANT_NO_WAKE_AT
		:: want != NONE && t + 1 >= want -> wake(wiring_seq)
		:: want != NONE && t + 1 < want -> skip
#else
		:: want != NONE && (t + 1 >= want || t == wiring_wake_at) -> wake(wiring_seq)
		:: want != NONE && !(t + 1 >= want || t == wiring_wake_at) -> skip
#endif
		fi
	:: nconsumed == NT -> break
	od
}

/* retire_pass(): scan, publish when forced, a batch is full or the orchestrator waits */
inline retire_pass(force)
{
	cur = wire_top;
	l = scan_la;
	do
	:: l < cur && state[l % W] == CONSUMED && slot_task[l % W] == l ->
		slot_task[l % W] = 255;		/* slot_reset() */
		l++
	:: else -> break
	od;
	pub = la;
	want = orch_wake_la;
	busy = busy || (l != scan_la);
	scan_la = l;
	if
	:: l != pub && (force || l - pub >= BATCH || want != NONE) -> publish(l)
	:: else -> skip
	fi;
	assert(la <= scan_la);
	if
	:: want != NONE && l < want && l < cur ->
		/* arm_wake() */
		if
		:: want - 1 > l && want - 1 < wire_top && slot_task[(want - 1) % W] == want - 1 &&
		   state[(want - 1) % W] == CONSUMED -> wiring_wake_at = l
		:: else -> wiring_wake_at = NONE
		fi;
		if
		:: wiring_wake_at != NONE && state[l % W] == CONSUMED -> busy = 1
		:: else -> skip
		fi
	:: else -> skip
	fi
}

active proctype wiring()
{
	byte scan_la = 0, l, pub, want, cur;
	bit busy, armed = 0, finished, done_flag;

	do
	::
		done_flag = orch_done;		/* read before the queue is found empty */
		/* wire_pass(): the handovers, in order */
		busy = (wire_top != handed);
		wire_top = handed;
		retire_pass(0);
		if
		:: busy -> armed = 0
		:: else ->
			finished = done_flag && nconsumed == NT;
			/* idle: nothing is worth batching any more */
#ifdef MUTANT_NO_IDLE_PUBLISH
			retire_pass(0);
#else
			retire_pass(1);
#endif
			if
			:: finished -> break
			:: else -> skip
			fi;
			if
			:: !armed -> wiring_seq = 0; armed = 1	/* pto_waiter_prepare() */
			:: else -> (wiring_seq == 1); armed = 0	/* pto_waiter_sleep() */
			fi
		fi
	od;
	/* the run ended: every slot is retired and published */
	assert(la == NT)
}

ltl all_submitted { <> (handed == NT) }
