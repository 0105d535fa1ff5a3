/* SPDX-License-Identifier: MIT */
/*
 * pto/pto_mpi.h - one workload over many ranks (hosts), on MPI.
 *
 * libpto-mpi (build/lib/libpto-mpi.{a,so}) is a separate library: libpto
 * does not depend on MPI.  Build with pkg-config --cflags --libs
 * libpto-mpi, which brings libpto and Open MPI along (or mpicc with
 * -lpto-mpi -lpto).  docs/scale-out.md has the model:
 *
 * - every rank runs the same orchestration: the same pto_mpi_buffer() and
 *   pto_mpi_submit() calls in the same order (each rank passes its own
 *   pointers: host copies, program arguments);
 * - every buffer has an owner rank, which holds its current value;
 * - a device program runs on the rank that owns the buffers it writes
 *   (owner computes, as starpu_mpi_task_insert()); the buffers it reads
 *   that other ranks own are sent by their owner (downloaded from its
 *   device, MPI, uploaded on the executing rank's device) once per
 *   version: a rank keeps a received copy until the owner writes again;
 * - pto_mpi_wait_all() ends the workload: every rank agrees on the
 *   outcome, and owners get their buffers' final values in their host copy.
 *
 * Waits never block in MPI: they test non-blocking requests and sleep in
 * between (50 us growing to 1 ms), bounded by the timeout
 * (pto_mpi_set_timeout(), $PTO_MPI_TIMEOUT_MS, default 60000).
 *
 * Threading: one thread per rank calls these (MPI_THREAD_FUNNELED is
 * enough); the runtime's own threads never call MPI.
 */
#ifndef PTO_PTO_MPI_H
#define PTO_PTO_MPI_H

#include <stdint.h>

/*
 * In C++, mpi.h would also pull in the MPI-2 C++ bindings (removed from the
 * standard in MPI-3), which this API does not use and whose Open MPI
 * version fails g++ -Wextra -Werror: skip them, unless the
 * program included mpi.h itself first.
 */
#if defined(__cplusplus) && !defined(OMPI_SKIP_MPICXX)
#define OMPI_SKIP_MPICXX 1
#endif
#if defined(__cplusplus) && !defined(MPICH_SKIP_MPICXX)
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>

#include "pto/host.h"
#include "pto/pto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* No owner: refused by pto_mpi_buffer(). */
#define PTO_MPI_NO_OWNER	(-1)

struct pto_mpi;

/**
 * pto_mpi_create() - the distributed context of this rank.
 * @comm: the ranks taking part (duplicated: the caller may use @comm freely).
 * @rt: this rank's runtime (kernels registered); must outlive the context.
 * @dev: the device of @rt.
 * @out: receives the context.
 *
 * Collective over @comm.  Return: 0, -EINVAL, -ENOMEM, %PTO_E_TRANSFER
 * when MPI fails.
 */
int pto_mpi_create(MPI_Comm comm, struct pto_runtime *rt, struct pto_device *dev,
		   struct pto_mpi **out);

/* Free the context and its device copies (not collective).  NULL: no-op. */
void pto_mpi_destroy(struct pto_mpi *m);

/* This rank and the number of ranks (-EINVAL for NULL). */
int pto_mpi_rank(const struct pto_mpi *m);
int pto_mpi_size(const struct pto_mpi *m);

/**
 * pto_mpi_buffer() - declare a buffer (same order, size and owner on every rank).
 * @m: context.
 * @host: on the owner, its host copy (@size bytes): the initial value, and
 *	the final one after the pto_mpi_wait_all() of a workload that wrote
 *	it (keep it valid until then); NULL there = starts undefined, no final
 *	copy.  Ignored on other ranks (may be NULL).
 * @size: bytes, > 0.
 * @owner: the owning rank, 0..size-1.
 * @name: for messages (copied; NULL = "buffer<id>").
 * @id: receives the id (0, 1, ... in declaration order).
 *
 * Return: 0; -EINVAL naming the buffer for size 0, an owner of
 * %PTO_MPI_NO_OWNER (or any negative: "has no owner") or one out of range
 * ("owner rank R is not 0..N-1"); -ENOMEM.
 */
