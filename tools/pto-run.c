// SPDX-License-Identifier: MIT
/*
 * pto-run - run an example on a device, check it against its golden, time it.
 *
 *	pto-run EXAMPLE [--case NAME] [--device SPEC] [--rounds N] [--trace FILE]
 *		[--set KEY=VALUE]... [--deps auto|explicit] [--core-timeout MS]
 *		[--stall-timeout MS] [--verbose]
 *	pto-run --list | --help | --version
 *
 * Exit status (tools/cli/cli.h): 0 the golden matched, 1 the run or the
 * golden failed (or the trace could not be written after it), 2 bad input
 * (usage, unknown example or case, bad parameter or PA_SEQ_LEN, a device
 * spec or node that is wrong, a --trace path that cannot be created).
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "examples/example.h"
#include "pto/pto.h"
#include "tools/cli/cli.h"
#include "tools/parse_num.h"

#define EXIT_BAD_INPUT	CLI_EXIT_USAGE
#define MAX_ROUNDS	100000
#define MAX_SETS	EX_MAX_PARAMS
#define STR_(x)		#x
#define STR(x)		STR_(x)

static const char *prog = "pto-run";

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s EXAMPLE [options]\n"
		"  or:  %s --list\n"
		"Run an example and check it against its golden; --list shows the examples,\n"
		"their cases and parameters.\n"
		"\n"
		"options:\n"
		"  --case NAME        case to run (default: the example's first case)\n"
		"  --device SPEC      mock, mock:clusters=4,mem=2G, /dev/pto2 (default $PTO_DEVICE or mock)\n"
		"                     faults on the mock device: fault=KIND@TARGET[:KEY=N]... (repeatable)\n"
		"                       hang@coreN|kernelN[:after=N][:count=N]  ACK, never finish\n"
		"                       fail@coreN|kernelN[:after=N][:count=N][:status=1..4095]\n"
		"                       slow@coreN|kernelN:us=1..10000000[:after=N][:count=N]\n"
		"                     after: matching dispatches let through first; count: how many\n"
		"                     then fault (0 = all; default 1 for hang/fail, all for slow), e.g.\n"
		"                     mock:clusters=2,fault=hang@core3,fault=fail@kernel2:after=100\n"
		"  --core-timeout MS  a dispatch not finished in MS ms fails the run (default 10000)\n"
		"  --stall-timeout MS backstop for waits without progress (default 5000)\n"
		"  --rounds N         run N times (1..%d); prints median and trimmed mean\n"
		"                     (the mean without the lowest and highest 10%%; with\n"
		"                     fewer than 10 rounds, the mean of all, and says so)\n"
		"  --trace FILE       write the last round's trace as Chrome/Perfetto JSON\n"
		"                     (FILE is checked before the run; opens in ui.perfetto.dev)\n"
		"  --set KEY=VALUE    override one case parameter (repeatable)\n"
		"  --deps MODE        auto (default): dependencies from tensor overlap and explicit\n"
		"                     edges; explicit: only explicit edges and creators (an example\n"
		"                     not written for it is refused; --list shows each one's modes)\n"
		"  --verbose          let the runtime print its thread layout\n"
		"  --help             this text\n"
		"  --version          the version of pto2\n"
		"Options take their value as --opt VALUE or --opt=VALUE.  A round that runs\n"
		"longer than a second shows its progress on stderr.\n"
		"environment: PA_SEQ_LEN=33,64,17,128 sets per-sequence context lengths of the\n"
		"paged_attention examples (and the batch size to the number of lengths).\n"
		"exit status: 0 pass; 1 the run or the golden failed; 2 bad usage or input\n"
		"(options, example, case, parameters, device spec or node, --trace path)\n",
		prog, prog, MAX_ROUNDS);
}

static void list_examples(void)
{
	for (const struct ex_example *const *e = ex_examples; *e; e++) {
		printf("%s - %s\n", (*e)->name, (*e)->description);
		printf("  --deps %s\n", ex_supports_deps(*e, PTO_DEPS_EXPLICIT) ?
		       "auto or explicit" : "auto only (relies on overlap tracking)");
		printf("  tolerance |got - want| <= %g + %g * |want|; parameters: %s%s%s\n",
		       (*e)->atol, (*e)->rtol, (*e)->keys, (*e)->env ? "; environment: " : "",
		       (*e)->env ? (*e)->env : "");
		for (uint32_t i = 0; i < (*e)->num_cases; i++) {
			const struct ex_case *c = &(*e)->cases[i];

			printf("  %-12s %-6s %s  (%s)\n", c->name,
			       c->flags & EX_CASE_SMALL ? "small" : "large", c->params, c->note);
		}
	}
}

/* --- progress line for long rounds ------------------------------------------ */

