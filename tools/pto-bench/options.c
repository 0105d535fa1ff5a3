// SPDX-License-Identifier: MIT
/*
 * options.c - pto-bench's command line: --help, the options and their
 * checks.  Bad usage is one line on stderr and exit 2 (tools/cli/cli.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/parse_num.h"
#include "tools/pto-bench/bench.h"

const char *const pb_mode_names[MODE_COUNT] = { "auto", "manual", "explicit" };
const char *const pb_section_names[SEC_COUNT] = { "e2e", "metg", "window" };
const char *const pb_sys_names[SYS_COUNT] = { "pto", "omp", "starpu" };

const char *pb_shape_name(int s)
{
	return s == SHAPE_PA ? "paged_attn" : bench_shape_names[s];
}

static int parse_shape(const char *s)
{
	if (!strcmp(s, "paged_attention") || !strcmp(s, "pa"))
		return SHAPE_PA;
	return bench_shape_parse(s);
}

/* --- usage errors ------------------------------------------------------------- */

void pb_usage(FILE *f)
{
	fprintf(f, "Usage: pto-bench [options]\n"
	       "  --quick            seconds-long smoke run (small sizes, 1 repetition)\n"
	       "  --reps N           interleaved repetitions per metric, median reported (5)\n"
	       "  --tasks N          tasks per end-to-end run (100000)\n"
	       "  --shapes LIST      independent,chain,stencil,tree,pa (all; pa = paged\n"
	       "                     attention, when built with examples/: auto runs\n"
	       "                     paged_attention_unroll, manual runs\n"
	       "                     paged_attention_unroll_manual, explicit runs that on an\n"
	       "                     explicit-only runtime; same case, golden-checked, at\n"
	       "                     least %d interleaved repetitions, spread printed)\n"
	       "  --modes LIST       auto,manual,explicit (all)\n"
	       "  --width W          stencil width / tree leaves (16); given alone it is\n"
	       "                     also the METG sweep's one width\n"
	       "  --metg-widths LIST stencil widths of the METG sweep, comma list of 2..4096,\n"
	       "                     at most %d (2,16; or --width when that is given)\n"
	       "  --schedulers N     scheduler threads, 1..3 (runtime default)\n"
	       "  --wiring 0|1       wiring thread off/on (runtime default)\n"
	       "  --window N         task window per ring, power of two (16384)\n"
	       "  --device SPEC      device to run on (mock)\n"
	       "  --sections LIST    e2e,metg,window (all)\n"
	       "                     metg: busy-wait stencil swept down by powers of two;\n"
	       "                     efficiency = work rate / the best work rate any system\n"
	       "                     reached at that width in this run; METG(50%%) = the\n"
	       "                     smallest granularity (wall x workers / tasks) at >= 50%%\n"
	       "  --peers            also run OpenMP and StarPU on the same graphs\n"
	       "  --plot FILE.svg    draw efficiency vs granularity with gnuplot\n"
	       "  --pa-case NAME     the paged-attention case (%s: 1,952 tasks; any case of\n"
	       "                     paged_attention_unroll, pto-run --list)\n"
	       "  --set KEY=VALUE    override a parameter of the paged-attention case in every\n"
	       "                     mode (repeatable; e.g. unroll=1 for more, smaller tasks)\n"
	       "  --trace FILE       instead: one traced run (--shape, --mode, --tasks, --grain;\n"
	       "                     --shape pa traces the paged-attention case of --mode)\n"
	       "  --help             this text\n"
	       "  --version          the version of pto2\n"
	       "Options take their value as --opt VALUE or --opt=VALUE.  Progress goes to\n"
	       "stderr: one updating line on a terminal, else a line per section and repetition.\n"
	       "exit status: 0; 1 a run failed; 2 bad usage or input (options, device spec)\n",
	       PA_MIN_REPS, MAX_METG_WIDTHS, PA_BENCH_CASE);
}

static uint64_t parse_num(const char *opt, const char *val, uint64_t lo, uint64_t hi)
{
	uint64_t v;

	if (!val)
		usage_error("%s needs a value", opt);
	if (pto_parse_u64(val, lo, hi, &v))
		usage_error("%s: '%s' is not a number in %" PRIu64 "..%" PRIu64, opt, val, lo, hi);
	return v;
}

static int parse_mode(const char *s)
{
	for (int i = 0; i < MODE_COUNT; i++)
		if (!strcmp(s, pb_mode_names[i]))
			return i;
	return -1;
}

