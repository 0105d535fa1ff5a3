// SPDX-License-Identifier: MIT
/*
 * submit.c - pto_submit(): validate the launch and the arguments, then the
 * steps of a submit (collect producers, allocate, fill the slot and its
 * arguments, record writes and reads, link).  Runs only on the thread
 * inside pto_run().
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "libpto/api.h"
#include "libpto/device/device_ops.h"
#include "libpto/orch/orch_impl.h"
#include "libpto/util/prefetch.h"
#include "libpto/wiring/wiring.h"

/* --- launch and argument validation ----------------------------------------------- */

static int check_kernel(struct pto_runtime *rt, int32_t k, enum pto2_core_type want,
			const char *lane)
{
	if (k == PTO_NO_KERNEL)
		return 0;
	if (k < 0 || (uint32_t)k >= PTO2_MAX_KERNELS)
		return orch_fail(rt, -EINVAL, "pto_submit: %s kernel id %d out of range", lane, k);
	if (rt->kernel_type[k] < 0)
		return orch_fail(rt, -EINVAL, "pto_submit: %s kernel %d is not registered", lane,
				 k);
	if (rt->kernel_type[k] != (int8_t)want)
		return orch_fail(rt, -EINVAL, "pto_submit: %s kernel %d ('%s') is registered "
				 "for the %s core", lane, k, pto__kernel_name(rt, k),
				 want == PTO2_CORE_AIC ? "AIV" : "AIC");
	return 0;
}

/* Fill @t's shape fields from @l; return 0 or the failed run's code. */
static int check_launch(struct pto_runtime *rt, const struct pto_launch *l, struct pto_task *t)
{
	uint32_t lanes = 0, cap, nl;
	int ret;

	if ((ret = check_kernel(rt, l->aic, PTO2_CORE_AIC, "AIC")) ||
	    (ret = check_kernel(rt, l->aiv0, PTO2_CORE_AIV, "AIV0")) ||
	    (ret = check_kernel(rt, l->aiv1, PTO2_CORE_AIV, "AIV1")))
		return ret;
	if (l->flags & ~PTO_LAUNCH_SYNC_START)
		return orch_fail(rt, -EINVAL, "pto_submit: unknown launch flags 0x%x", l->flags);
	t->kernel[0] = l->aic;
	t->kernel[1] = l->aiv0;
	t->kernel[2] = l->aiv1;
	if (l->aic != PTO_NO_KERNEL)
		lanes |= PTO_LANE_AIC;
	if (l->aiv0 != PTO_NO_KERNEL)
		lanes |= PTO_LANE_AIV0;
	if (l->aiv1 != PTO_NO_KERNEL)
		lanes |= PTO_LANE_AIV1;
	if (!lanes)
		return orch_fail(rt, -EINVAL, "pto_submit: launch names no kernel");
	if (lanes == PTO_LANE_AIV1) {
		/* a lone AIV1 kernel is just an AIV task */
		lanes = PTO_LANE_AIV0;
		t->kernel[1] = l->aiv1;
		t->kernel[2] = PTO_NO_KERNEL;
	}
	nl = (uint32_t)__builtin_popcount(lanes);
	t->lanes = lanes;
	t->shape = nl > 1 ? PTO_TASK_SHAPE_MIX :
		   lanes == PTO_LANE_AIC ? PTO_TASK_SHAPE_AIC : PTO_TASK_SHAPE_AIV;
	t->block_num = l->block_num ? l->block_num : 1;
	if (t->block_num > 65535)
		return orch_fail(rt, -EINVAL, "pto_submit: block_num %u > 65535", t->block_num);
	t->total_sub = t->block_num * nl;
	t->flags = l->flags;
	if ((l->flags & PTO_LAUNCH_SYNC_START) && t->block_num > 1) {
		cap = rt->sched_caps[t->shape];
		if (t->block_num > cap)
			return orch_fail(rt, PTO_E_SYNC_START, "pto_submit: sync-start task of %u "
					 "blocks can never start at once: the device's %s "
					 "capacity is %u", t->block_num,
					 t->shape == PTO_TASK_SHAPE_AIC ? "AIC" :
					 t->shape == PTO_TASK_SHAPE_AIV ? "AIV" : "MIX", cap);
	}
	return 0;
}

