/* SPDX-License-Identifier: MIT */
/*
 * affinity.h - the CPU-affinity gate: one CPU allowlist -> thread roles.
 * Internal.
 *
 * Roles by position in the allowlist: the last CPU runs the orchestrator,
 * the one before it the wiring thread (when enabled), the rest run
 * schedulers, in order (scheduler i on the i-th CPU).  The list is
 * validated against the process's affinity mask: duplicates are dropped,
 * CPUs outside the mask are dropped with a warning; when fewer CPUs remain
 * than roles, the roles without a CPU run unpinned (warning), so every role
 * always exists.  Indices are deterministic.
 */
#ifndef PTO_GATE_AFFINITY_H
#define PTO_GATE_AFFINITY_H

#include <stdint.h>
#include <pthread.h>
#include <stdio.h>

#define PTO_GATE_MAX_THREADS	64
#define PTO_GATE_UNPINNED	(-1)

enum pto_gate_role {
	PTO_ROLE_SCHEDULER = 0,
	PTO_ROLE_WIRING = 1,
	PTO_ROLE_ORCHESTRATOR = 2,
};

/**
 * struct pto_gate_plan - the layout.
 * @num_cpus: usable CPUs the layout had (this runtime's share, if divided);
 *	more than the run's threads means CPUs to spare for core workers.
 * @num_schedulers: scheduler threads (>= 1).
 * @wiring: 1 if a wiring thread exists.
 * @sched_cpu: CPU of scheduler i, or %PTO_GATE_UNPINNED.
 * @wiring_cpu: CPU of the wiring thread, or %PTO_GATE_UNPINNED.
 * @orch_cpu: CPU of the orchestrator, or %PTO_GATE_UNPINNED.
 * @warnings: human-readable warnings ("" if none), '\n'-separated.
 * @part, @parts: this runtime's share of a divided allowlist (share.c);
 *	@parts <= 1: not divided, the plan is pto_gate_plan()'s.
 * @share_desc: "runtime 2 of 2 sharing CPUs 0-1: cpus 1", printed first
 *	when @parts > 1.
 * @member: the live-runtime registry's entry (NULL for a plain plan).
 * @gen: registry generation the layout was made for.
 */
struct pto_gate_member;

struct pto_gate_plan {
	uint32_t num_cpus;
	uint32_t num_schedulers;
	uint32_t wiring;
	int32_t sched_cpu[PTO_GATE_MAX_THREADS];
	int32_t wiring_cpu;
	int32_t orch_cpu;
	char warnings[512];
	uint32_t part;
	uint32_t parts;
	char share_desc[160];
	struct pto_gate_member *member;
	uint64_t gen;
};

/**
 * pto_gate_parse_cpus() - parse "0,2,4-7" into @cpus (order kept).
 * Return: number of CPUs, or -EINVAL (message via pto__fail) for syntax
 * errors, CPUs >= CPU_SETSIZE, or more than @max entries.
 */
int pto_gate_parse_cpus(const char *list, int32_t *cpus, uint32_t max);

/**
 * pto_gate_plan() - decide the layout.
 * @cpus, @num_cpus: the allowlist (may be empty: then the process mask, in
 *	ascending order, is the list).
 * @mask_cpus, @num_mask: CPUs of the process affinity mask (the caller
 *	passes sched_getaffinity's set; tests pass their own).
 * @want_schedulers: requested scheduler count, 0 = as many as CPUs remain
 *	after the orchestrator and wiring roles (at least 1).
 * @wiring: 1 to have a wiring thread.
 * @plan: filled in.
 * Return: 0 or -EINVAL (want_schedulers > PTO_GATE_MAX_THREADS, ...).
 */
int pto_gate_plan(const int32_t *cpus, uint32_t num_cpus, const int32_t *mask_cpus,
		  uint32_t num_mask, uint32_t want_schedulers, uint32_t wiring,
		  struct pto_gate_plan *plan);

/*
 * pto_gate_usable() - the usable allowlist: @cpus (or, when empty, the
 * mask ascending) without duplicates and CPUs outside the mask (each one
 * dropped with a warning appended to @plan).  @list holds CPU_SETSIZE.
 * Return: the count, or -EINVAL for CPU numbers out of range.
 */
int pto_gate_usable(const int32_t *cpus, uint32_t num_cpus, const int32_t *mask_cpus,
		    uint32_t num_mask, int32_t *list, struct pto_gate_plan *plan);