static int parse_section(const char *s)
{
	for (int i = 0; i < SEC_COUNT; i++)
		if (!strcmp(s, pb_section_names[i]))
			return i;
	return -1;
}

/*
 * The next item of comma list @val of option @opt into @buf, from *@pos on
 * (NULL when done).  An empty item is refused, not skipped as strtok()
 * would: ",chain" or "2," is more likely a slip than a shorter list.
 */
static char *next_item(const char *opt, const char *val, const char **pos, unsigned int *n,
		       char *buf, size_t len)
{
	const char *p = *pos;
	size_t l;

	if (!p)
		return NULL;
	l = strcspn(p, ",");
	++*n;
	if (!l)
		usage_error("%s: item %u of '%s' is empty", opt, *n, val);
	if (l >= len)
		usage_error("%s: item %u of '%s' is too long", opt, *n, val);
	memcpy(buf, p, l);
	buf[l] = '\0';
	*pos = p[l] ? p + l + 1 : NULL;
	return buf;
}

/* A comma list of names into a bit mask. */
static unsigned int parse_list(const char *opt, const char *val, int (*parse)(const char *))
{
	unsigned int mask = 0, n = 0;
	const char *pos = val;
	char buf[64], *tok;

	if (!val || !*val)
		usage_error("%s needs a value", opt);
	while ((tok = next_item(opt, val, &pos, &n, buf, sizeof(buf)))) {
		int v = parse(tok);

		if (v < 0)
			usage_error("%s: unknown name '%s'", opt, tok);
		mask |= 1u << v;
	}
	return mask;
}

/* --metg-widths: a comma list of distinct stencil widths 2..4096. */
static void parse_widths(const char *opt, const char *val, struct opts *o)
{
	const char *pos = val;
	unsigned int n = 0;
	char buf[32], *tok;

	if (!val || !*val)
		usage_error("%s needs a value", opt);
	o->n_metg_widths = 0;
	while ((tok = next_item(opt, val, &pos, &n, buf, sizeof(buf)))) {
		uint32_t w = (uint32_t)parse_num(opt, tok, 2, 4096);

		for (uint32_t i = 0; i < o->n_metg_widths; i++)
			if (o->metg_widths[i] == w)
				usage_error("%s: width %u given twice", opt, w);
		if (o->n_metg_widths == MAX_METG_WIDTHS)
			usage_error("%s: at most %d widths", opt, MAX_METG_WIDTHS);
		o->metg_widths[o->n_metg_widths++] = w;
	}
}

/* The entry of @val in @opts (the option pb_parse_opts() got). */
static size_t idx_of(const struct option *opts, int val)
{
	size_t i = 0;

	while (opts[i].name && opts[i].val != val)
		i++;
	return i;
}

