// SPDX-License-Identifier: MIT
/*
 * bgemm - grouped GEMM with a K-accumulation chain.
 *
 *	C[g*loop + i] = sum_k A[g, k, i] @ B[g, k, i]	(tile x tile matrices)
 *
 * n GEMM+ADD pairs in n/grid_k groups: per (group, k) a GEMM task on an AIC
 * core multiplies loop tile pairs into a fresh runtime-created output P,
 * and an ADD task on an AIV core accumulates P into the group's view of C
 * (INOUT).  The ADDs of a group chain through C; the GEMMs are independent.
 * One scope per group, so P buffers are recycled group by group.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "examples/bgemm/bgemm.h"

/* [tiles, tile, tile] */
static void bgemm_tiles_shape(const struct bgemm_state *st, uint64_t tiles, uint32_t shape[3])
{
	shape[0] = (uint32_t)tiles;
	shape[1] = st->tile;
	shape[2] = st->tile;
}

int bgemm_io_init(const struct bgemm_state *st, struct bgemm_io *io)
{
	uint32_t shape[3];
	int rc;

	bgemm_tiles_shape(st, st->tiles_ab, shape);
	if ((rc = pto_tensor_external(&io->a, st->a_addr, PTO2_DTYPE_F32, 3, shape)) ||
	    (rc = pto_tensor_external(&io->b, st->b_addr, PTO2_DTYPE_F32, 3, shape)))
		return rc;
	bgemm_tiles_shape(st, st->tiles_c, shape);
	return pto_tensor_external(&io->c, st->c_addr, PTO2_DTYPE_F32, 3, shape);
}

void bgemm_submit_pair(struct pto_runtime *rt, const struct bgemm_state *st,
		       const struct bgemm_io *io, uint32_t g, uint32_t k, int64_t task[2])
{
	uint32_t vshape[3], off[3] = { g * st->loop, 0, 0 };
	struct pto_tensor av, bv, cv;
	struct pto_launch gemm = { .aic = EX_K_MATMUL, .aiv0 = PTO_NO_KERNEL,
				   .aiv1 = PTO_NO_KERNEL, .block_num = st->blocks };
	struct pto_launch add = { .aic = PTO_NO_KERNEL, .aiv0 = EX_K_ACC,
				  .aiv1 = PTO_NO_KERNEL, .block_num = st->blocks };
	struct pto_args args;
	struct pto_tensor p;

	bgemm_tiles_shape(st, st->loop, vshape);
	pto_tensor_view(&cv, &io->c, vshape, off);
	off[0] = (g * st->grid_k + k) * st->loop;
	pto_tensor_view(&av, &io->a, vshape, off);
	pto_tensor_view(&bv, &io->b, vshape, off);

	pto_tensor_create(&p, PTO2_DTYPE_F32, 3, vshape);
	pto_args_init(&args);		/* P = A[g,k] @ B[g,k] */
	pto_arg_input(&args, &av);
	pto_arg_input(&args, &bv);
	pto_arg_output(&args, &p);
	task[0] = pto_submit(rt, &gemm, &args);

	pto_args_init(&args);		/* C[g] += P */
	pto_arg_inout(&args, &cv);
	pto_arg_input(&args, &p);
	task[1] = pto_submit(rt, &add, &args);
}

static int bgemm_orch(struct pto_runtime *rt, void *arg)
{
	struct bgemm_state *st = arg;
	struct bgemm_io io;
	int64_t task[2];
	int rc = bgemm_io_init(st, &io);

	if (rc)
		return rc;
	for (uint32_t g = 0; g < st->groups; g++) {
		PTO_SCOPE(rt) {
			for (uint32_t k = 0; k < st->grid_k; k++)
				bgemm_submit_pair(rt, st, &io, g, k, task);
		}
	}
	return 0;
}

