/* oom_victims.c - the victims: whom the kernel's OOM killer chose, set
 * against the policy's order, and the kills mmp makes itself ahead of it
 * when a policy's 'kill ... when' trigger holds (a process, or its whole
 * cgroup through cgroup.kill). See oom_state.h. */
#define _GNU_SOURCE
#include "oom_state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroups.h"
#include "log.h"

#define KILL_GAP_NS 1000000000LL   /* at most one pre-OOM kill a second */

void oom_note_victim(struct oom_policy *p, pid_t pid, const char *comm, const char *reason)
{
	p->rep.last_victim = (__u32)pid;
	snprintf(p->rep.last_comm, sizeof(p->rep.last_comm), "%s", comm);
	snprintf(p->rep.last_reason, sizeof(p->rep.last_reason), "%.95s", reason);
}

void oom_on_victim(struct oom *o, pid_t pid)
{
	if (!o)
		return;
	struct oom_task *t = oom_find(o, pid);
	if (!t) {
		/* Before 6.8 the tracepoint gives the victim thread's id: its
		 * process, while /proc still has it. */
		pid_t tgid = proc_tgid(pid);
		if (tgid > 0 && tgid != pid && (t = oom_find(o, tgid)))
			pid = tgid;
	}
	if (!t) {
		char comm[32];
		if (proc_comm(pid, comm, sizeof(comm)) < 0)
			snprintf(comm, sizeof(comm), "?");
		mmp_debug("oom: the kernel's OOM killer chose pid %d (%s), which no oom rule governs", pid, comm);
		return;
	}
	struct oom_policy *p = &o->pol[t->policy];
	p->rep.kernel_victims++;
	if (t->rank == 1) {
		p->rep.kernel_as_chosen++;
		mmp_info("oom: the kernel's OOM killer chose pid %d (%s): the policy's first choice", pid, t->comm);
	} else {
		const struct oom_task *first = NULL;
		for (size_t i = 0; i < o->ntasks; i++)
			if (o->tasks[i].rank == 1 && strcmp(o->tasks[i].domain, t->domain) == 0)
				first = &o->tasks[i];
		mmp_warn("oom: the kernel's OOM killer chose pid %d (%s), %s of the policy's order; its first choice "
			 "was %s%d%s%s%s",
			 pid, t->comm, t->cand.cls == MMP_OOM_PROTECT ? "a protected process" : "not first", first ? "pid " : "",
			 first ? first->cand.pid : 0, first ? " (" : "none", first ? first->comm : "", first ? ")" : "");
	}
	oom_note_victim(p, pid, t->comm, "the kernel's OOM killer");
}

/* --- pre-OOM kills ---------------------------------------------------------- */

static bool in_scope(const struct oom_task *t, const char *const *scope)
{
	if (!scope || !scope[0])
		return true;
	for (size_t i = 0; scope[i]; i++)
		if ((t->memcg[0] && cgroup_dir_under(t->memcg, scope[i])) ||
		    (t->unified[0] && cgroup_dir_under(t->unified, scope[i])))
			return true;
	return false;
}

/* Every process in DIR and below, into *PIDS. */
static void cgroup_members(const char *dir, pid_t **pids, size_t *n, size_t *cap, int depth)
{
	char p[4200];
	snprintf(p, sizeof(p), "%s/cgroup.procs", dir);
	FILE *f = fopen(p, "re");
	if (f) {
		long pid;
		while (fscanf(f, "%ld", &pid) == 1) {
			if (*n == *cap) {
				size_t nc = *cap ? *cap * 2 : 16;
				pid_t *np = realloc(*pids, nc * sizeof(*np));
				if (!np)
					break;
				*pids = np;
				*cap = nc;
			}
			(*pids)[(*n)++] = (pid_t)pid;
		}
		fclose(f);
	}
	if (depth > 16)
		return;
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		cgroup_members(p, pids, n, cap, depth + 1);
	}
	closedir(d);
}

static int kill_task(struct oom *o, struct oom_task *t)
{
	if (o->dry_run)
		return 0;
	const struct governed *g = governed_find(o->gov, t->cand.pid);
	if (!g)
		return -ESRCH;
	if (syscall(SYS_pidfd_send_signal, g->pidfd, SIGKILL, NULL, 0) < 0)
		return -errno;
	return 0;
}

/* Kills VICTIM's cgroup: every process in it, if each is one this policy
 * may kill; otherwise those that are, sparing the rest. */
