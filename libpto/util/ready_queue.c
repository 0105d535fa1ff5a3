// SPDX-License-Identifier: MIT
/*
 * ready_queue.c - bounded lock-free MPMC queue (Vyukov's per-slot sequence).
 *
 * Cell i of lap L is free for the producer of position p = L * cap + i when
 * its sequence equals p, and holds an item for the consumer of p when it
 * equals p + 1.  The consumer hands it to the next lap by storing p + cap.
 * Positions are 64-bit and never wrap in practice.  A producer or consumer
 * claims positions with a CAS on enqueue_pos / dequeue_pos; the claim itself
 * orders nothing (relaxed): every hand-over of an item or a cell goes
 * through the cell's sequence (release store / acquire load).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "libpto/error_impl.h"
#include "libpto/util/ready_queue.h"

struct pto_rq_cell {
	uint64_t seq;
	void *item;
};

/* Largest capacity: positions and cell offsets stay far from overflow. */
#define RQ_MAX_CAPACITY		(UINT64_C(1) << 32)

int pto_rq_init(struct pto_ready_queue *q, uint64_t capacity)
{
	struct pto_rq_cell *cells;
	void *mem;
	uint64_t i;

	if (!q)
		return pto__fail(-EINVAL, "ready queue: NULL queue");
	q->cells = NULL;
	q->mask = 0;
	q->enqueue_pos = 0;
	q->dequeue_pos = 0;
	if (capacity < 2 || (capacity & (capacity - 1)))
		return pto__fail(-EINVAL, "ready queue: capacity %llu is not a power of two >= 2",
				 (unsigned long long)capacity);
	if (capacity > RQ_MAX_CAPACITY)
		return pto__fail(-EINVAL, "ready queue: capacity %llu exceeds %llu",
				 (unsigned long long)capacity,
				 (unsigned long long)RQ_MAX_CAPACITY);
	if (posix_memalign(&mem, 64, capacity * sizeof(*cells)))
		return pto__fail(-ENOMEM, "ready queue: cannot allocate %llu cells",
				 (unsigned long long)capacity);
	cells = mem;
	for (i = 0; i < capacity; i++) {
		cells[i].seq = i;
		cells[i].item = NULL;
	}
	q->cells = cells;
	q->mask = capacity - 1;
	/* Publishing the queue to other threads is the caller's job (thread start). */
	return 0;
}

void pto_rq_fini(struct pto_ready_queue *q)
{
	if (!q)
		return;
	free(q->cells);
	q->cells = NULL;
	q->mask = 0;
}

static inline int64_t seq_diff(uint64_t seq, uint64_t want)
{
	return (int64_t)(seq - want);
}

bool pto_rq_push(struct pto_ready_queue *q, void *item)
{
	struct pto_rq_cell *cell;
	uint64_t pos, seq;
	int64_t dif;

	if (!item) {
		pto__fail(-EINVAL, "ready queue: NULL item pushed");
		return false;
	}
	pos = __atomic_load_n(&q->enqueue_pos, __ATOMIC_RELAXED);
	for (;;) {
		cell = &q->cells[pos & q->mask];
		/* Acquire: pairs with the consumer's release of this cell (pop),
		 * so its read of the old item happens before our write below. */
		seq = __atomic_load_n(&cell->seq, __ATOMIC_ACQUIRE);
		dif = seq_diff(seq, pos);
		if (dif == 0) {
			if (__atomic_compare_exchange_n(&q->enqueue_pos, &pos, pos + 1, true,
							__ATOMIC_RELAXED, __ATOMIC_RELAXED))
				break;
		} else if (dif < 0) {
			return false;	/* the cell still holds last lap's item: full */
		} else {
			pos = __atomic_load_n(&q->enqueue_pos, __ATOMIC_RELAXED);
		}
	}
	cell->item = item;
	/* Release: pairs with the consumer's acquire of seq in pop. */
	__atomic_store_n(&cell->seq, pos + 1, __ATOMIC_RELEASE);
	return true;
}

void *pto_rq_pop(struct pto_ready_queue *q)
{
	struct pto_rq_cell *cell;
	uint64_t pos, seq;
	int64_t dif;
	void *item;

	pos = __atomic_load_n(&q->dequeue_pos, __ATOMIC_RELAXED);
	for (;;) {
		cell = &q->cells[pos & q->mask];
		/* Acquire: pairs with the producer's release of seq (push),
		 * so the item it wrote is visible once we own the cell. */
		seq = __atomic_load_n(&cell->seq, __ATOMIC_ACQUIRE);
		dif = seq_diff(seq, pos + 1);
		if (dif == 0) {
			if (__atomic_compare_exchange_n(&q->dequeue_pos, &pos, pos + 1, true,
							__ATOMIC_RELAXED, __ATOMIC_RELAXED))
				break;
		} else if (dif < 0) {
			return NULL;	/* not published yet: empty */
		} else {
			pos = __atomic_load_n(&q->dequeue_pos, __ATOMIC_RELAXED);
		}
	}
	item = cell->item;
	/* Release: pairs with the producer's acquire of seq in push
	 * (our read of item happens before the next lap's write). */
	__atomic_store_n(&cell->seq, pos + q->mask + 1, __ATOMIC_RELEASE);
	return item;
}

uint64_t pto_rq_size(const struct pto_ready_queue *q)
{
	/* Dequeue first: both only grow, so a later enqueue read is normally >= it.
	 * Unsynchronised reads may still see an older enqueue_pos: clamp. */
	uint64_t deq = __atomic_load_n(&q->dequeue_pos, __ATOMIC_ACQUIRE);
	uint64_t enq = __atomic_load_n(&q->enqueue_pos, __ATOMIC_ACQUIRE);

	if (enq <= deq)
		return 0;
	if (enq - deq > q->mask + 1)
		return q->mask + 1;
	return enq - deq;
}