/*
 * An external tensor (pto_tensor_external(), a view of one) must lie in one
 * live allocation of the run's device: else its kernel reads or writes
 * outside device memory (a crash on the mock) or over memory nobody owns.
 * pto_tensor_read() and _write() check the same with pto_mem_map().
 */
static int check_external(struct pto_runtime *rt, const struct pto_tensor *t, uint32_t i)
{
	uint64_t off = t->addr - rt->ext_seen.base;

	if (rt->ext_seen.valid && rt->ext_seen.gen == pto__device_mem_gen(rt->dev) &&
	    t->addr >= rt->ext_seen.base && off < rt->ext_seen.len &&
	    t->size <= rt->ext_seen.len - off)
		return 0;
	rt->ext_seen.valid = false;
	if (pto__device_find(rt->dev, t->addr, t->size, &rt->ext_seen.base, &rt->ext_seen.len,
			     &rt->ext_seen.gen))
		return orch_fail(rt, -EINVAL, "pto_submit: argument %u: device range [0x%" PRIx64
				 ", +%" PRIu64 ") is not inside one live allocation (pto_mem_alloc())",
				 i, t->addr, t->size);
	rt->ext_seen.valid = true;
	return 0;
}

static int check_args(struct pto_runtime *rt, struct pto_args *a)
{
	if (a->error)
		return orch_fail(rt, a->error < 0 ? a->error : -EINVAL, "pto_submit: %s",
				 a->error_msg);
	if (a->num_tensors > PTO2_MAX_TENSOR_ARGS || a->num_scalars > PTO2_MAX_SCALAR_ARGS ||
	    a->num_deps > PTO_MAX_ARG_DEPS)
		return orch_fail(rt, -EINVAL, "pto_submit: corrupt argument list");
	for (uint32_t i = 0; i < a->num_tensors; i++) {
		const struct pto_tensor *t = a->tensors[i];

		if (!t || t->ndims == 0 || t->ndims > PTO2_MAX_DIMS || t->dtype >= PTO2_DTYPE_COUNT)
			return orch_fail(rt, -EINVAL, "pto_submit: tensor argument %u is not "
					 "initialized", i);
		if (a->kinds[i] == PTO_ARG_OUTPUT) {
			if (!(t->flags & PTO_TENSOR_UNALLOCATED))
				return orch_fail(rt, -EINVAL, "pto_submit: OUTPUT argument %u "
						 "already has a buffer (use OUTPUT_EXISTING, or "
						 "pto_tensor_create() it)", i);
			/* twice: two buffers for one tensor, the first unreachable */
			for (uint32_t j = 0; j < i; j++)
				if (a->tensors[j] == t)
					return orch_fail(rt, -EINVAL, "pto_submit: OUTPUT "
							 "argument %u is argument %u again", i, j);
		} else if (t->flags & PTO_TENSOR_UNALLOCATED) {
			return orch_fail(rt, -EINVAL, "pto_submit: argument %u has no buffer yet "
					 "(pass it as OUTPUT of its producer first)", i);
		} else if (t->owner < 0) {
			int ret = check_external(rt, t, i);

			if (ret)
				return ret;
		}
	}
	return 0;
}

static uint64_t out_bytes(const struct pto_tensor *t)
{
	return pto_ring_heap_round(t->size);
}

/*
 * dtype through offsets[] are laid out alike in both structs (asserted
 * below): one copy.  The unused dimensions come along as the tensor
 * constructors (args.c) leave them, extent 1 and offset 0; struct
 * pto_tensor is never filled by hand (its contract in pto/runtime.h).
 */
_Static_assert(offsetof(struct pto2_tensor_desc, version) -
	       offsetof(struct pto2_tensor_desc, dtype) ==
	       offsetof(struct pto_tensor, flags) - offsetof(struct pto_tensor, dtype) &&
	       offsetof(struct pto2_tensor_desc, offsets) -
	       offsetof(struct pto2_tensor_desc, dtype) ==
	       offsetof(struct pto_tensor, offsets) - offsetof(struct pto_tensor, dtype),
	       "pto_tensor and pto2_tensor_desc shape blocks differ");

/*
 * @addr is t->addr, from the caller's register: an OUTPUT's was stored just
 * now, and reloading it merged with @size into one 16-byte load, which a
 * store cannot forward to, so it waited for the store buffer to drain.
 */
