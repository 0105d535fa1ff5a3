// SPDX-License-Identifier: MIT
/* test_cond_decode.c - every case of the COND decode, then a model check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "pto2_abi.h"
#include "libpto/sched/cond_decode.h"

#define ACK(id)		PTO2_COND(0, (id))
#define FIN(id)		PTO2_COND(1, (id))
#define NONE		PTO_COND_NO_ID

/* expected result bits: running_done, pending_done, promote, running_acked */
#define R_NOTHING	{ 0, 0, 0, 0 }
#define R_ACKED		{ 0, 0, 0, 1 }
#define R_DONE		{ 1, 0, 0, 0 }
#define R_PROMOTE	{ 1, 0, 1, 1 }
#define R_BOTH		{ 1, 1, 0, 0 }

struct decode_case {
	const char *name;
	uint32_t running, pending, cond;
	struct pto_cond_result want;
};

static const struct decode_case cases[] = {
	/* nothing held: nothing to learn, whatever COND says */
	{ "none: idle",			NONE, NONE, PTO2_COND_IDLE,	R_NOTHING },
	{ "none: exited",		NONE, NONE, PTO2_COND_EXITED,	R_NOTHING },
	{ "none: FIN(0)",		NONE, NONE, FIN(0),		R_NOTHING },
	{ "none: ACK(0)",		NONE, NONE, ACK(0),		R_NOTHING },
	{ "none: FIN(old)",		NONE, NONE, FIN(41),		R_NOTHING },
	{ "none: pending w/o running",	NONE, 42, FIN(42),		R_NOTHING },

	/* running only */
	{ "run: ACK(run)",		42, NONE, ACK(42),		R_ACKED },
	{ "run: FIN(run)",		42, NONE, FIN(42),		R_DONE },
	{ "run: FIN(old)",		42, NONE, FIN(41),		R_NOTHING },
	{ "run: ACK(old)",		42, NONE, ACK(41),		R_NOTHING },
	{ "run: FIN(much older)",	42, NONE, FIN(3),		R_NOTHING },
	{ "run: idle marker",		42, NONE, PTO2_COND_IDLE,	R_NOTHING },
	{ "run: exited marker",		42, NONE, PTO2_COND_EXITED,	R_NOTHING },
	{ "run: FIN(0) vs empty pend",	42, NONE, FIN(0),		R_NOTHING },
	{ "run: ACK(0) vs empty pend",	42, NONE, ACK(0),		R_NOTHING },
	{ "run: FIN(newer)",		42, NONE, FIN(43),		R_NOTHING },
	{ "run: id 1",			1, NONE, FIN(1),		R_DONE },

	/* running + pending */
	{ "pend: ACK(run)",		42, 43, ACK(42),		R_ACKED },
	{ "pend: FIN(run) ignored",	42, 43, FIN(42),		R_NOTHING },
	{ "pend: ACK(pend)",		42, 43, ACK(43),		R_PROMOTE },
	{ "pend: FIN(pend)",		42, 43, FIN(43),		R_BOTH },
	{ "pend: FIN(old)",		42, 43, FIN(41),		R_NOTHING },
	{ "pend: ACK(old)",		42, 43, ACK(41),		R_NOTHING },
	{ "pend: idle marker",		42, 43, PTO2_COND_IDLE,		R_NOTHING },
	{ "pend: exited marker",	42, 43, PTO2_COND_EXITED,	R_NOTHING },
	{ "pend: FIN(0)",		42, 43, FIN(0),			R_NOTHING },

	/* around the wrap: PTO2_ID_MAX is followed by PTO2_ID_MIN */
	{ "wrap: ACK(max)",		PTO2_ID_MAX, NONE, ACK(PTO2_ID_MAX),	R_ACKED },
	{ "wrap: FIN(max)",		PTO2_ID_MAX, NONE, FIN(PTO2_ID_MAX),	R_DONE },
	{ "wrap: FIN(max-1) stale",	PTO2_ID_MAX, NONE, FIN(PTO2_ID_MAX - 1), R_NOTHING },
	{ "wrap: max+min ACK(max)",	PTO2_ID_MAX, PTO2_ID_MIN, ACK(PTO2_ID_MAX), R_ACKED },
	{ "wrap: max+min FIN(max)",	PTO2_ID_MAX, PTO2_ID_MIN, FIN(PTO2_ID_MAX), R_NOTHING },
	{ "wrap: max+min ACK(min)",	PTO2_ID_MAX, PTO2_ID_MIN, ACK(PTO2_ID_MIN), R_PROMOTE },
	{ "wrap: max+min FIN(min)",	PTO2_ID_MAX, PTO2_ID_MIN, FIN(PTO2_ID_MIN), R_BOTH },
	{ "wrap: max+min stale",	PTO2_ID_MAX, PTO2_ID_MIN, FIN(PTO2_ID_MAX - 1), R_NOTHING },
	{ "wrap: min, stale FIN(max)",	PTO2_ID_MIN, NONE, FIN(PTO2_ID_MAX),	R_NOTHING },
	{ "wrap: min, FIN(min)",	PTO2_ID_MIN, NONE, FIN(PTO2_ID_MIN),	R_DONE },
	{ "wrap: min+2 ACK(2)",		PTO2_ID_MIN, PTO2_ID_MIN + 1, ACK(PTO2_ID_MIN + 1), R_PROMOTE },
	{ "wrap: min+2 stale max",	PTO2_ID_MIN, PTO2_ID_MIN + 1, ACK(PTO2_ID_MAX), R_NOTHING },
};

