// SPDX-License-Identifier: MIT
/*
 * sim.c - the core emulator: a bounded pool of workers runs the runtime/
 * executor for every core of a device (see sim.h).
 *
 * Any thread may emulate a core: a worker, or (pto_sim_serve()) a runtime
 * thread that has the CPU anyway, such as the scheduler that just wrote
 * the doorbell.  A core's claim word makes one thread at a time its
 * executor; the claim's acquire and release hand the executor state over.
 * Worker w looks at cores w, w + W, w + 2W, ...  Each pass polls all of
 * them once.  After SIM_SPIN_NS of empty passes the worker announces a
 * sleep on its doorbell waiter (an eventcount, libpto/util/waiter: a kick
 * to a worker that has not announced costs a fence and a load, no write),
 * polls once more, then sleeps; a kick after the announcement makes the
 * sleep return at once.  An idle device costs no CPU.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libpto/util/waiter.h"
#include "runtime/executor.h"
#include "runtime/regs.h"
#include "sim/sim.h"

/*
 * How long a worker keeps polling after its last piece of work.  Shorter
 * than a futex sleep and wake (~30-55 us on a 2-vCPU VM), because with
 * more threads than CPUs a spinning worker holds the CPU another worker or
 * the scheduler is waiting for: 10 us (with the scheduler's 5 us) halved
 * the stencil's and tree's end-to-end cost and METG against 50 us
 * (docs/runtime.md, Idling).  Time, not passes, so the budget does not
 * grow with the number of cores a worker serves.
 */
#define SIM_SPIN_NS		10000u

/*
 * struct sim_core - one emulated core, on its own cache line.
 * @claim: atomic: 1 while a thread emulates the core (sim_claim()); every
 *	field below but the fault knobs belongs to the claim holder.
 * @ex: executor state.
 * @hang_armed: HANG fault: set by pto_sim_set_fault(), consumed (exchange)
 *	by the worker at the next dispatch.
 * @fail_status: FAIL fault: status the next dispatch reports instead of
 *	running (0 = none); consumed like @hang_armed.
 * @slow_us: SLOW fault: microseconds between ACK and each kernel.
 * @hung: the core ACKed a dispatch it will never FIN.
 * @delayed: a SLOW core's ACKed dispatch @delayed_id waits until
 *	@ready_ns; the core looks at nothing else meanwhile, like a busy
 *	core, but its worker serves its other cores.  Its worker keeps the
 *	time: whoever delays a core kicks the worker.
 */
struct sim_core {
	uint32_t claim;
	struct pto_executor ex;
	uint32_t hang_armed;
	int32_t fail_status;
	uint32_t slow_us;
	bool hung;
	bool delayed;
	uint32_t delayed_id;
	uint64_t ready_ns;
} __attribute__((aligned(64)));

/*
 * struct sim_worker - one worker thread, on its own cache lines.
 * @door: doorbell the worker sleeps on; pto_sim_kick() wakes it.
 */
struct sim_worker {
	struct pto_waiter door;
	uint32_t index;
	struct pto_sim *sim;
	pthread_t thread;
} __attribute__((aligned(64)));

/* A fault rule and how many dispatches it matched so far (atomic). */
struct sim_rule {
	struct pto_sim_rule r;
	uint32_t matched;
};

struct pto_sim {
	struct pto_sim_config cfg;
	uint32_t num_cores;
	uint32_t num_started;
	uint32_t stop;
	struct sim_core *cores;
	struct sim_worker *workers;
	/* fault rules: entries below num_rules are complete (release/acquire) */
	uint32_t num_rules;
	struct sim_rule rules[PTO_SIM_MAX_RULES];
	struct pto_waiter completion __attribute__((aligned(64)));
	struct pto_sim *next_stuck;	/* on the stuck list (pto_sim_stop()) */
};

/*
 * Engines left to a worker stuck in a kernel, and through their
 * on_fin_arg the devices that keep its memory: still reachable, so a leak
 * checker does not report what is kept on purpose.  Guarded by stuck_lock.
 */
static struct pto_sim *stuck_sims;
static pthread_mutex_t stuck_lock = PTHREAD_MUTEX_INITIALIZER;

/* A FIN-flagged COND value (FIN or EXITED) was published: tell waiters. */
static void sim_published_fin(struct pto_sim *sim)
{
	pto_waiter_wake(&sim->completion);
	if (sim->cfg.on_fin)
		sim->cfg.on_fin(sim->cfg.on_fin_arg);
}

