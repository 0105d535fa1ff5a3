/* SPDX-License-Identifier: MIT */
/*
 * peer.h - what a peer harness provides to the common CLI (peer_main.c).
 *
 * Every peer program takes the same options and prints one line per timed
 * repetition:
 *
 *	peer-NAME --shape S --tasks N [--grain NS] [--width W] [--reps R]
 *	          [--threads T]
 *	peer=NAME shape=S tasks=N grain_ns=G threads=T rep=I wall_ns=W ns_per_task=X
 *
 * pto-bench execs them and reads those lines.  Bad options: one line on
 * stderr, exit 2.
 */
#ifndef PTO_BENCH_PEER_H
#define PTO_BENCH_PEER_H

#include <stdint.h>

#include "tests/peers/shapes.h"

/* Short name printed as peer=NAME. */
extern const char peer_name[];

/* Start the runtime with @threads workers.  Returns 0 or prints why and returns -1. */
int peer_init(unsigned int threads);

/*
 * Run graph @g once with tasks that busy-wait @grain_ns; return the wall
 * time from the first submission to the last completion, in ns.
 */
uint64_t peer_run(const struct bench_graph *g, uint64_t grain_ns);

void peer_fini(void);

#endif /* PTO_BENCH_PEER_H */
