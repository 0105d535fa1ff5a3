// SPDX-License-Identifier: MIT
/*
 * test_desc.c - the tensor descriptors a kernel receives hold what the ABI
 * (uapi struct pto2_tensor_desc) promises, on argument-block memory an
 * earlier run left dirty: a view's shape, buffer shape and offsets, its
 * flat start offset, dimensions beyond ndims as extent 1 and offset 0,
 * zero padding, and an OUTPUT's address and owner (the task itself).
 * The submit copies the shape block from the tensor without clearing the
 * descriptor first (orch/submit.c fill_desc()), so these are its guard.
 */
#include "rt_test_util.h"

#define K_DIRTY		40	/* AIV: fills its OUTPUT with 0xa5 bytes */
#define K_CHECK		41	/* AIV: checks its three descriptors, status names the first wrong field */
#define DIRTY_BYTES	(64u * 1024)

static int k_dirty(const struct pto_kernel_ctx *ctx)
{
	memset(pto_kernel_data(ctx, 0), 0xa5, DIRTY_BYTES);
	return 0;
}

/* 0 if the unused dimensions of @d (from @nd on) are 1/1/0 and the padding 0, else @bad. */
static int tail_clean(const struct pto2_tensor_desc *d, uint32_t nd, int bad)
{
	for (uint32_t k = nd; k < PTO2_MAX_DIMS; k++)
		if (d->shapes[k] != 1 || d->raw_shapes[k] != 1 || d->offsets[k] != 0)
			return bad;
	for (uint32_t k = 0; k < 3; k++)
		if (d->pad[k])
			return bad + 1;
	return 0;
}

/*
 * Arguments: 0 and 1 a 1-D input (ballast: they put argument 2's
 * descriptor past the first block of the dirty run), 2 a view [4][8] at
 * [2][4] of an [8][16] buffer, then an OUTPUT of 32 words; scalar 0 the
 * view's buffer address.
 */
static int k_check(const struct pto_kernel_ctx *ctx)
{
	const struct pto2_tensor_desc *v = pto_kernel_tensor(ctx, 2);
	const struct pto2_tensor_desc *o = pto_kernel_tensor(ctx, 3);
	int ret;

	if (v->buffer_addr != pto_kernel_scalar(ctx, 0) || v->buffer_size != 8 * 16 * 4)
		return 10;
	if (v->dtype != PTO2_DTYPE_I32 || v->ndims != 2)
		return 11;
	if (v->shapes[0] != 4 || v->shapes[1] != 8 || v->raw_shapes[0] != 8 ||
	    v->raw_shapes[1] != 16 || v->offsets[0] != 2 || v->offsets[1] != 4)
		return 12;
	if (v->start_offset != 2 * 16 + 4)
		return 13;
	if (v->owner_task != PTO2_TASK_NONE || v->version != 0)
		return 14;
	ret = tail_clean(v, 2, 15);
	if (ret)
		return ret;
	if (o->buffer_addr == 0 || o->buffer_size != 32 * 4 || o->ndims != 1 ||
	    o->shapes[0] != 32 || o->raw_shapes[0] != 32 || o->offsets[0] != 0 ||
	    o->start_offset != 0)
		return 20;
	if (o->owner_task != ctx->payload->task_id)
		return 21;
	return tail_clean(o, 1, 22);
}

static int orch_dirty(struct pto_runtime *rt, void *p)
{
	struct pto_tensor out;
	struct pto_args a;
	uint32_t shape[1] = { DIRTY_BYTES / 4 };
	int64_t id;

	(void)p;
	assert_int_equal(pto_tensor_create(&out, PTO2_DTYPE_I32, 1, shape), 0);
	pto_args_init(&a);
	pto_arg_output(&a, &out);
	id = pto_submit_aiv(rt, K_DIRTY, &a);
	return id < 0 ? (int)id : 0;
}

struct check {
	uint64_t buf, small;
};

static int orch_check(struct pto_runtime *rt, void *p)
{
	const struct check *c = p;
	uint32_t raw[2] = { 8, 16 }, vs[2] = { 4, 8 }, off[2] = { 2, 4 }, n1[1] = { 4 };
	uint32_t n32[1] = { 32 };
	struct pto_tensor whole, view, small, out;
	struct pto_args a;
	int64_t id;

	assert_int_equal(pto_tensor_external(&whole, c->buf, PTO2_DTYPE_I32, 2, raw), 0);
	assert_int_equal(pto_tensor_view(&view, &whole, vs, off), 0);
	assert_int_equal(pto_tensor_external(&small, c->small, PTO2_DTYPE_I32, 1, n1), 0);
	assert_int_equal(pto_tensor_create(&out, PTO2_DTYPE_I32, 1, n32), 0);
	pto_args_init(&a);
	pto_arg_input(&a, &small);
	pto_arg_input(&a, &small);
	pto_arg_input(&a, &view);
	pto_arg_output(&a, &out);
	pto_arg_scalar(&a, c->buf);
	id = pto_submit_aiv(rt, K_CHECK, &a);
	return id < 0 ? (int)id : 0;
}

static void test_descriptors_on_dirty_memory(void **state)
{
	struct pto_runtime_config cfg;
	struct pto_runtime *rt;
	struct pto_device *dev = rt_open_dev(1);
	struct check c;

	(void)state;
	rt_test_config(&cfg, 16);
	assert_int_equal(pto_runtime_create(dev, &cfg, &rt), 0);
	assert_int_equal(pto_register_kernel(rt, K_DIRTY, PTO2_CORE_AIV, k_dirty, "dirty"), 0);
	assert_int_equal(pto_register_kernel(rt, K_CHECK, PTO2_CORE_AIV, k_check, "check"), 0);
	c.buf = rt_buf(dev, 8 * 16, 1);
	c.small = rt_buf(dev, 4, 2);
	/* a new run allocates from the start of the heap again: over the 0xa5 bytes */
	assert_int_equal(pto_run(rt, orch_dirty, NULL), 0);
	if (pto_run(rt, orch_check, &c) != 0)
		fail_msg("descriptor check: %s", pto_last_error());
	pto_runtime_destroy(rt);
	pto_device_close(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_descriptors_on_dirty_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