/*
 * Add the time dispatch @id of @c ran (its window's start_ns to end_ns, which
 * this worker just wrote) to the core's busy counter.  Only this worker
 * writes it: a relaxed load and store, no RMW; a monitor reads it relaxed.
 */
static void sim_account_busy(struct pto_sim *sim, struct sim_core *c, uint32_t id)
{
	uint32_t slot = PTO2_PAYLOAD_SLOT(id);
	uint64_t *busy = &sim->cfg.busy_ns[c - sim->cores];
	uint64_t t0 = reg_load_relaxed(&c->ex.regs->start_ns[slot]);
	uint64_t t1 = reg_load_relaxed(&c->ex.regs->end_ns[slot]);

	if (t1 > t0)
		__atomic_store_n(busy, __atomic_load_n(busy, __ATOMIC_RELAXED) + (t1 - t0),
				 __ATOMIC_RELAXED);
}

static void sim_run(struct pto_sim *sim, struct sim_core *c, uint32_t id)
{
	int32_t fail = __atomic_exchange_n(&c->fail_status, 0, __ATOMIC_RELAXED);

	if (fail)
		pto_exec_finish(&c->ex, id, fail);
	else
		pto_exec_run(&c->ex, id);
	sim_published_fin(sim);
	/* after the wake-up: the scheduler need not wait for the bookkeeping */
	if (sim->cfg.busy_ns)
		sim_account_busy(sim, c, id);
}

/* Kernel id in the payload of dispatch @id of @c, PTO_SIM_ANY if unreadable. */
static uint32_t sim_kernel_of(struct pto_sim *sim, struct sim_core *c, uint32_t id)
{
	uint64_t base = reg_load_relaxed(&c->ex.regs->payload_addr);
	uint64_t off = base + (uint64_t)PTO2_PAYLOAD_SLOT(id) * PTO2_PAYLOAD_SIZE;
	const struct pto2_dispatch_payload *p;

	/* the executor checks the same bounds before it runs anything */
	if (base == 0 || base > sim->cfg.gm_size ||
	    sim->cfg.gm_size - base < (uint64_t)PTO2_PAYLOADS_PER_CORE * PTO2_PAYLOAD_SIZE)
		return PTO_SIM_ANY;
	p = (const struct pto2_dispatch_payload *)(sim->cfg.gm + off);
	return p->kernel_id;
}

/*
 * The first rule that fires for dispatch @id of @c (counting it as a match
 * of every rule it matches), or NULL.
 */
static const struct pto_sim_rule *sim_rule_fires(struct pto_sim *sim, struct sim_core *c,
						 uint32_t id)
{
	/* pairs with the release store in pto_sim_add_rule() */
	uint32_t n = __atomic_load_n(&sim->num_rules, __ATOMIC_ACQUIRE);
	uint32_t core = (uint32_t)(c - sim->cores), kernel = PTO_SIM_ANY;
	const struct pto_sim_rule *hit = NULL;

	if (!n)
		return NULL;
	for (uint32_t i = 0; i < n; i++) {
		struct sim_rule *sr = &sim->rules[i];
		uint32_t seen;

		if (sr->r.kernel != PTO_SIM_ANY && kernel == PTO_SIM_ANY)
			kernel = sim_kernel_of(sim, c, id);
		if (sr->r.core != core && (sr->r.kernel == PTO_SIM_ANY || sr->r.kernel != kernel))
			continue;
		seen = __atomic_fetch_add(&sr->matched, 1, __ATOMIC_RELAXED);
		if (hit || seen < sr->r.after || (sr->r.count && seen - sr->r.after >= sr->r.count))
			continue;
		hit = &sr->r;
	}
	return hit;
}

/* Lower *@wake_at (0 = none yet) to @t. */
static void sim_wake_by(uint64_t *wake_at, uint64_t t)
{
	if (!*wake_at || t < *wake_at)
		*wake_at = t;
}

/*
 * Become @c's executor.  Return: false when another thread is.
 * The acquire pairs with the release in sim_unclaim(): the last holder's
 * executor state (latched id, hung, delayed) is seen whole.  The claim
 * protocol is model-checked: tests/models/core_claim.pml.
 */
