/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * pto2_abi.h - the device ABI shared by the kernel module, libpto, the
 * core executor and the mock device.
 *
 * DOC: device model
 *
 * A device has C clusters; a cluster is one AIC (matrix) core and two AIV
 * (vector) cores.  Core ids: AIC cores are [0, C), AIV cores are [C, 3C);
 * cluster c is {c, C + 2c, C + 2c + 1}.
 *
 * Every core has a register window of one page (struct pto2_core_regs).
 * A scheduler dispatches work by writing the dispatch payload into device
 * memory, then release-storing a dispatch id into DATA_MAIN_BASE.  The core
 * answers in COND: ACK(id) once it latched the payload, FIN(id) once the
 * kernel returned.  Dispatch ids come from a per-core monotonically
 * increasing sequence (never the task id), so a value never repeats while
 * it is in flight; the id's low bit selects one of the core's two payload
 * buffers, so a running and a pending task never share a buffer.
 *
 * Device memory ("GM") is one aperture.  A device address is a byte offset
 * into it, never a host pointer, so descriptors stay valid for every agent
 * that maps the aperture.  Address 0 is never handed out and means "none".
 */
#ifndef PTO2_UAPI_ABI_H
#define PTO2_UAPI_ABI_H

#include <linux/types.h>

/* 2: payloads may spill their arguments (PTO2_PAYLOAD_SPILLED) */
#define PTO2_ABI_VERSION		2

/* --- core numbering ------------------------------------------------------ */

#define PTO2_CORES_PER_CLUSTER		3
#define PTO2_AIV_PER_CLUSTER		2
/* a2a3 parts: 24 clusters = 24 AIC + 48 AIV */
#define PTO2_DEFAULT_CLUSTERS		24
/* a5 parts have 36; leave room without changing any mask type */
#define PTO2_MAX_CLUSTERS		64
#define PTO2_MAX_CORES			(PTO2_MAX_CLUSTERS * PTO2_CORES_PER_CLUSTER)

/**
 * enum pto2_core_type - what a core computes.
 * @PTO2_CORE_AIC: matrix ("cube") core, one per cluster.
 * @PTO2_CORE_AIV: vector core, two per cluster.
 */
enum pto2_core_type {
	PTO2_CORE_AIC = 0,
	PTO2_CORE_AIV = 1,
};

/* Core id of the AIC core of cluster @c. */
#define PTO2_AIC_CORE(c)		(c)
/* Core id of AIV lane @lane (0 or 1) of cluster @c on a device of @nc clusters. */
#define PTO2_AIV_CORE(nc, c, lane)	((nc) + 2 * (c) + (lane))
/* Cluster of core @id on a device of @nc clusters. */
#define PTO2_CORE_CLUSTER(nc, id)	((id) < (nc) ? (id) : ((id) - (nc)) / 2)
/* AIV lane (sub-block id) of core @id; 0 for AIC cores. */
#define PTO2_CORE_LANE(nc, id)		((id) < (nc) ? 0 : ((id) - (nc)) & 1)
#define PTO2_CORE_TYPE(nc, id)		((id) < (nc) ? PTO2_CORE_AIC : PTO2_CORE_AIV)

/* --- register protocol ---------------------------------------------------- */

/*
 * DATA_MAIN_BASE values.  Dispatch ids live in [PTO2_ID_MIN, PTO2_ID_MAX];
 * everything above is reserved.  PTO2_ID_SPAN is even so the parity of the
 * id (payload buffer select) keeps alternating across the wrap.
 */
#define PTO2_ID_MIN			0x00000001u
#define PTO2_ID_MAX			0x7fffffeeu
#define PTO2_ID_SPAN			(PTO2_ID_MAX - PTO2_ID_MIN + 1)
#define PTO2_REG_EXIT			0x7ffffff0u	/* shut the core down */
#define PTO2_REG_IDLE			0x7ffffffdu	/* nothing dispatched yet */
#define PTO2_ID_EXIT_ACK		0x7ffffffeu	/* COND id after EXIT */
#define PTO2_ID_CORE_IDLE		0x7fffffffu	/* COND id before any work */

/* COND: bit 31 = FIN (1) or ACK (0); bits 30..0 = the dispatch id. */
#define PTO2_COND_FIN			0x80000000u
#define PTO2_COND_ID_MASK		0x7fffffffu
#define PTO2_COND(fin, id)		(((fin) ? PTO2_COND_FIN : 0u) | ((id) & PTO2_COND_ID_MASK))
#define PTO2_COND_IS_FIN(v)		(((v) & PTO2_COND_FIN) != 0)
#define PTO2_COND_GET_ID(v)		((v) & PTO2_COND_ID_MASK)
/* A core that never ran anything, and one that acknowledged EXIT. */
#define PTO2_COND_IDLE			PTO2_COND(1, PTO2_ID_CORE_IDLE)
#define PTO2_COND_EXITED		PTO2_COND(1, PTO2_ID_EXIT_ACK)

