// SPDX-License-Identifier: MIT
/*
 * run.c - submitting device programs to a group and running them: one
 * thread per device, each program after its dependencies (pto/host.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libpto/api.h"
#include "libpto/error_impl.h"
#include "libpto/host/group_impl.h"
#include "pto/host.h"

static int add_dep(struct pto_gprog *p, uint32_t *cap, uint32_t dep)
{
	for (uint32_t i = 0; i < p->num_deps; i++)
		if (p->deps[i] == dep)
			return 0;
	if (p->num_deps == *cap) {
		uint32_t nc = *cap ? *cap * 2 : 4;
		uint32_t *nd = realloc(p->deps, nc * sizeof(*nd));

		if (!nd)
			return -ENOMEM;
		p->deps = nd;
		*cap = nc;
	}
	p->deps[p->num_deps++] = dep;
	return 0;
}

static int add_reader(struct pto_gbuf *b, uint32_t prog)
{
	if (b->num_readers == b->cap_readers) {
		uint32_t nc = b->cap_readers ? b->cap_readers * 2 : 4;
		uint32_t *nr = realloc(b->readers, nc * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		b->readers = nr;
		b->cap_readers = nc;
	}
	b->readers[b->num_readers++] = prog;
	return 0;
}

PTO_API int pto_group_submit(struct pto_group *g, uint32_t device, pto_prog_fn fn, void *arg,
			     const struct pto_use *uses, uint32_t n)
{
	struct pto_gprog *p;
	uint32_t cap = 0, idx;

	if (!g || !fn)
		return pto__fail(-EINVAL, "pto_group_submit: NULL %s", g ? "program" : "group");
	if (g->running)
		return pto__fail(-EBUSY, "pto_group_submit: the group is running");
	if (device >= g->n)
		return pto__fail(-EINVAL, "pto_group_submit: device %u: the group has devices "
				 "0..%u", device, g->n - 1);
	if (n > PTO_PROG_MAX_USES || (n && !uses))
		return pto__fail(-EINVAL, "pto_group_submit: %u uses (at most %u)", n,
				 PTO_PROG_MAX_USES);
	for (uint32_t i = 0; i < n; i++) {
		if (uses[i].buf >= g->num_bufs)
			return pto__fail(-EINVAL, "pto_group_submit: use %u: no buffer %u (%u "
					 "declared)", i, uses[i].buf, g->num_bufs);
		if (uses[i].mode < PTO_USE_IN || uses[i].mode > PTO_USE_INOUT)
			return pto__fail(-EINVAL, "pto_group_submit: use %u: mode %u is not IN, OUT "
					 "or INOUT", i, uses[i].mode);
		for (uint32_t j = 0; j < i; j++)
			if (uses[j].buf == uses[i].buf)
				return pto__fail(-EINVAL, "pto_group_submit: buffer '%s' used twice "
						 "(give it once, as INOUT)",
						 g->bufs[uses[i].buf].name);
	}
	if (g->num_progs == g->cap_progs) {
		uint32_t nc = g->cap_progs ? g->cap_progs * 2 : 16;
		struct pto_gprog *np = realloc(g->progs, nc * sizeof(*np));

		if (!np)
			return pto__fail(-ENOMEM, "pto_group_submit: out of memory");
		g->progs = np;
		g->cap_progs = nc;
	}
	idx = g->num_progs;
	p = &g->progs[idx];
	memset(p, 0, sizeof(*p));
	p->device = device;
	p->index = idx;
	p->fn = fn;
	p->arg = arg;
	p->num_uses = n;
	if (n)
		memcpy(p->uses, uses, n * sizeof(*uses));
	/* whole-buffer RAW, WAR and WAW, against earlier programs only: no cycle */
	for (uint32_t i = 0; i < n; i++) {
		struct pto_gbuf *b = &g->bufs[uses[i].buf];

		if (b->last_writer >= 0 && add_dep(p, &cap, (uint32_t)b->last_writer))
			goto oom;
		if (uses[i].mode & PTO_USE_OUT)
			for (uint32_t r = 0; r < b->num_readers; r++)
				if (b->readers[r] != idx && add_dep(p, &cap, b->readers[r]))
					goto oom;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct pto_gbuf *b = &g->bufs[uses[i].buf];

		if (uses[i].mode & PTO_USE_OUT) {
			b->last_writer = idx;
			b->num_readers = 0;
		} else if (add_reader(b, idx)) {
			goto oom;
		}
	}
	g->num_progs++;
	return (int)idx;
oom:
	free(p->deps);
	return pto__fail(-ENOMEM, "pto_group_submit: out of memory");
}

void pto__group_progs_free(struct pto_group *g)
{
	for (uint32_t i = 0; i < g->num_progs; i++)
		free(g->progs[i].deps);
	free(g->progs);
	g->progs = NULL;
	g->num_progs = g->cap_progs = 0;
}

/* Latch the first failure (caller holds g->lock) and wake every waiter. */
static void fail_locked(struct pto_group *g, int code, const char *msg)
{
	if (!g->err) {
		g->err = code;
		snprintf(g->err_msg, sizeof(g->err_msg), "%s", msg);
	}
	pthread_cond_broadcast(&g->cond);
}

