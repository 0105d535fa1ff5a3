// SPDX-License-Identifier: MIT
/* run.c - preparing an example case (parameters, setup) and the kernel table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "examples/example.h"
#include "examples/batch_paged_attention/batch_pa.h"
#include "runtime/kernels/kernels.h"

static const struct {
	pto_kernel_fn fn;
	enum pto2_core_type type;
	const char *name;
} ex_kernels[EX_K_COUNT] = {
	[EX_K_ADD] = { kern_add, PTO2_CORE_AIV, "add" },
	[EX_K_ADD_SCALAR] = { kern_add_scalar, PTO2_CORE_AIV, "add_scalar" },
	[EX_K_MUL] = { kern_mul, PTO2_CORE_AIV, "mul" },
	[EX_K_ACC] = { kern_acc, PTO2_CORE_AIV, "acc" },
	[EX_K_MATMUL] = { kern_matmul, PTO2_CORE_AIC, "matmul" },
	[EX_K_MATMUL_ACC] = { kern_matmul_acc, PTO2_CORE_AIC, "matmul_acc" },
	[EX_K_QK] = { kern_matmul_bt, PTO2_CORE_AIC, "qk" },
	[EX_K_SOFTMAX_PREPARE] = { kern_softmax_prepare, PTO2_CORE_AIV, "softmax_prepare" },
	[EX_K_PV] = { kern_matmul, PTO2_CORE_AIC, "pv" },
	[EX_K_ONLINE_UPDATE] = { kern_online_update, PTO2_CORE_AIV, "online_update" },
	[EX_K_QK_PAGED] = { kern_qk_paged, PTO2_CORE_AIC, "qk_paged" },
	[EX_K_PV_PAGED] = { kern_pv_paged, PTO2_CORE_AIC, "pv_paged" },
	[EX_K_QK_BATCH] = { kern_qk_batch, PTO2_CORE_AIC, "qk_batch" },
	[EX_K_SOFTMAX_BATCH] = { kern_softmax_batch, PTO2_CORE_AIV, "softmax_batch" },
	[EX_K_PV_BATCH] = { kern_pv_batch, PTO2_CORE_AIC, "pv_batch" },
};

int ex_register_kernels(struct pto_runtime *rt)
{
	for (uint32_t id = 0; id < EX_K_COUNT; id++) {
		int rc = pto_register_kernel(rt, id, ex_kernels[id].type, ex_kernels[id].fn,
					     ex_kernels[id].name);

		if (rc)
			return rc;
	}
	return 0;
}

/* Is @key (length @len) one of the space-separated words of @keys? */
static int key_known(const char *keys, const char *key, size_t len)
{
	const char *p = keys;

	while (*p) {
		size_t w = strcspn(p, " ");

		if (w == len && !strncmp(p, key, len))
			return 1;
		p += w;
		p += strspn(p, " ");
	}
	return 0;
}

/* Set one "key=value" item (replacing an earlier value of the same key). */
static int param_set(struct ex_run *run, const char *item, size_t len, int check_key)
{
	struct ex_params *p = &run->params;
	const char *eq = memchr(item, '=', len);
	size_t klen = eq ? (size_t)(eq - item) : 0;
	size_t vlen = eq ? len - klen - 1 : 0;
	uint32_t i;

	if (!eq || klen == 0 || vlen == 0)
		return ex_fail(run, -EINVAL, "parameter \"%.*s\": expected key=value", (int)len,
			       item);
	if (klen >= sizeof(p->key[0]) || vlen >= sizeof(p->val[0]))
		return ex_fail(run, -EINVAL, "parameter \"%.*s\" is too long", (int)len, item);
	if (check_key && !key_known(run->ex->keys, item, klen))
		return ex_fail(run, -EINVAL, "%s has no parameter \"%.*s\" (it has: %s)",
			       run->ex->name, (int)klen, item, run->ex->keys);
	for (i = 0; i < p->n; i++)
		if (strlen(p->key[i]) == klen && !strncmp(p->key[i], item, klen))
			break;
	if (i == p->n) {
		if (p->n == EX_MAX_PARAMS)
			return ex_fail(run, -EINVAL, "too many parameters");
		p->n++;
	}
	memcpy(p->key[i], item, klen);
	p->key[i][klen] = 0;
	memcpy(p->val[i], eq + 1, vlen);
	p->val[i][vlen] = 0;
	return 0;
}

int ex_prepare(struct ex_run *run, const struct ex_example *ex, const struct ex_case *c,
	       struct pto_device *dev, const char *const *overrides, uint32_t num_overrides)
{
	const char *s = c->params;
	int rc;

	memset(run, 0, sizeof(*run));
	run->ex = ex;
	run->c = c;
	run->dev = dev;
	while (*s) {
		size_t len;

		s += strspn(s, " ");
		len = strcspn(s, " ");
		if (len && (rc = param_set(run, s, len, 0)))
			return rc;
		s += len;
	}
	for (uint32_t i = 0; i < num_overrides; i++)
		if ((rc = param_set(run, overrides[i], strlen(overrides[i]), 1)))
			return rc;
	return ex->setup(run);
}

void ex_finish(struct ex_run *run)
{
	if (run->ex && run->ex->teardown)
		run->ex->teardown(run);
	run->state = NULL;
	while (run->num_allocs)
		pto_mem_free(run->dev, run->allocs[--run->num_allocs]);
}
