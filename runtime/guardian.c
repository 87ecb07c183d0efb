/* guardian.c - putting back what a runtime that was killed changed. See
 * guardian.h. */
#define _GNU_SOURCE
#include "guardian.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"
#include "pins.h"

static void guard(const char *name, int fd)
{
	/* Nothing of the runtime's but stdio and the pipe: no map, link or
	 * lock may outlive it through this process. */
	if (dup2(fd, 3) < 0)
		_exit(1);
	close_range(4, ~0U, 0);
	setsid();   /* a Ctrl-C meant for the runtime is not for it */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_NAME, "mmp-guardian");
	char c;
	while (read(3, &c, 1) != 0 && errno == EINTR)
		;
	/* The runtime is gone. Its name is free once the kernel has closed
	 * all of its files, which may come after the pipe's end: a few tries.
	 * If it stays taken, a new runtime took it, and that one puts back
	 * what the journal holds as it starts. A runtime that ended cleanly
	 * removed its lock file: nothing is left to do, and none is made. */
	int lock = -EBUSY;
	for (int i = 0; i < 50 && (lock = pins_take_left(name)) == -EBUSY; i++)
		usleep(20000);
	if (lock < 0)
		_exit(0);
	int n = journal_replay(name);
	if (n > 0)
		mmp_warn("runtime '%s' ended without undoing its changes: its guardian put back %d oom_score_adj, "
			 "oom_kill_disable or memory.high value%s", name, n, n == 1 ? "" : "s");
	char dir[256];
	pins_dir(dir, sizeof(dir), name);
	if (access(dir, F_OK) == 0)
		pins_remove(dir);
	pins_release(name, lock);
	_exit(0);
}

int guardian_start(const char *name, pid_t *guardian)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		int err = -errno;
		mmp_error("cannot start the guardian: %s", strerror(errno));
		return err;
	}
	pid_t pid = fork();
	if (pid < 0) {
		int err = -errno;
		mmp_error("cannot start the guardian: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return err;
	}
	if (pid == 0) {
		close(p[1]);
		guard(name, p[0]);
	}
	close(p[0]);
	*guardian = pid;
	return p[1];
}
