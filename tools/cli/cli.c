// SPDX-License-Identifier: MIT
/* cli.c - option parsing, exit statuses and progress lines shared by the tools. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/cli/cli.h"
#include "tools/parse_num.h"

#ifndef PTO2_VERSION
#error "PTO2_VERSION comes from the file VERSION (mk/tools.mk)"
#endif

const char cli_version_string[] = PTO2_VERSION;

static const char *prog_name = "pto";
static void (*usage_fn)(FILE *f);
static int progress_open;	/* a terminal progress line is showing */
static int speaks = 1;		/* this process prints the shared messages */
static void (*leave_fn)(int status) __attribute__((noreturn));

void cli_init(const char *prog, void (*usage)(FILE *f))
{
	prog_name = prog;
	usage_fn = usage;
}

void cli_init_group(int speak, void (*leave)(int status) __attribute__((noreturn)))
{
	speaks = speak;
	leave_fn = leave;
}

static void __attribute__((noreturn)) cli_exit(int status)
{
	if (leave_fn)
		leave_fn(status);
	exit(status);
}

const char *cli_prog(void)
{
	return prog_name;
}

static void verror(const char *fmt, va_list ap, const char *tail)
{
	if (!speaks)
		return;
	if (progress_open)
		cli_progress_done();
	fprintf(stderr, "%s: ", prog_name);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "%s\n", tail);
}

void cli_usage_error(const char *fmt, ...)
{
	char tail[96];
	va_list ap;

	snprintf(tail, sizeof(tail), " (see %s --help)", prog_name);
	va_start(ap, fmt);
	verror(fmt, ap, tail);
	va_end(ap);
	cli_exit(CLI_EXIT_USAGE);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(fmt, ap, "");
	va_end(ap);
}

/* The option as the user spelled it: "--name" without "=value", or "-x". */
static const char *spelled(char **argv, char *buf, size_t len)
{
	const char *a = argv[optind - 1];

	if (optopt && !(a[0] == '-' && a[1] == '-')) {
		snprintf(buf, len, "-%c", optopt);
		return buf;
	}
	snprintf(buf, len, "%.*s", (int)strcspn(a, "="), a);
	return buf;
}

int cli_next(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	char buf[128];
	int ch;

	opterr = 0;	/* our one line instead of getopt's */
	optopt = 0;
	ch = getopt_long(argc, argv, shortopts, longopts, NULL);
	switch (ch) {
	case CLI_OPT_HELP:
		if (usage_fn && speaks)
			usage_fn(stdout);
		cli_exit(CLI_EXIT_OK);
	case CLI_OPT_VERSION:
		if (speaks)
			printf("%s (pto2) %s\n", prog_name, cli_version_string);
		cli_exit(CLI_EXIT_OK);
	case ':':
		cli_usage_error("%s needs a value", spelled(argv, buf, sizeof(buf)));
	case '?':
		/* an unknown option, or a value given to one that takes none */
		if (strchr(argv[optind - 1], '=') && argv[optind - 1][1] == '-') {
			for (const struct option *o = longopts; o->name; o++) {
				size_t n = strcspn(argv[optind - 1] + 2, "=");

				if (!strncmp(o->name, argv[optind - 1] + 2, n) &&
				    o->has_arg == no_argument)
					cli_usage_error("%s takes no value",
							spelled(argv, buf, sizeof(buf)));
			}
		}
		cli_usage_error("unknown option '%s'", spelled(argv, buf, sizeof(buf)));
	}
	return ch;
}

int cli_device_status(int rc)
{
	switch (-rc) {
	case EINVAL:		/* a malformed spec */
	case ENOENT:		/* no such node */
	case ENOTDIR:
	case ENAMETOOLONG:
	case EISDIR:
	case ENXIO:		/* a node without a device behind it */
	case ENODEV:
	case ENOTTY:		/* not a pto2 device: its ioctls are unknown */
	case ENOSYS:		/* the same under qemu-user, which knows no pto2 ioctl */
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_FAIL;
}

unsigned long long cli_parse_u64(const char *opt, const char *val, unsigned long long lo,
				 unsigned long long hi)
{
	uint64_t v;

	if (pto_parse_u64(val, lo, hi, &v))
		cli_usage_error("%s '%s': expected an integer in %llu..%llu", opt, val ? val : "",
				lo, hi);
	return v;
}

/* An output path that cannot be used: bad input, but not a usage error. */
static void __attribute__((noreturn)) bad_path(const char *opt, const char *path, int err)
{
	cli_error("%s %s: %s", opt, path, strerror(err));
	cli_exit(CLI_EXIT_USAGE);
}

void cli_check_writable(const char *opt, const char *path)
{
	struct stat st;
	int fd;

	if (!path || !*path)
		cli_usage_error("%s needs a file name", opt);
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			bad_path(opt, path, EISDIR);
		if (access(path, W_OK))
			bad_path(opt, path, errno);
		return;
	}
	/* create it to see that the directory takes it, and take it back */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		bad_path(opt, path, errno);
	close(fd);
	unlink(path);
}

int cli_stderr_tty(void)
{
	return isatty(STDERR_FILENO);
}

void cli_progress(int plain, const char *fmt, ...)
{
	int tty = cli_stderr_tty();
	va_list ap;

	if (!tty && !plain)
		return;
	fprintf(stderr, tty ? "\r%s: " : "%s: ", prog_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	/* erase what a longer previous line left */
	fputs(tty ? "\033[K" : "\n", stderr);
	fflush(stderr);
	progress_open = tty;
}

void cli_progress_done(void)
{
	if (!progress_open)
		return;
	fputs("\n", stderr);
	progress_open = 0;
}
