// SPDX-License-Identifier: MIT
/*
 * test_spec.c - device specs: what each key does, the defaults, and that
 * every malformed spec fails with -EINVAL and a message naming the bad
 * part (never a crash, never a device).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pto/device.h"

static void open_info(const char *spec, struct pto_device_info *info)
{
	struct pto_device *dev = NULL;
	int rc = pto_device_open(spec, &dev);

	if (rc)
		fail_msg("opening '%s': %d %s", spec ? spec : "(null)", rc, pto_last_error());
	assert_int_equal(pto_device_get_info(dev, info), 0);
	pto_device_close(dev);
}

static void test_defaults(void **state)
{
	struct pto_device_info info;
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	(void)state;
	unsetenv("PTO_DEVICE");
	open_info(NULL, &info);
	assert_string_equal(info.spec, "mock");
	assert_int_equal(info.platform, PTO2_PLATFORM_MOCK);
	assert_int_equal(info.abi_version, PTO2_ABI_VERSION);
	assert_int_equal(info.num_clusters, PTO2_DEFAULT_CLUSTERS);
	assert_int_equal(info.num_cores, 3 * PTO2_DEFAULT_CLUSTERS);
	assert_int_equal(info.num_aic, PTO2_DEFAULT_CLUSTERS);
	assert_int_equal(info.num_aiv, 2 * PTO2_DEFAULT_CLUSTERS);
	assert_int_equal(info.mem_size, 1ull << 30);
	assert_int_equal(info.num_workers, online);
	assert_true(info.num_cpus >= 1);
	open_info("mock", &info);
	assert_int_equal(info.num_clusters, PTO2_DEFAULT_CLUSTERS);
}

static void test_env_spec(void **state)
{
	struct pto_device_info info;

	(void)state;
	setenv("PTO_DEVICE", "mock:clusters=3", 1);
	open_info(NULL, &info);
	assert_int_equal(info.num_clusters, 3);
	assert_string_equal(info.spec, "mock:clusters=3");
	/* an explicit spec wins over the environment */
	open_info("mock:clusters=5", &info);
	assert_int_equal(info.num_clusters, 5);
	setenv("PTO_DEVICE", "", 1);
	open_info(NULL, &info);
	assert_int_equal(info.num_clusters, PTO2_DEFAULT_CLUSTERS);
	setenv("PTO_DEVICE", "mock:clusters=0", 1);
	{
		struct pto_device *dev = (struct pto_device *)1;

		assert_int_equal(pto_device_open(NULL, &dev), -EINVAL);
		assert_null(dev);
	}
	unsetenv("PTO_DEVICE");
}

static void test_keys(void **state)
{
	struct pto_device_info info;

	(void)state;
	open_info("mock:clusters=1,mem=2M,workers=1", &info);
	assert_int_equal(info.num_clusters, 1);
	assert_int_equal(info.num_cores, 3);
	assert_int_equal(info.mem_size, 2ull << 20);
	assert_int_equal(info.num_workers, 1);
	open_info("mock:workers=2,clusters=64", &info);
	assert_int_equal(info.num_cores, PTO2_MAX_CORES);
	assert_int_equal(info.num_workers, 2);
	open_info("mock:mem=1048576", &info);
	assert_int_equal(info.mem_size, 1ull << 20);
	open_info("mock:mem=2048k", &info);
	assert_int_equal(info.mem_size, 2ull << 20);
	open_info("mock:mem=3m", &info);
	assert_int_equal(info.mem_size, 3ull << 20);
	open_info("mock:mem=2G", &info);
	assert_int_equal(info.mem_size, 2ull << 30);
	open_info("mock:mem=1048577", &info);	/* odd sizes are fine */
	assert_int_equal(info.mem_size, 1048577);
	/* faults: several allowed, in any order with the other keys */
	open_info("mock:fault=hang@core3,clusters=2,fault=fail@kernel2:after=100,"
		  "fault=slow@core0:us=300", &info);
	assert_int_equal(info.num_clusters, 2);
	open_info("mock:fault=fail@core5:after=0:count=0:status=4095", &info);
	open_info("mock:fault=slow@kernel1023:count=3:us=10000000", &info);
	/* a worker per core at most */
	open_info("mock:clusters=1,workers=8", &info);
	assert_int_equal(info.num_workers, 3);
}

