// SPDX-License-Identifier: MIT
/* peer_main.c - the one command line of every peer harness (see peer.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/peers/peer.h"
#include "tools/parse_num.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: peer-%s --shape independent|chain|stencil|tree --tasks N [--grain NS]\n"
		"       [--width W] [--reps R] [--threads T]\n", peer_name);
}

int main(int argc, char **argv)
{
	uint64_t tasks = 0, grain = 0, width = 16, reps = 1;
	uint64_t threads = (uint64_t)sysconf(_SC_NPROCESSORS_ONLN);
	struct bench_graph g;
	const char *why;
	int shape = -1;

	/* every option but --help takes a value: option, value, option, ... */
	for (int i = 1; i < argc; i += 2) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		int bad = 0;

		if (!strcmp(opt, "-h") || !strcmp(opt, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(opt, "--shape")) {
			shape = val ? bench_shape_parse(val) : -1;
			bad = shape < 0;
		} else if (!strcmp(opt, "--tasks")) {
			bad = pto_parse_u64(val, 1, 100000000, &tasks);
		} else if (!strcmp(opt, "--grain")) {
			bad = pto_parse_u64(val, 0, 1000000000, &grain);
		} else if (!strcmp(opt, "--width")) {
			bad = pto_parse_u64(val, 1, 4096, &width);
		} else if (!strcmp(opt, "--reps")) {
			bad = pto_parse_u64(val, 1, 1000, &reps);
		} else if (!strcmp(opt, "--threads")) {
			bad = pto_parse_u64(val, 1, 1024, &threads);
		} else {
			fprintf(stderr, "peer-%s: unknown option '%s'\n", peer_name, opt);
			return 2;
		}
		if (bad) {
			fprintf(stderr, "peer-%s: bad value '%s' for %s\n", peer_name, val ? val : "",
				opt);
			return 2;
		}
	}
	if (shape < 0 || !tasks) {
		fprintf(stderr, "peer-%s: --shape and --tasks are required\n", peer_name);
		return 2;
	}
	if (bench_graph_init(&g, shape, tasks, (uint32_t)width, &why)) {
		fprintf(stderr, "peer-%s: %s\n", peer_name, why);
		return 2;
	}
	if (peer_init((unsigned int)threads))
		return 1;

	/* one untimed warm-up on a small instance: thread start-up, first-touch */
	struct bench_graph warm;

	bench_graph_init(&warm, shape, g.tasks < 1000 ? g.tasks : 1000, (uint32_t)width, &why);
	peer_run(&warm, 0);

	for (uint64_t r = 0; r < reps; r++) {
		uint64_t wall = peer_run(&g, grain);

		printf("peer=%s shape=%s tasks=%" PRIu64 " grain_ns=%" PRIu64 " threads=%" PRIu64
		       " rep=%" PRIu64 " wall_ns=%" PRIu64 " ns_per_task=%.1f\n",
		       peer_name, bench_shape_names[shape], g.tasks, grain, threads, r, wall,
		       (double)wall / (double)g.tasks);
		fflush(stdout);
	}
	peer_fini();
	return 0;
}
