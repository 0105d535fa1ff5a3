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
	/* busy schedulers sleep on the device's completion counter, idle ones here */
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
	 * The caller's stores of its serve list, then the flag: pairs with
	 * pto__orch_help_begin()'s seq_cst store of orch_helps before the
	 * orchestrator's last look at the serve lists and its sleep, so either
	 * it sees the list or this sees the flag (and a wake after its
	 * pto_waiter_prepare() ends the sleep).
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&rt->orch_helps, __ATOMIC_RELAXED))
		pto_waiter_wake(&rt->orch_wait);
}