static void fill_desc(struct pto2_tensor_desc *d, const struct pto_tensor *t, uint64_t addr)
{
	uint64_t start = 0, stride = 1;

	d->buffer_addr = addr;
	d->buffer_size = t->size;
	memcpy(&d->dtype, &t->dtype, offsetof(struct pto2_tensor_desc, version) -
	       offsetof(struct pto2_tensor_desc, dtype));
	for (uint32_t k = t->ndims; k-- > 0;) {
		start += (uint64_t)t->offsets[k] * stride;
		stride *= t->raw_shapes[k];
	}
	d->start_offset = start;
	d->version = t->version;
	d->owner_task = t->owner >= 0 ? (uint64_t)t->owner : PTO2_TASK_NONE;
	d->pad[0] = 0;
	d->pad[1] = 0;
	d->pad[2] = 0;
}

/* --- submit, step by step -------------------------------------------------------------
 *
 * pto_submit() = check, collect producers, allocate, fill the slot and its
 * arguments, record the task's writes and reads, link.  What one step
 * hands the next is in struct submit.
 */

struct submit {
	struct pto_runtime *rt;
	struct pto_args *args;
	struct pto_task shape;		/* check_launch()'s fields */
	uint32_t ring;
	struct pto_ring *r;
	bool track;			/* AUTO dependencies (TensorMap) */
	bool defer;			/* published only at scope end */
	uint32_t hz;			/* hazard mode in effect */
	uint64_t t0;			/* pto_submit() entered (trace on only) */
	uint32_t writers, readers;	/* TensorMap entries it will insert */
	/* per tensor argument: record it as a reader in the TensorMap */
	bool reads[PTO2_MAX_TENSOR_ARGS];
	/* creators it keeps alive without an edge (pto__inner_creators()) */
	int64_t retain[PTO2_MAX_TENSOR_ARGS];
	uint32_t nretain;
	uint64_t fixed;			/* argument block bytes, outputs excluded */
	struct pto_ring_grant g;
	struct pto_task *t;		/* its slot */
	struct pto_trace_task *tr;
};

/* Validate the call, pick the scope's ring; 0 or the failed run's code. */
static int submit_check(struct submit *sb, const struct pto_launch *launch)
{
	struct pto_runtime *rt = sb->rt;
	int ret;

	ret = pto__orch_check(rt, "pto_submit");
	if (ret)
		return ret;
	sb->track = rt->cfg.dep_mode == PTO_DEPS_AUTO;
	sb->hz = sb->track ? rt->cfg.hazards : PTO_HAZARDS_RAW;
	sb->defer = !sb->track || rt->manual_depth;
	if (pto_trace_on(rt->trace))
		sb->t0 = pto_now_ns();
	if (!launch || !sb->args)
		return orch_fail(rt, -EINVAL, "pto_submit: NULL %s", launch ? "args" : "launch");
	ret = check_launch(rt, launch, &sb->shape);
	if (ret)
		return ret;
	ret = check_args(rt, sb->args);
	if (ret)
		return ret;

	sb->ring = rt->depth - 1 < PTO_NUM_RINGS - 1 ? rt->depth - 1 : PTO_NUM_RINGS - 1;
	sb->r = &rt->rings[sb->ring];
	if (sb->r->open_tasks + 1 > sb->r->alloc.window)
		return orch_fail(rt, PTO_E_SCOPE_DEADLOCK, "scope at depth %u already holds %u "
				 "tasks: task %u of it cannot fit ring %u's task window of %u "
				 "slots (raise PTO2_RING_TASK_WINDOW or split the scope)", rt->depth - 1,
				 sb->r->open_tasks, sb->r->open_tasks + 1, sb->ring, sb->r->alloc.window);
	return 0;
}

/*
 * Producers into rt->dep_scratch: explicit, creator retention, then overlap
 * tracking (and the hazards=check candidates); reserve the TensorMap
 * entries the task will insert.
 */
