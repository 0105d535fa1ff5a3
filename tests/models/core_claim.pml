/*
 * core_claim.pml - who runs an emulated core: the scheduler that rang its
 * doorbell, a helping orchestrator, or the core's worker, one at a time
 * under the core's claim; a doorbell rung while the core is claimed is
 * left to the holder, which looks at the doorbell again after releasing.
 *
 * Mirrors (keep in step when either changes):
 *   sim/sim.c            sim_claim(), sim_unclaim(), sim_serve_here()
 *                        (the re-look loop), pto_sim_serve()'s pre-check,
 *                        sim_poll_cores()'s one more pass  -> serve(), worker
 *   libpto/sched/payload.c dispatch_sub() (a doorbell only after the
 *                        previous dispatch was latched: dual issue needs its
 *                        ACK)                              -> proctype sched
 *   libpto/sched/loop.c  serve_cores()                     -> sched's serve
 *   libpto/orch/help.c   pto__orch_help()                  -> proctype helper
 *
 * The scheduler rings ND dispatches on one core and tries to serve each
 * itself; the helper and the worker look at the core whenever they like
 * and may stop for good at any point between two looks (an orchestrator
 * that goes back to submitting, a worker that falls asleep: inline
 * dispatches wake no worker).  Every shared access is one step
 * (sequentially consistent: in the C code a dispatcher's claim attempt and
 * a holder's release are both exchanges of the claim word, so one always
 * reads the other's and sees what came before it; sim_claim_rung(),
 * sim_unclaim()).
 *
 * Checked: a core is run by one thread at a time; every dispatch runs
 * exactly once; no invalid end state (a doorbell nobody will serve leaves
 * the scheduler waiting for its FIN forever); LTL "every dispatch
 * eventually finishes" under weak fairness.
 *
 * Mutants: -DMUTANT_NO_RELOOK     a releasing holder does not look at the
 *                                 doorbell again (sim_serve_here()'s loop);
 *          -DMUTANT_WORKER_SLEEPS a worker may stop right after a pass that
 *                                 left news behind (sim_poll_cores()'s
 *                                 one more pass removed).
 */

#ifndef ND
#define ND 4
#endif

byte dmb = 0;		/* DATA_MAIN_BASE: the last dispatch rung */
byte last = 0;		/* the executor's latched value */
bit claim = 0;
byte inside = 0;	/* ghost: threads emulating the core */
byte fin = 0;		/* dispatches run */

/* One look under the claim: latch and run what is new.  did: it ran one. */
inline look(did)
{
	assert(inside == 0);
	inside++;
	if
	:: dmb != last -> last = dmb; fin++; did = 1
	:: else -> did = 0
	fi;
	inside--
}

/*
 * sim_serve_here(): claim, look, release, and again while there is news
 * (a look that found nothing counts too: the doorbell may have been rung
 * during it).
 */
inline serve()
{
	bit did;

	do
	:: atomic { claim == 0 -> claim = 1 };
		look(did);
		claim = 0;
#ifdef MUTANT_NO_RELOOK
		break
#else
		if
		:: dmb != last -> skip
		:: else -> break
		fi
#endif
	:: claim == 1 -> break	/* taken: its holder looks again after releasing */
	od
}

active proctype sched()
{
	byte k = 1;

	do
	:: k <= ND ->
		(last == k - 1);	/* the previous dispatch was latched (ACK) */
		dmb = k;		/* the doorbell */
		/* pto_sim_serve(): nothing new, or claimed, and it leaves */
		if
		:: dmb != last && claim == 0 -> serve()
		:: else -> skip
		fi;
		k++
	:: k > ND -> break
	od;
	(fin == ND);		/* waits for the last FIN */
	assert(last == ND)
}

active proctype helper()
{
	do
	:: dmb != last && claim == 0 -> serve()
	:: break		/* back to submitting: it may never help again */
	od
}

/* sim_poll_cores(): a pass is claim, look, release; news left means one more pass. */
active proctype worker()
{
	bit did, again = 0;

	do
	:: atomic { claim == 0 -> claim = 1 };
		look(did);
		claim = 0;
		again = dmb != last
	:: claim == 1 -> skip	/* someone emulates it: the pass skips it */
#ifdef MUTANT_WORKER_SLEEPS
	:: break
#else
	:: !again -> break	/* asleep: no kick will come */
#endif
	od
}

ltl all_run { <> (fin == ND) }
