/* SPDX-License-Identifier: MIT */
/*
 * executor.h - what one core does with its register window.  Internal.
 *
 * The loop is cut into steps so that one thread can serve many emulated
 * cores (sim/) and a test can drive a core by hand:
 *
 *	pto_exec_poll()	acquire-load DATA_MAIN_BASE; a value that differs
 *			from the last one latched and is a dispatch id is new
 *			work: record start_ns, release-store ACK(id) to COND.
 *			EXIT: release-store PTO2_COND_EXITED.
 *	pto_exec_run()	run the kernel named by the payload, record status
 *			and end_ns, bump exec_count, release-store FIN(id).
 *
 * Pairing (see runtime/regs.h): the acquire of DATA_MAIN_BASE pairs with
 * the scheduler's release store after it wrote the payload; the release
 * stores of COND pair with the scheduler's acquire loads of COND before it
 * reads status and timestamps.
 *
 * An EXIT is latched like an id, so a later dispatch id (any id but the
 * one latched last) brings the core back: a new runtime may reuse a device
 * once every core acknowledged EXIT.  The core identity fields and
 * payload_addr of the window are written at bring-up by the device
 * backend; the executor reads them on every dispatch and never trusts
 * payload_addr, nor a spilled argument array's address, to be in range.
 */
#ifndef PTO_RUNTIME_EXECUTOR_H
#define PTO_RUNTIME_EXECUTOR_H

#include <stdint.h>

#include "pto2_abi.h"
#include "pto/kernel.h"

/*
 * Status of a dispatch whose payload_addr, or spilled argument array
 * (PTO2_PAYLOAD_SPILLED), lies outside device memory.
 */
#define PTO_EXEC_STATUS_BAD_PAYLOAD	(-14)	/* -EFAULT */

/**
 * struct pto_executor - one core's executor state.
 * @regs: the core's register window.
 * @gm: host address of device address 0.
 * @gm_size: bytes of device memory mapped at @gm.
 * @kernels: %PTO2_MAX_KERNELS entries indexed by kernel id, loaded with
 *	acquire at dispatch time (pairs with the release store that
 *	registers a kernel); NULL entries are unregistered ids.
 * @last: the last DATA_MAIN_BASE value latched (id, EXIT or IDLE).
 */
struct pto_executor {
	struct pto2_core_regs *regs;
	uint8_t *gm;
	uint64_t gm_size;
	pto_kernel_fn *kernels;
	uint32_t last;
};

enum pto_exec_event {
	PTO_EXEC_NONE = 0,	/* nothing new in DATA_MAIN_BASE */
	PTO_EXEC_TASK = 1,	/* a dispatch was latched and ACKed */
	PTO_EXEC_EXIT = 2,	/* EXIT was acknowledged (COND = EXITED) */
};

/* Set up @ex for a window whose DATA_MAIN_BASE has not been written yet. */
void pto_exec_init(struct pto_executor *ex, struct pto2_core_regs *regs, uint8_t *gm,
		   uint64_t gm_size, pto_kernel_fn *kernels);

/* Look for new work; on PTO_EXEC_TASK *@id is the ACKed dispatch id. */
enum pto_exec_event pto_exec_poll(struct pto_executor *ex, uint32_t *id);

/* Run dispatch @id (latched by pto_exec_poll()) and publish FIN(@id). */
void pto_exec_run(struct pto_executor *ex, uint32_t id);

/*
 * Publish the end of dispatch @id with @status without running anything
 * (status, end_ns, exec_count, then FIN): how pto_exec_run() ends, and how
 * an emulator injects a failure.
 */
void pto_exec_finish(struct pto_executor *ex, uint32_t id, int status);

/* pto_exec_poll() and, for a task, pto_exec_run(): one step of the loop. */
enum pto_exec_event pto_exec_step(struct pto_executor *ex);

#endif /* PTO_RUNTIME_EXECUTOR_H */
