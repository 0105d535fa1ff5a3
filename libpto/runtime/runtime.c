// SPDX-License-Identifier: MIT
/*
 * runtime.c - the runtime shell: configuration, create/destroy, kernel
 * registration, pto_run() and its statistics, and pto_trace_write().  It
 * calls only down: into orch/, wiring/, sched/, the thread plan (plan.c)
 * and the run state (core/); nothing below calls it.
 */
#include <errno.h>
#include <sched.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libpto/api.h"
#include "libpto/device/device_ops.h"
#include "libpto/orch/orch.h"
#include "libpto/runtime/plan.h"
#include "libpto/sched/sched.h"
#include "libpto/trace/trace_json.h"
#include "libpto/util/env.h"
#include "libpto/wiring/wiring.h"

#define DEF_TASK_WINDOW		16384u
#define DEF_HEAP_SIZE		(64ull << 20)
#define DEF_DEP_POOL		16384u
#define DEF_STALL_MS		5000u
#define DEF_CORE_MS		10000u
#define DEF_TRACE_RECORDS	65536u
#define MAX_TASK_WINDOW		(1u << 24)

/* --- configuration ---------------------------------------------------------------- */

/* Parse "v" or "a,b,c,d" into @out[4]; sizes may carry K/M/G. */
static int parse_ring_env(const char *name, uint64_t *out, int allow_suffix)
{
	const char *s = getenv(name), *p;
	uint64_t v[PTO_NUM_RINGS];
	int n = 0;

	if (!s || !*s)
		return 0;
	p = s;
	for (;;) {
		char *end;
		unsigned long long x;

		errno = 0;
		x = strtoull(p, &end, 0);
		if (end == p || errno || *p == '-')
			goto bad;
		if (allow_suffix && (*end == 'K' || *end == 'k' || *end == 'M' || *end == 'm' ||
				     *end == 'G' || *end == 'g')) {
			int sh = (*end == 'K' || *end == 'k') ? 10 : (*end == 'M' || *end == 'm') ? 20 : 30;

			if (x > (UINT64_MAX >> sh))
				goto bad;
			x <<= sh;
			end++;
		}
		/* count every value, so a fifth one is refused rather than ignored */
		if (n < PTO_NUM_RINGS)
			v[n] = x;
		n++;
		if (*end == '\0')
			break;
		if (*end != ',')
			goto bad;
		p = end + 1;
	}
	if (n != 1 && n != PTO_NUM_RINGS)
		return pto__fail(-EINVAL, "%s='%s': %d values; expected one value or %d "
				 "comma-separated values", name, s, n, PTO_NUM_RINGS);
	for (int r = 0; r < PTO_NUM_RINGS; r++)
		out[r] = v[n == 1 ? 0 : r];
	return 0;
bad:
	return pto__fail(-EINVAL, "%s='%s': expected one value or %d comma-separated values",
			 name, s, PTO_NUM_RINGS);
}

static int parse_u32_env(const char *name, uint32_t *out, uint32_t max)
{
	uint64_t x = *out;
	int ret = pto__env_u64(name, 0, max, &x);

	*out = (uint32_t)x;
	return ret;
}

static int parse_hazards_env(uint32_t *out)
{
	static const char *const names[] = { "raw", "track", "check" };
	const char *s = getenv("PTO_HAZARDS");

	if (!s || !*s)
		return 0;
	for (uint32_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i])) {
			*out = i;
			return 0;
		}
	}
	return pto__fail(-EINVAL, "PTO_HAZARDS='%s': expected raw, track or check", s);
}

static void config_defaults(struct pto_runtime_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (int r = 0; r < PTO_NUM_RINGS; r++) {
		cfg->task_window[r] = DEF_TASK_WINDOW;
		cfg->heap_size[r] = DEF_HEAP_SIZE;
		cfg->dep_pool[r] = DEF_DEP_POOL;
	}
	cfg->dep_mode = PTO_DEPS_AUTO;
	cfg->stall_timeout_ms = DEF_STALL_MS;
	cfg->core_timeout_ms = DEF_CORE_MS;
}

