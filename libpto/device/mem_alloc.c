// SPDX-License-Identifier: MIT
/* mem_alloc.c - best-fit, coalescing allocator over device addresses (see mem_alloc.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "libpto/device/mem_alloc.h"

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

int pto__arena_init(struct pto_arena *a, uint64_t base, uint64_t end)
{
	memset(a, 0, sizeof(*a));
	pthread_mutex_init(&a->lock, NULL);
	a->cap = 16;
	a->ext = calloc(a->cap, sizeof(*a->ext));
	if (!a->ext) {
		pthread_mutex_destroy(&a->lock);
		return -ENOMEM;
	}
	if (end > base) {
		a->ext[0].addr = base;
		a->ext[0].size = end - base;
		a->num = 1;
		a->free_bytes = end - base;
	}
	return 0;
}

void pto__arena_destroy(struct pto_arena *a)
{
	free(a->ext);
	a->ext = NULL;
	pthread_mutex_destroy(&a->lock);
}

/* Keep room for every extent the live allocations can split the range into. */
static int arena_reserve(struct pto_arena *a)
{
	uint32_t need = a->live + 3;
	struct pto_arena_extent *n;

	if (a->cap >= need)
		return 0;
	n = realloc(a->ext, sizeof(*n) * need * 2);
	if (!n)
		return -ENOMEM;
	a->ext = n;
	a->cap = need * 2;
	return 0;
}

static void arena_remove(struct pto_arena *a, uint32_t i)
{
	memmove(&a->ext[i], &a->ext[i + 1], sizeof(*a->ext) * (a->num - i - 1));
	a->num--;
}

static void arena_insert(struct pto_arena *a, uint32_t i, uint64_t addr, uint64_t size)
{
	memmove(&a->ext[i + 1], &a->ext[i], sizeof(*a->ext) * (a->num - i));
	a->ext[i].addr = addr;
	a->ext[i].size = size;
	a->num++;
}

int pto__arena_alloc(struct pto_arena *a, uint64_t size, uint64_t align, uint64_t *addr,
		     uint64_t *reserved)
{
	uint64_t best_start = 0, head, tail, end;
	uint32_t best = UINT32_MAX;
	int rc = -ENOMEM;

	if (size == 0 || size > UINT64_MAX - PTO_ARENA_GRAIN)
		return -ENOMEM;
	size = align_up(size, PTO_ARENA_GRAIN);
	if (align < PTO_ARENA_GRAIN)
		align = PTO_ARENA_GRAIN;

	pthread_mutex_lock(&a->lock);
	if (arena_reserve(a))
		goto out;
	for (uint32_t i = 0; i < a->num; i++) {
		struct pto_arena_extent *e = &a->ext[i];
		uint64_t start = align_up(e->addr, align);

		if (start < e->addr || start - e->addr >= e->size || e->size - (start - e->addr) < size)
			continue;
		if (best == UINT32_MAX || e->size < a->ext[best].size) {
			best = i;
			best_start = start;
			if (e->size == size)
				break;	/* exact fit: nothing better exists */
		}
	}
	if (best == UINT32_MAX)
		goto out;

	end = a->ext[best].addr + a->ext[best].size;
	head = best_start - a->ext[best].addr;
	tail = end - (best_start + size);
	if (head) {
		a->ext[best].size = head;
		if (tail)
			arena_insert(a, best + 1, best_start + size, tail);
	} else if (tail) {
		a->ext[best].addr = best_start + size;
		a->ext[best].size = tail;
	} else {
		arena_remove(a, best);
	}
	a->free_bytes -= size;
	a->live++;
	*addr = best_start;
	*reserved = size;
	rc = 0;
out:
	pthread_mutex_unlock(&a->lock);
	return rc;
}

void pto__arena_free(struct pto_arena *a, uint64_t addr, uint64_t reserved)
{
	uint32_t lo = 0, hi;
	int merge_prev, merge_next;

	pthread_mutex_lock(&a->lock);
	/* first extent above @addr */
	hi = a->num;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (a->ext[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	merge_prev = lo > 0 && a->ext[lo - 1].addr + a->ext[lo - 1].size == addr;
	merge_next = lo < a->num && addr + reserved == a->ext[lo].addr;
	if (merge_prev && merge_next) {
		a->ext[lo - 1].size += reserved + a->ext[lo].size;
		arena_remove(a, lo);
	} else if (merge_prev) {
		a->ext[lo - 1].size += reserved;
	} else if (merge_next) {
		a->ext[lo].addr = addr;
		a->ext[lo].size += reserved;
	} else {
		/* cannot overflow: arena_reserve() kept room (see @live) */
		arena_insert(a, lo, addr, reserved);
	}
	a->free_bytes += reserved;
	a->live--;
	pthread_mutex_unlock(&a->lock);
}

uint64_t pto__arena_free_bytes(struct pto_arena *a)
{
	uint64_t v;

	pthread_mutex_lock(&a->lock);
	v = a->free_bytes;
	pthread_mutex_unlock(&a->lock);
	return v;
}

uint32_t pto__arena_num_extents(struct pto_arena *a)
{
	uint32_t v;

	pthread_mutex_lock(&a->lock);
	v = a->num;
	pthread_mutex_unlock(&a->lock);
	return v;
}
