// SPDX-License-Identifier: MIT
/*
 * orch.c - the orchestrator: submit (dependency discovery, ring allocation
 * with back-pressure, wiring), scopes, blocking tensor access.  Runs only
 * on the thread inside pto_run().
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "libpto/api.h"
#include "libpto/runtime/rt_impl.h"
#include "runtime/regs.h"

#define SCOPE_TASKS_INIT	1024
#define DEP_SCRATCH_INIT	64
#define TM_POOL_INIT		4096
#define TM_POOL_MAX		(1u << 24)
/* heap/area alignment of the ring area in device memory */
#define RING_AREA_ALIGN		4096u

static const char *const state_names[] = { "pending", "completed", "consumed" };

/* --- setup -------------------------------------------------------------------- */

/*
 * Zeroed task slots at their declared 64-byte alignment: calloc() promises
 * only 16, which would put a slot's atomic half on a line shared with the
 * orchestrator-written half, and break the wiring queue's use of the low
 * bits of a task pointer.
 */
static struct pto_task *slots_alloc(uint32_t n)
{
	void *p;

	if (posix_memalign(&p, _Alignof(struct pto_task), (size_t)n * sizeof(struct pto_task)))
		return NULL;
	return memset(p, 0, (size_t)n * sizeof(struct pto_task));
}

int pto__orch_setup(struct pto_runtime *rt)
{
	uint64_t hdr_bytes = (sizeof(struct pto2_ring_header) + RING_AREA_ALIGN - 1) &
			     ~(uint64_t)(RING_AREA_ALIGN - 1);
	uint64_t total = hdr_bytes, off;
	uint8_t *host;
	int ret;

	for (int r = 0; r < PTO_NUM_RINGS; r++)
		total += (rt->cfg.heap_size[r] + RING_AREA_ALIGN - 1) & ~(uint64_t)(RING_AREA_ALIGN - 1);
	ret = pto_mem_alloc(rt->dev, total, RING_AREA_ALIGN, &rt->ring_area_addr);
	if (ret)
		return pto__fail(ret, "pto_runtime_create: cannot allocate %" PRIu64 " bytes of "
				 "device memory for the rings (heap_size per ring too large?)", total);
	host = pto_mem_map(rt->dev, rt->ring_area_addr, total);
	if (!host)
		return pto__fail(-EINVAL, "pto_runtime_create: cannot map the ring area: %s",
				 pto_last_error());
	rt->hdr = (struct pto2_ring_header *)host;
	memset(rt->hdr, 0, sizeof(*rt->hdr));
	rt->hdr->num_rings = PTO2_NUM_RINGS;
	off = hdr_bytes;
	for (int r = 0; r < PTO_NUM_RINGS; r++) {
		struct pto_ring *ring = &rt->rings[r];

		ring->id = (uint32_t)r;
		ret = pto_ring_alloc_init(&ring->alloc, rt->cfg.task_window[r],
					  rt->cfg.heap_size[r], rt->cfg.dep_pool[r]);
		if (ret)
			return ret;
		ring->slots = slots_alloc(rt->cfg.task_window[r]);
		ring->deps = calloc(rt->cfg.dep_pool[r], sizeof(*ring->deps));
		if (rt->cfg.dep_mode == PTO_DEPS_AUTO)
			ring->ancestry = calloc(rt->cfg.task_window[r], sizeof(*ring->ancestry));
		if (!ring->slots || !ring->deps ||
		    (rt->cfg.dep_mode == PTO_DEPS_AUTO && !ring->ancestry))
			return pto__fail(-ENOMEM, "pto_runtime_create: ring %d tables", r);
		/* a free slot reads as retired; pto__orch_reset() keeps it so */
		for (uint32_t i = 0; i < rt->cfg.task_window[r]; i++)
			ring->slots[i].state = PTO_TASK_CONSUMED;
		ring->ctl = &rt->hdr->ctl[r];
		ring->heap_addr = rt->ring_area_addr + off;
		ring->heap_host = host + off;
		rt->hdr->info[r].heap_addr = ring->heap_addr;
		rt->hdr->info[r].heap_size = rt->cfg.heap_size[r];
		rt->hdr->info[r].task_window = rt->cfg.task_window[r];
		rt->hdr->info[r].dep_pool = rt->cfg.dep_pool[r];
		off += (rt->cfg.heap_size[r] + RING_AREA_ALIGN - 1) & ~(uint64_t)(RING_AREA_ALIGN - 1);
	}
	rt->hdr->magic = PTO2_RING_MAGIC;
	ret = pto_tm_init(&rt->tm, rt->cfg.task_window, TM_POOL_INIT, TM_POOL_MAX);
	if (ret)
		return ret;
	if (rt->cfg.dep_mode == PTO_DEPS_AUTO && rt->cfg.hazards == PTO_HAZARDS_CHECK &&
	    pto__hz_init(&rt->hz, rt->cfg.task_window))
		return pto__fail(-ENOMEM, "pto_runtime_create: hazard check tables");
	rt->cap_scope_tasks = SCOPE_TASKS_INIT;
	rt->scope_tasks = malloc(rt->cap_scope_tasks * sizeof(*rt->scope_tasks));
	rt->cap_dep_scratch = DEP_SCRATCH_INIT;
	rt->dep_scratch = malloc(rt->cap_dep_scratch * sizeof(*rt->dep_scratch));
	if (!rt->scope_tasks || !rt->dep_scratch)
		return pto__fail(-ENOMEM, "pto_runtime_create: orchestrator tables");
	pto_waiter_init(&rt->orch_wait);
	return 0;
}

void pto__orch_teardown(struct pto_runtime *rt)
{
	for (int r = 0; r < PTO_NUM_RINGS; r++) {
		pto_ring_alloc_fini(&rt->rings[r].alloc);
		free(rt->rings[r].slots);
		free(rt->rings[r].deps);
		free(rt->rings[r].ancestry);
	}
	if (rt->tm.buckets)
		pto_tm_fini(&rt->tm);
	pto__hz_fini(&rt->hz);
	free(rt->scope_tasks);
	free(rt->dep_scratch);
	if (rt->ring_area_addr)
		pto_mem_free(rt->dev, rt->ring_area_addr);
}

void pto__orch_reset(struct pto_runtime *rt)
{
	for (int r = 0; r < PTO_NUM_RINGS; r++) {
		struct pto_ring *ring = &rt->rings[r];

		/*
		 * Only the slots the last run used: clearing whole windows
		 * (megabytes) was half the CPU time of a run of a few tasks.
		 */
		uint64_t used = ring->alloc.next < ring->alloc.window ? ring->alloc.next :
				ring->alloc.window;

		pto_ring_alloc_reset(&ring->alloc);
		memset(ring->slots, 0, used * sizeof(*ring->slots));
		for (uint64_t i = 0; i < used; i++)
			ring->slots[i].state = PTO_TASK_CONSUMED;
		ring->open_tasks = 0;
		ring->orch_wake_la = PTO_NO_WAITER;
		ring->wiring_wake_at = PTO_NO_WAITER;
		ring->advance_lock = 0;
		ring->advance_pending = 0;
		reg_store_relaxed(&ring->ctl->current_task_index, 0);
		reg_store_relaxed(&ring->ctl->heap_top, 0);
		reg_store_relaxed(&ring->ctl->last_task_alive, 0);
	}
	rt->hdr->run_seq++;
	pto_tm_reset(&rt->tm);
	rt->depth = 0;
	rt->manual_depth = 0;
	rt->scope_serial = 0;
	rt->num_scope_tasks = 0;
	rt->run_tasks = 0;
	rt->published = 0;
	rt->orch_blocked_ns = 0;
}

/* --- checks ---------------------------------------------------------------------- */

int pto__orch_check(struct pto_runtime *rt, const char *fn)
{
	if (!rt)
		return pto__fail(-EINVAL, "%s: NULL runtime", fn);
	if (!rt->in_run || !pthread_equal(pthread_self(), rt->orch_thread))
		return pto__fail(-EINVAL, "%s: only inside the orchestration function, on the "
				 "thread that called pto_run()", fn);
	if (pto__rt_error(rt))
		return pto__fail(PTO_E_ABORTED, "%s: the run already failed: %s", fn,
				 rt->err.msg);
	return 0;
}

