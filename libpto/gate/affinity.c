// SPDX-License-Identifier: MIT
/*
 * affinity.c - the CPU-affinity gate: parse a CPU allowlist, turn it into
 * a layout of thread roles, print it, pin threads.
 *
 * The plan is computed once, up front, by one thread from explicit inputs
 * (no barrier among the threads it describes), so every thread's role and
 * CPU are known before any starts.  All array writes are bounded by
 * CPU_SETSIZE (unique CPUs) or PTO_GATE_MAX_THREADS (scheduler slots).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "libpto/error_impl.h"
#include "libpto/gate/affinity.h"

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *skip_space(const char *p, const char *end)
{
	while (p < end && is_space(*p))
		p++;
	return p;
}

/*
 * Parse a decimal CPU number at *pp (digits only, no sign).  Values are
 * clamped at CPU_SETSIZE so no input can overflow.  Return: 0 or -1.
 */
static int parse_cpu_number(const char **pp, const char *end, long *out)
{
	const char *p = *pp;
	long v = 0;

	if (p >= end || *p < '0' || *p > '9')
		return -1;
	while (p < end && *p >= '0' && *p <= '9') {
		v = v * 10 + (*p - '0');
		if (v > CPU_SETSIZE)
			v = CPU_SETSIZE;
		p++;
	}
	*pp = p;
	*out = v;
	return 0;
}

int pto_gate_parse_cpus(const char *list, int32_t *cpus, uint32_t max)
{
	const char *p, *item, *end, *q;
	long first, last, c;
	uint32_t n = 0;
	int len;

	if (!list)
		return pto__fail(-EINVAL, "CPU list: NULL string");
	if (max && !cpus)
		return pto__fail(-EINVAL, "CPU list: NULL output array for %u entries", max);
	if (max > INT_MAX)
		max = INT_MAX;	/* the count is returned as an int */
	p = list;
	if (*skip_space(p, p + strlen(p)) == '\0')
		return 0;	/* an empty list: no CPUs named */

	for (;;) {
		end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		item = skip_space(p, end);
		len = (int)(end - item);
		while (len > 0 && is_space(item[len - 1]))
			len--;
		if (len == 0)
			return pto__fail(-EINVAL, "CPU list: empty item at offset %d (in \"%s\")",
					 (int)(p - list), list);
		q = item;
		if (parse_cpu_number(&q, item + len, &first))
			goto bad_item;
		last = first;
		q = skip_space(q, item + len);
		if (q < item + len && *q == '-') {
			q = skip_space(q + 1, item + len);
			if (parse_cpu_number(&q, item + len, &last))
				goto bad_item;
		}
		if (q != item + len)
			goto bad_item;
		if (first >= CPU_SETSIZE || last >= CPU_SETSIZE)
			return pto__fail(-EINVAL, "CPU list: \"%.*s\" names a CPU >= %d (in \"%s\")",
					 len, item, CPU_SETSIZE, list);
		if (last < first)
			return pto__fail(-EINVAL, "CPU list: reversed range \"%.*s\" (in \"%s\")",
					 len, item, list);
		for (c = first; c <= last; c++) {
			if (n >= max)
				return pto__fail(-EINVAL, "CPU list: more than %u CPUs (at \"%.*s\" in \"%s\")",
						 max, len, item, list);
			cpus[n++] = (int32_t)c;
		}
		if (*end == '\0')
			break;
		p = end + 1;
	}
	return (int)n;

bad_item:
	return pto__fail(-EINVAL, "CPU list: \"%.*s\" is not a CPU or CPU range (in \"%s\")",
			 len, item, list);
}

#define TRUNC_MARK	"...\n"

