// SPDX-License-Identifier: MIT
/*
 * device.c - the generic device layer: spec parsing, the table of live
 * allocations, and the public pto_device_* / pto_mem_* calls on top of a
 * backend's ops (device_impl.h).
 *
 * The table is an array of struct pto_mem_obj sorted by device address
 * under dev->mem_lock; lookups are binary searches.  Backends allocate
 * and free outside the lock (the kernel module does it with an ioctl);
 * an address enters the table only after the backend reserved it and
 * leaves it before the backend releases it, so it never appears twice.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libpto/api.h"
#include "libpto/device/device_impl.h"
#include "libpto/device/device_ops.h"
#include "libpto/error_impl.h"
#include "runtime/regs.h"
#include "sim/sim.h"

#define MOCK_MEM_MIN		(1ull << 20)
#define MOCK_MEM_MAX		(64ull << 30)
#define MOCK_MEM_DEFAULT	(1ull << 30)
#define MOCK_WORKERS_MAX	64u
#define MOCK_INDEX_MAX		1023u
#define MEM_ALIGN_DEFAULT	64u
#define MEM_ALIGN_MAX		(1ull << 30)

/* Device paths ("/dev/pto2") go to the kernel-module backend, dev_kmod.c. */

/* --- spec parsing ----------------------------------------------------------- */

/*
 * Parse a decimal number of @len chars at @s; @suffix allows one trailing
 * K, M or G (binary multiples).  Return: 0, or -1 for anything else
 * (empty, sign, junk, overflow).
 */