PTO_API int pto_runtime_config_init(struct pto_runtime_config *cfg)
{
	struct pto_runtime_config c;
	uint64_t v[PTO_NUM_RINGS];
	int ret;

	if (!cfg)
		return pto__fail(-EINVAL, "pto_runtime_config_init: NULL config");
	config_defaults(&c);
	for (int r = 0; r < PTO_NUM_RINGS; r++)
		v[r] = c.task_window[r];
	ret = parse_ring_env("PTO2_RING_TASK_WINDOW", v, 0);
	for (int r = 0; !ret && r < PTO_NUM_RINGS; r++) {
		if (v[r] > UINT32_MAX)
			ret = pto__fail(-EINVAL, "PTO2_RING_TASK_WINDOW: %" PRIu64 " too large", v[r]);
		c.task_window[r] = (uint32_t)v[r];
	}
	if (!ret) {
		for (int r = 0; r < PTO_NUM_RINGS; r++)
			v[r] = c.heap_size[r];
		ret = parse_ring_env("PTO2_RING_HEAP", v, 1);
		for (int r = 0; !ret && r < PTO_NUM_RINGS; r++)
			c.heap_size[r] = v[r];
	}
	if (!ret) {
		for (int r = 0; r < PTO_NUM_RINGS; r++)
			v[r] = c.dep_pool[r];
		ret = parse_ring_env("PTO2_RING_DEP_POOL", v, 0);
		for (int r = 0; !ret && r < PTO_NUM_RINGS; r++) {
			if (v[r] > UINT32_MAX)
				ret = pto__fail(-EINVAL, "PTO2_RING_DEP_POOL: %" PRIu64 " too large",
						v[r]);
			c.dep_pool[r] = (uint32_t)v[r];
		}
	}
	if (!ret)
		ret = parse_u32_env("PTO_SCHEDULERS", &c.num_schedulers, PTO_MAX_SCHEDULERS);
	if (!ret)
		ret = parse_u32_env("PTO_WIRING", &c.wiring, 1);
	if (!ret)
		ret = parse_hazards_env(&c.hazards);
	if (!ret) {
		const char *cpus = getenv("PTO_CPUS");

		c.cpus = cpus && *cpus ? cpus : NULL;
	}
	if (!ret)
		ret = pto__env_verbose(&c.flags);
	if (!ret) {
		uint32_t inl = 1;

		ret = parse_u32_env("PTO_INLINE_CORES", &inl, 1);
		if (!ret && !inl)
			c.flags |= PTO_RT_WORKER_CORES;
	}
	if (!ret) {
		/* not a field: checked here like the others, read by the schedulers' setup */
		uint64_t spin;

		ret = pto__sched_spin_env(&spin);
	}
	if (ret)
		config_defaults(&c);
	*cfg = c;
	return ret;
}

