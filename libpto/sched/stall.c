// SPDX-License-Identifier: MIT
/*
 * stall.c - the drain backstop.  Once the orchestration function returned,
 * nothing new can arrive: a run in which no task completes for
 * stall_timeout_ms while no core has a dispatch in flight can never finish
 * (a dependency cycle, or a fanin nothing will satisfy).  Scheduler 0
 * watches for it and fails the run with PTO_E_RUN_STALL naming what is
 * stuck.  A dispatch in flight is the hang check's business
 * (core_timeout_ms), so a long kernel is never called a stall and a hung
 * core is still reported as PTO_E_CORE_HANG.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "libpto/core/run.h"
#include "libpto/sched/stall.h"
#include "runtime/regs.h"

/* Stuck tasks named in the message, and producers named per task. */
#define STALL_TASKS		3
#define STALL_PRODUCERS		3

struct msg_buf {
	char s[PTO_ERRMSG_MAX];
	size_t n;
};

__attribute__((format(printf, 2, 3)))
static void put(struct msg_buf *m, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (m->n >= sizeof(m->s))
		return;
	va_start(ap, fmt);
	k = vsnprintf(m->s + m->n, sizeof(m->s) - m->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		m->n += (size_t)k;
}

static int32_t first_kernel(const struct pto_task *t)
{
	return t->kernel[0] >= 0 ? t->kernel[0] : t->kernel[1] >= 0 ? t->kernel[1] : t->kernel[2];
}

static bool pending(const struct pto_task *t)
{
	return __atomic_load_n(&t->state, __ATOMIC_ACQUIRE) == PTO_TASK_PENDING;
}

/* ", waits on <id>, <id> (+k more)": the producers of @t that have not completed. */
static void put_producers(struct pto_runtime *rt, struct msg_buf *m, const struct pto_task *t)
{
	uint32_t named = 0, more = 0;

	for (uint32_t i = 0; i < t->num_fanin; i++) {
		struct pto_task *p = pto__task_slot(rt, t->fanin[i]);

		if (!p || p->id != t->fanin[i] || !pending(p))
			continue;
		if (named < STALL_PRODUCERS)
			put(m, "%s%" PRId64, named ? ", " : " waits on ", p->id);
		else
			more++;
		named++;
	}
	for (const struct pto_dep_node *n = t->extra_fanin; n; n = n->next) {
		if (!pending(n->consumer))
			continue;
		if (named < STALL_PRODUCERS)
			put(m, "%s%" PRId64, named ? ", " : " waits on ", n->consumer->id);
		else
			more++;
		named++;
	}
	if (more)
		put(m, " (+%u more)", more);
	if (!named)
		put(m, " waits on no unfinished producer");
}

static void stall_fail(struct pto_runtime *rt)
{
	struct msg_buf m = { .n = 0 };
	uint64_t done = __atomic_load_n(&rt->completed, __ATOMIC_ACQUIRE);
	uint64_t ready = 0;
	uint32_t shown = 0;

	for (int sh = 0; sh < PTO_NUM_SHAPES; sh++)
		ready += pto_rq_size(&rt->ready[sh]);
	put(&m, "run stalled: no task completed for %u ms after the orchestration function "
	    "returned, none running, %" PRIu64 " ready; %" PRIu64 " of %" PRIu64 " tasks "
	    "unfinished;", rt->cfg.stall_timeout_ms, ready,
	    __atomic_load_n(&rt->submitted, __ATOMIC_RELAXED) - done,
	    __atomic_load_n(&rt->submitted, __ATOMIC_RELAXED));
	for (uint32_t r = 0; r < PTO_NUM_RINGS; r++) {
		struct pto_ring *ring = &rt->rings[r];
		/* pairs with the advancer's release store / the orchestrator's */
		uint64_t la = reg_load_acquire(&ring->ctl->last_task_alive);
		uint64_t cur = reg_load_acquire(&ring->ctl->current_task_index);

		if (cur != la)
			put(&m, " ring %u %" PRIu64 "/%u slots live;", r, cur - la,
			    ring->alloc.window);
	}
	for (uint32_t r = 0; r < PTO_NUM_RINGS && shown < STALL_TASKS; r++) {
		struct pto_ring *ring = &rt->rings[r];
		uint64_t la = reg_load_acquire(&ring->ctl->last_task_alive);
		uint64_t cur = reg_load_acquire(&ring->ctl->current_task_index);

		for (uint64_t l = la; l < cur && shown < STALL_TASKS; l++) {
			struct pto_task *t = &ring->slots[l & ring->alloc.mask];

			if (t->local != l || !pending(t))
				continue;
			put(&m, " task %" PRId64 " ('%s', fanin %u/%u)", t->id,
			    pto__kernel_name(rt, first_kernel(t)),
			    __atomic_load_n(&t->fanin_refcount, __ATOMIC_RELAXED),
			    __atomic_load_n(&t->fanin_count, __ATOMIC_RELAXED));
			put_producers(rt, &m, t);
			put(&m, ";");
			shown++;
		}
	}
	if (m.n >= sizeof(m.s))
		m.s[sizeof(m.s) - 2] = '~';	/* truncated */
	else if (m.n && m.s[m.n - 1] == ';')
		m.s[m.n - 1] = '\0';
	pto__rt_fail(rt, PTO_E_RUN_STALL, "%s", m.s);
}

bool pto__drain_check(struct pto_runtime *rt, struct pto_drain_watch *w, uint64_t now,
		      bool inflight)
{
	/* acquire: pairs with the orchestrator's release store of orch_done */
	uint64_t done;

	if (!__atomic_load_n(&rt->orch_done, __ATOMIC_ACQUIRE))
		return false;
	/* acquire: pairs with the seq_cst increment in task_complete() */
	done = __atomic_load_n(&rt->completed, __ATOMIC_ACQUIRE);
	/*
	 * Progress: a completion, a dispatch in flight (the hang check bounds
	 * it), or a wiring thread still linking what was handed over (it may
	 * yet make tasks ready; and the producer lists are its until then).
	 */
	if (!w->armed || done != w->completed || inflight || !pto__wiring_caught_up(rt)) {
		w->armed = true;
		w->completed = done;
		w->since_ns = now;
		return false;
	}
	if (now - w->since_ns <= (uint64_t)rt->cfg.stall_timeout_ms * 1000000ull)
		return false;
	stall_fail(rt);
	return true;
}
