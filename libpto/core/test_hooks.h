/* SPDX-License-Identifier: MIT */
/*
 * test_hooks.h - seams where a unit test forces a racing interleaving.
 * Internal (hidden, never exported).  Every pointer is NULL outside those
 * tests, so a seam costs one relaxed load and a predicted branch.  A test
 * sets them before pto_run() and clears them after it returns (thread
 * creation and join order the stores).
 */
#ifndef PTO_CORE_TEST_HOOKS_H
#define PTO_CORE_TEST_HOOKS_H

#include <stdint.h>

struct pto_task;
struct pto_ring;

struct pto_test_hooks {
	/*
	 * sub_finished(): a dispatch's FIN was just counted (@count is the new
	 * completed_sub of @t) and the task may be completed by another thread
	 * from here on; the seam of issue 12 A.
	 */
	void (*sub_counted)(struct pto_task *t, uint32_t count);
	/*
	 * ring_advance(): the holder scanned and published and still holds
	 * advance_lock; a consumer that arrives now must be picked up by the
	 * holder's re-check of advance_pending (the retry argument).
	 */
	void (*advance_scanned)(struct pto_ring *r);
	/*
	 * pto__sync_lend(): a lender just loaded an odd sync_gen @g and is about to
	 * read the request's task; the seam of issue 12 B.
	 */
	void (*lend_loaded)(uint32_t g);
};

extern struct pto_test_hooks pto__test_hooks;

#define PTO_TEST_HOOK(name, ...)							\
	do {										\
		if (__builtin_expect(__atomic_load_n(&pto__test_hooks.name,		\
						     __ATOMIC_RELAXED) != NULL, 0))	\
			pto__test_hooks.name(__VA_ARGS__);				\
	} while (0)

#endif /* PTO_CORE_TEST_HOOKS_H */
