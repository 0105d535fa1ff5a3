/* SPDX-License-Identifier: MIT */
/*
 * pto/host.h - one workload over several devices of a host.
 *
 * A group holds several devices, one runtime each.  The program declares
 * buffers (host buffers, whose home is the caller's memory, or device-only
 * buffers for intermediates) and submits device programs: an orchestration
 * function with its argument, a target device and the buffers it uses.
 * pto_group_run() runs every device's programs on its own runtime, all
 * devices at the same time, each program after the programs it depends on:
 * dependencies come from the buffer uses in submission order (read after
 * write, write after read and write after write, per whole buffer).  The
 * runtime makes every buffer a program reads valid on its device first,
 * copying it from the host copy or from the device that holds it, staged
 * through host memory (there is no peer path between devices); the user
 * never copies.  docs/scale-out.md has the model.
 *
 * Threading: every call takes the group from one thread at a time; during
 * pto_group_run() the group runs one thread per device.
 */
#ifndef PTO_HOST_H
#define PTO_HOST_H

#include <stdint.h>

#include "pto/device.h"
#include "pto/error.h"
#include "pto/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Devices of a group; buffers one program may use. */
#define PTO_GROUP_MAX_DEVICES	16
#define PTO_PROG_MAX_USES	16

/* How a device program uses a buffer (struct pto_use.mode). */
enum pto_use_mode {
	PTO_USE_IN = 1,		/* reads it: it is made valid on the device first */
	PTO_USE_OUT = 2,	/* overwrites all of it: nothing is copied in */
	PTO_USE_INOUT = 3,	/* reads and writes it */
};

/**
 * struct pto_use - one buffer of a device program.
 * @buf: the buffer id (pto_group_buffer(), pto_mpi_buffer()).
 * @mode: enum pto_use_mode.
 */
struct pto_use {
	uint32_t buf;
	uint32_t mode;
};

/**
 * struct pto_prog - what a device program receives.
 * @device: index of the device (in the group) or rank it runs on.
 * @index: the program's submission number (0 = first).
 * @num_uses: entries of @addr / @size, in the order of the uses given.
 * @addr: device address of each used buffer on this device.
 * @size: its bytes.
 * @arg: the argument given at submit.
 * @dev: the device (to map or fill a buffer from the orchestrator).
 */
struct pto_prog {
	struct pto_device *dev;
	uint32_t device;
	uint32_t index;
	uint32_t num_uses;
	uint64_t addr[PTO_PROG_MAX_USES];
	uint64_t size[PTO_PROG_MAX_USES];
	void *arg;
};

/**
 * typedef pto_prog_fn - a device program: an orchestration function run by
 * pto_run() on the device's runtime (pto/runtime.h rules apply inside).
 * @rt: the device's runtime.
 * @p: its device, buffers and argument.
 *
 * Return: 0, or a negative status (fails the workload).
 */
typedef int (*pto_prog_fn)(struct pto_runtime *rt, const struct pto_prog *p);

struct pto_group;

/**
 * pto_group_create() - open devices and make a runtime on each.
 * @specs: @n device specs (pto_device_open()); the same spec twice opens
 *	two devices (give mocks name= to tell them apart in traces).
 * @n: 1..%PTO_GROUP_MAX_DEVICES.
 * @cfg: runtime configuration for every device, or NULL for defaults.
 * @out: receives the group.
 *
 * Every runtime is created before any runs, so the affinity gate divides
 * the CPUs between them (docs/scale-out.md).
 *
 * Return: 0, -EINVAL for bad arguments, or the error of the device or
 * runtime that failed (pto_last_error() names it); nothing stays open.
 */
int pto_group_create(const char *const *specs, uint32_t n, const struct pto_runtime_config *cfg,
		     struct pto_group **out);

/* Close every runtime and device, free every buffer's device copies.  NULL: no-op. */
void pto_group_destroy(struct pto_group *g);

/* Devices in @g (0 for NULL). */
uint32_t pto_group_size(const struct pto_group *g);

