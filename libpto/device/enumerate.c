// SPDX-License-Identifier: MIT
/*
 * enumerate.c - pto_device_list(): the kernel-module nodes present plus
 * the mock device (pto/device.h says what is counted and in which order).
 *
 * Nodes follow the module's naming scheme (docs/scale-out.md): /dev/pto2
 * and /dev/pto2-N.  Only character devices count, so a stray file with
 * such a name is not a device.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "libpto/api.h"
#include "libpto/device/enumerate.h"
#include "libpto/error_impl.h"

/* "pto2" -> 0, "pto2-N" -> N + 1 (N decimal, no sign, no leading zero); else -1. */
static long long node_rank(const char *name)
{
	unsigned long long n = 0;
	const char *p;

	if (strncmp(name, "pto2", 4))
		return -1;
	if (name[4] == '\0')
		return 0;
	if (name[4] != '-' || name[5] < '0' || name[5] > '9' || (name[5] == '0' && name[6]))
		return -1;
	for (p = name + 5; *p; p++) {
		if (*p < '0' || *p > '9' || n > 1000000)
			return -1;
		n = n * 10 + (unsigned long long)(*p - '0');
	}
	return (long long)n + 1;
}

struct node {
	long long rank;
	char name[32];
};

static int cmp_node(const void *a, const void *b)
{
	const struct node *x = a, *y = b;

	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

int pto__device_scan(const char *dir, struct pto_device_entry *out, uint32_t max)
{
	struct node *nodes = NULL;
	uint32_t n = 0, cap = 0, total;
	struct dirent *de;
	DIR *d;

	if (max && !out)
		return pto__fail(-EINVAL, "pto_device_list: out is NULL for %u entries", max);
	d = opendir(dir);
	if (!d) {
		int e = errno;

		/* no /dev at all (a chroot): no nodes, the mock is still there */
		if (e != ENOENT)
			return pto__fail(-e, "pto_device_list: cannot read %s: %s", dir,
					 strerror(e));
	}
	while (d && (de = readdir(d))) {
		char path[4096];
		struct stat st;
		long long rank = node_rank(de->d_name);

		if (rank < 0 || strlen(de->d_name) >= sizeof(nodes->name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st) || !S_ISCHR(st.st_mode))
			continue;
		if (n == cap) {
			struct node *m = realloc(nodes, (cap ? cap * 2 : 8) * sizeof(*m));

			if (!m) {
				free(nodes);
				closedir(d);
				return pto__fail(-ENOMEM, "pto_device_list: out of memory");
			}
			nodes = m;
			cap = cap ? cap * 2 : 8;
		}
		nodes[n].rank = rank;
		strcpy(nodes[n].name, de->d_name);	/* length checked above */
		n++;
	}
	if (d)
		closedir(d);
	if (n)	/* qsort(NULL, 0) is undefined */
		qsort(nodes, n, sizeof(*nodes), cmp_node);
	for (uint32_t i = 0; i < n && i < max; i++) {
		snprintf(out[i].spec, sizeof(out[i].spec), "%s/%s", dir, nodes[i].name);
		snprintf(out[i].name, sizeof(out[i].name), "%s", nodes[i].name);
	}
	total = n + 1;
	if (n < max) {
		strcpy(out[n].spec, "mock");
		strcpy(out[n].name, "mock");
	}
	free(nodes);
	return (int)total;
}

PTO_API int pto_device_list(struct pto_device_entry *out, uint32_t max)
{
	return pto__device_scan("/dev", out, max);
}

PTO_API int pto_device_count(void)
{
	return pto__device_scan("/dev", NULL, 0);
}
