// SPDX-License-Identifier: MIT
/*
 * plan.c - which CPUs the run's threads get: the allowlist (cfg.cpus or the
 * device's), the process affinity mask and the affinity gate's plan
 * (gate/affinity.c), capped to one scheduler per cluster.  Part of the
 * runtime shell: it decides how many schedulers sched/ sets up.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>

#include "libpto/runtime/plan.h"

int pto__plan_threads(struct pto_runtime *rt)
{
	int32_t cpus[PTO_GATE_MAX_THREADS], mask[CPU_SETSIZE];
	uint32_t ncpus = 0, nmask;
	int ret;

	if (rt->cfg.cpus && rt->cfg.cpus[0]) {
		ret = pto_gate_parse_cpus(rt->cfg.cpus, cpus, PTO_GATE_MAX_THREADS);
		if (ret < 0)
			return ret;
		ncpus = (uint32_t)ret;
	} else {
		for (uint32_t i = 0; i < rt->dev->info.num_cpus && i < PTO_GATE_MAX_THREADS; i++)
			cpus[ncpus++] = rt->dev->info.cpus[i];
	}
	ret = pto_gate_affinity_cpus(mask, CPU_SETSIZE);
	if (ret < 0)
		return ret;
	nmask = (uint32_t)ret;
	rt->plan = calloc(1, sizeof(*rt->plan));
	if (!rt->plan)
		return pto__fail(-ENOMEM, "pto_runtime_create: thread plan");
	/* divides the allowlist with other devices' live runtimes; caps at the clusters */
	ret = pto_gate_plan_live(rt->plan, rt->dev, cpus, ncpus, mask, nmask, rt->cfg.num_schedulers,
				 rt->cfg.wiring, rt->num_clusters);
	if (ret)
		return ret;
	/* a library prints nothing unless asked */
	if ((rt->cfg.flags & PTO_RT_VERBOSE) && !(rt->cfg.flags & PTO_RT_QUIET))
		pto_gate_print(rt->plan);
	return 0;
}