void pb_parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "peers", no_argument, NULL, 'P' },
		{ "reps", required_argument, NULL, 'r' },
		{ "tasks", required_argument, NULL, 'n' },
		{ "width", required_argument, NULL, 'w' },
		{ "metg-widths", required_argument, NULL, 'G' },
		{ "schedulers", required_argument, NULL, 'S' },
		{ "wiring", required_argument, NULL, 'W' },
		{ "window", required_argument, NULL, 'N' },
		{ "grain", required_argument, NULL, 'g' },
		{ "shapes", required_argument, NULL, 'H' },
		{ "modes", required_argument, NULL, 'M' },
		{ "sections", required_argument, NULL, 'C' },
		{ "shape", required_argument, NULL, 's' },
		{ "mode", required_argument, NULL, 'm' },
		{ "device", required_argument, NULL, 'd' },
		{ "plot", required_argument, NULL, 'p' },
		{ "set", required_argument, NULL, 'e' },
		{ "pa-case", required_argument, NULL, 'A' },
		{ "trace", required_argument, NULL, 't' },
		CLI_OPTIONS_COMMON,
		{ NULL, 0, NULL, 0 },
	};
	int have_tasks = 0, have_reps = 0, have_mw = 0, ch;

	*o = (struct opts){ .reps = 5, .tasks = 100000, .width = 16, .wiring = -1,
			    .window = 16384, .chunk = 256, .shapes = (1u << NUM_SHAPES) - 1,
			    .modes = (1u << MODE_COUNT) - 1, .sections = (1u << SEC_COUNT) - 1,
			    .trace_shape = SHAPE_STENCIL,
			    .trace_mode = MODE_AUTO, .device = NULL };
	while ((ch = cli_next(argc, argv, ":h", longopts)) != -1) {
		const char *a = longopts[idx_of(longopts, ch)].name, *v = optarg;
		char opt[32];

		snprintf(opt, sizeof(opt), "--%s", a);
		a = opt;
		switch (ch) {
		case 'q':
			o->quick = 1;
			break;
		case 'P':
			o->peers = 1;
			break;
		case 'r':
			o->reps = (uint32_t)parse_num(a, v, 1, MAX_REPS);
			have_reps = 1;
			break;
		case 'n':
			o->tasks = parse_num(a, v, 1, 10000000);
			have_tasks = 1;
			break;
		case 'w':
			o->width = (uint32_t)parse_num(a, v, 2, 4096);
			o->have_width = 1;
			break;
		case 'G':
			parse_widths(a, v, o);
			have_mw = 1;
			break;
		case 'S':
			o->schedulers = (uint32_t)parse_num(a, v, 1, 3);
			break;
		case 'W':
			o->wiring = (int)parse_num(a, v, 0, 1);
			break;
		case 'N':
			o->window = (uint32_t)parse_num(a, v, 64, 1u << 20);
			if (o->window & (o->window - 1))
				usage_error("--window: %u is not a power of two", o->window);
			break;
		case 'g':
			o->grain = parse_num(a, v, 0, 1000000000);
			break;
		case 'H':
			o->shapes = parse_list(a, v, parse_shape);
			break;
		case 'M':
			o->modes = parse_list(a, v, parse_mode);
			break;
		case 'C':
			o->sections = parse_list(a, v, parse_section);
			break;
		case 's':
			if ((o->trace_shape = parse_shape(v)) < 0)
				usage_error("--shape: unknown shape '%s'", v);
			break;
		case 'm':
			if ((o->trace_mode = parse_mode(v)) < 0)
				usage_error("--mode: unknown mode '%s'", v);
			break;
		case 'd':
			if (!*v)
				usage_error("--device needs a value");
			o->device = v;
			break;
		case 'p':
			if (!*v)
				usage_error("--plot needs a file name");
			o->plot = v;
			break;
		case 'e':
			if (!strchr(v, '='))
				usage_error("--set needs KEY=VALUE");
			if (o->nsets == MAX_SETS)
				usage_error("--set: at most %d overrides", MAX_SETS);
			o->sets[o->nsets++] = v;
			break;
		case 'A':
			if (!*v)
				usage_error("--pa-case needs a case name");
			o->pa_case = v;
			break;
		case 't':
			if (!*v)
				usage_error("--trace needs a file name");
			o->trace = v;
			break;
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (o->nsets && !(o->trace ? o->trace_shape == SHAPE_PA :
			  (o->shapes & (1u << SHAPE_PA)) && (o->sections & (1u << SEC_E2E))))
		usage_error("--set changes the paged-attention case: it needs the pa shape in the "
			    "e2e section (or --trace --shape pa)");
	if (o->pa_case && !(o->trace ? o->trace_shape == SHAPE_PA :
			    (o->shapes & (1u << SHAPE_PA)) && (o->sections & (1u << SEC_E2E))))
		usage_error("--pa-case names the paged-attention case: it needs the pa shape in "
			    "the e2e section (or --trace --shape pa)");
	if (o->plot && !(o->sections & (1u << SEC_METG)))
		usage_error("--plot draws the METG sweep: add metg to --sections");
	if (have_mw && !(o->sections & (1u << SEC_METG)))
		usage_error("--metg-widths sets the METG sweep: add metg to --sections");
	/* the field reports widths 2 and 16; an explicit --width alone narrows it to that */
	if (!have_mw) {
		o->n_metg_widths = 0;
		if (!o->have_width)
			o->metg_widths[o->n_metg_widths++] = 2;
		o->metg_widths[o->n_metg_widths++] = o->width;
	}
	if (o->quick) {
		if (!have_tasks)
			o->tasks = 2000;
		if (!have_reps)
			o->reps = 1;
	}
	if (o->tasks < o->width)
		usage_error("--tasks %" PRIu64 " is smaller than --width %u", o->tasks, o->width);
	if (o->shapes & (1u << SHAPE_TREE) && (o->width & (o->width - 1)))
		usage_error("--width %u: the tree shape needs a power of two", o->width);
	/* a scope must fit its ring: keep chunks well inside the smallest window used */
	o->chunk = o->window / 4 < 256 ? o->window / 4 : 256;
}
