/* SPDX-License-Identifier: MIT */
/*
 * env.h - the environment variables libpto knows (the one list, in env.c),
 * the once-per-process warning about unknown PTO_* / PTO2_* ones, and
 * PTO_VERBOSE.  Internal.
 */
#ifndef PTO_UTIL_ENV_H
#define PTO_UTIL_ENV_H

#include <stdint.h>
#include <stdio.h>

/* 1 if @name (no "=value") is a variable of docs/env.md. */
int pto__env_known(const char *name);

/*
 * Print one warning line to @f for each PTO_* / PTO2_* entry of @envp
 * (NAME=value strings, NULL-terminated) that is not known; return how many.
 */
int pto__env_warn_unknown(FILE *f, char *const *envp);

/* pto__env_warn_unknown(stderr, environ), the first time a process calls it. */
void pto__env_check_once(void);

/*
 * pto__env_u64() - integer variable @name in [@lo, @hi] into *@out (decimal,
 * or 0x hex / 0 octal as strtoull() reads them; no sign).  Unset or empty
 * leaves *@out alone (the default, docs/env.md).  Return 0, or -EINVAL with
 * pto_last_error() "NAME='value': expected an integer LO..HI".
 */
int pto__env_u64(const char *name, uint64_t lo, uint64_t hi, uint64_t *out);

/*
 * Apply $PTO_VERBOSE to @flags: "1" sets PTO_RT_VERBOSE, "0" or unset leaves
 * them.  Return 0, or -EINVAL (with pto_last_error()) for any other value.
 */
int pto__env_verbose(uint32_t *flags);

#endif /* PTO_UTIL_ENV_H */
