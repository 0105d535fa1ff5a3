/* SPDX-License-Identifier: MIT */
/*
 * gm_test_util.h - a host buffer standing in for device memory, with one
 * dispatch payload in it, for tests that call kernels directly (header-only,
 * like rt_test_util.h).  The includer defines GM_SIZE (bytes) and includes
 * <cmocka.h> first.
 */
#ifndef PTO_GM_TEST_UTIL_H
#define PTO_GM_TEST_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pto/kernel.h"

struct gm {
	uint8_t *mem;
	uint64_t used;
	struct pto2_dispatch_payload *pl;
	struct pto_kernel_ctx ctx;
};

/* @bytes of device memory, 64-byte aligned; returns its device address. */
static inline uint64_t gm_alloc(struct gm *g, uint64_t bytes)
{
	uint64_t addr = g->used;

	g->used = (g->used + bytes + 63) & ~63ull;
	assert_true(g->used <= GM_SIZE);
	return addr;
}

/* Zeroed memory and an empty payload of one block, its kernel context ready. */
static inline void gm_init(struct gm *g)
{
	g->mem = aligned_alloc(64, GM_SIZE);
	assert_non_null(g->mem);
	memset(g->mem, 0, GM_SIZE);
	g->used = 64;	/* device address 0 is never an allocation */
	g->pl = (struct pto2_dispatch_payload *)(g->mem + gm_alloc(g, PTO2_PAYLOAD_SIZE));
	g->pl->block_num = 1;
	g->ctx = (struct pto_kernel_ctx){ .payload = g->pl, .gm = g->mem };
}

static inline void gm_fini(struct gm *g)
{
	free(g->mem);
}

/*
 * Add a tensor argument: a view (@shape at @off; NULL = all of it, from 0)
 * of a buffer of @raw at device address @buf.  Tensors come before scalars.
 */
static inline void gm_arg(struct gm *g, uint64_t buf, uint32_t dtype, uint32_t ndims,
			  const uint32_t *raw, const uint32_t *shape, const uint32_t *off)
{
	uint64_t daddr = gm_alloc(g, sizeof(struct pto2_tensor_desc));
	struct pto2_tensor_desc *t = (struct pto2_tensor_desc *)(g->mem + daddr);
	uint64_t start = 0, stride = 1, size = PTO2_DTYPE_SIZE(dtype);

	assert_int_equal(g->pl->num_scalars, 0);
	for (uint32_t d = ndims; d-- > 0;) {
		t->raw_shapes[d] = raw[d];
		t->shapes[d] = shape ? shape[d] : raw[d];
		t->offsets[d] = off ? off[d] : 0;
		start += t->offsets[d] * stride;
		stride *= raw[d];
	}
	t->buffer_addr = buf;
	t->buffer_size = stride * size;
	t->start_offset = start;
	t->dtype = dtype;
	t->ndims = ndims;
	t->owner_task = PTO2_TASK_NONE;
	g->pl->args[g->pl->num_tensors++] = daddr;
}

static inline void gm_scalar(struct gm *g, uint64_t v)
{
	g->pl->args[g->pl->num_tensors + g->pl->num_scalars++] = v;
}

#endif /* PTO_GM_TEST_UTIL_H */