/* A misuse inside the run: fail the run and return the code. */
#define orch_fail(rt, code, ...)	pto__rt_fail((rt), (code), __VA_ARGS__)

struct pto_task *pto__task_slot(struct pto_runtime *rt, int64_t id)
{
	uint64_t ring, local;
	struct pto_ring *r;

	if (id < 0)
		return NULL;
	ring = (uint64_t)id >> 32;
	local = (uint64_t)id & 0xffffffffull;
	if (ring >= PTO_NUM_RINGS)
		return NULL;
	r = &rt->rings[ring];
	return &r->slots[local & r->alloc.mask];
}

static uint64_t ring_alive(struct pto_ring *r)
{
	/* pairs with the seq_cst store in pto__ring_publish() after the slot reset */
	return reg_load_acquire(&r->ctl->last_task_alive);
}

/* Lookups may find entries of any ring: hide the retired ones first. */
static void tm_hide_retired(struct pto_runtime *rt)
{
	for (int r = 0; r < PTO_NUM_RINGS; r++)
		pto_tm_set_alive(&rt->tm, (uint32_t)r, ring_alive(&rt->rings[r]), 0);
}

/* -1: never submitted (this run); 0: retired; 1: alive. */
static int task_liveness(struct pto_runtime *rt, int64_t id)
{
	uint64_t ring = (uint64_t)id >> 32, local = (uint64_t)id & 0xffffffffull;
	struct pto_ring *r;

	if (id < 0 || ring >= PTO_NUM_RINGS)
		return -1;
	r = &rt->rings[ring];
	if (local >= r->alloc.next)
		return -1;
	return local >= ring_alive(r);
}

/*
 * Is the runtime-created buffer of task @owner still valid: was @owner
 * submitted in this run, and is its scope still open?  The heap block is
 * recycled once the scope ended and its users retired, so a use after the
 * scope (documented as not allowed) would touch memory that may already
 * belong to another task, depending on timing.  Refusing it always makes
 * the misuse visible every time.
 */
static bool owner_scope_open(struct pto_runtime *rt, int64_t owner)
{
	const struct pto_task *p;

	if (task_liveness(rt, owner) <= 0)
		return false;
	p = pto__task_slot(rt, owner);
	return p->id == owner && p->scope_depth < rt->depth &&
	       rt->scopes[p->scope_depth].serial == p->scope_serial;
}

/* --- dependency collection --------------------------------------------------------- */

static int scratch_add(struct pto_runtime *rt, int64_t id)
{
	for (uint32_t i = 0; i < rt->num_dep_scratch; i++)
		if (rt->dep_scratch[i] == id)
			return 0;
	if (rt->num_dep_scratch == rt->cap_dep_scratch) {
		uint32_t ncap = rt->cap_dep_scratch * 2;
		int64_t *n = realloc(rt->dep_scratch, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		rt->dep_scratch = n;
		rt->cap_dep_scratch = ncap;
	}
	rt->dep_scratch[rt->num_dep_scratch++] = id;
	return 0;
}

/*
 * Is @id a task of the open manual scope?  Its edges to other tasks of that
 * scope come only from pto_add_dependency().
 */
static bool in_open_manual(struct pto_runtime *rt, int64_t id)
{
	struct pto_task *p;

	if (!rt->manual_depth || task_liveness(rt, id) <= 0)
		return false;
	p = pto__task_slot(rt, id);
	return p->id == id && !p->published && p->scope_depth == rt->manual_depth - 1;
}

struct lookup_ctx {
	struct pto_runtime *rt;
	int err;
};

static void lookup_cb(void *ctx, int64_t producer)
{
	struct lookup_ctx *lc = ctx;

	if (in_open_manual(lc->rt, producer))
		return;
	if (scratch_add(lc->rt, producer))
		lc->err = -ENOMEM;
}

/* hazards=check: an earlier access of the region argument @arg writes. */
struct hz_ctx {
	struct pto_runtime *rt;
	uint32_t arg;
	bool waw;
	int err;
};

static void hz_cand_cb(void *ctx, int64_t task)
{
	struct hz_ctx *hc = ctx;

	if (pto__hz_add(&hc->rt->hz, task, hc->arg, hc->waw))
		hc->err = -ENOMEM;
}

/* The ancestry record of task @id, or NULL when its slot holds another task now. */
static const struct pto_ancestry *ancestry_of(const struct pto_runtime *rt, int64_t id)
{
	const struct pto_ring *r = &rt->rings[(uint64_t)id >> 32];
	const struct pto_ancestry *a = &r->ancestry[(uint64_t)id & r->alloc.mask];

	return a->task == id ? a : NULL;
}

/*
 * Record which of the 64 tasks before @t in its ring @t is ordered after:
 * each producer of the same ring, and whatever that one was ordered after.
 * A producer that retired before (not in the list) completed, and so did
 * its ancestors: leaving them out only makes the record smaller.  Edges
 * added later (pto_add_dependency()) are not in it either.  Returns the mask.
 */
static uint64_t ancestry_mask(struct pto_runtime *rt, uint32_t ring, uint64_t local)
{
	uint64_t mask = 0;

	for (uint32_t i = 0; i < rt->num_dep_scratch; i++) {
		int64_t q = rt->dep_scratch[i];
		uint64_t ql = (uint64_t)q & 0xffffffffull, d = local - ql;
		const struct pto_ancestry *qa;

		if ((uint64_t)q >> 32 != ring || ql >= local || d > 64)
			continue;
		mask |= 1ull << (d - 1);
		qa = ancestry_of(rt, q);
		if (qa && d < 64)
			mask |= qa->mask << d;
	}
	return mask;
}

static uint64_t record_ancestry(struct pto_runtime *rt, struct pto_ring *r,
				const struct pto_task *t)
{
	struct pto_ancestry *a = &r->ancestry[t->local & r->alloc.mask];

	a->task = t->id;
	a->mask = ancestry_mask(rt, t->ring, t->local);
	return a->mask;
}

/* The task being submitted, for ordered_before(). */
struct order_ctx {
	uint32_t ring;
	uint64_t local;
	uint64_t mask;		/* its ancestry (record_ancestry()) */
};

/* Is writer @p ordered before the task being submitted?  Only for pruning: "no" is safe. */
static bool ordered_before(void *ctx, int64_t p)
{
	const struct order_ctx *o = ctx;
	uint64_t pl = (uint64_t)p & 0xffffffffull;

	if ((uint64_t)p >> 32 != o->ring || pl >= o->local || o->local - pl > 64)
		return false;
	return (o->mask >> (o->local - pl - 1)) & 1;
}

/*
 * Creators of tensors made inside the open manual scope that @a uses: the
 * task has no edge to them (edges there are explicit), but must keep their
 * heap blocks alive until it completed, even when its explicit edges reach
 * them only through tasks that complete earlier.  Fills @out (deduplicated,
 * leaving out producers it holds anyway); returns how many.
 */
static uint32_t inner_creators(struct pto_runtime *rt, const struct pto_args *a, int64_t *out)
{
	uint32_t n = 0;

	if (!rt->manual_depth)
		return 0;
	for (uint32_t i = 0; i < a->num_tensors; i++) {
		int64_t owner = a->tensors[i]->owner;
		bool dup = false;

		if (a->kinds[i] == PTO_ARG_OUTPUT || owner < 0 || !in_open_manual(rt, owner))
			continue;
		for (uint32_t k = 0; k < n && !dup; k++)
			dup = out[k] == owner;
		for (uint32_t k = 0; k < rt->num_dep_scratch && !dup; k++)
			dup = rt->dep_scratch[k] == owner;
		if (!dup)
			out[n++] = owner;
	}
	return n;
}

/*
 * @t takes a reference on each creator of @ids, recorded like an explicit
 * edge's fanin (one dependency entry each, from @first on) and released
 * when @t completes, but without waiting for it.  The creators are
 * unpublished tasks of the open manual scope: pending, and held by it.
 */
static void retain_creators(struct pto_runtime *rt, struct pto_ring *r, struct pto_task *t,
			    const int64_t *ids, uint32_t n, uint64_t first)
{
	for (uint32_t k = 0; k < n; k++) {
		struct pto_dep_node *node = &r->deps[(first + k) % r->alloc.dep_cap];
		struct pto_task *p = pto__task_slot(rt, ids[k]);

		pto__task_lock(p);
		p->fanout_count++;
		pto__task_unlock(p);
		node->consumer = p;
		node->next = t->extra_fanin;
		t->extra_fanin = node;
	}
}

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
	t->shape = nl > 1 ? PTO_TRACE_SHAPE_MIX :
		   lanes == PTO_LANE_AIC ? PTO_TRACE_SHAPE_AIC : PTO_TRACE_SHAPE_AIV;
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
					 t->shape == PTO_TRACE_SHAPE_AIC ? "AIC" :
					 t->shape == PTO_TRACE_SHAPE_AIV ? "AIV" : "MIX", cap);
	}
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
		} else if (t->flags & PTO_TENSOR_UNALLOCATED) {
			return orch_fail(rt, -EINVAL, "pto_submit: argument %u has no buffer yet "
					 "(pass it as OUTPUT of its producer first)", i);
		}
	}
	return 0;
}

