// SPDX-License-Identifier: MIT
/* tensormap.c - last-writer map for AUTO dependencies (tensormap.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "libpto/error_impl.h"
#include "libpto/orch/tensormap.h"

#define TM_BUCKET_BITS		12
/* retired tasks between two bulk cleanups of a ring */
#define TM_CLEANUP_INTERVAL	64

/*
 * One "task wrote (or read) this view" record.  @bucket is the bucket it is
 * linked into (readers live in the upper half of the bucket array), or -1
 * once detached (a covering writer removed it, or it is free).
 */
struct pto_tm_entry {
	uint64_t base;
	uint64_t local;
	uint32_t ring;
	int32_t bucket;
	int32_t next_in_bucket;
	int32_t prev_in_bucket;
	int32_t next_in_task;
	uint32_t ndims;
	uint32_t dtype;
	uint32_t shapes[PTO2_MAX_DIMS];
	uint32_t raw_shapes[PTO2_MAX_DIMS];
	uint32_t offsets[PTO2_MAX_DIMS];
};

/* Bucket of buffer @base in the @kind half of the bucket array. */
static uint32_t tm_hash(const struct pto_tensormap *tm, uint64_t base, enum pto_tm_kind kind)
{
	return ((uint32_t)kind << tm->bucket_bits) |
	       (uint32_t)((base * 0x9E3779B97F4A7C15ull) >> (64 - tm->bucket_bits));
}

int pto_tm_init(struct pto_tensormap *tm, const uint32_t *window, uint32_t init_cap,
		uint32_t max_cap)
{
	memset(tm, 0, sizeof(*tm));
	if (init_cap == 0 || max_cap < init_cap || max_cap > (1u << 30))
		return pto__fail(-EINVAL, "tensormap: pool %u..%u entries", init_cap, max_cap);
	tm->bucket_bits = TM_BUCKET_BITS;
	/* writers, then readers */
	tm->buckets = malloc(2 * sizeof(*tm->buckets) << tm->bucket_bits);
	tm->entries = malloc((size_t)init_cap * sizeof(*tm->entries));
	tm->cap = init_cap;
	tm->max_cap = max_cap;
	if (!tm->buckets || !tm->entries)
		goto nomem;
	for (int r = 0; r < PTO_NUM_RINGS; r++) {
		if (window[r] == 0 || (window[r] & (window[r] - 1))) {
			pto_tm_fini(tm);
			return pto__fail(-EINVAL, "tensormap: ring %d window %u", r, window[r]);
		}
		tm->window[r] = window[r];
		tm->task_head[r] = malloc((size_t)window[r] * sizeof(int32_t));
		if (!tm->task_head[r])
			goto nomem;
	}
	pto_tm_reset(tm);
	return 0;

nomem:
	pto_tm_fini(tm);
	return pto__fail(-ENOMEM, "tensormap: cannot allocate %u entries", init_cap);
}

void pto_tm_fini(struct pto_tensormap *tm)
{
	free(tm->buckets);
	free(tm->entries);
	for (int r = 0; r < PTO_NUM_RINGS; r++)
		free(tm->task_head[r]);
	memset(tm, 0, sizeof(*tm));
}

/* Put entries [from, cap) on the free list. */
static void tm_free_range(struct pto_tensormap *tm, uint32_t from)
{
	for (uint32_t i = tm->cap; i-- > from;) {
		tm->entries[i].bucket = -1;
		tm->entries[i].next_in_bucket = tm->free_head;
		tm->free_head = (int32_t)i;
	}
}

void pto_tm_reset(struct pto_tensormap *tm)
{
	memset(tm->buckets, 0xff, 2 * sizeof(*tm->buckets) << tm->bucket_bits);
	for (int r = 0; r < PTO_NUM_RINGS; r++) {
		memset(tm->task_head[r], 0xff, (size_t)tm->window[r] * sizeof(int32_t));
		tm->alive[r] = 0;
		tm->cleaned[r] = 0;
	}
	tm->free_head = -1;
	tm->used = 0;
	tm_free_range(tm, 0);
}

