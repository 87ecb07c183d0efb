/* oom_control.c - the OOMs of a cgroup v1 memory cgroup decided by mmp
 * itself. With oom_kill_disable set in the cgroup's memory.oom_control,
 * the kernel does not kill when the cgroup runs out of memory: the tasks
 * that need memory wait in their page fault, and the kernel signals an
 * eventfd registered through cgroup.event_control. mmp then kills the
 * policy's first victim among the governed processes of that cgroup (what
 * the BPF OOM patchset does in the kernel), and the waiting tasks go on
 * once its memory is freed. This holds where oom_score_adj cannot express
 * the order: a protected process at 1000 that cannot be lowered, sizes too
 * far apart for 0..1000, processes that reset their own value.
 *
 * The kernel's killer is given back (oom_kill_disable 0) when no governed
 * process there may be killed, when mmp exits, and, through the journal,
 * by the guardian or 'mmp restore' when mmp was killed: a cgroup is never
 * left waiting for a runtime that is gone. See oom_state.h. */
#define _GNU_SOURCE
#include "oom_state.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroups.h"
#include "log.h"
#include "pins.h"

#define VICTIM_WAIT_NS 2000000000LL   /* a victim not gone by then: choose another */
/* An OOM seen only in under_oom, with no notice, is acted on this long
 * after the last kill: the tasks that waited for the last victim's memory
 * keep the cgroup marked until they have run again. */
#define RECHECK_NS 2000000000LL

/* Reads DIR's oom_kill_disable and under_oom. 0, or -errno. */
static int read_control(int fd, int *disabled, int *under)
{
	char buf[256];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	const char *d = strstr(buf, "oom_kill_disable "), *u = strstr(buf, "under_oom ");
	if (!d || !u)
		return -EINVAL;
	*disabled = atoi(d + 17);
	*under = atoi(u + 10);
	return 0;
}

static int write_control(int fd, int v)
{
	return pwrite(fd, v ? "1" : "0", 1, 0) == 1 ? 0 : -errno;
}

static struct oom_hold *hold_of(struct oom *o, const char *dir)
{
	for (size_t i = 0; i < o->nholds; i++)
		if (strcmp(o->holds[i].dir, dir) == 0)
			return &o->holds[i];
	return NULL;
}

/* Sets oom_kill_disable to V, recorded in the journal first. */
static int set_disabled(struct oom *o, struct oom_hold *h, int v)
{
	struct journal_cgroup rec = { .knob = JOURNAL_OOM_KILL_DISABLE, .orig = h->orig, .set = v };
	snprintf(rec.dir, sizeof(rec.dir), "%s", h->dir);
	int err = journal_record_cgroup(o->journal, &rec);
	return err ? err : write_control(h->ctl_fd, v);
}

/* Is the runtime itself in DIR or below? Then it would wait (or be
 * throttled) with the rest. */
bool oom_runtime_inside(const char *dir)
{
	char mine[512];
	return proc_memcg_dir(getpid(), mine, sizeof(mine)) == 0 && cgroup_dir_under(mine, dir);
}

bool oom_domain_held(struct oom *o, const char *dir)
{
	const struct oom_hold *h = hold_of(o, dir);
	return h && h->held;
}

