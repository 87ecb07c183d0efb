/* enforce.c - the runtime's main loop.
 *
 *   refuse what this kernel cannot run -> mount bpffs and tracefs if needed
 *   -> claim the pin directory -> load (hooks chosen, verifier) -> set up
 *   the governed set, the reports and each kind -> pin -> attach -> start
 *   the command (run) or scan /proc (attach) -> loop: BPF events, the
 *   kinds' fds, a tick every 100 ms -> on exit, signal or error: each kind
 *   undoes what it changed, then detach, unpin, unmount.
 *
 * BPF observes (faults, process and mapping events); the kinds act
 * through the kernel's interfaces on the governed processes only.
 */
#define _GNU_SOURCE
#include "enforce.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "accounting.h"
#include "bpf/mmp_shared.h"
#include "clock.h"
#include "governed.h"
#include "guardian.h"
#include "journal.h"
#include "kind.h"
#include "loader.h"
#include "log.h"
#include "mounts.h"
#include "pagesize.h"
#include "pins.h"

#define TICK_NS 100000000LL               /* 100 ms */
#define SMAPS_EVERY_NS 1000000000LL       /* account huge pages once a second */

struct runtime {
	struct mmp_object *obj;
	const struct enforce_opts *opts;
	struct mounts mounts;
	struct loaded loaded;
	struct governed_set gov;
	struct accounting acc;
	struct pagesize_choice *choice;
	void **kinds;                    /* each kind's state (mmp_kinds); NULL: no rule of it */
	int nice_at_start;               /* what the command of 'run' is started with */
	pid_t child;                     /* run: the command */
	int child_status;
	bool child_done, stop;
	char pindir[256];
	bool pinned;
	const char *name;                /* the runtime's name, and */
	int name_lock;                   /* its lock, held while it runs: see pins_claim */
	struct journal journal;          /* what it changes, recorded first */
	int guardian_fd;                 /* the guardian's pipe: see guardian.h */
	pid_t guardian;
	long long last_tick_ns, last_smaps_ns;
};

/* --- the kinds, driven alike ---------------------------------------------- */

#define FOR_KINDS(k, st) \
	for (size_t k = 0; k < mmp_nkinds; k++) \
		for (void *st = rt->kinds ? rt->kinds[k] : NULL; st; st = NULL)

static void on_govern(void *ctx, const struct governed *g, const struct proc_info *info)
{
	struct runtime *rt = ctx;
	FOR_KINDS(k, st)
		if (mmp_kinds[k]->govern)
			mmp_kinds[k]->govern(st, g, info);
}

static void on_forget(void *ctx, const struct governed *g)
{
	struct runtime *rt = ctx;
	FOR_KINDS(k, st)
		if (mmp_kinds[k]->forget)
			mmp_kinds[k]->forget(st, g);
}

/* A BPF event: process life and mappings are the governed set's; the
 * rest goes to the kinds. */
static int on_event(void *ctx, void *data, size_t len)
{
	struct runtime *rt = ctx;
	const struct mmp_event *e = data;
	if (len < sizeof(*e))
		return 0;
	struct governed *g = governed_find(&rt->gov, (pid_t)e->pid);
	switch (e->kind) {
	case MMP_EV_EXEC:
		governed_consider(&rt->gov, (pid_t)e->pid, GOV_EXEC);
		return 0;
	case MMP_EV_FORK:
		governed_consider(&rt->gov, (pid_t)e->pid, GOV_FOUND);
		return 0;
	case MMP_EV_RENAME:
		governed_consider(&rt->gov, (pid_t)e->pid, GOV_RENAME);
		return 0;
	case MMP_EV_CGROUP:
		governed_consider(&rt->gov, (pid_t)e->pid, GOV_CGROUP);
		return 0;
	case MMP_EV_EXIT:
		if (g)
			governed_drop(&rt->gov, g, "it exited");
		return 0;
	case MMP_EV_MAPS:   /* the kinds too: what a mapping guards may have changed */
		if (g)
			governed_maps_changed(&rt->gov, g);
		break;
	}
	FOR_KINDS(k, st)
		if (mmp_kinds[k]->on_event)
			mmp_kinds[k]->on_event(st, e, len);
	return 0;
}

static void after_events(struct runtime *rt)
{
	FOR_KINDS(k, st)
		if (mmp_kinds[k]->after_events)
			mmp_kinds[k]->after_events(st);
}

/* Is FD one of a kind's? Then it has taken the event. */
static bool kinds_on_fd(struct runtime *rt, int fd)
{
	long long now = mono_ns();
	FOR_KINDS(k, st)
		if (mmp_kinds[k]->on_fd && mmp_kinds[k]->on_fd(st, fd, now))
			return true;
	return false;
}