/* --- back-pressure ------------------------------------------------------------------ */

static const char *short_name(enum pto_ring_short s)
{
	return s == PTO_RING_SHORT_SLOT ? "task window" :
	       s == PTO_RING_SHORT_HEAP ? "heap" : "dependency pool";
}

static int ring_stall(struct pto_runtime *rt, struct pto_ring *r, enum pto_ring_short why,
		      uint64_t la, uint64_t heap_bytes, uint32_t ms)
{
	struct pto_task *old = &r->slots[la & r->alloc.mask];
	uint32_t st, fanout = 0, fanout_ref = 0;

	/*
	 * The fanout counts change under the task's lock, and a consumed
	 * task's slot may be being reset (the wiring thread retires it after
	 * seeing CONSUMED): read them under the lock, and only while live.
	 */
	pto__task_lock(old);
	st = old->state;
	if (st != PTO_TASK_CONSUMED) {
		fanout = old->fanout_count;
		fanout_ref = old->fanout_refcount;
	}
	pto__task_unlock(old);
	return orch_fail(rt, PTO_E_RING_STALL, "ring %u stalled %u ms on its %s: %" PRIu64
			 " of %u slots live, heap %" PRIu64 "/%" PRIu64 " bytes used (+%" PRIu64
			 " wanted), dep pool %" PRIu64 "/%u; oldest live task %" PRId64
			 " (kernel '%s', %s, fanin %u/%u, fanout %u/%u)", r->id, ms,
			 short_name(why), r->alloc.next - la, r->alloc.window,
			 pto_ring_heap_used(&r->alloc, la), r->alloc.heap_size,
			 heap_bytes ? pto_ring_heap_round(heap_bytes) : 0,
			 pto_ring_dep_used(&r->alloc, la),
			 r->alloc.dep_cap, old->id,
			 pto__kernel_name(rt, old->kernel[0] >= 0 ? old->kernel[0] :
					  old->kernel[1] >= 0 ? old->kernel[1] : old->kernel[2]),
			 st < 3 ? state_names[st] : "?",
			 __atomic_load_n(&old->fanin_refcount, __ATOMIC_RELAXED),
			 __atomic_load_n(&old->fanin_count, __ATOMIC_RELAXED), fanout_ref, fanout);
}

/*
 * After back-pressure, wait until an eighth of the window is free again (or
 * retiring pauses for ORCH_REFILL_NS) instead of taking slots one by one:
 * waking per retired task kept the orchestrator's CPU busy and starved the
 * emulated cores on a 2-CPU machine (docs/runtime.md, Idling).  The ring
 * advance wakes the orchestrator only when that much is free (orch_wake_la),
 * so the batching also saves the wake-ups, not just the submits.
 */
#define ORCH_REFILL_NS		1000000ull

static bool ring_refilling(const struct pto_ring *r, uint64_t la, uint64_t idle_ns)
{
	uint64_t live = r->alloc.next - la;

	return live > r->open_tasks && r->alloc.window - live < r->alloc.window / 8 &&
	       idle_ns < ORCH_REFILL_NS;
}

/*
 * Sleep until the ring's watermark passes @la (reaches the refill mark when
 * @refill) or @deadline_ns.  @seen was taken before @la was loaded, so a wake
 * in between is not lost.
 */
static void ring_sleep(struct pto_runtime *rt, struct pto_ring *r, uint32_t seen, uint64_t la,
		       bool refill, uint64_t deadline_ns)
{
	uint64_t want = refill ? r->alloc.next - (r->alloc.window - r->alloc.window / 8) : la + 1;

	/* seq_cst pair with pto__ring_publish()'s store of la and load of orch_wake_la */
	__atomic_store_n(&r->orch_wake_la, want, __ATOMIC_SEQ_CST);
	/* a new mark: the wiring thread re-arms its wake-up for it (pto__ring_consumed()) */
	if (rt->wiring_on)
		pto_waiter_wake(&rt->wiring_wait);
	if (__atomic_load_n(&r->ctl->last_task_alive, __ATOMIC_SEQ_CST) == la)
		pto_waiter_sleep(&rt->orch_wait, seen, deadline_ns);
}

/*
 * The orchestrator starts waiting on ring @r.  A wiring thread retires
 * lazily, so it is told: while orch_wake_la is set it publishes at once and
 * every consumed task of the ring wakes it (pto__ring_consumed()).
 */
static void ring_wait_begin(struct pto_runtime *rt, struct pto_ring *r, uint64_t la)
{
	/* seq_cst: pairs with pto__ring_consumed()'s load, then the wake starts a scan */
	__atomic_store_n(&r->orch_wake_la, la + 1, __ATOMIC_SEQ_CST);
	if (rt->wiring_on)
		pto_waiter_wake(&rt->wiring_wait);
}

/*
 * Is ring @r's oldest live task @la completed, but held by tasks that start
 * only at the end of a still-open scope (and by nothing that will run)?
 * The orchestrator waiting for this ring cannot end that scope, so the
 * ring can never advance.  Typical cause: readers in a manual scope of a
 * region written with OUTPUT_EXISTING, which does not replace the earlier
 * writers, so each later reader takes a reference on them all.
 * Return: how many unpublished tasks hold it (0: not pinned), *@holder one.
 */
static uint32_t oldest_pinned(struct pto_runtime *rt, struct pto_ring *r, uint64_t la,
			      int64_t *holder)
{
	struct pto_task *old = &r->slots[la & r->alloc.mask];
	uint32_t st, left, held = 0, by_tasks = 0;

	/*
	 * The wiring thread links tasks (and fills their fanin lists) later:
	 * only once it caught up (its seq_cst load pairs with wire_pass()'s add
	 * of wire_done, after the lists were written) are they complete.
	 */
	if (!pto__wiring_caught_up(rt) || old->local != la)
		return 0;
	/* as in ring_stall(): a consumed slot may be being reset, read it only while live */
	pto__task_lock(old);
	st = old->state;
	left = st == PTO_TASK_COMPLETED ? old->fanout_count - old->fanout_refcount : 0;
	pto__task_unlock(old);
	if (st != PTO_TASK_COMPLETED)
		return 0;
	/* its scope's own reference, while that scope is open */
	if (old->scope_depth < rt->depth &&
	    rt->scopes[old->scope_depth].serial == old->scope_serial)
		held++;
	for (uint32_t i = 0; i < rt->num_scope_tasks && held <= left; i++) {
		const struct pto_task *u = rt->scope_tasks[i];
		uint32_t n = 0;

		if (u->published)
			continue;
		for (uint32_t k = 0; k < u->num_fanin; k++)
			n += u->fanin[k] == old->id;
		for (const struct pto_dep_node *d = u->extra_fanin; d; d = d->next)
			n += d->consumer == old;
		if (n)
			*holder = u->id;
		by_tasks += n;
		held += n;
	}
	return by_tasks && held == left ? by_tasks : 0;
}

