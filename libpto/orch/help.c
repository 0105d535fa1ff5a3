// SPDX-License-Identifier: MIT
/*
 * help.c - an orchestrator that waits (ring back-pressure, a blocking
 * tensor access, the drain after the orchestration function returned)
 * runs emulated cores instead of only spinning: on the mock and soft
 * devices its CPU is then one more core, and no wake-up is needed to use
 * it.  docs/runtime.md, "Emulating the cores".
 */
#include "libpto/device/device_ops.h"
#include "libpto/orch/orch_impl.h"

bool pto__orch_help(struct pto_runtime *rt)
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

void pto__orch_help_drain(struct pto_runtime *rt)
{
	uint32_t idle = 0;

	if (!rt->emulate)
		return;
	/*
	 * Until the run ends, or the device had nothing for a spin budget;
	 * then pto_run() joins the schedulers, which need no help.  acquire:
	 * pairs with the completions' increments, like the schedulers' check.
	 */
	while (idle < PTO_SPIN_BUDGET && !pto__rt_error(rt) && !pto__run_finished(rt, true)) {
		if (pto__orch_help(rt)) {
			idle = 0;
			continue;
		}
		idle++;
		pto_cpu_relax();
	}
}