static bool sim_claim(struct sim_core *c)
{
	return !__atomic_load_n(&c->claim, __ATOMIC_RELAXED) &&
	       !__atomic_exchange_n(&c->claim, 1, __ATOMIC_ACQ_REL);
}

/*
 * sim_claim() for a thread that just rang @c's doorbell: always the RMW,
 * never a look first.  If the claim is taken, our exchange (release, after
 * the doorbell store) is what the holder's release exchange reads, so the
 * holder sees the doorbell when it looks again; if it is free, we serve.
 * Both are RMWs of one word, so one of them always reads the other's.
 */
static bool sim_claim_rung(struct sim_core *c)
{
	return !__atomic_exchange_n(&c->claim, 1, __ATOMIC_ACQ_REL);
}

/*
 * Give @c up.  A thread that found @c claimed left its doorbell to us, so
 * the caller looks at the doorbell again after this (sim_serve_here(), the
 * worker's next pass).  An exchange, not a store: acquire pairs with the
 * release of a dispatcher's sim_claim_rung() that found it taken (its
 * doorbell is then visible to that look); release pairs with the acquire
 * of the next claim (the executor state).
 */
static void sim_unclaim(struct sim_core *c)
{
	__atomic_exchange_n(&c->claim, 0, __ATOMIC_ACQ_REL);
}

/*
 * @c may have something for a thread that is not its worker: a
 * DATA_MAIN_BASE value it has not latched, and nobody on it (relaxed
 * peeks, confirmed under the claim).  A delayed core shows nothing new.
 */
static bool sim_has_news(struct sim_core *c)
{
	return reg_load_relaxed(&c->ex.regs->data_main_base) !=
	       __atomic_load_n(&c->ex.last, __ATOMIC_RELAXED) &&
	       !__atomic_load_n(&c->claim, __ATOMIC_RELAXED);
}

/*
 * One look at one core; the caller holds its claim.  *@wake_at is lowered
 * to when a delayed dispatch becomes due, so the worker never sleeps past it.
 * Return: true if it did anything.
 */
static bool sim_serve_core(struct pto_sim *sim, struct sim_core *c, uint64_t *wake_at)
{
	const struct pto_sim_rule *rule;
	enum pto_exec_event ev;
	uint32_t id, slow;

	if (c->delayed) {
		if (pto_now_ns() < c->ready_ns) {
			sim_wake_by(wake_at, c->ready_ns);
			return false;
		}
		c->delayed = false;
		sim_run(sim, c, c->delayed_id);
		return true;
	}
	/* A hung core only reacts to EXIT. */
	if (c->hung && reg_load_relaxed(&c->ex.regs->data_main_base) != PTO2_REG_EXIT)
		return false;
	ev = pto_exec_poll(&c->ex, &id);
	if (ev == PTO_EXEC_NONE)
		return false;
	if (ev == PTO_EXEC_EXIT) {
		c->hung = false;
		sim_published_fin(sim);
		return true;
	}
	if (__atomic_exchange_n(&c->hang_armed, 0, __ATOMIC_RELAXED)) {
		c->hung = true;
		return true;
	}
	slow = __atomic_load_n(&c->slow_us, __ATOMIC_RELAXED);
	rule = sim_rule_fires(sim, c, id);
	if (rule && rule->fault == PTO_SIM_FAULT_HANG) {
		c->hung = true;
		return true;
	}
	if (rule && rule->fault == PTO_SIM_FAULT_FAIL) {
		pto_exec_finish(&c->ex, id, -(int32_t)rule->param);
		sim_published_fin(sim);
		return true;
	}
	if (rule && rule->fault == PTO_SIM_FAULT_SLOW && rule->param > slow)
		slow = rule->param;
	if (slow) {
		c->delayed = true;
		c->delayed_id = id;
		c->ready_ns = pto_now_ns() + (uint64_t)slow * 1000u;
		sim_wake_by(wake_at, c->ready_ns);
		return true;
	}
	sim_run(sim, c, id);
	return true;
}