/* While tasks wait for their scope's end, how often a blocked orchestrator re-checks. */
#define PIN_RECHECK_NS		20000000ull

/*
 * Allocate slot + heap + dependency entries in ring @r (only @deps
 * entries, into *@dep_first, when @g is NULL: pto_add_dependency()),
 * blocking while the schedulers retire work.  Fails at once when only
 * open-scope tasks are live (nothing can ever retire), else after the
 * stall timeout.
 */
static int ring_alloc_wait(struct pto_runtime *rt, struct pto_ring *r, uint64_t heap_bytes,
			   uint32_t deps, struct pto_ring_grant *g, uint64_t *dep_first)
{
	uint64_t t_wait = 0, last_progress = 0, prev_la = UINT64_MAX;
	uint64_t stall_since = 0, prev_done = UINT64_MAX;	/* the stall clock */
	uint32_t spins = 0, held;
	bool pin_check = true;
	int64_t holder = PTO_TASK_NONE;

	for (;;) {
		uint32_t seen = pto_waiter_prepare(&rt->orch_wait);
		/* while waiting, one clock read serves the refill test and the stall timer */
		uint64_t la = ring_alive(r), now = t_wait ? pto_now_ns() : 0, wake_at, done;
		enum pto_ring_short why;
		bool refill = g && t_wait && ring_refilling(r, la, now - last_progress);

		pto_tm_set_alive(&rt->tm, r->id, la, 0);
		if (refill)
			why = PTO_RING_SHORT_SLOT;
		else if (g)
			why = pto_ring_try_alloc(&r->alloc, la, heap_bytes, deps, g);
		else
			why = pto_ring_try_deps(&r->alloc, la, deps, dep_first);
		if (why == PTO_RING_FITS)
			break;
		if (r->alloc.next - la <= r->open_tasks) {
			/* every live task belongs to an open scope: nothing will ever retire */
			if (why == PTO_RING_SHORT_DEP)
				return orch_fail(rt, PTO_E_DEP_POOL, "%s: ring %u dependency pool "
						 "of %u entries cannot hold the open scopes' %" PRIu64
						 " entries + %u more (%s; raise PTO2_RING_DEP_POOL or "
						 "split the scope)", g ? "pto_submit" :
						 "pto_add_dependency", r->id, r->alloc.dep_cap,
						 pto_ring_dep_used(&r->alloc, la), deps,
						 g ? "one per producer still running" :
						 "an edge takes 2");
			return orch_fail(rt, PTO_E_SCOPE_DEADLOCK, "scope at depth %u can never fit "
					 "ring %u: its open scopes hold %u tasks and %" PRIu64
					 " heap bytes; %s too small (window %u slots, heap %" PRIu64
					 " bytes, this task needs %" PRIu64 ")", rt->depth - 1,
					 r->id, r->open_tasks, pto_ring_heap_used(&r->alloc, la),
					 short_name(why), r->alloc.window, r->alloc.heap_size,
					 pto_ring_heap_round(heap_bytes));
		}
		/* (not while refilling: what it waits for is more than it needs) */
		if (pin_check && !refill && (held = oldest_pinned(rt, r, la, &holder)))
			return orch_fail(rt, PTO_E_SCOPE_DEADLOCK, "ring %u can never advance "
					 "(%s full): completed task %" PRId64 " is held by %u "
					 "unpublished tasks (one: %" PRId64 ") till their scope ends; "
					 "%s", r->id, short_name(why), pto_task_id(r->id, la), held,
					 holder, rt->manual_depth ? "OUTPUT_EXISTING keeps a region's "
					 "earlier writers for its readers: write it INOUT, or end the "
					 "scope sooner" : "end that scope sooner");
		pin_check = refill;
		if (pto__rt_error(rt))
			return pto__fail(PTO_E_ABORTED, "%s: the run already failed: %s",
					 g ? "pto_submit" : "pto_add_dependency", rt->err.msg);
		if (!t_wait) {
			t_wait = now = pto_now_ns();
			ring_wait_begin(rt, r, la);
		}
		/*
		 * Progress: a ring advance (also the refill clock), or any task
		 * completing (relaxed: a count, ordering nothing), so a slow
		 * oldest task is no stall while the others still complete.
		 */
		done = __atomic_load_n(&rt->completed, __ATOMIC_RELAXED);
		if (la != prev_la || done != prev_done) {
			if (la != prev_la)
				last_progress = now;
			prev_la = la;
			prev_done = done;
			stall_since = now;
		}
		if (now - stall_since > (uint64_t)rt->cfg.stall_timeout_ms * 1000000ull) {
			rt->orch_blocked_ns += now - t_wait;
			return ring_stall(rt, r, why, la, heap_bytes, rt->cfg.stall_timeout_ms);
		}
		if (spins < PTO_SPIN_BUDGET) {
			spins++;
			pto_cpu_relax();
			continue;
		}
		/* while refilling, wake in time to take what fits if retiring pauses */
		wake_at = stall_since + (uint64_t)rt->cfg.stall_timeout_ms * 1000000ull + 1;
		if (refill && last_progress + ORCH_REFILL_NS + 1 < wake_at)
			wake_at = last_progress + ORCH_REFILL_NS + 1;
		/*
		 * Tasks waiting for their scope's end can pin the oldest task
		 * once it completes, which wakes nobody: look again now and then.
		 */
		if ((rt->manual_depth || rt->cfg.dep_mode == PTO_DEPS_EXPLICIT) &&
		    now + PIN_RECHECK_NS < wake_at)
			wake_at = now + PIN_RECHECK_NS;
		ring_sleep(rt, r, seen, la, refill, wake_at);
		pin_check = true;
	}
	if (t_wait) {
		uint64_t now = pto_now_ns();

		rt->orch_blocked_ns += now - t_wait;
		if (pto_trace_on(rt->trace))
			pto_trace_orch_phase(rt->trace, PTO_PHASE_ORCH_ALLOC_WAIT, t_wait, now, 1);
	}
	return 0;
}

static int ring_alloc(struct pto_runtime *rt, struct pto_ring *r, uint64_t heap_bytes,
		      uint32_t deps, struct pto_ring_grant *g, uint64_t *dep_first)
{
	int ret = ring_alloc_wait(rt, r, heap_bytes, deps, g, dep_first);

	/* done waiting (only this thread writes it; a stale read costs a spurious wake) */
	if (__atomic_load_n(&r->orch_wake_la, __ATOMIC_RELAXED) != PTO_NO_WAITER)
		__atomic_store_n(&r->orch_wake_la, PTO_NO_WAITER, __ATOMIC_RELAXED);
	return ret;
}

/* --- submit -------------------------------------------------------------------------- */

static uint64_t out_bytes(const struct pto_tensor *t)
{
	return pto_ring_heap_round(t->size);
}

static void fill_desc(struct pto2_tensor_desc *d, const struct pto_tensor *t)
{
	uint64_t start = 0, stride = 1;

	memset(d, 0, sizeof(*d));
	d->buffer_addr = t->addr;
	d->buffer_size = t->size;
	d->dtype = t->dtype;
	d->ndims = t->ndims;
	for (uint32_t k = t->ndims; k-- > 0;) {
		start += (uint64_t)t->offsets[k] * stride;
		stride *= t->raw_shapes[k];
	}
	d->start_offset = start;
	for (uint32_t k = 0; k < PTO2_MAX_DIMS; k++) {
		d->shapes[k] = k < t->ndims ? t->shapes[k] : 1;
		d->raw_shapes[k] = k < t->ndims ? t->raw_shapes[k] : 1;
		d->offsets[k] = k < t->ndims ? t->offsets[k] : 0;
	}
	d->version = t->version;
	d->owner_task = t->owner >= 0 ? (uint64_t)t->owner : PTO2_TASK_NONE;
}

static int scope_push_task(struct pto_runtime *rt, struct pto_task *t)
{
	if (rt->num_scope_tasks == rt->cap_scope_tasks) {
		uint32_t ncap = rt->cap_scope_tasks * 2;
		struct pto_task **n = realloc(rt->scope_tasks, ncap * sizeof(*n));

		if (!n)
			return orch_fail(rt, -ENOMEM, "pto_submit: scope task list of %u", ncap);
		rt->scope_tasks = n;
		rt->cap_scope_tasks = ncap;
	}
	rt->scope_tasks[rt->num_scope_tasks++] = t;
	return 0;
}

