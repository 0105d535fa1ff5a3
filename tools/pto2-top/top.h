/* SPDX-License-Identifier: MIT */
/*
 * tools/pto2-top/top.h - pto2-top's model of what it saw: one sample of every
 * device (probe.c), and how a sample is shown (render.c).
 *
 * Sources, read-only and lock-free (docs/device.md, "Monitoring"):
 *	mock:     the status page, register windows and device memory of each
 *	          published mock (/dev/shm/pto2-mock-<pid>-<n>, mapped PROT_READ);
 *	/dev/pto2: the module's attributes in /sys/class/misc/pto2*, and
 *	          /proc/<pid>/fd for the processes that hold the node open.
 */
#ifndef PTO_TOOLS_TOP_H
#define PTO_TOOLS_TOP_H

#include <stdint.h>
#include <stdio.h>

#include "pto2_abi.h"

#define TOP_MAX_DEVS	32
#define TOP_MAX_PROCS	16
#define TOP_MAX_RT	8

/* One runtime's rings, as its ring header in device memory says. */
struct top_rt {
	uint64_t addr;		/* device address of the header */
	uint64_t run_seq;
	uint32_t window[PTO2_NUM_RINGS];
	uint64_t cur[PTO2_NUM_RINGS];	/* current_task_index */
	uint64_t la[PTO2_NUM_RINGS];	/* last_task_alive */
	uint64_t heap_size[PTO2_NUM_RINGS];
	uint64_t heap_top[PTO2_NUM_RINGS];
};

struct top_proc {
	int pid;
	char comm[32];
};

/*
 * struct top_dev - one device at one sample.  *_ok says whether a part is
 * known; when not, *_why says why (printed as "unavailable: ...").
 */
struct top_dev {
	char name[80];		/* pto2-mock-<pid>-<n>, or the misc device name */
	char kind[8];		/* "mock" or "kmod" */
	char path[128];		/* the shm object or the device node */
	char spec[128];		/* device spec (mock) or node */
	char dev_name[32];	/* pto_device_info name: "mock1", or the node's */
	char platform[16];	/* mock, soft or hw */
	uint32_t clusters, cores, workers;
	uint64_t mem_size, mem_used;
	struct top_proc procs[TOP_MAX_PROCS];
	uint32_t num_procs;
	int procs_partial;	/* some /proc/<pid>/fd could not be read */

	int busy_ok;
	char busy_why[200];
	uint64_t busy_ns[PTO2_MAX_CORES];	/* cumulative */
	double busy[PTO2_MAX_CORES];		/* share of the last interval */

	int rings_ok;
	char rings_why[200];
	struct top_rt rt[TOP_MAX_RT];
	uint32_t num_rt;

	uint64_t tasks;		/* cumulative: kernels the cores finished */
	int rate_ok;		/* a previous sample of this device exists */
	double tasks_per_s;

	/* kmod counters (-1: not a kmod device) */
	long long opens, objects, mappings, attached;
};

struct top_sample {
	uint64_t t_ns;		/* CLOCK_MONOTONIC */
	uint32_t num_devs;
	struct top_dev devs[TOP_MAX_DEVS];
};

/* Fill @s with every device visible now; cleans up objects of dead owners. */
void top_probe(struct top_sample *s);

/* Busy shares and rates of @cur from the previous sample @prev (may be NULL). */
void top_rates(struct top_sample *cur, const struct top_sample *prev);

/* One screen (or plain frame) of @s; @interval_s for the heading. */
void top_render_text(FILE *f, const struct top_sample *s, double interval_s);

/* The --json object (docs/device.md, "pto2-top --json"). */
void top_render_json(FILE *f, const struct top_sample *s, double interval_s);

/* Where shm_open() objects appear on Linux. */
#define TOP_SHM_DIR	"/dev/shm"

#endif /* PTO_TOOLS_TOP_H */