/* One pass over the worker's cores; *@wake_at as in sim_serve_core(), reset first. */
static bool sim_poll_cores(struct sim_worker *w, uint64_t *wake_at)
{
	struct pto_sim *sim = w->sim;
	bool any = false;

	*wake_at = 0;
	for (uint32_t i = w->index; i < sim->num_cores; i += sim->cfg.num_workers) {
		struct sim_core *c = &sim->cores[i];
		bool stuck;

		/* another thread emulates it right now: it sees what we would */
		if (!sim_claim(c))
			continue;
		any |= sim_serve_core(sim, c, wake_at);
		stuck = c->hung || c->delayed;
		sim_unclaim(c);
		/*
		 * A dispatcher that rang it while we looked left it to us
		 * (sim_unclaim()): one more pass before any sleep.  Not for a
		 * hung or delayed core, whose news waits for EXIT or @wake_at.
		 */
		if (!stuck && sim_has_news(c))
			any = true;
	}
	return any;
}

static bool sim_stopping(struct pto_sim *sim)
{
	/* pairs with the release store in pto_sim_stop() */
	return __atomic_load_n(&sim->stop, __ATOMIC_ACQUIRE);
}

static void *sim_worker_main(void *arg)
{
	struct sim_worker *w = arg;
	struct pto_sim *sim = w->sim;
	uint64_t idle_since = 0;	/* 0: the last pass did work */
	uint64_t wake_at;		/* earliest delayed (SLOW) dispatch, 0 = none */
	struct pto_waiter_arm arm = { 0 };	/* announced on the doorbell (util/waiter.h) */
	char name[16];

	/* named for top, gdb and the tests that check who ran a kernel */
	snprintf(name, sizeof(name), "pto-core-%u", w->index);
	pthread_setname_np(pthread_self(), name);

	for (;;) {
		uint64_t now;

		if (sim_stopping(sim))
			break;
		if (sim_poll_cores(w, &wake_at)) {
			pto_waiter_disarm(&w->door, &arm);
			idle_since = 0;
			continue;
		}
		now = pto_now_ns();
		if (!idle_since)
			idle_since = now;
		if (now - idle_since < SIM_SPIN_NS) {
			pto_cpu_relax();
			continue;
		}
		/*
		 * Announce, then poll once more before sleeping: a kick whose
		 * DATA_MAIN_BASE store that poll misses came after its fence
		 * saw us announced (pto_sim_kick()), so it bumps the doorbell
		 * and the sleep returns at once.  Only now: while this worker
		 * spins, a kick costs its dispatcher no write.
		 */
		if (pto_waiter_arm(&w->door, &arm))
			continue;
		pto_waiter_arm_sleep(&w->door, &arm, wake_at);
		idle_since = 0;
	}
	pto_waiter_disarm(&w->door, &arm);
	return NULL;
}

static int sim_check_config(const struct pto_sim_config *cfg)
{
	uint32_t cores;

	if (!cfg || !cfg->regs || !cfg->gm || !cfg->kernels || cfg->gm_size == 0)
		return -EINVAL;
	if (cfg->num_clusters == 0 || cfg->num_clusters > PTO2_MAX_CLUSTERS)
		return -EINVAL;
	cores = cfg->num_clusters * PTO2_CORES_PER_CLUSTER;
	if (cfg->num_workers == 0 || cfg->num_workers > cores)
		return -EINVAL;
	for (uint32_t i = 0; i < cores; i++)
		if (!cfg->regs[i])
			return -EINVAL;
	return 0;
}

int pto_sim_start(const struct pto_sim_config *cfg, struct pto_sim **out)
{
	struct pto_sim *sim;
	uint32_t started;
	int rc = sim_check_config(cfg);

	if (rc || !out)
		return -EINVAL;
	sim = calloc(1, sizeof(*sim));
	if (!sim)
		return -ENOMEM;
	sim->cfg = *cfg;
	sim->num_cores = cfg->num_clusters * PTO2_CORES_PER_CLUSTER;
	pto_waiter_init(&sim->completion);
	sim->cores = calloc(sim->num_cores, sizeof(*sim->cores));
	sim->workers = aligned_alloc(64, sizeof(*sim->workers) * cfg->num_workers);
	if (!sim->cores || !sim->workers) {
		rc = -ENOMEM;
		goto fail;
	}
	memset(sim->workers, 0, sizeof(*sim->workers) * cfg->num_workers);
	for (uint32_t i = 0; i < sim->num_cores; i++)
		pto_exec_init(&sim->cores[i].ex, cfg->regs[i], cfg->gm, cfg->gm_size,
			      cfg->kernels);
	for (started = 0; started < cfg->num_workers; started++) {
		struct sim_worker *w = &sim->workers[started];

		pto_waiter_init(&w->door);
		w->index = started;
		w->sim = sim;
		rc = -pthread_create(&w->thread, NULL, sim_worker_main, w);
		if (rc)
			break;
		sim->num_started++;
	}
	if (rc) {
		/* join the workers that did start */
		pto_sim_stop(sim);
		return rc;
	}
	*out = sim;
	return 0;
fail:
	free(sim->cores);
	free(sim->workers);
	free(sim);
	return rc;
}

