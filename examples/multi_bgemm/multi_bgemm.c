// SPDX-License-Identifier: MIT
/*
 * multi_bgemm - examples/bgemm split by output tiles over several devices
 * (pto/host.h) or ranks (pto/pto_mpi.h).
 *
 *	C[g*loop + i] = sum_k A[g, k, i] @ B[g, k, i]	(tile x tile matrices)
 *
 * The groups g (each loop tiles of C) are divided into contiguous parts;
 * the program of a part submits, per group and k, a GEMM (AIC) into a fresh
 * P and an ADD (AIV) accumulating P into the part's C view, exactly as the
 * single-device example does.  A and B are whole inputs of every part (the
 * host level copies them in); each part's C slice is its own buffer.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "examples/bgemm/bgemm.h"
#include "examples/example.h"
#include "examples/multi_bgemm/multi_bgemm.h"

int mbg_init(struct mbg *m, uint32_t tile, uint32_t loop, uint32_t grid_k, uint32_t n)
{
	uint64_t tsz;

	memset(m, 0, sizeof(*m));
	if (!tile || !loop || !grid_k || !n || n % grid_k || tile > 256 || loop > 64 ||
	    n > 4096)
		return pto_error_set(-EINVAL, "multi_bgemm: tile=%u loop=%u grid_k=%u n=%u: want "
				     "n a multiple of grid_k, tile <= 256, loop <= 64, n <= 4096",
				     tile, loop, grid_k, n);
	m->tile = tile;
	m->loop = loop;
	m->grid_k = grid_k;
	m->groups = n / grid_k;
	m->tiles_ab = (uint64_t)n * loop;
	tsz = (uint64_t)tile * tile;
	m->bytes_ab = m->tiles_ab * tsz * sizeof(float);
	m->a = malloc(m->bytes_ab);
	m->b = malloc(m->bytes_ab);
	m->c = calloc((uint64_t)m->groups * loop * tsz, sizeof(float));
	if (!m->a || !m->b || !m->c) {
		mbg_free(m);
		return pto_error_set(-ENOMEM, "multi_bgemm: out of host memory");
	}
	/* the seeds of examples/bgemm: the same A and B */
	ex_fill_random(m->a, m->tiles_ab * tsz, 1);
	ex_fill_random(m->b, m->tiles_ab * tsz, 2);
	return 0;
}

void mbg_free(struct mbg *m)
{
	free(m->a);
	free(m->b);
	free(m->c);
	m->a = m->b = m->c = NULL;
}

void mbg_split(const struct mbg *m, uint32_t k, uint32_t i, struct mbg_part *p)
{
	p->m = m;
	p->g_lo = (uint32_t)((uint64_t)i * m->groups / k);
	p->g_hi = (uint32_t)((uint64_t)(i + 1) * m->groups / k);
}

float *mbg_c_part(const struct mbg *m, const struct mbg_part *p, uint64_t *bytes)
{
	uint64_t tsz = (uint64_t)m->tile * m->tile;

	*bytes = (uint64_t)(p->g_hi - p->g_lo) * m->loop * tsz * sizeof(float);
	return m->c + (uint64_t)p->g_lo * m->loop * tsz;
}

int mbg_register(struct pto_runtime *rt)
{
	return ex_register_kernels(rt);
}

int mbg_program(struct pto_runtime *rt, const struct pto_prog *p)
{
	const struct mbg_part *part = p->arg;
	const struct mbg *m = part->m;
	uint32_t ng = part->g_hi - part->g_lo, shape[3] = { 0, m->tile, m->tile };
	struct pto_launch gemm = { .aic = EX_K_MATMUL, .aiv0 = PTO_NO_KERNEL,
				   .aiv1 = PTO_NO_KERNEL };
	struct pto_launch add = { .aic = PTO_NO_KERNEL, .aiv0 = EX_K_ACC,
				  .aiv1 = PTO_NO_KERNEL };
	struct pto_tensor a, b, c;
	void *cz;
	int rc;

	if (p->num_uses != 3)
		return pto_error_set(-EINVAL, "multi_bgemm: %u buffers, want A, B, C", p->num_uses);
	if (ng == 0)
		return 0;
	/* C is an accumulator over k: it starts at zero (an OUT buffer is undefined) */
	cz = pto_mem_map(p->dev, p->addr[2], p->size[2]);
	if (!cz)
		return -EINVAL;
	memset(cz, 0, p->size[2]);
	shape[0] = (uint32_t)m->tiles_ab;
	if ((rc = pto_tensor_external(&a, p->addr[0], PTO2_DTYPE_F32, 3, shape)) ||
	    (rc = pto_tensor_external(&b, p->addr[1], PTO2_DTYPE_F32, 3, shape)))
		return rc;
	shape[0] = ng * m->loop;
	if ((rc = pto_tensor_external(&c, p->addr[2], PTO2_DTYPE_F32, 3, shape)))
		return rc;
	for (uint32_t g = part->g_lo; g < part->g_hi; g++) {
		PTO_SCOPE(rt) {
			for (uint32_t k = 0; k < m->grid_k; k++) {
				uint32_t vshape[3] = { m->loop, m->tile, m->tile };
				uint32_t off[3] = { (g - part->g_lo) * m->loop, 0, 0 };
				struct pto_tensor av, bv, cv, pt;
				struct pto_args args;

				pto_tensor_view(&cv, &c, vshape, off);
				off[0] = (g * m->grid_k + k) * m->loop;
				pto_tensor_view(&av, &a, vshape, off);
				pto_tensor_view(&bv, &b, vshape, off);
				pto_tensor_create(&pt, PTO2_DTYPE_F32, 3, vshape);
				pto_args_init(&args);		/* P = A[g,k] @ B[g,k] */
				pto_arg_input(&args, &av);
				pto_arg_input(&args, &bv);
				pto_arg_output(&args, &pt);
				pto_submit(rt, &gemm, &args);
				pto_args_init(&args);		/* C[g] += P */
				pto_arg_inout(&args, &cv);
				pto_arg_input(&args, &pt);
				pto_submit(rt, &add, &args);
			}
		}
	}
	return 0;
}

int mbg_check(const struct mbg *m, char *msg, size_t len)
{
	uint32_t t = m->tile;
	uint64_t tsz = (uint64_t)t * t, tiles_c = (uint64_t)m->groups * m->loop, bad = 0;
	double *w = malloc(tsz * sizeof(*w)), max_err = 0;

	if (!w) {
		snprintf(msg, len, "multi_bgemm: out of memory for the golden");
		return 1;
	}
	for (uint64_t ct = 0; ct < tiles_c; ct++) {
		bgemm_golden_tile(m->a, m->b, t, m->loop, m->grid_k, ct, w);
		for (uint64_t e = 0; e < tsz; e++) {
			double err = fabs((double)m->c[ct * tsz + e] - w[e]);

			/* the tolerances of examples/bgemm; NaN never passes */
			if (!(err <= 1e-3 + 1e-3 * fabs(w[e])))
				bad++;
			if (err > max_err || isnan(err))
				max_err = isnan(err) ? INFINITY : err;
		}
	}
	free(w);
	snprintf(msg, len, "%s: max error %g, %llu of %llu values outside 1e-3 + 1e-3 * |golden|",
		 bad ? "FAIL" : "PASS", max_err, (unsigned long long)bad,
		 (unsigned long long)(tiles_c * tsz));
	return bad ? 1 : 0;
}
