// SPDX-License-Identifier: MIT
/*
 * tools/parse_num.h - the one decimal-option parser of the command-line
 * tools (pto-bench, pto-run, pto-trace) and the peer harnesses, so that they
 * all accept and refuse the same spellings.
 */
#ifndef PTO_TOOLS_PARSE_NUM_H
#define PTO_TOOLS_PARSE_NUM_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/*
 * Parse @s as an unsigned decimal in [@lo, @hi] into *@out.  The whole string
 * must be digits: no sign, no blanks, no suffix.  Returns 0, or -EINVAL (and
 * leaves *@out alone) when @s is NULL or not such a number.
 */
static inline int pto_parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	unsigned long long v;
	char *end;

	/* strtoull() would take "-1", " 1" and "+1" */
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

#endif
