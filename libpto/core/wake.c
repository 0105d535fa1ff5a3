// SPDX-License-Identifier: MIT
/*
 * wake.c - waking the threads that sleep on the run's progress: the
 * schedulers (new work) and the orchestrator (ring space, the tasks a
 * blocking tensor access waits for, or emulated cores to help with).  The wiring thread's wake-ups are
 * its own (retire.c, wiring/thread.c).  Any thread.
 */
#include "libpto/core/run.h"
#include "libpto/device/device_ops.h"

void pto__sched_kick(struct pto_runtime *rt)
{
	/* busy schedulers sleep on the device's completion waiter, idle ones here */
	pto__device_notify(rt->dev);
	pto_waiter_wake(&rt->sched_idle);
}

void pto__orch_wake_ring(struct pto_runtime *rt, struct pto_ring *r, uint64_t la)
{
	/*
	 * seq_cst load of the wanted watermark after the caller's seq_cst store
	 * of @la: pairs with ring_sleep()'s seq_cst store of orch_wake_la and
	 * reload of last_task_alive (orch/backpressure.c), so one of the two
	 * sees the other.
	 */
	if (la >= __atomic_load_n(&r->orch_wake_la, __ATOMIC_SEQ_CST))
		pto_waiter_wake(&rt->orch_wait);
}

void pto__orch_wake_done(struct pto_runtime *rt)
{
	/*
	 * seq_cst load of the flag after the caller's seq_cst add (of completed
	 * in task_complete(), of wire_done in wire_pass()): pairs with
	 * tensor_access()'s seq_cst store of orch_wants_done and its load of
	 * completed / wire_done (orch/tensor_access.c), so either the
	 * orchestrator sees the progress or this sees the flag.
	 */
	if (__atomic_load_n(&rt->orch_wants_done, __ATOMIC_SEQ_CST))
		pto_waiter_wake(&rt->orch_wait);
}

void pto__orch_wake_help(struct pto_runtime *rt)
{
	/*
	 * A hint (relaxed): an orchestrator that set the flag just now may be
	 * missed, which costs its help with this list, never progress (the
	 * scheduler runs its list itself).  The wake itself is the waiter's
	 * protocol: the list is stored before it, the orchestrator prepares
	 * before it looks (orch/help.c).
	 */
	if (__atomic_load_n(&rt->orch_helps, __ATOMIC_RELAXED))
		pto_waiter_wake(&rt->orch_wait);
}

void pto__orch_wake_end(struct pto_runtime *rt)
{
	/*
	 * Not a hint: a draining orchestrator sleeps until this.  The run's
	 * end (completed == submitted) is published before the wake, and the
	 * drain prepares before it checks (orch/help.c pto__orch_help_drain()).
	 */
	pto_waiter_wake(&rt->orch_wait);
}