/* Dispatch id for the n-th dispatch (n = 0, 1, ...) to a core. */
#define PTO2_DISPATCH_ID(n)		((__u32)((n) % PTO2_ID_SPAN) + PTO2_ID_MIN)
/* Which of the core's two payload buffers dispatch id @id uses. */
#define PTO2_PAYLOAD_SLOT(id)		((id) & 1u)

/* Kernel status values a core reports in pto2_core_regs.status[]. */
#define PTO2_STATUS_OK			0
/* A kernel id with no kernel behind it (never a kernel's own return value). */
#define PTO2_STATUS_NO_KERNEL		(-38)	/* -ENOSYS */

/* --- register window ------------------------------------------------------ */

#define PTO2_REG_WINDOW_SIZE		4096u
#define PTO2_CACHE_LINE			64u

/**
 * struct pto2_core_regs - one core's register window (one page).
 *
 * Cache lines are split by writer: line 0 is written by the scheduler,
 * line 1 by the core, line 2 once at bring-up, lines 3+ by the core.
 *
 * @data_main_base: dispatch id, %PTO2_REG_EXIT or %PTO2_REG_IDLE.  Written by
 *	a scheduler with release order after the payload is complete.
 * @cond: %PTO2_COND(fin, id).  Written by the core with release order after
 *	@status and the timestamps of that id are written.
 * @payload_addr: device address of this core's two struct
 *	pto2_dispatch_payload buffers (contiguous, buffer 0 first).
 * @core_id: this core's id.
 * @core_type: enum pto2_core_type.
 * @cluster_id: cluster this core belongs to.
 * @sub_block_id: AIV lane within the cluster (0 or 1); 0 for AIC.
 * @status: kernel return value per payload buffer, valid once FIN(id) of
 *	the id using that buffer is visible.
 * @start_ns: when the core latched each buffer's task (CLOCK_MONOTONIC ns).
 * @end_ns: when that task's kernel returned.
 * @exec_count: number of kernels this core ran (diagnostics).
 */
struct pto2_core_regs {
	__u32 data_main_base;
	__u32 pad0[15];

	__u32 cond;
	__u32 pad1[15];

	__u64 payload_addr;
	__u32 core_id;
	__u32 core_type;
	__u32 cluster_id;
	__u32 sub_block_id;
	__u32 pad2[10];

	__s32 status[2];
	__u32 pad3[2];
	__u64 start_ns[2];
	__u64 end_ns[2];
	__u64 exec_count;
	__u64 pad4[1];

	__u8 reserved[PTO2_REG_WINDOW_SIZE - 4 * PTO2_CACHE_LINE];
};

#define PTO2_REG_DATA_MAIN_BASE		0x000u
#define PTO2_REG_COND			0x040u
#define PTO2_REG_PAYLOAD_ADDR		0x080u

/* --- tensors and dispatch payloads --------------------------------------- */

#define PTO2_MAX_DIMS			5
/* Arguments of one task: tensors, then scalars. */
#define PTO2_MAX_TENSOR_ARGS		128
#define PTO2_MAX_SCALAR_ARGS		24
#define PTO2_MAX_ARGS			(PTO2_MAX_TENSOR_ARGS + PTO2_MAX_SCALAR_ARGS)
/*
 * Argument slots inside the fixed-size payload; a task with more spills
 * its whole argument array to device memory (%PTO2_PAYLOAD_SPILLED).
 */
#define PTO2_PAYLOAD_ARGS		56

/**
 * enum pto2_dtype - element types of tensors.
 */
enum pto2_dtype {
	PTO2_DTYPE_F32 = 0,
	PTO2_DTYPE_F16 = 1,
	PTO2_DTYPE_BF16 = 2,
	PTO2_DTYPE_I32 = 3,
	PTO2_DTYPE_I64 = 4,
	PTO2_DTYPE_I8 = 5,
	PTO2_DTYPE_U8 = 6,
	PTO2_DTYPE_F64 = 7,
	PTO2_DTYPE_COUNT = 8,
};

#define PTO2_DTYPE_SIZE(t) \
	((t) == PTO2_DTYPE_F32 || (t) == PTO2_DTYPE_I32 ? 4 : \
	 (t) == PTO2_DTYPE_I64 || (t) == PTO2_DTYPE_F64 ? 8 : \
	 (t) == PTO2_DTYPE_F16 || (t) == PTO2_DTYPE_BF16 ? 2 : 1)

