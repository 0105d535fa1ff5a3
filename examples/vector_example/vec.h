/* SPDX-License-Identifier: MIT */
/* vec.h - what the vector example and its manual-scope variant share. */
#ifndef PTO_EXAMPLES_VEC_H
#define PTO_EXAMPLES_VEC_H

#include "examples/example.h"

struct vec_state {
	uint32_t shape[2];
	float a, b;
	uint64_t a_addr, b_addr, f_addr;
};

#define VEC_KEYS	"rows cols a b"
/* The cases, as an initializer list so each variant can size its table. */
#define VEC_CASES \
	{ "default", "rows=128 cols=128 a=2 b=3", EX_CASE_SMALL, \
	  "16384 floats per tensor, every element of f is 47" }, \
	{ "wide", "rows=256 cols=1024 a=0.5 b=-1.25", EX_CASE_SMALL, \
	  "262144 floats per tensor" }

int vec_setup(struct ex_run *run);
int vec_reset(struct ex_run *run);
int vec_check(struct ex_run *run, struct ex_result *res);
void vec_teardown(struct ex_run *run);
/* Descriptor fields both variants share; each adds name, description, cases, orch. */
#define VEC_EXAMPLE_COMMON \
	.atol = 1e-5, .rtol = 1e-6, .keys = VEC_KEYS, .setup = vec_setup, .reset = vec_reset, \
	.check = vec_check, .teardown = vec_teardown

#endif /* PTO_EXAMPLES_VEC_H */
