/* SPDX-License-Identifier: MIT */
/*
 * tools/cli/cli.h - what every command-line tool of pto2 shares: one option
 * parser (getopt_long), --help and --version, one exit-status convention and
 * one progress line.
 *
 * Exit status of every tool (README "Tools"):
 *	0  success;
 *	1  the run failed (a runtime, kernel or golden failure, a file that
 *	   could not be written, out of memory);
 *	2  bad usage or bad input: an unknown option, a missing or bad value,
 *	   a malformed input file, a device spec that is malformed or names a
 *	   node that does not exist or is not a pto2 device.
 *
 * Messages: one line on stderr, "PROG: what was wrong", usage errors with
 * " (see PROG --help)" appended.
 */
#ifndef PTO_TOOLS_CLI_H
#define PTO_TOOLS_CLI_H

#include <getopt.h>
#include <stdio.h>

#define CLI_EXIT_OK	0
#define CLI_EXIT_FAIL	1
#define CLI_EXIT_USAGE	2

/* Option values of --help and --version for the tools' option tables. */
#define CLI_OPT_HELP	'h'
#define CLI_OPT_VERSION	0x100
#define CLI_OPTIONS_COMMON						\
	{ "help", no_argument, NULL, CLI_OPT_HELP },			\
	{ "version", no_argument, NULL, CLI_OPT_VERSION }

/* The project's version, one for every tool and the library (file VERSION). */
extern const char cli_version_string[];

/*
 * cli_init() - name the tool and give its help text.
 * @prog: the name in messages and --version ("pto-run").
 * @usage: prints the full --help text to its stream.
 */
void cli_init(const char *prog, void (*usage)(FILE *f));
const char *cli_prog(void);

/*
 * cli_init_group() - for a tool run as several processes at once
 * (pto-mpi-run under mpirun): only a process with @speaks prints the
 * shared messages (usage errors, --help, --version, cli_error()), so the
 * group says each once; and every exit cli makes goes through @leave
 * (which must not return) so the process can leave its group first.
 */
void cli_init_group(int speaks, void (*leave)(int status) __attribute__((noreturn)));

/*
 * cli_next() - getopt_long() with the shared handling: --help prints the
 * usage to stdout and exits 0, --version prints "PROG (pto2) VERSION" and
 * exits 0, an unknown option or one missing its value is a usage error
 * (exit 2).  @shortopts must start with ':' (or "+:" to stop at the first
 * operand).  Returns the next option of the tool's own, or -1 at the end.
 */
int cli_next(int argc, char **argv, const char *shortopts, const struct option *longopts);

/* "PROG: <message> (see PROG --help)" on stderr, then exit(2). */
void cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* "PROG: <message>" on stderr (no exit). */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * cli_device_status() - the exit status for a failed pto_device_open():
 * 2 when the spec or node is wrong (malformed, absent, not a pto2 device),
 * 1 otherwise (permission, busy, out of memory, an ioctl failing).
 * @rc: its negative errno.
 */
int cli_device_status(int rc);

/*
 * cli_parse_u64() - parse @val of option @opt as a decimal in [@lo, @hi]
 * (tools/parse_num.h rules); a usage error naming both when it is not.
 */
unsigned long long cli_parse_u64(const char *opt, const char *val, unsigned long long lo,
				 unsigned long long hi);

/*
 * Progress on stderr.  On a terminal, cli_progress() rewrites one line
 * ("\r...\033[K"); elsewhere it prints nothing unless @plain, then the text
 * as a line of its own, so logs get a few milestones, not a flood.
 * cli_progress_done() ends a terminal line (no-op elsewhere).
 */
/*
 * cli_check_writable() - before any work, make sure output file @path of
 * option @opt can be created or overwritten (without leaving a file behind);
 * a usage error (exit 2) naming the path and the reason when not.
 */
void cli_check_writable(const char *opt, const char *path);

int cli_stderr_tty(void);
void cli_progress(int plain, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_progress_done(void);

#endif