/**
 * struct pto2_tensor_desc - a tensor view as a kernel sees it (in GM).
 *
 * A view selects @shapes[d] elements starting at @offsets[d] in every
 * dimension of a dense row-major buffer of @raw_shapes.  Dimensions beyond
 * @ndims are 1 (shape) and 0 (offset).
 *
 * @buffer_addr: device address of the underlying buffer's first element.
 * @buffer_size: size of the underlying buffer in bytes.
 * @start_offset: flat element offset of the view's first element.
 * @dtype: enum pto2_dtype.
 * @ndims: number of dimensions in use, 1..%PTO2_MAX_DIMS.
 * @shapes: view shape.
 * @raw_shapes: shape of the underlying buffer.
 * @offsets: view offset in each dimension.
 * @owner_task: 64-bit id of the task that created the buffer, or
 *	%PTO2_TASK_NONE for buffers that came from outside the runtime.
 * @version: bumped when a buffer is re-purposed (reserved, 0 today).
 */
struct pto2_tensor_desc {
	__u64 buffer_addr;
	__u64 buffer_size;
	__u64 start_offset;
	__u32 dtype;
	__u32 ndims;
	__u32 shapes[PTO2_MAX_DIMS];
	__u32 raw_shapes[PTO2_MAX_DIMS];
	__u32 offsets[PTO2_MAX_DIMS];
	__u32 version;
	__u64 owner_task;
	__u64 pad[3];
};

#define PTO2_TASK_NONE			(~0ULL)
#define PTO2_TENSOR_DESC_SIZE		128u

/**
 * struct pto2_dispatch_payload - what a core runs for one dispatch (in GM).
 *
 * @kernel_id: kernel to call.
 * @flags: %PTO2_PAYLOAD_SPILLED or 0.
 * @block_idx: this block's index within an SPMD task, 0..@block_num-1.
 * @block_num: number of logical blocks of the task (1 if not SPMD).
 * @sub_block_id: AIV lane for MIX tasks (0 or 1); 0 otherwise.
 * @num_tensors: leading entries of @args that are tensor descriptor addresses.
 * @num_scalars: entries after those that are raw 64-bit scalars.
 * @task_id: the runtime's 64-bit task id (for traces and error messages).
 * @args: device addresses of struct pto2_tensor_desc, then scalars; with
 *	%PTO2_PAYLOAD_SPILLED only @args[0] is used: the device address of
 *	that same array (@num_tensors + @num_scalars __u64, 8-byte aligned).
 */
struct pto2_dispatch_payload {
	__u32 kernel_id;
	__u32 flags;
	__u32 block_idx;
	__u32 block_num;
	__u32 sub_block_id;
	__u32 num_tensors;
	__u32 num_scalars;
	__u32 pad0;
	__u64 task_id;
	__u64 pad1[3];
	__u64 args[PTO2_PAYLOAD_ARGS];
};

/* pto2_dispatch_payload.flags: the arguments live at device address args[0]. */
#define PTO2_PAYLOAD_SPILLED		(1u << 0)

#define PTO2_PAYLOAD_SIZE		512u
#define PTO2_PAYLOADS_PER_CORE		2u
#define PTO2_MAX_KERNELS		1024u


/* --- shared-memory ring layout -------------------------------------------- */

/*
 * DOC: rings
 *
 * The runtime keeps one ring per scope depth (depth d uses ring
 * min(d, PTO2_NUM_RINGS - 1)).  Each ring has a task window (slots reused in
 * task order), a heap ring in device memory (task argument blocks and
 * runtime-created outputs, reclaimed in task order) and a dependency-list
 * pool.  struct pto2_ring_header sits at the start of the runtime's ring
 * area in device memory so any agent mapping the aperture (a tool showing
 * live occupancy, a future device-side scheduler) can read how full each
 * ring is: live tasks = current_task_index - last_task_alive.
 *
 * Ordering: the orchestrator initializes a slot, then release-stores
 * current_task_index; the agent that retires tasks resets their slots, then
 * release-stores last_task_alive.  Readers acquire-load either index before
 * looking at what it covers.
 */
#define PTO2_NUM_RINGS			4
#define PTO2_RING_MAGIC			0x50544f52u	/* "PTOR" */

/**
 * struct pto2_ring_info - static description of one ring (written at create).
 * @heap_addr: device address of the ring's heap.
 * @heap_size: bytes of the heap.
 * @task_window: task slots (power of two).
 * @dep_pool: dependency-list entries.
 */
struct pto2_ring_info {
	__u64 heap_addr;
	__u64 heap_size;
	__u32 task_window;
	__u32 dep_pool;
	__u64 pad[5];
};

/**
 * struct pto2_ring_ctl - flow control of one ring; each index on its own
 * cache line because different agents write them.
 * @current_task_index: tasks ever allocated in the ring (this run); written
 *	by the orchestrator (release) after the slot is initialized.
 * @heap_top: heap offset of the next allocation (orchestrator, relaxed,
 *	informational).
 * @last_task_alive: oldest task not yet retired; every task below it is
 *	retired and its slot reset.  Written by schedulers (release).
 */
