// SPDX-License-Identifier: MIT
/*
 * peer_starpu.c - the pto-bench shapes on StarPU.
 *
 * Each cell is a registered variable handle; the accesses of
 * bench_graph_task() become STARPU_R / STARPU_W / STARPU_RW modes of
 * starpu_task_insert(), StarPU's sequential-consistency analogue of an AUTO
 * scope.  Tasks carry no per-task argument (the grain is per run), so the
 * measured cost is StarPU's own task path.
 */
#include <stdio.h>
#include <stdlib.h>

#include <starpu.h>

#include "tests/peers/peer.h"

const char peer_name[] = "starpu";

static uint64_t run_grain;

static void spin_task(void *buffers[], void *cl_arg)
{
	(void)buffers;
	(void)cl_arg;
	bench_spin_ns(__atomic_load_n(&run_grain, __ATOMIC_RELAXED));
}

static struct starpu_codelet spin_cl = {
	.cpu_funcs = { spin_task },
	.nbuffers = STARPU_VARIABLE_NBUFFERS,
	.name = "spin",
};

int peer_init(unsigned int threads)
{
	struct starpu_conf conf;
	int rc;

	/* quiet, and no accelerators: CPU workers only, @threads of them */
	setenv("STARPU_SILENT", "1", 0);
	starpu_conf_init(&conf);
	conf.ncpus = (int)threads;
	conf.ncuda = 0;
	conf.nopencl = 0;
	rc = starpu_init(&conf);
	if (rc) {
		fprintf(stderr, "peer-starpu: starpu_init failed: %d\n", rc);
		return -1;
	}
	return 0;
}

void peer_fini(void)
{
	starpu_shutdown();
}

static void insert_or_die(int rc)
{
	if (rc) {
		fprintf(stderr, "peer-starpu: starpu_task_insert failed: %d\n", rc);
		exit(1);
	}
}

uint64_t peer_run(const struct bench_graph *g, uint64_t grain)
{
	starpu_data_handle_t *h = calloc(g->cells, sizeof(*h));
	uint64_t *vals = calloc(g->cells, sizeof(*vals));
	uint64_t t0, t1;

	if (!h || !vals) {
		fprintf(stderr, "peer-starpu: out of memory\n");
		exit(1);
	}
	for (uint32_t i = 0; i < g->cells; i++)
		starpu_variable_data_register(&h[i], STARPU_MAIN_RAM, (uintptr_t)&vals[i],
					      sizeof(vals[i]));
	__atomic_store_n(&run_grain, grain, __ATOMIC_RELAXED);

	t0 = bench_now_ns();
	for (uint64_t k = 0; k < g->tasks; k++) {
		struct bench_task t;

		bench_graph_task(g, k, &t);
		if (t.out_mode == OUT_NONE)
			insert_or_die(starpu_task_insert(&spin_cl, STARPU_R, h[t.in[0]], 0));
		else if (t.out_mode == OUT_RW)
			insert_or_die(starpu_task_insert(&spin_cl, STARPU_RW, h[t.out], 0));
		else if (t.nin == 0)
			insert_or_die(starpu_task_insert(&spin_cl, STARPU_W, h[t.out], 0));
		else if (t.nin == 1)
			insert_or_die(starpu_task_insert(&spin_cl, STARPU_R, h[t.in[0]],
							 STARPU_W, h[t.out], 0));
		else if (t.nin == 2)
			insert_or_die(starpu_task_insert(&spin_cl, STARPU_R, h[t.in[0]],
							 STARPU_R, h[t.in[1]],
							 STARPU_W, h[t.out], 0));
		else
			insert_or_die(starpu_task_insert(&spin_cl, STARPU_R, h[t.in[0]],
							 STARPU_R, h[t.in[1]],
							 STARPU_R, h[t.in[2]],
							 STARPU_W, h[t.out], 0));
	}
	starpu_task_wait_for_all();
	t1 = bench_now_ns();

	for (uint32_t i = 0; i < g->cells; i++)
		starpu_data_unregister(h[i]);
	free(h);
	free(vals);
	return t1 - t0;
}
