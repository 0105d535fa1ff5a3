// SPDX-License-Identifier: MIT
/*
 * pto-mpi-run - the distributed layer's checks and measurements, one
 * process per rank under mpirun (docs/scale-out.md, "Launching").
 *
 *	mpirun -np 2 ... pto-mpi-run MODE [--device SPEC] [--fault-rank R
 *		--fault FAULT] [--seed S] [--case NAME] [--rounds R]
 *
 * Modes:
 *	golden	examples/multi_bgemm split by output tiles over the ranks
 *		(A and B owned by rank 0, C part r by rank r), gathered to rank
 *		0 and checked against the golden
 *	dag	a random DAG of programs over buffers with random owners,
 *		owner computes with transfers, against sequential execution
 *	bad	bad input refused with the documented errors
 *	bench	the example on 1 rank vs all ranks, and the transfer cost per
 *		message and per byte, as ratios
 * --fault-rank R --fault F appends ",fault=F" to rank R's device spec.
 *
 * Exit status, the same on every rank: 0 PASS; 1 failed (every rank
 * prints the named error); 2 bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <mpi.h>

#include "examples/multi_bgemm/multi_bgemm.h"
#include "pto/pto.h"
#include "pto/pto_mpi.h"
#include "tools/cli/cli.h"

#define K_MIX		11
#define DAG_N		512

static int rank, nranks;

static void usage(FILE *f)
{
	fprintf(f, "Usage: pto-mpi-run MODE [options]\n"
		"The distributed layer (libpto-mpi) checked and measured, one process per rank:\n"
		"run it under mpirun, e.g. mpirun -np 2 pto-mpi-run golden.\n"
		"Modes:\n"
		"  golden         examples/multi_bgemm split by output tiles over the ranks,\n"
		"                 gathered to rank 0 and checked against the golden\n"
		"  dag            a random DAG of owner-computes programs with transfers,\n"
		"                 against sequential execution\n"
		"  bad            bad input refused with the documented errors\n"
		"  bench          the example on 1 rank vs all (at least 2), and the cost\n"
		"                 of a transfer per message and per byte\n"
		"Options:\n"
		"  --device SPEC  every rank's device (default 'mock:clusters=2,workers=1')\n"
		"  --fault-rank R --fault F\n"
		"                 append ',fault=F' to rank R's device spec (a mock fault\n"
		"                 knob: every rank must end with the named error)\n"
		"  --seed S       the dag mode's random seed (default 1)\n"
		"  --case NAME    golden and bench: Small (default) or Bgemm64\n"
		"  --rounds R     bench: runs per measurement, 1..1000 (default 3)\n"
		"  --help, --version\n"
		"exit status, the same on every rank: 0 PASS; 1 failed (every rank names the\n"
		"error); 2 bad usage\n");
}

/* Every exit tools/cli makes (usage errors, --help, --version): finalize first. */
static void __attribute__((noreturn)) leave(int status)
{
	MPI_Finalize();
	exit(status);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* out = out * 3 + sum_k (k + 2) * in_k + c (int32, wrapping): tensors out, in_0.. */
static int k_mix(const struct pto_kernel_ctx *ctx)
{
	uint32_t *o = pto_kernel_data(ctx, 0), nt = pto_kernel_num_tensors(ctx);
	uint32_t c = (uint32_t)pto_kernel_scalar(ctx, 0);

	for (uint32_t i = 0; i < DAG_N; i++) {
		uint32_t v = o[i] * 3 + c;

		for (uint32_t k = 1; k < nt; k++)
			v += (k + 1) * ((const uint32_t *)pto_kernel_data(ctx, k))[i];
		o[i] = v;
	}
	return 0;
}

struct mix_arg {
	uint32_t c;
};

/* uses[0] = out (INOUT), the rest inputs */
static int prog_mix(struct pto_runtime *rt, const struct pto_prog *p)
{
	const struct mix_arg *a = p->arg;
	uint32_t shape[1] = { DAG_N };
	struct pto_tensor t[PTO_PROG_MAX_USES];
	struct pto_args args;

	pto_args_init(&args);
	for (uint32_t i = 0; i < p->num_uses; i++) {
		pto_tensor_external(&t[i], p->addr[i], PTO2_DTYPE_I32, 1, shape);
		if (i == 0)
			pto_arg_inout(&args, &t[i]);
		else
			pto_arg_input(&args, &t[i]);
	}
	pto_arg_scalar(&args, a->c);
	return pto_submit_aiv(rt, K_MIX, &args) < 0 ? -1 : 0;
}

static uint32_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 11);
}