static int kinds_setup(struct runtime *rt)
{
	rt->kinds = calloc(mmp_nkinds, sizeof(*rt->kinds));
	if (!rt->kinds)
		return -ENOMEM;
	struct kind_env env = { .obj = rt->obj, .loaded = &rt->loaded, .gov = &rt->gov, .reports = rt->acc.reports,
				.choice = rt->choice, .dry_run = rt->opts->dry_run, .journal = &rt->journal,
				.collapse_rate = rt->opts->collapse_rate,
				.collapse_cpu = rt->opts->collapse_cpu };
	for (size_t k = 0; k < mmp_nkinds; k++) {
		int err = mmp_kinds[k]->setup(&env, &rt->kinds[k]);
		if (err)
			return err;
	}
	return 0;
}

/* FD's input wakes the loop; epoll_event.data.fd says which. */
static int watch_fd(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static int kinds_watch(struct runtime *rt, int epfd)
{
	FOR_KINDS(k, st)
		if (mmp_kinds[k]->watch && mmp_kinds[k]->watch(st, epfd) < 0) {
			mmp_error("cannot watch the triggers of the %s rules: %s", mmp_kinds[k]->name, strerror(errno));
			return -1;
		}
	return 0;
}

/* In reverse order of set-up. */
static void kinds_undo(struct runtime *rt)
{
	for (size_t k = mmp_nkinds; rt->kinds && k-- > 0;)
		if (rt->kinds[k])
			mmp_kinds[k]->undo(rt->kinds[k]);
	free(rt->kinds);
	rt->kinds = NULL;
}

/* --- the loop ---------------------------------------------------------- */

static void tick(struct runtime *rt)
{
	long long now = mono_ns();
	double dt = rt->last_tick_ns ? (double)(now - rt->last_tick_ns) / 1e9 : 0;
	rt->last_tick_ns = now;
	governed_refresh(&rt->gov);
	FOR_KINDS(k, st)
		if (mmp_kinds[k]->tick)
			mmp_kinds[k]->tick(st, mono_ns(), dt);   /* its own time: the one before may have taken long */
	if (now - rt->last_smaps_ns >= SMAPS_EVERY_NS) {
		rt->last_smaps_ns = now;
		accounting_refresh(&rt->acc);
	}
}

/* Under memory pressure the machine is often busy too, and a runtime that
 * waits for the CPU acts after the kernel has reclaimed (or killed) on its
 * own: mmp runs at a higher priority than the load it governs, as earlyoom
 * -p does. The command of 'run' gets back the niceness mmp started with. */
static int raise_priority(struct runtime *rt)
{
	errno = 0;
	rt->nice_at_start = getpriority(PRIO_PROCESS, 0);
	if (errno)
		rt->nice_at_start = 0;
	if (rt->opts->nice == rt->nice_at_start || setpriority(PRIO_PROCESS, 0, rt->opts->nice) == 0)
		return 0;
	if (rt->opts->nice_given) {
		mmp_error("cannot set the runtime's niceness to %d: %s", rt->opts->nice, strerror(errno));
		return -1;
	}
	mmp_warn("cannot raise the runtime's priority (niceness %d): %s; it may act late on a busy machine",
		 rt->opts->nice, strerror(errno));
	return 0;
}

static int start_child(struct runtime *rt, int *go_fd)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* Wait until the policy is attached, so that no fault is missed. */
		char c;
		close(pipefd[1]);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (read(pipefd[0], &c, 1) != 1)
			_exit(127);
		setpriority(PRIO_PROCESS, 0, rt->nice_at_start);   /* the command runs as it would without mmp */
		signal(SIGPIPE, SIG_DFL);
		execvp(rt->opts->cmd[0], rt->opts->cmd);
		fprintf(stderr, "mmp: cannot run %s: %s\n", rt->opts->cmd[0], strerror(errno));
		_exit(127);
	}
	close(pipefd[0]);
	rt->child = pid;
	rt->gov.root = pid;   /* only the command and its descendants are governed */
	*go_fd = pipefd[1];
	return 0;
}

/* Holds the command at its exec until the runtime has handled that exec
 * (RB, what BPF sent), so that what the command does first is governed:
 * else it could read files or fault memory before the runtime has matched
 * it. The hold is ptrace's exec stop, as under strace: the kernel sends
 * the exec's event before it stops there. Where the command cannot be
 * traced (it is already, under strace -f; Yama forbids it), it runs as
 * before, governed once the event is read. Returns with the command
 * running, or ended (rt->child_done: the exec failed). */
