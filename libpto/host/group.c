// SPDX-License-Identifier: MIT
/*
 * group.c - one workload over several devices (pto/host.h).
 *
 * State: programs (in submission order, each with the indices of the
 * programs it depends on, found at submit from per-buffer last writer and
 * readers) and buffers (per device a copy, plus a host copy, each valid or
 * not).  pto_group_run() starts one thread per device; each runs its
 * device's programs in order: wait for the dependencies (group lock + cond,
 * bounded), make the inputs valid on the device (copies staged through host
 * memory under the buffer's lock), pto_run(), mark the outputs valid on that
 * device only.  The first failure is latched under the group lock and
 * wakes every waiter; threads then stop before their next program.
 *
 * Why whole-buffer dependencies suffice for the copies: a program writing
 * a buffer waits for every earlier reader and writer of it, so no copy of
 * a buffer ever runs while a program writes it; two readers copying the
 * same buffer at once are serialized by its lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libpto/api.h"
#include "libpto/error_impl.h"
#include "libpto/host/group_impl.h"
#include "pto/host.h"

#define DEFAULT_WAIT_MS		60000u
#define HOST_VALID		(1u << 31)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

PTO_API int pto_group_create(const char *const *specs, uint32_t n,
			     const struct pto_runtime_config *cfg, struct pto_group **out)
{
	struct pto_group *g;
	int rc;

	if (!out)
		return pto__fail(-EINVAL, "pto_group_create: out is NULL");
	*out = NULL;
	if (!specs || n == 0 || n > PTO_GROUP_MAX_DEVICES)
		return pto__fail(-EINVAL, "pto_group_create: %u devices (want 1..%u and specs)", n,
				 PTO_GROUP_MAX_DEVICES);
	g = calloc(1, sizeof(*g));
	if (!g)
		return pto__fail(-ENOMEM, "pto_group_create: out of memory");
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->cond, NULL);
	g->wait_ms = DEFAULT_WAIT_MS;
	for (uint32_t i = 0; i < n; i++) {
		if (!specs[i]) {
			rc = pto__fail(-EINVAL, "pto_group_create: spec %u is NULL", i);
			goto fail;
		}
		rc = pto_device_open(specs[i], &g->dev[i].dev);
		if (!rc)
			rc = pto_runtime_create(g->dev[i].dev, cfg, &g->dev[i].rt);
		g->n = i + 1;
		if (rc) {
			char msg[PTO_ERRMSG_MAX];

			snprintf(msg, sizeof(msg), "%s", pto_last_error());
			pto__fail(rc, "pto_group_create: device %u ('%s'): %s", i, specs[i], msg);
			goto fail;
		}
		pto_device_get_info(g->dev[i].dev, &g->dev[i].info);
	}
	*out = g;
	return 0;
fail:
	{
		char msg[PTO_ERRMSG_MAX];

		snprintf(msg, sizeof(msg), "%s", pto_last_error());
		pto_group_destroy(g);
		pto__set_error_msg(msg);
	}
	return rc;
}

PTO_API void pto_group_destroy(struct pto_group *g)
{
	if (!g)
		return;
	for (uint32_t b = 0; b < g->num_bufs; b++) {
		struct pto_gbuf *buf = &g->bufs[b];

		for (uint32_t d = 0; d < g->n; d++)
			if (buf->addr[d])
				pto_mem_free(g->dev[d].dev, buf->addr[d]);
		free(buf->staging);
		free(buf->name);
		free(buf->readers);
		pthread_mutex_destroy(&buf->lock);
	}
	free(g->bufs);
	pto__group_progs_free(g);
	for (uint32_t d = 0; d < g->n; d++) {
		pto_runtime_destroy(g->dev[d].rt);
		pto_device_close(g->dev[d].dev);
	}
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

PTO_API uint32_t pto_group_size(const struct pto_group *g)
{
	return g ? g->n : 0;
}

PTO_API struct pto_runtime *pto_group_runtime(struct pto_group *g, uint32_t i)
{
	if (!g || i >= g->n) {
		pto__fail(-EINVAL, "pto_group_runtime: no device %u", i);
		return NULL;
	}
	return g->dev[i].rt;
}

PTO_API struct pto_device *pto_group_device(struct pto_group *g, uint32_t i)
{
	if (!g || i >= g->n) {
		pto__fail(-EINVAL, "pto_group_device: no device %u", i);
		return NULL;
	}
	return g->dev[i].dev;
}

PTO_API int pto_group_register_kernel(struct pto_group *g, uint32_t id,
				      enum pto2_core_type core_type, pto_kernel_fn fn,
				      const char *name)
{
	if (!g)
		return pto__fail(-EINVAL, "pto_group_register_kernel: NULL group");
	for (uint32_t d = 0; d < g->n; d++) {
		int rc = pto_register_kernel(g->dev[d].rt, id, core_type, fn, name);

		if (rc)
			return rc;
	}
	return 0;
}

PTO_API int pto_group_set_timeout(struct pto_group *g, uint32_t ms)
{
	if (!g || ms == 0)
		return pto__fail(-EINVAL, "pto_group_set_timeout: %s", g ? "0 ms" : "NULL group");
	g->wait_ms = ms;
	return 0;
}

PTO_API int pto_group_buffer(struct pto_group *g, void *host, uint64_t size, const char *name,
			     uint32_t *id)
{
	struct pto_gbuf *buf;

	if (!g || !id)
		return pto__fail(-EINVAL, "pto_group_buffer: NULL %s", g ? "id" : "group");
	if (g->running)
		return pto__fail(-EBUSY, "pto_group_buffer: the group is running");
	if (size == 0)
		return pto__fail(-EINVAL, "pto_group_buffer: '%s': size 0", name ? name : "?");
	if (g->num_bufs == g->cap_bufs) {
		uint32_t cap = g->cap_bufs ? g->cap_bufs * 2 : 16;
		struct pto_gbuf *nb = realloc(g->bufs, cap * sizeof(*nb));

		if (!nb)
			return pto__fail(-ENOMEM, "pto_group_buffer: out of memory");
		/* the locks are re-initialized: none is held outside a run */
		for (uint32_t i = 0; i < g->num_bufs; i++) {
			pthread_mutex_destroy(&nb[i].lock);
			pthread_mutex_init(&nb[i].lock, NULL);
		}
		g->bufs = nb;
		g->cap_bufs = cap;
	}
	buf = &g->bufs[g->num_bufs];
	memset(buf, 0, sizeof(*buf));
	pthread_mutex_init(&buf->lock, NULL);
	buf->host = host;
	buf->size = size;
	buf->valid = host ? HOST_VALID : 0;
	buf->last_writer = -1;
	if (name) {
		buf->name = strdup(name);
	} else {
		buf->name = malloc(24);
		if (buf->name)
			snprintf(buf->name, 24, "buffer%u", g->num_bufs);
	}
	if (!buf->name) {
		pthread_mutex_destroy(&buf->lock);
		return pto__fail(-ENOMEM, "pto_group_buffer: out of memory");
	}
	*id = g->num_bufs++;
	return 0;
}