void oom_hold_domain(struct oom *o, const char *dir, unsigned policy)
{
	char path[600];
	if (!dir[0] || cgroup_dir_is_root(dir) || hold_of(o, dir) || o->epfd < 0)
		return;
	snprintf(path, sizeof(path), "%s/memory.oom_control", dir);
	if (access(path, F_OK) != 0)
		return;   /* cgroup v2: the order, and the pre-OOM kills */
	struct oom_hold *n = realloc(o->holds, (o->nholds + 1) * sizeof(*n));
	if (!n)
		return;
	o->holds = n;
	struct oom_hold *h = &o->holds[o->nholds];
	*h = (struct oom_hold){ .ctl_fd = -1, .efd = -1, .victim_fd = -1, .policy = policy };
	snprintf(h->dir, sizeof(h->dir), "%s", dir);
	o->nholds++;   /* kept even when it cannot be held: tried once */
	if (oom_runtime_inside(dir)) {
		mmp_warn("oom: memory cgroup %s holds this runtime itself: its OOMs stay the kernel's to decide, by "
			 "the order of oom_score_adj", dir);
		return;
	}
	int under;
	h->ctl_fd = open(path, O_RDWR | O_CLOEXEC);
	if (h->ctl_fd < 0 || read_control(h->ctl_fd, &h->orig, &under) < 0) {
		mmp_warn("oom: cannot use %s (%s): the OOMs of %s stay the kernel's to decide, by the order of "
			 "oom_score_adj", path, strerror(errno), dir);
		goto fail;
	}
	/* One runtime a cgroup: two that both set oom_kill_disable would undo
	 * each other's value as each ends. The flock is on the file kept open
	 * while the cgroup is held, so the kernel lets go of it however the
	 * runtime ends. */
	char who[PIN_NAME_MAX + 1];
	long long orig = h->orig;
	journal_cgroup_records(o->journal, dir, JOURNAL_OOM_KILL_DISABLE, orig, who, sizeof(who), &orig);
	if (flock(h->ctl_fd, LOCK_EX | LOCK_NB) < 0) {
		int err = errno;
		if (err == EWOULDBLOCK)
			mmp_warn("oom: %s%s%s decides the OOMs of memory cgroup %s (memory.oom_control): this one leaves "
				 "them to it, and orders its processes by oom_score_adj only; give each runtime cgroups of "
				 "its own", who[0] ? "runtime '" : "another mmp runtime", who, who[0] ? "'" : "", dir);
		else
			mmp_warn("oom: cannot lock %s (%s): the OOMs of %s stay the kernel's to decide", path,
				 strerror(err), dir);
		goto fail;
	}
	if (orig != h->orig) {
		mmp_info("oom: memory cgroup %s: oom_kill_disable %d was set by a runtime that ended; %lld, the value "
			 "before it, is what this one puts back", dir, h->orig, orig);
		h->orig = (int)orig;
	}
	if (o->dry_run) {
		mmp_info("oom: dry run: would decide the OOMs of memory cgroup %s itself (memory.oom_control)", dir);
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/cgroup.event_control", dir);
	int ctl = open(path, O_WRONLY | O_CLOEXEC);
	h->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	char spec[64];
	int len = snprintf(spec, sizeof(spec), "%d %d", h->efd, h->ctl_fd);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = h->efd };
	bool ok = ctl >= 0 && h->efd >= 0 && write(ctl, spec, (size_t)len) == len &&
		  epoll_ctl(o->epfd, EPOLL_CTL_ADD, h->efd, &ev) == 0;
	int err = errno;
	if (ctl >= 0)
		close(ctl);
	if (!ok) {
		mmp_warn("oom: cannot be told of the OOMs of memory cgroup %s (%s): they stay the kernel's to decide",
			 dir, strerror(err));
		goto fail;
	}
	if (set_disabled(o, h, 1) < 0) {
		mmp_warn("oom: cannot set oom_kill_disable in %s/memory.oom_control (%s): its OOMs stay the kernel's "
			 "to decide", dir, strerror(errno));
		goto fail;
	}
	h->held = true;
	o->pol[policy].rep.held_cgroups++;
	mmp_info("oom: memory cgroup %s: mmp chooses the victim of its OOMs itself (memory.oom_control); the "
		 "kernel's OOM killer waits for it", dir);
	return;
fail:
	if (h->efd >= 0)
		close(h->efd);
	if (h->ctl_fd >= 0)
		close(h->ctl_fd);
	h->efd = h->ctl_fd = -1;
}

/* The policy's first victim among the governed processes of H's cgroup. */
static struct oom_task *first_victim(struct oom *o, const struct oom_hold *h)
{
	struct oom_task *victim = NULL;
	for (size_t i = 0; i < o->ntasks; i++) {
		struct oom_task *t = &o->tasks[i];
		if (strcmp(t->domain, h->dir) != 0 || t->cand.cls == MMP_OOM_PROTECT || !oom_alive(o, t))
			continue;
		if (!victim || oom_victim_cmp(&t->cand, &victim->cand) < 0)
			victim = t;
	}
	return victim;
}

/* Has the last victim given its memory back? Its pidfd turns readable
 * once it has exited, after its memory was released; its exit event comes
 * earlier (since 6.16 the tracepoint is before exit_mm), so the governed
 * set may have forgotten it while its memory is still charged. */
static bool victim_pending(struct oom_hold *h, long long now)
{
	if (h->victim_fd < 0)
		return false;
	struct pollfd p = { .fd = h->victim_fd, .events = POLLIN };
	if (poll(&p, 1, 0) == 0 && now - h->victim_at < VICTIM_WAIT_NS)
		return true;
	close(h->victim_fd);
	h->victim_fd = -1;
	return false;
}

/* H's cgroup is out of memory: kill the policy's victim, or give the
 * choice back to the kernel when the policy has none there. */
