// SPDX-License-Identifier: MIT
/* error.c - status strings and the per-thread last-error message. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "libpto/api.h"
#include "libpto/error_impl.h"

static __thread char last_error[PTO_ERRMSG_MAX];

/*
 * Format into a local buffer, then copy: callers wrap the cause, passing
 * pto_last_error() (this very buffer) as an argument, and vsnprintf() into
 * the buffer it reads from garbles both.
 */
static void set_last_error(const char *fmt, va_list ap)
{
	char msg[PTO_ERRMSG_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	memcpy(last_error, msg, sizeof(msg));
}

int pto__fail(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_last_error(fmt, ap);
	va_end(ap);
	return code;
}

void pto__set_error_msg(const char *msg)
{
	if (msg != last_error)
		snprintf(last_error, sizeof(last_error), "%s", msg);
}

PTO_API int pto_error_set(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_last_error(fmt, ap);
	va_end(ap);
	return status;
}

PTO_API const char *pto_last_error(void)
{
	return last_error;
}

PTO_API const char *pto_strerror(int status)
{
	switch (status) {
	case PTO_OK:			return "success";
	case PTO_E_SCOPE_DEADLOCK:	return "scope can never fit its ring";
	case PTO_E_RING_STALL:		return "ring back-pressure made no progress";
	case PTO_E_KERNEL_FAILED:	return "kernel failed";
	case PTO_E_CORE_HANG:		return "core did not finish its task";
	case PTO_E_SYNC_START:		return "sync-start task can never fit the device";
	case PTO_E_DEP_POOL:		return "dependency pool exhausted";
	case PTO_E_ABORTED:		return "run aborted by an earlier error";
	case PTO_E_MANUAL_SCOPE:	return "manual scope misuse";
	case PTO_E_TENSOR_WAIT:		return "blocking tensor access timed out";
	case PTO_E_NO_KERNEL:		return "kernel id not registered";
	case PTO_E_NESTED_MANUAL:	return "scope opened inside a manual scope";
	case PTO_E_SELF_DEP:		return "task cannot depend on itself";
	case PTO_E_DEP_SCOPE:		return "edge consumer is not a task of the current scope";
	case PTO_E_DEP_PUBLISHED:	return "edge consumer is already published";
	case PTO_E_MANUAL_BLOCKING:	return "blocking tensor access inside a manual scope";
	case PTO_E_WAIT_UNPUBLISHED:	return "blocking access would wait for an unpublished task";
	case PTO_E_RUN_STALL:		return "run stalled: no task can complete";
	case PTO_E_HAZARD:		return "write not ordered after a live access (hazard check)";
	case PTO_E_REMOTE:		return "another device or rank of the workload failed";
	case PTO_E_WAIT_TIMEOUT:	return "waiting for another device or rank timed out";
	case PTO_E_TRANSFER:		return "moving a buffer between devices or ranks failed";
	}
	if (status < 0 && status > -4096)
		return strerror(-status);
	return "unknown status";
}