static int check_config(const struct pto_runtime_config *c)
{
	for (int r = 0; r < PTO_NUM_RINGS; r++) {
		uint32_t w = c->task_window[r];

		if (w < 4 || w > MAX_TASK_WINDOW || (w & (w - 1)))
			return pto__fail(-EINVAL, "pto_runtime_create: task_window[%d] = %u: "
					 "a power of two in 4..%u", r, w, MAX_TASK_WINDOW);
		if (c->heap_size[r] < 4096 || c->heap_size[r] > (1ull << 40))
			return pto__fail(-EINVAL, "pto_runtime_create: heap_size[%d] = %" PRIu64
					 ": 4 KiB..1 TiB", r, c->heap_size[r]);
		if (c->dep_pool[r] < 4 || c->dep_pool[r] > (1u << 28))
			return pto__fail(-EINVAL, "pto_runtime_create: dep_pool[%d] = %u: 4..2^28",
					 r, c->dep_pool[r]);
	}
	if (c->num_schedulers > PTO_MAX_SCHEDULERS)
		return pto__fail(-EINVAL, "pto_runtime_create: num_schedulers %u > %u",
				 c->num_schedulers, PTO_MAX_SCHEDULERS);
	if (c->wiring > 1)
		return pto__fail(-EINVAL, "pto_runtime_create: wiring must be 0 or 1");
	if (c->dep_mode != PTO_DEPS_AUTO && c->dep_mode != PTO_DEPS_EXPLICIT)
		return pto__fail(-EINVAL, "pto_runtime_create: bad dep_mode %u", c->dep_mode);
	if (c->hazards > PTO_HAZARDS_CHECK)
		return pto__fail(-EINVAL, "pto_runtime_create: bad hazards mode %u (raw 0, track 1, "
				 "check 2)", c->hazards);
	if (c->stall_timeout_ms == 0 || c->core_timeout_ms == 0)
		return pto__fail(-EINVAL, "pto_runtime_create: stall_timeout_ms and "
				 "core_timeout_ms must be > 0");
	/* here, not at the first traced pto_run(), which could only say -ENOMEM */
	if (c->trace_records > PTO_TRACE_MAX_TASKS)
		return pto__fail(-EINVAL, "pto_runtime_create: trace_records %u > %u",
				 c->trace_records, PTO_TRACE_MAX_TASKS);
	if (c->flags & ~(PTO_RT_TRACE | PTO_RT_NO_DUAL_ISSUE | PTO_RT_QUIET | PTO_RT_VERBOSE |
			 PTO_RT_WORKER_CORES))
		return pto__fail(-EINVAL, "pto_runtime_create: unknown flags 0x%x", c->flags);
	return 0;
}

/* --- create / destroy -------------------------------------------------------------- */

PTO_API int pto_runtime_create(struct pto_device *dev, const struct pto_runtime_config *cfg,
			       struct pto_runtime **out)
{
	struct pto_runtime *rt;
	int ret;

	if (!dev || !out)
		return pto__fail(-EINVAL, "pto_runtime_create: NULL %s", dev ? "out" : "device");
	*out = NULL;
	rt = calloc(1, sizeof(*rt));
	if (!rt)
		return pto__fail(-ENOMEM, "pto_runtime_create: out of memory");
	if (cfg) {
		rt->cfg = *cfg;
	} else {
		ret = pto_runtime_config_init(&rt->cfg);
		if (ret) {
			free(rt);
			return ret;
		}
	}
	ret = check_config(&rt->cfg);
	if (ret) {
		free(rt);
		return ret;
	}
	if (!(rt->cfg.flags & PTO_RT_QUIET))
		pto__env_check_once();
	/* the allowlist string may not outlive the caller's config */
	if (rt->cfg.cpus) {
		rt->cfg.cpus = strdup(rt->cfg.cpus);
		if (!rt->cfg.cpus) {
			free(rt);
			return pto__fail(-ENOMEM, "pto_runtime_create: out of memory");
		}
	}
	rt->dev = dev;
	rt->num_clusters = dev->info.num_clusters;
	rt->num_cores = dev->info.num_cores;
	memset(rt->kernel_type, 0xff, sizeof(rt->kernel_type));
	/* each step's teardown accepts what an earlier failure left half built */
	ret = pto__orch_setup(rt);
	if (!ret)
		ret = pto__plan_threads(rt);
	if (!ret)
		ret = pto__sched_setup(rt);
	if (!ret)
		ret = pto__wiring_setup(rt);
	if (ret) {
		/* keep the message of the failing step */
		char msg[PTO_ERRMSG_MAX];

		snprintf(msg, sizeof(msg), "%s", pto_last_error());
		pto_runtime_destroy(rt);
		pto__set_error_msg(msg);
		return ret;
	}
	*out = rt;
	return 0;
}

