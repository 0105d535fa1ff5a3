// SPDX-License-Identifier: MIT
/*
 * args.c - tensors (external, runtime-created, views) and argument lists.
 * Pure value manipulation: no runtime needed, so misuse is latched in the
 * list and reported by pto_submit().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "libpto/api.h"
#include "libpto/error_impl.h"
#include "pto/runtime.h"

static int check_shape(const char *fn, enum pto2_dtype dtype, uint32_t ndims, const uint32_t *shape,
		       uint64_t *bytes)
{
	uint64_t n = 1;

	if ((uint32_t)dtype >= PTO2_DTYPE_COUNT)
		return pto__fail(-EINVAL, "%s: bad dtype %d", fn, (int)dtype);
	if (ndims == 0 || ndims > PTO2_MAX_DIMS)
		return pto__fail(-EINVAL, "%s: ndims %u not in 1..%u", fn, ndims, PTO2_MAX_DIMS);
	if (!shape)
		return pto__fail(-EINVAL, "%s: NULL shape", fn);
	for (uint32_t d = 0; d < ndims; d++) {
		if (shape[d] == 0)
			return pto__fail(-EINVAL, "%s: extent %u of dimension %u", fn, shape[d], d);
		if (__builtin_mul_overflow(n, shape[d], &n))
			return pto__fail(-EINVAL, "%s: size overflows", fn);
	}
	if (__builtin_mul_overflow(n, (uint64_t)PTO2_DTYPE_SIZE(dtype), bytes))
		return pto__fail(-EINVAL, "%s: size overflows", fn);
	return 0;
}

static void fill(struct pto_tensor *t, uint64_t addr, uint64_t bytes, enum pto2_dtype dtype,
		 uint32_t ndims, const uint32_t *shape)
{
	memset(t, 0, sizeof(*t));
	t->addr = addr;
	t->size = bytes;
	t->owner = PTO_TASK_NONE;
	t->dtype = dtype;
	t->ndims = ndims;
	for (uint32_t d = 0; d < PTO2_MAX_DIMS; d++) {
		t->shapes[d] = d < ndims ? shape[d] : 1;
		t->raw_shapes[d] = t->shapes[d];
	}
}

PTO_API int pto_tensor_external(struct pto_tensor *t, uint64_t addr, enum pto2_dtype dtype,
				uint32_t ndims, const uint32_t *shape)
{
	uint64_t bytes;
	int ret;

	if (!t)
		return pto__fail(-EINVAL, "pto_tensor_external: NULL tensor");
	if (addr == 0)
		return pto__fail(-EINVAL, "pto_tensor_external: device address 0");
	ret = check_shape("pto_tensor_external", dtype, ndims, shape, &bytes);
	if (ret)
		return ret;
	if (addr + bytes < addr)
		return pto__fail(-EINVAL, "pto_tensor_external: address range overflows");
	fill(t, addr, bytes, dtype, ndims, shape);
	return 0;
}

PTO_API int pto_tensor_create(struct pto_tensor *t, enum pto2_dtype dtype, uint32_t ndims,
			      const uint32_t *shape)
{
	uint64_t bytes;
	int ret;

	if (!t)
		return pto__fail(-EINVAL, "pto_tensor_create: NULL tensor");
	ret = check_shape("pto_tensor_create", dtype, ndims, shape, &bytes);
	if (ret)
		return ret;
	fill(t, 0, bytes, dtype, ndims, shape);
	t->flags = PTO_TENSOR_UNALLOCATED;
	return 0;
}

PTO_API int pto_tensor_view(struct pto_tensor *view, const struct pto_tensor *t,
			    const uint32_t *shape, const uint32_t *offsets)
{
	struct pto_tensor v;

	if (!view || !t || !shape)
		return pto__fail(-EINVAL, "pto_tensor_view: NULL argument");
	if (t->flags & PTO_TENSOR_UNALLOCATED)
		return pto__fail(-EINVAL, "pto_tensor_view: source tensor is not allocated yet "
				 "(submit its producer first)");
	if (t->ndims == 0 || t->ndims > PTO2_MAX_DIMS)
		return pto__fail(-EINVAL, "pto_tensor_view: source tensor is not initialized");
	v = *t;
	for (uint32_t d = 0; d < t->ndims; d++) {
		uint64_t off = offsets ? offsets[d] : 0;

		if (shape[d] == 0 || off + shape[d] > t->shapes[d])
			return pto__fail(-EINVAL, "pto_tensor_view: dimension %u: [%llu, %llu) "
					 "outside the source extent %u", d,
					 (unsigned long long)off,
					 (unsigned long long)off + shape[d], t->shapes[d]);
		v.shapes[d] = shape[d];
		v.offsets[d] = t->offsets[d] + (uint32_t)off;
	}
	*view = v;
	return 0;
}

PTO_API void pto_tensor_set_manual_dep(struct pto_tensor *t, int on)
{
	if (!t)
		return;
	if (on)
		t->flags |= PTO_TENSOR_MANUAL_DEP;
	else
		t->flags &= ~PTO_TENSOR_MANUAL_DEP;
}

PTO_API uint64_t pto_tensor_numel(const struct pto_tensor *t)
{
	uint64_t n = 1;

	if (!t || t->ndims == 0 || t->ndims > PTO2_MAX_DIMS)
		return 0;
	for (uint32_t d = 0; d < t->ndims; d++)
		n *= t->shapes[d];
	return n;
}

/* --- argument lists ---------------------------------------------------------- */

