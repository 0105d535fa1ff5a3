// SPDX-License-Identifier: MIT
/*
 * bgemm_manual - bgemm with one MANUAL scope per group.
 *
 * Each ADD depends explicitly on its GEMM and on the group's previous ADD
 * (the K-accumulation chain through C); nothing in the scope is tracked by
 * tensor overlap.  A group's tasks start when its scope ends.
 */
#include "examples/bgemm/bgemm.h"

static int bgemm_manual_orch(struct pto_runtime *rt, void *arg)
{
	struct bgemm_state *st = arg;
	struct pto_tensor a, b, c, av, bv, cv;
	uint32_t shape[3], vshape[3], off[3] = { 0, 0, 0 };
	int rc;

	bgemm_tiles_shape(st, st->tiles_ab, shape);
	if ((rc = pto_tensor_external(&a, st->a_addr, PTO2_DTYPE_F32, 3, shape)) ||
	    (rc = pto_tensor_external(&b, st->b_addr, PTO2_DTYPE_F32, 3, shape)))
		return rc;
	bgemm_tiles_shape(st, st->tiles_c, shape);
	if ((rc = pto_tensor_external(&c, st->c_addr, PTO2_DTYPE_F32, 3, shape)))
		return rc;
	bgemm_tiles_shape(st, st->loop, vshape);

	for (uint32_t g = 0; !rc && g < st->groups; g++) {
		PTO_SCOPE(rt, PTO_SCOPE_MANUAL) {
			int64_t prev_add = PTO_TASK_NONE;

			off[0] = g * st->loop;
			pto_tensor_view(&cv, &c, vshape, off);
			for (uint32_t k = 0; !rc && k < st->grid_k; k++) {
				int64_t gemm, add, task[2];

				off[0] = (g * st->grid_k + k) * st->loop;
				pto_tensor_view(&av, &a, vshape, off);
				pto_tensor_view(&bv, &b, vshape, off);
				bgemm_submit_pair(rt, st, &av, &bv, &cv, task);
				gemm = task[0];
				add = task[1];

				if (gemm < 0 || add < 0)
					rc = PTO_E_ABORTED;	/* the submit failed the run */
				else if (!(rc = pto_add_dependency(rt, gemm, add)) &&
					 prev_add != PTO_TASK_NONE)
					rc = pto_add_dependency(rt, prev_add, add);
				prev_add = add;
			}
		}
	}
	return rc;
}

static const struct ex_case bgemm_manual_cases[] = { BGEMM_CASES };

const struct ex_example ex_bgemm_manual = {
	.name = "bgemm_manual",
	.description = "bgemm with a MANUAL scope per group: GEMM->ADD and ADD->ADD edges by hand",
	EX_CASES(bgemm_manual_cases),
	.orch = bgemm_manual_orch,
	BGEMM_EXAMPLE_COMMON,
};
