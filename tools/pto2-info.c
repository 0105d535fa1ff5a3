// SPDX-License-Identifier: MIT
/*
 * pto2-info - describe a pto2 device: platform, clusters, cores by type,
 * memory, ABI version, emulation workers and the CPUs it recommends for
 * scheduler threads.
 *
 *	pto2-info [--device SPEC | --list] [--help] [--version]
 *
 * --list shows every device pto_device_list() counts (the nodes present,
 * then the mock), one line each, opening each to describe it.
 *
 * Exit status (tools/cli/cli.h): 0; 2 with a one-line error for bad
 * arguments or a device spec or node that is wrong; 1 when the device
 * exists but cannot be opened (permission, busy, a failing ioctl).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pto/device.h"
#include "tools/cli/cli.h"

static const char *platform_name(uint32_t p)
{
	switch (p) {
	case PTO2_PLATFORM_HW:		return "hw";
	case PTO2_PLATFORM_SOFT:	return "soft (kernel module, emulated cores)";
	case PTO2_PLATFORM_MOCK:	return "mock (user space)";
	}
	return "unknown";
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: pto2-info [--device SPEC | --list]\n"
		"Describe a pto2 device, or list them all.\n"
		"  --device SPEC  'mock[:clusters=N,mem=SIZE,workers=N,name=NAME|index=N]' or a\n"
		"                 device node such as /dev/pto2 (default: $PTO_DEVICE, else\n"
		"                 'mock'); also --device=SPEC\n"
		"  --list         every device of this host, one line each: the nodes\n"
		"                 /dev/pto2 and /dev/pto2-N present, then the mock device\n"
		"  --help         this text\n"
		"  --version      the version of pto2\n"
		"exit status: 0; 1 the device exists but cannot be opened (permission, busy,\n"
		"a failing ioctl; --list: any listed one); 2 bad usage, or a device spec or\n"
		"node that is wrong\n");
}

/* "0-3,6" style list of @n ascending CPU numbers. */
static void print_cpus(const uint16_t *cpus, uint32_t n)
{
	uint32_t i = 0;

	if (n == 0) {
		printf("none");
		return;
	}
	while (i < n) {
		uint32_t j = i;

		while (j + 1 < n && cpus[j + 1] == cpus[j] + 1)
			j++;
		printf("%s%u", i ? "," : "", cpus[i]);
		if (j > i)
			printf("-%u", cpus[j]);
		i = j + 1;
	}
}

/* --list: one line per device; exit 1 when one of them cannot be opened. */
static int list_devices(void)
{
	struct pto_device_entry *e;
	int n, rc, status = CLI_EXIT_OK;

	n = pto_device_count();
	if (n < 0) {
		cli_error("%s", pto_last_error());
		return CLI_EXIT_FAIL;
	}
	e = calloc((size_t)n, sizeof(*e));
	if (!e) {
		cli_error("out of memory");
		return CLI_EXIT_FAIL;
	}
	/* a node may appear between the two calls: list what fits */
	rc = pto_device_list(e, (uint32_t)n);
	if (rc < 0) {
		cli_error("%s", pto_last_error());
		free(e);
		return CLI_EXIT_FAIL;
	}
	if (rc < n)
		n = rc;
	for (int i = 0; i < n; i++) {
		struct pto_device_info info;
		struct pto_device *dev;

		printf("%d  %-10s %-14s ", i, e[i].name, e[i].spec);
		rc = pto_device_open(e[i].spec, &dev);
		if (rc) {
			printf("cannot open: %s\n", pto_last_error());
			status = CLI_EXIT_FAIL;
			continue;
		}
		pto_device_get_info(dev, &info);
		printf("%s, %u clusters, %llu MiB%s\n", platform_name(info.platform),
		       info.num_clusters, (unsigned long long)(info.mem_size >> 20),
		       info.platform == PTO2_PLATFORM_MOCK ?
		       " (created on demand: name= or index= tells several apart)" : "");
		pto_device_close(dev);
	}
	free(e);
	return status;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "list", no_argument, NULL, 'l' },
		CLI_OPTIONS_COMMON,
		{ NULL, 0, NULL, 0 },
	};
	const char *spec = NULL;
	struct pto_device_info info;
	struct pto_device *dev;
	int rc, ch, list = 0;

	cli_init("pto2-info", usage);
	while ((ch = cli_next(argc, argv, ":d:h", longopts)) != -1) {
		if (ch == 'd')
			spec = optarg;
		else if (ch == 'l')
			list = 1;
	}
	if (optind < argc)
		cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (list && spec)
		cli_usage_error("--list and --device exclude each other");
	if (list)
		return list_devices();

	rc = pto_device_open(spec, &dev);
	if (rc) {
		cli_error("%s", pto_last_error());
		return cli_device_status(rc);
	}
	pto_device_get_info(dev, &info);
	printf("device:       %s\n", info.spec);
	printf("name:         %s\n", info.name);
	printf("platform:     %s\n", platform_name(info.platform));
	printf("abi version:  %u\n", info.abi_version);
	printf("clusters:     %u (1 AIC + %u AIV each)\n", info.num_clusters,
	       PTO2_AIV_PER_CLUSTER);
	printf("cores:        %u: %u AIC (ids 0-%u), %u AIV (ids %u-%u)\n", info.num_cores,
	       info.num_aic, info.num_aic - 1, info.num_aiv, info.num_aic,
	       info.num_cores - 1);
	printf("memory:       %llu bytes (%llu MiB)\n", (unsigned long long)info.mem_size,
	       (unsigned long long)(info.mem_size >> 20));
	if (info.num_workers)
		printf("workers:      %u threads emulate the cores\n", info.num_workers);
	else
		printf("workers:      none (hardware cores)\n");
	printf("cpus:         ");
	print_cpus(info.cpus, info.num_cpus);
	printf(" (recommended for scheduler threads)\n");
	pto_device_close(dev);
	return 0;
}