static int parse_num(const char *s, size_t len, bool suffix, uint64_t *out)
{
	uint64_t v = 0, mul = 1;

	if (suffix && len > 0) {
		switch (s[len - 1]) {
		case 'k': case 'K': mul = 1ull << 10; len--; break;
		case 'm': case 'M': mul = 1ull << 20; len--; break;
		case 'g': case 'G': mul = 1ull << 30; len--; break;
		}
	}
	if (len == 0 || len > 20)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

/* @len chars at @s equal the NUL-terminated @word. */
static bool word_is(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && !memcmp(s, word, len);
}

/* "PREFIXnumber" at @s (@len chars): the number, or -1. */
static int parse_prefixed(const char *s, size_t len, const char *prefix, uint64_t *out)
{
	size_t pl = strlen(prefix);

	if (len <= pl || memcmp(s, prefix, pl))
		return -1;
	return parse_num(s + pl, len - pl, false, out);
}

/*
 * One fault=KIND@TARGET[:key=value...] option's value (@len chars at @val),
 * see pto_device_open(); appended to @ms.  Cores are checked against the
 * cluster count at the end of the spec (parse_mock_spec()).
 */
static int parse_fault(const char *spec, const char *val, size_t len, struct pto_mock_spec *ms)
{
	const char *at = memchr(val, '@', len), *end = val + len, *p, *tgt;
	struct pto_sim_rule r = { .core = PTO_SIM_ANY, .kernel = PTO_SIM_ANY };
	bool got_after = false, got_count = false, got_param = false;
	const char *kname;
	size_t tlen;
	uint64_t v;

	if (ms->num_faults >= PTO_SIM_MAX_RULES)
		return pto__fail(-EINVAL, "device spec '%s': more than %u fault= options", spec,
				 PTO_SIM_MAX_RULES);
	if (!at)
		return pto__fail(-EINVAL, "device spec '%s': fault '%.*s' has no target: want "
				 "KIND@coreN or KIND@kernelN (KIND hang, fail or slow)", spec,
				 (int)len, val);
	if (word_is(val, (size_t)(at - val), "hang")) {
		r.fault = PTO_SIM_FAULT_HANG;
		kname = "hang";
		r.count = 1;
	} else if (word_is(val, (size_t)(at - val), "fail")) {
		r.fault = PTO_SIM_FAULT_FAIL;
		kname = "fail";
		r.count = 1;
		r.param = 5;	/* EIO */
	} else if (word_is(val, (size_t)(at - val), "slow")) {
		r.fault = PTO_SIM_FAULT_SLOW;
		kname = "slow";
	} else {
		return pto__fail(-EINVAL, "device spec '%s': fault kind '%.*s' is not hang, fail "
				 "or slow", spec, (int)(at - val), val);
	}
	tgt = at + 1;
	p = memchr(tgt, ':', (size_t)(end - tgt));
	tlen = (size_t)((p ? p : end) - tgt);
	if (!parse_prefixed(tgt, tlen, "core", &v)) {
		if (v >= PTO2_MAX_CLUSTERS * PTO2_CORES_PER_CLUSTER)
			return pto__fail(-EINVAL, "device spec '%s': fault target '%.*s': no such "
					 "core", spec, (int)tlen, tgt);
		r.core = (uint32_t)v;
	} else if (!parse_prefixed(tgt, tlen, "kernel", &v)) {
		if (v >= PTO2_MAX_KERNELS)
			return pto__fail(-EINVAL, "device spec '%s': fault target '%.*s': kernel "
					 "ids are 0..%u", spec, (int)tlen, tgt, PTO2_MAX_KERNELS - 1);
		r.kernel = (uint32_t)v;
	} else {
		return pto__fail(-EINVAL, "device spec '%s': fault target '%.*s' is not coreN or "
				 "kernelN", spec, (int)tlen, tgt);
	}
	while (p) {
		const char *k = p + 1, *next = memchr(k, ':', (size_t)(end - k));
		size_t plen = (size_t)((next ? next : end) - k), klen, vlen;
		const char *eq = memchr(k, '=', plen), *pv;
		bool *got;

		p = next;
		if (!eq)
			return pto__fail(-EINVAL, "device spec '%s': fault parameter '%.*s' is not "
					 "key=value", spec, (int)plen, k);
		klen = (size_t)(eq - k);
		pv = eq + 1;
		vlen = plen - klen - 1;
		if (word_is(k, klen, "after")) {
			got = &got_after;
			if (parse_num(pv, vlen, false, &v) || v > UINT32_MAX)
				return pto__fail(-EINVAL, "device spec '%s': fault after='%.*s' is not "
						 "0..%u", spec, (int)vlen, pv, UINT32_MAX);
			r.after = (uint32_t)v;
		} else if (word_is(k, klen, "count")) {
			got = &got_count;
			if (parse_num(pv, vlen, false, &v) || v > UINT32_MAX)
				return pto__fail(-EINVAL, "device spec '%s': fault count='%.*s' is not "
						 "0..%u (0: every later dispatch)", spec, (int)vlen,
						 pv, UINT32_MAX);
			r.count = (uint32_t)v;
		} else if (r.fault == PTO_SIM_FAULT_SLOW && word_is(k, klen, "us")) {
			got = &got_param;
			if (parse_num(pv, vlen, false, &v) || v < 1 || v > 10000000)
				return pto__fail(-EINVAL, "device spec '%s': fault us='%.*s' is not "
						 "1..10000000 (microseconds)", spec, (int)vlen, pv);
			r.param = (uint32_t)v;
		} else if (r.fault == PTO_SIM_FAULT_FAIL && word_is(k, klen, "status")) {
			got = &got_param;
			if (parse_num(pv, vlen, false, &v) || v < 1 || v > 4095)
				return pto__fail(-EINVAL, "device spec '%s': fault status='%.*s' is not "
						 "1..4095 (the kernel returns its negative)", spec,
						 (int)vlen, pv);
			r.param = (uint32_t)v;
		} else {
			return pto__fail(-EINVAL, "device spec '%s': unknown parameter '%.*s' for a "
					 "%s fault (known: after, count%s)", spec, (int)klen, k,
					 kname, r.fault == PTO_SIM_FAULT_SLOW ? ", us" :
					 r.fault == PTO_SIM_FAULT_FAIL ? ", status" : "");
		}
		if (*got)
			return pto__fail(-EINVAL, "device spec '%s': fault parameter '%.*s' given "
					 "twice", spec, (int)klen, k);
		*got = true;
	}
	if (r.fault == PTO_SIM_FAULT_SLOW && !got_param)
		return pto__fail(-EINVAL, "device spec '%s': fault '%.*s' needs us=MICROSECONDS",
				 spec, (int)len, val);
	ms->faults[ms->num_faults++] = r;
	return 0;
}

/* A mock's name=: 1..23 characters of [A-Za-z0-9_.-]. */
static bool name_ok(const char *s, size_t len)
{
	if (len == 0 || len > sizeof(((struct pto_mock_spec *)0)->name) - 9)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* One "key=value" option of a mock spec, @len chars at @opt. */
static int parse_mock_opt(const char *spec, const char *opt, size_t len,
			  struct pto_mock_spec *ms, unsigned *seen)
{
	const char *eq = memchr(opt, '=', len);
	size_t klen, vlen;
	const char *val;
	uint64_t v;
	unsigned bit;

	if (len == 0)
		return pto__fail(-EINVAL, "device spec '%s': empty option", spec);
	if (!eq)
		return pto__fail(-EINVAL, "device spec '%s': option '%.*s' is not key=value",
				 spec, (int)len, opt);
	klen = (size_t)(eq - opt);
	val = eq + 1;
	vlen = len - klen - 1;
	if (klen == 8 && !memcmp(opt, "clusters", 8)) {
		bit = 1;
		if (parse_num(val, vlen, false, &v) || v < 1 || v > PTO2_MAX_CLUSTERS)
			return pto__fail(-EINVAL, "device spec '%s': clusters='%.*s' is not 1..%u",
					 spec, (int)vlen, val, PTO2_MAX_CLUSTERS);
		ms->clusters = (uint32_t)v;
	} else if (klen == 3 && !memcmp(opt, "mem", 3)) {
		bit = 2;
		if (parse_num(val, vlen, true, &v) || v < MOCK_MEM_MIN || v > MOCK_MEM_MAX)
			return pto__fail(-EINVAL,
					 "device spec '%s': mem='%.*s' is not a size in 1M..64G (bytes, optional K/M/G suffix)",
					 spec, (int)vlen, val);
		ms->mem_size = v;
	} else if (klen == 5 && !memcmp(opt, "fault", 5)) {
		/* the one option that may repeat */
		return parse_fault(spec, val, vlen, ms);
	} else if (klen == 7 && !memcmp(opt, "workers", 7)) {
		bit = 4;
		if (parse_num(val, vlen, false, &v) || v < 1 || v > MOCK_WORKERS_MAX)
			return pto__fail(-EINVAL, "device spec '%s': workers='%.*s' is not 1..%u",
					 spec, (int)vlen, val, MOCK_WORKERS_MAX);
		ms->workers = (uint32_t)v;
	} else if (klen == 4 && !memcmp(opt, "name", 4)) {
		bit = 8;
		if (!name_ok(val, vlen))
			return pto__fail(-EINVAL, "device spec '%s': name='%.*s' is not 1..%zu of "
					 "A-Z a-z 0-9 _ . -", spec, (int)vlen, val,
					 sizeof(ms->name) - 9);
		if (*seen & 16)
			return pto__fail(-EINVAL, "device spec '%s': give name= or index=, not "
					 "both", spec);
		memcpy(ms->name, val, vlen);
		ms->name[vlen] = '\0';
	} else if (klen == 5 && !memcmp(opt, "index", 5)) {
		bit = 16;
		if (parse_num(val, vlen, false, &v) || v > MOCK_INDEX_MAX)
			return pto__fail(-EINVAL, "device spec '%s': index='%.*s' is not 0..%u",
					 spec, (int)vlen, val, MOCK_INDEX_MAX);
		if (*seen & 8)
			return pto__fail(-EINVAL, "device spec '%s': give name= or index=, not "
					 "both", spec);
		snprintf(ms->name, sizeof(ms->name), "mock%u", (unsigned)v);
	} else {
		return pto__fail(-EINVAL,
				 "device spec '%s': unknown mock option '%.*s' (known: clusters, mem, workers, fault, name, index)",
				 spec, (int)klen, opt);
	}
	if (*seen & bit)
		return pto__fail(-EINVAL, "device spec '%s': option '%.*s' given twice",
				 spec, (int)klen, opt);
	*seen |= bit;
	return 0;
}

/* "mock" or "mock:key=value,...".  Defaults for what is not given. */
static int parse_mock_spec(const char *spec, struct pto_mock_spec *ms)
{
	const char *p;
	unsigned seen = 0;

	ms->clusters = PTO2_DEFAULT_CLUSTERS;
	ms->mem_size = MOCK_MEM_DEFAULT;
	ms->workers = 0;	/* backend default: online CPUs */
	ms->num_faults = 0;
	strcpy(ms->name, "mock");
	if (strncmp(spec, "mock", 4) != 0 || (spec[4] != '\0' && spec[4] != ':'))
		return pto__fail(-EINVAL,
				 "device spec '%s': not 'mock[:key=value,...]' or a device path such as /dev/pto2",
				 spec);
	if (spec[4] == '\0')
		return 0;
	p = spec + 5;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		int rc = parse_mock_opt(spec, p, len, ms, &seen);

		if (rc)
			return rc;
		if (!comma)
			break;
		p = comma + 1;
	}
	/* now the cluster count is known, whatever the order of the options */
	for (uint32_t i = 0; i < ms->num_faults; i++) {
		uint32_t core = ms->faults[i].core;

		if (core != PTO_SIM_ANY && core >= ms->clusters * PTO2_CORES_PER_CLUSTER)
			return pto__fail(-EINVAL, "device spec '%s': fault on core %u: the device "
					 "has cores 0..%u", spec, core,
					 ms->clusters * PTO2_CORES_PER_CLUSTER - 1);
	}
	return 0;
}

/* --- open / close ------------------------------------------------------------ */

static void device_free(struct pto_device *dev)
{
	free(dev->objs);
	pthread_mutex_destroy(&dev->mem_lock);
	free(dev);
}

PTO_API int pto_device_open(const char *spec, struct pto_device **out)
{
	struct pto_device *dev;
	struct pto_mock_spec ms;
	int rc;

	if (!out)
		return pto__fail(-EINVAL, "pto_device_open: out is NULL");
	*out = NULL;
	if (!spec) {
		spec = getenv("PTO_DEVICE");
		if (!spec || !*spec)
			spec = "mock";
	}
	if (!*spec)
		return pto__fail(-EINVAL, "device spec is empty (want 'mock[:...]' or a device path)");
	if (strlen(spec) >= sizeof(dev->info.spec))
		return pto__fail(-EINVAL, "device spec '%.32s...' is longer than %zu characters",
				 spec, sizeof(dev->info.spec) - 1);
	if (spec[0] != '/') {
		rc = parse_mock_spec(spec, &ms);
		if (rc)
			return rc;
	}

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return pto__fail(-ENOMEM, "pto_device_open: out of memory");
	pthread_mutex_init(&dev->mem_lock, NULL);
	strcpy(dev->info.spec, spec);
	if (spec[0] == '/') {
		const char *base = strrchr(spec, '/') + 1;

		snprintf(dev->info.name, sizeof(dev->info.name), "%s", *base ? base : spec);
	} else {
		strcpy(dev->info.name, ms.name);
	}
	rc = spec[0] == '/' ? pto__kmod_open(dev, spec) : pto__mock_open(dev, &ms);
	if (rc) {
		device_free(dev);
		return rc;
	}
	*out = dev;
	return 0;
}

PTO_API void pto_device_close(struct pto_device *dev)
{
	if (!dev)
		return;
	/* the backend releases all device memory at once, live or not */
	dev->ops->close(dev);
	/* a core thread still in its kernel reads the device when it returns */
	if (!dev->stuck)
		device_free(dev);
}

PTO_API int pto_device_get_info(const struct pto_device *dev, struct pto_device_info *info)
{
	if (!dev || !info)
		return pto__fail(-EINVAL, "pto_device_get_info: %s is NULL", dev ? "info" : "dev");
	*info = dev->info;
	return 0;
}

PTO_API struct pto2_core_regs *pto_device_regs(struct pto_device *dev, uint32_t core)
{
	if (!dev) {
		pto__fail(-EINVAL, "pto_device_regs: dev is NULL");
		return NULL;
	}
	if (core >= dev->info.num_cores) {
		pto__fail(-EINVAL, "pto_device_regs: core %u out of range (device has %u cores)",
			  core, dev->info.num_cores);
		return NULL;
	}
	return dev->regs[core];
}

int pto__device_kernel_check(const struct pto_device *dev, uint32_t id)
{
	if (id >= PTO2_MAX_KERNELS)
		return pto__fail(-EINVAL, "kernel id %u out of range (0..%u)", id,
				 PTO2_MAX_KERNELS - 1);
	if (!dev->sim)
		return pto__fail(-EOPNOTSUPP, "kernel %u: hardware cores load kernels themselves",
				 id);
	return 0;
}

int pto__device_set_kernel(struct pto_device *dev, uint32_t id, pto_kernel_fn fn)
{
	int ret = pto__device_kernel_check(dev, id);

	if (ret)
		return ret;
	/* pairs with the acquire load in pto_exec_run() */
	__atomic_store_n(&dev->kernels[id], fn, __ATOMIC_RELEASE);
	return 0;
}

/* --- bring-up shared by the backends whose cores libpto runs ---------------- */

int pto__device_init_windows(struct pto_device *dev)
{
	uint32_t nc = dev->info.num_clusters;
	uint64_t per_core = (uint64_t)PTO2_PAYLOAD_SIZE * PTO2_PAYLOADS_PER_CORE;
	uint64_t payloads = 0;	/* set on success; -O3 cannot see it */
	int rc;

	rc = pto__device_alloc_pinned(dev, per_core * dev->info.num_cores, PTO2_REG_WINDOW_SIZE,
				      &payloads);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < dev->info.num_cores; i++) {
		struct pto2_core_regs *r = dev->regs[i];

		reg_store_relaxed(&r->payload_addr, payloads + per_core * i);
		reg_store_relaxed(&r->core_id, i);
		reg_store_relaxed(&r->core_type, PTO2_CORE_TYPE(nc, i));
		reg_store_relaxed(&r->cluster_id, PTO2_CORE_CLUSTER(nc, i));
		reg_store_relaxed(&r->sub_block_id, PTO2_CORE_LANE(nc, i));
	}
	return 0;
}

