// SPDX-License-Identifier: MIT
/*
 * peer_omp.c - the pto-bench shapes on OpenMP tasks with `depend` (libgomp).
 *
 * One thread creates every task inside `single`; the accesses of
 * bench_graph_task() become depend(in/out/inout) clauses on the cells, so
 * libgomp derives the same graph an AUTO scope does.
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/peers/peer.h"

const char peer_name[] = "omp";

struct cell {
	_Alignas(64) char c[64];
};

static unsigned int nthreads;

int peer_init(unsigned int threads)
{
	nthreads = threads;
	omp_set_dynamic(0);
	return 0;
}

void peer_fini(void)
{
}

uint64_t peer_run(const struct bench_graph *g, uint64_t grain)
{
	struct cell *cells = calloc(g->cells, sizeof(*cells));
	uint64_t t0 = 0, t1 = 0;

	if (!cells) {
		fprintf(stderr, "peer-omp: out of memory\n");
		exit(1);
	}
#pragma omp parallel num_threads(nthreads)
#pragma omp single
	{
		t0 = bench_now_ns();
		for (uint64_t k = 0; k < g->tasks; k++) {
			struct bench_task t;

			bench_graph_task(g, k, &t);
			char *o = cells[t.out].c;
			char *a = cells[t.in[0]].c, *b = cells[t.in[1]].c, *c = cells[t.in[2]].c;

			/* gcc does not count depend() clauses as uses */
			(void)o, (void)a, (void)b, (void)c;

			if (t.out_mode == OUT_NONE) {
#pragma omp task depend(in: a[0])
				bench_spin_ns(grain);
			} else if (t.out_mode == OUT_RW) {
#pragma omp task depend(inout: o[0])
				bench_spin_ns(grain);
			} else if (t.nin == 0) {
#pragma omp task depend(out: o[0])
				bench_spin_ns(grain);
			} else if (t.nin == 1) {
#pragma omp task depend(in: a[0]) depend(out: o[0])
				bench_spin_ns(grain);
			} else if (t.nin == 2) {
#pragma omp task depend(in: a[0], b[0]) depend(out: o[0])
				bench_spin_ns(grain);
			} else {
#pragma omp task depend(in: a[0], b[0], c[0]) depend(out: o[0])
				bench_spin_ns(grain);
			}
		}
#pragma omp taskwait
		t1 = bench_now_ns();
	}
	free(cells);
	return t1 - t0;
}