int bgemm_setup(struct ex_run *run)
{
	struct bgemm_state *st = calloc(1, sizeof(*st));
	uint32_t n;
	uint64_t tsz, bytes_ab, bytes_c;
	int rc;

	if (!st)
		return ex_fail(run, -ENOMEM, "out of memory");
	run->state = st;
	if ((rc = ex_param_u32(run, "tile", 1024, &st->tile)) ||
	    (rc = ex_param_u32(run, "loop", 1024, &st->loop)) ||
	    (rc = ex_param_u32(run, "grid_k", 1024, &st->grid_k)) ||
	    (rc = ex_param_u32(run, "n", 1u << 20, &n)) ||
	    (rc = ex_param_u32_or(run, "blocks", 64, 1, &st->blocks)))
		return rc;
	if (n % st->grid_k)
		return ex_fail(run, -EINVAL, "n=%u GEMM+ADD pairs do not split into groups of "
			       "grid_k=%u", n, st->grid_k);
	st->groups = n / st->grid_k;
	st->tiles_ab = (uint64_t)n * st->loop;
	st->tiles_c = (uint64_t)st->groups * st->loop;
	tsz = (uint64_t)st->tile * st->tile;
	bytes_ab = st->tiles_ab * tsz * sizeof(float);
	bytes_c = st->tiles_c * tsz * sizeof(float);
	if (st->tiles_ab > UINT32_MAX)
		return ex_fail(run, -EINVAL, "n * loop = %llu tiles is too many",
			       (unsigned long long)st->tiles_ab);
	st->a = malloc(bytes_ab);
	st->b = malloc(bytes_ab);
	if (!st->a || !st->b)
		return ex_fail(run, -ENOMEM, "out of host memory for A and B (%llu bytes each)",
			       (unsigned long long)bytes_ab);
	ex_fill_random(st->a, st->tiles_ab * tsz, 1);
	ex_fill_random(st->b, st->tiles_ab * tsz, 2);
	if ((rc = ex_dev_alloc(run, bytes_ab, st->a, &st->a_addr)) ||
	    (rc = ex_dev_alloc(run, bytes_ab, st->b, &st->b_addr)))
		return rc;
	if ((rc = ex_dev_alloc(run, bytes_c, NULL, &st->c_addr)))
		return rc;
	return bgemm_reset(run);
}

/* C is an accumulator: it starts every round at zero. */
int bgemm_reset(struct ex_run *run)
{
	struct bgemm_state *st = run->state;

	return ex_dev_fill(run, st->c_addr, st->tiles_c * st->tile * st->tile, 0.0f);
}

void bgemm_golden_tile(const float *a, const float *b, uint32_t tile, uint32_t loop,
		       uint32_t grid_k, uint64_t ct, double *w)
{
	uint64_t tsz = (uint64_t)tile * tile, g = ct / loop, i = ct % loop;

	memset(w, 0, tsz * sizeof(*w));
	for (uint32_t k = 0; k < grid_k; k++) {
		uint64_t at = (g * grid_k + k) * loop + i;
		const float *at_a = a + at * tsz, *at_b = b + at * tsz;

		for (uint32_t r = 0; r < tile; r++)
			for (uint32_t x = 0; x < tile; x++) {
				double av = at_a[r * tile + x];

				for (uint32_t col = 0; col < tile; col++)
					w[r * tile + col] += av * at_b[x * tile + col];
			}
	}
}

int bgemm_check(struct ex_run *run, struct ex_result *res)
{
	struct bgemm_state *st = run->state;
	uint32_t t = st->tile;
	uint64_t tsz = (uint64_t)t * t, n = st->tiles_c * tsz;
	double *want = calloc(n, sizeof(*want));
	int rc;

	if (!want)
		return ex_fail(run, -ENOMEM, "out of memory");
	for (uint64_t ct = 0; ct < st->tiles_c; ct++)
		bgemm_golden_tile(st->a, st->b, t, st->loop, st->grid_k, ct, want + ct * tsz);
	rc = ex_check_download(run, st->c_addr, want, n, res);
	free(want);
	return rc;
}

void bgemm_teardown(struct ex_run *run)
{
	struct bgemm_state *st = run->state;

	if (st) {
		free(st->a);
		free(st->b);
	}
	free(st);
}

static const struct ex_case bgemm_cases[] = { BGEMM_CASES };

const struct ex_example ex_bgemm = {
	.name = "bgemm",
	.description = "grouped GEMM (AIC) + accumulate (AIV) pairs with a K-accumulation chain",
	EX_CASES(bgemm_cases),
	.orch = bgemm_orch,
	BGEMM_EXAMPLE_COMMON,
};
