// SPDX-License-Identifier: MIT
/*
 * test_env.c - quiet by default, PTO_VERBOSE, PTO_SCHED_SPIN_NS, and the
 * once-per-process warning about unknown PTO_* / PTO2_* environment variables.
 */
#include <unistd.h>

#include "rt_test_util.h"
#include "libpto/core/run.h"
#include "libpto/util/env.h"

/* Run @fn with stderr captured; return what it printed (malloc'ed). */
static char *capture_stderr(void (*fn)(void *), void *arg)
{
	FILE *tmp = tmpfile();
	char *buf = calloc(1, 4096);
	int saved;

	assert_non_null(tmp);
	assert_non_null(buf);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
	fn(arg);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	if (fread(buf, 1, 4095, tmp) == 0)
		buf[0] = '\0';
	fclose(tmp);
	return buf;
}

static void test_warn_unknown(void **state)
{
	char *envp[] = {
		"PTO_SCHEDULRES=2",	/* a typo: named with the right spelling */
		"PTO_DEVICE=mock",	/* known: silent */
		"PTO2_RING_HEAP=1M",
		"PTO2_RING_HEAPS=1M",
		"PTO_XYZZY_PLUGH=1",	/* nothing close */
		"PTOX=1",		/* not our prefix */
		"HOME=/root",
		"PTO_CPUS",		/* no '=': still a name */
		NULL,
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	assert_int_equal(pto__env_warn_unknown(f, envp), 3);
	fclose(f);
	assert_string_equal(buf,
		"pto: warning: unknown environment variable PTO_SCHEDULRES "
		"(did you mean PTO_SCHEDULERS?); see docs/env.md\n"
		"pto: warning: unknown environment variable PTO2_RING_HEAPS "
		"(did you mean PTO2_RING_HEAP?); see docs/env.md\n"
		"pto: warning: unknown environment variable PTO_XYZZY_PLUGH; see docs/env.md\n");
	free(buf);
	assert_int_equal(pto__env_warn_unknown(stderr, NULL), 0);
}

static void test_known(void **state)
{
	(void)state;
	assert_true(pto__env_known("PTO_KMOD_WORKERS"));
	assert_true(pto__env_known("PTO_SCHED_SPIN_NS"));
	assert_true(pto__env_known("PTO_VERBOSE"));
	assert_false(pto__env_known("PTO_RT_QUIET"));
	assert_false(pto__env_known("PTO_DEVICE2"));
}

struct create_arg {
	struct pto_device *dev;
	const struct pto_runtime_config *cfg;
	int n;
};

static void create_runtimes(void *p)
{
	struct create_arg *a = p;

	for (int i = 0; i < a->n; i++) {
		struct pto_runtime *rt = NULL;

		assert_int_equal(pto_runtime_create(a->dev, a->cfg, &rt), 0);
		pto_runtime_destroy(rt);
	}
}

static int count_lines(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/*
 * Runs first: the process's first runtime warns (a QUIET one does not and
 * leaves the warning to the next), later ones do not.
 */
static void test_warns_once(void **state)
{
	struct create_arg a = { .dev = rt_open_dev(1), .n = 3 };
	struct pto_runtime_config cfg;
	char *out;

	(void)state;
	assert_int_equal(setenv("PTO_TEST_TYPO_VAR", "1", 1), 0);
	assert_int_equal(pto_runtime_config_init(&cfg), 0);
	cfg.flags |= PTO_RT_QUIET;
	a.cfg = &cfg;
	out = capture_stderr(create_runtimes, &a);
	assert_string_equal(out, "");
	free(out);
	cfg.flags &= ~PTO_RT_QUIET;
	out = capture_stderr(create_runtimes, &a);
	assert_int_equal(count_lines(out, "unknown environment variable PTO_TEST_TYPO_VAR"), 1);
	free(out);
	out = capture_stderr(create_runtimes, &a);
	assert_string_equal(out, "");
	free(out);
	unsetenv("PTO_TEST_TYPO_VAR");
	pto_device_close(a.dev);
}

static void test_quiet_by_default(void **state)
{
	struct create_arg a = { .dev = rt_open_dev(1), .n = 1 };
	struct pto_runtime_config cfg;
	char *out;

	(void)state;
	unsetenv("PTO_VERBOSE");
	assert_int_equal(pto_runtime_config_init(&cfg), 0);
	assert_int_equal(cfg.flags & (PTO_RT_VERBOSE | PTO_RT_QUIET), 0);
	a.cfg = &cfg;
	out = capture_stderr(create_runtimes, &a);
	assert_string_equal(out, "");
	free(out);
	a.cfg = NULL;		/* NULL = the config_init defaults: quiet too */
	out = capture_stderr(create_runtimes, &a);
	assert_string_equal(out, "");
	free(out);

	cfg.flags |= PTO_RT_VERBOSE;
	a.cfg = &cfg;
	out = capture_stderr(create_runtimes, &a);
	assert_non_null(strstr(out, "pto: orchestrator cpu "));
	assert_non_null(strstr(out, "pto: scheduler 0 cpu "));
	free(out);

	cfg.flags |= PTO_RT_QUIET;	/* QUIET wins */
	out = capture_stderr(create_runtimes, &a);
	assert_string_equal(out, "");
	free(out);
	pto_device_close(a.dev);
}

static void test_pto_verbose_env(void **state)
{
	struct create_arg a = { .dev = rt_open_dev(1), .n = 1 };
	struct pto_runtime_config cfg;
	char *out;

	(void)state;
	assert_int_equal(setenv("PTO_VERBOSE", "1", 1), 0);
	assert_int_equal(pto_runtime_config_init(&cfg), 0);
	assert_true(cfg.flags & PTO_RT_VERBOSE);
	a.cfg = &cfg;
	out = capture_stderr(create_runtimes, &a);
	assert_non_null(strstr(out, "pto: orchestrator cpu "));
	free(out);

	assert_int_equal(setenv("PTO_VERBOSE", "0", 1), 0);
	assert_int_equal(pto_runtime_config_init(&cfg), 0);
	assert_int_equal(cfg.flags & PTO_RT_VERBOSE, 0);

	assert_int_equal(setenv("PTO_VERBOSE", "yes", 1), 0);
	assert_int_equal(pto_runtime_config_init(&cfg), -EINVAL);
	assert_string_equal(pto_last_error(), "PTO_VERBOSE='yes': expected 0 or 1");
	assert_int_equal(cfg.flags, 0);		/* the defaults */
	unsetenv("PTO_VERBOSE");
	pto_device_close(a.dev);
}

/*
 * PTO_SCHED_SPIN_NS is refused like PTO_SCHEDULERS: by
 * pto_runtime_config_init() and, for a config built without it, by
 * pto_runtime_create(); it used to be a bare strtoull() ("abc" = 0, "-1" =
 * spin for ever).  Empty is unset.
 */
static void test_sched_spin_env(void **state)
{
	static const char *const bad[] = { "abc", "-1", "12x", "0x", "1000000001" };
	static const struct { const char *v; uint64_t ns; } good[] = {
		{ "", UINT64_MAX }, { "0", 0 }, { "50000", 50000 },
		{ "1000000000", 1000000000 }, { "0x10", 16 },
	};
	struct pto_device *dev = rt_open_dev(1);
	struct pto_runtime_config cfg, own;
	struct pto_runtime *rt;
	char want[96];

	(void)state;
	unsetenv("PTO_SCHED_SPIN_NS");
	assert_int_equal(pto_runtime_config_init(&own), 0);
	own.flags |= PTO_RT_QUIET;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want), "PTO_SCHED_SPIN_NS='%s': expected an integer "
			 "0..1000000000", bad[i]);
		assert_int_equal(setenv("PTO_SCHED_SPIN_NS", bad[i], 1), 0);
		assert_int_equal(pto_runtime_config_init(&cfg), -EINVAL);
		assert_string_equal(pto_last_error(), want);
		assert_int_equal(cfg.task_window[0], own.task_window[0]);	/* the defaults */
		rt = NULL;
		assert_int_equal(pto_runtime_create(dev, &own, &rt), -EINVAL);
		assert_null(rt);
		assert_string_equal(pto_last_error(), want);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(setenv("PTO_SCHED_SPIN_NS", good[i].v, 1), 0);
		assert_int_equal(pto_runtime_config_init(&cfg), 0);
		assert_int_equal(pto_runtime_create(dev, &own, &rt), 0);
		assert_true(rt->sched_spin_ns == good[i].ns);
		pto_runtime_destroy(rt);
	}
	unsetenv("PTO_SCHED_SPIN_NS");
	pto_device_close(dev);
}