struct progress {
	pthread_t thread;
	pthread_mutex_t lock;	/* protects done */
	pthread_cond_t cond;
	int done;
	uint32_t round, rounds;
	int tty;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Wakes once a second; after the first second of a round, says it is still running. */
static void *progress_main(void *arg)
{
	struct progress *p = arg;
	double t0 = now_s();
	int printed = 0;

	pthread_mutex_lock(&p->lock);
	while (!p->done) {
		struct timespec dl;
		double el;

		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += 1;
		pthread_cond_timedwait(&p->cond, &p->lock, &dl);
		el = now_s() - t0;
		if (p->done || el < 1.0)
			continue;
		/* a terminal gets one updating line; a log one line per 5 s */
		if (p->tty) {
			fprintf(stderr, "\r%s: round %u/%u running, %.0f s", prog, p->round, p->rounds,
				el);
			printed = 1;
		} else if ((int)el % 5 == 1 || !printed) {
			fprintf(stderr, "%s: round %u/%u running, %.0f s\n", prog, p->round,
				p->rounds, el);
			printed = 1;
		}
	}
	pthread_mutex_unlock(&p->lock);
	if (printed && p->tty)
		fprintf(stderr, "\n");
	return NULL;
}

static int progress_start(struct progress *p, uint32_t round, uint32_t rounds)
{
	p->done = 0;
	p->round = round;
	p->rounds = rounds;
	p->tty = isatty(STDERR_FILENO);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	return pthread_create(&p->thread, NULL, progress_main, p);
}

static void progress_stop(struct progress *p)
{
	pthread_mutex_lock(&p->lock);
	p->done = 1;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
}

/* --- statistics over rounds -------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Median and the mean without the lowest and highest 10% of @n values (sorts @v). */
static void summarize(uint64_t *v, uint32_t n, double *median, double *trimmed)
{
	uint32_t k = n / 10;
	double sum = 0;

	qsort(v, n, sizeof(*v), cmp_u64);
	*median = n % 2 ? (double)v[n / 2] : ((double)v[n / 2 - 1] + v[n / 2]) / 2;
	for (uint32_t i = k; i < n - k; i++)
		sum += (double)v[i];
	*trimmed = sum / (n - 2 * k);
}

/* --- main ---------------------------------------------------------------------- */

struct opts {
	const char *example, *case_name, *device, *trace;
	uint32_t rounds;
	uint32_t dep_mode;	/* enum pto_dep_mode */
	uint32_t core_timeout_ms, stall_timeout_ms;	/* 0: the runtime's default */
	int verbose, list;
	uint32_t num_sets;
	const char *sets[MAX_SETS];
};

/* Returns -1 to go on, else the exit status. */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "case", required_argument, NULL, 'c' },
		{ "device", required_argument, NULL, 'd' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "trace", required_argument, NULL, 't' },
		{ "set", required_argument, NULL, 's' },
		{ "deps", required_argument, NULL, 'D' },
		{ "core-timeout", required_argument, NULL, 'C' },
		{ "stall-timeout", required_argument, NULL, 'S' },
		{ "list", no_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		CLI_OPTIONS_COMMON,
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->rounds = 1;
	while ((ch = cli_next(argc, argv, ":c:d:r:t:s:D:C:S:lvh", longopts)) != -1) {
		switch (ch) {
		case 'c':
			o->case_name = optarg;
			break;
		case 'd':
			o->device = optarg;
			break;
		case 'r': {
			uint64_t v;

			if (pto_parse_u64(optarg, 1, MAX_ROUNDS, &v))
				cli_usage_error("--rounds \"%s\": expected an integer in 1..100000",
						 optarg);
			o->rounds = (uint32_t)v;
			break;
		}
		case 't':
			o->trace = optarg;
			break;
		case 'C':
		case 'S': {
			uint64_t v;

			if (pto_parse_u64(optarg, 1, 3600000, &v))
				cli_usage_error(ch == 'C' ? "--core-timeout \"%s\": expected "
						 "milliseconds in 1..3600000" : "--stall-timeout "
						 "\"%s\": expected milliseconds in 1..3600000", optarg);
			if (ch == 'C')
				o->core_timeout_ms = (uint32_t)v;
			else
				o->stall_timeout_ms = (uint32_t)v;
			break;
		}
		case 's':
			if (o->num_sets == MAX_SETS)	/* the limit from the macro, not a copy */
				cli_usage_error("too many --set options (at most %s)",
						 STR(MAX_SETS));
			o->sets[o->num_sets++] = optarg;
			break;
		case 'D':
			if (!strcmp(optarg, "auto"))
				o->dep_mode = PTO_DEPS_AUTO;
			else if (!strcmp(optarg, "explicit"))
				o->dep_mode = PTO_DEPS_EXPLICIT;
			else
				cli_usage_error("--deps \"%s\": expected auto or explicit", optarg);
			break;
		case 'l':
			o->list = 1;
			break;
		case 'v':
			o->verbose = 1;
			break;
		}
	}
	/* after the loop, so "--list extra" is refused like any stray operand */
	if (o->list) {
		if (optind < argc)
			cli_usage_error("unexpected argument '%s'", argv[optind]);
		list_examples();
		return 0;
	}
	if (optind >= argc)
		cli_usage_error("no example given");
	if (optind + 1 < argc)
		cli_usage_error("unexpected argument '%s'", argv[optind + 1]);
	o->example = argv[optind];
	return -1;
}

