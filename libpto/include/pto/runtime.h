/* SPDX-License-Identifier: MIT */
/*
 * pto/runtime.h - the task runtime: orchestration, tensors, scopes.
 *
 * An application creates a runtime on an open device, registers the
 * kernels its tasks run, and calls pto_run() with an orchestration
 * function.  pto_run() runs that function on the orchestrator thread (the
 * calling thread) while scheduler threads dispatch the submitted tasks to
 * the device's cores; it returns when the function returned and every task
 * retired, or at the first error.
 *
 * Inside the orchestration function tasks are submitted with argument lists
 * (struct pto_args).  In an AUTO scope (the default) dependencies come from
 * the tensors (read-after-write): a task that reads a region of a buffer
 * depends on every still-live task that wrote an overlapping region and was
 * not superseded.  An INOUT writer supersedes the earlier writers of the
 * region it covers (it waited for them), so after a chain of INOUT writers
 * a reader depends on the last one only.  An OUTPUT_EXISTING writer does not
 * (it waited for nobody), so a reader after it depends on it and on the
 * earlier writers too, unless the runtime can see that it is ordered after
 * them (through its own producers, among the 64 tasks before it in its ring).
 * Regions are related only within one buffer: tensors made by separate
 * pto_tensor_external() calls at different addresses are never seen to
 * overlap, even when their bytes do; make one tensor of the buffer and take
 * views of it (pto_tensor_view()).
 *
 * Write-after-read, and write-after-write through OUTPUT_EXISTING, depend
 * on pto_runtime_config.hazards (enum pto_hazard_mode).  With the default,
 * %PTO_HAZARDS_RAW (the reference design's RAW-only semantics), they are
 * NOT tracked: a writer submitted after a reader of the same region does
 * not wait for that reader, and two OUTPUT_EXISTING writers of one region
 * run in either order (the region ends with either one's data); make the
 * reader or the second writer INOUT, or add the edge (pto_args_add_dep(),
 * pto_add_dependency()), when that order matters.  %PTO_HAZARDS_TRACK adds
 * those edges; %PTO_HAZARDS_CHECK refuses a submit that leaves one out
 * (%PTO_E_HAZARD).  Runtime-created outputs are always safe: their memory
 * is recycled only after every task that used them completed.
 *
 * Errors: every call below returns a negative status and sets
 * pto_last_error().  A call that takes the runtime and fails inside the
 * orchestration function fails the run (pto_run() returns the first such
 * error, whatever the function returns afterwards, and later calls return
 * %PTO_E_ABORTED), except when it was made outside pto_run() or from
 * another thread, which leaves the run alone.  Calls that build tensors and
 * argument lists (pto_tensor_external/create/view(), pto_arg_*()) take no
 * runtime: they only return (or latch, for pto_submit() to report) the
 * error.
 *
 * How each argument kind behaves in an AUTO scope:
 *
 *	kind             waits for earlier writers   becomes the writer   buffer
 *	INPUT            yes (overlapping)           no (a reader)        existing
 *	OUTPUT           no                          no (*)               new, from the heap ring
 *	INOUT            yes (overlapping)           yes                  existing
 *	OUTPUT_EXISTING  no (track: yes)             yes                  existing
 *	NO_DEP           no                          no                   existing
 *
 *	(*) consumers of a runtime-created output find its creator through
 *	    pto_tensor.owner, so every non-OUTPUT argument also depends on the
 *	    task that created its buffer while that task is alive.
 *
 * Writers (INOUT, OUTPUT_EXISTING) wait for earlier overlapping readers
 * (INPUT) only with %PTO_HAZARDS_TRACK.  Readers are remembered in every
 * mode while alive: pto_tensor_write() waits for them.
 *
 * A tensor marked with pto_tensor_set_manual_dep() skips the overlap
 * tracking (writers and readers, in every hazard mode) but still depends
 * on its creator: a sharp tool for tensors whose ordering the program
 * already guarantees by other edges.
 *
 * In a MANUAL scope, dependencies between tasks of that scope come only from
 * pto_add_dependency(); tensors from outside the scope still get their
 * boundary dependencies from the overlap tracking (INPUT/INOUT wait for
 * outer writers, INOUT/OUTPUT_EXISTING on outer tensors become the writer
 * seen by later outer tasks).  Tasks of a manual scope start only after
 * pto_scope_end() publishes the scope.  Per argument kind, in a MANUAL scope:
 *
 *	kind             tensor from outside the scope       tensor created inside
 *	INPUT            waits for outer writers + creator    explicit edges only
 *	OUTPUT           -                                    explicit edges only
 *	INOUT            waits for outer writers + creator,   explicit edges only
 *	                 becomes the writer outer tasks see
 *	OUTPUT_EXISTING  becomes the writer outer tasks see   explicit edges only
 *	NO_DEP           creator only                         explicit edges only
 *
 * A task of a manual scope that uses a tensor created inside the scope
 * does not wait for its creator (that edge must be explicit, like every
 * edge between tasks of the scope), but it holds the creator's buffer:
 * the buffer is recycled only after every task that used it completed,
 * however the explicit edges reach the creator.
 *
 * In explicit-only mode (PTO_DEPS_EXPLICIT) there is no overlap tracking
 * anywhere: every edge is explicit, plus creator retention; a blocking
 * tensor access waits for every published task.
 *
 * Threading: every call below except pto_runtime_create/destroy,
 * pto_register_kernel and pto_run must be made from inside the
 * orchestration function, on the thread that called pto_run().
 */
