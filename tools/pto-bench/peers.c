// SPDX-License-Identifier: MIT
/*
 * peers.c - the peers of pto-bench --peers: the same graphs
 * (tests/peers/shapes.h) on OpenMP tasks and StarPU, each a program of its
 * own (tests/peers, mk/bench.mk) run once per repetition, whose result line
 * is read back.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tools/pto-bench/bench.h"

extern char **environ;

#define PEER_TIMEOUT_MS		(300 * 1000)

void pb_find_peers(struct bench *b)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0) {
		snprintf(self, sizeof(self), "./pto-bench");
		n = (ssize_t)strlen(self);
	}
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	/* beside pto-bench in the build tree; ../libexec/pto2 once installed (mk/install.mk) */
	for (int s = SYS_OMP; s < SYS_COUNT; s++) {
		snprintf(b->peer_path[s], sizeof(b->peer_path[s]), "%s/peer-%s", self,
			 pb_sys_names[s]);
		b->peer_ok[s] = access(b->peer_path[s], X_OK) == 0;
		if (!b->peer_ok[s]) {
			char inst[sizeof(b->peer_path[s])];

			snprintf(inst, sizeof(inst), "%s/../libexec/pto2/peer-%s", self,
				 pb_sys_names[s]);
			if (access(inst, X_OK) == 0) {
				memcpy(b->peer_path[s], inst, sizeof(inst));
				b->peer_ok[s] = 1;
			}
		}
	}
}

/* Run a peer once; 0 with *@wall and *@tasks, or -1 with @err. */
static int run_peer_once(struct bench *b, const struct job *j, uint64_t *wall, uint64_t *tasks,
			 char *err, size_t errlen)
{
	char a_tasks[24], a_grain[24], a_width[24], a_threads[24];
	char *argv[] = { b->peer_path[j->sys], "--shape", (char *)bench_shape_names[j->shape],
			 "--tasks", a_tasks, "--grain", a_grain, "--width", a_width,
			 "--threads", a_threads, "--reps", "1", NULL };
	posix_spawn_file_actions_t fa;
	char out[4096];
	size_t len = 0;
	int pipefd[2], status, rc = -1;
	uint64_t deadline = bench_now_ns() + (uint64_t)PEER_TIMEOUT_MS * 1000000;
	pid_t pid;

	snprintf(a_tasks, sizeof(a_tasks), "%" PRIu64, j->tasks);
	snprintf(a_grain, sizeof(a_grain), "%" PRIu64, j->grain);
	snprintf(a_width, sizeof(a_width), "%u", j->width);
	snprintf(a_threads, sizeof(a_threads), "%u", b->ncpus);
	if (pipe2(pipefd, O_CLOEXEC)) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (rc) {
		snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror(rc));
		close(pipefd[0]);
		return -1;
	}
	for (;;) {
		struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
		uint64_t now = bench_now_ns();
		int left = now >= deadline ? 0 : (int)((deadline - now) / 1000000) + 1;
		ssize_t r;

		if (poll(&pfd, 1, left) == 0) {
			kill(pid, SIGKILL);
			snprintf(err, errlen, "%s timed out after %d s", argv[0],
				 PEER_TIMEOUT_MS / 1000);
			break;
		}
		r = read(pipefd[0], out + len, sizeof(out) - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len == sizeof(out) - 1)
			len = 0;	/* keep reading; only the last line matters */
	}
	out[len] = '\0';
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		if (!err[0])
			snprintf(err, errlen, "%s failed (status %d)", argv[0], status);
		return -1;
	}
	const char *w = strstr(out, "wall_ns="), *t = strstr(out, " tasks=");

	if (!w || !t || sscanf(w, "wall_ns=%" SCNu64, wall) != 1 ||
	    sscanf(t, " tasks=%" SCNu64, tasks) != 1) {
		snprintf(err, errlen, "%s printed no result line", argv[0]);
		return -1;
	}
	return 0;
}

void pb_run_peer_job(struct bench *b, struct job *j)
{
	uint64_t wall, tasks;

	j->err[0] = '\0';
	if (run_peer_once(b, j, &wall, &tasks, j->err, sizeof(j->err))) {
		j->state = JOB_FAILED;
		return;
	}
	j->real_tasks = tasks;
	j->wall.v[j->wall.n++] = (double)wall;
}
