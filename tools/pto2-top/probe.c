// SPDX-License-Identifier: MIT
/*
 * probe.c - one sample of every pto2 device, read without disturbing it:
 * published mocks through a PROT_READ mapping of their shm object (relaxed
 * and acquire loads only, never a store, never a lock the device takes), the
 * kernel module through its sysfs attributes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "libpto/device/mock_pub.h"
#include "tools/pto2-top/top.h"

#define PAGE		4096u

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The first line of @path into @buf (newline cut); -1 if unreadable. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int ok;

	if (!f)
		return -1;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static void proc_comm(int pid, char *comm, size_t len)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if (read_line(path, comm, len))
		snprintf(comm, len, "?");
}

/* Is the owner of a status page still the process that created it? */
static int owner_alive(const struct pto_mock_pub *p)
{
	uint64_t start;
	char state = '?';

	/* kill() of 0 or -1 addresses a group: no owner */
	if (p->pid <= 0 || (kill(p->pid, 0) && errno == ESRCH))
		return 0;
	start = pto__proc_start_time(p->pid, &state);
	/* a zombie is dead (its mappings are gone); a reused pid started later */
	return state != 'Z' && state != 'X' &&
	       !(p->owner_start && start && start != p->owner_start);
}

/* A ring header at @h, of a device with @mem_size bytes, that looks initialized. */
static int ring_header_valid(const struct pto2_ring_header *h, uint64_t mem_size)
{
	if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != PTO2_RING_MAGIC ||
	    h->num_rings != PTO2_NUM_RINGS)
		return 0;
	for (int r = 0; r < PTO2_NUM_RINGS; r++) {
		uint32_t w = h->info[r].task_window;

		if (w == 0 || (w & (w - 1)) || h->info[r].heap_addr >= mem_size ||
		    h->info[r].heap_size > mem_size)
			return 0;
	}
	return 1;
}

/*
 * Ring headers in device memory [@gm, @gm + @size): the runtime puts one at
 * the start of its page-aligned ring area.  Only resident pages are looked
 * at (mincore), so reading never makes the owner's memory grow.
 */
static void find_rings(struct top_dev *d, const uint8_t *gm, uint64_t size)
{
	size_t pages = size / PAGE;
	unsigned char *vec = malloc(pages ? pages : 1);

	d->num_rt = 0;
	if (!vec || mincore((void *)gm, pages * PAGE, vec)) {
		snprintf(d->rings_why, sizeof(d->rings_why), "cannot scan device memory: %s",
			 strerror(vec ? errno : ENOMEM));
		free(vec);
		return;
	}
	d->rings_ok = 1;
	/* page 0 is never handed out (address 0 means "none") */
	for (size_t i = 1; i < pages && d->num_rt < TOP_MAX_RT; i++) {
		const struct pto2_ring_header *h = (const void *)(gm + i * PAGE);
		struct top_rt *rt = &d->rt[d->num_rt];

		if (!(vec[i] & 1) || !ring_header_valid(h, size))
			continue;
		rt->addr = (uint64_t)i * PAGE;
		rt->run_seq = __atomic_load_n(&h->run_seq, __ATOMIC_RELAXED);
		for (int r = 0; r < PTO2_NUM_RINGS; r++) {
			/* last_task_alive first: it never passes current_task_index */
			rt->la[r] = __atomic_load_n(&h->ctl[r].last_task_alive, __ATOMIC_ACQUIRE);
			rt->cur[r] = __atomic_load_n(&h->ctl[r].current_task_index,
						     __ATOMIC_ACQUIRE);
			if (rt->cur[r] < rt->la[r])	/* a reset between the loads */
				rt->cur[r] = rt->la[r];
			rt->heap_top[r] = __atomic_load_n(&h->ctl[r].heap_top, __ATOMIC_RELAXED);
			rt->window[r] = h->info[r].task_window;
			rt->heap_size[r] = h->info[r].heap_size;
		}
		d->num_rt++;
	}
	free(vec);
}

/* Parse "pto2-mock-<pid>-<n>"; the pid, or -1. */
static int mock_name_pid(const char *name)
{
	char *end;
	long pid;

	if (strncmp(name, PTO_MOCK_PUB_PREFIX, strlen(PTO_MOCK_PUB_PREFIX)))
		return -1;
	pid = strtol(name + strlen(PTO_MOCK_PUB_PREFIX), &end, 10);
	if (pid <= 0 || *end != '-')
		return -1;
	return (int)pid;
}

