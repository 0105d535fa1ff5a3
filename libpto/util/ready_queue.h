/* SPDX-License-Identifier: MIT */
/*
 * ready_queue.h - bounded lock-free MPMC queue of ready tasks (Vyukov's
 * per-slot sequence design).  One queue per resource shape (AIC, AIV, MIX).
 * Internal.
 *
 * Capacity is sized by the caller from the constants that bound producers
 * (all task windows together), so a push that fails is a bug the caller
 * reports, never a silent drop.
 */
#ifndef PTO_READY_QUEUE_H
#define PTO_READY_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

struct pto_rq_cell;

struct pto_ready_queue {
	struct pto_rq_cell *cells;
	uint64_t mask;
	/* producers and consumers each own a cache line */
	_Alignas(64) uint64_t enqueue_pos;
	_Alignas(64) uint64_t dequeue_pos;
	_Alignas(64) char pad;
};

/* @capacity: power of two >= 2.  Return: 0, -EINVAL, -ENOMEM. */
int pto_rq_init(struct pto_ready_queue *q, uint64_t capacity);
void pto_rq_fini(struct pto_ready_queue *q);
/* Return: false when full (caller reports it). @item must not be NULL. */
bool pto_rq_push(struct pto_ready_queue *q, void *item);
/* Return: an item or NULL when empty. */
void *pto_rq_pop(struct pto_ready_queue *q);
/* Approximate number of queued items (racy; for idle checks and stats). */
uint64_t pto_rq_size(const struct pto_ready_queue *q);

#endif /* PTO_READY_QUEUE_H */
