// SPDX-License-Identifier: MIT
/* peer_main.c - the one command line of every peer harness (see peer.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/peers/peer.h"
#include "tools/cli/cli.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: peer-%s --shape independent|chain|stencil|tree --tasks N [--grain NS]\n"
		"       [--width W] [--reps R] [--threads T]\n", peer_name);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "shape", required_argument, NULL, 's' },
		{ "tasks", required_argument, NULL, 'n' },
		{ "grain", required_argument, NULL, 'g' },
		{ "width", required_argument, NULL, 'w' },
		{ "reps", required_argument, NULL, 'r' },
		{ "threads", required_argument, NULL, 't' },
		CLI_OPTIONS_COMMON,
		{ NULL, 0, NULL, 0 }
	};
	static char prog[32];
	uint64_t tasks = 0, grain = 0, width = 16, reps = 1;
	uint64_t threads = (uint64_t)sysconf(_SC_NPROCESSORS_ONLN);
	struct bench_graph g;
	const char *why;
	int shape = -1, ch;

	/* the tools' one parser: --opt V and --opt=V, --help, --version, exit 2 on misuse */
	snprintf(prog, sizeof(prog), "peer-%s", peer_name);
	cli_init(prog, usage);
	while ((ch = cli_next(argc, argv, ":h", opts)) != -1) {
		switch (ch) {
		case 's':
			shape = bench_shape_parse(optarg);
			if (shape < 0)
				cli_usage_error("unknown --shape '%s'", optarg);
			break;
		case 'n':
			tasks = cli_parse_u64("--tasks", optarg, 1, 100000000);
			break;
		case 'g':
			grain = cli_parse_u64("--grain", optarg, 0, 1000000000);
			break;
		case 'w':
			width = cli_parse_u64("--width", optarg, 1, 4096);
			break;
		case 'r':
			reps = cli_parse_u64("--reps", optarg, 1, 1000);
			break;
		case 't':
			threads = cli_parse_u64("--threads", optarg, 1, 1024);
			break;
		}
	}
	if (optind < argc)
		cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (shape < 0 || !tasks)
		cli_usage_error("--shape and --tasks are required");
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