#ifndef PTO_RUNTIME_H
#define PTO_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "pto2/pto2_abi.h"
#include "pto/device.h"
#include "pto/error.h"
#include "pto/kernel.h"

#ifdef __cplusplus
extern "C" {
#endif

struct pto_runtime;

/* Scope depths 0..PTO_NUM_RINGS-1 have their own ring; deeper scopes share the last. */
#define PTO_NUM_RINGS			4
/*
 * Explicit dependencies one pto_args may carry (pto_args_add_dep()).  A
 * task takes at most %PTO2_MAX_TENSOR_ARGS (128) tensor and
 * %PTO2_MAX_SCALAR_ARGS (24) scalar arguments (uapi/pto2_abi.h).
 */
#define PTO_MAX_ARG_DEPS		128
/* A task id: (ring << 32) | per-ring sequence; never negative. */
#define PTO_TASK_NONE			(-1LL)
/* No kernel in this lane of a launch. */
#define PTO_NO_KERNEL			(-1)

/* --- configuration ------------------------------------------------------- */

/**
 * enum pto_dep_mode - where dependencies come from.
 * @PTO_DEPS_AUTO: overlap tracking (TensorMap) in AUTO scopes, explicit
 *	edges in MANUAL scopes; tasks of AUTO scopes are published at submit.
 * @PTO_DEPS_EXPLICIT: no overlap tracking at all; dependencies come only
 *	from pto_add_dependency() and creator retention; every scope
 *	publishes its tasks at its end.
 */
enum pto_dep_mode {
	PTO_DEPS_AUTO = 0,
	PTO_DEPS_EXPLICIT = 1,
};

/**
 * enum pto_hazard_mode - what an AUTO scope does about write-after-read
 * (and write-after-write through OUTPUT_EXISTING), which the overlap
 * tracking alone does not order.  Only PTO_DEPS_AUTO runtimes track
 * anything; explicit-only mode ignores the setting.
 * @PTO_HAZARDS_RAW: read-after-write only, the reference system's
 *	semantics: a writer does not wait for earlier readers of its region,
 *	nor an OUTPUT_EXISTING writer for earlier writers.  The program orders
 *	them itself (INOUT, pto_args_add_dep()).
 * @PTO_HAZARDS_TRACK: the runtime adds those edges: a writer (INOUT,
 *	OUTPUT_EXISTING) depends on every live task that read an overlapping
 *	region, and an OUTPUT_EXISTING writer also on every live overlapping
 *	writer.  AUTO programs then compute what sequential execution does.
 *	Inside a manual scope only edges to tasks outside it are added.
 * @PTO_HAZARDS_CHECK: RAW semantics, but pto_submit() of a writer in an
 *	AUTO scope fails with %PTO_E_HAZARD when a task that read (or, for
 *	OUTPUT_EXISTING, wrote) an overlapping region has not finished and is
 *	not ordered before the writer (by any chain of edges); the message
 *	names both tasks and the region.  A sanitizer for task graphs: it sees
 *	an unordered pair only while the earlier task is unfinished, so a
 *	graph it passes once may still race under other timing.
 */
enum pto_hazard_mode {
	PTO_HAZARDS_RAW = 0,
	PTO_HAZARDS_TRACK = 1,
	PTO_HAZARDS_CHECK = 2,
};

/* pto_runtime_config.flags */
#define PTO_RT_TRACE			(1u << 0)	/* record a trace of each run */
#define PTO_RT_NO_DUAL_ISSUE		(1u << 1)	/* one task per core at a time */
/* print nothing at all, even with PTO_RT_VERBOSE or PTO_VERBOSE=1 */
#define PTO_RT_QUIET			(1u << 2)
/* print the thread layout and its placement warnings on stderr when created */
#define PTO_RT_VERBOSE			(1u << 3)
/*
 * emulated cores (mock and soft devices) run only on the device's core
 * workers, never on the run's own threads: the model before inline
 * emulation (docs/runtime.md, "Emulating the cores"); for comparison
 */
#define PTO_RT_WORKER_CORES		(1u << 4)

/**
 * struct pto_runtime_config - how a runtime is built.
 * @task_window: task slots per ring (power of two, >= 4).
 * @heap_size: bytes of the heap ring (runtime-created outputs) per ring.
 * @dep_pool: dependency-list entries per ring (>= 4).  Entries, not edges:
 *	a submitted task takes one per producer still running (plus, in a
 *	manual scope, one per creator of a scope-created tensor it uses), each
 *	pto_add_dependency() edge two.  They are freed in ring order as tasks
 *	retire.
 * @num_schedulers: scheduler threads; 0 = derived from the CPU allowlist.
 * @wiring: 1 = a wiring thread takes fanin/fanout wiring, ready pushes and
 *	ring retirement off the orchestrator and schedulers (it publishes
 *	last_task_alive in batches, at once while the orchestrator waits on
 *	the ring and at the end of the run).  Results are identical either
 *	way; it pays only with a CPU to spare for it (docs/runtime.md).
 * @dep_mode: enum pto_dep_mode.
 * @cpus: CPU allowlist ("0,1", "0-3"); the last CPU runs the orchestrator,
 *	the one before it the wiring thread when enabled, the rest the
 *	schedulers.  NULL = $PTO_CPUS, else the device's recommendation, else
 *	all CPUs of the process's affinity mask.
 * @stall_timeout_ms: wall-clock backstop for any wait that makes no
 *	progress (ring back-pressure in pto_submit(), dependency-pool space
 *	in pto_add_dependency(), blocking tensor access, and the drain
 *	after @fn returned: no task completing and none running, e.g. a
 *	dependency cycle, fails with %PTO_E_RUN_STALL); then the run fails
 *	with a diagnostic instead of hanging.
 * @core_timeout_ms: a task a core does not finish within this time fails
 *	the run with %PTO_E_CORE_HANG naming core, task and kernel.  On the
 *	mock and soft devices a kernel seen to be short runs on a runtime
 *	thread, which then cannot time it out: one that later never returns
 *	holds the run (PTO_INLINE_CORES=0 keeps every kernel where this
 *	timeout applies; docs/runtime.md, "Emulating the cores").
 * @flags: PTO_RT_*.
 * @trace_records: per-run trace capacity in task records (0 = default,
 *	at most 2^30 - 1).
 * @hazards: enum pto_hazard_mode; default %PTO_HAZARDS_RAW (docs/runtime.md
 *	says why), $PTO_HAZARDS = raw | track | check overrides it.
 */
struct pto_runtime_config {
	uint32_t task_window[PTO_NUM_RINGS];
	uint64_t heap_size[PTO_NUM_RINGS];
	uint32_t dep_pool[PTO_NUM_RINGS];
	uint32_t num_schedulers;
	uint32_t wiring;
	uint32_t dep_mode;
	const char *cpus;
	uint32_t stall_timeout_ms;
	uint32_t core_timeout_ms;
	uint32_t flags;
	uint32_t trace_records;
	uint32_t hazards;
};

/**
 * pto_runtime_config_init() - defaults, then environment overrides.
 * @cfg: filled in.
 *
 * Defaults: 16384 slots, 64 MiB heap and 16384 dep entries per ring,
 * schedulers from the CPUs, no wiring thread, AUTO deps, raw hazards, 5 s
 * stall and 10 s core timeouts, quiet.  Environment (docs/env.md):
 * PTO2_RING_TASK_WINDOW, PTO2_RING_HEAP, PTO2_RING_DEP_POOL (one value for
 * every ring, or four comma-separated values), PTO_SCHEDULERS, PTO_WIRING
 * (0/1), PTO_CPUS, PTO_HAZARDS (raw, track or check), PTO_VERBOSE (1 sets
 * %PTO_RT_VERBOSE), PTO_INLINE_CORES (0 sets %PTO_RT_WORKER_CORES);
 * PTO_SCHED_SPIN_NS (0..1000000000) is only checked here, not a field:
 * pto_runtime_create() reads it.
 *
 * Return: 0, or -EINVAL when an environment variable is malformed, a ring
 * variable included with any other number of values (pto_last_error()
 * names the variable and its value); @cfg then holds the defaults.
 */
int pto_runtime_config_init(struct pto_runtime_config *cfg);

/**
 * pto_runtime_create() - build a runtime on a device.
 * @dev: an open device; must outlive the runtime.
 * @cfg: configuration, or NULL for pto_runtime_config_init() defaults.
 * @out: receives the runtime.
 *
 * Allocates the rings in device memory and checks the configuration (sizes,
 * CPU allowlist).  Threads start in pto_run().  Prints nothing unless
 * @cfg has %PTO_RT_VERBOSE, except once per process, at the first runtime
 * not created with %PTO_RT_QUIET: a warning on stderr for each PTO_* /
 * PTO2_* environment variable libpto does not know (a typo).
 *
 * Return: 0, -EINVAL for a bad configuration (the message names the field)
 * or a malformed $PTO_SCHED_SPIN_NS, -ENOMEM when device or host memory is
 * short.
 */
int pto_runtime_create(struct pto_device *dev, const struct pto_runtime_config *cfg,
		       struct pto_runtime **out);

/**
 * pto_runtime_destroy() - free a runtime.
 * @rt: runtime, or NULL (no-op).  Must not be inside pto_run().
 */
void pto_runtime_destroy(struct pto_runtime *rt);

/**
 * pto_register_kernel() - make a kernel available to tasks.
 * @rt: runtime (not inside pto_run()).
 * @id: kernel id, 0..%PTO2_MAX_KERNELS-1; re-registering replaces it.
 * @core_type: enum pto2_core_type the kernel runs on.
 * @fn: the kernel.
 * @name: for traces and error messages (copied; NULL = "kernel<id>").
 *
 * Runtimes sharing a device each keep their own kernels: a run uses the
 * kernels of its runtime only.
 *
 * Return: 0, or -EINVAL for a bad id, type or NULL @fn, -EBUSY while @rt is
 * in pto_run() (called from its orchestration function, this fails the
 * run), -ENOMEM, -EOPNOTSUPP on a device whose cores load their kernels
 * themselves.
 */
int pto_register_kernel(struct pto_runtime *rt, uint32_t id, enum pto2_core_type core_type,
			pto_kernel_fn fn, const char *name);

/**
 * typedef pto_orch_fn - an orchestration function.
 * @rt: the runtime to submit to.
 * @arg: the pointer given to pto_run().
 *
 * Return: 0, or a negative status to abort the run (pto_run() returns it);
 * a positive value is a misuse the run fails with (-EINVAL).
 */
typedef int (*pto_orch_fn)(struct pto_runtime *rt, void *arg);

/**
 * pto_run() - run an orchestration function to completion.
 * @rt: runtime.
 * @fn: orchestration function, run on the calling thread inside an outer
 *	AUTO scope.
 * @arg: passed to @fn.
 *
 * Return: 0 once every task retired; otherwise the first error of the run
 * (a failing kernel (%PTO_E_KERNEL_FAILED), a hung core (%PTO_E_CORE_HANG),
 * a stalled ring, a drain in which no task can complete (%PTO_E_RUN_STALL,
 * naming a few stuck tasks, the producers each waits on and the rings'
 * occupancy), a failed call inside @fn, or
 * @fn's own negative return), with pto_last_error() naming the task,
 * kernel, core or ring.  @fn returning with a scope it opened still open is
 * a misuse too: the run fails with -EINVAL ("N scope(s) still open");
 * pto_run() releases those scopes only to drain the rings, it does not
 * complete the run for @fn.  Every core is stopped either way and the
 * runtime can run again.
 * One run per device at a time: runtimes of one device run one after the
 * other, each with its own kernels; a pto_run() while another runtime of
 * the device is in its run is refused.
 * Before the run starts: -EINVAL for NULL arguments; -EBUSY while another
 * runtime of the device is in pto_run(), or @rt itself is (from its
 * orchestration function this also fails that run); -ENOMEM when the trace
 * buffers do not fit.
 */
int pto_run(struct pto_runtime *rt, pto_orch_fn fn, void *arg);

/**
 * struct pto_run_stats - timings of the last pto_run().
 * @tasks: tasks submitted.
 * @elapsed_ns: pto_run() wall time.
 * @orch_ns: time inside the orchestration function (includes blocking).
 * @sched_ns: from the first dispatch to the last retirement.
 * @orch_blocked_ns: orchestrator time spent waiting on ring back-pressure.
 * @dispatches: core dispatches (SPMD blocks and MIX lanes count each).
 * @trace_dropped: trace records that did not fit (0 without tracing).
 * @orch_cpu_ns: the runtime's own cost on the orchestrator: the calling
 *	thread's CPU time inside the orchestration function (submits, scopes,
 *	the user's own code), waits excluded (ring back-pressure and blocking
 *	tensor access, with the emulated cores it ran meanwhile).
 * @sched_cpu_ns: the runtime's own cost on its scheduler threads and the
 *	wiring thread: their CPU time (dispatch, completion, release,
 *	retirement, idling spins) minus the time they ran emulated cores.
 * @emulated_ns: wall time scheduler threads spent running emulated cores
 *	(mock and soft devices; 0 on hardware and with %PTO_RT_WORKER_CORES).
 */
struct pto_run_stats {
	uint64_t tasks;
	uint64_t elapsed_ns;
	uint64_t orch_ns;
	uint64_t sched_ns;
	uint64_t orch_blocked_ns;
	uint64_t dispatches;
	uint64_t trace_dropped;
	uint64_t orch_cpu_ns;
	uint64_t sched_cpu_ns;
	uint64_t emulated_ns;
};

/**
 * pto_run_stats() - timings of the last completed pto_run().
 * @rt: runtime.
 * @stats: filled in (zeros before the first run).
 *
 * Return: 0, or -EINVAL for NULL arguments.
 */
int pto_run_stats(const struct pto_runtime *rt, struct pto_run_stats *stats);

/* --- tensors ---------------------------------------------------------------- */

/* pto_tensor.flags */
#define PTO_TENSOR_MANUAL_DEP		(1u << 0)	/* skip overlap tracking */
#define PTO_TENSOR_UNALLOCATED		(1u << 1)	/* created, buffer not yet assigned */

/**
 * struct pto_tensor - a view of a dense row-major buffer in device memory.
 *
 * A plain value: copy it freely.  Fill it with the functions below, never
 * by hand.
 *
 * @addr: device address of the buffer (0 while %PTO_TENSOR_UNALLOCATED).
 * @size: buffer bytes.
 * @owner: task that created the buffer, or %PTO_TASK_NONE.
 * @dtype: enum pto2_dtype.
 * @ndims: dimensions in use, 1..%PTO2_MAX_DIMS.
 * @shapes: view shape.
 * @raw_shapes: buffer shape.
 * @offsets: view offset per dimension, in elements.
 * @flags: PTO_TENSOR_*.
 * @version: reserved, 0.
 */
struct pto_tensor {
	uint64_t addr;
	uint64_t size;
	int64_t owner;
	uint32_t dtype;
	uint32_t ndims;
	uint32_t shapes[PTO2_MAX_DIMS];
	uint32_t raw_shapes[PTO2_MAX_DIMS];
	uint32_t offsets[PTO2_MAX_DIMS];
	uint32_t flags;
	uint32_t version;
};

/**
 * pto_tensor_external() - a tensor over existing device memory.
 * @t: filled in.
 * @addr: device address of the first element (from pto_mem_alloc()).
 * @dtype: enum pto2_dtype.
 * @ndims: 1..%PTO2_MAX_DIMS.
 * @shape: @ndims extents, each > 0.
 *
 * Return: 0, or -EINVAL (zero address, bad dtype, ndims or extent, size
 * overflow).
 */
int pto_tensor_external(struct pto_tensor *t, uint64_t addr, enum pto2_dtype dtype,
			uint32_t ndims, const uint32_t *shape);

/**
 * pto_tensor_create() - describe a tensor the runtime allocates.
 * @t: filled in (%PTO_TENSOR_UNALLOCATED).
 * @dtype, @ndims, @shape: as for pto_tensor_external().
 *
 * Pass @t as an OUTPUT argument: pto_submit() allocates it from the heap
 * ring and sets @t->addr and @t->owner.  The buffer lives until every task
 * that uses it retired and its scope ended; do not use @t after its scope:
 * pto_submit() and pto_tensor_read/write() refuse it with -EINVAL (the
 * memory may already belong to another task).
 *
 * Return: 0, or -EINVAL.
 */
int pto_tensor_create(struct pto_tensor *t, enum pto2_dtype dtype, uint32_t ndims,
		      const uint32_t *shape);

/**
 * pto_tensor_view() - a sub-region of a tensor.
 * @view: filled in (may be @t).
 * @t: source tensor (allocated).
 * @shape: @t->ndims extents of the view, each > 0.
 * @offsets: @t->ndims offsets relative to @t's view, or NULL for zeros.
 *
 * Return: 0, or -EINVAL when the view does not fit inside @t.
 */
int pto_tensor_view(struct pto_tensor *view, const struct pto_tensor *t, const uint32_t *shape,
		    const uint32_t *offsets);

/**
 * pto_tensor_set_manual_dep() - exempt a tensor from overlap tracking.
 * @t: tensor.
 * @on: 1 to exempt, 0 to track again.
 *
 * Submits skip its TensorMap lookup and insert (its creator still counts),
 * and a blocking pto_tensor_read/write() of it waits only for its creator,
 * also in explicit-only mode: for tensors no task writes (control data the
 * orchestration reads), or whose order other edges already guarantee.
 */
void pto_tensor_set_manual_dep(struct pto_tensor *t, int on);

/* Elements in @t's view. */
uint64_t pto_tensor_numel(const struct pto_tensor *t);

/* --- argument lists --------------------------------------------------------- */

enum pto_arg_kind {
	PTO_ARG_INPUT = 0,
	PTO_ARG_OUTPUT = 1,
	PTO_ARG_INOUT = 2,
	PTO_ARG_OUTPUT_EXISTING = 3,
	PTO_ARG_NO_DEP = 4,
};

/**
 * struct pto_args - the arguments of one task.
 *
 * Build with pto_args_init() and the pto_arg_*() calls; the first mistake is
 * latched in @error (with its message) and reported by pto_submit().
 * Tensors are referenced, not copied: they must stay valid until submit.
 * Kernels see tensors in the order added, then scalars in the order added.
 * Limits: %PTO2_MAX_TENSOR_ARGS (128) tensors, %PTO2_MAX_SCALAR_ARGS (24)
 * scalars, %PTO_MAX_ARG_DEPS (128) explicit dependencies; one more is
 * latched as -EINVAL naming the limit.  A task with more than
 * %PTO2_PAYLOAD_ARGS (56) tensors + scalars has its argument array read
 * from device memory (PTO2_PAYLOAD_SPILLED), invisibly to kernels that use
 * the pto_kernel_*() accessors.
 */
struct pto_args {
	uint32_t num_tensors;
	uint32_t num_scalars;
	uint32_t num_deps;
	int32_t error;
	uint8_t kinds[PTO2_MAX_TENSOR_ARGS];
	struct pto_tensor *tensors[PTO2_MAX_TENSOR_ARGS];
	uint64_t scalars[PTO2_MAX_SCALAR_ARGS];
	int64_t deps[PTO_MAX_ARG_DEPS];
	char error_msg[128];
};

/* Reset @a to an empty list. */
void pto_args_init(struct pto_args *a);
/* Add a tensor argument of @kind (enum pto_arg_kind). */
void pto_arg_tensor(struct pto_args *a, struct pto_tensor *t, enum pto_arg_kind kind);
/* pto_arg_tensor() with the kind its name says. */
void pto_arg_input(struct pto_args *a, struct pto_tensor *t);
void pto_arg_output(struct pto_args *a, struct pto_tensor *t);
void pto_arg_inout(struct pto_args *a, struct pto_tensor *t);
void pto_arg_output_existing(struct pto_args *a, struct pto_tensor *t);
void pto_arg_no_dep(struct pto_args *a, struct pto_tensor *t);
/* Add a 64-bit scalar (raw bits). */
void pto_arg_scalar(struct pto_args *a, uint64_t v);
/* Add a float scalar (read back with pto_kernel_scalar_f32()). */
void pto_arg_scalar_f32(struct pto_args *a, float v);
/* Add an explicit dependency on an earlier task (any scope mode). */
void pto_args_add_dep(struct pto_args *a, int64_t producer);

/* --- submitting ------------------------------------------------------------- */

/* pto_launch.flags */
#define PTO_LAUNCH_SYNC_START		(1u << 0)	/* all blocks start together */

/**
 * struct pto_launch - what runs a task.
 * @aic: AIC kernel id, or %PTO_NO_KERNEL.
 * @aiv0: kernel of AIV lane 0, or %PTO_NO_KERNEL.
 * @aiv1: kernel of AIV lane 1, or %PTO_NO_KERNEL.
 * @block_num: SPMD logical blocks (0 or 1 = one block), at most 65535.
 * @flags: PTO_LAUNCH_*.
 *
 * One kernel = a single-core task; two or three = a MIX task that runs its
 * lanes on one cluster with the same arguments.
 */
struct pto_launch {
	int32_t aic;
	int32_t aiv0;
	int32_t aiv1;
	uint32_t block_num;
	uint32_t flags;
};

/**
 * pto_submit() - submit a task.
 * @rt: runtime (inside pto_run()).
 * @launch: kernels and SPMD shape.
 * @args: arguments; OUTPUT tensors are allocated and written back.
 *
 * May block while the task's ring is full (back-pressure).
 *
 * Return: the task id (>= 0), or a negative status: -EINVAL (bad launch or
 * args, unknown kernel, a runtime-created tensor used after its creator's
 * scope ended, an external tensor whose buffer is not inside one live
 * allocation of the run's device, one tensor passed as OUTPUT twice, more than %PTO2_MAX_TENSOR_ARGS tensors, %PTO2_MAX_SCALAR_ARGS
 * scalars or %PTO_MAX_ARG_DEPS explicit dependencies: the message names the
 * limit), %PTO_E_HAZARD (hazards=check: a write not ordered after an
 * unfinished overlapping read or write; the message names both tasks, their
 * kernels and the region), %PTO_E_SYNC_START (can never fit the device),
 * %PTO_E_SCOPE_DEADLOCK (the scope cannot fit its ring's window or heap,
 * or the ring can never advance because its oldest task is held only by
 * tasks waiting for an open scope's end), %PTO_E_DEP_POOL (the ring's live
 * tasks all belong to open scopes and their dependency entries plus this
 * task's exceed the pool), %PTO_E_RING_STALL (no progress for
 * @stall_timeout_ms), %PTO_E_ABORTED (the run already failed).  A failed
 * submit fails the run.
 */
int64_t pto_submit(struct pto_runtime *rt, const struct pto_launch *launch, struct pto_args *args);

/* Single-kernel conveniences for pto_submit(). */
int64_t pto_submit_aic(struct pto_runtime *rt, uint32_t kernel, struct pto_args *args);
int64_t pto_submit_aiv(struct pto_runtime *rt, uint32_t kernel, struct pto_args *args);

/* --- scopes and explicit dependencies ---------------------------------------- */

enum pto_scope_mode {
	PTO_SCOPE_AUTO = 0,
	PTO_SCOPE_MANUAL = 1,
};

/**
 * pto_scope_begin() - open a scope.
 * @rt: runtime.
 * @mode: enum pto_scope_mode.
 *
 * Tasks of a scope live in the ring of its depth; their runtime-created
 * outputs are recycled only after the scope ended.
 *
 * Return: 0, or %PTO_E_NESTED_MANUAL for a scope (of either mode) inside a
 * manual scope, -EINVAL for a bad mode or too deep nesting.
 */
int pto_scope_begin(struct pto_runtime *rt, enum pto_scope_mode mode);

/**
 * pto_scope_end() - close the innermost scope (publishing a manual or
 * explicit-mode scope's tasks).
 * @rt: runtime.
 *
 * Return: 0, or -EINVAL when no scope is open.
 */
int pto_scope_end(struct pto_runtime *rt);

/*
 * PTO_SCOPE(rt) { ... } or PTO_SCOPE(rt, PTO_SCOPE_MANUAL) { ... }: a block
 * inside a scope.  Leave it by falling off its end (not break/return/goto).
 */
#define PTO__SCOPE_PICK(_1, _2, name, ...) name
#define PTO__CAT2(a, b) a##b
#define PTO__CAT(a, b) PTO__CAT2(a, b)
/* one loop variable per line, so nested scopes do not shadow each other */
#define PTO__SCOPE3(rt, mode, once) \
	for (int once = (pto_scope_begin((rt), (mode)), 0); !once; \
	     once = (pto_scope_end(rt), 1))
#define PTO__SCOPE2(rt, mode) PTO__SCOPE3(rt, mode, PTO__CAT(pto__once_, __LINE__))
#define PTO__SCOPE1(rt) PTO__SCOPE2(rt, PTO_SCOPE_AUTO)
#define PTO_SCOPE(...) PTO__SCOPE_PICK(__VA_ARGS__, PTO__SCOPE2, PTO__SCOPE1, _)(__VA_ARGS__)

/**
 * pto_add_dependency() - make @consumer wait for @producer.
 * @rt: runtime.
 * @producer: an earlier task id.
 * @consumer: a later task id of the current manual scope (or, in explicit
 *	mode, of the current scope) that is not yet published.
 *
 * A producer that already retired is a satisfied dependency.  "Before"
 * is the order of submission over all rings, so no set of edges can close
 * a cycle.
 *
 * An edge takes 2 entries of the consumer's ring's dependency pool
 * (pto_runtime_config.dep_pool counts entries, not edges); they are freed
 * once every task of that ring up to the newest one at the time of the
 * call retired.  When the pool is full the call waits for retirement, as
 * pto_submit() waits for ring space (same stall backstop and diagnostic).
 *
 * Return: 0, -EINVAL for ids that were never submitted or @producer not
 * before @consumer, %PTO_E_MANUAL_SCOPE outside a manual scope in AUTO
 * mode, %PTO_E_SELF_DEP for @producer == @consumer, %PTO_E_DEP_PUBLISHED
 * for a consumer already published (an AUTO-scope task, or its scope
 * ended), %PTO_E_DEP_SCOPE for an unpublished consumer of an outer scope
 * (explicit mode), %PTO_E_DEP_POOL when the pool can never hold the edge
 * (the ring's live tasks all belong to open scopes and their entries plus
 * these 2 exceed the pool: raise dep_pool or split the scope),
 * %PTO_E_RING_STALL when no task of the ring retired for
 * @stall_timeout_ms, %PTO_E_ABORTED.  A failed call fails the run.
 */
int pto_add_dependency(struct pto_runtime *rt, int64_t producer, int64_t consumer);

/* --- blocking tensor access from the orchestrator ---------------------------- */

/**
 * pto_tensor_read() - read one element, after its writers finished.
 * @rt: runtime.
 * @t: tensor (allocated).
 * @idx: @t->ndims indices inside the view.
 * @value: receives the element (its dtype's size).
 *
 * Waits for the buffer's creator and every tracked writer of an
 * overlapping region.  In explicit-only mode nothing is tracked, so it
 * waits for every task published so far (tasks of still-open scopes are
 * not published yet and cannot have run), unless @t is marked with
 * pto_tensor_set_manual_dep().
 *
 * Return: 0, -EINVAL for an index outside the view or a runtime-created
 * tensor whose creator's scope ended, %PTO_E_MANUAL_BLOCKING inside a
 * manual scope, %PTO_E_WAIT_UNPUBLISHED when it would wait for a task not
 * yet published (explicit-only mode, a scope still open), or, in
 * explicit-only mode, for a published task that waits for such a task,
 * %PTO_E_TENSOR_WAIT when the wait hits the stall timeout, %PTO_E_ABORTED.
 */
int pto_tensor_read(struct pto_runtime *rt, const struct pto_tensor *t, const uint32_t *idx,
		    void *value);

/**
 * pto_tensor_write() - write one element, after its writers and readers
 * finished.
 * @rt, @t, @idx: as for pto_tensor_read().
 * @value: the element (its dtype's size).
 *
 * Waits for what pto_tensor_read() waits for, for the consumers of those
 * writers (INOUT readers), and for every live task that read an
 * overlapping region as INPUT, in every hazard mode.
 *
 * Return: as pto_tensor_read().
 */
int pto_tensor_write(struct pto_runtime *rt, const struct pto_tensor *t, const uint32_t *idx,
		     const void *value);

#ifdef __cplusplus
}
#endif

#endif /* PTO_RUNTIME_H */
