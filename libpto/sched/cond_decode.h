/* SPDX-License-Identifier: MIT */
/*
 * cond_decode.h - what a COND register value means for a core that holds
 * a running and possibly a pending dispatch (dual issue).  A pure function,
 * tested case by case.  Internal.
 *
 * COND holds only the core's latest event, and a core runs its dispatches
 * in order, so:
 *	COND = FIN(pending)  -> running and pending both done, core idle
 *	COND = ACK(pending)  -> running done, pending promoted to running
 *	COND = FIN(running)  -> running done (pending, if any, not yet latched:
 *	                        ignore until its ACK/FIN shows, unless none)
 *	COND = ACK(running)  -> running latched: the pending slot may be filled
 *	anything else        -> no change (stale value from before the dispatch)
 */
#ifndef PTO_COND_DECODE_H
#define PTO_COND_DECODE_H

#include <stdint.h>

/* No dispatch in that slot. */
#define PTO_COND_NO_ID		0u

/**
 * struct pto_cond_result - transition implied by one COND value.
 * @running_done: the running dispatch finished.
 * @pending_done: the pending dispatch finished too.
 * @promote: the pending dispatch is now running (running_done is set).
 * @running_acked: the running dispatch (after @promote: the promoted one)
 *	was latched by the core, so the pending slot may be filled.
 */
struct pto_cond_result {
	uint8_t running_done;
	uint8_t pending_done;
	uint8_t promote;
	uint8_t running_acked;
};

/*
 * @running_id, @pending_id: dispatch ids held (PTO_COND_NO_ID if none; a
 * pending id implies a running id).  @cond: the COND value read (acquire).
 */
struct pto_cond_result pto_cond_decode(uint32_t running_id, uint32_t pending_id, uint32_t cond);

#endif /* PTO_COND_DECODE_H */