/* Run the rounds; prints a row per round and the summary.  Returns 0 or a status. */
static int run_rounds(struct pto_runtime *rt, struct ex_run *run, const struct opts *o)
{
	uint64_t *el = calloc(o->rounds, sizeof(*el)), *orch = calloc(o->rounds, sizeof(*orch));
	uint64_t *sched = calloc(o->rounds, sizeof(*sched));
	struct pto_run_stats s;
	/* the rows on stdout show the rounds; a terminal not showing them gets a counter */
	int counter = o->rounds > 1 && cli_stderr_tty() && !isatty(STDOUT_FILENO);
	int rc = 0;

	if (!el || !orch || !sched) {
		rc = -ENOMEM;
		fprintf(stderr, "%s: out of memory\n", prog);
		goto out;
	}
	for (uint32_t r = 0; r < o->rounds; r++) {
		struct progress prog_line;
		int have_progress;

		if (r > 0 && run->ex->reset && (rc = run->ex->reset(run))) {
			fprintf(stderr, "%s: reset before round %u: %s\n", prog, r + 1, run->err);
			goto out;
		}
		if (counter)
			cli_progress(0, "round %u/%u", r + 1, o->rounds);
		have_progress = progress_start(&prog_line, r + 1, o->rounds) == 0;
		rc = pto_run(rt, run->ex->orch, run->state);
		if (have_progress)
			progress_stop(&prog_line);
		if (rc) {
			fprintf(stderr, "%s: round %u failed: %s: %s\n", prog, r + 1,
				pto_strerror(rc), pto_last_error());
			goto out;
		}
		pto_run_stats(rt, &s);
		el[r] = s.elapsed_ns;
		orch[r] = s.orch_ns;
		sched[r] = s.sched_ns;
		printf("round %3u: elapsed %10.3f ms  orch %10.3f ms  sched %10.3f ms  "
		       "tasks %llu (%.2f us/task), dispatches %llu", r + 1, s.elapsed_ns / 1e6,
		       s.orch_ns / 1e6, s.sched_ns / 1e6, (unsigned long long)s.tasks,
		       s.tasks ? s.elapsed_ns / 1e3 / s.tasks : 0.0,
		       (unsigned long long)s.dispatches);
		if (s.trace_dropped)
			printf(", %llu trace records dropped",
			       (unsigned long long)s.trace_dropped);
		printf("\n");
	}
	cli_progress_done();
	if (o->rounds > 1) {
		double m[3], t[3];

		summarize(el, o->rounds, &m[0], &t[0]);
		summarize(orch, o->rounds, &m[1], &t[1]);
		summarize(sched, o->rounds, &m[2], &t[2]);
		printf("median   : elapsed %10.3f ms  orch %10.3f ms  sched %10.3f ms\n",
		       m[0] / 1e6, m[1] / 1e6, m[2] / 1e6);
		printf("trimmed  : elapsed %10.3f ms  orch %10.3f ms  sched %10.3f ms", t[0] / 1e6,
		       t[1] / 1e6, t[2] / 1e6);
		if (o->rounds / 10)
			printf("  (mean without the lowest and highest %u)\n", o->rounds / 10);
		else
			printf("  (mean of all rounds: fewer than 10)\n");
	}
out:
	free(el);
	free(orch);
	free(sched);
	return rc;
}

