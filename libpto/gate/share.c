// SPDX-License-Identifier: MIT
/*
 * share.c - dividing one CPU allowlist between the live runtimes of a
 * process (docs/scale-out.md, "Dividing the CPUs").
 *
 * A registry of live runtimes (created, not destroyed), under one mutex:
 * each member keeps the inputs its plan was made from, so the plan can be
 * made again when the group of runtimes sharing its allowlist changes.
 * Members whose usable lists are equal form a group, ordered by creation
 * (serial); member i of k gets share i (pto_gate_divide()).  A plan is
 * written only by its own runtime's thread (create, then each pto_run()
 * before any of its threads starts); the registry never touches roles.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libpto/error_impl.h"
#include "libpto/gate/affinity.h"

/**
 * struct pto_gate_member - one live runtime.
 * @next: list link (registry order = creation order).
 * @serial: creation number.
 * @cpus, @num_cpus, @mask, @num_mask: the inputs of its plan (copies).
 * @list, @num_list: its usable list: the group key.
 * @want, @wiring, @max_sched: the rest of the inputs.
 * @fixed_sched: the scheduler count settled at creation (0 until then).
 * @owner: what it runs on (its device), or NULL: runtimes of one owner
 *	never run at once, so they take one share between them.
 */
struct pto_gate_member {
	struct pto_gate_member *next;
	uint64_t serial;
	const void *owner;
	int32_t *cpus, *mask, *list;
	uint32_t num_cpus, num_mask, num_list;
	uint32_t want, wiring, max_sched;
	uint32_t fixed_sched;
};

static void pto_gate_leave_member(struct pto_gate_member *m);

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pto_gate_member *reg_head;	/* under reg_lock */
static uint64_t reg_serial;			/* under reg_lock */
static uint64_t reg_gen = 1;			/* under reg_lock: bumped per join/leave */

int pto_gate_divide(const int32_t *list, uint32_t n, uint32_t parts, uint32_t part,
		    int32_t *share)
{
	uint32_t lo, hi;

	if (!list || !share || n == 0 || parts == 0 || part >= parts)
		return pto__fail(-EINVAL, "affinity gate: share %u of %u of %u CPUs", part, parts,
				 n);
	if (parts > n) {
		share[0] = list[part % n];
		return 1;
	}
	lo = (uint32_t)((uint64_t)part * n / parts);
	hi = (uint32_t)((uint64_t)(part + 1) * n / parts);
	memcpy(share, list + lo, (hi - lo) * sizeof(*share));
	return (int)(hi - lo);
}

static bool same_list(const struct pto_gate_member *a, const struct pto_gate_member *b)
{
	return a->num_list == b->num_list &&
	       !memcmp(a->list, b->list, a->num_list * sizeof(*a->list));
}

/*
 * The first member (lowest serial) of @m's group with @m's owner: the one
 * whose place the owner's runtimes share.  Caller holds reg_lock.
 */
static const struct pto_gate_member *owner_first(const struct pto_gate_member *m)
{
	const struct pto_gate_member *first = m;

	if (!m->owner)
		return m;
	for (const struct pto_gate_member *o = reg_head; o; o = o->next)
		if (o->owner == m->owner && same_list(o, m) && o->serial < first->serial)
			first = o;
	return first;
}

/*
 * @m's place in its group: *part of *parts, one part per owner (the
 * runtimes of one device share a part: they cannot run at once, and
 * halving the CPUs of each would leave half of them idle in every run).
 * Caller holds reg_lock.
 */
static void group_place(const struct pto_gate_member *m, uint32_t *part, uint32_t *parts)
{
	const struct pto_gate_member *mine = owner_first(m);

	*part = 0;
	*parts = 0;
	for (const struct pto_gate_member *o = reg_head; o; o = o->next) {
		if (!same_list(o, m) || owner_first(o) != o)
			continue;
		(*parts)++;
		if (o->serial < mine->serial)
			(*part)++;
	}
}

