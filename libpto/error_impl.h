/* SPDX-License-Identifier: MIT */
/* error_impl.h - recording why a libpto call failed.  Internal. */
#ifndef PTO_ERROR_IMPL_H
#define PTO_ERROR_IMPL_H

#include "pto/error.h"

/* room for a stall diagnostic that lists a few stuck tasks */
#define PTO_ERRMSG_MAX			512

/*
 * pto__fail() - record a message for pto_last_error() on this thread and
 * return @code, so call sites read "return pto__fail(-EINVAL, ...);".
 */
__attribute__((format(printf, 2, 3)))
int pto__fail(int code, const char *fmt, ...);

/* Record @msg verbatim (e.g. a message latched on another thread). */
void pto__set_error_msg(const char *msg);

#endif /* PTO_ERROR_IMPL_H */