/* The runtime / device of device @i, or NULL (bad @g or @i). */
struct pto_runtime *pto_group_runtime(struct pto_group *g, uint32_t i);
struct pto_device *pto_group_device(struct pto_group *g, uint32_t i);

/**
 * pto_group_register_kernel() - pto_register_kernel() on every device.
 * Return: 0 or the first device's error.
 */
int pto_group_register_kernel(struct pto_group *g, uint32_t id, enum pto2_core_type core_type,
			      pto_kernel_fn fn, const char *name);

/**
 * pto_group_buffer() - declare a buffer.
 * @g: group (not running).
 * @host: its host copy, @size bytes the caller keeps valid until
 *	pto_group_destroy(): read before the first program that reads it,
 *	written with the final value by pto_group_run().  NULL: a device-only
 *	buffer (starts undefined, no final copy; staged through host memory
 *	the runtime allocates when another device needs it).
 * @size: bytes, > 0.
 * @name: for messages (copied; NULL = "buffer<id>").
 * @id: receives the buffer id (0, 1, ... in declaration order).
 *
 * Return: 0, -EINVAL, -EBUSY while running, -ENOMEM.
 */
int pto_group_buffer(struct pto_group *g, void *host, uint64_t size, const char *name,
		     uint32_t *id);

/**
 * pto_group_submit() - add a device program.
 * @g: group (not running).
 * @device: index of the device to run it, 0..pto_group_size()-1.
 * @fn: the program.
 * @arg: passed in struct pto_prog.arg.
 * @uses: @n buffers it uses (each at most once).
 * @n: 0..%PTO_PROG_MAX_USES.
 *
 * Return: the program's index (>= 0), or -EINVAL (bad device, buffer id,
 * mode, a buffer used twice, NULL @fn), -EBUSY while running, -ENOMEM.
 */
int pto_group_submit(struct pto_group *g, uint32_t device, pto_prog_fn fn, void *arg,
		     const struct pto_use *uses, uint32_t n);

/**
 * pto_group_run() - run every submitted program.
 * @g: group.
 *
 * Devices run at the same time, each its programs in submission order,
 * each program once the programs it depends on finished and its input
 * buffers were copied in.  Then every host buffer holds its final value
 * and the program list is empty (buffers stay, valid where they are).
 *
 * Return: 0; otherwise the first failure (the program's own status, e.g.
 * %PTO_E_KERNEL_FAILED, with pto_last_error() naming device and program);
 * programs not yet started are not run.  %PTO_E_WAIT_TIMEOUT when a
 * program waited longer than the group's wait timeout (default 60 s,
 * pto_group_set_timeout()) for the programs it depends on.
 */
int pto_group_run(struct pto_group *g);

/* Bound of a program's wait for its dependencies, in ms (> 0).  Return 0 or -EINVAL. */
int pto_group_set_timeout(struct pto_group *g, uint32_t ms);

/**
 * struct pto_group_stats - what the last pto_group_run() moved and ran.
 * @programs: programs run.
 * @uploads, @upload_bytes: host -> device copies.
 * @downloads, @download_bytes: device -> host copies (staging and final).
 * @elapsed_ns: wall time of the run.
 */
struct pto_group_stats {
	uint64_t programs;
	uint64_t uploads, upload_bytes;
	uint64_t downloads, download_bytes;
	uint64_t elapsed_ns;
};

/* The last run's statistics.  Return 0 or -EINVAL. */
int pto_group_stats(const struct pto_group *g, struct pto_group_stats *st);

/**
 * pto_group_trace_write() - one Chrome/Perfetto trace of every device's
 * last run (runtimes created with %PTO_RT_TRACE), one host and one device
 * process per device, named after it, on one time axis.
 * Return: 0, -EINVAL when a device has no trace, -errno of the file.
 */
int pto_group_trace_write(const struct pto_group *g, const char *path);

#ifdef __cplusplus
}
#endif

#endif /* PTO_HOST_H */