/*
 * How long stopping waits for a worker still inside a kernel (one that
 * overstayed its core timeout, say) before leaving it behind.
 */
#define SIM_STOP_WAIT_NS	(2000ull * 1000 * 1000)

bool pto_sim_stop(struct pto_sim *sim)
{
	struct timespec until;
	uint64_t t;
	bool all = true;

	if (!sim)
		return true;
	/* pairs with the acquire in sim_stopping() */
	__atomic_store_n(&sim->stop, 1, __ATOMIC_RELEASE);
	for (uint32_t i = 0; i < sim->num_started; i++)
		pto_waiter_wake(&sim->workers[i].door);
	clock_gettime(CLOCK_REALTIME, &until);	/* pthread_timedjoin_np()'s clock */
	t = (uint64_t)until.tv_sec * 1000000000u + (uint64_t)until.tv_nsec + SIM_STOP_WAIT_NS;
	until.tv_sec = (time_t)(t / 1000000000u);
	until.tv_nsec = (long)(t % 1000000000u);
	for (uint32_t i = 0; i < sim->num_started; i++) {
		if (pthread_timedjoin_np(sim->workers[i].thread, NULL, &until)) {
			/* in a kernel that does not return: it keeps the engine (leaked) */
			pthread_detach(sim->workers[i].thread);
			all = false;
		}
	}
	if (!all) {
		pthread_mutex_lock(&stuck_lock);
		sim->next_stuck = stuck_sims;
		stuck_sims = sim;
		pthread_mutex_unlock(&stuck_lock);
		return false;
	}
	free(sim->cores);
	free(sim->workers);
	free(sim);
	return true;
}

void pto_sim_kick(struct pto_sim *sim, uint32_t core)
{
	struct sim_worker *w;

	if (!sim || core >= sim->num_cores)
		return;
	w = &sim->workers[core % sim->cfg.num_workers];
	/*
	 * After the DATA_MAIN_BASE store: the doorbell's fence pairs with the
	 * one of sim_worker_main()'s announcement; it writes and futex-wakes
	 * only for a worker about to sleep.
	 */
	pto_waiter_wake(&w->door);
}

/*
 * Serve @c once on the calling thread, which holds no claim.  A dispatch
 * that became delayed is handed to the core's worker, which keeps the time.
 */
static bool sim_serve_here(struct pto_sim *sim, struct sim_core *c, const uint32_t *gate)
{
	bool any = false, first = true;

	/*
	 * Again while the core has news: a dispatcher that rang it while we
	 * held the claim found it taken and left it to us (sim_unclaim()),
	 * also when our look found nothing (another thread had latched what
	 * made us come).  Not for a hung or delayed core, whose news waits for
	 * EXIT or its worker.  tests/models/core_claim.pml.
	 */
	for (;;) {
		uint64_t wake_at = 0;
		bool did, delayed, hung;

		if (!(first ? sim_claim_rung(c) : sim_claim(c)))
			return any;
		first = false;
		/*
		 * While we hold the claim nobody latches, so the doorbell holds at
		 * most this one new dispatch (the next is written only after its
		 * ACK): acquire it, and the gate its writer stored before it is
		 * that dispatch's.  A gate that says no leaves it to the worker
		 * its dispatcher woke.
		 */
		if (gate) {
			/* pairs with the dispatcher's release store of DATA_MAIN_BASE */
			(void)reg_load_acquire(&c->ex.regs->data_main_base);
			if (!__atomic_load_n(gate, __ATOMIC_RELAXED)) {
				sim_unclaim(c);
				/* its worker may have skipped it while we looked */
				pto_waiter_wake(&sim->workers[(uint32_t)(c - sim->cores) %
							      sim->cfg.num_workers].door);
				return any;
			}
		}
		did = sim_serve_core(sim, c, &wake_at);
		delayed = c->delayed;
		hung = c->hung;
		sim_unclaim(c);
		if (delayed)
			pto_waiter_wake(&sim->workers[(uint32_t)(c - sim->cores) %
						      sim->cfg.num_workers].door);
		any |= did;
		if (delayed || hung || !sim_has_news(c))
			return any;
	}
}