PTO_API void pto_args_init(struct pto_args *a)
{
	if (!a)
		return;
	/*
	 * Only the counts and the latched error: every array entry is written
	 * before a count covers it.  Clearing the whole 2.6 KiB list was a
	 * third of a fine-grained submit's instructions.
	 */
	a->num_tensors = 0;
	a->num_scalars = 0;
	a->num_deps = 0;
	a->error = 0;
	a->error_msg[0] = '\0';
}

__attribute__((format(printf, 3, 4)))
static void latch(struct pto_args *a, int code, const char *fmt, ...)
{
	va_list ap;

	if (a->error)
		return;
	a->error = code;
	va_start(ap, fmt);
	vsnprintf(a->error_msg, sizeof(a->error_msg), fmt, ap);
	va_end(ap);
}

PTO_API void pto_arg_tensor(struct pto_args *a, struct pto_tensor *t, enum pto_arg_kind kind)
{
	if (!a)
		return;
	if (!t) {
		latch(a, -EINVAL, "tensor argument %u is NULL", a->num_tensors);
		return;
	}
	if ((uint32_t)kind > PTO_ARG_NO_DEP) {
		latch(a, -EINVAL, "tensor argument %u: bad kind %d", a->num_tensors, (int)kind);
		return;
	}
	if (a->num_scalars) {
		latch(a, -EINVAL, "tensor argument %u added after a scalar (tensors come first)",
		      a->num_tensors);
		return;
	}
	if (a->num_tensors >= PTO2_MAX_TENSOR_ARGS) {
		latch(a, -EINVAL, "more than %u tensor arguments per task "
		      "(PTO2_MAX_TENSOR_ARGS)", PTO2_MAX_TENSOR_ARGS);
		return;
	}
	a->kinds[a->num_tensors] = (uint8_t)kind;
	a->tensors[a->num_tensors++] = t;
}

PTO_API void pto_arg_input(struct pto_args *a, struct pto_tensor *t)
{
	pto_arg_tensor(a, t, PTO_ARG_INPUT);
}

PTO_API void pto_arg_output(struct pto_args *a, struct pto_tensor *t)
{
	pto_arg_tensor(a, t, PTO_ARG_OUTPUT);
}

PTO_API void pto_arg_inout(struct pto_args *a, struct pto_tensor *t)
{
	pto_arg_tensor(a, t, PTO_ARG_INOUT);
}

PTO_API void pto_arg_output_existing(struct pto_args *a, struct pto_tensor *t)
{
	pto_arg_tensor(a, t, PTO_ARG_OUTPUT_EXISTING);
}

PTO_API void pto_arg_no_dep(struct pto_args *a, struct pto_tensor *t)
{
	pto_arg_tensor(a, t, PTO_ARG_NO_DEP);
}

PTO_API void pto_arg_scalar(struct pto_args *a, uint64_t v)
{
	if (!a)
		return;
	if (a->num_scalars >= PTO2_MAX_SCALAR_ARGS) {
		latch(a, -EINVAL, "more than %u scalar arguments per task "
		      "(PTO2_MAX_SCALAR_ARGS)", PTO2_MAX_SCALAR_ARGS);
		return;
	}
	a->scalars[a->num_scalars++] = v;
}

PTO_API void pto_arg_scalar_f32(struct pto_args *a, float v)
{
	uint32_t bits;

	memcpy(&bits, &v, sizeof(bits));
	pto_arg_scalar(a, bits);
}

PTO_API void pto_args_add_dep(struct pto_args *a, int64_t producer)
{
	if (!a)
		return;
	if (producer < 0) {
		latch(a, -EINVAL, "explicit dependency %u: bad task id %lld", a->num_deps,
		      (long long)producer);
		return;
	}
	if (a->num_deps >= PTO_MAX_ARG_DEPS) {
		latch(a, -EINVAL, "more than %u explicit dependencies per argument list "
		      "(PTO_MAX_ARG_DEPS)", PTO_MAX_ARG_DEPS);
		return;
	}
	a->deps[a->num_deps++] = producer;
}