struct bad_spec {
	const char *spec;
	const char *msg;	/* what the message must name */
};

static const struct bad_spec bad_specs[] = {
	{ "", "empty" },
	{ "mok", "'mok'" },
	{ "MOCK", "'MOCK'" },
	{ "mockx", "'mockx'" },
	{ "mock;clusters=2", "'mock;clusters=2'" },
	{ "dev/pto2", "'dev/pto2'" },
	{ "mock:", "empty option" },
	{ "mock:,", "empty option" },
	{ "mock:clusters=2,", "empty option" },
	{ "mock:clusters=2,,mem=2M", "empty option" },
	{ "mock:clusters", "'clusters' is not key=value" },
	{ "mock:=3", "unknown mock option ''" },
	{ "mock:clusters=", "clusters=''" },
	{ "mock:clusters=0", "clusters='0' is not 1..64" },
	{ "mock:clusters=65", "clusters='65'" },
	{ "mock:clusters=-1", "clusters='-1'" },
	{ "mock:clusters=+2", "clusters='+2'" },
	{ "mock:clusters= 2", "clusters=' 2'" },
	{ "mock:clusters=2x", "clusters='2x'" },
	{ "mock:clusters=0x10", "clusters='0x10'" },
	{ "mock:clusters=2K", "clusters='2K'" },
	{ "mock:clusters=4294967297", "clusters='4294967297'" },
	{ "mock:clusters=99999999999999999999999", "clusters='99999999999999999999999'" },
	{ "mock:clusters=2=3", "clusters='2=3'" },
	{ "mock:mem=0", "mem='0'" },
	{ "mock:mem=1K", "mem='1K'" },
	{ "mock:mem=1048575", "mem='1048575'" },
	{ "mock:mem=65G", "mem='65G'" },
	{ "mock:mem=1T", "mem='1T'" },
	{ "mock:mem=G", "mem='G'" },
	{ "mock:mem=1.5G", "mem='1.5G'" },
	{ "mock:mem=18446744073709551615G", "mem='18446744073709551615G'" },
	{ "mock:mem=1MB", "mem='1MB'" },
	{ "mock:workers=0", "workers='0' is not 1..64" },
	{ "mock:workers=65", "workers='65'" },
	{ "mock:workers=", "workers=''" },
	{ "mock:foo=1", "unknown mock option 'foo'" },
	{ "mock:Clusters=2", "unknown mock option 'Clusters'" },
	{ "mock:clusters=2,clusters=3", "'clusters' given twice" },
	{ "mock:mem=2M,workers=1,mem=4M", "'mem' given twice" },
	{ "mock:fault=", "fault '' has no target" },
	{ "mock:fault=hang", "fault 'hang' has no target" },
	{ "mock:fault=@core1", "fault kind '' is not hang, fail or slow" },
	{ "mock:fault=Hang@core1", "fault kind 'Hang'" },
	{ "mock:fault=hang@", "fault target '' is not coreN or kernelN" },
	{ "mock:fault=hang@core", "fault target 'core' is not coreN" },
	{ "mock:fault=hang@core-1", "fault target 'core-1'" },
	{ "mock:fault=hang@core1x", "fault target 'core1x'" },
	{ "mock:fault=hang@kernel", "fault target 'kernel'" },
	{ "mock:fault=hang@kernel1024", "'kernel1024': kernel ids are 0..1023" },
	{ "mock:fault=hang@core192", "'core192': no such core" },
	{ "mock:clusters=2,fault=hang@core6", "fault on core 6: the device has cores 0..5" },
	{ "mock:fault=hang@core6,clusters=2", "fault on core 6: the device has cores 0..5" },
	{ "mock:fault=hang@core1:", "fault parameter '' is not key=value" },
	{ "mock:fault=hang@core1:after", "fault parameter 'after' is not key=value" },
	{ "mock:fault=hang@core1:after=", "fault after=''" },
	{ "mock:fault=hang@core1:after=4294967296", "fault after='4294967296'" },
	{ "mock:fault=hang@core1:count=x", "fault count='x'" },
	{ "mock:fault=hang@core1:after=1:after=1", "fault parameter 'after' given twice" },
	{ "mock:fault=hang@core1:us=5", "unknown parameter 'us' for a hang fault (known: after, count)" },
	{ "mock:fault=hang@core1:status=5", "unknown parameter 'status' for a hang fault" },
	{ "mock:fault=slow@core1:status=5", "unknown parameter 'status' for a slow fault (known: after, count, us)" },
	{ "mock:fault=fail@core1:us=5", "unknown parameter 'us' for a fail fault (known: after, count, status)" },
	{ "mock:fault=slow@core1", "fault 'slow@core1' needs us=MICROSECONDS" },
	{ "mock:fault=slow@core1:after=2", "needs us=MICROSECONDS" },
	{ "mock:fault=slow@core1:us=0", "fault us='0' is not 1..10000000" },
	{ "mock:fault=slow@core1:us=10000001", "fault us='10000001'" },
	{ "mock:fault=fail@core1:status=0", "fault status='0' is not 1..4095" },
	{ "mock:fault=fail@core1:status=4096", "fault status='4096'" },
	{ "mock:fault=fail@core1:status=-5", "fault status='-5'" },
};

