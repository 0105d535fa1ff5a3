// SPDX-License-Identifier: MIT
/*
 * env.c - the environment variables libpto knows, and a warning about the
 * others.  A misspelled PTO_* variable would otherwise be ignored without a
 * word; the first runtime of a process names each unknown one (and the
 * closest known name) on stderr, once.  The integer variables are parsed
 * here too (pto__env_u64()), so all of them take and refuse the same values.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "libpto/error_impl.h"
#include "libpto/util/env.h"
#include "pto/runtime.h"

extern char **environ;

/*
 * The PTO_ / PTO2_ variables of docs/env.md, which describes each (and the
 * prefix scheme); tests/install/env-doc.sh fails when the two differ.  The
 * test-harness ones are here too, so running the tests warns about nothing.
 */
static const char *const known_vars[] = {
	"PTO_DEVICE",
	"PTO_SCHEDULERS",
	"PTO_WIRING",
	"PTO_CPUS",
	"PTO_VERBOSE",
	"PTO_HAZARDS",
	"PTO2_RING_TASK_WINDOW",
	"PTO2_RING_HEAP",
	"PTO2_RING_DEP_POOL",
	"PTO_SCHED_SPIN_NS",
	"PTO_INLINE_CORES",
	"PTO_KMOD_WORKERS",
	"PTO_MOCK_PUBLISH",
	"PTO_MPI_TIMEOUT_MS",
	"PTO_BUILD",
	"PTO_TEST_TIMEOUT",
	"PTO_SUITE_LEAVE_OUT",
	"PTO2_KO",
	"PTO2_PARAMS",
	"PTO2_FUZZ_SEED",
};

#define NUM_KNOWN	(sizeof(known_vars) / sizeof(known_vars[0]))
#define NAME_MAX_LEN	64

int pto__env_known(const char *name)
{
	for (size_t i = 0; i < NUM_KNOWN; i++)
		if (!strcmp(name, known_vars[i]))
			return 1;
	return 0;
}

/* Edit distance of two names (both shorter than NAME_MAX_LEN), for "did you mean". */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[NAME_MAX_LEN + 1];

	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/* The nearest known name, if within one edit per five characters (plus one), or NULL. */
static const char *closest(const char *name)
{
	const char *best = NULL;
	size_t len = strlen(name), bd = len / 5 + 2;

	if (len >= NAME_MAX_LEN)
		return NULL;
	for (size_t i = 0; i < NUM_KNOWN; i++) {
		size_t d = distance(name, known_vars[i]);

		if (d < bd) {
			bd = d;
			best = known_vars[i];
		}
	}
	return best;
}

int pto__env_warn_unknown(FILE *f, char *const *envp)
{
	int n = 0;

	for (; envp && *envp; envp++) {
		const char *e = *envp, *eq = strchr(e, '=');
		char name[NAME_MAX_LEN + 16];
		size_t len = eq ? (size_t)(eq - e) : strlen(e);
		const char *hint;

		if (strncmp(e, "PTO_", 4) && strncmp(e, "PTO2_", 5))
			continue;
		if (len >= sizeof(name))
			len = sizeof(name) - 1;
		memcpy(name, e, len);
		name[len] = '\0';
		if (pto__env_known(name))
			continue;
		hint = closest(name);
		if (hint)
			fprintf(f, "pto: warning: unknown environment variable %s "
				"(did you mean %s?); see docs/env.md\n", name, hint);
		else
			fprintf(f, "pto: warning: unknown environment variable %s; see docs/env.md\n",
				name);
		n++;
	}
	return n;
}

static void check_environ(void)
{
	pto__env_warn_unknown(stderr, environ);
}

void pto__env_check_once(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, check_environ);
}

int pto__env_u64(const char *name, uint64_t lo, uint64_t hi, uint64_t *out)
{
	const char *s = getenv(name);
	unsigned long long x;
	char *end;

	if (!s || !*s)
		return 0;
	errno = 0;
	x = strtoull(s, &end, 0);
	/* strtoull() takes "-1" as its wrap-around; no sign is a value here */
	if (end == s || *end || errno || *s == '-' || x < lo || x > hi)
		return pto__fail(-EINVAL, "%s='%s': expected an integer %llu..%llu", name, s,
				 (unsigned long long)lo, (unsigned long long)hi);
	*out = x;
	return 0;
}

int pto__env_verbose(uint32_t *flags)
{
	const char *s = getenv("PTO_VERBOSE");

	if (!s || !*s || !strcmp(s, "0"))
		return 0;
	if (strcmp(s, "1"))
		return pto__fail(-EINVAL, "PTO_VERBOSE='%s': expected 0 or 1", s);
	*flags |= PTO_RT_VERBOSE;
	return 0;
}
