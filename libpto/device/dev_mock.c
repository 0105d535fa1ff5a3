// SPDX-License-Identifier: MIT
/*
 * dev_mock.c - the user-space mock device: one shared object (a named shm
 * object a monitor can map read-only, or a memfd; mock_pub.h) mapped once
 * MAP_SHARED holds a status page, every core's register window (a page
 * each) and device memory, and the sim/ engine runs the cores.
 *
 * Bring-up order: aperture, windows (reset state), allocator, then
 * device.c's window identity and payload buffers and the engine;
 * pthread_create orders every one of those writes before the workers'
 * first look.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "libpto/device/device_impl.h"
#include "libpto/device/device_ops.h"
#include "libpto/device/mem_alloc.h"
#include "libpto/device/mock_pub.h"
#include "libpto/error_impl.h"
#include "libpto/util/waiter.h"
#include "runtime/regs.h"
#include "sim/sim.h"

/* First page of the aperture is never handed out: device address 0 means "none". */
#define MOCK_RESERVED		4096u

/*
 * struct mock_priv - mock backend state.
 * @fd, @base, @map_len: the backing object (mock_pub.h layout) and its mapping.
 * @pub: its status page; @pub_name: its shm name, "" when unpublished.
 */
struct mock_priv {
	int fd;
	uint8_t *base;
	size_t map_len;
	struct pto_mock_pub *pub;
	char pub_name[64];
	uint8_t *gm;
	uint64_t mem_size;
	uint8_t *win;
	size_t win_len;
	struct pto_arena arena;
	int arena_ready;
};

static struct mock_priv *mock(struct pto_device *dev)
{
	return dev->priv;
}

static void mock_release(struct pto_device *dev)
{
	struct mock_priv *m = mock(dev);

	if (dev->sim) {
		/* a worker stuck in a kernel still uses the memory and windows: keep them */
		dev->stuck = !pto_sim_stop(dev->sim);
		dev->sim = NULL;
	}
	if (!m || dev->stuck)
		return;
	if (m->arena_ready)
		pto__arena_destroy(&m->arena);
	if (m->base)
		munmap(m->base, m->map_len);
	if (m->fd >= 0)
		close(m->fd);
	if (m->pub_name[0])
		shm_unlink(m->pub_name);
	free(dev->regs);
	dev->regs = NULL;
	free(m);
	dev->priv = NULL;
}

static int mock_mem_alloc(struct pto_device *dev, uint64_t size, uint64_t align,
			  struct pto_mem_obj *obj)
{
	struct mock_priv *m = mock(dev);
	uint64_t addr, reserved;

	if (pto__arena_alloc(&m->arena, size, align, &addr, &reserved))
		return pto__fail(-ENOMEM,
				 "pto_mem_alloc: no free range of %llu bytes aligned to %llu in mock device memory (%llu of %llu bytes free)",
				 (unsigned long long)size, (unsigned long long)align,
				 (unsigned long long)pto__arena_free_bytes(&m->arena),
				 (unsigned long long)m->mem_size);
	obj->addr = addr;
	obj->size = reserved;
	obj->host = m->gm + addr;
	obj->handle = 0;
	/* informational for monitors: relaxed, nothing is published with it */
	__atomic_fetch_add(&m->pub->mem_used, reserved, __ATOMIC_RELAXED);
	return 0;
}

static void mock_mem_free(struct pto_device *dev, struct pto_mem_obj *obj)
{
	struct mock_priv *m = mock(dev);
	uint32_t *magic = (uint32_t *)(m->gm + obj->addr);

	/*
	 * A freed ring area must not read as a live runtime to a monitor
	 * scanning device memory (docs/device.md, Monitoring); one load.
	 */
	if (obj->size >= sizeof(struct pto2_ring_header) &&
	    __atomic_load_n(magic, __ATOMIC_RELAXED) == PTO2_RING_MAGIC)
		__atomic_store_n(magic, 0, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&m->pub->mem_used, obj->size, __ATOMIC_RELAXED);
	pto__arena_free(&m->arena, obj->addr, obj->size);
}

static void mock_kick(struct pto_device *dev, uint32_t core)
{
	pto_sim_kick(dev->sim, core);
}

static uint32_t mock_completion_prepare(struct pto_device *dev)
{
	return pto_sim_completion_prepare(dev->sim);
}

static void mock_completion_cancel(struct pto_device *dev)
{
	pto_sim_completion_cancel(dev->sim);
}

static void mock_wait_completion(struct pto_device *dev, uint32_t key, uint64_t deadline_ns)
{
	pto_sim_wait_completion(dev->sim, key, deadline_ns);
}

static void mock_notify(struct pto_device *dev)
{
	pto_sim_notify(dev->sim);
}

static const struct pto_device_ops mock_ops = {
	.name = "mock",
	.close = mock_release,
	.mem_alloc = mock_mem_alloc,
	.mem_free = mock_mem_free,
	.kick = mock_kick,
	.completion_prepare = mock_completion_prepare,
	.completion_cancel = mock_completion_cancel,
	.wait_completion = mock_wait_completion,
	.notify = mock_notify,
};

/* Recommend every CPU this process may run on, ascending. */
static void mock_recommend_cpus(struct pto_device_info *info)
{
	cpu_set_t set;

	info->num_cpus = 0;
	if (sched_getaffinity(0, sizeof(set), &set))
		return;
	for (int c = 0; c < CPU_SETSIZE && info->num_cpus < PTO2_MAX_CPUS; c++)
		if (CPU_ISSET(c, &set))
			info->cpus[info->num_cpus++] = (uint16_t)c;
}