static void describe_cpus(char *buf, size_t len, const int32_t *cpus, uint32_t n)
{
	size_t off = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%d", i ? "," : "", cpus[i]);
}

/*
 * Lay @plan out for member @m as share @part of @parts with @want
 * schedulers (0 = derived), capped at m->max_sched.
 */
static int layout(struct pto_gate_plan *plan, const struct pto_gate_member *m, uint32_t part,
		  uint32_t parts, uint32_t want)
{
	int32_t share[CPU_SETSIZE];
	char cpus[64];
	uint32_t planned;
	int ret, ns = 0;

	if (parts <= 1) {
		ret = pto_gate_plan(m->cpus, m->num_cpus, m->mask, m->num_mask, want, m->wiring,
				    plan);
	} else {
		ns = pto_gate_divide(m->list, m->num_list, parts, part, share);
		if (ns < 0)
			return ns;
		ret = pto_gate_plan_share(share, (uint32_t)ns, want, m->wiring, plan);
	}
	if (ret)
		return ret;
	planned = plan->num_schedulers;
	if (m->max_sched && planned > m->max_sched) {
		/*
		 * A scheduler owns whole clusters: more threads than clusters would
		 * idle forever.  Plan again for that many, so the printed layout
		 * and its warnings describe the threads that really run.
		 */
		ret = parts <= 1 ?
		      pto_gate_plan(m->cpus, m->num_cpus, m->mask, m->num_mask, m->max_sched,
				    m->wiring, plan) :
		      pto_gate_plan_share(share, (uint32_t)ns, m->max_sched, m->wiring, plan);
		if (ret)
			return ret;
		pto_gate_warn(plan, "%u schedulers capped to the device's %u clusters", planned,
			      m->max_sched);
	}
	plan->part = part;
	plan->parts = parts;
	plan->share_desc[0] = '\0';
	if (parts > 1) {
		describe_cpus(cpus, sizeof(cpus), share, (uint32_t)ns);
		snprintf(plan->share_desc, sizeof(plan->share_desc),
			 "runtime %u of %u sharing %u CPU(s): cpus %s", part + 1, parts,
			 m->num_list, cpus);
	}
	return 0;
}

static void member_free(struct pto_gate_member *m)
{
	if (!m)
		return;
	free(m->cpus);
	free(m->mask);
	free(m->list);
	free(m);
}

static int32_t *copy_cpus(const int32_t *src, uint32_t n)
{
	int32_t *p = malloc((n ? n : 1) * sizeof(*p));

	if (p && n)
		memcpy(p, src, n * sizeof(*p));
	return p;
}

int pto_gate_plan_live(struct pto_gate_plan *plan, const void *owner, const int32_t *cpus,
		       uint32_t num_cpus, const int32_t *mask_cpus, uint32_t num_mask,
		       uint32_t want_schedulers, uint32_t wiring, uint32_t max_schedulers)
{
	struct pto_gate_member *m;
	uint32_t part, parts;
	uint64_t gen;
	int ret;

	if (!plan)
		return pto__fail(-EINVAL, "affinity gate: NULL plan");
	m = calloc(1, sizeof(*m));
	if (!m)
		return pto__fail(-ENOMEM, "affinity gate: out of memory");
	/* validates the arrays (and the plan's own checks run in layout()) */
	m->list = malloc(CPU_SETSIZE * sizeof(*m->list));
	m->cpus = copy_cpus(cpus, num_cpus);
	m->mask = copy_cpus(mask_cpus, num_mask);
	if (!m->list || !m->cpus || !m->mask) {
		member_free(m);
		return pto__fail(-ENOMEM, "affinity gate: out of memory");
	}
	ret = pto_gate_usable(cpus, num_cpus, mask_cpus, num_mask, m->list, plan);
	if (ret < 0) {
		member_free(m);
		return ret;
	}
	m->num_list = (uint32_t)ret;
	m->num_cpus = num_cpus;
	m->num_mask = num_mask;
	m->want = want_schedulers;
	m->wiring = wiring;
	m->max_sched = max_schedulers;
	m->owner = owner;

	pthread_mutex_lock(&reg_lock);
	m->serial = ++reg_serial;
	m->next = NULL;
	{
		struct pto_gate_member **pp = &reg_head;

		while (*pp)
			pp = &(*pp)->next;
		*pp = m;
	}
	gen = ++reg_gen;
	group_place(m, &part, &parts);
	pthread_mutex_unlock(&reg_lock);

	/* an empty usable list cannot be divided: plan it alone (it runs unpinned) */
	if (m->num_list == 0)
		parts = 1;
	ret = layout(plan, m, part, parts, want_schedulers);
	if (ret) {
		pto_gate_leave_member(m);
		return ret;
	}
	m->fixed_sched = plan->num_schedulers;
	plan->member = m;
	plan->gen = gen;
	return 0;
}