static int collect_producers(struct submit *sb)
{
	struct pto_runtime *rt = sb->rt;
	struct pto_args *args = sb->args;
	struct lookup_ctx lc = { rt, 0 };
	uint32_t hz = sb->hz;
	uint64_t tl;
	int ret;

	rt->num_dep_scratch = 0;
	for (uint32_t i = 0; i < args->num_deps; i++) {
		int live = pto__task_liveness(rt, args->deps[i]);

		if (live < 0)
			return orch_fail(rt, -EINVAL, "pto_submit: explicit dependency %u: task "
					 "%" PRId64 " was never submitted", i, args->deps[i]);
		if (live && pto__scratch_add(rt, args->deps[i]))
			lc.err = -ENOMEM;
	}
	if (sb->track)
		pto__tm_hide_retired(rt);
	rt->hz.num_cand = 0;
	tl = sb->t0 ? pto_now_ns() : 0;
	for (uint32_t i = 0; i < args->num_tensors; i++) {
		struct pto_tensor *ten = args->tensors[i];
		uint32_t kind = args->kinds[i];
		bool inner;

		sb->reads[i] = false;
		if (kind == PTO_ARG_OUTPUT)
			continue;
		if (ten->owner >= 0 && !pto__owner_scope_open(rt, ten->owner))
			return orch_fail(rt, -EINVAL, "pto_submit: argument %u was created "
					 "by task %" PRId64 " in a scope that has ended (or "
					 "another run): its buffer may be reused", i,
					 ten->owner);
		/*
		 * Created inside the open manual scope: every writer of it is a
		 * task of that scope, whose edges are explicit, so a lookup
		 * could only find producers pto__lookup_cb() drops.
		 */
		inner = ten->owner >= 0 && pto__in_open_manual(rt, ten->owner);
		if (ten->owner >= 0 && !inner && pto__task_liveness(rt, ten->owner) > 0 &&
		    pto__scratch_add(rt, ten->owner))
			lc.err = -ENOMEM;
		if (!sb->track || (ten->flags & PTO_TENSOR_MANUAL_DEP))
			continue;
		if ((kind == PTO_ARG_INPUT || kind == PTO_ARG_INOUT) && !inner)
			pto_tm_lookup(&rt->tm, ten, PTO_TM_WRITER, kind == PTO_ARG_INOUT,
				      pto__lookup_cb, &lc);
		/* readers are remembered in every mode: pto_tensor_write() waits for them */
		if (kind == PTO_ARG_INPUT && !inner) {
			sb->reads[i] = true;
			sb->readers++;
		}
		if (kind != PTO_ARG_INOUT && kind != PTO_ARG_OUTPUT_EXISTING)
			continue;
		sb->writers++;
		if (inner)
			continue;
		if (hz == PTO_HAZARDS_TRACK) {
			/*
			 * Write-after-read (and -write for OUTPUT_EXISTING):
			 * wait for them.  Later tasks wait for this writer, and
			 * through it for what it covers, so those entries go;
			 * not inside a manual scope, where pto__lookup_cb() drops
			 * the scope's own tasks instead of waiting for them.
			 */
			int rm = !rt->manual_depth;

			if (kind == PTO_ARG_OUTPUT_EXISTING)
				pto_tm_lookup(&rt->tm, ten, PTO_TM_WRITER, rm, pto__lookup_cb, &lc);
			pto_tm_lookup(&rt->tm, ten, PTO_TM_READER, rm, pto__lookup_cb, &lc);
		} else if (hz == PTO_HAZARDS_CHECK && !rt->manual_depth) {
			/* a manual scope's edges come after submit: not checked */
			struct hz_ctx hc = { rt, i, false, 0 };

			pto_tm_lookup(&rt->tm, ten, PTO_TM_READER, 0, pto__hz_cand_cb, &hc);
			hc.waw = true;
			if (kind == PTO_ARG_OUTPUT_EXISTING)
				pto_tm_lookup(&rt->tm, ten, PTO_TM_WRITER, 0, pto__hz_cand_cb, &hc);
			if (hc.err)
				lc.err = hc.err;
		}
	}
	if (tl)
		pto_trace_orch_phase(rt->trace, PTO_PHASE_ORCH_LOOKUP, tl, pto_now_ns(),
				     rt->num_dep_scratch);
	if (lc.err)
		return orch_fail(rt, -ENOMEM, "pto_submit: dependency list");
	if (rt->hz.num_cand) {
		/* the id this task gets (only this thread allocates) and its ancestry */
		struct pto_ring *r = sb->r;
		const struct pto_task *sh = &sb->shape;
		struct order_ctx hoc = { sb->ring, r->alloc.next,
					 pto__ancestry_mask(rt, sb->ring, r->alloc.next) };

		ret = pto__hz_check(rt, pto_task_id(sb->ring, r->alloc.next),
				    sh->kernel[0] >= 0 ? sh->kernel[0] :
				    sh->kernel[1] >= 0 ? sh->kernel[1] : sh->kernel[2], args,
				    pto__ordered_before, &hoc);
		if (ret)
			return ret;
	}
	ret = pto_tm_reserve(&rt->tm, sb->writers + sb->readers);
	if (ret)
		return orch_fail(rt, ret, "%s", pto_last_error());
	return 0;
}

