/* SPDX-License-Identifier: MIT */
/*
 * shapes.h - the task graphs pto-bench runs, in one definition shared by
 * pto-bench and the peer harnesses (OpenMP, StarPU), so every system runs
 * exactly the same DAG.
 *
 * A graph is a sequence of tasks over "cells" (small data items).  Task k
 * reads up to three cells and writes at most one; the dependencies are the
 * read-after-write edges this implies, which is what an AUTO scope, OpenMP
 * `depend` and StarPU R/W access modes all derive from the same accesses.
 * The write-after-read edges the peers add on top are always implied by a
 * read-after-write path here, so every system sees the same ordering.
 *
 *	independent  task k reads cell 0 (never written): no dependencies
 *	chain        task k read-writes cell 1: k depends on k-1
 *	stencil      width W x steps; task (t, x) reads row t-1 at x-1, x,
 *	             x+1 (periodic), writes row t at x: 3 deps per task (at
 *	             W = 2 both cells of row t-1, which is all of them)
 *	tree         binary fan-out from a root to W leaves, then fan-in back
 *	             to one sink (3W-2 tasks); trees are chained sink -> root
 */
#ifndef PTO_BENCH_SHAPES_H
#define PTO_BENCH_SHAPES_H

#include <stdint.h>
#include <string.h>
#include <time.h>

enum bench_shape {
	SHAPE_INDEPENDENT,
	SHAPE_CHAIN,
	SHAPE_STENCIL,
	SHAPE_TREE,
	SHAPE_COUNT,
};

static const char *const bench_shape_names[SHAPE_COUNT] = {
	"independent", "chain", "stencil", "tree",
};

/* How task k uses the cell it writes. */
enum bench_out {
	OUT_NONE,	/* writes no tracked cell */
	OUT_W,		/* overwrites the cell (OUTPUT_EXISTING, depend(out), STARPU_W) */
	OUT_RW,		/* reads and writes it (INOUT, depend(inout), STARPU_RW) */
};

struct bench_task {
	uint32_t nin;
	uint32_t in[3];
	uint32_t out_mode;
	uint32_t out;
};

/**
 * struct bench_graph - one instance of a shape.
 * @shape: enum bench_shape.
 * @width: stencil width (>= 2) or tree leaves (power of two >= 2).
 * @tasks: tasks in the graph (the requested count rounded up to whole
 *	stencil rows or whole trees).
 * @cells: cells the graph uses.
 * @steps: stencil rows or chained trees.
 */
struct bench_graph {
	uint32_t shape;
	uint32_t width;
	uint64_t tasks;
	uint32_t cells;
	uint64_t steps;
};

static inline int bench_shape_parse(const char *s)
{
	for (int i = 0; i < SHAPE_COUNT; i++)
		if (!strcmp(s, bench_shape_names[i]))
			return i;
	return -1;
}

/*
 * Lay out @shape for about @tasks tasks and @width.  Returns 0, or -1 with
 * @why set when the parameters make no such graph.
 */
static inline int bench_graph_init(struct bench_graph *g, int shape, uint64_t tasks,
				   uint32_t width, const char **why)
{
	memset(g, 0, sizeof(*g));
	g->shape = (uint32_t)shape;
	g->width = width;
	if (tasks == 0) {
		*why = "tasks must be > 0";
		return -1;
	}
	switch (shape) {
	case SHAPE_INDEPENDENT:
	case SHAPE_CHAIN:
		g->tasks = tasks;
		g->steps = tasks;
		g->cells = 2;
		return 0;
	case SHAPE_STENCIL:
		if (width < 2 || width > 4096) {
			*why = "stencil width must be 2..4096";
			return -1;
		}
		g->steps = (tasks + width - 1) / width;
		g->tasks = g->steps * width;
		g->cells = 2 * width;
		return 0;
	case SHAPE_TREE:
		if (width < 2 || width > 4096 || (width & (width - 1))) {
			*why = "tree width (leaves) must be a power of two, 2..4096";
			return -1;
		}
		g->steps = (tasks + 3 * width - 3) / (3 * width - 2);
		g->tasks = g->steps * (3 * width - 2);
		/* fan-out nodes 1..2W-1 at cells [0, 2W), fan-in nodes 1..W-1 at [2W, 3W) */
		g->cells = 3 * width;
		return 0;
	}
	*why = "unknown shape";
	return -1;
}

/* Task @k (0-based, in submission order) of @g. */
static inline void bench_graph_task(const struct bench_graph *g, uint64_t k, struct bench_task *t)
{
	uint32_t w = g->width;

	memset(t, 0, sizeof(*t));
	switch (g->shape) {
	case SHAPE_INDEPENDENT:
		t->nin = 1;
		t->in[0] = 0;
		t->out_mode = OUT_NONE;
		break;
	case SHAPE_CHAIN:
		t->out_mode = OUT_RW;
		t->out = 1;
		break;
	case SHAPE_STENCIL: {
		uint64_t step = k / w;
		uint32_t x = (uint32_t)(k % w);
		uint32_t row = (uint32_t)(step & 1) * w, prev = w - row;

		t->out_mode = OUT_W;
		t->out = row + x;
		if (step > 0 && w == 2) {
			/* x-1 and x+1 are the same cell: read each cell once */
			t->nin = 2;
			t->in[0] = prev;
			t->in[1] = prev + 1;
		} else if (step > 0) {
			t->nin = 3;
			t->in[0] = prev + (x + w - 1) % w;
			t->in[1] = prev + x;
			t->in[2] = prev + (x + 1) % w;
		}
		break;
	}
	case SHAPE_TREE: {
		uint64_t per = 3 * (uint64_t)w - 2;
		uint64_t tree = k / per;
		uint32_t i = (uint32_t)(k % per);

		t->out_mode = OUT_W;
		if (i < 2 * w - 1) {
			/* fan-out node n = i + 1; its parent is n / 2 */
			uint32_t n = i + 1;

			t->out = n;
			if (n > 1) {
				t->nin = 1;
				t->in[0] = n / 2;
			} else if (tree > 0) {
				t->nin = 1;
				t->in[0] = 2 * w + 1;	/* the previous tree's sink */
			}
		} else {
			/* fan-in node n = W-1 down to 1; children 2n, 2n+1 */
			uint32_t n = (w - 1) - (i - (2 * w - 1));

			t->out = 2 * w + n;
			t->nin = 2;
			if (2 * n >= w) {
				t->in[0] = 2 * n;	/* leaves are fan-out cells */
				t->in[1] = 2 * n + 1;
			} else {
				t->in[0] = 2 * w + 2 * n;
				t->in[1] = 2 * w + 2 * n + 1;
			}
		}
		break;
	}
	}
}

static inline void bench_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The task body of every system: busy-wait @ns nanoseconds (0 = return at once). */
static inline void bench_spin_ns(uint64_t ns)
{
	uint64_t t0;

	if (!ns)
		return;
	t0 = bench_now_ns();
	while (bench_now_ns() - t0 < ns)
		bench_cpu_relax();
}

#endif /* PTO_BENCH_SHAPES_H */