static void tm_unlink(struct pto_tensormap *tm, int32_t i)
{
	struct pto_tm_entry *e = &tm->entries[i];

	if (e->bucket < 0)
		return;
	if (e->prev_in_bucket >= 0)
		tm->entries[e->prev_in_bucket].next_in_bucket = e->next_in_bucket;
	else
		tm->buckets[e->bucket] = e->next_in_bucket;
	if (e->next_in_bucket >= 0)
		tm->entries[e->next_in_bucket].prev_in_bucket = e->prev_in_bucket;
	e->bucket = -1;
}

/* Free every entry of the tasks [cleaned, upto) of @ring. */
static void tm_cleanup(struct pto_tensormap *tm, uint32_t ring, uint64_t upto)
{
	uint32_t mask = tm->window[ring] - 1;

	for (uint64_t l = tm->cleaned[ring]; l < upto; l++) {
		int32_t *head = &tm->task_head[ring][l & mask];
		int32_t i = *head;

		while (i >= 0) {
			int32_t next = tm->entries[i].next_in_task;

			tm_unlink(tm, i);
			tm->entries[i].next_in_bucket = tm->free_head;
			tm->free_head = i;
			tm->used--;
			i = next;
		}
		*head = -1;
	}
	tm->cleaned[ring] = upto;
}

/* The body of pto_tm_set_alive() (tensormap.h), once the watermark moved or @force. */
void pto__tm_advance(struct pto_tensormap *tm, uint32_t ring, uint64_t alive, int force)
{
	if (alive > tm->alive[ring])
		tm->alive[ring] = alive;
	if (force || tm->alive[ring] - tm->cleaned[ring] >= TM_CLEANUP_INTERVAL)
		tm_cleanup(tm, ring, tm->alive[ring]);
}

static uint32_t tm_free_count(const struct pto_tensormap *tm)
{
	return tm->cap - tm->used;
}

int pto_tm_reserve(struct pto_tensormap *tm, uint32_t n)
{
	uint32_t ncap;
	struct pto_tm_entry *ne;

	if (tm_free_count(tm) >= n)
		return 0;
	for (uint32_t r = 0; r < PTO_NUM_RINGS; r++)
		tm_cleanup(tm, r, tm->alive[r]);
	if (tm_free_count(tm) >= n)
		return 0;
	ncap = tm->cap;
	while (ncap - tm->used < n && ncap < tm->max_cap)
		ncap = ncap > tm->max_cap / 2 ? tm->max_cap : ncap * 2;
	if (ncap - tm->used < n)
		return pto__fail(-ENOMEM, "TensorMap pool exhausted: %u of %u entries hold live "
				 "writers and readers, %u more needed", tm->used, tm->max_cap, n);
	ne = realloc(tm->entries, (size_t)ncap * sizeof(*ne));
	if (!ne)
		return pto__fail(-ENOMEM, "TensorMap pool: cannot grow to %u entries", ncap);
	tm->entries = ne;
	{
		uint32_t old = tm->cap;

		tm->cap = ncap;
		tm_free_range(tm, old);
	}
	return 0;
}

/* Flat element offset of the first and one past the last element of a view. */
static void flat_range(const uint32_t *shapes, const uint32_t *raw, const uint32_t *offs,
		       uint32_t ndims, uint64_t *lo, uint64_t *hi)
{
	uint64_t stride = 1, first = 0, last = 0;

	for (uint32_t d = ndims; d-- > 0;) {
		first += (uint64_t)offs[d] * stride;
		last += (uint64_t)(offs[d] + shapes[d] - 1) * stride;
		stride *= raw[d];
	}
	*lo = first;
	*hi = last + 1;
}

/*
 * A view's bytes as contiguous runs in increasing address order: the
 * innermost dimension, merged with the ones outside it while those inside
 * are whole (a [2][97] view of rows 0..1 is one run).
 */
struct run_iter {
	const uint32_t *shapes, *offs;
	uint64_t stride[PTO2_MAX_DIMS];	/* bytes per step of each dimension */
	uint32_t idx[PTO2_MAX_DIMS];	/* position in the iterated dimensions */
	uint32_t outer;			/* dimensions [0, outer) are iterated */
	uint64_t base, run;		/* bytes: offset of the outer origin, run length */
	uint64_t s, e;			/* the current run */
	bool done;
};

