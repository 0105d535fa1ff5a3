/* SPDX-License-Identifier: MIT */
/* mpi_impl.h - the state of a libpto-mpi context.  Internal. */
#ifndef PTO_MPI_IMPL_H
#define PTO_MPI_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include <mpi.h>

#include "pto/pto_mpi.h"

#define PTO_MPI_API __attribute__((visibility("default")))
#define PTO_MPI_MSG	480

/*
 * The header in front of every buffer transfer: a rank that failed still
 * sends, with @status set, so the receiver learns it (docs/scale-out.md).
 */
struct pto_mpi_hdr {
	int32_t status;		/* 0, or the sender's first failure */
	int32_t rank;		/* the rank that failed first, as the sender knows */
	uint32_t prog;		/* program index: ranks that diverged are caught */
	uint32_t buf;
};

/**
 * struct pto_mbuf - one buffer, replicated bookkeeping on every rank.
 * @version: writes so far (every rank counts the same).
 * @have: per rank, the version it holds (the owner always the current one).
 * @addr: this rank's device copy (0 = none yet).
 * @dirty: written on this rank (its owner) since the last pto_mpi_wait_all().
 */
struct pto_mbuf {
	void *host;
	uint64_t size;
	int owner;
	char *name;
	uint64_t version;
	uint64_t *have;
	uint64_t addr;
	bool dirty;
};

/* A send still in flight and the staging memory it reads. */
struct pto_msend {
	MPI_Request req;
	void *data;
	uint32_t prog, buf;
	int dest;
};

struct pto_mpi {
	MPI_Comm comm;
	int rank, size;
	struct pto_runtime *rt;
	struct pto_device *dev;
	struct pto_mbuf *bufs;
	uint32_t num_bufs, cap_bufs;
	uint32_t num_progs;
	struct pto_msend *sends;
	uint32_t num_sends, cap_sends;
	uint32_t timeout_ms;
	/* first failure seen: here (err_rank == rank) or reported by another rank */
	int err;
	int err_rank;
	char err_msg[PTO_MPI_MSG];
	struct pto_mpi_stats stats;
};

/* Latch a failure of @rank (first one wins); returns @code. */
int pto__mpi_latch(struct pto_mpi *m, int code, int rank, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/*
 * Wait for @req, testing and sleeping (no busy poll), at most the
 * timeout; @what names it in the timeout message.  Return 0,
 * %PTO_E_TRANSFER (MPI error) or %PTO_E_WAIT_TIMEOUT (the request is
 * cancelled or left, *req reset).
 */
int pto__mpi_wait(struct pto_mpi *m, MPI_Request *req, MPI_Status *st, const char *what);
/* Complete every pending send (collective end). */
int pto__mpi_drain_sends(struct pto_mpi *m);

#endif /* PTO_MPI_IMPL_H */