bool pto_sim_serve(struct pto_sim *sim, uint32_t core, const uint32_t *gate)
{
	struct sim_core *c;

	if (!sim || core >= sim->num_cores)
		return false;
	c = &sim->cores[core];
	/*
	 * Latched already (relaxed: a stale value only costs a claim): nothing
	 * to do.  The claim is not looked at here: only sim_claim_rung()'s RMW
	 * hands a taken core's doorbell to its holder.
	 */
	if (reg_load_relaxed(&c->ex.regs->data_main_base) ==
	    __atomic_load_n(&c->ex.last, __ATOMIC_RELAXED))
		return false;
	return sim_serve_here(sim, c, gate);
}

bool pto_sim_core_claimed(struct pto_sim *sim, uint32_t core)
{
	if (!sim || core >= sim->num_cores)
		return false;
	return __atomic_load_n(&sim->cores[core].claim, __ATOMIC_RELAXED);
}

uint32_t pto_sim_completion_prepare(struct pto_sim *sim)
{
	return pto_waiter_prepare(&sim->completion);
}

void pto_sim_completion_cancel(struct pto_sim *sim)
{
	pto_waiter_cancel(&sim->completion);
}

void pto_sim_notify(struct pto_sim *sim)
{
	pto_waiter_wake(&sim->completion);
}

void pto_sim_wait_completion(struct pto_sim *sim, uint32_t key, uint64_t deadline_ns)
{
	pto_waiter_sleep(&sim->completion, key, deadline_ns);
}

int pto_sim_set_fault(struct pto_sim *sim, uint32_t core, enum pto_sim_fault fault,
		      uint32_t param)
{
	struct sim_core *c;

	if (!sim || core >= sim->num_cores)
		return -EINVAL;
	c = &sim->cores[core];
	switch (fault) {
	case PTO_SIM_FAULT_NONE:
		__atomic_store_n(&c->hang_armed, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&c->fail_status, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&c->slow_us, 0, __ATOMIC_RELAXED);
		return 0;
	case PTO_SIM_FAULT_HANG:
		__atomic_store_n(&c->hang_armed, 1, __ATOMIC_RELAXED);
		return 0;
	case PTO_SIM_FAULT_FAIL:
		if (param > 4095)
			return -EINVAL;
		__atomic_store_n(&c->fail_status, param ? -(int32_t)param : -EIO,
				 __ATOMIC_RELAXED);
		return 0;
	case PTO_SIM_FAULT_SLOW:
		if (param == 0 || param > 10000000u)
			return -EINVAL;
		__atomic_store_n(&c->slow_us, param, __ATOMIC_RELAXED);
		return 0;
	}
	return -EINVAL;
}

int pto_sim_add_rule(struct pto_sim *sim, const struct pto_sim_rule *rule)
{
	const struct pto_sim_rule *r = rule;
	uint32_t n;

	if (!sim || !r || (r->core == PTO_SIM_ANY) == (r->kernel == PTO_SIM_ANY))
		return -EINVAL;
	if (r->core != PTO_SIM_ANY && r->core >= sim->num_cores)
		return -EINVAL;
	if (r->kernel != PTO_SIM_ANY && r->kernel >= PTO2_MAX_KERNELS)
		return -EINVAL;
	switch (r->fault) {
	case PTO_SIM_FAULT_HANG:
		break;
	case PTO_SIM_FAULT_FAIL:
		if (r->param == 0 || r->param > 4095)
			return -EINVAL;
		break;
	case PTO_SIM_FAULT_SLOW:
		if (r->param == 0 || r->param > 10000000u)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	/* one adder at a time (device open, or a test); workers only read */
	n = __atomic_load_n(&sim->num_rules, __ATOMIC_RELAXED);
	if (n >= PTO_SIM_MAX_RULES)
		return -ENOSPC;
	sim->rules[n].r = *r;
	sim->rules[n].matched = 0;
	/* the entry is complete: pairs with the acquire in sim_rule_fires() */
	__atomic_store_n(&sim->num_rules, n + 1, __ATOMIC_RELEASE);
	return 0;
}
