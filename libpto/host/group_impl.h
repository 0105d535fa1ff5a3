/* SPDX-License-Identifier: MIT */
/* group_impl.h - the state of a device group (pto/host.h).  Internal. */
#ifndef PTO_HOST_GROUP_IMPL_H
#define PTO_HOST_GROUP_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "pto/host.h"

/**
 * struct pto_gbuf - one buffer.
 * @host: the user's host copy, or NULL (device-only).
 * @staging: host memory staging a device-only buffer between devices.
 * @size: bytes.
 * @name: for messages.
 * @addr: per device its copy (0 = none yet).
 * @valid: bit d: device d's copy is current; bit 31: the host copy.
 * @lock: protects @valid, @addr and @staging and serializes copies.
 * @last_writer, @readers, @num_readers, @cap_readers: submit-time
 *	dependency tracking (the submitting thread only).
 */
struct pto_gbuf {
	void *host;
	void *staging;
	uint64_t size;
	char *name;
	uint64_t addr[PTO_GROUP_MAX_DEVICES];
	uint32_t valid;
	pthread_mutex_t lock;
	int64_t last_writer;
	uint32_t *readers;
	uint32_t num_readers, cap_readers;
};

/**
 * struct pto_gprog - one submitted device program.
 * @deps: indices of the programs it waits for (all earlier).
 * @done: finished (under the group lock).
 */
struct pto_gprog {
	uint32_t device;
	uint32_t index;
	pto_prog_fn fn;
	void *arg;
	uint32_t num_uses;
	struct pto_use uses[PTO_PROG_MAX_USES];
	uint32_t *deps;
	uint32_t num_deps;
	bool done;
};

struct pto_gdev {
	struct pto_device *dev;
	struct pto_runtime *rt;
	struct pto_device_info info;
	pthread_t thread;
	struct pto_group *g;
	uint32_t idx;
};

/**
 * struct pto_group - see pto/host.h.
 * @lock, @cond: program completion and the failure latch.
 * @err, @err_msg: first failure of the run (under @lock).
 */
struct pto_group {
	uint32_t n;
	struct pto_gdev dev[PTO_GROUP_MAX_DEVICES];
	struct pto_gbuf *bufs;
	uint32_t num_bufs, cap_bufs;
	struct pto_gprog *progs;
	uint32_t num_progs, cap_progs;
	uint32_t wait_ms;
	bool running;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int err;
	char err_msg[512];
	struct pto_group_stats stats;
};

/* group.c: coherence */
int pto__group_prepare(struct pto_group *g, struct pto_gprog *p, struct pto_prog *ctx);
void pto__group_written(struct pto_group *g, struct pto_gprog *p);
int pto__group_finish(struct pto_group *g);
uint64_t pto__group_now(void);
/* run.c */
void pto__group_progs_free(struct pto_group *g);

#endif /* PTO_HOST_GROUP_IMPL_H */
