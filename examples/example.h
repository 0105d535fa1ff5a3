/* SPDX-License-Identifier: MIT */
/*
 * example.h - the example registry used by pto-run and the tests.
 *
 * An example is an orchestration function plus everything needed to run
 * and judge it: named cases (parameter sets), a setup that allocates and
 * uploads its inputs on the device, a golden computed on the host in double
 * precision, and a check that downloads the result and compares.
 *
 * Case parameters are a "key=value key=value" string; values are positive
 * integers, numbers or comma lists.  pto-run's --set key=value overrides
 * one, so every size can be changed from the command line and every
 * example validates what it gets (a bad value is -EINVAL with a one-line
 * message in ex_run.err).
 */
#ifndef PTO_EXAMPLES_EXAMPLE_H
#define PTO_EXAMPLES_EXAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "pto/pto.h"

#define EX_MAX_PARAMS	16
#define EX_MAX_ALLOCS	16
#define EX_ERR_LEN	256

/* ex_case.flags */
#define EX_CASE_SMALL	(1u << 0)	/* seconds on the mock device, used by the tests */

struct ex_case {
	const char *name;
	const char *params;
	uint32_t flags;
	const char *note;
};

struct ex_params {
	uint32_t n;
	char key[EX_MAX_PARAMS][32];
	char val[EX_MAX_PARAMS][160];
};

/* What a check found: the largest |got - want| and whether all were in tolerance. */
struct ex_result {
	double max_err;
	double max_ref;		/* largest |want| */
	uint64_t checked;
	uint64_t bad;		/* values outside atol + rtol * |want| */
	int pass;
};

struct ex_run;

/* ex_example.deps: the dependency modes (enum pto_dep_mode) it is written for */
#define EX_DEPS_AUTO		(1u << PTO_DEPS_AUTO)
#define EX_DEPS_EXPLICIT	(1u << PTO_DEPS_EXPLICIT)

struct ex_example {
	const char *name;
	const char *description;
	const struct ex_case *cases;	/* the first one is the default */
	uint32_t num_cases;
	double atol, rtol;
	const char *keys;		/* parameter keys it understands, space-separated */
	const char *env;		/* environment variables it reads, or NULL */
	/*
	 * EX_DEPS_*; 0 means EX_DEPS_AUTO.  EX_DEPS_EXPLICIT only when every
	 * dependency is explicit or a runtime-created tensor's creator: without
	 * overlap tracking anything else races (and ends in a wrong result).
	 */
	uint32_t deps;
	/* parse run->params, allocate and upload the inputs; set run->state */
	int (*setup)(struct ex_run *run);
	/* bring outputs back to their initial value before a round, or NULL */
	int (*reset)(struct ex_run *run);
	pto_orch_fn orch;		/* called with run->state */
	/* download, compare to the golden */
	int (*check)(struct ex_run *run, struct ex_result *res);
	/* free run->state (device memory of ex_dev_alloc() is freed after) */
	void (*teardown)(struct ex_run *run);
};

/* .cases and .num_cases of a descriptor, from a static case table. */
#define EX_CASES(table) .cases = (table), .num_cases = sizeof(table) / sizeof((table)[0])

struct ex_run {
	const struct ex_example *ex;
	const struct ex_case *c;
	struct pto_device *dev;
	struct ex_params params;
	void *state;
	uint32_t num_allocs;
	uint64_t allocs[EX_MAX_ALLOCS];
	char err[EX_ERR_LEN];
};

/* --- registry (registry.c) ---------------------------------------------- */

/* NULL-terminated list of every example. */
extern const struct ex_example *const ex_examples[];

const struct ex_example *ex_find(const char *name);
/* Can @ex run with dependency mode @mode (enum pto_dep_mode)? */
static inline int ex_supports_deps(const struct ex_example *ex, uint32_t mode)
{
	return mode < 32 && ((ex->deps ? ex->deps : EX_DEPS_AUTO) & (1u << mode));
}
const struct ex_case *ex_find_case(const struct ex_example *ex, const char *name);

/* --- running (run.c) ------------------------------------------------------ */

/*
 * Prepare @run for case @c of @ex on @dev: parse the case's parameters,
 * apply @num_overrides "key=value" overrides (keys not in ex->keys are
 * refused), then call setup.  Return: 0 or a negative status with
 * run->err set; -EINVAL means bad input.  ex_finish() must follow either way.
 */
int ex_prepare(struct ex_run *run, const struct ex_example *ex, const struct ex_case *c,
	       struct pto_device *dev, const char *const *overrides, uint32_t num_overrides);
/* teardown and free every ex_dev_alloc() allocation. */
void ex_finish(struct ex_run *run);

/* Register every reference kernel under the EX_K_* ids. */
int ex_register_kernels(struct pto_runtime *rt);

enum ex_kernel_id {
	EX_K_ADD = 0,
	EX_K_ADD_SCALAR,
	EX_K_MUL,
	EX_K_ACC,
	EX_K_MATMUL,
	EX_K_MATMUL_ACC,
	EX_K_QK,		/* matmul with B transposed */
	EX_K_SOFTMAX_PREPARE,
	EX_K_PV,		/* plain matmul, named for traces */
	EX_K_ONLINE_UPDATE,
	EX_K_QK_PAGED,
	EX_K_PV_PAGED,
	EX_K_QK_BATCH,		/* batch_paged_attention: kernels over a batch chunk */
	EX_K_SOFTMAX_BATCH,
	EX_K_PV_BATCH,
	EX_K_COUNT,
};

/* --- helpers for examples (common.c) ---------------------------------------- */

/* Record a one-line message in run->err; returns @status. */
int ex_fail(struct ex_run *run, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Parameter @key as an integer in [1, max]; -EINVAL (message) when missing or bad. */
int ex_param_u32(struct ex_run *run, const char *key, uint32_t max, uint32_t *out);
/* Optional integer parameter: @def when absent. */
int ex_param_u32_or(struct ex_run *run, const char *key, uint32_t max, uint32_t def,
		    uint32_t *out);
/* Optional float parameter (finite as a float, -FLT_MAX..FLT_MAX): @def when absent. */
int ex_param_f32_or(struct ex_run *run, const char *key, float def, float *out);
/*
 * Parameter @key (or the text @text, when not NULL, naming it @what) as a
 * comma list of integers in [1, max].  *@vals is malloc'd; free it.
 */
int ex_parse_list(struct ex_run *run, const char *what, const char *text, uint32_t max,
		  uint32_t **vals, uint32_t *n);
int ex_param_list(struct ex_run *run, const char *key, uint32_t max, uint32_t **vals,
		  uint32_t *n);

/* Device memory that ex_finish() frees; uploaded from @src when not NULL. */
int ex_dev_alloc(struct ex_run *run, uint64_t bytes, const void *src, uint64_t *addr);

/* Set @n floats of device memory at @addr to @value (an output before a round). */
int ex_dev_fill(struct ex_run *run, uint64_t addr, uint64_t n, float value);

/* Deterministic pseudo-random floats in [-1, 1). */
void ex_fill_random(float *dst, uint64_t n, uint32_t seed);

/* Compare @n results to the golden with the example's tolerances. */
void ex_compare(const struct ex_example *ex, const float *got, const double *want, uint64_t n,
		struct ex_result *res);

/* Download @n floats from @addr and compare them with @want. */
int ex_check_download(struct ex_run *run, uint64_t addr, const double *want, uint64_t n,
		      struct ex_result *res);

#endif /* PTO_EXAMPLES_EXAMPLE_H */
