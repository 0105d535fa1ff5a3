// SPDX-License-Identifier: MIT
/*
 * payload.c - issuing one dispatch: write the core's payload buffer
 * (kernel, block, lane, task id, argument addresses or the spilled array),
 * publish its id in DATA_MAIN_BASE, and ring the core's doorbell or queue
 * it for this thread to emulate (loop.c serve_cores()).
 */
#include <string.h>

#include "libpto/device/device_ops.h"
#include "libpto/device/mmio.h"
#include "libpto/sched/sched_impl.h"
#include "runtime/regs.h"

/* Model-checked: tests/models/dispatch.pml and core_claim.pml (proctype sched). */
static void dispatch_sub(struct pto_sched *s, struct pto_core *core, struct pto_task *t,
			 uint32_t block, uint32_t lane, uint64_t now)
{
	struct pto_runtime *rt = s->rt;
	uint32_t id = PTO2_DISPATCH_ID(core->seq);
	struct pto2_dispatch_payload *p = core->payload[PTO2_PAYLOAD_SLOT(id)];
	struct pto_sub *sub = core_free(core) ? &core->run : &core->pend;
	bool inl;
	uint64_t *sc = (uint64_t *)(t->args_host + pto__args_scalar_off(t->num_tensors,
									  t->num_scalars));

	core->seq++;
	p->kernel_id = (uint32_t)t->kernel[lane];
	p->block_idx = block;
	p->block_num = t->block_num;
	p->sub_block_id = lane == 2 ? 1 : 0;
	p->num_tensors = t->num_tensors;
	p->num_scalars = t->num_scalars;
	p->task_id = (uint64_t)t->id;
	if (pto__args_spill(t->num_tensors, t->num_scalars)) {
		/* the whole array is in the argument block, written at submit */
		p->flags = PTO2_PAYLOAD_SPILLED;
		p->args[0] = t->args_addr + (uint64_t)t->num_tensors *
			     sizeof(struct pto2_tensor_desc);
	} else {
		p->flags = 0;
		for (uint32_t i = 0; i < t->num_tensors; i++)
			p->args[i] = t->args_addr + (uint64_t)i * sizeof(struct pto2_tensor_desc);
		memcpy(&p->args[t->num_tensors], sc, (uint64_t)t->num_scalars * 8);
	}

	sub->task = t;
	sub->id = id;
	sub->block_idx = block;
	sub->lane = lane;
	sub->trace = NULL;
	if (pto_trace_on(rt->trace)) {
		struct pto_trace_dispatch *d = pto_trace_dispatch_begin(rt->trace, s->idx);

		if (d) {
			d->task_idx = t->trace_idx;
			d->task_id = t->id;
			d->kernel = (uint32_t)t->kernel[lane];
			d->core = core->id;
			d->block_idx = block;
			d->sub_block_id = (uint16_t)p->sub_block_id;
			d->sched = (uint16_t)s->idx;
			d->t_dispatch = now;
			sub->trace = d;
		}
	}
	if (sub == &core->run) {
		core->run_acked = false;
		core->deadline_ns = now + core_timeout_ns(rt);
	}
	/*
	 * An emulated core is run by this thread after the dispatch pass
	 * (loop.c serve_cores()), so no worker needs waking: the critical path
	 * has no futex wake-up.  Waking a worker as well only pays where CPUs
	 * beyond the run's threads would otherwise idle.  The class goes in
	 * before the doorbell: the gate of a helping orchestrator, which the
	 * sim reads after acquiring DATA_MAIN_BASE (orch/help.c).
	 */
	inl = kernel_inline(rt, t->kernel[lane]) && s->serve->n < s->serve->cap;
	__atomic_store_n(&core->emul_inline, inl, __ATOMIC_RELAXED);
	/*
	 * The payload is complete: pairs with the core's acquire of DATA_MAIN_BASE
	 * (device-memory wmb before the doorbell store: libpto/device/mmio.h).
	 */
	pto_mmio_write32_release(&core->regs->data_main_base, id);
	if (inl) {
		struct pto_serve_list *sl = s->serve;

		/* entry, then count: a helper reading the count finds the entry (a hint) */
		__atomic_store_n(&sl->core[sl->n], core->id, __ATOMIC_RELAXED);
		__atomic_store_n(&sl->n, sl->n + 1, __ATOMIC_RELEASE);
		sl->work_ns += __atomic_load_n(&rt->kernel_ns[t->kernel[lane]], __ATOMIC_RELAXED);
	}
	if (!inl || rt->emul_kick)
		pto__device_kick(rt->dev, core->id);
	s->dispatches++;
}

/* Dispatch the next block of @t on @unit (a core, or a cluster's lanes). */
void pto__dispatch_unit(struct pto_sched *s, struct pto_task *t, uint32_t unit, uint64_t now)
{
	struct pto_runtime *rt = s->rt;

	if (t->shape != PTO_TASK_SHAPE_MIX) {
		dispatch_sub(s, &rt->cores[unit], t, t->next_block,
			     t->shape == PTO_TASK_SHAPE_AIC ? 0 : 1, now);
	} else {
		for (uint32_t l = 0; l < 3; l++)
			if (t->lanes & (1u << l))
				dispatch_sub(s, lane_core(rt, unit, l), t, t->next_block, l, now);
	}
	t->next_block++;
}