static void hold_at_exec(struct runtime *rt, struct ring_buffer *rb, bool seized)
{
	if (!seized)
		return;
	int st;
	pid_t pid;
	while ((pid = waitpid(rt->child, &st, 0)) < 0 && errno == EINTR)
		;
	if (pid != rt->child) {
		ptrace(PTRACE_DETACH, rt->child, NULL, NULL);
		return;
	}
	if (WIFEXITED(st) || WIFSIGNALED(st)) {
		rt->child_done = true;
		rt->child_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		return;
	}
	int sig = 0;
	if (st >> 8 == (SIGTRAP | PTRACE_EVENT_EXEC << 8)) {
		ring_buffer__consume(rb);
		after_events(rt);
	} else {
		sig = WSTOPSIG(st);   /* a signal before the exec: delivered, and no hold */
	}
	if (ptrace(PTRACE_DETACH, rt->child, NULL, (void *)(long)sig) < 0)
		mmp_warn("cannot let the command %s go on after its exec: %s", rt->opts->cmd[0], strerror(errno));
}

static void reap(struct runtime *rt)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == rt->child) {
			rt->child_done = true;
			rt->child_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		} else if (pid == rt->guardian) {
			mmp_warn("the guardian (pid %d) ended: if this runtime is killed, 'mmp restore' puts back what it "
				 "changed", (int)pid);
			rt->guardian = 0;
		}
	}
}

static void cleanup(struct runtime *rt)
{
	kinds_undo(rt);   /* first: what they changed is put back */
	journal_close(&rt->journal);   /* and with it, nothing is left to put back */
	governed_close(&rt->gov);
	accounting_close(&rt->acc);
	loader_close(&rt->loaded);   /* detaches every program */
	if (rt->pinned)
		pins_remove(rt->pindir);
	if (rt->name_lock >= 0)
		pins_release(rt->name, rt->name_lock);   /* the name is free once the pins are gone */
	mounts_undo(&rt->mounts);
	free(rt->choice);
	if (rt->guardian_fd >= 0)
		close(rt->guardian_fd);   /* the guardian finds nothing to do, and ends */
}