/*
 * The runtime whose run this thread orchestrates, if any: tells a nested
 * call from the orchestration function (which fails the run) from one made
 * by another thread (which leaves it alone) without reading the run's
 * fields across threads.
 */
static __thread const struct pto_runtime *orchestrating;

/* @rt is in pto_run(), seen from any thread (the claim is atomic). */
static bool running(const struct pto_runtime *rt)
{
	return __atomic_load_n(&rt->dev->running, __ATOMIC_ACQUIRE) == rt;
}

PTO_API void pto_runtime_destroy(struct pto_runtime *rt)
{
	if (!rt || running(rt))
		return;
	pto__wiring_teardown(rt);
	pto__sched_teardown(rt);
	pto_gate_leave(rt->plan);
	free(rt->plan);
	pto__orch_teardown(rt);
	/*
	 * The device's kernel table is left alone: another runtime of the
	 * device may be running with it, and every run installs its own.
	 */
	for (uint32_t i = 0; i < PTO2_MAX_KERNELS; i++)
		free(rt->kernel_name[i]);
	pto_trace_free(rt->trace_buf);
	free((char *)rt->cfg.cpus);
	free(rt);
}

PTO_API int pto_register_kernel(struct pto_runtime *rt, uint32_t id,
				enum pto2_core_type core_type, pto_kernel_fn fn, const char *name)
{
	char *copy;
	int ret;

	if (!rt)
		return pto__fail(-EINVAL, "pto_register_kernel: NULL runtime");
	if (running(rt)) {
		if (orchestrating == rt)
			return pto__rt_fail(rt, -EBUSY, "pto_register_kernel: called inside "
					    "pto_run() (register kernels before the run)");
		return pto__fail(-EBUSY, "pto_register_kernel: the runtime is in pto_run() "
				 "(register kernels before the run)");
	}
	if (id >= PTO2_MAX_KERNELS)
		return pto__fail(-EINVAL, "pto_register_kernel: id %u >= %u", id, PTO2_MAX_KERNELS);
	if (core_type != PTO2_CORE_AIC && core_type != PTO2_CORE_AIV)
		return pto__fail(-EINVAL, "pto_register_kernel: bad core type %d", (int)core_type);
	if (!fn)
		return pto__fail(-EINVAL, "pto_register_kernel: NULL function for kernel %u", id);
	if (name) {
		copy = strdup(name);
	} else {
		copy = malloc(24);
		if (copy)
			snprintf(copy, 24, "kernel%u", id);
	}
	if (!copy)
		return pto__fail(-ENOMEM, "pto_register_kernel: out of memory");
	ret = pto__device_kernel_check(rt->dev, id);
	if (ret) {
		free(copy);
		return ret;
	}
	rt->kernel_fn[id] = fn;
	free(rt->kernel_name[id]);
	rt->kernel_name[id] = copy;
	rt->kernel_type[id] = (int8_t)core_type;
	/* a new function: its length is unknown again (sched/payload.c) */
	rt->kernel_ns[id] = 0;
	return 0;
}

/* --- running ------------------------------------------------------------------------------ */

static int trace_prepare(struct pto_runtime *rt)
{
	rt->trace = NULL;
	if (!(rt->cfg.flags & PTO_RT_TRACE))
		return 0;
	if (!rt->trace_buf) {
		uint32_t cap = rt->cfg.trace_records ? rt->cfg.trace_records : DEF_TRACE_RECORDS;

		rt->trace_buf = pto_trace_alloc(cap, rt->num_sched, rt->num_clusters,
					       rt->wiring_on);
		if (!rt->trace_buf)
			return pto__fail(-ENOMEM, "pto_run: cannot allocate the trace buffers "
					 "(%u records)", cap);
	}
	pto_trace_reset(rt->trace_buf, rt->num_sched);
	rt->trace_buf->kernel_names = (const char *const *)rt->kernel_name;
	rt->trace = rt->trace_buf;
	return 0;
}

