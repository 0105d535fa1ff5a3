// SPDX-License-Identifier: MIT
/*
 * cond_decode.c - the meaning of one COND value for a core's running and
 * pending dispatches (see cond_decode.h for the table).
 *
 * Only exact id matches count: every other value (an older dispatch, the
 * idle or exit marker) predates what the scheduler holds.  Dispatch ids
 * are never PTO_COND_NO_ID, so an empty slot never matches.
 *
 * Model-checked with the dispatch and the core's side in
 * tests/models/dispatch.pml (inline decode() mirrors this function).
 */
#include "pto2_abi.h"

#include "libpto/sched/cond_decode.h"

_Static_assert(PTO_COND_NO_ID < PTO2_ID_MIN, "no-id is never a dispatch id");

struct pto_cond_result pto_cond_decode(uint32_t running_id, uint32_t pending_id, uint32_t cond)
{
	struct pto_cond_result r = { 0 };
	uint32_t id = PTO2_COND_GET_ID(cond);
	int fin = PTO2_COND_IS_FIN(cond);

	/* Nothing running: nothing to learn (a pending id without one is a caller bug). */
	if (running_id == PTO_COND_NO_ID)
		return r;

	if (pending_id != PTO_COND_NO_ID && id == pending_id) {
		/* In-order execution: an event of the pending one implies running is done. */
		r.running_done = 1;
		if (fin) {
			r.pending_done = 1;
		} else {
			/* The promoted dispatch is latched: the pending slot may be refilled. */
			r.promote = 1;
			r.running_acked = 1;
		}
		return r;
	}

	if (id == running_id) {
		if (!fin) {
			r.running_acked = 1;
		} else if (pending_id == PTO_COND_NO_ID) {
			r.running_done = 1;
		}
		/*
		 * FIN(running) with a pending dispatch: the core may not have latched
		 * the pending id yet, so promoting it now could let the scheduler
		 * overwrite DATA_MAIN_BASE before the core read it.  The pending
		 * one's ACK or FIN reports both.
		 */
	}
	return r;
}