/* Append one warning line; keep room for the truncation mark so it always fits. */
__attribute__((format(printf, 2, 3)))
void pto_gate_warn(struct pto_gate_plan *plan, const char *fmt, ...)
{
	size_t len = strlen(plan->warnings);
	size_t mark = sizeof(TRUNC_MARK) - 1;
	char line[192];
	size_t need;
	va_list ap;

	if (len >= mark && !strcmp(plan->warnings + len - mark, TRUNC_MARK))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	need = strlen(line) + 1;
	if (len + need + mark < sizeof(plan->warnings)) {
		memcpy(plan->warnings + len, line, need - 1);
		memcpy(plan->warnings + len + need - 1, "\n", 2);
	} else {
		memcpy(plan->warnings + len, TRUNC_MARK, mark + 1);
	}
}

static void plan_reset(struct pto_gate_plan *plan, uint32_t wiring)
{
	uint32_t i;

	plan->num_cpus = 0;
	plan->num_schedulers = 1;
	plan->wiring = wiring;
	for (i = 0; i < PTO_GATE_MAX_THREADS; i++)
		plan->sched_cpu[i] = PTO_GATE_UNPINNED;
	plan->wiring_cpu = PTO_GATE_UNPINNED;
	plan->orch_cpu = PTO_GATE_UNPINNED;
	plan->warnings[0] = '\0';
	/* share.c sets these after a layout; a plain plan is not divided */
	plan->part = 0;
	plan->parts = 0;
	plan->share_desc[0] = '\0';
}

static int check_cpu_array(const int32_t *cpus, uint32_t num, const char *what)
{
	uint32_t i;

	if (num && !cpus)
		return pto__fail(-EINVAL, "affinity gate: NULL %s with %u entries", what, num);
	for (i = 0; i < num; i++)
		if (cpus[i] < 0 || cpus[i] >= CPU_SETSIZE)
			return pto__fail(-EINVAL, "affinity gate: %s entry %u is cpu %d, outside [0, %d)",
					 what, i, cpus[i], CPU_SETSIZE);
	return 0;
}

int pto_gate_usable(const int32_t *cpus, uint32_t num_cpus, const int32_t *mask_cpus,
		    uint32_t num_mask, int32_t *list, struct pto_gate_plan *plan)
{
	cpu_set_t in_mask, seen;
	uint32_t n = 0, i;
	int ret;

	ret = check_cpu_array(cpus, num_cpus, "CPU list");
	if (ret)
		return ret;
	ret = check_cpu_array(mask_cpus, num_mask, "affinity mask");
	if (ret)
		return ret;

	CPU_ZERO(&in_mask);
	for (i = 0; i < num_mask; i++)
		CPU_SET(mask_cpus[i], &in_mask);
	if (num_cpus == 0) {
		for (i = 0; i < CPU_SETSIZE; i++)
			if (CPU_ISSET(i, &in_mask))
				list[n++] = (int32_t)i;
	} else {
		CPU_ZERO(&seen);
		for (i = 0; i < num_cpus; i++) {
			int32_t c = cpus[i];

			if (CPU_ISSET(c, &seen)) {
				pto_gate_warn(plan, "cpu %d listed twice: duplicate dropped", c);
				continue;
			}
			CPU_SET(c, &seen);
			if (!CPU_ISSET(c, &in_mask)) {
				pto_gate_warn(plan, "cpu %d is not in the process affinity mask: dropped", c);
				continue;
			}
			list[n++] = c;	/* n <= CPU_SETSIZE: each CPU enters once */
		}
	}
	return (int)n;
}

/* The checks both planners start with; resets @plan. */
static int plan_begin(struct pto_gate_plan *plan, uint32_t want_schedulers, uint32_t wiring)
{
	if (!plan)
		return pto__fail(-EINVAL, "affinity gate: NULL plan");
	plan_reset(plan, wiring ? 1 : 0);
	if (wiring > 1)
		return pto__fail(-EINVAL, "affinity gate: wiring must be 0 or 1, not %u", wiring);
	if (want_schedulers > PTO_GATE_MAX_THREADS)
		return pto__fail(-EINVAL, "affinity gate: %u schedulers wanted, at most %d",
				 want_schedulers, PTO_GATE_MAX_THREADS);
	return 0;
}

