// SPDX-License-Identifier: MIT
/*
 * pto2-info - describe a pto2 device: platform, clusters, cores by type,
 * memory, ABI version, emulation workers and the CPUs it recommends for
 * scheduler threads.
 *
 *	pto2-info [--device SPEC] [--help]
 *
 * Exit status: 0, or 2 with a one-line error for bad arguments or a device
 * that cannot be opened.
 */
#include <stdio.h>
#include <string.h>

#include "pto/device.h"

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
		"usage: pto2-info [--device SPEC] [--help]\n"
		"  --device SPEC  'mock[:clusters=N,mem=SIZE,workers=N]' or a device node such as\n"
		"                 /dev/pto2 (default: $PTO_DEVICE, else 'mock')\n");
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

int main(int argc, char **argv)
{
	const char *spec = NULL;
	struct pto_device_info info;
	struct pto_device *dev;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--device") && i + 1 < argc) {
			spec = argv[++i];
		} else if (!strncmp(argv[i], "--device=", 9)) {
			spec = argv[i] + 9;
		} else if (!strcmp(argv[i], "--device")) {
			fprintf(stderr, "pto2-info: --device needs a SPEC\n");
			return 2;
		} else {
			fprintf(stderr, "pto2-info: unknown argument '%s' (try --help)\n", argv[i]);
			return 2;
		}
	}

	rc = pto_device_open(spec, &dev);
	if (rc) {
		fprintf(stderr, "pto2-info: %s\n", pto_last_error());
		return 2;
	}
	pto_device_get_info(dev, &info);
	printf("device:       %s\n", info.spec);
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