int pto__device_start_sim(struct pto_device *dev, uint8_t *gm, uint64_t gm_size,
			  uint32_t workers, void (*on_fin)(void *arg), void *arg)
{
	struct pto_sim_config cfg = {
		.num_clusters = dev->info.num_clusters,
		.num_workers = workers,
		.regs = dev->regs,
		.gm = gm,
		.gm_size = gm_size,
		.kernels = dev->kernels,
		.on_fin = on_fin,
		.on_fin_arg = arg,
		.busy_ns = dev->busy_ns,
	};
	int rc = pto_sim_start(&cfg, &dev->sim);

	if (rc)
		return pto__fail(rc, "%s: starting %u core workers: %s", dev->info.spec, workers,
				 strerror(-rc));
	dev->info.num_workers = workers;
	return 0;
}

/* --- the allocation table ----------------------------------------------------- */

/* Index of the first object with addr > @addr.  Caller holds mem_lock. */
static uint32_t table_upper(const struct pto_device *dev, uint64_t addr)
{
	uint32_t lo = 0, hi = dev->num_objs;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (dev->objs[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Copy of the live object holding [@addr, @addr + @size), if any.
 * Return: true when found.
 */
static bool table_find(struct pto_device *dev, uint64_t addr, uint64_t size,
		       struct pto_mem_obj *found)
{
	bool ok = false;
	uint32_t i;

	pthread_mutex_lock(&dev->mem_lock);
	i = table_upper(dev, addr);
	if (i > 0) {
		const struct pto_mem_obj *o = &dev->objs[i - 1];
		uint64_t off = addr - o->addr;

		if (off < o->len && size <= o->len - off) {
			*found = *o;
			ok = true;
		}
	}
	pthread_mutex_unlock(&dev->mem_lock);
	return ok;
}

static int table_insert(struct pto_device *dev, const struct pto_mem_obj *obj)
{
	uint32_t i;

	pthread_mutex_lock(&dev->mem_lock);
	if (dev->num_objs == dev->cap_objs) {
		uint32_t cap = dev->cap_objs ? dev->cap_objs * 2 : 64;
		struct pto_mem_obj *n = realloc(dev->objs, sizeof(*n) * cap);

		if (!n) {
			pthread_mutex_unlock(&dev->mem_lock);
			return -ENOMEM;
		}
		dev->objs = n;
		dev->cap_objs = cap;
	}
	i = table_upper(dev, obj->addr);
	memmove(&dev->objs[i + 1], &dev->objs[i], sizeof(*obj) * (dev->num_objs - i));
	dev->objs[i] = *obj;
	dev->num_objs++;
	pthread_mutex_unlock(&dev->mem_lock);
	return 0;
}

static int device_alloc(struct pto_device *dev, uint64_t size, uint64_t align, uint32_t flags,
			uint64_t *addr)
{
	struct pto_mem_obj obj = { 0 };
	int rc;

	if (!dev || !addr)
		return pto__fail(-EINVAL, "pto_mem_alloc: %s is NULL", dev ? "addr" : "dev");
	if (size == 0)
		return pto__fail(-EINVAL, "pto_mem_alloc: size is 0");
	if (align == 0)
		align = MEM_ALIGN_DEFAULT;
	if ((align & (align - 1)) || align > MEM_ALIGN_MAX)
		return pto__fail(-EINVAL,
				 "pto_mem_alloc: alignment %llu is not a power of two up to 1 GiB",
				 (unsigned long long)align);
	if (size > dev->max_alloc)
		return pto__fail(-ENOMEM, "pto_mem_alloc: %llu bytes exceed device memory (%llu): "
				 "no object can be larger than %llu bytes (the first page is reserved)",
				 (unsigned long long)size,
				 (unsigned long long)dev->info.mem_size,
				 (unsigned long long)dev->max_alloc);
	rc = dev->ops->mem_alloc(dev, size, align, &obj);
	if (rc)
		return rc;
	obj.flags = flags;
	obj.len = size;
	if (table_insert(dev, &obj)) {
		dev->ops->mem_free(dev, &obj);
		return pto__fail(-ENOMEM, "pto_mem_alloc: out of host memory for the allocation table");
	}
	*addr = obj.addr;
	return 0;
}

PTO_API int pto_mem_alloc(struct pto_device *dev, uint64_t size, uint64_t align, uint64_t *addr)
{
	return device_alloc(dev, size, align, 0, addr);
}

int pto__device_alloc_pinned(struct pto_device *dev, uint64_t size, uint64_t align,
			     uint64_t *addr)
{
	return device_alloc(dev, size, align, PTO_MEM_OBJ_PINNED, addr);
}

int pto__device_alloc_runtime(struct pto_device *dev, uint64_t size, uint64_t align,
			      uint64_t *addr)
{
	return device_alloc(dev, size, align, PTO_MEM_OBJ_RUNTIME, addr);
}

/* Free the allocation starting at @addr if its flags are among @may (0: a program's only). */
static int mem_free_flagged(struct pto_device *dev, uint64_t addr, uint32_t may)
{
	struct pto_mem_obj obj;
	uint32_t i;

	pthread_mutex_lock(&dev->mem_lock);
	i = table_upper(dev, addr);
	if (i == 0 || dev->objs[i - 1].addr != addr) {
		pthread_mutex_unlock(&dev->mem_lock);
		return pto__fail(-ENOENT,
				 "pto_mem_free: device address 0x%llx is not the start of a live allocation (never allocated or already freed)",
				 (unsigned long long)addr);
	}
	if (dev->objs[i - 1].flags & ~may) {
		bool pinned = dev->objs[i - 1].flags & PTO_MEM_OBJ_PINNED;

		pthread_mutex_unlock(&dev->mem_lock);
		return pto__fail(-ENOENT,
				 "pto_mem_free: device address 0x%llx is %s, not from pto_mem_alloc()",
				 (unsigned long long)addr, pinned ? "the device's own memory" :
				 "a runtime's ring memory (pto_runtime_destroy() frees it)");
	}
	obj = dev->objs[i - 1];
	memmove(&dev->objs[i - 1], &dev->objs[i], sizeof(obj) * (dev->num_objs - i));
	dev->num_objs--;
	/* under the lock: a lookup that read the old generation saw the old table */
	__atomic_store_n(&dev->mem_gen, dev->mem_gen + 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&dev->mem_lock);
	dev->ops->mem_free(dev, &obj);
	return 0;
}

PTO_API int pto_mem_free(struct pto_device *dev, uint64_t addr)
{
	if (!dev)
		return pto__fail(-EINVAL, "pto_mem_free: dev is NULL");
	return mem_free_flagged(dev, addr, 0);
}

void pto__device_free_runtime(struct pto_device *dev, uint64_t addr)
{
	mem_free_flagged(dev, addr, PTO_MEM_OBJ_RUNTIME);
}

int pto__device_find(struct pto_device *dev, uint64_t addr, uint64_t size, uint64_t *base,
		     uint64_t *len, uint32_t *gen)
{
	struct pto_mem_obj obj;

	*gen = pto__device_mem_gen(dev);
	if (!table_find(dev, addr, size, &obj))
		return -EINVAL;
	*base = obj.addr;
	*len = obj.len;
	return 0;
}

/* Host pointer for [@addr, @addr + @size) or NULL with a message naming @who. */
static uint8_t *device_range(struct pto_device *dev, uint64_t addr, uint64_t size,
			     const char *who)
{
	struct pto_mem_obj obj;

	if (!dev) {
		pto__fail(-EINVAL, "%s: dev is NULL", who);
		return NULL;
	}
	if (!table_find(dev, addr, size, &obj)) {
		pto__fail(-EINVAL,
			  "%s: device range [0x%llx, +%llu) is not inside one live allocation",
			  who, (unsigned long long)addr, (unsigned long long)size);
		return NULL;
	}
	return obj.host + (addr - obj.addr);
}

PTO_API void *pto_mem_map(struct pto_device *dev, uint64_t addr, uint64_t size)
{
	return device_range(dev, addr, size ? size : 1, "pto_mem_map");
}

PTO_API uint64_t pto_mem_addr(const struct pto_device *dev, const void *ptr)
{
	uintptr_t p = (uintptr_t)ptr;
	uint64_t addr = 0;
	struct pto_device *d = (struct pto_device *)dev;

	if (!dev || !ptr) {
		pto__fail(-EINVAL, "pto_mem_addr: %s is NULL", dev ? "ptr" : "dev");
		return 0;
	}
	/* host mappings need not follow device order (kmod maps per object): scan */
	pthread_mutex_lock(&d->mem_lock);
	for (uint32_t i = 0; i < d->num_objs; i++) {
		uintptr_t h = (uintptr_t)d->objs[i].host;

		if (p >= h && p - h < d->objs[i].len) {
			addr = d->objs[i].addr + (p - h);
			break;
		}
	}
	pthread_mutex_unlock(&d->mem_lock);
	if (!addr)
		pto__fail(-EINVAL, "pto_mem_addr: %p is not inside device memory", ptr);
	return addr;
}

PTO_API int pto_mem_upload(struct pto_device *dev, uint64_t addr, const void *src, uint64_t size)
{
	uint8_t *dst;

	if (!src)
		return pto__fail(-EINVAL, "pto_mem_upload: src is NULL");
	dst = device_range(dev, addr, size ? size : 1, "pto_mem_upload");
	if (!dst)
		return -EINVAL;
	memcpy(dst, src, size);
	return 0;
}

PTO_API int pto_mem_download(struct pto_device *dev, void *dst, uint64_t addr, uint64_t size)
{
	const uint8_t *src;

	if (!dst)
		return pto__fail(-EINVAL, "pto_mem_download: dst is NULL");
	src = device_range(dev, addr, size ? size : 1, "pto_mem_download");
	if (!src)
		return -EINVAL;
	memcpy(dst, src, size);
	return 0;
}