int pto_mpi_buffer(struct pto_mpi *m, void *host, uint64_t size, int owner, const char *name,
		   uint32_t *id);

/**
 * pto_mpi_submit() - a device program, submitted by every rank.
 * @m: context.
 * @fn: the program (pto/host.h); run only on the executing rank.
 * @arg: its argument there.
 * @uses: @n buffers it uses; it must write at least one, and every buffer
 *	it writes must have the same owner: that rank runs it.
 * @n: 1..%PTO_PROG_MAX_USES.
 *
 * Runs the transfers this program needs (owners send, the executing rank
 * receives), then, on the executing rank, the program (pto_run()).  After
 * a failure anywhere (a failing program here, or a message from a rank
 * that failed) the rank runs no more programs but still sends and receives
 * what the workload needs, so no rank waits for a message that never
 * comes; pto_mpi_wait_all() then reports the failure on every rank.
 *
 * Return: the executing rank (>= 0), also after a failure of the program
 * or a transfer, which is latched for pto_mpi_wait_all() (keep submitting:
 * the other ranks need this rank's part of the protocol; pto_mpi_failed()
 * tells); or -EINVAL for bad uses (no written buffer, written buffers of
 * different owners, a bad id or mode, a buffer twice), which every rank
 * sees alike since every rank submits the same.
 */
int pto_mpi_submit(struct pto_mpi *m, pto_prog_fn fn, void *arg, const struct pto_use *uses,
		   uint32_t n);

/**
 * pto_mpi_wait_all() - end of the workload (collective).
 *
 * Completes every pending send, agrees with every rank on the outcome
 * (MPI_Iallreduce, then the failing rank's message by MPI_Ibcast) and, on
 * success, downloads each buffer this rank owns and this workload wrote
 * into its host copy.
 *
 * Return: 0 on every rank; or on every rank an error: the failing rank its
 * own status (e.g. %PTO_E_KERNEL_FAILED), the others %PTO_E_REMOTE with
 * "rank R failed: <its message>"; %PTO_E_WAIT_TIMEOUT when a wait hit the
 * timeout.  The context can run a new workload afterwards.
 */
int pto_mpi_wait_all(struct pto_mpi *m);

/**
 * pto_mpi_gather() - bring buffers to one rank (collective, after
 * pto_mpi_wait_all() succeeded).
 * @ids: @n buffers, any owners.
 * @root: the rank receiving them.
 * @dst: on @root, the buffers' bytes concatenated in the order of @ids
 *	(ignored elsewhere).
 *
 * On MPI_Igatherv.  Return: 0, -EINVAL (bad id or root), %PTO_E_TRANSFER,
 * %PTO_E_WAIT_TIMEOUT.
 */
int pto_mpi_gather(struct pto_mpi *m, const uint32_t *ids, uint32_t n, int root, void *dst);

/* 1 when this rank saw a failure of the current workload (its own or reported), else 0. */
int pto_mpi_failed(const struct pto_mpi *m);

/* Bound of every wait on another rank, in ms (> 0).  Return 0 or -EINVAL. */
int pto_mpi_set_timeout(struct pto_mpi *m, uint32_t ms);

/**
 * struct pto_mpi_stats - this rank's traffic since pto_mpi_create().
 * @programs: programs run here.
 * @sends, @send_bytes, @recvs, @recv_bytes: buffer transfers.
 */
struct pto_mpi_stats {
	uint64_t programs;
	uint64_t sends, send_bytes;
	uint64_t recvs, recv_bytes;
};

/* Return 0 or -EINVAL. */
int pto_mpi_stats(const struct pto_mpi *m, struct pto_mpi_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* PTO_PTO_MPI_H */
