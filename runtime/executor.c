// SPDX-License-Identifier: MIT
/*
 * executor.c - the core side of the register protocol (see executor.h).
 * Model-checked with the scheduler's side: tests/models/dispatch.pml.
 */
#include "libpto/util/clock.h"
#include "runtime/executor.h"
#include "runtime/regs.h"

void pto_exec_init(struct pto_executor *ex, struct pto2_core_regs *regs, uint8_t *gm,
		   uint64_t gm_size, pto_kernel_fn *kernels)
{
	ex->regs = regs;
	ex->gm = gm;
	ex->gm_size = gm_size;
	ex->kernels = kernels;
	ex->last = PTO2_REG_IDLE;
}

static int is_dispatch_id(uint32_t v)
{
	return v >= PTO2_ID_MIN && v <= PTO2_ID_MAX;
}

enum pto_exec_event pto_exec_poll(struct pto_executor *ex, uint32_t *id)
{
	struct pto2_core_regs *r = ex->regs;
	/* pairs with the scheduler's release store after writing the payload */
	uint32_t v = reg_load_acquire(&r->data_main_base);

	if (v == ex->last)
		return PTO_EXEC_NONE;
	/* atomic: an emulator thread peeks at it without being this core (sim/sim.c) */
	__atomic_store_n(&ex->last, v, __ATOMIC_RELAXED);
	if (v == PTO2_REG_EXIT) {
		/* pairs with the scheduler's acquire load of COND */
		reg_store_release(&r->cond, PTO2_COND_EXITED);
		return PTO_EXEC_EXIT;
	}
	/* IDLE or a reserved value: nothing to run, only latched */
	if (!is_dispatch_id(v))
		return PTO_EXEC_NONE;
	reg_store_relaxed(&r->start_ns[PTO2_PAYLOAD_SLOT(v)], pto_now_ns());
	/* publishes start_ns; pairs with the scheduler's acquire load of COND */
	reg_store_release(&r->cond, PTO2_COND(0, v));
	*id = v;
	return PTO_EXEC_TASK;
}

/* The payload of buffer @slot, or NULL when payload_addr is out of range. */
static const struct pto2_dispatch_payload *exec_payload(struct pto_executor *ex, uint32_t slot)
{
	uint64_t base = reg_load_relaxed(&ex->regs->payload_addr);
	uint64_t need = (uint64_t)PTO2_PAYLOADS_PER_CORE * PTO2_PAYLOAD_SIZE;

	if (base == 0 || base > ex->gm_size || ex->gm_size - base < need)
		return NULL;
	return (const struct pto2_dispatch_payload *)(ex->gm + base +
						      (uint64_t)slot * PTO2_PAYLOAD_SIZE);
}

void pto_exec_finish(struct pto_executor *ex, uint32_t id, int status)
{
	struct pto2_core_regs *r = ex->regs;
	uint32_t slot = PTO2_PAYLOAD_SLOT(id);

	reg_store_relaxed(&r->status[slot], status);
	reg_store_relaxed(&r->end_ns[slot], pto_now_ns());
	/* single writer: the core */
	reg_store_relaxed(&r->exec_count, reg_load_relaxed(&r->exec_count) + 1);
	/* publishes status, end_ns and the kernel's writes; pairs with the acquire of COND */
	reg_store_release(&r->cond, PTO2_COND(1, id));
}

void pto_exec_run(struct pto_executor *ex, uint32_t id)
{
	struct pto2_core_regs *r = ex->regs;
	const struct pto2_dispatch_payload *p = exec_payload(ex, PTO2_PAYLOAD_SLOT(id));
	int status;

	if (!p) {
		status = PTO_EXEC_STATUS_BAD_PAYLOAD;
	} else {
		uint32_t kid = p->kernel_id;
		pto_kernel_fn fn = NULL;
		uint64_t nargs = (uint64_t)p->num_tensors + p->num_scalars;

		/* a spilled argument array must lie inside device memory, like the payload */
		if ((p->flags & PTO2_PAYLOAD_SPILLED) &&
		    (p->args[0] == 0 || (p->args[0] & 7) || nargs > PTO2_MAX_ARGS ||
		     p->args[0] > ex->gm_size || ex->gm_size - p->args[0] < nargs * 8)) {
			pto_exec_finish(ex, id, PTO_EXEC_STATUS_BAD_PAYLOAD);
			return;
		}
		if (kid < PTO2_MAX_KERNELS)
			/* pairs with the release store that registered the kernel */
			fn = __atomic_load_n(&ex->kernels[kid], __ATOMIC_ACQUIRE);
		if (!fn) {
			status = PTO2_STATUS_NO_KERNEL;
		} else {
			struct pto_kernel_ctx ctx = {
				.payload = p,
				.gm = ex->gm,
				.core_id = reg_load_relaxed(&r->core_id),
				.core_type = reg_load_relaxed(&r->core_type),
				.cluster_id = reg_load_relaxed(&r->cluster_id),
			};

			status = fn(&ctx);
		}
	}
	pto_exec_finish(ex, id, status);
}

enum pto_exec_event pto_exec_step(struct pto_executor *ex)
{
	uint32_t id;
	enum pto_exec_event ev = pto_exec_poll(ex, &id);

	if (ev == PTO_EXEC_TASK)
		pto_exec_run(ex, id);
	return ev;
}