/* Size the task's heap block and take it, its slot and its dependency entries. */
static int allocate(struct submit *sb)
{
	struct pto_runtime *rt = sb->rt;
	struct pto_args *args = sb->args;
	uint64_t heap_bytes;

	/*
	 * argument block (pto__args_spill()): descriptors, scalars, fanin ids
	 * (and their copy the hazard check keeps), then the outputs
	 */
	sb->fixed = pto__args_scalar_off(args->num_tensors, args->num_scalars) +
		    (uint64_t)args->num_scalars * 8 + (uint64_t)rt->num_dep_scratch * 8 *
		    (sb->hz == PTO_HAZARDS_CHECK ? 2 : 1);
	heap_bytes = pto_ring_heap_round(sb->fixed);
	for (uint32_t i = 0; i < args->num_tensors; i++)
		if (args->kinds[i] == PTO_ARG_OUTPUT)
			heap_bytes += out_bytes(args->tensors[i]);
	sb->nretain = pto__inner_creators(rt, args, sb->retain);
	/* pto__ring_alloc() already moved the TensorMap watermark to the ring's alive */
	return pto__ring_alloc(rt, sb->r, heap_bytes, rt->num_dep_scratch + sb->nretain, &sb->g,
			       NULL);
}

/*
 * Initialize the slot (nobody else looks at it until it is published), give
 * the OUTPUT tensors their buffers, write the argument block, and publish
 * the slot to the retire scan.
 */
