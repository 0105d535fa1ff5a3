// SPDX-License-Identifier: MIT
/*
 * collective.c - the end of a distributed workload and the collective
 * helpers, on MPI's own non-blocking collectives waited for without
 * spinning (pto__mpi_wait()).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libpto-mpi/mpi_impl.h"

int pto__mpi_drain_sends(struct pto_mpi *m)
{
	char what[160];
	int rc = 0;

	for (uint32_t i = 0; i < m->num_sends; i++) {
		struct pto_msend *s = &m->sends[i];

		snprintf(what, sizeof(what), "for rank %d to take buffer '%s' of program %u",
			 s->dest, m->bufs[s->buf].name, s->prog);
		if (!rc) {
			rc = pto__mpi_wait(m, &s->req, NULL, what);
			if (rc)
				pto__mpi_latch(m, rc, m->rank, "%s", pto_last_error());
		}
		/* after a timeout the request is MPI's; the bytes must outlive it */
		if (!rc)
			free(s->data);
	}
	m->num_sends = 0;
	return rc;
}

/* One collective step, waited for with the no-spin loop. */
static int coll_wait(struct pto_mpi *m, int mpi_rc, MPI_Request *req, const char *what)
{
	if (mpi_rc != MPI_SUCCESS)
		return pto_error_set(PTO_E_TRANSFER, "rank %d: %s failed", m->rank, what);
	return pto__mpi_wait(m, req, NULL, what);
}

PTO_MPI_API int pto_mpi_wait_all(struct pto_mpi *m)
{
	struct {
		int32_t code;
		char msg[PTO_MPI_MSG];
	} verdict;
	int mine, first, rc;
	MPI_Request req;

	if (!m)
		return pto_error_set(-EINVAL, "pto_mpi_wait_all: NULL context");
	pto__mpi_drain_sends(m);
	/* the lowest rank that failed on its own (a remote report names it too) */
	mine = m->err ? (m->err == PTO_E_REMOTE ? m->err_rank : m->rank) : INT_MAX;
	rc = coll_wait(m, MPI_Iallreduce(&mine, &first, 1, MPI_INT, MPI_MIN, m->comm, &req), &req,
		       "in MPI_Iallreduce (agreeing on the outcome)");
	if (rc)
		goto out;
	if (first != INT_MAX) {
		memset(&verdict, 0, sizeof(verdict));
		if (m->rank == first) {
			verdict.code = m->err;
			snprintf(verdict.msg, sizeof(verdict.msg), "%s", m->err_msg);
		}
		rc = coll_wait(m, MPI_Ibcast(&verdict, sizeof(verdict), MPI_BYTE, first, m->comm,
					     &req), &req, "in MPI_Ibcast (the failing rank's message)");
		if (rc)
			goto out;
		if (m->rank == first && m->err != PTO_E_REMOTE) {
			rc = pto_error_set(m->err, "%s", m->err_msg);
		} else if (m->err && m->err != PTO_E_REMOTE) {
			/* this rank failed on its own too (a timeout, say): say both */
			rc = pto_error_set(PTO_E_REMOTE, "rank %d failed: %s (%s); rank %d itself: "
					   "%.160s", first, verdict.msg, pto_strerror(verdict.code),
					   m->rank, m->err_msg);
		} else {
			rc = pto_error_set(PTO_E_REMOTE, "rank %d failed: %s (%s)", first,
					   verdict.msg, pto_strerror(verdict.code));
		}
		goto out;
	}
	/* success everywhere: the owners' host copies get the final values */
	for (uint32_t i = 0; i < m->num_bufs; i++) {
		struct pto_mbuf *b = &m->bufs[i];

		/* only what this workload wrote: older host copies may be gone */
		if (b->owner != m->rank || !b->host || !b->addr || !b->dirty)
			continue;
		b->dirty = false;
		rc = pto_mem_download(m->dev, b->host, b->addr, b->size);
		if (rc) {
			rc = pto_error_set(PTO_E_TRANSFER, "rank %d: final copy of '%s': %s", m->rank,
					   b->name, pto_last_error());
			goto out;
		}
	}
	rc = 0;
out:
	/* a new workload starts clean (the buffers keep their values) */
	m->err = 0;
	m->err_rank = -1;
	m->err_msg[0] = '\0';
	return rc;
}

