// SPDX-License-Identifier: MIT
/*
 * pto-multi - run the multi-device example (examples/multi_bgemm: bgemm
 * split by output tiles) over several devices of this host with the host
 * level (pto/host.h), check the golden, and optionally measure.
 *
 *	pto-multi [--devices N] [--device SPEC]... [--case NAME] [--trace FILE]
 *		  [--bench] [--rounds R]
 *
 * One --device: device i is SPEC with ",name=devI" appended for a mock (so
 * traces tell them apart), or SPEC itself.  Several: device i is the i-th
 * (e.g. --device /dev/pto2 --device /dev/pto2-1), and their number is the
 * number of devices.  --bench reports, in one run,
 * the example's time on 1 device against N devices (a ratio) and the cost
 * of a staged device-to-device copy per message and per byte.
 *
 * Exit status (tools/cli/cli.h): 0 PASS; 1 a failed run or golden; 2 bad
 * usage or device spec.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "examples/multi_bgemm/multi_bgemm.h"
#include "pto/pto.h"
#include "pto/host.h"
#include "tools/cli/cli.h"

struct mcase {
	const char *name;
	uint32_t tile, loop, grid_k, n;
};

static const struct mcase cases[] = {
	{ "Small", 32, 2, 2, 16 },
	{ "Bgemm64", 64, 1, 4, 32 },
	{ "Case1", 128, 4, 2, 64 },
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: pto-multi [options]\n"
		"Run bgemm split by output tiles over several devices.\n"
		"  --devices N    devices, 1..16 (default 2)\n"
		"  --device SPEC  spec of every device (default 'mock:clusters=4,workers=1');\n"
		"                 a mock gets ',name=devI' appended.  Repeated: device i is\n"
		"                 the i-th SPEC (--device /dev/pto2 --device /dev/pto2-1),\n"
		"                 as many devices as SPECs\n"
		"  --case NAME    Small (default), Bgemm64 or Case1 (examples/bgemm's cases)\n"
		"  --trace FILE   one trace of every device (one process pair per device)\n"
		"  --bench        also measure: 1 device vs N, staged copy per message and byte\n"
		"  --rounds R     runs per measurement (default 5)\n"
		"  --help, --version\n"
		"exit status: 0 PASS; 1 a run or the golden failed; 2 bad usage or device spec\n");
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The --device SPECs: one for every device, or one each. */
struct spec_list {
	const char *s[PTO_GROUP_MAX_DEVICES];
	uint32_t n;
};

static int open_group(const struct spec_list *sl, uint32_t n, int trace, struct pto_group **g)
{
	char specs[PTO_GROUP_MAX_DEVICES][160];
	const char *sp[PTO_GROUP_MAX_DEVICES];
	struct pto_runtime_config cfg;
	int rc;

	for (uint32_t i = 0; i < n; i++) {
		const char *spec = sl->s[sl->n > 1 ? i : 0];

		sp[i] = spec;
		/* one spec for all: mocks get a name each, so traces tell them apart */
		if (sl->n == 1 && !strncmp(spec, "mock", 4)) {
			snprintf(specs[i], sizeof(specs[i]), "%s%sname=dev%u", spec,
				 spec[4] ? "," : ":", i);
			sp[i] = specs[i];
		}
	}
	rc = pto_runtime_config_init(&cfg);
	if (rc)
		return rc;
	cfg.flags |= PTO_RT_QUIET | (trace ? PTO_RT_TRACE : 0);
	rc = pto_group_create(sp, n, &cfg, g);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < n; i++) {
		rc = mbg_register(pto_group_runtime(*g, i));
		if (rc)
			return rc;
	}
	return 0;
}