/* --- coherence: make a buffer valid where a program needs it ---------------- */

/* Device @d's copy of @buf, allocated on first use.  Caller holds buf->lock. */
static int ensure_alloc(struct pto_group *g, struct pto_gbuf *buf, uint32_t d)
{
	int rc;

	if (buf->addr[d])
		return 0;
	rc = pto_mem_alloc(g->dev[d].dev, buf->size, 0, &buf->addr[d]);
	if (rc)
		return pto__fail(rc, "buffer '%s': %llu bytes on device %u (%s): %s", buf->name,
				 (unsigned long long)buf->size, d, g->dev[d].info.name,
				 pto_last_error());
	return 0;
}

/* Host-side bytes of @buf: the user's copy or the staging copy. */
static void *host_copy(struct pto_gbuf *buf)
{
	if (buf->host)
		return buf->host;
	if (!buf->staging)
		buf->staging = malloc(buf->size);
	return buf->staging;
}

/* Make the host copy valid (download from a device that holds it).  Caller holds buf->lock. */
static int to_host(struct pto_group *g, struct pto_gbuf *buf, struct pto_group_stats *st)
{
	void *h;
	int rc;

	if (buf->valid & HOST_VALID)
		return 0;
	for (uint32_t s = 0; s < g->n; s++) {
		if (!(buf->valid & (1u << s)))
			continue;
		h = host_copy(buf);
		if (!h)
			return pto__fail(-ENOMEM, "buffer '%s': no host memory to stage %llu bytes",
					 buf->name, (unsigned long long)buf->size);
		rc = pto_mem_download(g->dev[s].dev, h, buf->addr[s], buf->size);
		if (rc)
			return pto__fail(PTO_E_TRANSFER, "buffer '%s': download from device %u: %s",
					 buf->name, s, pto_last_error());
		__atomic_fetch_add(&st->downloads, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&st->download_bytes, buf->size, __ATOMIC_RELAXED);
		buf->valid |= HOST_VALID;
		return 0;
	}
	return pto__fail(-EINVAL, "buffer '%s' is read before anything wrote it (a device-only "
			 "buffer has no initial value)", buf->name);
}

