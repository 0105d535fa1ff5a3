// SPDX-License-Identifier: MIT
/*
 * pto-bench - runtime overhead benchmarks (DESIGN §7).
 *
 *	pto-bench [--quick] [--peers] [--plot FILE.svg] [--reps N] [--tasks N]
 *	          [--shapes LIST] [--modes LIST] [--width W] [--metg-widths LIST]
 *	          [--schedulers 1-3]
 *	          [--wiring 0|1] [--window N] [--device SPEC] [--sections LIST]
 *	          [--pa-case NAME] [--set KEY=VALUE]...
 *	pto-bench --trace FILE [--shape S] [--mode M] [--tasks N] [--grain NS] ...
 *
 * Measures, each as the median of interleaved repetitions in one run:
 *   1. per shape (independent, chain, stencil, tree) and dependency mode
 *      (auto, manual, explicit), with empty kernels: orchestrator submit
 *      ns/task, end-to-end ns/task and the runtime's own CPU ns/task on
 *      the orchestrator and the schedulers (with the targets beside the
 *      independent AUTO row); and the same per mode for paged attention
 *      (examples/, real kernels, checked against the golden) when this
 *      build has it: auto = paged_attention_unroll, manual =
 *      paged_attention_unroll_manual, explicit = that one on an
 *      explicit-only runtime, all on the same case (Bench1K, 1,952 tasks,
 *      or --pa-case) over at least 5 repetitions, followed by each mode's
 *      spread, the manual/explicit e2e ratio with its spread and the
 *      manual|explicit/auto submit ratios;
 *   2. METG(50%) the way Task Bench (SC'20) measures it: busy-wait
 *      kernels on the stencil shape (3 deps per task), the grain swept
 *      down by powers of two, efficiency = work rate / the best work rate
 *      any system reached in the run, METG = the smallest granularity
 *      still at >= 50%; for each of --metg-widths (2 and 16);
 *   3. back-pressure: throughput with a 1024-slot window vs 16384.
 * With --peers the same graphs (tests/peers/shapes.h) run interleaved on
 * OpenMP tasks and StarPU (build/bin/peer-*) and the tables add our/peer
 * ratios.  --trace records and writes one run's trace instead.
 *
 * Exit status (tools/cli/cli.h): 0; 1 a run failed; 2 bad usage or input
 * (one line on stderr), a device spec that is wrong included.
 *
 * Progress goes to stderr: on a terminal one updating line (repetition,
 * section, row); otherwise one line per section of each repetition.
 *
 * PTO_HAZARDS=raw|track|check (docs/runtime.md) sets the hazard mode of
 * every runtime it builds and is named in the header: run it once per
 * mode to compare their submit and e2e costs (docs/benchmarks.md).
 *
 * This file is the main: set-up, the sections in order, tear-down.  The
 * concerns are in tools/pto-bench/ (bench.h: what they share):
 * options.c (the command line), plan.c (the jobs and their interleaved
 * runs), pto_runs.c (the shapes on our runtime), paged_attn.c (the
 * paged-attention shape), peers.c (OpenMP and StarPU), metg.c (the METG
 * sweep and --plot), report.c (the header and the other tables), trace.c
 * (--trace).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tools/pto-bench/bench.h"


int main(int argc, char **argv)
{
	struct bench *b = calloc(1, sizeof(*b));
	int rc, ret = 0;

	if (!b) {
		fprintf(stderr, "pto-bench: out of memory\n");
		return 1;
	}
	cli_init("pto-bench", pb_usage);
	pb_parse_opts(argc, argv, &b->o);
	if (b->o.trace)
		cli_check_writable("--trace", b->o.trace);
	if (b->o.plot)
		cli_check_writable("--plot", b->o.plot);
	if (b->o.plot && !pb_have_gnuplot())
		usage_error("--plot needs gnuplot, which is not installed "
			    "(tools/install-deps.sh --bench)");
	b->ncpus = (unsigned int)sysconf(_SC_NPROCESSORS_ONLN);
	pb_find_peers(b);

	rc = pto_device_open(b->o.device, &b->dev);
	if (rc) {
		fprintf(stderr, "pto-bench: cannot open device '%s': %s\n",
			b->o.device ? b->o.device : "(default)", pto_last_error());
		free(b);
		return cli_device_status(rc);
	}
	pto_device_get_info(b->dev, &b->info);
	b->cores_used = b->info.num_workers ? b->info.num_workers : b->info.num_cores;
	if (b->cores_used > b->ncpus)
		b->cores_used = b->ncpus;

	b->max_cells = 3 * 4096 + 16;
	rc = pto_mem_alloc(b->dev, (uint64_t)b->max_cells * CELL_BYTES, 64, &b->cells_addr);
	if (rc) {
		fprintf(stderr, "pto-bench: cannot allocate device memory: %s\n",
			pto_last_error());
		pto_device_close(b->dev);
		free(b);
		return 1;
	}

	if (b->o.nsets || b->o.pa_case)
		pb_pa_check_sets(b);
	if (b->o.trace) {
		ret = pb_trace_run(b);
		goto out;
	}

	pb_report_header(b);
	pb_plan(b);
	pb_run_all(b);
	if (b->o.sections & (1u << SEC_E2E))
		pb_report_e2e(b);
	if ((b->o.sections & (1u << SEC_METG)) && pb_report_metg(b))
		ret = 1;
	if (b->o.sections & (1u << SEC_WINDOW))
		pb_report_window(b);

	for (uint32_t i = 0; i < b->njobs; i++)
		if (b->jobs[i].sys == SYS_PTO && b->jobs[i].state == JOB_FAILED)
			ret = 1;
	if (ret)
		printf("\npto-bench: some runs FAILED (see above)\n");
out:
	for (uint32_t i = 0; i < b->nrts; i++)
		pto_runtime_destroy(b->rts[i].rt);
	pto_mem_free(b->dev, b->cells_addr);
	pto_device_close(b->dev);
	free(b->jobs);
	free(b);
	return ret;
}
