/* SPDX-License-Identifier: MIT */
/*
 * device_ops.h - how the rest of libpto (schedulers, runtime, tests) talks
 * to a device beyond the public API, without touching the backend ops.
 * Internal.
 */
#ifndef PTO_DEVICE_OPS_H
#define PTO_DEVICE_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "libpto/device/device_impl.h"

/* The core emulator serving @dev, or NULL when its cores are hardware. */
static inline struct pto_sim *pto__device_sim(struct pto_device *dev)
{
	return dev->sim;
}

/* Doorbell after a release store of @core's DATA_MAIN_BASE. */
static inline void pto__device_kick(struct pto_device *dev, uint32_t core)
{
	dev->ops->kick(dev, core);
}

/*
 * Emulate @core once on the calling thread (sim.h pto_sim_serve(), @gate
 * as there).  Return: true if it did something; false on hardware, or when
 * another thread emulates @core right now.
 */
static inline bool pto__device_serve(struct pto_device *dev, uint32_t core,
				     const uint32_t *gate)
{
	return dev->sim && pto_sim_serve(dev->sim, core, gate);
}

/* Some thread is emulating @core right now (false on hardware). */
static inline bool pto__device_core_claimed(struct pto_device *dev, uint32_t core)
{
	return dev->sim && pto_sim_core_claimed(dev->sim, core);
}

/*
 * Announce a wait for the next FIN or EXITED any core publishes (or
 * pto__device_notify()); return its key.  Re-check COND after this, then
 * call exactly one of pto__device_wait_completion() and
 * pto__device_completion_cancel().
 */
static inline uint32_t pto__device_completion_prepare(struct pto_device *dev)
{
	return dev->ops->completion_prepare(dev);
}

/* Withdraw a pto__device_completion_prepare() whose re-check found what it wanted. */
static inline void pto__device_completion_cancel(struct pto_device *dev)
{
	dev->ops->completion_cancel(dev);
}

/*
 * Sleep until a FIN, EXITED or notify after the prepare that gave @key, or
 * CLOCK_MONOTONIC @deadline_ns (0 = none).  Spurious returns happen: re-check.
 */
static inline void pto__device_wait_completion(struct pto_device *dev, uint32_t key,
					       uint64_t deadline_ns)
{
	dev->ops->wait_completion(dev, key, deadline_ns);
}

/* Wake pto__device_wait_completion() sleepers without a FIN (new ready work, run end). */
static inline void pto__device_notify(struct pto_device *dev)
{
	dev->ops->notify(dev);
}

/*
 * pto__device_set_kernel() - make kernel @id callable by @dev's cores
 * (@fn NULL unregisters it).  Return: 0, -EINVAL for a bad id, or
 * -EOPNOTSUPP when the cores are hardware (they load kernels themselves).
 */
int pto__device_set_kernel(struct pto_device *dev, uint32_t id, pto_kernel_fn fn);
/* The same checks without the store: could kernel @id be set on @dev? */
int pto__device_kernel_check(const struct pto_device *dev, uint32_t id);

/*
 * pto__device_alloc_pinned() - device memory the device itself uses (for
 * backends at open): in the allocation table, so pto_mem_map() works on it,
 * but pto_mem_free() refuses it; released with the device.
 */
int pto__device_alloc_pinned(struct pto_device *dev, uint64_t size, uint64_t align,
			     uint64_t *addr);

/*
 * pto__device_alloc_runtime() / pto__device_free_runtime() - a runtime's
 * own device memory (its rings): like pto_mem_alloc(), but pto_mem_free()
 * refuses it, so a stale free of the program's cannot take it away from a
 * live runtime.  Freed only by the runtime (the second call).
 */
int pto__device_alloc_runtime(struct pto_device *dev, uint64_t size, uint64_t align,
			      uint64_t *addr);
void pto__device_free_runtime(struct pto_device *dev, uint64_t addr);

/*
 * pto__device_find() - is [@addr, @addr + @size) inside one live
 * allocation?  0 with that allocation's range in *@base and *@len, or
 * -EINVAL.  Sets no message.  *@gen gets dev->mem_gen as read before the
 * lookup: while it is unchanged, no allocation was freed since.
 */
int pto__device_find(struct pto_device *dev, uint64_t addr, uint64_t size, uint64_t *base,
		     uint64_t *len, uint32_t *gen);

/* The current free generation (see pto__device_find()); relaxed. */
static inline uint32_t pto__device_mem_gen(const struct pto_device *dev)
{
	return __atomic_load_n(&dev->mem_gen, __ATOMIC_RELAXED);
}

#endif /* PTO_DEVICE_OPS_H */
