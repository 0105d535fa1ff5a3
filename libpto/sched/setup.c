// SPDX-License-Identifier: MIT
/*
 * setup.c - the schedulers' per-runtime state (cores, per-thread core
 * lists, ready queues; teardown accepts a half-built runtime), starting
 * and joining the threads of a run, and stopping the cores after a failed
 * run.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libpto/device/device_ops.h"
#include "libpto/device/mmio.h"
#include "libpto/sched/sched.h"
#include "libpto/sched/sched_impl.h"
#include "runtime/regs.h"

/* How long a failed run waits for each core to acknowledge EXIT. */
#define EXIT_WAIT_NS		(2000ull * 1000 * 1000)

int pto__sched_setup(struct pto_runtime *rt)
{
	uint64_t qcap, n = 0;
	int ret;

	/* read per runtime, not cached: pto_runtime_create() refuses a bad one */
	ret = pto__sched_spin_env(&rt->sched_spin_ns);
	if (ret)
		return ret;
	pto_waiter_init(&rt->sched_idle);
	rt->num_sched = rt->plan->num_schedulers;
	rt->cores = calloc(rt->num_cores, sizeof(*rt->cores));
	rt->sched = calloc(rt->num_sched, sizeof(*rt->sched));
	rt->serve = aligned_alloc(64, rt->num_sched * sizeof(*rt->serve));
	if (rt->serve)
		memset(rt->serve, 0, rt->num_sched * sizeof(*rt->serve));
	if (!rt->cores || !rt->sched || !rt->serve)
		return pto__fail(-ENOMEM, "pto_runtime_create: scheduler state");
	for (uint32_t i = 0; i < rt->num_cores; i++) {
		struct pto_core *c = &rt->cores[i];
		uint64_t pa;
		uint8_t *host;
		uint32_t cur;

		c->id = i;
		c->regs = pto_device_regs(rt->dev, i);
		if (!c->regs)
			return pto__fail(-EINVAL, "pto_runtime_create: core %u has no registers", i);
		c->type = PTO2_CORE_TYPE(rt->num_clusters, i);
		c->cluster = PTO2_CORE_CLUSTER(rt->num_clusters, i);
		c->lane = PTO2_CORE_LANE(rt->num_clusters, i);
		pa = reg_load_relaxed(&c->regs->payload_addr);
		host = pto_mem_map(rt->dev, pa, PTO2_PAYLOADS_PER_CORE * PTO2_PAYLOAD_SIZE);
		if (!host)
			return pto__fail(-EINVAL, "pto_runtime_create: core %u payload address "
					 "0x%" PRIx64 " is not device memory", i, pa);
		c->payload[0] = (struct pto2_dispatch_payload *)host;
		c->payload[1] = (struct pto2_dispatch_payload *)(host + PTO2_PAYLOAD_SIZE);
		/*
		 * Continue the core's id sequence: a core ignores a DATA_MAIN_BASE
		 * equal to the last one it latched (an earlier runtime's).
		 */
		cur = reg_load_relaxed(&c->regs->data_main_base);
		c->seq = cur >= PTO2_ID_MIN && cur <= PTO2_ID_MAX ? cur : 0;
	}
	for (uint32_t i = 0; i < rt->num_sched; i++) {
		struct pto_sched *s = &rt->sched[i];
		uint32_t nc = 0;

		s->rt = rt;
		s->idx = i;
		for (uint32_t c = i; c < rt->num_clusters; c += rt->num_sched)
			nc++;
		s->clusters = calloc(nc, sizeof(*s->clusters));
		s->aic = calloc(nc, sizeof(*s->aic));
		s->aiv = calloc(2 * nc, sizeof(*s->aiv));
		/* one request can borrow each idle unit once: 2 AIV cores per cluster */
		s->offer = calloc(2 * nc, sizeof(*s->offer));
		/* a pass rings at most every core twice (dual issue), lent ones included */
		s->serve = &rt->serve[i];
		s->serve->cap = 2 * rt->num_cores;
		s->serve->core = calloc(s->serve->cap, sizeof(*s->serve->core));
		if (!s->clusters || !s->aic || !s->aiv || !s->offer || !s->serve->core)
			return pto__fail(-ENOMEM, "pto_runtime_create: scheduler %u cores", i);
		for (uint32_t c = i; c < rt->num_clusters; c += rt->num_sched) {
			s->clusters[s->num_clusters++] = c;
			s->aic[s->num_aic++] = &rt->cores[PTO2_AIC_CORE(c)];
			s->aiv[s->num_aiv++] = &rt->cores[PTO2_AIV_CORE(rt->num_clusters, c, 0)];
			s->aiv[s->num_aiv++] = &rt->cores[PTO2_AIV_CORE(rt->num_clusters, c, 1)];
		}
	}
	/* sync-start capacity: the device's (schedulers pool their cores for it) */
	rt->sched_caps[PTO_TASK_SHAPE_AIC] = rt->num_clusters;
	rt->sched_caps[PTO_TASK_SHAPE_AIV] = 2 * rt->num_clusters;
	rt->sched_caps[PTO_TASK_SHAPE_MIX] = rt->num_clusters;
	/* every task of every window may be ready at once: a push can never fail */
	for (int r = 0; r < PTO_NUM_RINGS; r++)
		n += rt->cfg.task_window[r];
	qcap = pto__queue_cap(n);
	for (int sh = 0; sh < PTO_NUM_SHAPES; sh++) {
		ret = pto_rq_init(&rt->ready[sh], qcap);
		if (ret)
			return pto__fail(ret, "pto_runtime_create: ready queue of %" PRIu64, qcap);
	}
	return 0;
}

