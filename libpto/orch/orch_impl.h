/* SPDX-License-Identifier: MIT */
/*
 * orch_impl.h - what the orchestrator's files share.  Internal to
 * libpto/orch/; everything here runs on the orchestrator thread only.
 */
#ifndef PTO_ORCH_ORCH_IMPL_H
#define PTO_ORCH_ORCH_IMPL_H

#include "libpto/core/run.h"
#include "libpto/orch/orch.h"
#include "runtime/regs.h"

/* A misuse inside the run: fail the run and return the code. */
#define orch_fail(rt, code, ...)	pto__rt_fail((rt), (code), __VA_ARGS__)

static inline uint64_t ring_alive(struct pto_ring *r)
{
	/* pairs with the seq_cst store in pto__ring_publish() after the slot reset */
	return reg_load_acquire(&r->ctl->last_task_alive);
}

/* --- helping the device while waiting (help.c) --------------------------------- */

/*
 * One idle step of a waiting orchestrator: it ran a queued core
 * (PTO_WAIT_RAN: progress, *@spins reset), spun once (PTO_WAIT_SPUN: within
 * its spin budget, or a scheduler is running its list, or it just
 * announced a sleep on orch_wait and must look once more), or should sleep
 * now (PTO_WAIT_SLEEP: call pto__orch_sleep() or pto__orch_sleep_cancel()).
 * Each wait loop calls it after its own checks.
 */
enum pto_wait_step { PTO_WAIT_RAN, PTO_WAIT_SPUN, PTO_WAIT_SLEEP };
enum pto_wait_step pto__orch_wait_step(struct pto_runtime *rt, uint32_t *spins);

/* Sleep on orch_wait, announced by pto__orch_wait_step(), until a wake or @deadline_ns. */
void pto__orch_sleep(struct pto_runtime *rt, uint64_t deadline_ns);

/* Withdraw that announcement, if there is one (the last look found progress). */
void pto__orch_sleep_cancel(struct pto_runtime *rt);

/*
 * Bracket a wait in which the orchestrator helps (rt->orch_helps: it may be
 * woken to); the end also withdraws an announced sleep the wait left.
 */
void pto__orch_help_begin(struct pto_runtime *rt);
void pto__orch_help_end(struct pto_runtime *rt);

/* --- dependency collection (deps.c) --------------------------------------------- */

struct lookup_ctx {
	struct pto_runtime *rt;
	int err;
};

/* hazards=check: an earlier access of the region argument @arg writes. */
struct hz_ctx {
	struct pto_runtime *rt;
	uint32_t arg;
	bool waw;
	int err;
};

/* The task being submitted, for pto__ordered_before(). */
struct order_ctx {
	uint32_t ring;
	uint64_t local;
	uint64_t mask;		/* its ancestry (pto__record_ancestry()) */
};

/* -1: never submitted (this run); 0: retired; 1: alive. */
int pto__task_liveness(struct pto_runtime *rt, int64_t id);
/* Is the runtime-created buffer of task @owner still valid (its scope open, this run)? */
bool pto__owner_scope_open(struct pto_runtime *rt, int64_t owner);
/* Lookups may find entries of any ring: hide the retired ones first. */
void pto__tm_hide_retired(struct pto_runtime *rt);
/* Add @id to dep_scratch (deduplicated); -ENOMEM. */
int pto__scratch_add(struct pto_runtime *rt, int64_t id);
/* Is @id a task of the open manual scope? */
bool pto__in_open_manual(struct pto_runtime *rt, int64_t id);
/* TensorMap lookup callback: add the producer (struct lookup_ctx). */
void pto__lookup_cb(void *ctx, int64_t producer);
/* hazards=check lookup callback (struct hz_ctx). */
void pto__hz_cand_cb(void *ctx, int64_t task);
/* The ancestry mask a task (@ring, @local) with producers dep_scratch would get. */
uint64_t pto__ancestry_mask(struct pto_runtime *rt, uint32_t ring, uint64_t local);
/* Record and return @t's ancestry mask (AUTO mode). */
uint64_t pto__record_ancestry(struct pto_runtime *rt, struct pto_ring *r, const struct pto_task *t);
/* Is writer @p ordered before the task of @ctx (struct order_ctx)?  "No" is safe. */
bool pto__ordered_before(void *ctx, int64_t p);
/* Creators of open-manual-scope tensors @a uses that it holds no reference on, into @out. */
uint32_t pto__inner_creators(struct pto_runtime *rt, const struct pto_args *a, int64_t *out);
/* @t takes a reference on each of @ids[0..@n), entries from @first on. */
void pto__retain_creators(struct pto_runtime *rt, struct pto_ring *r, struct pto_task *t,
		     const int64_t *ids, uint32_t n, uint64_t first);

/* --- back-pressure (backpressure.c) ------------------------------------------------ */

/*
 * Allocate slot + heap + dependency entries in ring @r (only @deps
 * entries, into *@dep_first, when @g is NULL: pto_add_dependency()),
 * blocking while the schedulers retire work.
 */
int pto__ring_alloc(struct pto_runtime *rt, struct pto_ring *r, uint64_t heap_bytes,
	       uint32_t deps, struct pto_ring_grant *g, uint64_t *dep_first);
/*
 * Where a back-pressured orchestrator waits the ring's watermark to (tasks
 * [@la, @next) live, @open_tasks of them in open scopes, which cannot retire
 * while it waits): an eighth of the live retired, but no more than the
 * others, and at least one on.  Pure.
 */
uint64_t pto__refill_mark(uint64_t next, uint64_t la, uint32_t open_tasks);

/* --- scopes (scope.c) ---------------------------------------------------------------- */

/* Add @t to the open scopes' task list. */
int pto__scope_push_task(struct pto_runtime *rt, struct pto_task *t);

#endif /* PTO_ORCH_ORCH_IMPL_H */