/* Read the mapped object @base of @len bytes into @d. */
static void probe_mock_mapped(struct top_dev *d, const uint8_t *base, size_t len)
{
	const struct pto_mock_pub *p = (const void *)base;

	d->clusters = p->num_clusters;
	d->cores = p->num_cores;
	d->workers = p->num_workers;
	d->mem_size = p->mem_size;
	d->mem_used = __atomic_load_n(&p->mem_used, __ATOMIC_RELAXED);
	memcpy(d->spec, p->spec, sizeof(d->spec) - 1);
	d->spec[sizeof(d->spec) - 1] = '\0';
	memcpy(d->dev_name, p->name, sizeof(d->dev_name) - 1);
	d->dev_name[sizeof(d->dev_name) - 1] = '\0';
	snprintf(d->platform, sizeof(d->platform), "mock");
	d->procs[0].pid = p->pid;
	proc_comm(p->pid, d->procs[0].comm, sizeof(d->procs[0].comm));
	d->num_procs = 1;
	d->opens = d->objects = d->mappings = d->attached = -1;
	/*
	 * Any user can write a file by this name: trust no field.  Sums that
	 * could wrap are compared as differences; a page that fails is shown
	 * with no cores, clusters or memory, so no renderer indexes by it.
	 */
	if (d->clusters == 0 || d->clusters > PTO2_MAX_CLUSTERS ||
	    d->cores != d->clusters * PTO2_CORES_PER_CLUSTER || p->win_offset > len ||
	    (uint64_t)d->cores * PAGE > len - p->win_offset || p->gm_offset > len ||
	    p->mem_size > len - p->gm_offset) {
		static const char why[] = "status page inconsistent with the object size";

		d->clusters = d->cores = d->workers = 0;
		d->mem_size = d->mem_used = 0;
		memcpy(d->busy_why, why, sizeof(why));
		memcpy(d->rings_why, why, sizeof(why));
		return;
	}
	d->busy_ok = 1;
	for (uint32_t c = 0; c < d->cores; c++) {
		const struct pto2_core_regs *r = (const void *)(base + p->win_offset + (size_t)c * PAGE);

		d->busy_ns[c] = __atomic_load_n(&p->busy_ns[c], __ATOMIC_RELAXED);
		d->tasks += __atomic_load_n(&r->exec_count, __ATOMIC_RELAXED);
	}
	find_rings(d, base + p->gm_offset, p->mem_size);
}

static void probe_mock(struct top_sample *s, const char *name)
{
	struct top_dev *d = &s->devs[s->num_devs];
	const struct pto_mock_pub *p;
	char path[300];
	struct stat st;
	void *base;
	int fd;

	if (mock_name_pid(name) < 0 || s->num_devs >= TOP_MAX_DEVS)
		return;
	snprintf(path, sizeof(path), TOP_SHM_DIR "/%.100s", name);
	/* O_NONBLOCK: a FIFO by this name must not hang the open */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return;		/* gone meanwhile, or another user's (mode 0600) */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size < PTO_MOCK_PUB_STATUS_SIZE) {
		close(fd);
		return;
	}
	/* PROT_READ: this process can never write the device's pages */
	base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (base == MAP_FAILED)
		return;
	p = base;
	/* pairs with the release store of magic in mock_publish() */
	if (__atomic_load_n(&p->magic, __ATOMIC_ACQUIRE) != PTO_MOCK_PUB_MAGIC ||
	    p->version != PTO_MOCK_PUB_VERSION) {
		/* still opening, or another version: a dead owner's is removed below */
		if (mock_name_pid(name) > 0 && kill(mock_name_pid(name), 0) && errno == ESRCH)
			shm_unlink(name);
		munmap(base, (size_t)st.st_size);
		return;
	}
	if (!owner_alive(p)) {
		/* the owner crashed before pto_device_close() could unlink it */
		shm_unlink(name);
		munmap(base, (size_t)st.st_size);
		return;
	}
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%.70s", name);
	snprintf(d->kind, sizeof(d->kind), "mock");
	snprintf(d->path, sizeof(d->path), TOP_SHM_DIR "/%.70s", name);
	probe_mock_mapped(d, base, (size_t)st.st_size);
	munmap(base, (size_t)st.st_size);
	s->num_devs++;
}

