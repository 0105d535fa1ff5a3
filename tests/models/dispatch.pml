/*
 * dispatch.pml - one core's dispatch / ACK / FIN protocol with dual issue.
 *
 * Mirrors (keep in step when either changes):
 *   libpto/sched/cond_decode.c  pto_cond_decode()   -> inline decode()
 *   libpto/sched/complete.c     poll_core()
 *   libpto/sched/payload.c      dispatch_sub()
 *   libpto/sched/sched_impl.h   core_takes()        -> proctype sched
 *   runtime/executor.c          pto_exec_poll(), pto_exec_run(),
 *                               pto_exec_finish()   -> proctype core
 *   uapi/pto2_abi.h             COND = FIN bit | id, payload buffer = id & 1
 *
 * One scheduler, one core, N dispatches with ids 1..N (the real ids also
 * only grow while in flight: PTO2_DISPATCH_ID).  Each shared variable is
 * one register or memory word, and every access to one is a step of its
 * own; the model assumes each hand-off is sequentially consistent, which
 * the barriers of docs/porting.md ("barrier map") provide on the chip.
 *
 * Checked (run-models.sh): the assertions below (the core runs exactly the
 * payload published for the id it latched; the scheduler reports a FIN
 * only for a dispatch the core finished, once, reading that dispatch's own
 * status), no invalid end state, and the LTL property "every dispatch is
 * eventually reported finished" under weak fairness.
 *
 * Mutants (each must make the check fail):
 *   -DMUTANT_PROMOTE_ON_FIN  promote the pending dispatch on FIN(running)
 *                            (the case cond_decode.c refuses)
 *   -DMUTANT_NO_ACK_WAIT     fill the pending slot before the running
 *                            dispatch was ACKed (core_takes()'s run_acked)
 */

#ifndef N
#define N 4
#endif

#define NO_ID		0
#define ID_IDLE		15		/* PTO2_ID_CORE_IDLE stand-in, never a dispatch id */
#define REG_IDLE	14		/* PTO2_REG_IDLE stand-in */
#define FIN		16
#define COND_ID(c)	((c) % 16)
#define IS_FIN(c)	((c) >= FIN)

byte dmb = REG_IDLE;		/* DATA_MAIN_BASE */
byte cond = FIN + ID_IDLE;	/* COND: PTO2_COND_IDLE */
byte payload[2];		/* the two payload buffers: which dispatch they hold */
byte status[2];			/* status[buf]: which dispatch wrote it */

bit executed[N + 1];		/* ghost: the core ran the kernel of id */
bit reported[N + 1];		/* ghost: the scheduler saw id finish */
byte nreported = 0;

/* Mirror of pto_cond_decode(): writes rd, pd, pr, ra. */
inline decode(running, pending, c, rd, pd, pr, ra)
{
	rd = 0; pd = 0; pr = 0; ra = 0;
	if
	:: running == NO_ID -> skip
	:: else ->
		if
		:: pending != NO_ID && COND_ID(c) == pending ->
			rd = 1;
			if
			:: IS_FIN(c) -> pd = 1
			:: else -> pr = 1; ra = 1
			fi
		:: else ->
			if
			:: COND_ID(c) == running ->
				if
				:: !IS_FIN(c) -> ra = 1
				:: IS_FIN(c) && pending == NO_ID -> rd = 1
#ifdef MUTANT_PROMOTE_ON_FIN
				:: IS_FIN(c) && pending != NO_ID -> rd = 1; pr = 1; ra = 1
#else
				:: IS_FIN(c) && pending != NO_ID -> skip	/* wait for pending's ACK/FIN */
#endif
				fi
			:: else -> skip
			fi
		fi
	fi
}

/* sub_finished(): the FIN of @id is reported; its status buffer is read. */
inline finished(id)
{
	assert(executed[id]);			/* no FIN misread: the core ran it */
	assert(status[id & 1] == id);		/* and the status read is its own */
	assert(!reported[id]);			/* reported once */
	reported[id] = 1;
	nreported++
}

active proctype sched()
{
	byte running = NO_ID, pending = NO_ID, next = 1, c;
	bit acked = 0, rd, pd, pr, ra;

	do
	:: next <= N && running == NO_ID ->
		/* dispatch_sub() on an idle core: payload first, then the id */
		payload[next & 1] = next;
		d_step { running = next; acked = 0 };
		dmb = next;
		next++
#ifdef MUTANT_NO_ACK_WAIT
	:: next <= N && running != NO_ID && pending == NO_ID ->
#else
	:: next <= N && running != NO_ID && acked && pending == NO_ID ->
#endif
		/* dual issue: the pending slot behind a latched dispatch */
		payload[next & 1] = next;
		pending = next;
		dmb = next;
		next++
	:: running != NO_ID ->
		/* poll_core() */
		c = cond;
		decode(running, pending, c, rd, pd, pr, ra);
		if
		:: rd -> finished(running)
		:: else -> skip
		fi;
		if
		:: pd -> finished(pending)
		:: else -> skip
		fi;
		if
		:: pr -> running = pending; pending = NO_ID; acked = 1
		:: !pr && rd -> running = NO_ID; pending = NO_ID; acked = 0
		:: else -> skip
		fi;
		if
		:: ra -> acked = 1
		:: else -> skip
		fi
	:: nreported == N -> break
	od
}

active proctype core()
{
	byte last = REG_IDLE, v, p;

end:	do
	:: dmb != last ->
		/* pto_exec_poll(): latch the id, ACK it */
		v = dmb;
		last = v;
		if
		:: v >= 1 && v <= N ->
			cond = v;			/* ACK(v) */
			/* pto_exec_run(): the payload is read after the ACK */
			p = payload[v & 1];
			assert(p == v);			/* the buffer was not reused under it */
			executed[v] = 1;
			/* pto_exec_finish(): status, then FIN */
			status[v & 1] = v;
			cond = FIN + v
		:: else -> skip
		fi
	od
}

ltl all_reported { <> (nreported == N) }
