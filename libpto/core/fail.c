// SPDX-License-Identifier: MIT
/*
 * fail.c - the run's error latch: the first failure of a run wins, every
 * sleeping thread is woken so the run ends; and kernel names for the
 * messages.  Any thread.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "libpto/core/run.h"

const char *pto__kernel_name(const struct pto_runtime *rt, int32_t id)
{
	if (id < 0 || (uint32_t)id >= PTO2_MAX_KERNELS || !rt->kernel_name[id])
		return "?";
	return rt->kernel_name[id];
}

int pto__rt_fail(struct pto_runtime *rt, int code, const char *fmt, ...)
{
	char msg[PTO_ERRMSG_MAX];
	int zero = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pto__set_error_msg(msg);
	/*
	 * First failure wins the claim; the message is written before the code
	 * is published (release), so whoever sees a code sees its message.
	 */
	if (__atomic_compare_exchange_n(&rt->err.claimed, &zero, 1, false,
					__ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
		memcpy(rt->err.msg, msg, sizeof(msg));
		/* pairs with the acquire in pto__rt_error() */
		__atomic_store_n(&rt->err.code, code, __ATOMIC_RELEASE);
		/* wake everybody who might be asleep on this run */
		pto_waiter_wake(&rt->orch_wait);
		pto_waiter_wake(&rt->wiring_wait);
		pto__sched_kick(rt);
	}
	return code;
}