int main(int argc, char **argv)
{
	const struct ex_example *ex;
	const struct ex_case *c;
	struct pto_runtime_config cfg;
	struct pto_runtime *rt = NULL;
	struct pto_device *dev = NULL;
	struct pto_device_info info;
	struct ex_result res;
	struct ex_run run;
	struct opts o;
	int rc, status = 1;

	cli_init(prog, usage);
	rc = parse_opts(argc, argv, &o);
	if (rc >= 0)
		return rc;
	ex = ex_find(o.example);
	if (!ex)
		cli_usage_error("unknown example \"%s\"", o.example);
	if (!ex_supports_deps(ex, o.dep_mode)) {
		fprintf(stderr, "%s: %s cannot run with --deps explicit: it relies on overlap "
			"tracking for some dependencies, which explicit mode does not do (use "
			"--deps auto, or an example --list shows with explicit)\n", prog, ex->name);
		return EXIT_BAD_INPUT;
	}
	c = o.case_name ? ex_find_case(ex, o.case_name) : &ex->cases[0];
	if (!c) {
		fprintf(stderr, "%s: %s has no case \"%s\" (pto-run --list shows them)\n", prog,
			ex->name, o.case_name);
		return EXIT_BAD_INPUT;
	}

	/* a trace that cannot be written is bad input, found before the run */
	if (o.trace)
		cli_check_writable("--trace", o.trace);
	rc = pto_device_open(o.device, &dev);
	if (rc) {
		fprintf(stderr, "%s: device %s: %s\n", prog, o.device ? o.device : "(default)",
			pto_last_error());
		return cli_device_status(rc);
	}
	pto_device_get_info(dev, &info);

	rc = ex_prepare(&run, ex, c, dev, o.sets, o.num_sets);
	if (rc) {
		fprintf(stderr, "%s: %s/%s: %s\n", prog, ex->name, c->name, run.err);
		status = rc == -EINVAL ? EXIT_BAD_INPUT : 1;
		goto out_run;
	}

	if ((rc = pto_runtime_config_init(&cfg))) {
		fprintf(stderr, "%s: %s\n", prog, pto_last_error());
		status = EXIT_BAD_INPUT;
		goto out_run;
	}
	if (o.trace)
		cfg.flags |= PTO_RT_TRACE;
	cfg.dep_mode = o.dep_mode;
	if (o.core_timeout_ms)
		cfg.core_timeout_ms = o.core_timeout_ms;
	if (o.stall_timeout_ms)
		cfg.stall_timeout_ms = o.stall_timeout_ms;
	if (o.verbose)
		cfg.flags |= PTO_RT_VERBOSE;
	if ((rc = pto_runtime_create(dev, &cfg, &rt)) || (rc = ex_register_kernels(rt))) {
		fprintf(stderr, "%s: runtime: %s: %s\n", prog, pto_strerror(rc), pto_last_error());
		status = rc == -EINVAL ? EXIT_BAD_INPUT : 1;
		goto out_rt;
	}

	printf("%s/%s on %s (%u clusters): ", ex->name, c->name, info.spec, info.num_clusters);
	for (uint32_t i = 0; i < run.params.n; i++)
		printf("%s%s=%s", i ? " " : "", run.params.key[i], run.params.val[i]);
	if (ex->env && getenv(ex->env) && *getenv(ex->env))
		printf(" %s=%s (overrides)", ex->env, getenv(ex->env));
	printf("\n");
	fflush(stdout);

	if (run_rounds(rt, &run, &o))
		goto out_rt;

	if ((rc = ex->check(&run, &res))) {
		fprintf(stderr, "%s: check: %s\n", prog, run.err);
		goto out_rt;
	}
	printf("%s %s/%s: max error %.3g (max |golden| %.3g), %llu of %llu values outside "
	       "%g + %g * |golden|\n", res.pass ? "PASS" : "FAIL", ex->name, c->name, res.max_err,
	       res.max_ref, (unsigned long long)res.bad, (unsigned long long)res.checked,
	       ex->atol, ex->rtol);
	status = res.pass ? 0 : 1;
	/* after the verdict, so a late failure (disk full) still reports PASS/FAIL */
	fflush(stdout);
	if (o.trace && (rc = pto_trace_write(rt, o.trace))) {
		fprintf(stderr, "%s: --trace %s: %s: %s\n", prog, o.trace, pto_strerror(rc),
			pto_last_error());
		status = 1;
	} else if (o.trace) {
		printf("trace written to %s\n", o.trace);
	}
out_rt:
	pto_runtime_destroy(rt);
out_run:
	ex_finish(&run);
	pto_device_close(dev);
	return status;
}