int pto_gate_plan(const int32_t *cpus, uint32_t num_cpus, const int32_t *mask_cpus,
		  uint32_t num_mask, uint32_t want_schedulers, uint32_t wiring,
		  struct pto_gate_plan *plan)
{
	int32_t list[CPU_SETSIZE];	/* usable CPUs, unique, in allowlist order */
	uint32_t n, reserved, avail, nsched, i;
	int ret;

	ret = plan_begin(plan, want_schedulers, wiring);
	if (ret)
		return ret;
	ret = pto_gate_usable(cpus, num_cpus, mask_cpus, num_mask, list, plan);
	if (ret < 0)
		return ret;
	n = (uint32_t)ret;
	plan->num_cpus = n;

	/* Roles by position: orchestrator last, wiring before it, schedulers first. */
	if (n >= 1)
		plan->orch_cpu = list[n - 1];
	else
		pto_gate_warn(plan, "orchestrator runs unpinned: no usable CPU");
	if (plan->wiring) {
		if (n >= 2)
			plan->wiring_cpu = list[n - 2];
		else
			pto_gate_warn(plan, "wiring thread runs unpinned: no CPU left for it");
	}
	reserved = 1 + plan->wiring;
	avail = n > reserved ? n - reserved : 0;

	if (want_schedulers) {
		nsched = want_schedulers;
	} else {
		nsched = avail ? avail : 1;
		if (nsched > PTO_GATE_MAX_THREADS) {
			pto_gate_warn(plan, "%u CPUs for schedulers, using the first %d",
				  nsched, PTO_GATE_MAX_THREADS);
			nsched = PTO_GATE_MAX_THREADS;
		}
	}
	plan->num_schedulers = nsched;
	for (i = 0; i < nsched; i++)
		plan->sched_cpu[i] = i < avail ? list[i] : PTO_GATE_UNPINNED;
	if (avail < nsched)
		pto_gate_warn(plan, "schedulers %u..%u run unpinned: only %u CPUs left for schedulers",
			  avail, nsched - 1, avail);
	else if (avail > nsched && num_cpus)
		pto_gate_warn(plan, "%u listed CPUs unused (cpu %d first): %u schedulers wanted",
			  avail - nsched, list[nsched], nsched);
	return 0;
}

int pto_gate_plan_share(const int32_t *share, uint32_t m, uint32_t want_schedulers,
			uint32_t wiring, struct pto_gate_plan *plan)
{
	uint32_t reserved, avail, nsched, i;
	int ret;

	ret = plan_begin(plan, want_schedulers, wiring);
	if (ret)
		return ret;
	if (m == 0 || !share)
		return pto__fail(-EINVAL, "affinity gate: an empty share");
	if (check_cpu_array(share, m, "share"))
		return -EINVAL;
	/* the same positions as pto_gate_plan(), but a role never leaves the share */
	plan->num_cpus = m;
	plan->orch_cpu = share[m - 1];
	if (plan->wiring)
		plan->wiring_cpu = share[m >= 2 ? m - 2 : m - 1];
	reserved = 1 + plan->wiring;
	avail = m > reserved ? m - reserved : 0;
	nsched = want_schedulers ? want_schedulers : (avail ? avail : 1);
	if (nsched > PTO_GATE_MAX_THREADS)
		nsched = PTO_GATE_MAX_THREADS;
	plan->num_schedulers = nsched;
	for (i = 0; i < nsched; i++)
		plan->sched_cpu[i] = avail ? share[i % avail] : share[i % m];
	if (nsched > (avail ? avail : 0) && want_schedulers)
		pto_gate_warn(plan, "%u schedulers share the %u CPU(s) of this runtime's share",
			      nsched, m);
	return 0;
}

