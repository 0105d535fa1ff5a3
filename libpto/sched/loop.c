// SPDX-License-Identifier: MIT
/*
 * loop.c - the scheduler thread's loop: poll completions, lend or launch
 * sync-start work, dispatch, check core deadlines (PTO_E_CORE_HANG), watch
 * the drain (stall.c), spin briefly and sleep.  docs/runtime.md, Schedulers.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "libpto/device/device_ops.h"
#include "libpto/sched/sched.h"
#include "libpto/sched/sched_impl.h"
#include "libpto/sched/stall.h"
#include "libpto/util/env.h"

/* Longest a scheduler sleeps without a reason to wake (hang checks need no more). */
#define SCHED_NAP_NS		(100ull * 1000 * 1000)
/*
 * How long an idle scheduler spins before sleeping (PTO_SCHED_SPIN_NS
 * overrides; tuning).  About one wake-up (30-55 us on a small VM) when the
 * run's threads fit its CPUs: then nobody needs the CPU it spins on, and a
 * sleep per submit would cost the orchestrator a futex wake each (its CPU
 * per task went from ~0.2 to ~0.8 us once inline emulation made the
 * scheduler faster than the orchestrator).  Short when they do not fit:
 * the spin takes the CPU another thread (a core worker) is waiting for.
 */
#define SCHED_SPIN_NS		5000ull
#define SCHED_SPIN_FIT_NS	50000ull

int pto__sched_spin_env(uint64_t *ns)
{
	*ns = UINT64_MAX;
	return pto__env_u64("PTO_SCHED_SPIN_NS", 0, PTO_SCHED_SPIN_MAX_NS, ns);
}

static uint64_t sched_spin_ns(const struct pto_runtime *rt)
{
	if (rt->sched_spin_ns != UINT64_MAX)
		return rt->sched_spin_ns;
	return rt->threads_fit ? SCHED_SPIN_FIT_NS : SCHED_SPIN_NS;
}

/* A scheduler that never idles still checks its cores' deadlines this often. */
#define HANG_CHECK_NS		(10ull * 1000 * 1000)

/*
 * Fail the run if a core of @s overran its deadline; else lower
 * *@next_deadline to the nearest one and set *@busy if any core of @s has a
 * dispatch in flight.
 */
static bool check_hangs(struct pto_sched *s, uint64_t now, uint64_t *next_deadline, bool *busy)
{
	struct pto_core **lists[2] = { s->aic, s->aiv };
	uint32_t counts[2] = { s->num_aic, s->num_aiv };

	for (int l = 0; l < 2; l++) {
		for (uint32_t i = 0; i < counts[l]; i++) {
			struct pto_core *c = lists[l][i];

			if (c->lent || c->run.id == PTO_COND_NO_ID)
				continue;
			*busy = true;
			if (now > c->deadline_ns) {
				pto__rt_fail(s->rt, PTO_E_CORE_HANG, "core %u did not finish task "
					     "%" PRId64 " (kernel '%s', block %u) within %u ms",
					     c->id, c->run.task->id,
					     pto__kernel_name(s->rt, sub_kernel(&c->run)),
					     c->run.block_idx, s->rt->cfg.core_timeout_ms);
				return true;
			}
			if (c->deadline_ns < *next_deadline)
				*next_deadline = c->deadline_ns;
		}
	}
	return false;
}

/*
 * Run the emulated cores this pass rang (rt->emulate): each latches its
 * dispatch, runs the kernel and publishes FIN on this thread, so the next
 * pass finds the completions without anybody waking anybody.  A core that
 * another thread claimed first (a worker, an orchestrator helping) is left
 * to it.  Model-checked: tests/models/core_claim.pml (sched's serve).
 */
static void serve_cores(struct pto_sched *s)
{
	struct pto_device *dev = s->rt->dev;
	struct pto_serve_list *sl = s->serve;
	uint64_t t0 = pto_now_ns();

	__atomic_store_n(&sl->busy, 1, __ATOMIC_RELAXED);
	/* more than this thread will soon get through: a waiting orchestrator helps */
	if (sl->n > 1 && sl->work_ns > PTO_HELP_WAKE_NS)
		pto__orch_wake_help(s->rt);
	for (uint32_t i = 0; i < sl->n; i++)
		pto__device_serve(dev, sl->core[i], NULL);
	__atomic_store_n(&sl->n, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&sl->busy, 0, __ATOMIC_RELAXED);
	sl->work_ns = 0;
	s->emulated_ns += pto_now_ns() - t0;
}