static void fill_slot(struct submit *sb)
{
	struct pto_runtime *rt = sb->rt;
	struct pto_args *args = sb->args;
	struct pto_ring *r = sb->r;
	const struct pto_ring_grant *g = &sb->g;
	struct pto_task *t = &r->slots[g->local & r->alloc.mask];
	uint64_t out_off;

	sb->t = t;
	memcpy(t->kernel, sb->shape.kernel, sizeof(t->kernel));
	t->id = pto_task_id(sb->ring, g->local);
	t->local = g->local;
	t->ring = sb->ring;
	t->shape = sb->shape.shape;
	t->lanes = sb->shape.lanes;
	t->block_num = sb->shape.block_num;
	t->total_sub = sb->shape.total_sub;
	t->flags = sb->shape.flags;
	t->num_tensors = args->num_tensors;
	t->num_scalars = args->num_scalars;
	t->num_fanin = 0;
	t->next_block = 0;
	t->trace_idx = rt->run_tasks++;
	t->args_addr = r->heap_addr + g->heap_off;
	t->args_host = r->heap_host + g->heap_off;
	t->fanin = (int64_t *)(t->args_host + pto__args_scalar_off(args->num_tensors,
								   args->num_scalars) +
			       (uint64_t)args->num_scalars * 8);
	t->hz_fanin = t->fanin + rt->num_dep_scratch;
	t->hz_nfanin = sb->hz == PTO_HAZARDS_CHECK ? rt->num_dep_scratch : 0;
	if (t->hz_nfanin)
		memcpy(t->fanin + rt->num_dep_scratch, rt->dep_scratch,
		       t->hz_nfanin * sizeof(int64_t));
	t->completed_sub = 0;
	t->fanin_refcount = 0;
	__atomic_store_n(&t->fanin_count, rt->num_dep_scratch + 1, __ATOMIC_RELAXED);
	/*
	 * t->lock is left alone: it is 0 whenever the slot is free, and the
	 * thread that consumed the previous task may still be storing that 0
	 * (a wiring thread retires the slot on seeing CONSUMED, which is set
	 * before the unlock).
	 */
	t->state = PTO_TASK_PENDING;
	t->fanout_count = 1;	/* the scope's reference */
	t->fanout_refcount = 0;
	t->fanout_head = NULL;
	t->extra_fanin = NULL;
	t->scope_depth = rt->depth - 1;
	t->scope_serial = rt->scopes[rt->depth - 1].serial;
	t->published = !sb->defer;
	rt->published += !sb->defer;
	/* a total submission order across rings, for pto_add_dependency() */
	for (uint32_t k = 0; k < PTO_NUM_RINGS; k++)
		t->order_next[k] = k == sb->ring ? g->local : rt->rings[k].alloc.next;

	out_off = g->heap_off + pto_ring_heap_round(sb->fixed);
	for (uint32_t i = 0; i < args->num_tensors; i++) {
		struct pto_tensor *ten = args->tensors[i];
		uint64_t addr;

		if (args->kinds[i] == PTO_ARG_OUTPUT) {
			addr = r->heap_addr + out_off;
			ten->addr = addr;
			ten->owner = t->id;
			ten->flags &= ~PTO_TENSOR_UNALLOCATED;
			out_off += out_bytes(ten);
		} else {
			addr = ten->addr;
		}
		fill_desc((struct pto2_tensor_desc *)t->args_host + i, ten, addr);
	}
	if (pto__args_spill(args->num_tensors, args->num_scalars)) {
		/* the descriptor addresses the payload cannot hold (PTO2_PAYLOAD_SPILLED) */
		uint64_t *argv = (uint64_t *)(t->args_host + (uint64_t)args->num_tensors *
					      sizeof(struct pto2_tensor_desc));

		for (uint32_t i = 0; i < args->num_tensors; i++)
			argv[i] = t->args_addr + (uint64_t)i * sizeof(struct pto2_tensor_desc);
	}
	memcpy(t->args_host + pto__args_scalar_off(args->num_tensors, args->num_scalars),
	       args->scalars, (uint64_t)args->num_scalars * 8);

	/*
	 * Publish the slot before wiring: a producer may complete and this task
	 * be consumed before submit returns, and the advance must then see it.
	 * Pairs with the acquire of current_task_index in ring_advance()
	 * (core/retire.c) and the wiring thread's retire.  Model-checked:
	 * tests/models/ring_advance.pml (proctype orch).
	 */
	reg_store_release(&r->ctl->current_task_index, g->local + 1);
	reg_store_relaxed(&r->ctl->heap_top, r->alloc.heap_top);
}

/* Record the task as the writer and reader of its tensor arguments (TensorMap). */
static void record_accesses(struct submit *sb)
{
	struct pto_runtime *rt = sb->rt;
	struct pto_args *args = sb->args;
	struct order_ctx oc;

	oc.ring = sb->ring;
	oc.local = sb->g.local;
	oc.mask = sb->track ? pto__record_ancestry(rt, sb->r, sb->t) : 0;
	for (uint32_t i = 0; i < args->num_tensors; i++) {
		uint32_t kind = args->kinds[i];

		if (!sb->track || (kind != PTO_ARG_INOUT && kind != PTO_ARG_OUTPUT_EXISTING) ||
		    (args->tensors[i]->flags & PTO_TENSOR_MANUAL_DEP))
			continue;
		/*
		 * OUTPUT_EXISTING does not wait for earlier writers, so their
		 * entries stay (a reader needs them all) unless this task is
		 * ordered after them anyway: then it stands for them.  (INOUT
		 * removed what it covers during its lookup: it waits for them.)
		 * Readers alike for any writer, unless tracking made it wait
		 * for them (their entries are gone then).
		 */
		if (kind == PTO_ARG_OUTPUT_EXISTING && sb->hz != PTO_HAZARDS_TRACK)
			pto_tm_prune(&rt->tm, args->tensors[i], PTO_TM_WRITER, pto__ordered_before,
				     &oc);
		if (sb->hz != PTO_HAZARDS_TRACK)
			pto_tm_prune(&rt->tm, args->tensors[i], PTO_TM_READER, pto__ordered_before,
				     &oc);
		pto_tm_insert(&rt->tm, args->tensors[i], PTO_TM_WRITER, sb->ring, sb->g.local);
	}
	/* after the writers' prunes, which stop at the first entry not ordered before */
	for (uint32_t i = 0; i < args->num_tensors; i++)
		if (sb->reads[i])
			pto_tm_insert(&rt->tm, args->tensors[i], PTO_TM_READER, sb->ring,
				      sb->g.local);
}