/*
 * One run per device at a time: its cores, its kernel table and its
 * completion waiters serve one run.  The CAS's acquire pairs with the
 * release in run_release() of the device's run before, so this one sees
 * the device as that one left it.  Then the device runs this runtime's
 * kernels (NULL for the ids it did not register).
 */
static int run_claim(struct pto_runtime *rt)
{
	struct pto_runtime *holder = NULL;

	if (!__atomic_compare_exchange_n(&rt->dev->running, &holder, rt, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED)) {
		if (holder != rt)
			return pto__fail(-EBUSY, "pto_run: device '%s' is in another runtime's "
					 "pto_run(): one run per device at a time",
					 rt->dev->info.name);
		if (orchestrating == rt)
			return pto__rt_fail(rt, -EBUSY, "pto_run: called inside the run's "
					    "orchestration function (nested pto_run)");
		return pto__fail(-EBUSY, "pto_run: the runtime is already running (on another "
				 "thread)");
	}
	if (rt->dev->sim)
		for (uint32_t i = 0; i < PTO2_MAX_KERNELS; i++)
			pto__device_set_kernel(rt->dev, i, rt->kernel_fn[i]);
	orchestrating = rt;
	return 0;
}

/* The end of run_claim(): release, so the device's next run sees this one's stores. */
static void run_release(struct pto_runtime *rt)
{
	orchestrating = NULL;
	__atomic_store_n(&rt->dev->running, NULL, __ATOMIC_RELEASE);
}