struct pto2_ring_ctl {
	__u64 current_task_index;
	__u64 heap_top;
	__u64 pad0[6];
	__u64 last_task_alive;
	__u64 pad1[7];
};

/**
 * struct pto2_ring_header - the ring area's header.
 * @magic: %PTO2_RING_MAGIC once the runtime initialized it.
 * @num_rings: %PTO2_NUM_RINGS.
 * @run_seq: number of the current run (bumped at each run start).
 * @info: per ring, static.
 * @ctl: per ring, flow control.
 */
struct pto2_ring_header {
	__u32 magic;
	__u32 num_rings;
	__u64 run_seq;
	__u64 pad[6];
	struct pto2_ring_info info[PTO2_NUM_RINGS];
	struct pto2_ring_ctl ctl[PTO2_NUM_RINGS];
};

/* --- static checks: every width and size tied to its constant ------------- */

/* C11 spells it _Static_assert, C++ static_assert: the header is used by both. */
#ifdef __cplusplus
#define PTO2_ABI_ASSERT(e, m)		static_assert(e, m)
#else
#define PTO2_ABI_ASSERT(e, m)		_Static_assert(e, m)
#endif

PTO2_ABI_ASSERT(sizeof(struct pto2_core_regs) == PTO2_REG_WINDOW_SIZE,
		"register window is exactly one page");
PTO2_ABI_ASSERT(__builtin_offsetof(struct pto2_core_regs, data_main_base) == PTO2_REG_DATA_MAIN_BASE,
		"DATA_MAIN_BASE offset");
PTO2_ABI_ASSERT(__builtin_offsetof(struct pto2_core_regs, cond) == PTO2_REG_COND,
		"COND sits on its own cache line");
PTO2_ABI_ASSERT(__builtin_offsetof(struct pto2_core_regs, payload_addr) == PTO2_REG_PAYLOAD_ADDR,
		"bring-up line offset");
PTO2_ABI_ASSERT(__builtin_offsetof(struct pto2_core_regs, status) == 3 * PTO2_CACHE_LINE,
		"core-written status line");
PTO2_ABI_ASSERT(__builtin_offsetof(struct pto2_core_regs, reserved) == 4 * PTO2_CACHE_LINE,
		"four used cache lines");
PTO2_ABI_ASSERT(sizeof(struct pto2_dispatch_payload) == PTO2_PAYLOAD_SIZE,
		"dispatch payload is fixed-size");
PTO2_ABI_ASSERT(sizeof(struct pto2_tensor_desc) == PTO2_TENSOR_DESC_SIZE,
		"tensor descriptor is two cache lines");
PTO2_ABI_ASSERT(PTO2_ID_MAX < PTO2_REG_EXIT && PTO2_REG_EXIT < PTO2_REG_IDLE &&
		PTO2_REG_IDLE < PTO2_ID_EXIT_ACK && PTO2_ID_EXIT_ACK < PTO2_ID_CORE_IDLE,
		"dispatch ids never collide with reserved values");
PTO2_ABI_ASSERT(PTO2_ID_CORE_IDLE <= PTO2_COND_ID_MASK, "ids fit in COND's 31 bits");
PTO2_ABI_ASSERT((PTO2_ID_SPAN & 1) == 0, "id parity alternates across the wrap");
PTO2_ABI_ASSERT(PTO2_MAX_CORES == 3 * PTO2_MAX_CLUSTERS, "1 AIC + 2 AIV per cluster");
PTO2_ABI_ASSERT(PTO2_MAX_ARGS <= 0xff, "argument counts fit the payload's count fields");
PTO2_ABI_ASSERT(PTO2_PAYLOAD_ARGS >= 1 && PTO2_MAX_SCALAR_ARGS <= PTO2_PAYLOAD_ARGS,
		"a spilled payload has room for its pointer; scalars alone never spill");

PTO2_ABI_ASSERT(sizeof(struct pto2_ring_info) == PTO2_CACHE_LINE, "ring info is one cache line");
PTO2_ABI_ASSERT(__builtin_offsetof(struct pto2_ring_ctl, last_task_alive) == PTO2_CACHE_LINE,
		"current_task_index and last_task_alive on separate cache lines");
PTO2_ABI_ASSERT(sizeof(struct pto2_ring_ctl) == 2 * PTO2_CACHE_LINE, "ring ctl is two cache lines");
PTO2_ABI_ASSERT(__builtin_offsetof(struct pto2_ring_header, info) == PTO2_CACHE_LINE,
		"ring header: one line of identity first");
PTO2_ABI_ASSERT(__builtin_offsetof(struct pto2_ring_header, ctl) % PTO2_CACHE_LINE == 0,
		"ring ctl lines are cache-line aligned");

#endif /* PTO2_UAPI_ABI_H */