static void run_at(struct run_iter *it)
{
	uint64_t s = it->base;

	for (uint32_t d = 0; d < it->outer; d++)
		s += (uint64_t)(it->offs[d] + it->idx[d]) * it->stride[d];
	it->s = s;
	it->e = s + it->run;
}

static void run_init(struct run_iter *it, const uint32_t *shapes, const uint32_t *raw,
		     const uint32_t *offs, uint32_t nd, uint64_t esz)
{
	uint64_t stride = esz;
	uint32_t k = nd - 1;

	for (uint32_t d = nd; d-- > 0;) {
		it->stride[d] = stride;
		stride *= raw[d];
	}
	it->run = (uint64_t)shapes[k] * it->stride[k];
	while (k > 0 && shapes[k] == raw[k]) {
		k--;
		it->run = (uint64_t)shapes[k] * it->stride[k];
	}
	it->shapes = shapes;
	it->offs = offs;
	it->outer = k;
	it->base = 0;
	for (uint32_t d = k; d < nd; d++)
		it->base += (uint64_t)offs[d] * it->stride[d];
	memset(it->idx, 0, sizeof(it->idx));
	it->done = false;
	run_at(it);
}

static void run_next(struct run_iter *it)
{
	uint32_t d = it->outer;

	while (d-- > 0) {
		if (++it->idx[d] < it->shapes[d]) {
			run_at(it);
			return;
		}
		it->idx[d] = 0;
	}
	it->done = true;
}

/*
 * How many runs two views of different geometry are walked for at most
 * before the byte spans' answer (overlap) stands: a submit must not take
 * unbounded time for an exact answer.
 */
#define RUN_WALK_MAX	4096u

/* Do two views' bytes meet?  Exact up to RUN_WALK_MAX runs, then "yes". */
static bool runs_meet(const uint32_t *ts, const uint32_t *traw, const uint32_t *toff,
		      uint32_t tnd, uint64_t tsz, const uint32_t *es, const uint32_t *eraw,
		      const uint32_t *eoff, uint32_t end, uint64_t esz)
{
	struct run_iter a, b;

	run_init(&a, ts, traw, toff, tnd, tsz);
	run_init(&b, es, eraw, eoff, end, esz);
	for (uint32_t steps = 0; !a.done && !b.done; steps++) {
		if (steps == RUN_WALK_MAX)
			return true;
		if (a.e <= b.s)
			run_next(&a);
		else if (b.e <= a.s)
			run_next(&b);
		else
			return true;
	}
	return false;
}

static enum pto_tm_overlap overlap_geom(const uint32_t *ts, const uint32_t *traw,
					const uint32_t *toff, uint32_t tnd, uint32_t tdt,
					const uint32_t *es, const uint32_t *eraw,
					const uint32_t *eoff, uint32_t end, uint32_t edt)
{
	int same = tnd == end && tdt == edt;
	uint64_t tlo, thi, elo, ehi, tsz, esz;

	for (uint32_t d = 0; same && d < tnd; d++)
		same = traw[d] == eraw[d];
	if (same) {
		int covered = 1;

		for (uint32_t d = 0; d < tnd; d++) {
			uint64_t a0 = toff[d], a1 = a0 + ts[d];
			uint64_t b0 = eoff[d], b1 = b0 + es[d];

			if (a1 <= b0 || b1 <= a0)
				return PTO_TM_DISJOINT;
			if (b0 < a0 || b1 > a1)
				covered = 0;
		}
		return covered ? PTO_TM_COVERED : PTO_TM_OVERLAP;
	}
	/*
	 * Different geometry over one buffer (a reshape): byte spans first,
	 * then the views' runs, so a false overlap neither adds an edge nor
	 * fails a hazards=check submit; never "covered".
	 */
	flat_range(ts, traw, toff, tnd, &tlo, &thi);
	flat_range(es, eraw, eoff, end, &elo, &ehi);
	tsz = PTO2_DTYPE_SIZE(tdt);
	esz = PTO2_DTYPE_SIZE(edt);
	if (thi * tsz <= elo * esz || ehi * esz <= tlo * tsz)
		return PTO_TM_DISJOINT;
	if (!runs_meet(ts, traw, toff, tnd, tsz, es, eraw, eoff, end, esz))
		return PTO_TM_DISJOINT;
	return PTO_TM_OVERLAP;
}