PTO_API int64_t pto_submit(struct pto_runtime *rt, const struct pto_launch *launch,
			   struct pto_args *args)
{
	struct pto_task shape = { 0 }, *t;
	struct pto_ring *r;
	struct pto_ring_grant g;
	struct pto_trace_task *tr = NULL;
	uint64_t t0 = 0, heap_bytes, fixed, out_off, dep_top;
	uint32_t ring, writers = 0, readers = 0, sat, idx, hz, nretain;
	int64_t retain[PTO2_MAX_TENSOR_ARGS];
	struct lookup_ctx lc;
	struct order_ctx oc;
	bool track, defer;
	/* per tensor argument: record it as a reader in the TensorMap */
	bool reads[PTO2_MAX_TENSOR_ARGS];
	int ret;

	ret = pto__orch_check(rt, "pto_submit");
	if (ret)
		return ret;
	track = rt->cfg.dep_mode == PTO_DEPS_AUTO;
	hz = track ? rt->cfg.hazards : PTO_HAZARDS_RAW;
	defer = !track || rt->manual_depth;
	if (pto_trace_on(rt->trace))
		t0 = pto_now_ns();
	if (!launch || !args)
		return orch_fail(rt, -EINVAL, "pto_submit: NULL %s", launch ? "args" : "launch");
	ret = check_launch(rt, launch, &shape);
	if (ret)
		return ret;
	ret = check_args(rt, args);
	if (ret)
		return ret;

	ring = rt->depth - 1 < PTO_NUM_RINGS - 1 ? rt->depth - 1 : PTO_NUM_RINGS - 1;
	r = &rt->rings[ring];
	if (r->open_tasks + 1 > r->alloc.window)
		return orch_fail(rt, PTO_E_SCOPE_DEADLOCK, "scope at depth %u already holds %u "
				 "tasks: task %u of it cannot fit ring %u's task window of %u "
				 "slots (raise PTO2_RING_TASK_WINDOW or split the scope)", rt->depth - 1,
				 r->open_tasks, r->open_tasks + 1, ring, r->alloc.window);

	/* dependencies: explicit, creator retention, then overlap tracking */
	rt->num_dep_scratch = 0;
	lc.rt = rt;
	lc.err = 0;
	for (uint32_t i = 0; i < args->num_deps; i++) {
		int live = task_liveness(rt, args->deps[i]);

		if (live < 0)
			return orch_fail(rt, -EINVAL, "pto_submit: explicit dependency %u: task "
					 "%" PRId64 " was never submitted", i, args->deps[i]);
		if (live && scratch_add(rt, args->deps[i]))
			lc.err = -ENOMEM;
	}
	if (track)
		tm_hide_retired(rt);
	rt->hz.num_cand = 0;
	{
		uint64_t tl = t0 ? pto_now_ns() : 0;

		for (uint32_t i = 0; i < args->num_tensors; i++) {
			struct pto_tensor *ten = args->tensors[i];
			uint32_t kind = args->kinds[i];
			bool inner;

			reads[i] = false;
			if (kind == PTO_ARG_OUTPUT)
				continue;
			if (ten->owner >= 0 && !owner_scope_open(rt, ten->owner))
				return orch_fail(rt, -EINVAL, "pto_submit: argument %u was created "
						 "by task %" PRId64 " in a scope that has ended (or "
						 "another run): its buffer may be reused", i,
						 ten->owner);
			/*
			 * Created inside the open manual scope: every writer of it is a
			 * task of that scope, whose edges are explicit, so a lookup
			 * could only find producers lookup_cb() drops.
			 */
			inner = ten->owner >= 0 && in_open_manual(rt, ten->owner);
			if (ten->owner >= 0 && !inner && task_liveness(rt, ten->owner) > 0 &&
			    scratch_add(rt, ten->owner))
				lc.err = -ENOMEM;
			if (!track || (ten->flags & PTO_TENSOR_MANUAL_DEP))
				continue;
			if ((kind == PTO_ARG_INPUT || kind == PTO_ARG_INOUT) && !inner)
				pto_tm_lookup(&rt->tm, ten, PTO_TM_WRITER, kind == PTO_ARG_INOUT,
					      lookup_cb, &lc);
			/* readers are remembered in every mode: pto_tensor_write() waits for them */
			if (kind == PTO_ARG_INPUT && !inner) {
				reads[i] = true;
				readers++;
			}
			if (kind != PTO_ARG_INOUT && kind != PTO_ARG_OUTPUT_EXISTING)
				continue;
			writers++;
			if (inner)
				continue;
			if (hz == PTO_HAZARDS_TRACK) {
				/*
				 * Write-after-read (and -write for OUTPUT_EXISTING):
				 * wait for them.  Later tasks wait for this writer, and
				 * through it for what it covers, so those entries go;
				 * not inside a manual scope, where lookup_cb() drops
				 * the scope's own tasks instead of waiting for them.
				 */
				int rm = !rt->manual_depth;

				if (kind == PTO_ARG_OUTPUT_EXISTING)
					pto_tm_lookup(&rt->tm, ten, PTO_TM_WRITER, rm, lookup_cb, &lc);
				pto_tm_lookup(&rt->tm, ten, PTO_TM_READER, rm, lookup_cb, &lc);
			} else if (hz == PTO_HAZARDS_CHECK && !rt->manual_depth) {
				/* a manual scope's edges come after submit: not checked */
				struct hz_ctx hc = { rt, i, false, 0 };

				pto_tm_lookup(&rt->tm, ten, PTO_TM_READER, 0, hz_cand_cb, &hc);
				hc.waw = true;
				if (kind == PTO_ARG_OUTPUT_EXISTING)
					pto_tm_lookup(&rt->tm, ten, PTO_TM_WRITER, 0, hz_cand_cb, &hc);
				if (hc.err)
					lc.err = hc.err;
			}
		}
		if (tl)
			pto_trace_orch_phase(rt->trace, PTO_PHASE_ORCH_LOOKUP, tl, pto_now_ns(),
					     rt->num_dep_scratch);
	}
	if (lc.err)
		return orch_fail(rt, -ENOMEM, "pto_submit: dependency list");
	if (rt->hz.num_cand) {
		/* the id this task gets (only this thread allocates) and its ancestry */
		struct order_ctx hoc = { ring, r->alloc.next,
					 ancestry_mask(rt, ring, r->alloc.next) };

		ret = pto__hz_check(rt, pto_task_id(ring, r->alloc.next),
				    shape.kernel[0] >= 0 ? shape.kernel[0] :
				    shape.kernel[1] >= 0 ? shape.kernel[1] : shape.kernel[2], args,
				    ordered_before, &hoc);
		if (ret)
			return ret;
	}
	ret = pto_tm_reserve(&rt->tm, writers + readers);
	if (ret)
		return orch_fail(rt, ret, "%s", pto_last_error());

	/*
	 * argument block (pto__args_spill()): descriptors, scalars, fanin ids
	 * (and their copy the hazard check keeps), then the outputs
	 */
	fixed = pto__args_scalar_off(args->num_tensors, args->num_scalars) +
		(uint64_t)args->num_scalars * 8 + (uint64_t)rt->num_dep_scratch * 8 *
		(hz == PTO_HAZARDS_CHECK ? 2 : 1);
	heap_bytes = pto_ring_heap_round(fixed);
	for (uint32_t i = 0; i < args->num_tensors; i++)
		if (args->kinds[i] == PTO_ARG_OUTPUT)
			heap_bytes += out_bytes(args->tensors[i]);
	nretain = inner_creators(rt, args, retain);
	/* ring_alloc() already moved the TensorMap watermark to the ring's alive */
	ret = ring_alloc(rt, r, heap_bytes, rt->num_dep_scratch + nretain, &g, NULL);
	if (ret)
		return ret;