/*
 * pto_gate_plan_share() - roles inside one runtime's share of a divided
 * allowlist: the positions of pto_gate_plan() (orchestrator last, wiring
 * before it, schedulers first), but a role without a CPU of its own is
 * pinned to one of the share's CPUs (schedulers round-robin), never left
 * unpinned, so no thread leaves the share.  @want_schedulers 0 = one per
 * CPU left after the orchestrator and wiring roles, at least 1.
 * Return: 0, -EINVAL for an empty share or bad arguments.
 */
int pto_gate_plan_share(const int32_t *share, uint32_t m, uint32_t want_schedulers,
			uint32_t wiring, struct pto_gate_plan *plan);

/*
 * pto_gate_divide() - share @part (0-based) of @parts of the usable list
 * @list[0..@n): the contiguous slice [part*n/parts, (part+1)*n/parts) when
 * @parts <= @n, else the one CPU list[part % n].  Writes it to @share.
 * Return: its size (>= 1), or -EINVAL (n or parts 0, part >= parts).
 */
int pto_gate_divide(const int32_t *list, uint32_t n, uint32_t parts, uint32_t part,
		    int32_t *share);

/*
 * The live-runtime registry (share.c): runtimes whose usable allowlists are
 * equal divide it, in creation order, one share per @owner (docs/scale-out.md
 * states the rule).
 *
 * pto_gate_plan_live() - join the registry and plan: as pto_gate_plan()
 * with @want_schedulers, capped at @max_schedulers (the device's clusters,
 * with a warning), while no runtime of another owner shares the allowlist;
 * else pto_gate_plan_share() on this owner's share.  @owner: the device (the
 * runtimes of one device never run at once, so they share one share), or
 * NULL for a runtime of its own.  The scheduler count it settles on is kept
 * by every later pto_gate_refresh().
 * Return: 0 or -EINVAL/-ENOMEM (the plan is then not registered).
 */
int pto_gate_plan_live(struct pto_gate_plan *plan, const void *owner, const int32_t *cpus,
		       uint32_t num_cpus, const int32_t *mask_cpus, uint32_t num_mask,
		       uint32_t want_schedulers, uint32_t wiring, uint32_t max_schedulers);

/*
 * pto_gate_refresh() - before a run: when runtimes joined or left since
 * @plan was made, lay it out again on its current share (same scheduler
 * count); otherwise leave it exactly as it is.  Prints the new layout
 * unless @quiet when it changed.  Return: 1 if re-planned, 0 if not.
 */
int pto_gate_refresh(struct pto_gate_plan *plan, int quiet);

/* pto_gate_leave() - leave the registry (runtime destroyed); NULL or unregistered: no-op. */
void pto_gate_leave(struct pto_gate_plan *plan);

/* Live runtimes in the registry (tests). */
uint32_t pto_gate_live_count(void);

/* Append a warning line to @plan (printed with the layout; bounded, "..." when full). */
__attribute__((format(printf, 2, 3)))
void pto_gate_warn(struct pto_gate_plan *plan, const char *fmt, ...);

/* Print the layout (and warnings) to stderr, one line per role. */
void pto_gate_print(const struct pto_gate_plan *plan);
/* The same, to @f. */
void pto_gate_fprint(FILE *f, const struct pto_gate_plan *plan);

/*
 * pto_gate_affinity_cpus() - the calling thread's affinity mask as a list,
 * ascending (the @mask_cpus of pto_gate_plan()).
 * Return: number of CPUs, -EINVAL if more than @max, or -errno.
 */
int pto_gate_affinity_cpus(int32_t *cpus, uint32_t max);

/* Pin the calling thread to @cpu (no-op for PTO_GATE_UNPINNED).  Return 0 or -errno. */
int pto_gate_pin_self(int32_t cpu);

/*
 * pto_gate_thread_create() - pthread_create() of a thread that starts on
 * @cpu (any CPU for PTO_GATE_UNPINNED), so it never waits for a CPU it is
 * about to leave.  Falls back to an unpinned start if the affinity cannot
 * be applied, as pto_gate_pin_self() in the thread would have failed too.
 * Return: pthread_create()'s code.
 */
int pto_gate_thread_create(pthread_t *thread, int32_t cpu, void *(*fn)(void *), void *arg);

#endif /* PTO_GATE_AFFINITY_H */