void pto__sched_teardown(struct pto_runtime *rt)
{
	if (rt->sched) {
		for (uint32_t i = 0; i < rt->num_sched; i++) {
			free(rt->sched[i].clusters);
			free(rt->sched[i].aic);
			free(rt->sched[i].aiv);
			free(rt->sched[i].offer);
		}
	}
	for (int sh = 0; sh < PTO_NUM_SHAPES; sh++)
		if (rt->ready[sh].cells)
			pto_rq_fini(&rt->ready[sh]);
	if (rt->serve)
		for (uint32_t i = 0; i < rt->num_sched; i++)
			free(rt->serve[i].core);
	free(rt->serve);
	free(rt->sched);
	free(rt->cores);
}

/*
 * How this run treats emulated cores (rt->emulate and friends, run.h).
 * PTO_RT_WORKER_CORES (PTO_INLINE_CORES=0) keeps every core on the sim
 * workers, the model before inline emulation; the tests run both.
 */
static void plan_emulation(struct pto_runtime *rt)
{
	const struct pto_gate_plan *p = rt->plan;
	uint32_t threads = 1 + rt->num_sched + (rt->wiring_on ? 1 : 0);

	rt->threads_fit = p->num_cpus >= threads;
	rt->emulate = pto__device_sim(rt->dev) && !(rt->cfg.flags & PTO_RT_WORKER_CORES);
	rt->emul_kick = rt->emulate && p->num_cpus > threads;
}