/* Submit the example over every device of @g and run it once. */
static int run_example(struct pto_group *g, struct mbg *m, struct mbg_part *parts)
{
	uint32_t n = pto_group_size(g), ida, idb;
	int rc;

	memset(m->c, 0xff, (uint64_t)m->groups * m->loop * m->tile * m->tile * sizeof(float));
	if ((rc = pto_group_buffer(g, m->a, m->bytes_ab, "A", &ida)) ||
	    (rc = pto_group_buffer(g, m->b, m->bytes_ab, "B", &idb)))
		return rc;
	for (uint32_t i = 0; i < n; i++) {
		struct pto_use uses[3] = { { ida, PTO_USE_IN }, { idb, PTO_USE_IN }, { 0, PTO_USE_OUT } };
		uint64_t bytes;
		float *c;

		mbg_split(m, n, i, &parts[i]);
		c = mbg_c_part(m, &parts[i], &bytes);
		if (bytes == 0)
			continue;
		if ((rc = pto_group_buffer(g, c, bytes, "C part", &uses[2].buf)))
			return rc;
		rc = pto_group_submit(g, i, mbg_program, &parts[i], uses, 3);
		if (rc < 0)
			return rc;
	}
	return pto_group_run(g);
}

/* A program that does nothing on the device: the copy in front of it is the cost. */
static int nop_program(struct pto_runtime *rt, const struct pto_prog *p)
{
	(void)rt;
	(void)p;
	return 0;
}

/* ns per round of "device 0 writes X, device 1 reads it" for @bytes. */
static int copy_cost(struct pto_group *g, uint64_t bytes, uint32_t rounds, double *ns)
{
	uint32_t id;
	void *h = calloc(1, bytes);
	uint64_t t0;
	int rc;

	if (!h)
		return -ENOMEM;
	rc = pto_group_buffer(g, h, bytes, "X", &id);
	t0 = now_ns();
	for (uint32_t r = 0; !rc && r < rounds; r++) {
		struct pto_use w = { id, PTO_USE_INOUT }, rd = { id, PTO_USE_IN };

		if ((rc = pto_group_submit(g, 0, nop_program, NULL, &w, 1)) < 0 ||
		    (rc = pto_group_submit(g, 1, nop_program, NULL, &rd, 1)) < 0)
			break;
		rc = pto_group_run(g);
	}
	*ns = (double)(now_ns() - t0) / rounds;
	free(h);
	return rc < 0 ? rc : 0;
}

