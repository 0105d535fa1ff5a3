// SPDX-License-Identifier: MIT
/*
 * help.c - an orchestrator that waits (ring back-pressure, a blocking
 * tensor access, the drain after the orchestration function returned)
 * runs emulated cores instead of only spinning: on the mock and soft
 * devices its CPU is then one more core.  A scheduler with more queued
 * than it will soon get through wakes it (pto__orch_wake_help()).
 * docs/runtime.md, "Emulating the cores".
 */
#include "libpto/device/device_ops.h"
#include "libpto/orch/orch_impl.h"

/* The longest the drain sleeps without a wake-up (the run's end wakes it). */
#define DRAIN_NAP_NS		(100ull * 1000 * 1000)

/*
 * Run one emulated core a scheduler queued and nobody took.  Return: true if
 * it did.  Model-checked: tests/models/core_claim.pml (proctype helper).
 */
static bool help_one(struct pto_runtime *rt)
{
	if (!rt->emulate)
		return false;
	/*
	 * Only the cores the schedulers queued to run themselves (their serve
	 * lists), from the end, where the owner gets to last: not a scan of
	 * every core, whose lines the schedulers write, and not a long kernel,
	 * which is its worker's and would keep the orchestrator from submitting
	 * once the ring frees.
	 */
	for (uint32_t k = 0; k < rt->num_sched; k++) {
		struct pto_serve_list *sl = &rt->serve[(rt->help_cursor + k) % rt->num_sched];
		/* acquire: pairs with the release of the count in dispatch_sub() */
		uint32_t n = __atomic_load_n(&sl->n, __ATOMIC_ACQUIRE);

		while (n-- > 0) {
			uint32_t i = __atomic_load_n(&sl->core[n], __ATOMIC_RELAXED);

			/*
			 * The gate: dispatch_sub() stores the class before the
			 * doorbell's release, which the sim acquires under the
			 * core's claim, so a stale entry never runs a long kernel.
			 */
			if (i < rt->num_cores &&
			    pto__device_serve(rt->dev, i, &rt->cores[i].emul_inline)) {
				rt->help_cursor = (rt->help_cursor + k + 1) % rt->num_sched;
				return true;
			}
		}
	}
	return false;
}

/* A scheduler is running its queued cores: more follow soon, worth spinning for. */
static bool help_soon(struct pto_runtime *rt)
{
	if (!rt->emulate || !rt->threads_fit)
		return false;
	for (uint32_t k = 0; k < rt->num_sched; k++)
		if (__atomic_load_n(&rt->serve[k].busy, __ATOMIC_RELAXED))
			return true;
	return false;
}

enum pto_wait_step pto__orch_wait_step(struct pto_runtime *rt, uint32_t *spins)
{
	if (help_one(rt)) {
		*spins = 0;
		pto__orch_sleep_cancel(rt);
		return PTO_WAIT_RAN;
	}
	if (*spins < PTO_SPIN_BUDGET || help_soon(rt)) {
		(*spins)++;
		pto__orch_sleep_cancel(rt);
		pto_cpu_relax();
		return PTO_WAIT_SPUN;
	}
	/*
	 * Announce, then the caller looks once more: that look is the
	 * eventcount's re-check (util/waiter.h).  Not while spinning: an
	 * announced sleeper makes the wakers' calls syscalls.
	 */
	return pto_waiter_arm(&rt->orch_wait, &rt->orch_arm) ? PTO_WAIT_SPUN : PTO_WAIT_SLEEP;
}

void pto__orch_sleep(struct pto_runtime *rt, uint64_t deadline_ns)
{
	pto_waiter_arm_sleep(&rt->orch_wait, &rt->orch_arm, deadline_ns);
}

void pto__orch_sleep_cancel(struct pto_runtime *rt)
{
	pto_waiter_disarm(&rt->orch_wait, &rt->orch_arm);
}

void pto__orch_help_begin(struct pto_runtime *rt)
{
	/* a hint for pto__orch_wake_help(); the wait's own prepare orders the wake */
	if (rt->emulate)
		__atomic_store_n(&rt->orch_helps, 1, __ATOMIC_RELAXED);
}

void pto__orch_help_end(struct pto_runtime *rt)
{
	pto__orch_sleep_cancel(rt);
	/* a store only after a begin: every submit ends here, and the schedulers read the line */
	if (rt->emulate && __atomic_load_n(&rt->orch_helps, __ATOMIC_RELAXED))
		__atomic_store_n(&rt->orch_helps, 0, __ATOMIC_RELAXED);
}

void pto__orch_help_drain(struct pto_runtime *rt)
{
	uint32_t spins = 0;

	if (!rt->emulate)
		return;
	pto__orch_help_begin(rt);
	for (;;) {
		/* acquire: pairs with the completions' increments, like the schedulers' check */
		if (pto__rt_error(rt) || pto__run_finished(rt, true))
			break;
		if (pto__orch_wait_step(rt, &spins) != PTO_WAIT_SLEEP)
			continue;
		/* the last scheduler out, an error, or a long list wakes it */
		pto__orch_sleep(rt, pto_now_ns() + DRAIN_NAP_NS);
		spins = 0;
	}
	pto__orch_help_end(rt);
}
