/* SPDX-License-Identifier: MIT */
/*
 * mem_alloc.h - a best-fit allocator over a range of device addresses,
 * with a coalescing free list.  Used by the mock backend for its aperture.
 * Internal.
 *
 * Free extents are kept in an array sorted by address.  An allocation
 * takes the smallest extent that fits the size at the requested
 * alignment, leaving the head (alignment gap) and tail as free extents;
 * freeing merges with both neighbours.  Sizes are rounded up to
 * PTO_ARENA_GRAIN so every extent stays grain-aligned.  The arena does not
 * check that a freed range was allocated: the device layer's allocation
 * table does that before calling pto__arena_free().
 */
#ifndef PTO_MEM_ALLOC_H
#define PTO_MEM_ALLOC_H

#include <pthread.h>
#include <stdint.h>

#define PTO_ARENA_GRAIN		64u

struct pto_arena_extent {
	uint64_t addr;
	uint64_t size;
};

/*
 * struct pto_arena - the allocator.
 * @lock: protects every other field.
 * @ext: free extents sorted by addr, never adjacent (always merged).
 * @live: allocations not yet freed.  Free extents never outnumber
 *	@live + 1, and alloc keeps @cap above that, so free never allocates.
 */
struct pto_arena {
	pthread_mutex_t lock;
	struct pto_arena_extent *ext;
	uint32_t num;
	uint32_t cap;
	uint32_t live;
	uint64_t free_bytes;
};

/* Manage [@base, @end); both multiples of PTO_ARENA_GRAIN.  Return 0 or -ENOMEM. */
int pto__arena_init(struct pto_arena *a, uint64_t base, uint64_t end);
void pto__arena_destroy(struct pto_arena *a);

/*
 * Reserve @size bytes at a multiple of @align (a power of two >= the
 * grain).  *@addr gets the address, *@reserved the bytes taken (@size
 * rounded up to the grain).  Return: 0 or -ENOMEM.
 */
int pto__arena_alloc(struct pto_arena *a, uint64_t size, uint64_t align, uint64_t *addr,
		     uint64_t *reserved);

/* Give back [@addr, @addr + @reserved) exactly as pto__arena_alloc() returned it. */
void pto__arena_free(struct pto_arena *a, uint64_t addr, uint64_t reserved);

/* Bytes currently free, and the number of free extents (fragmentation). */
uint64_t pto__arena_free_bytes(struct pto_arena *a);
uint32_t pto__arena_num_extents(struct pto_arena *a);

#endif /* PTO_MEM_ALLOC_H */