static void test_bad_specs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_specs) / sizeof(bad_specs[0]); i++) {
		struct pto_device *dev = (struct pto_device *)1;
		int rc = pto_device_open(bad_specs[i].spec, &dev);

		if (rc != -EINVAL)
			fail_msg("spec '%s': got %d, want -EINVAL", bad_specs[i].spec, rc);
		if (dev != NULL)
			fail_msg("spec '%s': *out not cleared", bad_specs[i].spec);
		if (!strstr(pto_last_error(), bad_specs[i].msg))
			fail_msg("spec '%s': message '%s' does not name '%s'", bad_specs[i].spec,
				 pto_last_error(), bad_specs[i].msg);
	}
}

static void test_long_spec(void **state)
{
	char spec[300];
	struct pto_device *dev;

	(void)state;
	memset(spec, 'x', sizeof(spec) - 1);
	spec[sizeof(spec) - 1] = '\0';
	memcpy(spec, "mock:", 5);
	assert_int_equal(pto_device_open(spec, &dev), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "longer than 127"));
}

static void test_device_path(void **state)
{
	struct pto_device *dev = (struct pto_device *)1;
	int rc = pto_device_open("/nonexistent/pto2", &dev);

	(void)state;
	assert_null(dev);
	/* the kernel-module backend is always built; open(2) of the node fails */
	assert_int_equal(rc, -ENOENT);
	assert_non_null(strstr(pto_last_error(), "/nonexistent/pto2"));
}

static void test_null_args(void **state)
{
	struct pto_device_info info;
	struct pto_device *dev;

	(void)state;
	assert_int_equal(pto_device_open("mock", NULL), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "out is NULL"));
	pto_device_close(NULL);	/* no-op */
	assert_int_equal(pto_device_get_info(NULL, &info), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "dev is NULL"));
	assert_int_equal(pto_device_open("mock:clusters=1", &dev), 0);
	assert_int_equal(pto_device_get_info(dev, NULL), -EINVAL);
	assert_non_null(strstr(pto_last_error(), "info is NULL"));
	pto_device_close(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_env_spec),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_bad_specs),
		cmocka_unit_test(test_long_spec),
		cmocka_unit_test(test_device_path),
		cmocka_unit_test(test_null_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