static int bench(const struct spec_list *spec, uint32_t ndev, const struct mcase *c, uint32_t rounds)
{
	struct mbg_part parts[PTO_GROUP_MAX_DEVICES];
	double t[2], small, large;
	struct pto_group *g;
	struct mbg m;
	int rc;

	if (ndev < 2)
		ndev = 2;
	if ((rc = mbg_init(&m, c->tile, c->loop, c->grid_k, c->n)))
		return rc;
	for (int k = 0; k < 2; k++) {
		uint32_t nd = k ? ndev : 1;
		uint64_t best = UINT64_MAX;

		rc = open_group(spec, nd, 0, &g);
		for (uint32_t r = 0; !rc && r < rounds; r++) {
			uint64_t t0 = now_ns();

			rc = run_example(g, &m, parts);
			if (!rc && now_ns() - t0 < best)
				best = now_ns() - t0;
		}
		pto_group_destroy(g);
		if (rc)
			goto out;
		t[k] = (double)best;
	}
	rc = open_group(spec, 2, 0, &g);
	if (!rc)
		rc = copy_cost(g, 4096, rounds * 4, &small);
	if (!rc)
		rc = copy_cost(g, 16u << 20, rounds, &large);
	pto_group_destroy(g);
	if (rc)
		goto out;
	printf("bench %s: 1 device %.0f us, %u devices %.0f us: speed-up x%.2f (best of %u)\n",
	       c->name, t[0] / 1e3, ndev, t[1] / 1e3, t[0] / t[1], rounds);
	printf("bench staged copy device 0 -> host -> device 1: per message %.1f us "
	       "(a 4 KiB round: two programs and the copy), per byte %.3f ns (16 MiB vs "
	       "4 KiB); one message costs as much as %.0f bytes\n",
	       small / 1e3, (large - small) / (double)((16u << 20) - 4096),
	       small / ((large - small) / (double)((16u << 20) - 4096)));
out:
	mbg_free(&m);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "devices", required_argument, NULL, 'n' },
		{ "device", required_argument, NULL, 'd' },
		{ "case", required_argument, NULL, 'c' },
		{ "trace", required_argument, NULL, 't' },
		{ "bench", no_argument, NULL, 'b' },
		{ "rounds", required_argument, NULL, 'r' },
		CLI_OPTIONS_COMMON,
		{ NULL, 0, NULL, 0 },
	};
	struct spec_list specs = { .s = { "mock:clusters=4,workers=1" }, .n = 0 };
	const char *trace = NULL;
	struct mbg_part parts[PTO_GROUP_MAX_DEVICES];
	const struct mcase *c = &cases[0];
	uint32_t ndev = 2, rounds = 5;
	struct pto_group_stats st;
	struct pto_device *probe;
	struct pto_group *g = NULL;
	int ch, rc, do_bench = 0, have_n = 0, fail;
	struct mbg m;
	char msg[256];

	cli_init("pto-multi", usage);
	while ((ch = cli_next(argc, argv, ":n:d:c:t:br:h", longopts)) != -1) {
		switch (ch) {
		case 'n':
			ndev = (uint32_t)cli_parse_u64("--devices", optarg, 1, PTO_GROUP_MAX_DEVICES);
			have_n = 1;
			break;
		case 'd':
			if (specs.n == PTO_GROUP_MAX_DEVICES)
				cli_usage_error("--device: at most %u devices", PTO_GROUP_MAX_DEVICES);
			specs.s[specs.n++] = optarg;
			break;
		case 't': trace = optarg; break;
		case 'b': do_bench = 1; break;
		case 'r': rounds = (uint32_t)cli_parse_u64("--rounds", optarg, 1, 1000); break;
		case 'c':
			c = NULL;
			for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
				if (!strcmp(optarg, cases[i].name))
					c = &cases[i];
			if (!c)
				cli_usage_error("--case '%s': not Small, Bgemm64 or Case1", optarg);
			break;
		}
	}
	if (optind < argc)
		cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (trace)
		cli_check_writable("--trace", trace);
	if (specs.n > 1) {
		if (have_n && ndev != specs.n)
			cli_usage_error("--devices %u with %u --device specs (give one spec for every "
					"device, or one each)", ndev, specs.n);
		ndev = specs.n;
	}
	if (!specs.n)
		specs.n = 1;
	/* a bad spec is bad usage (exit 2), found before any work */
	for (uint32_t i = 0; i < specs.n; i++) {
		rc = pto_device_open(specs.s[i], &probe);
		if (rc) {
			cli_error("%s", pto_last_error());
			return cli_device_status(rc);
		}
		pto_device_close(probe);
	}

	rc = mbg_init(&m, c->tile, c->loop, c->grid_k, c->n);
	if (!rc)
		rc = open_group(&specs, ndev, trace != NULL, &g);
	if (!rc)
		rc = run_example(g, &m, parts);
	if (rc) {
		cli_error("%s: %s", pto_strerror(rc), pto_last_error());
		pto_group_destroy(g);
		mbg_free(&m);
		return CLI_EXIT_FAIL;
	}
	pto_group_stats(g, &st);
	fail = mbg_check(&m, msg, sizeof(msg));
	printf("%s multi_bgemm/%s on %u devices: %s\n", fail ? "FAIL" : "PASS", c->name, ndev,
	       msg);
	printf("programs %llu, uploads %llu (%llu bytes), downloads %llu (%llu bytes), %.0f us\n",
	       (unsigned long long)st.programs, (unsigned long long)st.uploads,
	       (unsigned long long)st.upload_bytes, (unsigned long long)st.downloads,
	       (unsigned long long)st.download_bytes, st.elapsed_ns / 1e3);
	if (trace) {
		rc = pto_group_trace_write(g, trace);
		if (rc) {
			cli_error("%s", pto_last_error());
			fail = 1;
		} else {
			printf("trace written to %s\n", trace);
		}
	}
	pto_group_destroy(g);
	mbg_free(&m);
	if (!fail && do_bench) {
		rc = bench(&specs, ndev, c, rounds);
		if (rc) {
			cli_error("bench: %s: %s", pto_strerror(rc), pto_last_error());
			fail = 1;
		}
	}
	return fail ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
