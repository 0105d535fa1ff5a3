/* SPDX-License-Identifier: MIT */
/*
 * sim.h - the core emulator: runs the runtime/ executor for every core of
 * a device on a bounded pool of worker threads.  Internal: not installed.
 *
 * The engine owns no memory of its own: it is given the register windows
 * and the host address of device address 0 (the whole aperture mapped), so
 * it serves both the mock device (a memfd aperture) and the kernel module's
 * soft device (windows and memory mapped through ATTACH).
 *
 * Workers never outnumber what they were told (default: online CPUs); each
 * serves a fixed subset of cores, spins for a bounded budget when there is
 * nothing to do, then sleeps on a libpto/util/waiter doorbell that
 * pto_sim_kick() rings, so an idle device uses no CPU.  Other threads may
 * emulate cores too (pto_sim_serve()): one thread at a time per core,
 * whichever claims it first.
 */
#ifndef PTO_SIM_H
#define PTO_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "pto2_abi.h"
#include "pto/kernel.h"

struct pto_sim;

/**
 * struct pto_sim_config - what the engine serves.
 * @num_clusters: clusters; cores are 3 * @num_clusters, numbered per uapi.
 * @num_workers: worker threads, 1..num_cores.
 * @regs: register window of each core.
 * @gm: host address of device address 0.
 * @gm_size: bytes of the aperture.
 * @kernels: kernel table indexed by kernel id (%PTO2_MAX_KERNELS entries),
 *	read with acquire loads at dispatch time, so it may change between runs.
 * @on_fin: called by a worker after it published a FIN to COND (e.g. to
 *	signal the kernel module); may be NULL.
 * @on_fin_arg: passed to @on_fin.
 * @busy_ns: per core, nanoseconds spent in kernels (end_ns - start_ns of
 *	each dispatch it ran), added by the serving worker with relaxed stores
 *	for a monitor in another process (libpto/device/mock_pub.h); may be NULL.
 */
struct pto_sim_config {
	uint32_t num_clusters;
	uint32_t num_workers;
	struct pto2_core_regs **regs;
	uint8_t *gm;
	uint64_t gm_size;
	pto_kernel_fn *kernels;
	void (*on_fin)(void *arg);
	void *on_fin_arg;
	uint64_t *busy_ns;
};

/*
 * Fault knobs for tests.
 * HANG: the core ACKs the next dispatch and never FINs it (it still obeys EXIT).
 * SLOW: the core waits @param microseconds (1..10 s) between ACK and every
 *	kernel; its worker keeps serving its other cores meanwhile.
 * FAIL: the core's next dispatch does not run its kernel and reports
 *	status -@param (1..4095; 0 means -EIO), as a failing kernel would.
 * NONE: clear the core's faults.
 */
enum pto_sim_fault {
	PTO_SIM_FAULT_NONE = 0,
	PTO_SIM_FAULT_HANG = 1,
	PTO_SIM_FAULT_SLOW = 2,
	PTO_SIM_FAULT_FAIL = 3,
};

/*
 * struct pto_sim_rule - a fault that fires on matching dispatches (what a
 * device spec's fault= option becomes).  A dispatch matches when it goes
 * to core @core or runs kernel @kernel (exactly one of them set, the other
 * %PTO_SIM_ANY).  The first @after matching dispatches pass untouched; the
 * next @count (0 = every later one) get @fault: HANG (ACK, never FIN; the
 * core still obeys EXIT), FAIL (status -@param, 1..4095, without running
 * the kernel) or SLOW (wait @param microseconds, 1..10 s, then run).
 * Matches are counted device-wide, across runs and runtimes.
 */
#define PTO_SIM_ANY		UINT32_MAX
#define PTO_SIM_MAX_RULES	16

struct pto_sim_rule {
	enum pto_sim_fault fault;
	uint32_t core;
	uint32_t kernel;
	uint32_t after;
	uint32_t count;
	uint32_t param;
};

/* Start the workers.  Return: 0, -EINVAL, -ENOMEM, or -errno of pthread_create. */
int pto_sim_start(const struct pto_sim_config *cfg, struct pto_sim **out);

/*
 * Stop and join the workers (cores need not have seen EXIT), free the
 * engine.  false when a worker was still in a kernel after 2 s: it is
 * detached and the engine left allocated, and the caller must leave
 * everything that worker can touch (device memory, register windows, the
 * device) mapped and allocated too: a leak, not a hang.
 */
bool pto_sim_stop(struct pto_sim *sim);

/* Doorbell: @core's DATA_MAIN_BASE changed; wake its worker if it sleeps. */
void pto_sim_kick(struct pto_sim *sim, uint32_t core);

/*
 * pto_sim_serve() - emulate @core once on the calling thread, if no other
 * thread does right now: latch and ACK a new DATA_MAIN_BASE value, run the
 * kernel, publish FIN (or obey EXIT, or apply a fault).  What a scheduler
 * that just rang @core's doorbell calls instead of waking a worker
 * (docs/runtime.md, "Emulating the cores").  A SLOW dispatch is handed to
 * the core's worker.  Kernels run to completion on the caller's thread.
 * @gate: NULL, or a word the dispatcher stores (relaxed) before each
 *	doorbell store (release): the core is served only if it is non-zero
 *	for the dispatch found, which the claim pins down (a helper that only
 *	takes some classes of dispatch).
 * Return: true if the core did something; false at once when it has
 * nothing new, another thread is on it, or @gate says no.
 */
bool pto_sim_serve(struct pto_sim *sim, uint32_t core, const uint32_t *gate);

/* Some thread emulates @core right now (relaxed: a hint for spinning). */
bool pto_sim_core_claimed(struct pto_sim *sim, uint32_t core);

/*
 * Completion eventcount (libpto/util/waiter.h): announce a wait for the
 * next FIN any core publishes and return its key; re-check, then call
 * exactly one of pto_sim_wait_completion() and pto_sim_completion_cancel().
 * A FIN with nobody announced costs a fence and a load.
 */
uint32_t pto_sim_completion_prepare(struct pto_sim *sim);

/* Withdraw a pto_sim_completion_prepare(). */
void pto_sim_completion_cancel(struct pto_sim *sim);

/* Wake the announced completion waiters without a FIN (new ready work for a scheduler). */
void pto_sim_notify(struct pto_sim *sim);

/* Sleep until a FIN or notify after the prepare that gave @key, or CLOCK_MONOTONIC @deadline_ns. */
void pto_sim_wait_completion(struct pto_sim *sim, uint32_t key, uint64_t deadline_ns);

/* Inject a fault into @core.  Return: 0 or -EINVAL. */
int pto_sim_set_fault(struct pto_sim *sim, uint32_t core, enum pto_sim_fault fault,
		      uint32_t param);

/*
 * Add a fault rule (any time; workers pick it up at their next dispatch).
 * Return: 0, -EINVAL for bad fields (a core or kernel out of range), or
 * -ENOSPC when %PTO_SIM_MAX_RULES rules exist.
 */
int pto_sim_add_rule(struct pto_sim *sim, const struct pto_sim_rule *rule);

#endif /* PTO_SIM_H */
