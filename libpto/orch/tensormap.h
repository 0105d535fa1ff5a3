/* SPDX-License-Identifier: MIT */
/*
 * tensormap.h - "which live task last wrote this region of this buffer",
 * and "which live tasks read it": the TensorMap behind AUTO dependency
 * discovery, write-after-read tracking and checking, and blocking tensor
 * writes.  Orchestrator-private (one thread, no locks).  Internal.
 *
 * Writer and reader entries live in separate halves of the bucket array,
 * so a read-after-write lookup never walks readers.  Entries are hashed by
 * buffer base address only, so every view of one buffer lands in one
 * bucket and overlap is decided per dimension.  An
 * entry is valid while its producer is alive: producer local id >= its
 * ring's watermark (last_task_alive).  Stale entries are skipped by
 * lookups (lazy invalidation) and freed in bulk per retired range through
 * per-task chains (pto_tm_retire()).  Inserts never fail: pto_tm_reserve()
 * first makes room (reclaim, then grow), or fails with a named error.
 */
#ifndef PTO_ORCH_TENSORMAP_H
#define PTO_ORCH_TENSORMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "libpto/core/task_id.h"
#include "pto/runtime.h"

/* How a lookup region relates to an entry. */
enum pto_tm_overlap {
	PTO_TM_DISJOINT = 0,
	PTO_TM_OVERLAP = 1,	/* they share at least one element */
	PTO_TM_COVERED = 2,	/* the entry lies entirely inside the region */
};

/* Which half of the map an entry lives in. */
enum pto_tm_kind {
	PTO_TM_WRITER = 0,	/* INOUT / OUTPUT_EXISTING */
	PTO_TM_READER = 1,	/* INPUT */
};

struct pto_tm_entry;

/**
 * struct pto_tensormap - the map.
 * @buckets: head entry index per bucket (-1 = empty): 2 << @bucket_bits,
 *	writers in the lower half, readers in the upper.
 * @entries: the pool; @cap entries, @max_cap the growth limit.
 * @free_head: free list through pto_tm_entry.next_in_bucket.
 * @used: entries on a bucket or a task chain.
 * @task_head: per ring, per slot, the chain of entries that task inserted.
 * @window: per ring, slots (power of two).
 * @alive: per ring, the watermark lookups trust.
 * @cleaned: per ring, every task below it had its chain freed.
 */
struct pto_tensormap {
	int32_t *buckets;
	uint32_t bucket_bits;
	struct pto_tm_entry *entries;
	uint32_t cap;
	uint32_t max_cap;
	int32_t free_head;
	uint32_t used;
	int32_t *task_head[PTO_NUM_RINGS];
	uint32_t window[PTO_NUM_RINGS];
	uint64_t alive[PTO_NUM_RINGS];
	uint64_t cleaned[PTO_NUM_RINGS];
};

/* Build for rings of @window slots; @init_cap/@max_cap pool entries.  Return 0, -EINVAL, -ENOMEM. */
int pto_tm_init(struct pto_tensormap *tm, const uint32_t *window, uint32_t init_cap,
		uint32_t max_cap);
void pto_tm_fini(struct pto_tensormap *tm);
/* Forget everything (a new run: watermarks back to 0). */
void pto_tm_reset(struct pto_tensormap *tm);

void pto__tm_advance(struct pto_tensormap *tm, uint32_t ring, uint64_t alive, int force);

/*
 * pto_tm_set_alive() - ring @ring's watermark moved to @alive.  Entries of
 * tasks below it become invisible at once; their chains are freed when
 * the range grew past a cleanup interval (or @force).  Inline: called per
 * ring on every submit, and unmoved on most (the cleanup test ran when
 * the watermark last moved).
 */
static inline void pto_tm_set_alive(struct pto_tensormap *tm, uint32_t ring, uint64_t alive,
				    int force)
{
	if (force || alive > tm->alive[ring])
		pto__tm_advance(tm, ring, alive, force);
}

/*
 * pto_tm_reserve() - make sure @n inserts cannot fail: free retired
 * chains, then grow the pool up to its limit.
 * Return: 0, or -ENOMEM naming the pool size.
 */
int pto_tm_reserve(struct pto_tensormap *tm, uint32_t n);

/* Relation of view @t to an entry's view @e (same buffer base). */
enum pto_tm_overlap pto_tm_overlap(const struct pto_tensor *t, const struct pto_tensor *e);

/*
 * pto_tm_lookup() - call @fn(@ctx, task) for every valid @kind entry that
 * overlaps view @t (newest first; a task may repeat).  With
 * @remove_covered, entries that @t covers are removed after being reported
 * (a writer that waits for them makes them unreachable for later tasks).
 * Return: number of entries reported.
 */
uint32_t pto_tm_lookup(struct pto_tensormap *tm, const struct pto_tensor *t, enum pto_tm_kind kind,
		       int remove_covered, void (*fn)(void *ctx, int64_t producer), void *ctx);

/*
 * pto_tm_prune() - remove the valid @kind entries that view @t covers and
 * whose task @is_before(@ctx, task) says is ordered before the writer
 * about to be inserted for @t: a later task of the region waits for that
 * writer, and through it for them.  Stops at the first covered entry (newest
 * first) whose task is not.
 * Return: number of entries removed.
 */
uint32_t pto_tm_prune(struct pto_tensormap *tm, const struct pto_tensor *t, enum pto_tm_kind kind,
		      bool (*is_before)(void *ctx, int64_t producer), void *ctx);

/*
 * Record task (@ring, @local) as the last writer (@kind WRITER) or as a
 * live reader (READER) of view @t.  Needs a reservation.
 */
void pto_tm_insert(struct pto_tensormap *tm, const struct pto_tensor *t, enum pto_tm_kind kind,
		   uint32_t ring, uint64_t local);

#endif /* PTO_ORCH_TENSORMAP_H */