static void kill_group(struct oom *o, struct oom_policy *p, struct oom_task *victim, const char *why)
{
	const char *dir = victim->unified[0] && !cgroup_dir_is_root(victim->unified) ? victim->unified :
			  victim->memcg[0] && !cgroup_dir_is_root(victim->memcg) ? victim->memcg : NULL;
	if (!dir) {
		mmp_info("oom: pid %d (%s) is in a root cgroup: killing the process alone%s (%s)", victim->cand.pid,
			 victim->comm, o->dry_run ? " (dry run)" : "", why);
		if (kill_task(o, victim) == 0)
			p->rep.kills++;
		return;
	}
	pid_t *pids = NULL;
	size_t n = 0, cap = 0, spared = 0;
	cgroup_members(dir, &pids, &n, &cap, 0);
	bool all = true;
	for (size_t i = 0; i < n; i++) {
		struct oom_task *t = oom_find(o, pids[i]);
		if (!t || t->policy != victim->policy || t->cand.cls == MMP_OOM_PROTECT)
			all = false;
	}
	char kill_file[4200];
	snprintf(kill_file, sizeof(kill_file), "%s/cgroup.kill", dir);
	if (all && access(kill_file, W_OK) == 0) {
		int fd = o->dry_run ? -2 : open(kill_file, O_WRONLY | O_CLOEXEC);
		if (fd == -2 || (fd >= 0 && write(fd, "1", 1) == 1)) {
			mmp_info("oom: %skilled cgroup %s (%zu processes, pid %d (%s) chosen): %s",
				 o->dry_run ? "dry run: would have " : "", dir, n, victim->cand.pid, victim->comm, why);
			if (fd >= 0)
				close(fd);
			p->rep.group_kills++;
			p->rep.kills += n;
			free(pids);
			return;
		}
		if (fd >= 0)
			close(fd);
	}
	size_t killed = 0;
	for (size_t i = 0; i < n; i++) {
		struct oom_task *t = oom_find(o, pids[i]);
		if (!t || t->policy != victim->policy || t->cand.cls == MMP_OOM_PROTECT) {
			spared++;
			continue;
		}
		if (kill_task(o, t) == 0)
			killed++;
	}
	mmp_info("oom: %skilled %zu processes of cgroup %s (pid %d (%s) chosen)%s%s: %s",
		 o->dry_run ? "dry run: would have " : "", killed, dir, victim->cand.pid, victim->comm,
		 spared ? "; spared the protected or ungoverned ones: " : "", spared ? "yes" : "", why);
	p->rep.group_kills++;
	p->rep.kills += killed;
	free(pids);
}

void oom_act_on_trigger(struct oom *o, unsigned pi, long long now)
{
	struct oom_policy *p = &o->pol[pi];
	const char **cgs = malloc((o->ntasks + 1) * sizeof(*cgs));
	if (!cgs)
		return;
	size_t ncg = 0;
	for (size_t i = 0; i < o->ntasks; i++)
		if (o->tasks[i].policy == pi && o->tasks[i].memcg[0])
			cgs[ncg++] = o->tasks[i].memcg;
	trigger_tick(p->trigger, now, cgs, ncg);
	free(cgs);
	const char *const *scope;
	if (now < p->next_kill || !trigger_holds(p->trigger, now, &scope))
		return;
	p->rep.trigger_fired++;
	/* The victim by the same order as the kernel's, among those in scope. */
	struct oom_task *victim = NULL;
	for (size_t i = 0; i < o->ntasks; i++) {
		struct oom_task *t = &o->tasks[i];
		if (t->policy != pi || t->cand.cls == MMP_OOM_PROTECT || !oom_alive(o, t) || !in_scope(t, scope))
			continue;
		if (!victim || oom_victim_cmp(&t->cand, &victim->cand) < 0)
			victim = t;
	}
	char why[300];
	snprintf(why, sizeof(why), "%s held", trigger_text(p->trigger));
	if (!victim) {
		if (!p->warned_nothing)
			mmp_warn("oom: policy '%s': %s, but no governed process may be killed", o->obj->plan.policies[pi].name,
				 why);
		p->warned_nothing = true;
		trigger_reset(p->trigger);
		return;
	}
	p->warned_nothing = false;
	if (p->kill_group) {
		kill_group(o, p, victim, why);
	} else {
		int err = kill_task(o, victim);
		if (err)
			mmp_warn("oom: cannot kill pid %d (%s): %s", victim->cand.pid, victim->comm, strerror(-err));
		else {
			mmp_info("oom: %skilled pid %d (%s), %s, victim 1 of its policy: %s",
				 o->dry_run ? "dry run: would have " : "", victim->cand.pid, victim->comm, oom_class_name(victim->cand.cls),
				 why);
			p->rep.kills++;
		}
	}
	oom_note_victim(p, victim->cand.pid, victim->comm, why);
	/* Only new pressure counts from here: the kill's effect shows first. */
	trigger_reset(p->trigger);
	p->next_kill = now + KILL_GAP_NS;
}