PTO_MPI_API int pto_mpi_gather(struct pto_mpi *m, const uint32_t *ids, uint32_t n, int root,
			       void *dst)
{
	int *counts = NULL, *displs = NULL, rc, mybytes = 0, total = 0;
	uint8_t *sendbuf = NULL, *recvbuf = NULL, *p;
	uint64_t off;
	MPI_Request req;

	if (!m || (n && !ids))
		return pto_error_set(-EINVAL, "pto_mpi_gather: NULL argument");
	if (root < 0 || root >= m->size)
		return pto_error_set(-EINVAL, "pto_mpi_gather: root rank %d is not 0..%d", root,
				     m->size - 1);
	if (m->rank == root && !dst)
		return pto_error_set(-EINVAL, "pto_mpi_gather: dst is NULL on the root");
	for (uint32_t i = 0; i < n; i++) {
		if (ids[i] >= m->num_bufs)
			return pto_error_set(-EINVAL, "pto_mpi_gather: no buffer %u", ids[i]);
		if (m->bufs[ids[i]].size > INT_MAX / 2)
			return pto_error_set(-EINVAL, "pto_mpi_gather: '%s' too large for one "
					     "message", m->bufs[ids[i]].name);
	}
	counts = calloc((size_t)m->size, sizeof(*counts));
	displs = calloc((size_t)m->size, sizeof(*displs));
	if (!counts || !displs) {
		rc = pto_error_set(-ENOMEM, "pto_mpi_gather: out of memory");
		goto out;
	}
	/* every rank knows every owner: the layout needs no extra message */
	for (uint32_t i = 0; i < n; i++)
		counts[m->bufs[ids[i]].owner] += (int)m->bufs[ids[i]].size;
	for (int r = 0; r < m->size; r++) {
		displs[r] = total;
		total += counts[r];
	}
	mybytes = counts[m->rank];
	sendbuf = malloc(mybytes ? (size_t)mybytes : 1);
	recvbuf = m->rank == root ? malloc(total ? (size_t)total : 1) : NULL;
	if (!sendbuf || (m->rank == root && !recvbuf)) {
		rc = pto_error_set(-ENOMEM, "pto_mpi_gather: out of memory");
		goto out;
	}
	p = sendbuf;
	for (uint32_t i = 0; i < n; i++) {
		struct pto_mbuf *b = &m->bufs[ids[i]];

		if (b->owner != m->rank)
			continue;
		if (!b->addr) {
			if (b->host)
				memcpy(p, b->host, b->size);	/* never used: its initial value */
			else
				memset(p, 0, b->size);
		} else if ((rc = pto_mem_download(m->dev, p, b->addr, b->size))) {
			rc = pto_error_set(PTO_E_TRANSFER, "pto_mpi_gather: '%s': %s", b->name,
					   pto_last_error());
			goto out;
		}
		p += b->size;
	}
	rc = coll_wait(m, MPI_Igatherv(sendbuf, mybytes, MPI_BYTE, recvbuf, counts, displs,
				       MPI_BYTE, root, m->comm, &req), &req, "in MPI_Igatherv");
	if (rc || m->rank != root)
		goto out;
	/* from rank order back to the order of @ids */
	for (int r = 0; r < m->size; r++) {
		off = (uint64_t)displs[r];
		for (uint32_t i = 0; i < n; i++) {
			uint64_t at = 0;

			if (m->bufs[ids[i]].owner != r)
				continue;
			for (uint32_t j = 0; j < i; j++)
				at += m->bufs[ids[j]].size;
			memcpy((uint8_t *)dst + at, recvbuf + off, m->bufs[ids[i]].size);
			off += m->bufs[ids[i]].size;
		}
	}
out:
	free(counts);
	free(displs);
	free(sendbuf);
	free(recvbuf);
	return rc;
}
