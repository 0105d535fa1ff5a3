// SPDX-License-Identifier: MIT
/*
 * setup.c - the orchestrator's per-runtime state: the ring area in device
 * memory, the task windows, TensorMap and hazard tables (teardown accepts
 * a half-built runtime); the per-run reset; and the check every
 * orchestrator call makes first (in a run, on its thread, no error).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "libpto/device/device_ops.h"
#include "libpto/orch/orch_impl.h"

#define SCOPE_TASKS_INIT	1024
#define DEP_SCRATCH_INIT	64
#define TM_POOL_INIT		4096
#define TM_POOL_MAX		(1u << 24)
/* heap/area alignment of the ring area in device memory */
#define RING_AREA_ALIGN		4096u

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
	/* the runtime's own: pto_mem_free() of the program's refuses it */
	ret = pto__device_alloc_runtime(rt->dev, total, RING_AREA_ALIGN, &rt->ring_area_addr);
	if (ret)
		return pto__fail(ret, "pto_runtime_create: cannot allocate %" PRIu64 " bytes of "
				 "device memory for the rings (heap_size per ring too large?): %s",
				 total, pto_last_error());
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
		pto__device_free_runtime(rt->dev, rt->ring_area_addr);
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
		ring->orch_wake_at = PTO_NO_WAITER;
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
	rt->orch_waits = 0;
	rt->orch_wait_cpu_ns = 0;
	rt->orch_helps = 0;
}

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