/*
 * Another runtime thread is running a short kernel on one of @s's cores
 * right now, so its FIN is near: worth spinning for (at most
 * PTO_INLINE_MAX_NS) when the run's threads fit the CPUs (rt->threads_fit),
 * since sleeping would put a futex wake-up on the path.
 */
static bool core_running_elsewhere(struct pto_sched *s)
{
	struct pto_core **lists[2] = { s->aic, s->aiv };
	uint32_t counts[2] = { s->num_aic, s->num_aiv };

	for (int l = 0; l < 2; l++)
		for (uint32_t i = 0; i < counts[l]; i++)
			if (!lists[l][i]->lent && lists[l][i]->run.id != PTO_COND_NO_ID &&
			    lists[l][i]->emul_inline &&
			    pto__device_core_claimed(s->rt->dev, lists[l][i]->id))
				return true;
	return false;
}

/* Some scheduler's last hang check saw a dispatch in flight. */
static bool any_inflight(struct pto_runtime *rt)
{
	for (uint32_t i = 0; i < rt->num_sched; i++)
		if (__atomic_load_n(&rt->sched[i].inflight, __ATOMIC_RELAXED))
			return true;
	return false;
}

/* Fold this thread's first dispatch and last completion into the run's (min, max). */
static void fold_run_span(struct pto_runtime *rt, const struct pto_sched *s)
{
	uint64_t cur = __atomic_load_n(&rt->first_dispatch_ns, __ATOMIC_RELAXED);

	while (s->first_dispatch_ns && (!cur || s->first_dispatch_ns < cur) &&
	       !__atomic_compare_exchange_n(&rt->first_dispatch_ns, &cur, s->first_dispatch_ns,
					    false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	cur = __atomic_load_n(&rt->last_retire_ns, __ATOMIC_RELAXED);
	while (s->last_complete_ns > cur &&
	       !__atomic_compare_exchange_n(&rt->last_retire_ns, &cur, s->last_complete_ns,
					    false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* Which wake-up a scheduler announced it will sleep on (none, while it works). */
enum sched_sleep { SLEEP_NONE, SLEEP_ON_IDLE, SLEEP_ON_DEVICE };

/* Withdraw the announcement, if any: the pass after it found work (or the run ended). */
static void sleep_cancel(struct pto_sched *s, enum sched_sleep *armed)
{
	if (*armed == SLEEP_ON_IDLE)
		pto_waiter_cancel(&s->rt->sched_idle);
	else if (*armed == SLEEP_ON_DEVICE)
		pto__device_completion_cancel(s->rt->dev);
	*armed = SLEEP_NONE;
}

void *pto__sched_main(void *arg)
{
	struct pto_sched *s = arg;
	struct pto_runtime *rt = s->rt;
	struct pto_device *dev = rt->dev;
	uint64_t idle_since = 0, last_hang_check = 0;
	struct pto_drain_watch drain = { 0 };
	enum sched_sleep armed = SLEEP_NONE, want;
	uint32_t key = 0;
	uint64_t cpu0 = pto_thread_cpu_ns(), cpu;
	char name[16];

	snprintf(name, sizeof(name), "pto-sched-%u", s->idx);
	pthread_setname_np(pthread_self(), name);
	for (;;) {
		uint64_t now = pto_now_ns(), next = now + SCHED_NAP_NS, t1;
		uint32_t done, disp;
		bool busy = false;

		done = pto__sched_poll(s, now);
		if (pto__rt_error(rt))
			break;
		if (rt->num_sched > 1)
			pto__sync_lend(s);
		disp = s->sync_task ? pto__sync_try_launch(s, now) : pto__dispatch_ready(s, now);
		pto__flush_local(s);
		if (s->serve->n)
			serve_cores(s);
		if (pto_trace_on(rt->trace) && (done || disp)) {
			t1 = pto_now_ns();
			if (done)
				pto_trace_sched_phase(rt->trace, s->idx, PTO_PHASE_SCHED_COMPLETE,
						      now, t1, done);
			if (disp)
				pto_trace_sched_phase(rt->trace, s->idx, PTO_PHASE_SCHED_DISPATCH,
						      now, t1, disp);
		}
		if (pto__rt_error(rt))
			break;
		/* acquire: pairs with pto_run()'s release store of orch_done after the last submit */
		if (pto__run_finished(rt, __atomic_load_n(&rt->orch_done, __ATOMIC_ACQUIRE))) {
			/* wake the other schedulers so they notice too, and a helping orchestrator */
			pto__sched_kick(rt);
			pto__orch_wake_end(rt);
			break;
		}
		/* one watcher for the whole run: scheduler 0 (it naps at most SCHED_NAP_NS) */
		if (s->idx == 0 && __atomic_load_n(&rt->orch_done, __ATOMIC_RELAXED) &&
		    pto__drain_check(rt, &drain, now, any_inflight(rt)))
			break;
		if (done || disp) {
			sleep_cancel(s, &armed);
			idle_since = 0;
			/* busy with other cores: still look for a hung one now and then */
			if (now - last_hang_check < HANG_CHECK_NS)
				continue;
		}
		last_hang_check = now;
		if (check_hangs(s, now, &next, &busy))
			break;
		/* relaxed: a stale value only delays the drain watch by one pass */
		if (__atomic_load_n(&s->inflight, __ATOMIC_RELAXED) != busy)
			__atomic_store_n(&s->inflight, busy, __ATOMIC_RELAXED);
		if (done || disp)
			continue;
		/*
		 * Spin by time, not by passes: a pass polls every busy core, and on
		 * a small machine the emulated cores need the CPU we would burn.
		 */
		if (!idle_since)
			idle_since = now;
		if (now - idle_since < sched_spin_ns(rt) ||
		    (busy && rt->emulate && rt->threads_fit && now - idle_since < PTO_INLINE_MAX_NS &&
		     core_running_elsewhere(s))) {
			sleep_cancel(s, &armed);	/* spinning again: not about to sleep */
			pto_cpu_relax();
			continue;
		}
		/*
		 * Nothing in flight on our cores (and no sync-start role): only new
		 * work concerns us, so do not wake for every FIN of the device.
		 */
		want = !busy && !s->sync_task && !s->lending ? SLEEP_ON_IDLE : SLEEP_ON_DEVICE;
		if (armed != want) {
			/*
			 * Announce, then one more whole pass: its looks are the
			 * re-check the eventcount needs (util/waiter.h).  Not
			 * sooner: an announced sleeper makes every kick a syscall.
			 */
			sleep_cancel(s, &armed);
			key = want == SLEEP_ON_IDLE ? pto_waiter_prepare(&rt->sched_idle) :
						      pto__device_completion_prepare(dev);
			armed = want;
			continue;
		}
		t1 = pto_now_ns();
		if (armed == SLEEP_ON_IDLE)
			pto_waiter_sleep(&rt->sched_idle, key, next);
		else
			pto__device_wait_completion(dev, key, next);
		armed = SLEEP_NONE;
		if (pto_trace_on(rt->trace))
			pto_trace_sched_phase(rt->trace, s->idx, PTO_PHASE_SCHED_SLEEP, t1,
					      pto_now_ns(), 0);
	}
	sleep_cancel(s, &armed);
	/* leave nothing behind in the local buffers (the run is over or failed) */
	for (uint32_t sh = 0; sh < PTO_NUM_SHAPES; sh++)
		s->num_local[sh] = 0;
	/* one shared add per run, not per dispatch; pto__sched_join() orders it */
	__atomic_fetch_add(&rt->dispatches, s->dispatches, __ATOMIC_RELAXED);
	/* the runtime's own CPU: the kernels it ran as a core are the device's */
	cpu = pto_thread_cpu_ns() - cpu0;
	__atomic_fetch_add(&rt->sched_cpu_ns, cpu > s->emulated_ns ? cpu - s->emulated_ns : 0,
			   __ATOMIC_RELAXED);
	__atomic_fetch_add(&rt->emulated_ns, s->emulated_ns, __ATOMIC_RELAXED);
	fold_run_span(rt, s);
	return NULL;
}