/* Unlink and free @m. */
static void pto_gate_leave_member(struct pto_gate_member *m)
{
	struct pto_gate_member **pp;

	pthread_mutex_lock(&reg_lock);
	for (pp = &reg_head; *pp; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			reg_gen++;
			break;
		}
	}
	pthread_mutex_unlock(&reg_lock);
	member_free(m);
}

static bool same_roles(const struct pto_gate_plan *a, const struct pto_gate_plan *b)
{
	return a->num_schedulers == b->num_schedulers && a->orch_cpu == b->orch_cpu &&
	       a->wiring_cpu == b->wiring_cpu &&
	       !memcmp(a->sched_cpu, b->sched_cpu, a->num_schedulers * sizeof(a->sched_cpu[0]));
}

int pto_gate_refresh(struct pto_gate_plan *plan, int quiet)
{
	struct pto_gate_member *m = plan ? plan->member : NULL;
	struct pto_gate_plan *next;
	uint32_t part, parts;
	uint64_t gen;
	int ret;

	if (!m)
		return 0;
	pthread_mutex_lock(&reg_lock);
	gen = reg_gen;
	if (gen == plan->gen) {
		pthread_mutex_unlock(&reg_lock);
		return 0;	/* nobody joined or left: the plan stays exactly as made */
	}
	group_place(m, &part, &parts);
	pthread_mutex_unlock(&reg_lock);
	if (m->num_list == 0)
		parts = 1;
	plan->gen = gen;
	if (parts == plan->parts && part == plan->part)
		return 0;	/* same share: same layout */
	next = malloc(sizeof(*next));
	if (!next)
		return 0;	/* keep the old layout: still pinned, still valid */
	*next = *plan;
	/* the count is fixed (the schedulers' state is sized for it) */
	ret = layout(next, m, part, parts, m->want);
	if (!ret && next->num_schedulers != m->fixed_sched) {
		ret = layout(next, m, part, parts, m->fixed_sched);
		if (!ret)
			pto_gate_warn(next, "%u schedulers kept from creation", m->fixed_sched);
	}
	if (ret || next->num_schedulers != m->fixed_sched) {
		free(next);
		return 0;
	}
	next->member = m;
	next->gen = gen;
	ret = !same_roles(plan, next);
	*plan = *next;
	free(next);
	if (ret && !quiet)
		pto_gate_print(plan);
	return 1;
}

void pto_gate_leave(struct pto_gate_plan *plan)
{
	if (!plan || !plan->member)
		return;
	pto_gate_leave_member(plan->member);
	plan->member = NULL;
}

uint32_t pto_gate_live_count(void)
{
	uint32_t n = 0;

	pthread_mutex_lock(&reg_lock);
	for (const struct pto_gate_member *m = reg_head; m; m = m->next)
		n++;
	pthread_mutex_unlock(&reg_lock);
	return n;
}