/* PTO_MOCK_PUBLISH takes 0 or 1: anything else fails the open, naming the value. */
static void test_mock_publish_env(void **state)
{
	static const char *const bad[] = { "yes", "2", "-1", "0x" };
	static const char *const good[] = { "0", "1", "" };
	struct pto_device *dev;
	char want[96];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want), "PTO_MOCK_PUBLISH='%s': expected an integer 0..1",
			 bad[i]);
		assert_int_equal(setenv("PTO_MOCK_PUBLISH", bad[i], 1), 0);
		dev = (struct pto_device *)&want;
		assert_int_equal(pto_device_open("mock:clusters=1", &dev), -EINVAL);
		assert_null(dev);
		assert_string_equal(pto_last_error(), want);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(setenv("PTO_MOCK_PUBLISH", good[i], 1), 0);
		assert_int_equal(pto_device_open("mock:clusters=1", &dev), 0);
		pto_device_close(dev);
	}
	unsetenv("PTO_MOCK_PUBLISH");
}

/* An empty variable is an unset one (docs/env.md): the defaults, no error. */
static void test_empty_is_unset(void **state)
{
	static const char *const vars[] = {
		"PTO2_RING_TASK_WINDOW", "PTO2_RING_HEAP", "PTO2_RING_DEP_POOL", "PTO_SCHEDULERS",
		"PTO_WIRING", "PTO_CPUS", "PTO_VERBOSE", "PTO_HAZARDS", "PTO_INLINE_CORES",
		"PTO_SCHED_SPIN_NS",
	};
	struct pto_runtime_config def, cfg;

	(void)state;
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	/* zeroed first: the padding memcmp sees is then zero whatever the copy does */
	memset(&def, 0, sizeof(def));
	assert_int_equal(pto_runtime_config_init(&def), 0);
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		memset(&cfg, 0, sizeof(cfg));
		assert_int_equal(setenv(vars[i], "", 1), 0);
		assert_int_equal(pto_runtime_config_init(&cfg), 0);
		assert_memory_equal(&cfg, &def, sizeof(cfg));
		unsetenv(vars[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_warns_once),
		cmocka_unit_test(test_warn_unknown),
		cmocka_unit_test(test_known),
		cmocka_unit_test(test_quiet_by_default),
		cmocka_unit_test(test_pto_verbose_env),
		cmocka_unit_test(test_sched_spin_env),
		cmocka_unit_test(test_empty_is_unset),
		cmocka_unit_test(test_mock_publish_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