static long long sysfs_num(const char *dir, const char *attr)
{
	char path[400], buf[64];

	snprintf(path, sizeof(path), "%.300s/%.64s", dir, attr);
	if (read_line(path, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 10);
}

/* The processes with @node open (those whose /proc/<pid>/fd this user may read). */
static void node_procs(struct top_dev *d, const char *node)
{
	DIR *proc = opendir("/proc");
	struct dirent *e;

	if (!proc)
		return;
	while ((e = readdir(proc)) && d->num_procs < TOP_MAX_PROCS) {
		int pid = atoi(e->d_name);
		char fdpath[300], link[300];
		struct dirent *f;
		DIR *fds;

		if (pid <= 0)
			continue;
		snprintf(fdpath, sizeof(fdpath), "/proc/%d/fd", pid);
		fds = opendir(fdpath);
		if (!fds) {
			if (errno == EACCES)
				d->procs_partial = 1;
			continue;
		}
		while ((f = readdir(fds))) {
			char p[600];
			ssize_t n;

			snprintf(p, sizeof(p), "%s/%s", fdpath, f->d_name);
			n = readlink(p, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			if (!strcmp(link, node)) {
				d->procs[d->num_procs].pid = pid;
				proc_comm(pid, d->procs[d->num_procs].comm,
					  sizeof(d->procs[0].comm));
				d->num_procs++;
				break;
			}
		}
		closedir(fds);
	}
	closedir(proc);
}

static void probe_kmod(struct top_sample *s, const char *name)
{
	struct top_dev *d = &s->devs[s->num_devs];
	char dir[300];
	long long v;

	if (strncmp(name, "pto2", 4) || s->num_devs >= TOP_MAX_DEVS)
		return;
	snprintf(dir, sizeof(dir), "/sys/class/misc/%.64s", name);
	if (sysfs_num(dir, "num_cores") < 0)
		return;		/* another misc device whose name starts with pto2 */
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%.64s", name);
	snprintf(d->kind, sizeof(d->kind), "kmod");
	snprintf(d->path, sizeof(d->path), "/dev/%.64s", name);
	snprintf(d->spec, sizeof(d->spec), "/dev/%.64s", name);
	snprintf(d->dev_name, sizeof(d->dev_name), "%.31s", name);
	{
		char path[320];

		snprintf(path, sizeof(path), "%s/platform", dir);
		if (read_line(path, d->platform, sizeof(d->platform)))
			snprintf(d->platform, sizeof(d->platform), "?");
	}
	d->clusters = (uint32_t)sysfs_num(dir, "num_clusters");
	d->cores = (uint32_t)sysfs_num(dir, "num_cores");
	d->mem_size = (uint64_t)sysfs_num(dir, "mem_size");
	v = sysfs_num(dir, "mem_free");
	d->mem_used = v >= 0 && (uint64_t)v <= d->mem_size ? d->mem_size - (uint64_t)v : 0;
	d->opens = sysfs_num(dir, "opens");
	d->objects = sysfs_num(dir, "objects");
	d->mappings = sysfs_num(dir, "mappings");
	d->attached = sysfs_num(dir, "attached");
	v = sysfs_num(dir, "completions");
	d->tasks = v >= 0 ? (uint64_t)v : 0;
	snprintf(d->busy_why, sizeof(d->busy_why),
		 "the module publishes no per-core busy time (docs/device.md, Monitoring)");
	snprintf(d->rings_why, sizeof(d->rings_why),
		 "the ring headers are in the owner's memory objects, which the module maps for their owner only");
	node_procs(d, d->path);
	s->num_devs++;
}

/* Every entry of @dir through @fn; quietly nothing if @dir is absent. */
static void each_entry(struct top_sample *s, const char *dir,
		       void (*fn)(struct top_sample *s, const char *name))
{
	DIR *dp = opendir(dir);
	struct dirent *e;

	if (!dp)
		return;
	while ((e = readdir(dp)))
		if (e->d_name[0] != '.')
			fn(s, e->d_name);
	closedir(dp);
}

void top_probe(struct top_sample *s)
{
	s->num_devs = 0;
	s->t_ns = now_ns();
	each_entry(s, "/sys/class/misc", probe_kmod);
	each_entry(s, TOP_SHM_DIR, probe_mock);
}

void top_rates(struct top_sample *cur, const struct top_sample *prev)
{
	for (uint32_t i = 0; i < cur->num_devs; i++) {
		struct top_dev *d = &cur->devs[i];
		const struct top_dev *o = NULL;
		double dt;

		for (uint32_t j = 0; prev && j < prev->num_devs && !o; j++)
			if (!strcmp(prev->devs[j].name, d->name))
				o = &prev->devs[j];
		if (!o || cur->t_ns <= prev->t_ns)
			continue;
		dt = (double)(cur->t_ns - prev->t_ns);
		d->rate_ok = 1;
		d->tasks_per_s = d->tasks >= o->tasks ? (double)(d->tasks - o->tasks) * 1e9 / dt : 0;
		for (uint32_t c = 0; d->busy_ok && c < d->cores; c++) {
			double b = d->busy_ns[c] >= o->busy_ns[c] ?
				   (double)(d->busy_ns[c] - o->busy_ns[c]) / dt : 0;

			/* a kernel is counted when it ends: one spanning samples lands in one */
			d->busy[c] = b > 1 ? 1 : b;
		}
	}
}