static void print_cpu(FILE *f, const char *role, int32_t cpu)
{
	if (cpu == PTO_GATE_UNPINNED)
		fprintf(f, "pto: %s cpu unpinned\n", role);
	else
		fprintf(f, "pto: %s cpu %d\n", role, cpu);
}

void pto_gate_fprint(FILE *f, const struct pto_gate_plan *plan)
{
	char role[32];
	const char *w, *nl;
	uint32_t i, nsched;

	if (!f || !plan)
		return;
	if (plan->parts > 1)
		fprintf(f, "pto: %s\n", plan->share_desc);
	print_cpu(f, "orchestrator", plan->orch_cpu);
	if (plan->wiring)
		print_cpu(f, "wiring", plan->wiring_cpu);
	nsched = plan->num_schedulers;
	if (nsched > PTO_GATE_MAX_THREADS)
		nsched = PTO_GATE_MAX_THREADS;
	for (i = 0; i < nsched; i++) {
		snprintf(role, sizeof(role), "scheduler %u", i);
		print_cpu(f, role, plan->sched_cpu[i]);
	}
	/* warnings[] is NUL-terminated by construction; bound the scan anyway. */
	w = plan->warnings;
	while (*w && w < plan->warnings + sizeof(plan->warnings)) {
		nl = memchr(w, '\n', plan->warnings + sizeof(plan->warnings) - w);
		if (!nl)
			nl = w + strnlen(w, plan->warnings + sizeof(plan->warnings) - w);
		fprintf(f, "pto: warning: %.*s\n", (int)(nl - w), w);
		w = *nl ? nl + 1 : nl;
	}
}

void pto_gate_print(const struct pto_gate_plan *plan)
{
	pto_gate_fprint(stderr, plan);
}

int pto_gate_affinity_cpus(int32_t *cpus, uint32_t max)
{
	cpu_set_t set;
	uint32_t n = 0;
	int c, e;

	if (max && !cpus)
		return pto__fail(-EINVAL, "affinity mask: NULL output array for %u entries", max);
	if (sched_getaffinity(0, sizeof(set), &set)) {
		e = errno;
		return pto__fail(-e, "affinity mask: sched_getaffinity: %s", strerror(e));
	}
	for (c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &set))
			continue;
		if (n >= max)
			return pto__fail(-EINVAL, "affinity mask has more than %u CPUs", max);
		cpus[n++] = c;
	}
	return (int)n;
}

int pto_gate_pin_self(int32_t cpu)
{
	cpu_set_t set;
	int e;

	if (cpu == PTO_GATE_UNPINNED)
		return 0;
	if (cpu < 0 || cpu >= CPU_SETSIZE)
		return pto__fail(-EINVAL, "pin: cpu %d outside [0, %d)", cpu, CPU_SETSIZE);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	/* pid 0 = the calling thread (Linux affinity is per thread). */
	if (sched_setaffinity(0, sizeof(set), &set)) {
		e = errno;
		return pto__fail(-e, "pin: cannot pin thread to cpu %d: %s", cpu, strerror(e));
	}
	return 0;
}

/*
 * A new thread is queued on its creator's CPU.  The schedulers and the
 * wiring thread are created by the orchestrator, which keeps running there,
 * so a thread that pinned itself only once it ran waited a scheduler tick
 * or more first: the first dispatch of a run came 1.7-5 ms after the first
 * submit in half of the runs on a 2-vCPU VM (docs/runtime.md, Threads).
 */
int pto_gate_thread_create(pthread_t *thread, int32_t cpu, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	cpu_set_t set;
	int ret;

	if (cpu < 0 || cpu >= CPU_SETSIZE || pthread_attr_init(&attr))
		return pthread_create(thread, NULL, fn, arg);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	ret = pthread_attr_setaffinity_np(&attr, sizeof(set), &set) ? EINVAL :
	      pthread_create(thread, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	/* EINVAL: the CPU is not (or no longer) ours; start it anywhere */
	return ret == EINVAL ? pthread_create(thread, NULL, fn, arg) : ret;
}
