/* SPDX-License-Identifier: MIT */
/*
 * ring.h - the allocation arithmetic of one ring: task window, heap ring
 * and dependency-list pool.  Pure functions over orchestrator-private
 * counters, unit-tested on their own.  Internal.
 *
 * Everything is reclaimed in task order: the retiring side only publishes
 * last_task_alive; the orchestrator remembers, per slot, where each task's
 * heap block started and where its dependency entries ended, and derives
 * the heap tail from the oldest live task and the dependency tail from the
 * task just below last_task_alive.  So no reclaim scan is ever needed.
 */
#ifndef PTO_RING_RING_H
#define PTO_RING_RING_H

#include <stdbool.h>
#include <stdint.h>

/* Heap blocks are aligned to (and at least) this many bytes. */
#define PTO_HEAP_ALIGN		64u

/**
 * struct pto_ring_alloc - the orchestrator's allocation state of a ring.
 * @window: task slots (power of two); @mask = @window - 1.
 * @heap_size: bytes of the heap ring.
 * @heap_start: per slot, the heap offset of that task's block.
 * @dep_cap: dependency-list entries.
 * @dep_mark: per slot, @dep_top after that task's nodes were taken.
 * @next: local id of the next task (= current_task_index).
 * @heap_top: offset where the next heap block starts (if it fits there).
 * @dep_top: entries ever allocated (monotonic; index = top % cap).
 *
 * The fields above @next are fixed at setup and read by every thread that
 * finds a task's slot (@mask); @next, @heap_top and @dep_top move on every
 * submit and only the orchestrator reads them, so they have a cache line
 * of their own: sharing one, every submit took the line back from the
 * scheduler that had just looked a task up.
 */
struct pto_ring_alloc {
	uint32_t window;
	uint32_t mask;
	uint64_t heap_size;
	uint64_t *heap_start;
	uint32_t dep_cap;
	uint64_t *dep_mark;
	_Alignas(64) uint64_t next;
	uint64_t heap_top;
	uint64_t dep_top;
};

/**
 * struct pto_ring_grant - what pto_ring_try_alloc() decided.
 * @local: the task's local id.
 * @heap_off: offset of its heap block.
 * @dep_first: first dependency entry (monotonic count; index = % dep_cap).
 */
struct pto_ring_grant {
	uint64_t local;
	uint64_t heap_off;
	uint64_t dep_first;
};

/* Why an allocation does not fit now. */
enum pto_ring_short {
	PTO_RING_FITS = 0,
	PTO_RING_SHORT_SLOT = 1,
	PTO_RING_SHORT_HEAP = 2,
	PTO_RING_SHORT_DEP = 3,
};

/* Set up (arrays allocated here).  Return 0, -EINVAL or -ENOMEM. */
int pto_ring_alloc_init(struct pto_ring_alloc *ra, uint32_t window, uint64_t heap_size,
			uint32_t dep_cap);
void pto_ring_alloc_fini(struct pto_ring_alloc *ra);
/* Empty ring, ids from 0 again. */
void pto_ring_alloc_reset(struct pto_ring_alloc *ra);

/* Bytes a heap block of @bytes really takes (aligned, never 0).  Inline: several per submit. */
static inline uint64_t pto_ring_heap_round(uint64_t bytes)
{
	if (bytes == 0)
		return PTO_HEAP_ALIGN;
	return (bytes + PTO_HEAP_ALIGN - 1) & ~(uint64_t)(PTO_HEAP_ALIGN - 1);
}

/*
 * pto_heap_place() - where a block of @need bytes (rounded) goes in a heap
 * of @size whose live blocks are [@tail, @top) (possibly wrapped), or the
 * whole heap is free when @empty.  A block never straddles the end.
 * Return: true and *@off, or false when it does not fit now.
 */
bool pto_heap_place(uint64_t size, uint64_t top, uint64_t tail, bool empty, uint64_t need,
		    uint64_t *off);

/*
 * pto_ring_try_alloc() - check the task slot, the heap block of @heap_bytes
 * and @deps dependency entries together against @last_alive (the ring's
 * last_task_alive); commit all three or nothing.
 * Return: PTO_RING_FITS (and *@g) or the first resource that is short.
 */
enum pto_ring_short pto_ring_try_alloc(struct pto_ring_alloc *ra, uint64_t last_alive,
				       uint64_t heap_bytes, uint32_t deps,
				       struct pto_ring_grant *g);

/*
 * pto_ring_try_deps() - take @n dependency entries that are not a new
 * task's (pto_add_dependency()) against @last_alive; the ring must hold a
 * live task.  They are charged to the newest task, which retires only
 * after every task that can use them, so they free as soon as it retired
 * (not with the next task submitted, which may belong to another scope).
 * Return: PTO_RING_FITS and *@first (monotonic count), or PTO_RING_SHORT_DEP.
 */
enum pto_ring_short pto_ring_try_deps(struct pto_ring_alloc *ra, uint64_t last_alive,
				      uint32_t n, uint64_t *first);

/* Record that the task of @local used dependency entries up to @dep_top. */
static inline void pto_ring_set_dep_mark(struct pto_ring_alloc *ra, uint64_t local,
					 uint64_t dep_top)
{
	ra->dep_mark[local & ra->mask] = dep_top;
	ra->dep_top = dep_top;
}

/* Live heap bytes and dependency entries given @last_alive (diagnostics). */
uint64_t pto_ring_heap_used(const struct pto_ring_alloc *ra, uint64_t last_alive);
uint64_t pto_ring_dep_used(const struct pto_ring_alloc *ra, uint64_t last_alive);

#endif /* PTO_RING_RING_H */