/* Start the task's trace record. */
static void trace_task(struct submit *sb)
{
	struct pto_runtime *rt = sb->rt;
	struct pto_task *t = sb->t;
	struct pto_trace_task *tr;

	if (!pto_trace_on(rt->trace))
		return;
	tr = pto_trace_task_begin(rt->trace, t->trace_idx);
	if (tr) {
		tr->task_id = t->id;
		memcpy(tr->kernel, t->kernel, sizeof(tr->kernel));
		tr->ring = (uint16_t)sb->ring;
		tr->shape = (uint8_t)t->shape;
		tr->block_num = t->block_num;
		tr->t_submit = sb->t0;
	}
	sb->tr = tr;
}

/*
 * Release t's redundant fanin (+1) with the @sat producers found done; true
 * if that made it ready.  When all @nprod were done, t is on no fanout
 * list and no other thread counts its fanin: a plain store, not
 * pto__task_fanin_add()'s locked add (a full barrier on x86, waiting for
 * the slot's stores to drain); the ready queue's release hands it over.
 */
static bool fanin_publish(struct pto_task *t, uint32_t sat, uint32_t nprod)
{
	if (sat < nprod)
		return pto__task_fanin_add(t, sat + 1);
	__atomic_store_n(&t->fanin_refcount, sat + 1, __ATOMIC_RELAXED);
	return true;
}

/*
 * Enter the task in its scope and link it onto its producers: inline, or
 * by handing it to the wiring thread.  Unless deferred to scope end, it is
 * published, and queued if nothing it waits for is left.
 */
