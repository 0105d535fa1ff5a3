// SPDX-License-Identifier: MIT
/* registry.c - every example, found by name. */
#include <string.h>

#include "examples/example.h"

extern const struct ex_example ex_vector_example;
extern const struct ex_example ex_bgemm;
extern const struct ex_example ex_paged_attention;
extern const struct ex_example ex_paged_attention_unroll;
extern const struct ex_example ex_paged_attention_two_pass;
extern const struct ex_example ex_vector_example_manual;
extern const struct ex_example ex_bgemm_manual;
extern const struct ex_example ex_paged_attention_unroll_manual;
extern const struct ex_example ex_paged_attention_manual;
extern const struct ex_example ex_batch_paged_attention;

const struct ex_example *const ex_examples[] = {
	&ex_vector_example,
	&ex_bgemm,
	&ex_paged_attention,
	&ex_paged_attention_unroll,
	&ex_paged_attention_two_pass,
	&ex_vector_example_manual,
	&ex_bgemm_manual,
	&ex_paged_attention_unroll_manual,
	&ex_paged_attention_manual,
	&ex_batch_paged_attention,
	NULL,
};

const struct ex_example *ex_find(const char *name)
{
	for (const struct ex_example *const *e = ex_examples; *e; e++)
		if (!strcmp((*e)->name, name))
			return *e;
	return NULL;
}

const struct ex_case *ex_find_case(const struct ex_example *ex, const char *name)
{
	for (uint32_t i = 0; i < ex->num_cases; i++)
		if (!strcmp(ex->cases[i].name, name))
			return &ex->cases[i];
	return NULL;
}