/* Make @buf valid on device @d (staged through the host). */
static int to_device(struct pto_group *g, struct pto_gbuf *buf, uint32_t d,
		     struct pto_group_stats *st)
{
	int rc;

	pthread_mutex_lock(&buf->lock);
	rc = ensure_alloc(g, buf, d);
	if (!rc && !(buf->valid & (1u << d))) {
		rc = to_host(g, buf, st);
		if (!rc) {
			rc = pto_mem_upload(g->dev[d].dev, buf->addr[d], host_copy(buf), buf->size);
			if (rc)
				rc = pto__fail(PTO_E_TRANSFER, "buffer '%s': upload to device %u: %s",
					       buf->name, d, pto_last_error());
		}
		if (!rc) {
			__atomic_fetch_add(&st->uploads, 1, __ATOMIC_RELAXED);
			__atomic_fetch_add(&st->upload_bytes, buf->size, __ATOMIC_RELAXED);
			buf->valid |= 1u << d;
		}
	}
	pthread_mutex_unlock(&buf->lock);
	return rc;
}

int pto__group_prepare(struct pto_group *g, struct pto_gprog *p, struct pto_prog *ctx)
{
	int rc;

	memset(ctx, 0, sizeof(*ctx));
	ctx->dev = g->dev[p->device].dev;
	ctx->device = p->device;
	ctx->index = p->index;
	ctx->num_uses = p->num_uses;
	ctx->arg = p->arg;
	for (uint32_t i = 0; i < p->num_uses; i++) {
		struct pto_gbuf *buf = &g->bufs[p->uses[i].buf];

		if (p->uses[i].mode & PTO_USE_IN) {
			rc = to_device(g, buf, p->device, &g->stats);
		} else {
			pthread_mutex_lock(&buf->lock);
			rc = ensure_alloc(g, buf, p->device);
			pthread_mutex_unlock(&buf->lock);
		}
		if (rc)
			return rc;
		ctx->addr[i] = buf->addr[p->device];
		ctx->size[i] = buf->size;
	}
	return 0;
}

void pto__group_written(struct pto_group *g, struct pto_gprog *p)
{
	for (uint32_t i = 0; i < p->num_uses; i++) {
		struct pto_gbuf *buf = &g->bufs[p->uses[i].buf];

		if (!(p->uses[i].mode & PTO_USE_OUT))
			continue;
		pthread_mutex_lock(&buf->lock);
		buf->valid = 1u << p->device;	/* every other copy is stale now */
		pthread_mutex_unlock(&buf->lock);
	}
}

int pto__group_finish(struct pto_group *g)
{
	for (uint32_t b = 0; b < g->num_bufs; b++) {
		struct pto_gbuf *buf = &g->bufs[b];
		int rc = 0;

		if (!buf->host)
			continue;	/* device-only: no final copy */
		pthread_mutex_lock(&buf->lock);
		if (buf->valid)
			rc = to_host(g, buf, &g->stats);
		pthread_mutex_unlock(&buf->lock);
		if (rc)
			return rc;
	}
	return 0;
}

uint64_t pto__group_now(void)
{
	return now_ns();
}
