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
	struct bgemm_io io;
	int rc = bgemm_io_init(st, &io);

	for (uint32_t g = 0; !rc && g < st->groups; g++) {
		PTO_SCOPE(rt, PTO_SCOPE_MANUAL) {
			int64_t prev_add = PTO_TASK_NONE;

			for (uint32_t k = 0; !rc && k < st->grid_k; k++) {
				int64_t gemm, add, task[2];

				bgemm_submit_pair(rt, st, &io, g, k, task);
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
	/* MANUAL scopes with explicit edges: right in either mode */
	.deps = EX_DEPS_AUTO | EX_DEPS_EXPLICIT,
	.description = "bgemm with a MANUAL scope per group: GEMM->ADD and ADD->ADD edges by hand",
	EX_CASES(bgemm_manual_cases),
	.orch = bgemm_manual_orch,
	BGEMM_EXAMPLE_COMMON,
};