static void act(struct oom *o, struct oom_hold *h, long long now)
{
	if (victim_pending(h, now))
		return;   /* its memory is on its way back */
	/* The figures the choice is made on: as of now, not of the last tick. */
	for (size_t i = 0; i < o->ntasks; i++)
		if (strcmp(o->tasks[i].domain, h->dir) == 0)
			oom_refresh(o, &o->tasks[i], now);
	struct oom_task *v = first_victim(o, h);
	if (!v) {
		mmp_warn("oom: memory cgroup %s is out of memory and no governed process there may be killed: the "
			 "kernel's OOM killer chooses", h->dir);
		if (set_disabled(o, h, 0) == 0)
			h->given_back = true;
		return;
	}
	const struct governed *g = governed_find(o->gov, v->cand.pid);
	if (!g || syscall(SYS_pidfd_send_signal, g->pidfd, SIGKILL, NULL, 0) < 0) {
		mmp_warn("oom: cannot kill pid %d (%s): %s; the kernel's OOM killer chooses", v->cand.pid, v->comm,
			 strerror(g ? errno : ESRCH));
		if (set_disabled(o, h, 0) == 0)
			h->given_back = true;
		return;
	}
	struct oom_policy *p = &o->pol[v->policy];
	char why[200];
	long long usage = 0, limit = 0;
	memcg_usage(h->dir, &usage, &limit);
	snprintf(why, sizeof(why), "memory cgroup %.100s out of memory (%lld of %lld MiB)", h->dir, usage >> 20,
		 limit >> 20);
	mmp_info("oom: %s: killed pid %d (%s), %s, the first victim of policy '%s' (memory.oom_control)", why,
		 v->cand.pid, v->comm, oom_class_name(v->cand.cls), o->obj->plan.policies[v->policy].name);
	p->rep.kills++;
	p->rep.oom_kills++;
	oom_note_victim(p, v->cand.pid, v->comm, why);
	h->victim_fd = fcntl(g->pidfd, F_DUPFD_CLOEXEC, 0);   /* the governed set forgets it at its exit event */
	h->victim_at = h->last_kill = now;
}

bool oom_hold_on_fd(struct oom *o, int fd, long long now)
{
	for (size_t i = 0; i < o->nholds; i++) {
		struct oom_hold *h = &o->holds[i];
		if (h->efd != fd)
			continue;
		uint64_t n;
		while (read(fd, &n, sizeof(n)) == sizeof(n))
			;
		/* The kernel signals it too when the cgroup is removed. */
		int disabled, under;
		if (read_control(h->ctl_fd, &disabled, &under) < 0) {
			mmp_debug("oom: memory cgroup %s is gone", h->dir);
			epoll_ctl(o->epfd, EPOLL_CTL_DEL, h->efd, NULL);
			close(h->efd);
			close(h->ctl_fd);
			if (h->victim_fd >= 0)
				close(h->victim_fd);
			if (h->held && o->pol[h->policy].rep.held_cgroups)
				o->pol[h->policy].rep.held_cgroups--;
			o->holds[i] = o->holds[--o->nholds];   /* a new cgroup of its name is held anew */
		} else if (under && h->held && !h->given_back) {
			act(o, h, now);
		}
		return true;
	}
	return false;
}

void oom_holds_tick(struct oom *o, long long now)
{
	for (size_t i = 0; i < o->nholds; i++) {
		struct oom_hold *h = &o->holds[i];
		int disabled, under;
		if (!h->held || read_control(h->ctl_fd, &disabled, &under) < 0)
			continue;
		if (h->given_back) {
			/* The kernel's OOM is over: take the cgroup's OOMs back. */
			if (!under && set_disabled(o, h, 1) == 0)
				h->given_back = false;
		} else if (under && now - h->last_kill >= RECHECK_NS) {
			act(o, h, now);   /* a notice missed, or a victim that did not go */
		}
	}
}

void oom_holds_release(struct oom *o)
{
	for (size_t i = 0; i < o->nholds; i++) {
		struct oom_hold *h = &o->holds[i];
		int disabled, under;
		/* Back to the value it had, where it still holds ours: the kernel
		 * then wakes any task waiting, and kills as it would have. */
		if (h->held && read_control(h->ctl_fd, &disabled, &under) == 0 && disabled == !h->given_back &&
		    disabled != h->orig && write_control(h->ctl_fd, h->orig) < 0)
			mmp_warn("oom: cannot give the OOMs of %s back to the kernel: %s", h->dir, strerror(errno));
		if (h->efd >= 0)
			close(h->efd);
		if (h->ctl_fd >= 0)
			close(h->ctl_fd);
		if (h->victim_fd >= 0)
			close(h->victim_fd);
	}
	free(o->holds);
	o->holds = NULL;
	o->nholds = 0;
}