static void test_table(void **state)
{
	size_t i;
	int bad = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct decode_case *c = &cases[i];
		struct pto_cond_result r = pto_cond_decode(c->running, c->pending, c->cond);

		if (r.running_done != c->want.running_done ||
		    r.pending_done != c->want.pending_done ||
		    r.promote != c->want.promote ||
		    r.running_acked != c->want.running_acked) {
			print_error("case \"%s\": got {%u,%u,%u,%u} want {%u,%u,%u,%u}\n", c->name,
				    r.running_done, r.pending_done, r.promote, r.running_acked,
				    c->want.running_done, c->want.pending_done, c->want.promote,
				    c->want.running_acked);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* The table's wrap cases use the ids the ABI really hands out. */
static void test_dispatch_id_wrap(void **state)
{
	(void)state;
	assert_int_equal(PTO2_DISPATCH_ID(0), PTO2_ID_MIN);
	assert_int_equal(PTO2_DISPATCH_ID(PTO2_ID_SPAN - 1), PTO2_ID_MAX);
	assert_int_equal(PTO2_DISPATCH_ID(PTO2_ID_SPAN), PTO2_ID_MIN);
	/* parity (payload buffer) keeps alternating across the wrap */
	assert_int_not_equal(PTO2_PAYLOAD_SLOT(PTO2_ID_MAX), PTO2_PAYLOAD_SLOT(PTO2_ID_MIN));
}

/* Invariants of the result whatever the input. */
static void test_result_invariants(void **state)
{
	static const uint32_t ids[] = { NONE, 1, 2, 41, 42, 43, PTO2_ID_MAX - 1, PTO2_ID_MAX,
					PTO2_ID_EXIT_ACK, PTO2_ID_CORE_IDLE };
	size_t a, b, c;
	int fin;

	(void)state;
	for (a = 0; a < sizeof(ids) / sizeof(ids[0]); a++)
		for (b = 0; b < sizeof(ids) / sizeof(ids[0]); b++)
			for (c = 0; c < sizeof(ids) / sizeof(ids[0]); c++)
				for (fin = 0; fin < 2; fin++) {
					uint32_t run = ids[a], pend = ids[b];
					struct pto_cond_result r =
						pto_cond_decode(run, pend, PTO2_COND(fin, ids[c]));

					if (run == pend && run != NONE)
						continue;	/* never held twice */
					if (r.promote || r.pending_done)
						assert_true(r.running_done);
					assert_false(r.promote && r.pending_done);
					if (pend == NONE)
						assert_false(r.promote || r.pending_done);
					if (run == NONE)
						assert_false(r.running_done || r.running_acked);
					if (ids[c] == NONE)	/* an empty slot never matches */
						assert_false(r.running_done || r.running_acked);
					/* only a matching id does anything */
					if (ids[c] != run && ids[c] != pend)
						assert_false(r.running_done || r.running_acked);
				}
}

/*
 * Model check: a core that runs what DATA_MAIN_BASE names, in order, and a
 * scheduler that dispatches by the decode (running when idle, pending once
 * the running one is ACKed), interleaved at random so the scheduler misses
 * arbitrary COND values.  Every dispatch must be counted done exactly once,
 * only after the core finished it, and nothing may be lost.
 */
#define MODEL_DISPATCHES	12
#define MODEL_RUNS		20000
#define MODEL_STEP_LIMIT	20000

struct model {
	/* registers */
	uint32_t data_main_base, cond;
	/* core */
	uint32_t latched;		/* last id latched */
	uint32_t busy;			/* id being run, or NONE */
	int finished[MODEL_DISPATCHES];
	/* scheduler */
	uint32_t running, pending;
	int acked;
	uint32_t next;			/* next dispatch index */
	int done[MODEL_DISPATCHES];
	uint32_t num_done;
	uint64_t first;			/* dispatch number of index 0 */
};

static uint32_t model_id(const struct model *m, uint32_t idx)
{
	return PTO2_DISPATCH_ID(m->first + idx);
}

static int model_idx(const struct model *m, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < MODEL_DISPATCHES; i++)
		if (model_id(m, i) == id)
			return (int)i;
	return -1;
}

static void core_step(struct model *m)
{
	if (m->busy != NONE) {
		m->finished[model_idx(m, m->busy)] = 1;
		m->cond = FIN(m->busy);
		m->busy = NONE;
	} else if (m->data_main_base != m->latched) {
		m->latched = m->data_main_base;
		m->busy = m->latched;
		m->cond = ACK(m->busy);
	}
}

static void mark_done(struct model *m, uint32_t id)
{
	int idx = model_idx(m, id);

	assert_true(idx >= 0);
	assert_true(m->finished[idx]);		/* never before the core finished it */
	assert_false(m->done[idx]);		/* never twice */
	m->done[idx] = 1;
	m->num_done++;
}

static void sched_step(struct model *m)
{
	struct pto_cond_result r = pto_cond_decode(m->running, m->pending, m->cond);

	if (r.running_done)
		mark_done(m, m->running);
	if (r.pending_done)
		mark_done(m, m->pending);
	if (r.promote) {
		m->running = m->pending;
		m->pending = NONE;
		m->acked = r.running_acked;
	} else if (r.running_done) {
		m->running = r.pending_done ? NONE : m->pending;
		m->pending = NONE;
		m->acked = 0;
		assert_int_equal(m->running, NONE);	/* FIN(run) with pending is ignored */
	} else if (r.running_acked) {
		m->acked = 1;
	}
	if (m->next >= MODEL_DISPATCHES)
		return;
	if (m->running == NONE) {
		m->running = model_id(m, m->next++);
		m->acked = 0;
		m->data_main_base = m->running;
	} else if (m->acked && m->pending == NONE) {
		m->pending = model_id(m, m->next++);
		m->data_main_base = m->pending;
	}
}

static void run_model(uint64_t first, unsigned int seed)
{
	struct model m = { 0 };
	uint32_t steps;

	m.first = first;
	m.data_main_base = PTO2_REG_IDLE;
	m.latched = PTO2_REG_IDLE;
	m.cond = PTO2_COND_IDLE;
	m.busy = NONE;
	m.running = m.pending = NONE;
	for (steps = 0; m.num_done < MODEL_DISPATCHES; steps++) {
		if (steps >= MODEL_STEP_LIMIT)
			fail_msg("seed %u: stuck with %u of %u done (a dispatch was lost)", seed,
				 m.num_done, MODEL_DISPATCHES);
		if (rand_r(&seed) & 1)
			core_step(&m);
		else
			sched_step(&m);
	}
	assert_int_equal(m.running, NONE);
	assert_int_equal(m.pending, NONE);
}

static void test_model(void **state)
{
	unsigned int run;

	(void)state;
	for (run = 0; run < MODEL_RUNS; run++) {
		/* half the runs cross the id wrap */
		uint64_t first = run & 1 ? PTO2_ID_SPAN - MODEL_DISPATCHES / 2 : 0;

		run_model(first, run);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_dispatch_id_wrap),
		cmocka_unit_test(test_result_invariants),
		cmocka_unit_test(test_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