int enforce(struct mmp_object *obj, const struct enforce_opts *opts)
{
	struct runtime rt = { .obj = obj, .opts = opts, .child = -1, .name_lock = -1, .journal = { .fd = -1 },
			      .guardian_fd = -1 };
	int status = 1, go_fd = -1, epfd = -1, sfd = -1, tfd = -1;
	struct ring_buffer *rb = NULL;

	if (loader_check_kernel() < 0)
		return 1;
	const char *name = opts->name ? opts->name : obj->name;
	pins_dir(rt.pindir, sizeof(rt.pindir), name);
	unsigned nr = obj->plan.nregions;
	rt.choice = calloc(nr ? nr : 1, sizeof(*rt.choice));
	if (!rt.choice)
		goto out;
	pagesize_choose(&obj->plan, rt.choice, true);

	/* Signals arrive through a descriptor, so that every exit path is this
	 * function's: nothing is left attached or pinned. */
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	/* The loop's own event sources, before anything is changed. */
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	struct itimerspec its = { { 0, TICK_NS }, { 0, TICK_NS } };
	if (sfd < 0 || epfd < 0 || tfd < 0 || timerfd_settime(tfd, 0, &its, NULL) < 0 || watch_fd(epfd, sfd) < 0 ||
	    watch_fd(epfd, tfd) < 0) {
		mmp_error("cannot set up the event loop (signalfd, epoll, timerfd): %s", strerror(errno));
		goto out;
	}

	if (raise_priority(&rt) < 0)
		goto out;
	rt.name = name;
	if (pins_claim(name, rt.pindir, &rt.name_lock) < 0)
		goto out;
	/* A runtime of this name that died with its guardian left changes. */
	int put_back = journal_replay(name);
	if (put_back > 0)
		mmp_info("put back %d oom_score_adj, oom_kill_disable or memory.high value%s a killed runtime named '%s' left", put_back,
			 put_back == 1 ? "" : "s", name);
	if (!opts->dry_run && (journal_open(&rt.journal, name) < 0 || (rt.guardian_fd = guardian_start(name, &rt.guardian)) < 0))
		goto out;
	if (mounts_ensure(&rt.mounts) < 0)
		goto out;
	if (loader_open(obj, &rt.loaded) < 0)
		goto out;
	if (governed_open(&rt.gov, &obj->plan, &rt.loaded) < 0 ||
	    accounting_open(&rt.acc, name, &obj->plan, rt.choice, &rt.gov, &rt.loaded, opts->dry_run) < 0)
		goto out;
	if (kinds_setup(&rt) < 0)
		goto out;
	rt.gov.listener = (struct governed_listener){ &rt, on_govern, on_forget };
	rt.pinned = true;   /* even half made, the directory is removed */
	if (pins_create(rt.pindir, rt.loaded.bpf) < 0)
		goto out;
	rb = ring_buffer__new(loader_map_fd(&rt.loaded, "mmp_events"), on_event, &rt, NULL);
	if (!rb || watch_fd(epfd, ring_buffer__epoll_fd(rb)) < 0) {
		mmp_error("cannot read the policy's events (mmp_events): %s", strerror(errno));
		goto out;
	}
	if (kinds_watch(&rt, epfd) < 0 || loader_attach(&rt.loaded) < 0)
		goto out;
	if (opts->cmd && start_child(&rt, &go_fd) < 0) {
		mmp_error("cannot start %s: %s", opts->cmd[0], strerror(errno));
		goto out;
	}
	mmp_info("policy %s attached%s; pins in %s", obj->source_name, opts->dry_run ? " (dry run: nothing is changed)" : "",
		 rt.pindir);
	if (opts->cmd) {
		bool seized = ptrace(PTRACE_SEIZE, rt.child, NULL, (void *)(long)PTRACE_O_TRACEEXEC) == 0;
		if (!seized)
			mmp_debug("the command cannot be held at its exec (%s): it is governed once its exec is read",
				  strerror(errno));
		if (write(go_fd, "g", 1) != 1) {
			mmp_error("cannot start %s", opts->cmd[0]);
			goto out;
		}
		close(go_fd);
		go_fd = -1;
		hold_at_exec(&rt, rb, seized);
	} else {
		governed_scan(&rt.gov);
	}

	long long deadline = opts->duration > 0 ? mono_ns() + (long long)(opts->duration * 1e9) : 0;
	status = 0;
	while (!rt.stop) {
		struct epoll_event evs[4];
		int n = epoll_wait(epfd, evs, 4, 1000);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == sfd) {
				struct signalfd_siginfo si;
				if (read(sfd, &si, sizeof(si)) != sizeof(si))
					continue;
				if (si.ssi_signo == SIGCHLD) {
					reap(&rt);
				} else if (rt.child > 0 && !rt.child_done) {
					kill(rt.child, (int)si.ssi_signo);   /* run: the command decides */
				} else {
					mmp_info("stopping on signal %u", si.ssi_signo);
					rt.stop = true;
				}
			} else if (evs[i].data.fd == tfd) {
				uint64_t exp;
				if (read(tfd, &exp, sizeof(exp)) == sizeof(exp)) {
					/* Events sent without a wakeup (a scan's files) */
					if (ring_buffer__consume(rb) > 0)
						after_events(&rt);
					tick(&rt);
				}
			} else {
				/* BPF's events first, even where the fd is a kind's:
				 * an eviction step woken by a crossing must know of the
				 * files a scan opened meanwhile, or it drops the next
				 * scores up in their stead. */
				bool ring = evs[i].data.fd == ring_buffer__epoll_fd(rb);
				if (ring_buffer__consume(rb) > 0 || ring)
					after_events(&rt);
				if (!ring)
					kinds_on_fd(&rt, evs[i].data.fd);
			}
		}
		if (rt.child > 0 && rt.child_done) {
			status = rt.child_status;
			break;
		}
		if (deadline && mono_ns() >= deadline)
			break;
	}
	/* What BPF sent without waking the loop (a short job's files, named
	 * as it read them) is read before the summaries. */
	ring_buffer__consume(rb);
	after_events(&rt);
	accounting_refresh(&rt.acc);
	if (!rt.gov.ever)
		mmp_warn("no process matched the policy while it ran: it changed nothing");
	else
		governed_report_unmapped(&rt.gov, rt.acc.reports);
	for (size_t k = 0; k < mmp_nkinds; k++)
		if (rt.kinds[k] && mmp_kinds[k]->summary)
			mmp_kinds[k]->summary(rt.kinds[k]);
out:
	if (go_fd >= 0)
		close(go_fd);   /* the child sees EOF and exits 127 without running anything */
	if (rt.child > 0 && !rt.child_done)
		waitpid(rt.child, &rt.child_status, 0);
	if (rb)
		ring_buffer__free(rb);
	if (epfd >= 0)
		close(epfd);
	if (tfd >= 0)
		close(tfd);
	if (sfd >= 0)
		close(sfd);
	cleanup(&rt);
	return status;
}