static int link_task(struct submit *sb)
{
	struct pto_runtime *rt = sb->rt;
	struct pto_ring *r = sb->r;
	struct pto_task *t = sb->t;
	struct pto_trace_task *tr = sb->tr;
	const struct pto_ring_grant *g = &sb->g;
	uint64_t dep_top;
	uint32_t sat;
	int ret;

	ret = pto__scope_push_task(rt, t);
	if (ret)
		return ret;
	r->open_tasks++;
	/*
	 * One writer, this thread: a plain load and store, not a locked RMW,
	 * which on x86 is a full barrier stalling on the slot's stores.
	 * Readers: pto__run_finished() after orch_done's acquire, the drain
	 * watch (a count).
	 */
	__atomic_store_n(&rt->submitted, __atomic_load_n(&rt->submitted, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
	if (rt->wiring_on) {
		/* the wiring thread links it, from the candidates left in t->fanin */
		memcpy(t->fanin, rt->dep_scratch, (uint64_t)rt->num_dep_scratch * sizeof(*t->fanin));
		t->num_fanin = rt->num_dep_scratch;
		t->dep_first = g->dep_first;
		pto__retain_creators(rt, r, t, sb->retain, sb->nretain,
				     g->dep_first + rt->num_dep_scratch);
		pto_ring_set_dep_mark(&r->alloc, g->local,
				      g->dep_first + rt->num_dep_scratch + sb->nretain);
		return pto__wiring_push(rt, t, PTO_WIRE_LINK | (sb->defer ? 0 : PTO_WIRE_PUBLISH));
	}
	/* the producers found, as the wiring thread records them: before wiring */
	if (tr)
		pto_trace_task_fanin(rt->trace, tr, rt->dep_scratch, rt->num_dep_scratch);
	dep_top = g->dep_first;
	sat = pto__task_wire(rt, t, rt->dep_scratch, rt->num_dep_scratch, &dep_top);
	pto__retain_creators(rt, r, t, sb->retain, sb->nretain, dep_top);
	pto_ring_set_dep_mark(&r->alloc, g->local, dep_top + sb->nretain);
	if (tr && !sb->defer)
		tr->t_publish = pto_now_ns();
	if (sb->defer) {
		/* the redundant fanin stays until the scope ends and publishes t */
		if (sat)
			pto__task_fanin_add(t, sat);
	} else if (fanin_publish(t, sat, rt->num_dep_scratch)) {
		/* +1: the redundant fanin that kept t from going ready while being wired */
		if (tr)
			tr->t_ready = tr->t_publish;
		pto__task_push_ready(rt, t, true);
	}
	return 0;
}

/*
 * How far ahead the next tasks' lines are claimed for writing: the slot
 * this many tasks on, and this many heap bytes past the block just taken
 * (a few empty tasks' blocks).  One task ahead was too late to help.
 */
#define PREFETCH_SLOTS_AHEAD	4
#define PREFETCH_HEAP_AHEAD	2048u
#define PREFETCH_HEAP_BYTES	512u

/*
 * Claim the lines the submits a few tasks on will write first: their slot
 * and the start of their argument block, which the scheduler's CPU holds
 * (it read them last, a window ago).  Their transfers then overlap this
 * thread's work instead of queueing its stores: orchestrator CPU per
 * empty task 126 -> 117 ns, independent AUTO (docs/runtime.md, "Where a
 * wide graph's time goes").
 */
static void prefetch_ahead(const struct submit *sb)
{
	const struct pto_ring *r = sb->r;
	const char *slot = (const char *)&r->slots[(sb->g.local + PREFETCH_SLOTS_AHEAD) &
						    r->alloc.mask];
	uint64_t off = r->alloc.heap_top + PREFETCH_HEAP_AHEAD;

	for (size_t k = 0; k < sizeof(struct pto_task); k += 64)
		pto_prefetch_write(slot + k);
	if (off + PREFETCH_HEAP_BYTES > r->alloc.heap_size)
		off = 0;	/* blocks never straddle the end: the next ones start there */
	for (uint32_t k = 0; k < PREFETCH_HEAP_BYTES; k += 64)
		pto_prefetch_write(r->heap_host + off + k);
}

PTO_API int64_t pto_submit(struct pto_runtime *rt, const struct pto_launch *launch,
			   struct pto_args *args)
{
	struct submit sb;
	int ret;

	/*
	 * Only the fields read before they are written: zeroing the whole
	 * struct (1.5 KiB, with the per-argument arrays) cost ~7% of a submit.
	 * shape, reads[], retain[], g and t are filled by the steps below.
	 */
	sb.rt = rt;
	sb.args = args;
	sb.t0 = 0;
	sb.writers = 0;
	sb.readers = 0;
	sb.nretain = 0;
	sb.tr = NULL;
	if ((ret = submit_check(&sb, launch)) ||
	    (ret = collect_producers(&sb)) ||
	    (ret = allocate(&sb)))
		return ret;
	fill_slot(&sb);
	record_accesses(&sb);
	trace_task(&sb);
	ret = link_task(&sb);
	if (ret)
		return ret;
	prefetch_ahead(&sb);
	if (sb.tr)
		pto_trace_orch_phase(rt->trace, PTO_PHASE_ORCH_SUBMIT, sb.t0, pto_now_ns(), 1);
	return sb.t->id;
}

/* pto_submit_aic() and pto_submit_aiv(): one single-block kernel on one core type. */
static int64_t submit_one(struct pto_runtime *rt, uint32_t kernel, struct pto_args *args,
			  bool aic, const char *fn)
{
	struct pto_launch l = { .aic = aic ? (int32_t)kernel : PTO_NO_KERNEL,
				.aiv0 = aic ? PTO_NO_KERNEL : (int32_t)kernel,
				.aiv1 = PTO_NO_KERNEL, .block_num = 1 };

	if (kernel >= PTO2_MAX_KERNELS) {
		int ret = pto__orch_check(rt, fn);

		return ret ? ret : orch_fail(rt, -EINVAL, "%s: kernel id %u out of range", fn,
					     kernel);
	}
	return pto_submit(rt, &l, args);
}

PTO_API int64_t pto_submit_aic(struct pto_runtime *rt, uint32_t kernel, struct pto_args *args)
{
	return submit_one(rt, kernel, args, true, "pto_submit_aic");
}

PTO_API int64_t pto_submit_aiv(struct pto_runtime *rt, uint32_t kernel, struct pto_args *args)
{
	return submit_one(rt, kernel, args, false, "pto_submit_aiv");
}