	/* initialize the slot (nobody else looks at it until it is published) */
	t = &r->slots[g.local & r->alloc.mask];
	memcpy(t->kernel, shape.kernel, sizeof(t->kernel));
	t->id = pto_task_id(ring, g.local);
	t->local = g.local;
	t->ring = ring;
	t->shape = shape.shape;
	t->lanes = shape.lanes;
	t->block_num = shape.block_num;
	t->total_sub = shape.total_sub;
	t->flags = shape.flags;
	t->num_tensors = args->num_tensors;
	t->num_scalars = args->num_scalars;
	t->num_fanin = 0;
	t->next_block = 0;
	idx = rt->run_tasks++;
	t->trace_idx = idx;
	t->args_addr = r->heap_addr + g.heap_off;
	t->args_host = r->heap_host + g.heap_off;
	t->fanin = (int64_t *)(t->args_host + pto__args_scalar_off(args->num_tensors,
								   args->num_scalars) +
			       (uint64_t)args->num_scalars * 8);
	t->hz_fanin = t->fanin + rt->num_dep_scratch;
	t->hz_nfanin = hz == PTO_HAZARDS_CHECK ? rt->num_dep_scratch : 0;
	memcpy(t->fanin + rt->num_dep_scratch, rt->dep_scratch, t->hz_nfanin * sizeof(int64_t));
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
	t->published = !defer;
	rt->published += !defer;
	/* a total submission order across rings, for pto_add_dependency() */
	for (uint32_t k = 0; k < PTO_NUM_RINGS; k++)
		t->order_next[k] = k == ring ? g.local : rt->rings[k].alloc.next;