static int mock_map_memory(struct mock_priv *m, uint32_t cores)
{
	size_t status = PTO_MOCK_PUB_STATUS_SIZE;

	m->win_len = (size_t)cores * PTO2_REG_WINDOW_SIZE;
	m->map_len = status + m->win_len + m->mem_size;
	m->fd = pto__mock_pub_create(m->map_len, m->pub_name);
	if (m->fd < 0)
		return m->fd;
	m->base = mmap(NULL, m->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	if (m->base == MAP_FAILED) {
		m->base = NULL;
		return pto__fail(-errno, "mock device: mapping %llu bytes of device memory: %s",
				 (unsigned long long)m->mem_size, strerror(errno));
	}
	m->pub = (struct pto_mock_pub *)m->base;
	m->win = m->base + status;
	m->gm = m->win + m->win_len;
	return 0;
}

/* The status page's static fields, then its magic (mock_pub.h). */
static void mock_publish(struct pto_device *dev, const char *spec)
{
	struct mock_priv *m = mock(dev);
	struct pto_mock_pub *p = m->pub;

	p->version = PTO_MOCK_PUB_VERSION;
	p->pid = (int32_t)getpid();
	p->num_clusters = dev->info.num_clusters;
	p->num_cores = dev->info.num_cores;
	p->num_workers = dev->info.num_workers;
	p->owner_start = pto__proc_start_time(0, NULL);
	p->open_ns = pto_now_ns();
	p->mem_size = m->mem_size;
	p->win_offset = PTO_MOCK_PUB_STATUS_SIZE;
	p->gm_offset = PTO_MOCK_PUB_STATUS_SIZE + m->win_len;
	snprintf(p->spec, sizeof(p->spec), "%s", spec);
	snprintf(p->name, sizeof(p->name), "%s", dev->info.name);
	/* pairs with the monitor's acquire load of magic */
	__atomic_store_n(&p->magic, PTO_MOCK_PUB_MAGIC, __ATOMIC_RELEASE);
}

/* Power-on state of every window (the module's soft device does the same). */
static void mock_reset_windows(struct pto_device *dev)
{
	for (uint32_t i = 0; i < dev->info.num_cores; i++) {
		struct pto2_core_regs *r = dev->regs[i];

		reg_store_relaxed(&r->cond, PTO2_COND_IDLE);
		/* the engine starts after this (pthread_create orders it) */
		reg_store_relaxed(&r->data_main_base, PTO2_REG_IDLE);
	}
}

int pto__mock_open(struct pto_device *dev, const struct pto_mock_spec *spec)
{
	uint32_t cores = spec->clusters * PTO2_CORES_PER_CLUSTER;
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	uint32_t workers = spec->workers ? spec->workers : (online > 0 ? (uint32_t)online : 1);
	struct mock_priv *m;
	uint64_t end;
	int rc;

	m = calloc(1, sizeof(*m));
	if (!m)
		return pto__fail(-ENOMEM, "mock device: out of memory");
	m->fd = -1;
	m->mem_size = spec->mem_size;
	dev->priv = m;
	dev->ops = &mock_ops;

	dev->info.abi_version = PTO2_ABI_VERSION;
	dev->info.platform = PTO2_PLATFORM_MOCK;
	dev->info.num_clusters = spec->clusters;
	dev->info.num_cores = cores;
	dev->info.num_aic = spec->clusters;
	dev->info.num_aiv = spec->clusters * PTO2_AIV_PER_CLUSTER;
	dev->info.mem_size = spec->mem_size;
	mock_recommend_cpus(&dev->info);

	rc = mock_map_memory(m, cores);
	if (rc)
		goto fail;
	dev->regs = calloc(cores, sizeof(*dev->regs));
	if (!dev->regs) {
		rc = pto__fail(-ENOMEM, "mock device: out of memory");
		goto fail;
	}
	for (uint32_t i = 0; i < cores; i++)
		dev->regs[i] = (struct pto2_core_regs *)(m->win + (size_t)i * PTO2_REG_WINDOW_SIZE);
	mock_reset_windows(dev);
	end = m->mem_size & ~(uint64_t)(PTO_ARENA_GRAIN - 1);
	if (pto__arena_init(&m->arena, MOCK_RESERVED, end)) {
		rc = pto__fail(-ENOMEM, "mock device: out of memory");
		goto fail;
	}
	m->arena_ready = 1;
	dev->max_alloc = end > MOCK_RESERVED ? end - MOCK_RESERVED : 0;
	rc = pto__device_init_windows(dev);
	if (rc)
		goto fail;
	dev->busy_ns = m->pub->busy_ns;
	/* a worker serves at least one core */
	rc = pto__device_start_sim(dev, m->gm, m->mem_size, workers > cores ? cores : workers,
				   NULL, NULL);
	if (rc)
		goto fail;
	/* the spec's fault= options (parse_mock_spec() checked every field) */
	for (uint32_t i = 0; i < spec->num_faults; i++) {
		rc = pto_sim_add_rule(dev->sim, &spec->faults[i]);
		if (rc) {
			rc = pto__fail(rc, "mock device: fault rule %u refused", i);
			goto fail;
		}
	}
	mock_publish(dev, dev->info.spec);
	return 0;
fail:
	mock_release(dev);
	return rc;
}
