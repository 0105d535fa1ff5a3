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
	uint32_t n = rt->num_cores;

	if (!rt->emulate)
		return false;
	/*
	 * Only cores whose dispatch the schedulers judged short (emul_inline):
	 * a long kernel is its worker's, and would keep the orchestrator from
	 * submitting once the ring frees.
	 */
	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = (rt->help_cursor + k) % n;
		struct pto_core *c = &rt->cores[i];

		/* a cheap look first; the claim then checks the class for real */
		if (!__atomic_load_n(&c->emul_inline, __ATOMIC_RELAXED))
			continue;
		/*
		 * The gate: dispatch_sub() stores the class before the doorbell's
		 * release, which the sim acquires under the core's claim.
		 */
		if (pto__device_serve(rt->dev, i, &c->emul_inline)) {
			/* start after it next time: no core starves the ones behind it */
			rt->help_cursor = (i + 1) % n;
			return true;
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
