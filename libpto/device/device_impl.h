/* SPDX-License-Identifier: MIT */
/*
 * device_impl.h - what a device backend (mock, kernel module) provides to
 * the rest of libpto.  Internal: not installed.
 *
 * The generic layer (device.c) parses the spec, keeps the table of live
 * allocations (device address -> host mapping) and implements the public
 * pto_mem_* calls on top of the backend's ops.  Backends: dev_mock.c (the
 * user-space mock device, sim/ engine over a memfd aperture) and dev_kmod.c
 * (/dev/pto2; on a soft device it attaches the same sim/ engine to the
 * module's windows and memory).
 */
#ifndef PTO_DEVICE_IMPL_H
#define PTO_DEVICE_IMPL_H

#include <pthread.h>
#include <stdint.h>

#include "pto/device.h"
#include "pto/kernel.h"
#include "sim/sim.h"

struct pto_sim;

/**
 * struct pto_mem_obj - one live allocation.
 * @addr: device address (never 0).
 * @size: bytes reserved (>= what was asked; the backend frees that).
 * @len: bytes asked for: the range a caller may map, copy and pass.
 * @host: host mapping of [addr, addr + size).
 * @handle: backend handle (kernel module handle; 0 for mock).
 * @flags: %PTO_MEM_OBJ_PINNED for memory the device itself uses (core
 *	payload buffers), %PTO_MEM_OBJ_RUNTIME for a runtime's rings: both
 *	mappable, but pto_mem_free() refuses them.
 */
struct pto_mem_obj {
	uint64_t addr;
	uint64_t size;
	uint64_t len;
	uint8_t *host;
	uint32_t handle;
	uint32_t flags;
};

#define PTO_MEM_OBJ_PINNED	0x1u
#define PTO_MEM_OBJ_RUNTIME	0x2u

/**
 * struct pto_device_ops - a backend.
 * @close: stop cores, unmap, free the backend's state (not @dev itself).
 * @mem_alloc: reserve @size bytes aligned to @align (power of two), fill
 *	@obj (addr, size, host, handle).  -ENOMEM when short.
 * @mem_free: release @obj (already removed from the table).
 * @kick: doorbell: DATA_MAIN_BASE of @core was just written (release).
 *	Emulated cores may be asleep; real hardware polls and ignores it.
 * @completion_prepare: announce a wait for the next FIN any core writes to
 *	COND (or @notify) and return its key; the caller then re-checks what
 *	it waits for and calls exactly one of @wait_completion and
 *	@completion_cancel (waiter.h's eventcount contract).
 * @completion_cancel: withdraw a @completion_prepare.
 * @wait_completion: sleep until a FIN or @notify after the prepare that
 *	gave @key, or the absolute CLOCK_MONOTONIC @deadline_ns; ends the
 *	announcement.  Callers re-check what they wait for.
 * @notify: wake @wait_completion sleepers without a FIN: a scheduler
 *	asleep on completions learns that new ready work appeared (one futex
 *	for both events, no second wait source).
 */
struct pto_device_ops {
	const char *name;
	void (*close)(struct pto_device *dev);
	int (*mem_alloc)(struct pto_device *dev, uint64_t size, uint64_t align,
			 struct pto_mem_obj *obj);
	void (*mem_free)(struct pto_device *dev, struct pto_mem_obj *obj);
	void (*kick)(struct pto_device *dev, uint32_t core);
	uint32_t (*completion_prepare)(struct pto_device *dev);
	void (*completion_cancel)(struct pto_device *dev);
	void (*wait_completion)(struct pto_device *dev, uint32_t key, uint64_t deadline_ns);
	void (*notify)(struct pto_device *dev);
};

/**
 * struct pto_device - an open device.
 * @ops: the backend.
 * @info: what pto_device_get_info() returns.
 * @regs: host pointer of each core's register window (info.num_cores).
 * @sim: the core emulator serving this device, or NULL on hardware.
 * @kernels: kernel table @sim reads (acquire) at dispatch; written with
 *	release by pto__device_set_kernel().
 * @priv: backend state.
 * @running: the runtime in pto_run() on this device, or NULL: one run per
 *	device at a time (claimed by CAS in pto_run(), runtime/runtime.c).
 * @stuck: set by the backend's close when a core thread was still in a
 *	kernel (pto_sim_stop()): the device and its memory are then left
 *	allocated, not freed under it.
 * @mem_gen: bumped (atomic, under @mem_lock) by every free, so a cached
 *	"this range is allocated" (pto__device_find()) knows it may be stale.
 * @busy_ns: per-core busy-time counters the engine adds to (a published
 *	mock's status page, mock_pub.h), or NULL; set before the engine starts.
 * @max_alloc: no object the backend hands out is larger: less than
 *	info.mem_size, since a device keeps its first page (no object has
 *	address 0); set by the backend's open.
 * @mem_lock: protects @objs and @num_objs.
 * @objs: live allocations sorted by addr.
 */
struct pto_device {
	const struct pto_device_ops *ops;
	struct pto_device_info info;
	struct pto2_core_regs **regs;
	struct pto_sim *sim;
	pto_kernel_fn kernels[PTO2_MAX_KERNELS];
	void *priv;
	struct pto_runtime *running;
	uint64_t *busy_ns;
	uint64_t max_alloc;

	bool stuck;
	uint32_t mem_gen;
	pthread_mutex_t mem_lock;
	struct pto_mem_obj *objs;
	uint32_t num_objs;
	uint32_t cap_objs;
};

/* Backend constructors: fill dev->ops/info/regs/sim/priv from the parsed spec. */
struct pto_mock_spec {
	uint32_t clusters;
	uint64_t mem_size;
	uint32_t workers;
	/* name=NAME or "mock<index>" from index=N; "mock" when neither */
	char name[32];
	/* fault=... options, in order (sim.h struct pto_sim_rule) */
	uint32_t num_faults;
	struct pto_sim_rule faults[PTO_SIM_MAX_RULES];
};
int pto__mock_open(struct pto_device *dev, const struct pto_mock_spec *spec);
int pto__kmod_open(struct pto_device *dev, const char *path);

/*
 * pto__device_init_windows() - for a backend whose cores libpto runs (at
 * open, after dev->regs and the allocator are up): pinned payload buffers
 * for every core, then each window's identity fields and payload address,
 * as firmware would.  Return: 0 or the error of the allocation.
 */
int pto__device_init_windows(struct pto_device *dev);

/*
 * pto__device_start_sim() - start @workers sim/ workers on dev->regs and
 * dev->kernels over the aperture [@gm, @gm + @gm_size); @on_fin(@arg) after
 * each FIN (may be NULL).  Sets dev->sim and dev->info.num_workers; call it
 * last, after pto__device_init_windows() (pthread_create orders those
 * writes before the workers' first look).  Return: 0 or pto_sim_start()'s
 * error, with a message.
 */
int pto__device_start_sim(struct pto_device *dev, uint8_t *gm, uint64_t gm_size,
			  uint32_t workers, void (*on_fin)(void *arg), void *arg);

#endif /* PTO_DEVICE_IMPL_H */
