// SPDX-License-Identifier: MIT
/*
 * pto_mpi.c - owner computes over MPI (pto/pto_mpi.h): buffers, program
 * submission, the transfers a program needs, the no-spin wait.
 *
 * Every rank walks the same submissions and keeps the same per-buffer
 * bookkeeping (version, and the version each rank holds), so each one
 * decides alone, and identically, which rank runs a program and which
 * buffers move from whom to whom: no control messages.  Only data moves:
 * a header (status of the sender, program, buffer) plus the bytes, one
 * message per transfer, tag = program index, so a rank that diverged is
 * caught by the header check instead of mixing buffers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libpto-mpi/mpi_impl.h"

#define DEFAULT_TIMEOUT_MS	60000u
#define TAG_MAX			32767	/* the least MPI_TAG_UB the standard allows */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int pto__mpi_latch(struct pto_mpi *m, int code, int rank, const char *fmt, ...)
{
	va_list ap;

	if (!m->err) {
		m->err = code;
		m->err_rank = rank;
		va_start(ap, fmt);
		vsnprintf(m->err_msg, sizeof(m->err_msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

int pto__mpi_wait(struct pto_mpi *m, MPI_Request *req, MPI_Status *st, const char *what)
{
	uint64_t deadline = now_ns() + (uint64_t)m->timeout_ms * 1000000ull;
	struct timespec nap = { 0, 50000 };	/* 50 us, doubling to 1 ms */
	MPI_Status ignore;
	int done = 0;

	for (;;) {
		if (MPI_Test(req, &done, st ? st : &ignore) != MPI_SUCCESS)
			return pto_error_set(PTO_E_TRANSFER, "rank %d: MPI_Test failed %s", m->rank,
					     what);
		if (done)
			return 0;
		if (now_ns() >= deadline) {
			/* a receive can be withdrawn; a send is left to MPI_Finalize */
			MPI_Cancel(req);
			MPI_Request_free(req);
			return pto_error_set(PTO_E_WAIT_TIMEOUT, "rank %d: waited %u ms %s", m->rank,
					     m->timeout_ms, what);
		}
		/* sleep, do not spin: the other ranks' cores may need this CPU */
		nanosleep(&nap, NULL);
		if (nap.tv_nsec < 1000000)
			nap.tv_nsec *= 2;
	}
}

PTO_MPI_API int pto_mpi_create(MPI_Comm comm, struct pto_runtime *rt, struct pto_device *dev,
			       struct pto_mpi **out)
{
	struct pto_mpi *m;
	const char *env;

	if (!out)
		return pto_error_set(-EINVAL, "pto_mpi_create: out is NULL");
	*out = NULL;
	if (!rt || !dev)
		return pto_error_set(-EINVAL, "pto_mpi_create: NULL %s", rt ? "device" : "runtime");
	m = calloc(1, sizeof(*m));
	if (!m)
		return pto_error_set(-ENOMEM, "pto_mpi_create: out of memory");
	if (MPI_Comm_dup(comm, &m->comm) != MPI_SUCCESS) {
		free(m);
		return pto_error_set(PTO_E_TRANSFER, "pto_mpi_create: MPI_Comm_dup failed");
	}
	MPI_Comm_rank(m->comm, &m->rank);
	MPI_Comm_size(m->comm, &m->size);
	m->rt = rt;
	m->dev = dev;
	m->timeout_ms = DEFAULT_TIMEOUT_MS;
	env = getenv("PTO_MPI_TIMEOUT_MS");
	if (env && *env) {
		char *end;
		unsigned long v = strtoul(env, &end, 10);

		if (*end || v == 0 || v > 86400000ul || *env == '-') {
			MPI_Comm_free(&m->comm);
			free(m);
			return pto_error_set(-EINVAL, "PTO_MPI_TIMEOUT_MS='%s': expected 1..86400000",
					     env);
		}
		m->timeout_ms = (uint32_t)v;
	}
	*out = m;
	return 0;
}

PTO_MPI_API void pto_mpi_destroy(struct pto_mpi *m)
{
	if (!m)
		return;
	for (uint32_t i = 0; i < m->num_sends; i++)
		free(m->sends[i].data);
	free(m->sends);
	for (uint32_t b = 0; b < m->num_bufs; b++) {
		if (m->bufs[b].addr)
			pto_mem_free(m->dev, m->bufs[b].addr);
		free(m->bufs[b].have);
		free(m->bufs[b].name);
	}
	free(m->bufs);
	MPI_Comm_free(&m->comm);
	free(m);
}

PTO_MPI_API int pto_mpi_rank(const struct pto_mpi *m)
{
	return m ? m->rank : -EINVAL;
}

PTO_MPI_API int pto_mpi_size(const struct pto_mpi *m)
{
	return m ? m->size : -EINVAL;
}

PTO_MPI_API int pto_mpi_failed(const struct pto_mpi *m)
{
	return m && m->err ? 1 : 0;
}

PTO_MPI_API int pto_mpi_set_timeout(struct pto_mpi *m, uint32_t ms)
{
	if (!m || !ms)
		return pto_error_set(-EINVAL, "pto_mpi_set_timeout: %s", m ? "0 ms" : "NULL context");
	m->timeout_ms = ms;
	return 0;
}

PTO_MPI_API int pto_mpi_stats(const struct pto_mpi *m, struct pto_mpi_stats *st)
{
	if (!m || !st)
		return pto_error_set(-EINVAL, "pto_mpi_stats: NULL argument");
	*st = m->stats;
	return 0;
}

PTO_MPI_API int pto_mpi_buffer(struct pto_mpi *m, void *host, uint64_t size, int owner,
			       const char *name, uint32_t *id)
{
	struct pto_mbuf *b;
	char dflt[24];

	if (!m || !id)
		return pto_error_set(-EINVAL, "pto_mpi_buffer: NULL %s", m ? "id" : "context");
	snprintf(dflt, sizeof(dflt), "buffer%u", m->num_bufs);
	if (!name)
		name = dflt;
	if (size == 0)
		return pto_error_set(-EINVAL, "pto_mpi_buffer: '%s': size 0", name);
	if (owner < 0)
		return pto_error_set(-EINVAL, "pto_mpi_buffer: '%s' has no owner (every buffer "
				     "needs an owner rank 0..%d)", name, m->size - 1);
	if (owner >= m->size)
		return pto_error_set(-EINVAL, "pto_mpi_buffer: '%s': owner rank %d is not 0..%d",
				     name, owner, m->size - 1);
	if (m->num_bufs == m->cap_bufs) {
		uint32_t cap = m->cap_bufs ? m->cap_bufs * 2 : 16;
		struct pto_mbuf *nb = realloc(m->bufs, cap * sizeof(*nb));

		if (!nb)
			return pto_error_set(-ENOMEM, "pto_mpi_buffer: out of memory");
		m->bufs = nb;
		m->cap_bufs = cap;
	}
	b = &m->bufs[m->num_bufs];
	memset(b, 0, sizeof(*b));
	b->have = calloc((size_t)m->size, sizeof(*b->have));
	b->name = strdup(name);
	if (!b->have || !b->name) {
		free(b->have);
		free(b->name);
		return pto_error_set(-ENOMEM, "pto_mpi_buffer: out of memory");
	}
	b->host = owner == m->rank ? host : NULL;
	b->size = size;
	b->owner = owner;
	/* version 1 is the initial value, held by the owner only */
	b->version = 1;
	b->have[owner] = 1;
	*id = m->num_bufs++;
	return 0;
}

/* This rank's device copy of @b, allocated on first use (uploaded from host if owner). */
static int local_copy(struct pto_mpi *m, struct pto_mbuf *b)
{
	int rc;

	if (b->addr)
		return 0;
	rc = pto_mem_alloc(m->dev, b->size, 0, &b->addr);
	if (rc)
		return rc;
	if (b->owner == m->rank && b->host && b->version == 1) {
		rc = pto_mem_upload(m->dev, b->addr, b->host, b->size);
		if (rc)
			return rc;
	}
	return 0;
}

/* Owner side: send @b to @dest for program @prog (staged: device -> host -> MPI). */
static int send_buf(struct pto_mpi *m, uint32_t id, int dest, uint32_t prog)
{
	struct pto_mbuf *b = &m->bufs[id];
	struct pto_mpi_hdr *h;
	struct pto_msend *s;
	uint8_t *data;
	int rc = 0;

	if (m->num_sends == m->cap_sends) {
		uint32_t cap = m->cap_sends ? m->cap_sends * 2 : 16;
		struct pto_msend *ns = realloc(m->sends, cap * sizeof(*ns));

		if (!ns)
			return pto__mpi_latch(m, -ENOMEM, m->rank, "rank %d: out of memory", m->rank);
		m->sends = ns;
		m->cap_sends = cap;
	}
	data = calloc(1, sizeof(*h) + b->size);
	if (!data)
		return pto__mpi_latch(m, -ENOMEM, m->rank, "rank %d: out of memory staging '%s'",
				      m->rank, b->name);
	h = (struct pto_mpi_hdr *)data;
	if (!m->err) {
		rc = local_copy(m, b);
		if (!rc)
			rc = pto_mem_download(m->dev, data + sizeof(*h), b->addr, b->size);
		if (rc)
			pto__mpi_latch(m, PTO_E_TRANSFER, m->rank, "rank %d: staging buffer '%s' for "
				       "rank %d: %s", m->rank, b->name, dest, pto_last_error());
	}
	/* a failed rank still sends: the header tells the receiver */
	h->status = m->err;
	h->rank = m->err ? m->err_rank : -1;
	h->prog = prog;
	h->buf = id;
	s = &m->sends[m->num_sends];
	s->data = data;
	s->prog = prog;
	s->buf = id;
	s->dest = dest;
	if (MPI_Isend(data, (int)(sizeof(*h) + b->size), MPI_BYTE, dest, (int)(prog % TAG_MAX),
		      m->comm, &s->req) != MPI_SUCCESS) {
		free(data);
		return pto__mpi_latch(m, PTO_E_TRANSFER, m->rank, "rank %d: MPI_Isend of '%s' to "
				      "rank %d failed", m->rank, b->name, dest);
	}
	m->num_sends++;
	m->stats.sends++;
	m->stats.send_bytes += b->size;
	return 0;
}

/* Executing side: receive @b from its owner for program @prog, upload it. */
static int recv_buf(struct pto_mpi *m, uint32_t id, uint32_t prog)
{
	struct pto_mbuf *b = &m->bufs[id];
	struct pto_mpi_hdr *h;
	MPI_Request req;
	char what[160];
	uint8_t *data = malloc(sizeof(*h) + b->size);
	int rc;

	if (!data)
		return pto__mpi_latch(m, -ENOMEM, m->rank, "rank %d: out of memory receiving '%s'",
				      m->rank, b->name);
	h = (struct pto_mpi_hdr *)data;
	if (MPI_Irecv(data, (int)(sizeof(*h) + b->size), MPI_BYTE, b->owner,
		      (int)(prog % TAG_MAX), m->comm, &req) != MPI_SUCCESS) {
		free(data);
		return pto__mpi_latch(m, PTO_E_TRANSFER, m->rank, "rank %d: MPI_Irecv of '%s' "
				      "failed", m->rank, b->name);
	}
	snprintf(what, sizeof(what), "for buffer '%s' of program %u from rank %d", b->name, prog,
		 b->owner);
	rc = pto__mpi_wait(m, &req, NULL, what);
	if (rc) {
		free(data);
		return pto__mpi_latch(m, rc, m->rank, "%s", pto_last_error());
	}
	m->stats.recvs++;
	m->stats.recv_bytes += b->size;
	if (h->prog != prog || h->buf != id) {
		struct pto_mpi_hdr got = *h;

		free(data);
		return pto__mpi_latch(m, -EINVAL, m->rank, "rank %d: expected buffer '%s' of "
				      "program %u from rank %d, got buffer %u of program %u: the "
				      "ranks did not submit the same workload", m->rank, b->name,
				      prog, b->owner, got.buf, got.prog);
	}
	if (h->status) {
		/* the sender (or a rank before it) failed: stop running programs here too */
		pto__mpi_latch(m, PTO_E_REMOTE, h->rank, "rank %d failed (reported by rank %d "
			       "with buffer '%s'): %s", h->rank, b->owner, b->name,
			       pto_strerror(h->status));
		free(data);
		return 0;
	}
	if (!m->err) {
		rc = local_copy(m, b);
		if (!rc)
			rc = pto_mem_upload(m->dev, b->addr, data + sizeof(*h), b->size);
		if (rc)
			pto__mpi_latch(m, PTO_E_TRANSFER, m->rank, "rank %d: uploading '%s': %s",
				       m->rank, b->name, pto_last_error());
	}
	free(data);
	return 0;
}

struct trampoline {
	pto_prog_fn fn;
	const struct pto_prog *ctx;
};

static int run_prog(struct pto_runtime *rt, void *arg)
{
	const struct trampoline *t = arg;

	return t->fn(rt, t->ctx);
}

PTO_MPI_API int pto_mpi_submit(struct pto_mpi *m, pto_prog_fn fn, void *arg,
			       const struct pto_use *uses, uint32_t n)
{
	struct pto_prog ctx;
	struct trampoline t = { fn, &ctx };
	uint32_t prog;
	int exec = -1, rc;

	if (!m || !fn)
		return pto_error_set(-EINVAL, "pto_mpi_submit: NULL %s", m ? "program" : "context");
	if (n == 0 || n > PTO_PROG_MAX_USES || !uses)
		return pto_error_set(-EINVAL, "pto_mpi_submit: %u uses (want 1..%u)", n,
				     PTO_PROG_MAX_USES);
	for (uint32_t i = 0; i < n; i++) {
		if (uses[i].buf >= m->num_bufs)
			return pto_error_set(-EINVAL, "pto_mpi_submit: use %u: no buffer %u (%u "
					     "declared)", i, uses[i].buf, m->num_bufs);
		if (uses[i].mode < PTO_USE_IN || uses[i].mode > PTO_USE_INOUT)
			return pto_error_set(-EINVAL, "pto_mpi_submit: use %u: mode %u is not IN, "
					     "OUT or INOUT", i, uses[i].mode);
		for (uint32_t j = 0; j < i; j++)
			if (uses[j].buf == uses[i].buf)
				return pto_error_set(-EINVAL, "pto_mpi_submit: buffer '%s' used "
						     "twice", m->bufs[uses[i].buf].name);
		if (!(uses[i].mode & PTO_USE_OUT))
			continue;
		if (exec < 0)
			exec = m->bufs[uses[i].buf].owner;
		else if (exec != m->bufs[uses[i].buf].owner)
			return pto_error_set(-EINVAL, "pto_mpi_submit: it writes '%s' (owner rank "
					     "%d) and '%s' (owner rank %d): a program runs on the "
					     "owner of what it writes, so they must have one owner",
					     m->bufs[uses[0].buf].name, exec,
					     m->bufs[uses[i].buf].name,
					     m->bufs[uses[i].buf].owner);
	}
	if (exec < 0)
		return pto_error_set(-EINVAL, "pto_mpi_submit: the program writes no buffer, so no "
				     "owner decides where it runs");
	prog = m->num_progs++;

	/* the transfers, decided identically on every rank */
	for (uint32_t i = 0; i < n; i++) {
		struct pto_mbuf *b = &m->bufs[uses[i].buf];

		if (!(uses[i].mode & PTO_USE_IN) || b->owner == exec ||
		    b->have[exec] == b->version)
			continue;
		if (m->rank == b->owner)
			send_buf(m, uses[i].buf, exec, prog);
		else if (m->rank == exec)
			recv_buf(m, uses[i].buf, prog);
		b->have[exec] = b->version;
	}
	if (m->rank == exec && !m->err) {
		memset(&ctx, 0, sizeof(ctx));
		ctx.dev = m->dev;
		ctx.device = (uint32_t)m->rank;
		ctx.index = prog;
		ctx.num_uses = n;
		ctx.arg = arg;
		for (uint32_t i = 0; i < n && !m->err; i++) {
			struct pto_mbuf *b = &m->bufs[uses[i].buf];

			rc = local_copy(m, b);
			if (rc)
				pto__mpi_latch(m, rc, m->rank, "rank %d: buffer '%s': %s", m->rank,
					       b->name, pto_last_error());
			ctx.addr[i] = b->addr;
			ctx.size[i] = b->size;
		}
		if (!m->err) {
			rc = pto_run(m->rt, run_prog, &t);
			if (rc)
				pto__mpi_latch(m, rc, m->rank, "rank %d program %u: %s", m->rank, prog,
					       pto_last_error());
			else
				m->stats.programs++;
		}
	}
	/* written: a new version, held by the owner (the executing rank) only */
	for (uint32_t i = 0; i < n; i++) {
		struct pto_mbuf *b = &m->bufs[uses[i].buf];

		if (uses[i].mode & PTO_USE_OUT) {
			b->have[exec] = ++b->version;
			if (exec == m->rank)
				b->dirty = true;
		}
	}
	/* a failure is reported by pto_mpi_wait_all(): the caller keeps submitting */
	return exec;
}