enum pto_tm_overlap pto_tm_overlap(const struct pto_tensor *t, const struct pto_tensor *e)
{
	return overlap_geom(t->shapes, t->raw_shapes, t->offsets, t->ndims, t->dtype,
			    e->shapes, e->raw_shapes, e->offsets, e->ndims, e->dtype);
}

uint32_t pto_tm_lookup(struct pto_tensormap *tm, const struct pto_tensor *t, enum pto_tm_kind kind,
		       int remove_covered, void (*fn)(void *ctx, int64_t producer), void *ctx)
{
	uint32_t b = tm_hash(tm, t->addr, kind), n = 0;
	int32_t i = tm->buckets[b];

	while (i >= 0) {
		struct pto_tm_entry *e = &tm->entries[i];
		int32_t next = e->next_in_bucket;
		enum pto_tm_overlap ov;

		if (e->base != t->addr || e->local < tm->alive[e->ring]) {
			i = next;
			continue;
		}
		ov = overlap_geom(t->shapes, t->raw_shapes, t->offsets, t->ndims, t->dtype,
				  e->shapes, e->raw_shapes, e->offsets, e->ndims, e->dtype);
		if (ov != PTO_TM_DISJOINT) {
			fn(ctx, pto_task_id(e->ring, e->local));
			n++;
			/* stays on its task chain; freed with it */
			if (ov == PTO_TM_COVERED && remove_covered)
				tm_unlink(tm, i);
		}
		i = next;
	}
	return n;
}

uint32_t pto_tm_prune(struct pto_tensormap *tm, const struct pto_tensor *t, enum pto_tm_kind kind,
		      bool (*is_before)(void *ctx, int64_t producer), void *ctx)
{
	int32_t i = tm->buckets[tm_hash(tm, t->addr, kind)];
	uint32_t n = 0;

	while (i >= 0) {
		struct pto_tm_entry *e = &tm->entries[i];
		int32_t next = e->next_in_bucket;

		if (e->base == t->addr && e->local >= tm->alive[e->ring] &&
		    overlap_geom(t->shapes, t->raw_shapes, t->offsets, t->ndims, t->dtype,
				 e->shapes, e->raw_shapes, e->offsets, e->ndims,
				 e->dtype) == PTO_TM_COVERED) {
			/*
			 * Newest first: past the first writer not known to be
			 * ordered before, older ones rarely are, and walking a long
			 * chain of them for nothing cost more than pruning saved.
			 */
			if (!is_before(ctx, pto_task_id(e->ring, e->local)))
				break;
			/* stays on its task chain; freed with it */
			tm_unlink(tm, i);
			n++;
		}
		i = next;
	}
	return n;
}

void pto_tm_insert(struct pto_tensormap *tm, const struct pto_tensor *t, enum pto_tm_kind kind,
		   uint32_t ring, uint64_t local)
{
	uint32_t b = tm_hash(tm, t->addr, kind);
	int32_t i, *th = &tm->task_head[ring][local & (tm->window[ring] - 1)];
	struct pto_tm_entry *e;

	/* the slot's previous tenant (retired: alive passed it) must not keep its chain */
	if (local >= tm->cleaned[ring] + tm->window[ring])
		tm_cleanup(tm, ring, tm->alive[ring]);
	i = tm->free_head;
	e = &tm->entries[i];
	tm->free_head = e->next_in_bucket;
	tm->used++;
	e->base = t->addr;
	e->local = local;
	e->ring = ring;
	e->ndims = t->ndims;
	e->dtype = t->dtype;
	memcpy(e->shapes, t->shapes, sizeof(e->shapes));
	memcpy(e->raw_shapes, t->raw_shapes, sizeof(e->raw_shapes));
	memcpy(e->offsets, t->offsets, sizeof(e->offsets));
	/* newest first, so lookups meet the latest writer (reader) first */
	e->bucket = (int32_t)b;
	e->prev_in_bucket = -1;
	e->next_in_bucket = tm->buckets[b];
	if (e->next_in_bucket >= 0)
		tm->entries[e->next_in_bucket].prev_in_bucket = i;
	tm->buckets[b] = i;
	e->next_in_task = *th;
	*th = i;
}