static void group_fail(struct pto_group *g, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void group_fail(struct pto_group *g, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&g->lock);
	fail_locked(g, code, msg);
	pthread_mutex_unlock(&g->lock);
}

/*
 * Wait until every dependency of @p is done, or the run failed, or the
 * wait bound passed.  Return: 0 to run it, 1 to stop (failed run).
 */
static int wait_deps(struct pto_group *g, struct pto_gprog *p)
{
	uint64_t deadline = pto__group_now() + (uint64_t)g->wait_ms * 1000000ull;
	struct timespec ts;
	int stop = 0;

	pthread_mutex_lock(&g->lock);
	for (;;) {
		uint32_t i;

		if (g->err) {
			stop = 1;
			break;
		}
		for (i = 0; i < p->num_deps && g->progs[p->deps[i]].done; i++)
			;
		if (i == p->num_deps)
			break;
		if (pto__group_now() >= deadline) {
			char msg[512];
			const struct pto_gprog *d = &g->progs[p->deps[i]];

			snprintf(msg, sizeof(msg), "device %u (%s) program %u: waited %u ms for "
				 "program %u on device %u (%s), which did not finish",
				 p->device, g->dev[p->device].info.name, p->index, g->wait_ms,
				 d->index, d->device, g->dev[d->device].info.name);
			fail_locked(g, PTO_E_WAIT_TIMEOUT, msg);
			stop = 1;
			break;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100000000;	/* re-check the deadline every 100 ms */
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&g->cond, &g->lock, &ts);
	}
	pthread_mutex_unlock(&g->lock);
	return stop;
}

struct trampoline {
	const struct pto_gprog *p;
	const struct pto_prog *ctx;
};

static int run_prog(struct pto_runtime *rt, void *arg)
{
	const struct trampoline *t = arg;

	return t->p->fn(rt, t->ctx);
}

static void *device_main(void *arg)
{
	struct pto_gdev *gd = arg;
	struct pto_group *g = gd->g;

	for (uint32_t i = 0; i < g->num_progs; i++) {
		struct pto_gprog *p = &g->progs[i];
		struct pto_prog ctx;
		struct trampoline t = { p, &ctx };
		int rc;

		if (p->device != gd->idx)
			continue;
		if (wait_deps(g, p))
			break;
		rc = pto__group_prepare(g, p, &ctx);
		if (rc) {
			group_fail(g, rc, "device %u (%s) program %u: %s", gd->idx, gd->info.name, i,
				   pto_last_error());
			break;
		}
		rc = pto_run(gd->rt, run_prog, &t);
		if (rc) {
			group_fail(g, rc, "device %u (%s) program %u: %s", gd->idx, gd->info.name, i,
				   pto_last_error());
			break;
		}
		pto__group_written(g, p);
		pthread_mutex_lock(&g->lock);
		p->done = true;
		g->stats.programs++;
		pthread_cond_broadcast(&g->cond);
		pthread_mutex_unlock(&g->lock);
	}
	return NULL;
}

PTO_API int pto_group_run(struct pto_group *g)
{
	uint64_t t0 = pto__group_now();
	uint32_t started = 0;
	int rc;

	if (!g)
		return pto__fail(-EINVAL, "pto_group_run: NULL group");
	if (g->running)
		return pto__fail(-EBUSY, "pto_group_run: already running");
	memset(&g->stats, 0, sizeof(g->stats));
	g->err = 0;
	g->err_msg[0] = '\0';
	g->running = true;
	for (uint32_t d = 0; d < g->n; d++) {
		g->dev[d].g = g;
		g->dev[d].idx = d;
		rc = pthread_create(&g->dev[d].thread, NULL, device_main, &g->dev[d]);
		if (rc) {
			group_fail(g, -rc, "pto_group_run: cannot start the thread of device %u", d);
			break;
		}
		started++;
	}
	for (uint32_t d = 0; d < started; d++)
		pthread_join(g->dev[d].thread, NULL);
	rc = g->err;
	if (!rc) {
		rc = pto__group_finish(g);
		if (rc) {
			char msg[256];

			snprintf(msg, sizeof(msg), "%s", pto_last_error());
			snprintf(g->err_msg, sizeof(g->err_msg), "pto_group_run: final copies: %s",
				 msg);
		}
	}
	/* the buffers keep their copies; the dependency history restarts */
	for (uint32_t b = 0; b < g->num_bufs; b++) {
		g->bufs[b].last_writer = -1;
		g->bufs[b].num_readers = 0;
	}
	pto__group_progs_free(g);
	g->stats.elapsed_ns = pto__group_now() - t0;
	g->running = false;
	if (rc) {
		pto__set_error_msg(g->err_msg);
		return rc;
	}
	return 0;
}

PTO_API int pto_group_stats(const struct pto_group *g, struct pto_group_stats *st)
{
	if (!g || !st)
		return pto__fail(-EINVAL, "pto_group_stats: NULL %s", g ? "stats" : "group");
	*st = g->stats;
	return 0;
}
