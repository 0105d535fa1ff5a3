// SPDX-License-Identifier: MIT
/*
 * pto2-top - a live monitor of pto2 devices, in the manner of nvidia-smi or
 * intel_gpu_top: per device the processes that have it open, memory used,
 * per-cluster and per-core busy share, each runtime's ring occupancy and
 * tasks per second.  It reads only what the devices publish (a published
 * mock's shm object mapped read-only, the module's sysfs attributes) and
 * never changes a device's state (docs/device.md, "Monitoring").
 *
 *	pto2-top [-d SECONDS] [-n N] [--json]
 *
 * On a terminal it redraws in place until q, Ctrl-C or N frames, and puts
 * the terminal back as it was; otherwise it prints plain frames.  --json
 * prints one object (two samples -d apart, for the rates) and exits.
 *
 * Exit status (tools/cli/cli.h): 0; 2 bad usage; 1 no pto2 device found.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "tools/cli/cli.h"
#include "tools/pto2-top/top.h"

#define OPT_JSON	0x101

static volatile sig_atomic_t stop_signal;
static struct termios saved_tio;
static int tio_saved;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: pto2-top [-d SECONDS] [-n N] [--json]\n"
		"Monitor pto2 devices live.\n"
		"  -d, --delay SECONDS  time between refreshes, 0.05..3600 (default 1)\n"
		"  -n, --iterations N   stop after N refreshes (default: until q or Ctrl-C)\n"
		"  --json               print one JSON object (two samples SECONDS apart) and exit\n"
		"  --help               this text\n"
		"  --version            the version of pto2\n"
		"Shows every published mock device (a mock opened with PTO_MOCK_PUBLISH unset\n"
		"or not 0) and every /dev/pto2* node of the kernel module: processes, memory,\n"
		"tasks per second, ring occupancy of each runtime, per-core busy share.\n"
		"On a terminal: q or Ctrl-C quits.  Elsewhere: plain frames, one per refresh.\n"
		"exit status: 0; 1 no pto2 device found; 2 bad usage\n");
}

static double parse_delay(const char *val)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(val, &end);
	if (errno || end == val || *end || !(d >= 0.05 && d <= 3600))
		cli_usage_error("-d '%s' is not a number of seconds in 0.05..3600", val);
	return d;
}

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void term_restore(void)
{
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	tio_saved = 0;
	/* show the cursor again */
	fputs("\033[?25h", stdout);
	fflush(stdout);
}

/* Keys without Enter and without echo; the cursor hidden; undone at exit. */
static void term_setup(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct termios tio;

	/* no SA_RESTART: a signal ends the wait in poll() at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
		tio = saved_tio;
		tio.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		tio.c_cc[VMIN] = 1;
		tio.c_cc[VTIME] = 0;
		tio_saved = tcsetattr(STDIN_FILENO, TCSANOW, &tio) == 0;
	}
	atexit(term_restore);
	fputs("\033[?25l", stdout);
}

/*
 * Wait @secs, or less when q is typed or a signal comes.
 * Return: 1 to go on, 0 to quit.
 */
static int wait_or_quit(double secs, int keys)
{
	struct timespec end, now;
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += (time_t)secs;
	end.tv_nsec += (long)((secs - (double)(time_t)secs) * 1e9);
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	for (;;) {
		long ms;
		char c;

		if (stop_signal)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (long)(end.tv_sec - now.tv_sec) * 1000 + (end.tv_nsec - now.tv_nsec) / 1000000;
		if (ms <= 0)
			return 1;
		if (!keys) {
			struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

			nanosleep(&ts, NULL);
			continue;
		}
		if (poll(&pfd, 1, (int)ms) > 0) {
			if (read(STDIN_FILENO, &c, 1) != 1)
				keys = 0;	/* end of input: just wait */
			else if (c == 'q' || c == 'Q')
				return 0;
		}
	}
}

static int no_device(void)
{
	cli_error("no pto2 device: no published mock device in " TOP_SHM_DIR
		  " (a mock opened with PTO_MOCK_PUBLISH=0 is not published) and no "
		  "/sys/class/misc/pto2* (module not loaded)");
	return CLI_EXIT_FAIL;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "delay", required_argument, NULL, 'd' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, OPT_JSON },
		CLI_OPTIONS_COMMON,
		{ NULL, 0, NULL, 0 },
	};
	/* two samples, for rates: the previous frame's and this one's */
	static struct top_sample samples[2];
	struct top_sample *cur = &samples[0], *prev = &samples[1], *t;
	unsigned long long frames = 0, max_frames = 0;
	double delay = 1.0;
	int json = 0, ch, tty, keys;

	cli_init("pto2-top", usage);
	while ((ch = cli_next(argc, argv, ":d:n:h", longopts)) != -1) {
		if (ch == 'd')
			delay = parse_delay(optarg);
		else if (ch == 'n')
			max_frames = cli_parse_u64("-n", optarg, 1, 1000000000ull);
		else if (ch == OPT_JSON)
			json = 1;
	}
	if (optind < argc)
		cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (json && max_frames)
		cli_usage_error("--json prints one object; -n does not apply");

	top_probe(prev);
	if (!prev->num_devs)
		return no_device();
	if (json) {
		wait_or_quit(delay, 0);
		top_probe(cur);
		top_rates(cur, prev);
		if (!cur->num_devs)
			return no_device();
		top_render_json(stdout, cur, delay);
		return fflush(stdout) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	}

	tty = isatty(STDOUT_FILENO);
	keys = tty && isatty(STDIN_FILENO);
	if (tty)
		term_setup();
	/* the first frame's rates need an interval: a short one, not a whole -d */
	if (!wait_or_quit(delay < 0.25 ? delay : 0.25, keys))
		return CLI_EXIT_OK;
	for (;;) {
		top_probe(cur);
		top_rates(cur, prev);
		if (tty)
			fputs("\033[H\033[2J", stdout);	/* home, clear */
		else if (frames)
			fputc('\n', stdout);
		top_render_text(stdout, cur, delay);
		if (tty)
			fputs("(q to quit)\n", stdout);
		fflush(stdout);
		t = prev;
		prev = cur;
		cur = t;
		if (max_frames && ++frames >= max_frames)
			break;
		if (!max_frames)
			frames++;
		if (!wait_or_quit(delay, keys))
			break;
	}
	return CLI_EXIT_OK;
}