int pto__sched_start(struct pto_runtime *rt)
{
	plan_emulation(rt);
	/* no thread runs: a failed run may have left a request open */
	rt->sync_owner = -1;
	rt->sync_req = 0;
	for (uint32_t i = 0; i < rt->num_cores; i++) {
		struct pto_core *c = &rt->cores[i];

		c->lent = false;
		/* back once it took the EXIT: its kernel returned; pairs with its release */
		if (c->lost && pto_mmio_read32_acquire(&c->regs->cond) == PTO2_COND_EXITED)
			c->lost = false;
	}
	for (uint32_t i = 0; i < rt->num_sched; i++) {
		struct pto_sched *s = &rt->sched[i];

		s->sync_task = NULL;
		s->seen_gen = 0;
		s->lending = false;
		s->offer_gen = 0;
		s->offer_n = 0;
		s->dispatches = 0;
		s->emulated_ns = 0;
		s->first_dispatch_ns = 0;
		s->last_complete_ns = 0;
		s->serve->n = 0;
		s->serve->busy = 0;
		s->serve->work_ns = 0;
		s->inflight = 0;
		s->resv_cluster = -1;
		memset(s->cursor, 0, sizeof(s->cursor));
	}
	for (uint32_t i = 0; i < rt->num_sched; i++) {
		struct pto_sched *s = &rt->sched[i];
		int ret = pto_gate_thread_create(&s->thread, rt->plan->sched_cpu[i],
						 pto__sched_main, s);

		if (ret) {
			pto__rt_fail(rt, -ret, "pto_run: cannot start scheduler thread %u", i);
			return -ret;
		}
		s->started = true;
	}
	return 0;
}

void pto__sched_join(struct pto_runtime *rt)
{
	for (uint32_t i = 0; i < rt->num_sched; i++) {
		if (rt->sched[i].started)
			pthread_join(rt->sched[i].thread, NULL);
		rt->sched[i].started = false;
	}
}

/*
 * Name the cores still in a kernel after EXIT in the run's message (every
 * thread of the run is joined: the message is this thread's to extend).
 */
static void note_lost(struct pto_runtime *rt)
{
	char list[160];
	size_t len = 0, msg_len = strlen(rt->err.msg);
	uint32_t n = 0;

	for (uint32_t i = 0; i < rt->num_cores; i++)
		if (rt->cores[i].lost && len < sizeof(list))
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%u",
						n++ ? ", " : "", i);
	/* on the mock, a worker still in a kernel holds every core it emulates */
	if (n)
		snprintf(rt->err.msg + msg_len, sizeof(rt->err.msg) - msg_len, "; core%s %s did "
			 "not take EXIT (a kernel still running holds %s): left out of later "
			 "runs until %s", n > 1 ? "s" : "", list, n > 1 ? "them" : "it",
			 n > 1 ? "they do" : "it does");
}

void pto__sched_stop_cores(struct pto_runtime *rt)
{
	struct pto_device *dev = rt->dev;
	uint64_t deadline = pto_now_ns() + EXIT_WAIT_NS;

	/*
	 * Every core gets EXIT, busy or not: the next dispatch id brings it
	 * back, and a core that latched EXIT is known to have dropped whatever
	 * the failed run gave it.
	 */
	for (uint32_t i = 0; i < rt->num_cores; i++) {
		/* nothing new in the payloads; pairs with the core's acquire */
		pto_mmio_write32_release(&rt->cores[i].regs->data_main_base, PTO2_REG_EXIT);
		pto__device_kick(dev, i);
	}
	for (uint32_t i = 0; i < rt->num_cores; i++) {
		struct pto_core *c = &rt->cores[i];

		for (;;) {
			/* announced before the look, so an EXITED after it wakes us */
			uint32_t key = pto__device_completion_prepare(dev);
			/* pairs with the core's release store of COND_EXITED */
			bool exited = pto_mmio_read32_acquire(&c->regs->cond) == PTO2_COND_EXITED;

			if (exited || pto_now_ns() > deadline) {
				pto__device_completion_cancel(dev);
				c->lost = !exited;
				break;
			}
			pto__device_wait_completion(dev, key, pto_now_ns() + 1000000);
		}
		sub_clear(&c->run);
		sub_clear(&c->pend);
		c->run_acked = false;
	}
	note_lost(rt);
	/* forget the failed run's ready tasks */
	for (int sh = 0; sh < PTO_NUM_SHAPES; sh++)
		while (pto_rq_pop(&rt->ready[sh]))
			;
}