	out_off = g.heap_off + pto_ring_heap_round(fixed);
	for (uint32_t i = 0; i < args->num_tensors; i++) {
		struct pto_tensor *ten = args->tensors[i];

		if (args->kinds[i] == PTO_ARG_OUTPUT) {
			ten->addr = r->heap_addr + out_off;
			ten->owner = t->id;
			ten->flags &= ~PTO_TENSOR_UNALLOCATED;
			out_off += out_bytes(ten);
		}
		fill_desc((struct pto2_tensor_desc *)t->args_host + i, ten);
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
	 * (lifecycle.c) and the wiring thread's retire.
	 */
	reg_store_release(&r->ctl->current_task_index, g.local + 1);
	reg_store_relaxed(&r->ctl->heap_top, r->alloc.heap_top);

	oc.ring = ring;
	oc.local = g.local;
	oc.mask = track ? record_ancestry(rt, r, t) : 0;
	for (uint32_t i = 0; i < args->num_tensors; i++) {
		uint32_t kind = args->kinds[i];

		if (!track || (kind != PTO_ARG_INOUT && kind != PTO_ARG_OUTPUT_EXISTING) ||
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
		if (kind == PTO_ARG_OUTPUT_EXISTING && hz != PTO_HAZARDS_TRACK)
			pto_tm_prune(&rt->tm, args->tensors[i], PTO_TM_WRITER, ordered_before, &oc);
		if (hz != PTO_HAZARDS_TRACK)
			pto_tm_prune(&rt->tm, args->tensors[i], PTO_TM_READER, ordered_before, &oc);
		pto_tm_insert(&rt->tm, args->tensors[i], PTO_TM_WRITER, ring, g.local);
	}
	/* after the writers' prunes, which stop at the first entry not ordered before */
	for (uint32_t i = 0; i < args->num_tensors; i++)
		if (reads[i])
			pto_tm_insert(&rt->tm, args->tensors[i], PTO_TM_READER, ring, g.local);

	if (pto_trace_on(rt->trace)) {
		tr = pto_trace_task_begin(rt->trace, idx);
		if (tr) {
			tr->task_id = t->id;
			memcpy(tr->kernel, t->kernel, sizeof(tr->kernel));
			tr->ring = (uint16_t)ring;
			tr->shape = (uint8_t)t->shape;
			tr->block_num = t->block_num;
			tr->t_submit = t0;
		}
	}

	ret = scope_push_task(rt, t);
	if (ret)
		return ret;
	r->open_tasks++;
	__atomic_fetch_add(&rt->submitted, 1, __ATOMIC_RELAXED);
	if (rt->wiring_on) {
		/* the wiring thread links it, from the candidates left in t->fanin */
		memcpy(t->fanin, rt->dep_scratch, (uint64_t)rt->num_dep_scratch * sizeof(*t->fanin));
		t->num_fanin = rt->num_dep_scratch;
		t->dep_first = g.dep_first;
		retain_creators(rt, r, t, retain, nretain, g.dep_first + rt->num_dep_scratch);
		pto_ring_set_dep_mark(&r->alloc, g.local,
				      g.dep_first + rt->num_dep_scratch + nretain);
		ret = pto__wiring_push(rt, t, PTO_WIRE_LINK | (defer ? 0 : PTO_WIRE_PUBLISH));
		if (ret)
			return ret;
	} else {
		/* the producers found, as the wiring thread records them: before wiring */
		if (tr)
			pto_trace_task_fanin(rt->trace, tr, rt->dep_scratch, rt->num_dep_scratch);
		dep_top = g.dep_first;
		sat = pto__task_wire(rt, t, rt->dep_scratch, rt->num_dep_scratch, &dep_top);
		retain_creators(rt, r, t, retain, nretain, dep_top);
		pto_ring_set_dep_mark(&r->alloc, g.local, dep_top + nretain);
		if (tr && !defer)
			tr->t_publish = pto_now_ns();
		if (defer) {
			/* the redundant fanin stays until the scope ends and publishes t */
			if (sat)
				pto__task_fanin_add(t, sat);
		} else if (pto__task_fanin_add(t, sat + 1)) {
			/* +1: the redundant fanin that kept t from going ready while being wired */
			if (tr)
				tr->t_ready = tr->t_publish;
			pto__task_push_ready(rt, t, true);
		}
	}
	if (tr)
		pto_trace_orch_phase(rt->trace, PTO_PHASE_ORCH_SUBMIT, t0, pto_now_ns(), 1);
	return t->id;
}

PTO_API int64_t pto_submit_aic(struct pto_runtime *rt, uint32_t kernel, struct pto_args *args)
{
	struct pto_launch l = { .aic = (int32_t)kernel, .aiv0 = PTO_NO_KERNEL,
				.aiv1 = PTO_NO_KERNEL, .block_num = 1 };

	if (kernel >= PTO2_MAX_KERNELS) {
		int ret = pto__orch_check(rt, "pto_submit_aic");

		return ret ? ret : orch_fail(rt, -EINVAL, "pto_submit_aic: kernel id %u out of "
					     "range", kernel);
	}
	return pto_submit(rt, &l, args);
}

PTO_API int64_t pto_submit_aiv(struct pto_runtime *rt, uint32_t kernel, struct pto_args *args)
{
	struct pto_launch l = { .aic = PTO_NO_KERNEL, .aiv0 = (int32_t)kernel,
				.aiv1 = PTO_NO_KERNEL, .block_num = 1 };

	if (kernel >= PTO2_MAX_KERNELS) {
		int ret = pto__orch_check(rt, "pto_submit_aiv");

		return ret ? ret : orch_fail(rt, -EINVAL, "pto_submit_aiv: kernel id %u out of "
					     "range", kernel);
	}
	return pto_submit(rt, &l, args);
}

/* --- scopes ---------------------------------------------------------------------------- */

int pto__scope_open(struct pto_runtime *rt, enum pto_scope_mode mode)
{
	struct pto_scope *s;
	uint32_t d = rt->depth;

	if (d >= PTO_MAX_SCOPE_DEPTH)
		return orch_fail(rt, -EINVAL, "pto_scope_begin: more than %u nested scopes",
				 PTO_MAX_SCOPE_DEPTH);
	if (rt->manual_depth)
		return orch_fail(rt, PTO_E_NESTED_MANUAL, "pto_scope_begin: a scope inside the "
				 "manual scope at depth %u (manual scopes hold no inner scopes: "
				 "end it first)", rt->manual_depth - 1);
	s = &rt->scopes[d];
	s->first = rt->num_scope_tasks;
	s->ring = d < PTO_NUM_RINGS - 1 ? d : PTO_NUM_RINGS - 1;
	s->mode = mode;
	s->serial = ++rt->scope_serial;
	rt->depth++;
	if (mode == PTO_SCOPE_MANUAL && rt->cfg.dep_mode == PTO_DEPS_AUTO)
		rt->manual_depth = rt->depth;
	return 0;
}

/* Inline wiring: release the redundant fanin of every unpublished task of the innermost scope. */
static void scope_publish(struct pto_runtime *rt, const struct pto_scope *s)
{
	for (uint32_t i = s->first; i < rt->num_scope_tasks; i++) {
		struct pto_task *t = rt->scope_tasks[i];
		struct pto_trace_task *tr = NULL;

		if (t->published)
			continue;
		t->published = true;
		rt->published++;
		if (pto_trace_on(rt->trace)) {
			tr = pto_trace_task_at(rt->trace, t->trace_idx);
			if (tr)
				tr->t_publish = pto_now_ns();
		}
		if (pto__task_fanin_add(t, 1)) {
			if (tr)
				tr->t_ready = tr->t_publish;
			pto__task_push_ready(rt, t, true);
		}
	}
}

/*
 * With a wiring thread, publish and release the innermost scope's tasks
 * there, after their link entries (the queue is FIFO).  Released here, a
 * completed producer could be consumed and retired while a consumer of the
 * same scope still waits in the queue to take its reference, and the
 * producer's heap block (its outputs, which that consumer reads) be reused.
 */
static void scope_hand_over(struct pto_runtime *rt, const struct pto_scope *s)
{
	for (uint32_t i = s->first; i < rt->num_scope_tasks; i++) {
		struct pto_task *t = rt->scope_tasks[i];
		uint32_t ops = PTO_WIRE_RELEASE;

		if (!t->published) {
			t->published = true;
			rt->published++;
			ops |= PTO_WIRE_PUBLISH;
		}
		if (pto__wiring_push(rt, t, ops))
			return;
	}
}

/* Release the innermost scope's reference on each of its tasks. */
void pto__scope_close(struct pto_runtime *rt)
{
	struct pto_scope *s = &rt->scopes[rt->depth - 1];
	uint64_t t0 = pto_trace_on(rt->trace) ? pto_now_ns() : 0;
	uint32_t n = rt->num_scope_tasks - s->first;

	if (rt->wiring_on) {
		scope_hand_over(rt, s);
	} else {
		scope_publish(rt, s);
		for (uint32_t i = s->first; i < rt->num_scope_tasks; i++)
			pto__task_release(rt, rt->scope_tasks[i]);
	}
	if (rt->manual_depth == rt->depth)
		rt->manual_depth = 0;
	rt->rings[s->ring].open_tasks -= n;
	rt->num_scope_tasks = s->first;
	rt->depth--;
	if (t0)
		pto_trace_orch_phase(rt->trace, PTO_PHASE_ORCH_SCOPE_END, t0, pto_now_ns(), n);
}

PTO_API int pto_scope_begin(struct pto_runtime *rt, enum pto_scope_mode mode)
{
	int ret = pto__orch_check(rt, "pto_scope_begin");

	if (ret)
		return ret;
	if (mode != PTO_SCOPE_AUTO && mode != PTO_SCOPE_MANUAL)
		return orch_fail(rt, -EINVAL, "pto_scope_begin: bad mode %d", (int)mode);
	return pto__scope_open(rt, mode);
}

PTO_API int pto_scope_end(struct pto_runtime *rt)
{
	int ret = pto__orch_check(rt, "pto_scope_end");

	if (ret)
		return ret;
	if (rt->depth <= 1)
		return orch_fail(rt, -EINVAL, "pto_scope_end: no scope open");
	pto__scope_close(rt);
	return 0;
}

PTO_API int pto_add_dependency(struct pto_runtime *rt, int64_t producer, int64_t consumer)
{
	struct pto_task *c, *p;
	struct pto_ring *r;
	struct pto_dep_node *fin, *fout;
	uint64_t first;
	int live, clive, ret = pto__orch_check(rt, "pto_add_dependency");

	if (ret)
		return ret;
	clive = task_liveness(rt, consumer);
	if (clive < 0)
		return orch_fail(rt, -EINVAL, "pto_add_dependency: consumer %" PRId64 " was never "
				 "submitted", consumer);
	live = task_liveness(rt, producer);
	if (live < 0)
		return orch_fail(rt, -EINVAL, "pto_add_dependency: producer %" PRId64 " was never "
				 "submitted", producer);
	if (producer == consumer)
		return orch_fail(rt, PTO_E_SELF_DEP, "pto_add_dependency: task %" PRId64
				 " cannot depend on itself", consumer);
	if (rt->cfg.dep_mode == PTO_DEPS_AUTO && !rt->manual_depth)
		return orch_fail(rt, PTO_E_MANUAL_SCOPE, "pto_add_dependency: only inside a manual "
				 "scope (or in explicit dependency mode)");
	c = pto__task_slot(rt, consumer);
	if (clive == 0 || c->id != consumer || c->published)
		return orch_fail(rt, PTO_E_DEP_PUBLISHED, "pto_add_dependency: consumer %" PRId64
				 " is already published (submitted in an AUTO scope, or its scope "
				 "ended): edges into it must be added before", consumer);
	if (c->scope_depth != rt->depth - 1)
		return orch_fail(rt, PTO_E_DEP_SCOPE, "pto_add_dependency: consumer %" PRId64
				 " belongs to the scope at depth %u, not the current scope at depth "
				 "%u: add its edges while its scope is the innermost", consumer,
				 c->scope_depth, rt->depth - 1);
	/*
	 * Producer before consumer in one order over all rings, so no set of
	 * edges can close a cycle (a retired producer too: the consumer's
	 * record says how far each ring had got when it was submitted).
	 */
	if (((uint64_t)producer & 0xffffffffull) >= c->order_next[(uint64_t)producer >> 32])
		return orch_fail(rt, -EINVAL, "pto_add_dependency: producer %" PRId64 " was "
				 "submitted after consumer %" PRId64, producer, consumer);
	if (!live) {
		pto_trace_add_edge(rt->trace, c->trace_idx, producer);
		return 0;	/* retired: already satisfied */
	}
	/*
	 * Two entries of the consumer's ring, its fanin record and the fanout
	 * link: waits for them like pto_submit() waits for ring space.
	 */
	r = &rt->rings[c->ring];
	ret = ring_alloc(rt, r, 0, 2, NULL, &first);
	if (ret)
		return ret;
	pto_trace_add_edge(rt->trace, c->trace_idx, producer);
	fin = &r->deps[first % r->alloc.dep_cap];
	fout = &r->deps[(first + 1) % r->alloc.dep_cap];
	/* before any producer can count it: the redundant fanin keeps c unready */
	__atomic_add_fetch(&c->fanin_count, 1, __ATOMIC_RELAXED);
	p = pto__task_slot(rt, producer);
	pto__task_lock(p);
	if (p->id != producer || p->state == PTO_TASK_CONSUMED) {
		pto__task_unlock(p);
		pto__task_fanin_add(c, 1);
		return 0;
	}
	p->fanout_count++;
	fin->consumer = p;
	fin->next = c->extra_fanin;
	c->extra_fanin = fin;
	if (p->state == PTO_TASK_COMPLETED) {
		pto__task_unlock(p);
		pto__task_fanin_add(c, 1);
		return 0;
	}
	fout->consumer = c;
	fout->next = p->fanout_head;
	p->fanout_head = fout;
	pto__task_unlock(p);
	return 0;
}

/* --- blocking tensor access --------------------------------------------------------------- */

struct wait_ctx {
	struct pto_runtime *rt;
	int err;
};

/* Is @id done enough: completed (read) or also released by its consumers (write)? */
static bool task_settled(struct pto_runtime *rt, int64_t id, bool write)
{
	struct pto_task *p;
	bool done;

	if (task_liveness(rt, id) <= 0)
		return true;
	p = pto__task_slot(rt, id);
	pto__task_lock(p);
	if (p->id != id || p->state == PTO_TASK_CONSUMED)
		done = true;
	else if (p->state != PTO_TASK_COMPLETED)
		done = false;
	else
		/* only the scope's own reference may remain */
		done = !write || p->fanout_refcount + 1 >= p->fanout_count;
	pto__task_unlock(p);
	return done;
}

/*
 * Wait until every task in dep_scratch settled (see task_settled(); @write
 * for the first @nwrite of them, the writers, completion for the rest, the
 * readers) and at least @barrier tasks completed, or fail.
 */
static int orch_wait_tasks(struct pto_runtime *rt, const char *fn, bool write, uint32_t nwrite,
			   uint64_t deadline, uint64_t barrier)
{
	uint32_t spins = 0, i = 0;

	for (;;) {
		uint32_t seen = pto_waiter_prepare(&rt->orch_wait);
		uint64_t now, done;

		/* a consumer still queued for the wiring thread has not registered yet */
		if (i < rt->num_dep_scratch && pto__wiring_caught_up(rt) &&
		    task_settled(rt, rt->dep_scratch[i], write && i < nwrite)) {
			i++;
			continue;
		}
		/* acquire: pairs with task_complete()'s seq_cst increment */
		done = __atomic_load_n(&rt->completed, __ATOMIC_ACQUIRE);
		if (i == rt->num_dep_scratch && done >= barrier)
			return 0;
		if (pto__rt_error(rt))
			return pto__fail(PTO_E_ABORTED, "%s: the run already failed: %s", fn,
					 rt->err.msg);
		now = pto_now_ns();
		if (now > deadline && i < rt->num_dep_scratch)
			return orch_fail(rt, PTO_E_TENSOR_WAIT, "%s: task %" PRId64 " did not "
					 "finish within %u ms", fn, rt->dep_scratch[i],
					 rt->cfg.stall_timeout_ms);
		if (now > deadline)
			return orch_fail(rt, PTO_E_TENSOR_WAIT, "%s: %" PRIu64 " of the %" PRIu64
					 " published tasks did not finish within %u ms", fn,
					 barrier - done, barrier, rt->cfg.stall_timeout_ms);
		if (spins < PTO_SPIN_BUDGET) {
			spins++;
			pto_cpu_relax();
			continue;
		}
		pto_waiter_sleep(&rt->orch_wait, seen, deadline + 1);
	}
}

static int tensor_access(struct pto_runtime *rt, const struct pto_tensor *t, const uint32_t *idx,
			 void *value, bool write, const char *fn)
{
	uint64_t flat = 0, stride = 1, esz, deadline, t0;
	uint32_t nwrite;
	uint8_t *host;
	struct lookup_ctx lc = { rt, 0 };
	int ret = pto__orch_check(rt, fn);

	if (ret)
		return ret;
	if (rt->manual_depth)
		return orch_fail(rt, PTO_E_MANUAL_BLOCKING, "%s: blocking tensor access inside a "
				 "manual scope (its tasks start only at scope end)", fn);
	if (!t || !idx || !value)
		return orch_fail(rt, -EINVAL, "%s: NULL argument", fn);
	if (t->ndims == 0 || t->ndims > PTO2_MAX_DIMS || t->dtype >= PTO2_DTYPE_COUNT ||
	    (t->flags & PTO_TENSOR_UNALLOCATED) || t->addr == 0)
		return orch_fail(rt, -EINVAL, "%s: tensor is not allocated", fn);
	for (uint32_t d = t->ndims; d-- > 0;) {
		if (idx[d] >= t->shapes[d])
			return orch_fail(rt, -EINVAL, "%s: index %u of dimension %u outside the "
					 "view extent %u", fn, idx[d], d, t->shapes[d]);
		flat += (uint64_t)(t->offsets[d] + idx[d]) * stride;
		stride *= t->raw_shapes[d];
	}
	esz = PTO2_DTYPE_SIZE(t->dtype);
	if ((flat + 1) * esz > t->size)
		return orch_fail(rt, -EINVAL, "%s: element outside the buffer", fn);
	host = pto_mem_map(rt->dev, t->addr + flat * esz, esz);
	if (!host)
		return orch_fail(rt, -EINVAL, "%s: %s", fn, pto_last_error());

	if (t->owner >= 0 && !owner_scope_open(rt, t->owner))
		return orch_fail(rt, -EINVAL, "%s: tensor created by task %" PRId64 " in a "
				 "scope that has ended (or another run): its buffer may be reused",
				 fn, t->owner);
	/*
	 * who must finish first: the creator and every tracked overlapping
	 * writer, and for a write also every live overlapping reader
	 */
	rt->num_dep_scratch = 0;
	if (t->owner >= 0 && scratch_add(rt, t->owner))
		lc.err = -ENOMEM;
	if (!(t->flags & PTO_TENSOR_MANUAL_DEP) && rt->cfg.dep_mode == PTO_DEPS_AUTO) {
		tm_hide_retired(rt);
		pto_tm_lookup(&rt->tm, t, PTO_TM_WRITER, 0, lookup_cb, &lc);
	}
	nwrite = rt->num_dep_scratch;
	if (write && !(t->flags & PTO_TENSOR_MANUAL_DEP) && rt->cfg.dep_mode == PTO_DEPS_AUTO)
		pto_tm_lookup(&rt->tm, t, PTO_TM_READER, 0, lookup_cb, &lc);
	if (lc.err)
		return orch_fail(rt, -ENOMEM, "%s: dependency list", fn);
	for (uint32_t i = 0; i < rt->num_dep_scratch; i++) {
		struct pto_task *p = pto__task_slot(rt, rt->dep_scratch[i]);

		if (task_liveness(rt, rt->dep_scratch[i]) > 0 && p->id == rt->dep_scratch[i] &&
		    !p->published)
			return orch_fail(rt, PTO_E_WAIT_UNPUBLISHED, "%s: task %" PRId64 " is not "
					 "published before its scope ends: waiting would never end",
					 fn, p->id);
	}
	t0 = pto_now_ns();
	deadline = t0 + (uint64_t)rt->cfg.stall_timeout_ms * 1000000ull;
	/*
	 * seq_cst pair with task_complete()'s count and flag load: a task that
	 * completed without seeing the flag is ordered before this load of
	 * completed, which acquires its state for task_settled().  The same
	 * pair with the wiring thread's wire_done and flag load.
	 */
	__atomic_store_n(&rt->orch_wants_done, 1, __ATOMIC_SEQ_CST);
	(void)__atomic_load_n(&rt->completed, __ATOMIC_SEQ_CST);
	/*
	 * Explicit-only mode tracks no writers (or readers) of the tensor: wait
	 * for every task published so far, unless the tensor is exempt.
	 * Unpublished ones (open scopes) could not start before their scope
	 * ends anyway.
	 */
	ret = orch_wait_tasks(rt, fn, write, nwrite, deadline,
			      rt->cfg.dep_mode == PTO_DEPS_EXPLICIT &&
			      !(t->flags & PTO_TENSOR_MANUAL_DEP) ? rt->published : 0);
	__atomic_store_n(&rt->orch_wants_done, 0, __ATOMIC_RELAXED);
	if (ret)
		return ret;
	if (pto_trace_on(rt->trace))
		pto_trace_orch_phase(rt->trace, PTO_PHASE_ORCH_TENSOR_WAIT, t0, pto_now_ns(),
				     rt->num_dep_scratch);
	/*
	 * The tasks' writes are visible: their completion was observed through
	 * the acquire of COND by a scheduler, and task_settled() took the
	 * task's lock after that scheduler released it when marking COMPLETED.
	 */
	if (write)
		memcpy(host, value, esz);
	else
		memcpy(value, host, esz);
	return 0;
}

PTO_API int pto_tensor_read(struct pto_runtime *rt, const struct pto_tensor *t,
			    const uint32_t *idx, void *value)
{
	return tensor_access(rt, t, idx, value, false, "pto_tensor_read");
}

PTO_API int pto_tensor_write(struct pto_runtime *rt, const struct pto_tensor *t,
			     const uint32_t *idx, const void *value)
{
	return tensor_access(rt, t, idx, (void *)value, true, "pto_tensor_write");
}