/* The same verdict on every rank: 0 if all passed. */
static int agree(int fail)
{
	int any = 0;

	MPI_Allreduce(&fail, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
	return any;
}

#define NB	8
#define NP	40

static int mode_dag(struct pto_mpi *m, uint64_t seed)
{
	static uint32_t host[NB][DAG_N], ref[NB][DAG_N], got[NB][DAG_N];
	struct mix_arg args[NP];
	struct pto_mpi_stats st;
	uint32_t ids[NB];
	uint64_t s = seed * 2654435761u + 1;
	int rc, fail = 0;

	for (int b = 0; b < NB; b++) {
		int owner = (int)(rnd(&s) % (uint32_t)nranks);

		for (int i = 0; i < DAG_N; i++)
			ref[b][i] = host[b][i] = (uint32_t)(b * 1000 + i);
		rc = pto_mpi_buffer(m, host[b], sizeof(host[b]), owner, NULL, &ids[b]);
		if (rc)
			return rc;
	}
	for (int p = 0; p < NP; p++) {
		struct pto_use uses[4];
		uint32_t nin = rnd(&s) % 4, n = 1, out = rnd(&s) % NB;

		uses[0] = (struct pto_use){ ids[out], PTO_USE_INOUT };
		for (uint32_t k = 0; k < nin; k++) {
			uint32_t b = rnd(&s) % NB, dup = b == out;

			for (uint32_t j = 1; j < n; j++)
				dup |= uses[j].buf == ids[b];
			if (!dup)
				uses[n++] = (struct pto_use){ ids[b], PTO_USE_IN };
		}
		args[p].c = rnd(&s) % 100;
		/* the sequential reference, on every rank */
		for (int i = 0; i < DAG_N; i++) {
			uint32_t v = ref[out][i] * 3 + args[p].c;

			for (uint32_t k = 1; k < n; k++)
				v += (k + 1) * ref[uses[k].buf][i];
			ref[out][i] = v;
		}
		rc = pto_mpi_submit(m, prog_mix, &args[p], uses, n);
		if (rc < 0)
			break;
	}
	rc = pto_mpi_wait_all(m);
	if (rc)
		return rc;
	rc = pto_mpi_gather(m, ids, NB, 0, got);
	if (rc)
		return rc;
	pto_mpi_stats(m, &st);
	printf("rank %d: %llu programs, %llu sends (%llu bytes), %llu receives\n", rank,
	       (unsigned long long)st.programs, (unsigned long long)st.sends,
	       (unsigned long long)st.send_bytes, (unsigned long long)st.recvs);
	if (rank == 0) {
		for (int b = 0; b < NB; b++)
			for (int i = 0; i < DAG_N; i++)
				if (got[b][i] != ref[b][i]) {
					if (!fail)
						printf("FAIL dag seed %llu: buffer %d element %d = %u, "
						       "sequential %u\n", (unsigned long long)seed, b, i,
						       got[b][i], ref[b][i]);
					fail = 1;
				}
		if (!fail)
			printf("PASS dag seed %llu: %d programs over %d buffers on %d ranks match "
			       "sequential execution\n", (unsigned long long)seed, NP, NB, nranks);
	}
	{
		/* the DAG moved data between ranks at all (else the check proves little) */
		uint64_t sends = 0;

		MPI_Allreduce(&st.sends, &sends, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
		if (nranks > 1 && sends == 0) {
			if (rank == 0)
				printf("FAIL dag: no transfer happened\n");
			fail = 1;
		}
	}
	return agree(fail) ? 1 : 0;
}

/* Run multi_bgemm with part r on rank parts_on[r]; C parts gathered to rank 0 into m->c. */
static int run_bgemm(struct pto_mpi *m, struct mbg *g, int split)
{
	struct mbg_part parts[64];
	uint32_t ida, idb, idc[64];
	int rc;

	if ((rc = pto_mpi_buffer(m, g->a, g->bytes_ab, 0, "A", &ida)) ||
	    (rc = pto_mpi_buffer(m, g->b, g->bytes_ab, 0, "B", &idb)))
		return rc;
	for (int r = 0; r < nranks; r++) {
		uint64_t bytes;
		float *c;

		mbg_split(g, (uint32_t)nranks, (uint32_t)r, &parts[r]);
		c = mbg_c_part(g, &parts[r], &bytes);
		rc = pto_mpi_buffer(m, c, bytes ? bytes : 4, split ? r : 0, "C part", &idc[r]);
		if (rc)
			return rc;
	}
	for (int r = 0; r < nranks; r++) {
		struct pto_use uses[3] = { { ida, PTO_USE_IN }, { idb, PTO_USE_IN },
					   { idc[r], PTO_USE_OUT } };

		if (parts[r].g_hi == parts[r].g_lo)
			continue;
		rc = pto_mpi_submit(m, mbg_program, &parts[r], uses, 3);
		if (rc < 0)
			break;
	}
	rc = pto_mpi_wait_all(m);
	if (rc)
		return rc;
	return pto_mpi_gather(m, idc, (uint32_t)nranks, 0, g->c);
}

static const struct { const char *name; uint32_t tile, loop, grid_k, n; } cases[] = {
	{ "Small", 32, 2, 2, 16 },
	{ "Bgemm64", 64, 1, 4, 32 },
};

static int mode_golden(struct pto_mpi *m, int ci)
{
	struct mbg g;
	char msg[256];
	int rc, fail = 0;

	rc = mbg_init(&g, cases[ci].tile, cases[ci].loop, cases[ci].grid_k, cases[ci].n);
	if (rc)
		return rc;
	rc = run_bgemm(m, &g, 1);
	if (!rc && rank == 0) {
		fail = mbg_check(&g, msg, sizeof(msg));
		printf("%s multi_bgemm/%s on %d ranks: %s\n", fail ? "FAIL" : "PASS",
		       cases[ci].name, nranks, msg);
	}
	mbg_free(&g);
	if (rc)
		return rc;
	return agree(fail) ? 1 : 0;
}

/* Expect @got == @want with @msg in the message. */
static int expect(int got, int want, const char *msg, const char *what)
{
	if (got == want && strstr(pto_last_error(), msg)) {
		if (rank == 0)
			printf("ok: %s: %s\n", what, pto_last_error());
		return 0;
	}
	printf("FAIL rank %d: %s: got %d (%s), want %d with '%s'\n", rank, what, got,
	       pto_last_error(), want, msg);
	return 1;
}

static int mode_bad(struct pto_mpi *m)
{
	uint32_t id, a, b;
	char oor[64];
	int fail = 0;

	snprintf(oor, sizeof(oor), "owner rank %d is not 0..%d", nranks, nranks - 1);
	fail |= expect(pto_mpi_buffer(m, NULL, 64, PTO_MPI_NO_OWNER, "x", &id), -EINVAL,
		       "'x' has no owner", "a buffer with no owner");
	fail |= expect(pto_mpi_buffer(m, NULL, 64, nranks, "y", &id), -EINVAL, oor,
		       "an owner rank out of range");
	fail |= expect(pto_mpi_buffer(m, NULL, 64, -7, "z", &id), -EINVAL, "'z' has no owner",
		       "a negative owner");
	fail |= expect(pto_mpi_buffer(m, NULL, 0, 0, "e", &id), -EINVAL, "'e': size 0",
		       "an empty buffer");
	pto_mpi_buffer(m, NULL, 64, 0, "a", &a);
	pto_mpi_buffer(m, NULL, 64, nranks - 1, "b", &b);
	if (nranks > 1)
		fail |= expect(pto_mpi_submit(m, prog_mix, NULL,
					      (struct pto_use[]){ { a, PTO_USE_OUT },
								  { b, PTO_USE_OUT } }, 2),
			       -EINVAL, "must have one owner", "writes of two owners");
	fail |= expect(pto_mpi_submit(m, prog_mix, NULL,
				      (struct pto_use[]){ { a, PTO_USE_IN } }, 1),
		       -EINVAL, "writes no buffer", "a program writing nothing");
	fail |= expect(pto_mpi_submit(m, prog_mix, NULL,
				      (struct pto_use[]){ { 99, PTO_USE_IN } }, 1),
		       -EINVAL, "no buffer 99", "an unknown buffer");
	fail |= expect(pto_mpi_gather(m, &a, 1, nranks, NULL), -EINVAL, "root rank",
		       "a gather root out of range");
	/* nothing was submitted: the workload ends cleanly on every rank */
	fail |= expect(pto_mpi_wait_all(m), 0, "", "wait_all after refused calls");
	if (rank == 0 && !agree(fail))
		printf("PASS bad input refused with clear errors on %d ranks\n", nranks);
	else if (rank)
		agree(fail);
	return fail;
}

/* ns per round of "rank 0 writes X, rank 1 reads it" for @bytes. */
static int ping(struct pto_mpi *m, uint64_t bytes, uint32_t rounds, double *ns)
{
	static struct mix_arg arg = { 1 };
	uint32_t x, y;
	uint64_t t0;
	int rc;

	if ((rc = pto_mpi_buffer(m, NULL, bytes, 0, "X", &x)) ||
	    (rc = pto_mpi_buffer(m, NULL, 4096, 1, "Y", &y)))
		return rc;
	MPI_Barrier(MPI_COMM_WORLD);
	t0 = now_ns();
	for (uint32_t r = 0; r < rounds; r++) {
		/* a new version of X on rank 0 each round, which rank 1 must receive */
		if ((rc = pto_mpi_submit(m, prog_mix, &arg, (struct pto_use[]){ { x, PTO_USE_OUT } },
					 1)) < 0)
			return rc;
		if ((rc = pto_mpi_submit(m, prog_mix, &arg, (struct pto_use[]){ { y, PTO_USE_OUT },
					 { x, PTO_USE_IN } }, 2)) < 0)
			return rc;
	}
	rc = pto_mpi_wait_all(m);
	*ns = (double)(now_ns() - t0) / rounds;
	return rc;
}

static int mode_bench(struct pto_mpi *m, int ci, uint32_t rounds)
{
	double t[2], small, large;
	struct mbg g;
	int rc;

	rc = mbg_init(&g, cases[ci].tile, cases[ci].loop, cases[ci].grid_k, cases[ci].n);
	for (int k = 0; !rc && k < 2; k++) {
		uint64_t best = UINT64_MAX;

		for (uint32_t r = 0; !rc && r < rounds; r++) {
			uint64_t t0;

			MPI_Barrier(MPI_COMM_WORLD);
			t0 = now_ns();
			/* k = 0: every part owned (so run) by rank 0; k = 1: split */
			rc = run_bgemm(m, &g, k);
			MPI_Barrier(MPI_COMM_WORLD);
			if (now_ns() - t0 < best)
				best = now_ns() - t0;
		}
		t[k] = (double)best;
	}
	mbg_free(&g);
	if (!rc)
		rc = ping(m, 4096, rounds * 4, &small);
	if (!rc)
		rc = ping(m, 4u << 20, rounds, &large);
	if (rc)
		return rc;
	if (rank == 0) {
		double per_byte = (large - small) / (double)((4u << 20) - 4096);

		printf("bench multi_bgemm/%s: 1 rank %.0f us, %d ranks %.0f us: speed-up x%.2f "
		       "(best of %u)\n", cases[ci].name, t[0] / 1e3, nranks, t[1] / 1e3,
		       t[0] / t[1], rounds);
		printf("bench transfer rank 0 -> rank 1 (device -> host -> MPI -> host -> device): "
		       "per message %.1f us (a 4 KiB round: two programs and the transfer), per "
		       "byte %.3f ns (4 MiB vs 4 KiB); one message costs as much as %.0f bytes\n",
		       small / 1e3, per_byte, small / per_byte);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "fault-rank", required_argument, NULL, 'R' },
		{ "fault", required_argument, NULL, 'f' },
		{ "seed", required_argument, NULL, 's' },
		{ "case", required_argument, NULL, 'c' },
		{ "rounds", required_argument, NULL, 'r' },
		CLI_OPTIONS_COMMON,
		{ NULL, 0, NULL, 0 },
	};
	const char *spec = "mock:clusters=2,workers=1", *fault = NULL, *mode;
	int fault_rank = -1, ch, rc, ci = 0, status;
	uint32_t rounds = 3;
	uint64_t seed = 1, t_mode = 0;
	char devspec[256];
	struct pto_runtime_config cfg;
	struct pto_device *dev = NULL;
	struct pto_runtime *rt = NULL;
	struct pto_mpi *m = NULL;

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &nranks);
	/* rank 0 says it once; every rank exits with the same status */
	cli_init("pto-mpi-run", usage);
	cli_init_group(rank == 0, leave);
	while ((ch = cli_next(argc, argv, ":", longopts)) != -1) {
		switch (ch) {
		case 'd': spec = optarg; break;
		case 'R': fault_rank = (int)cli_parse_u64("--fault-rank", optarg, 0, (unsigned)nranks - 1); break;
		case 'f': fault = optarg; break;
		case 's': seed = cli_parse_u64("--seed", optarg, 0, UINT64_MAX); break;
		case 'r': rounds = (uint32_t)cli_parse_u64("--rounds", optarg, 1, 1000); break;
		case 'c':
			if (strcmp(optarg, "Small") && strcmp(optarg, "Bgemm64"))
				cli_usage_error("--case '%s': not Small or Bgemm64", optarg);
			ci = !strcmp(optarg, "Bgemm64");
			break;
		}
	}
	if (optind == argc)
		cli_usage_error("no mode (golden, dag, bad or bench)");
	if (optind + 1 != argc)
		cli_usage_error("unexpected argument '%s'", argv[optind + 1]);
	mode = argv[optind];
	if (strcmp(mode, "golden") && strcmp(mode, "dag") && strcmp(mode, "bad") &&
	    strcmp(mode, "bench"))
		cli_usage_error("unknown mode '%s' (golden, dag, bad or bench)", mode);
	if (!strcmp(mode, "bench") && nranks < 2)
		cli_usage_error("bench needs at least 2 ranks (mpirun -np 2)");
	if ((fault == NULL) != (fault_rank < 0))
		cli_usage_error("--fault and --fault-rank go together");
	snprintf(devspec, sizeof(devspec), "%s%s%s", spec,
		 fault && rank == fault_rank ? (strchr(spec, ':') ? ",fault=" : ":fault=") : "",
		 fault && rank == fault_rank ? fault : "");
	rc = pto_device_open(devspec, &dev);
	if (!rc)
		rc = pto_runtime_config_init(&cfg);
	if (!rc) {
		/* small per rank: ranks share the machine's CPUs (docs/scale-out.md) */
		cfg.flags |= PTO_RT_QUIET;
		if (!cfg.num_schedulers)
			cfg.num_schedulers = 1;
		rc = pto_runtime_create(dev, &cfg, &rt);
	}
	if (!rc)
		rc = mbg_register(rt);
	if (!rc)
		rc = pto_register_kernel(rt, K_MIX, PTO2_CORE_AIV, k_mix, "mix");
	if (!rc)
		rc = pto_mpi_create(MPI_COMM_WORLD, rt, dev, &m);
	if (rc) {
		fprintf(stderr, "pto-mpi-run: rank %d: %s\n", rank, pto_last_error());
		status = 1;
		agree(1);
		goto out;
	}
	if (agree(0)) {
		status = 1;
		goto out;
	}
	t_mode = now_ns();
	if (!strcmp(mode, "golden"))
		rc = mode_golden(m, ci);
	else if (!strcmp(mode, "dag"))
		rc = mode_dag(m, seed);
	else if (!strcmp(mode, "bad"))
		rc = mode_bad(m);
	else
		rc = mode_bench(m, ci, rounds);
	if (rc < 0)
		fprintf(stderr, "pto-mpi-run: rank %d: %s: %s\n", rank, pto_strerror(rc),
			pto_last_error());
	status = rc ? 1 : 0;
	{
		/* what the rank's process used while the workload ran: waits must not spin */
		struct rusage ru;

		getrusage(RUSAGE_SELF, &ru);
		printf("rank %d: process cpu %.0f ms, workload wall %.0f ms\n", rank,
		       (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
		       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3,
		       (now_ns() - t_mode) / 1e6);
	}
out:
	pto_mpi_destroy(m);
	pto_runtime_destroy(rt);
	pto_device_close(dev);
	MPI_Finalize();
	return status;
}