PTO_API int pto_run(struct pto_runtime *rt, pto_orch_fn fn, void *arg)
{
	uint64_t t_begin, t_orch, t_orch_end, cpu_orch;
	cpu_set_t saved_cpus;
	bool pinned;
	int ret, code;

	if (!rt || !fn)
		return pto__fail(-EINVAL, "pto_run: NULL %s", rt ? "function" : "runtime");
	ret = run_claim(rt);
	if (ret)
		return ret;
	t_begin = pto_now_ns();
	rt->trace_valid = false;
	ret = trace_prepare(rt);
	if (ret) {
		run_release(rt);
		return ret;
	}
	pto__orch_reset(rt);
	rt->submitted = 0;
	rt->completed = 0;
	rt->orch_done = 0;
	rt->dispatches = 0;
	rt->sched_cpu_ns = 0;
	rt->emulated_ns = 0;
	rt->first_dispatch_ns = 0;
	rt->last_retire_ns = 0;
	rt->err.code = 0;
	rt->err.claimed = 0;
	rt->err.msg[0] = '\0';
	if (rt->trace)
		rt->trace->t_begin = t_begin;
	rt->orch_thread = pthread_self();
	rt->in_run = true;
	/* runtimes created or destroyed since the plan: lay out this one's share again */
	pto_gate_refresh(rt->plan, !(rt->cfg.flags & PTO_RT_VERBOSE) ||
				   (rt->cfg.flags & PTO_RT_QUIET));
	/*
	 * Threads start with their creator's mask: started before the caller
	 * is pinned, the unpinned ones get the caller's CPUs, not the
	 * orchestrator's one.
	 */
	ret = pto__wiring_start(rt);
	if (!ret)
		ret = pto__sched_start(rt);
	/* the caller's thread is the orchestrator for the run: pin it as planned, then restore */
	CPU_ZERO(&saved_cpus);
	pinned = rt->plan->orch_cpu != PTO_GATE_UNPINNED &&
		 sched_getaffinity(0, sizeof(saved_cpus), &saved_cpus) == 0 &&
		 pto_gate_pin_self(rt->plan->orch_cpu) == 0;
	t_orch = pto_now_ns();
	cpu_orch = pto_thread_cpu_ns();
	if (!ret) {
		pto__scope_open(rt, PTO_SCOPE_AUTO);
		ret = fn(rt, arg);
		if (ret < 0 && !pto__rt_error(rt))
			pto__rt_fail(rt, ret, "pto_run: the orchestration function returned %d (%s)",
				     ret, pto_strerror(ret));
		if (ret > 0 && !pto__rt_error(rt))
			pto__rt_fail(rt, -EINVAL, "pto_run: the orchestration function returned %d: "
				     "want 0 or a negative status", ret);
		if (!pto__rt_error(rt) && rt->depth > 1)
			pto__rt_fail(rt, -EINVAL, "pto_run: the orchestration function returned "
				     "with %u scope(s) still open", rt->depth - 1);
		/* release every open scope's references so the rings drain */
		while (rt->depth > 0)
			pto__scope_close(rt);
	}
	t_orch_end = pto_now_ns();
	cpu_orch = pto_thread_cpu_ns() - cpu_orch;
	/* release: the schedulers' acquire sees every submit before "done" */
	__atomic_store_n(&rt->orch_done, 1, __ATOMIC_RELEASE);
	pto__sched_kick(rt);
	/* the caller's CPU is free now: it runs emulated cores while the run drains */
	if (!ret)
		pto__orch_help_drain(rt);
	pto__sched_join(rt);
	/* every task completed (or the run failed): the rest retires, by the wiring thread if any */
	pto__ring_retire_rest(rt);
	pto_waiter_wake(&rt->wiring_wait);
	pto__wiring_join(rt);
	if (rt->trace)
		pto_trace_orch_phase(rt->trace, PTO_PHASE_ORCH_DRAIN, t_orch_end, pto_now_ns(), 0);
	code = pto__rt_error(rt);
	if (code)
		pto__sched_stop_cores(rt);
	rt->in_run = false;
	run_release(rt);
	if (pinned)
		sched_setaffinity(0, sizeof(saved_cpus), &saved_cpus);

	memset(&rt->stats, 0, sizeof(rt->stats));
	rt->stats.tasks = rt->submitted;
	rt->stats.elapsed_ns = pto_now_ns() - t_begin;
	rt->stats.orch_ns = t_orch_end - t_orch;
	rt->stats.orch_blocked_ns = rt->orch_blocked_ns;
	rt->stats.orch_cpu_ns = cpu_orch > rt->orch_wait_cpu_ns ? cpu_orch - rt->orch_wait_cpu_ns : 0;
	rt->stats.sched_cpu_ns = rt->sched_cpu_ns;
	rt->stats.emulated_ns = rt->emulated_ns;
	rt->stats.dispatches = rt->dispatches;
	if (rt->first_dispatch_ns && rt->last_retire_ns > rt->first_dispatch_ns)
		rt->stats.sched_ns = rt->last_retire_ns - rt->first_dispatch_ns;
	if (rt->trace) {
		rt->trace->t_end = pto_now_ns();
		rt->stats.trace_dropped = pto_trace_dropped(rt->trace);
		rt->trace_valid = true;
		rt->trace = NULL;
	}
	if (code) {
		pto__set_error_msg(rt->err.msg);
		return code;
	}
	return 0;
}

PTO_API int pto_run_stats(const struct pto_runtime *rt, struct pto_run_stats *stats)
{
	if (!rt || !stats)
		return pto__fail(-EINVAL, "pto_run_stats: NULL %s", rt ? "stats" : "runtime");
	*stats = rt->stats;
	return 0;
}

PTO_API int pto_trace_write(const struct pto_runtime *rt, const char *path)
{
	const struct pto_trace *tr;

	if (!rt)
		return pto__fail(-EINVAL, "pto_trace_write: rt is NULL");
	if (!path || !*path)
		return pto__fail(-EINVAL, "pto_trace_write: path is NULL or empty");
	tr = pto__trace_last(rt);
	if (!tr)
		return pto__fail(-EINVAL, "pto_trace_write: no trace: the runtime was created "
				 "without PTO_RT_TRACE, or no pto_run() completed");
	/* named after the device, so several devices' traces tell apart */
	return pto__trace_write_json_named(tr, rt->dev->info.name, path);
}
