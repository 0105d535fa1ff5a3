// SPDX-License-Identifier: MIT
/* ring.c - task window, heap ring and dependency pool arithmetic (ring.h). */
#include <errno.h>
#include <stdlib.h>

#include "libpto/error_impl.h"
#include "libpto/ring/ring.h"

int pto_ring_alloc_init(struct pto_ring_alloc *ra, uint32_t window, uint64_t heap_size,
			uint32_t dep_cap)
{
	if (window < 2 || (window & (window - 1)) || heap_size < PTO_HEAP_ALIGN || dep_cap == 0)
		return pto__fail(-EINVAL, "ring: window %u (power of two >= 2), heap %llu, "
				 "dep pool %u", window, (unsigned long long)heap_size, dep_cap);
	ra->window = window;
	ra->mask = window - 1;
	ra->heap_size = heap_size;
	ra->dep_cap = dep_cap;
	ra->heap_start = calloc(window, sizeof(*ra->heap_start));
	ra->dep_mark = calloc(window, sizeof(*ra->dep_mark));
	if (!ra->heap_start || !ra->dep_mark) {
		pto_ring_alloc_fini(ra);
		return pto__fail(-ENOMEM, "ring: cannot allocate %u slot records", window);
	}
	pto_ring_alloc_reset(ra);
	return 0;
}

void pto_ring_alloc_fini(struct pto_ring_alloc *ra)
{
	free(ra->heap_start);
	free(ra->dep_mark);
	ra->heap_start = NULL;
	ra->dep_mark = NULL;
}

void pto_ring_alloc_reset(struct pto_ring_alloc *ra)
{
	ra->next = 0;
	ra->heap_top = 0;
	ra->dep_top = 0;
}

bool pto_heap_place(uint64_t size, uint64_t top, uint64_t tail, bool empty, uint64_t need,
		    uint64_t *off)
{
	if (need > size)
		return false;
	if (empty) {
		/* nothing live: restart at 0 so a parked offset never fragments */
		*off = 0;
		return true;
	}
	if (top >= tail) {
		/* live region [tail, top): free arcs are [top, size) and [0, tail) */
		if (size - top >= need) {
			*off = top;
			return true;
		}
		/* strict: top must never catch up with tail, or full == empty */
		if (tail > need) {
			*off = 0;
			return true;
		}
		return false;
	}
	/* wrapped: live is [tail, size) + [0, top); free is [top, tail) */
	if (tail - top > need) {
		*off = top;
		return true;
	}
	return false;
}

/*
 * The live region starts where the oldest live task's block starts (not
 * where the last retired one ended: an empty ring restarts at 0).
 */
static uint64_t heap_tail(const struct pto_ring_alloc *ra, uint64_t last_alive)
{
	return ra->heap_start[last_alive & ra->mask];
}

static uint64_t dep_tail(const struct pto_ring_alloc *ra, uint64_t last_alive)
{
	return last_alive ? ra->dep_mark[(last_alive - 1) & ra->mask] : 0;
}

enum pto_ring_short pto_ring_try_alloc(struct pto_ring_alloc *ra, uint64_t last_alive,
				       uint64_t heap_bytes, uint32_t deps,
				       struct pto_ring_grant *g)
{
	bool empty = last_alive == ra->next;
	uint64_t need = pto_ring_heap_round(heap_bytes), off, tail;

	if (ra->next - last_alive >= ra->window)
		return PTO_RING_SHORT_SLOT;
	tail = empty ? 0 : heap_tail(ra, last_alive);
	if (!pto_heap_place(ra->heap_size, ra->heap_top, tail, empty, need, &off))
		return PTO_RING_SHORT_HEAP;
	if (ra->dep_top + deps - dep_tail(ra, last_alive) > ra->dep_cap)
		return PTO_RING_SHORT_DEP;
	g->local = ra->next;
	g->heap_off = off;
	g->dep_first = ra->dep_top;
	ra->heap_top = off + need;
	ra->heap_start[ra->next & ra->mask] = off;
	ra->dep_mark[ra->next & ra->mask] = ra->dep_top;
	ra->next++;
	return PTO_RING_FITS;
}

enum pto_ring_short pto_ring_try_deps(struct pto_ring_alloc *ra, uint64_t last_alive,
				      uint32_t n, uint64_t *first)
{
	if (ra->dep_top + n - dep_tail(ra, last_alive) > ra->dep_cap)
		return PTO_RING_SHORT_DEP;
	*first = ra->dep_top;
	ra->dep_top += n;
	ra->dep_mark[(ra->next - 1) & ra->mask] = ra->dep_top;
	return PTO_RING_FITS;
}

uint64_t pto_ring_heap_used(const struct pto_ring_alloc *ra, uint64_t last_alive)
{
	uint64_t tail;

	if (last_alive == ra->next)
		return 0;
	tail = heap_tail(ra, last_alive);
	if (ra->heap_top >= tail)
		return ra->heap_top - tail;
	return ra->heap_size - tail + ra->heap_top;
}

uint64_t pto_ring_dep_used(const struct pto_ring_alloc *ra, uint64_t last_alive)
{
	return ra->dep_top - dep_tail(ra, last_alive);
}
