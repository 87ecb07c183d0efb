/* oom.c - the 'oom' rules enforced: oom_score_adj kept in step with the
 * policy's order, the kernel's victims reported, and pre-OOM kills when a
 * trigger holds. See oom.h; the kind's files are listed in oom_state.h. */
#define _GNU_SOURCE
#include "oom.h"
#include "oom_state.h"

#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/capability.h>

#include <bpf/bpf.h>

#include "cgroups.h"
#include "expr.h"
#include "clock.h"
#include "log.h"
#include "process.h"

#define REFRESH_NS 1000000000LL    /* /proc figures once a second */
#define CLAIMS_NS 1000000000LL     /* other runtimes' journals read again after a second */

bool oom_alive(struct oom *o, const struct oom_task *t)
{
	const struct governed *g = governed_find(o->gov, t->cand.pid);
	return g && proc_start_time(t->cand.pid) == g->start;
}

/* --- building ------------------------------------------------------------- */

static void undo(void *state);

/* The trigger's hook: a kill rule's usage threshold in a v2 memory cgroup. */
static long long open_window(void *ctx, const char *dir, long long threshold, long long usage, long long limit)
{
	struct oom_policy *p = ctx;
	return oom_window_open(p->owner, p->index, dir, threshold, usage, limit);
}

static int setup(const struct kind_env *env, void **state)
{
	const struct mmp_object *obj = env->obj;
	bool any = false;
	for (unsigned i = 0; i < obj->plan.npolicies; i++)
		any |= obj->plan.policies[i].oom != NULL;
	if (!any)
		return 0;
	struct oom *o = calloc(1, sizeof(*o));
	if (!o || !(o->pol = calloc(obj->plan.npolicies, sizeof(*o->pol)))) {
		free(o);
		mmp_error("out of memory");
		return -ENOMEM;
	}
	o->obj = obj;
	o->gov = env->gov;
	o->npol = obj->plan.npolicies;
	o->dry_run = env->dry_run;
	o->journal = env->journal;
	o->epfd = -1;
	o->mem_fd = loader_map_fd(env->loaded, "mmp_task_mem");
	o->tasks_fd = loader_map_fd(env->loaded, "mmp_oom_tasks");
	o->reports_fd = loader_map_fd(env->loaded, "mmp_oom_reports");
	o->page = sysconf(_SC_PAGESIZE);
	o->hz = sysconf(_SC_CLK_TCK);
	o->system_pages = (proc_meminfo_kb("MemTotal") + proc_meminfo_kb("SwapTotal")) * 1024 / o->page;
	o->can_negative = proc_self_has_cap(CAP_SYS_RESOURCE);
	for (unsigned i = 0; i < o->npol; i++) {
		struct oom_policy *p = &o->pol[i];
		p->rule = obj->plan.policies[i].oom;
		p->rep.protect_by_adj = o->can_negative;
		snprintf(p->rep.policy, sizeof(p->rep.policy), "%.63s", obj->plan.policies[i].name);
		if (!p->rule || p->rule->kill == OOM_KILL_NONE)
			continue;
		p->kill_group = p->rule->kill == OOM_KILL_GROUP;
		/* 'kill task;' without a trigger is what the kernel's OOM killer
		 * does; the checker refuses 'kill group;' without one. */
		if (!p->rule->kill_when)
			continue;
		char what[160];
		snprintf(what, sizeof(what), "policy '%s': kill", obj->plan.policies[i].name);
		p->trigger = trigger_new(p->rule->kill_when, what);
		if (!p->trigger) {
			undo(o);
			return -EINVAL;
		}
		p->owner = o;
		p->index = i;
		trigger_set_window(p->trigger, open_window, p);
	}
	if (o->can_negative)
		mmp_info("oom: protected processes get oom_score_adj -1000: the kernel never chooses them");
	else
		mmp_info("oom: this runtime cannot write a negative oom_score_adj (no CAP_SYS_RESOURCE): protected "
			 "processes keep theirs and the other governed processes are raised above them");
	*state = o;
	return 0;
}

static int watch(void *state, int epfd)
{
	struct oom *o = state;
	o->epfd = epfd;   /* cgroups held later add their eventfds to it */
	for (unsigned i = 0; i < o->npol; i++)
		if (o->pol[i].trigger && trigger_watch(o->pol[i].trigger, epfd) < 0)
			return -1;
	return 0;
}

static bool on_fd(void *state, int fd, long long now)
{
	struct oom *o = state;
	for (unsigned i = 0; i < o->npol; i++)
		if (o->pol[i].trigger && trigger_on_fd(o->pol[i].trigger, fd, now)) {
			oom_act_on_trigger(o, i, now);   /* a threshold crossed: now, not at the next tick */
			return true;
		}
	return oom_hold_on_fd(o, fd, now);
}

/* --- governing ------------------------------------------------------------ */

struct oom_task *oom_find(struct oom *o, pid_t pid)
{
	for (size_t i = 0; i < o->ntasks; i++)
		if (o->tasks[i].cand.pid == pid)
			return &o->tasks[i];
	return NULL;
}

const char *oom_class_name(enum mmp_oom_class c)
{
	static const char *const names[] = { "protect", "avoid", "normal", "prefer" };
	return names[c];
}

/* A child of a governed process starts with the value mmp wrote for its
 * parent: its original is the parent's, and mmp owes it that back. */
static void inherit_original(struct oom *o, struct oom_task *t, const struct governed *g,
			     const struct proc_info *info)
{
	const struct oom_task *parent = oom_find(o, info->ppid);
	if (!parent || !parent->written || parent->cand.adj != t->cand.adj || parent->orig_adj == t->cand.adj)
		return;
	struct journal_entry rec = { t->cand.pid, g->start, parent->orig_adj, t->cand.adj };
	char who[64];   /* claimed by another runtime: its first write says so */
	if (o->dry_run || journal_record_first(o->journal, &rec, who, sizeof(who)) != 0)
		return;
	t->orig_adj = parent->orig_adj;
	t->written = t->touched = true;
}

/* True the first time KEY is asked about: a warning said once. */
static bool first_time(struct oom *o, const char *key)
{
	for (size_t i = 0; i < o->nwarned; i++)
		if (strcmp(o->warned[i], key) == 0)
			return false;
	char **n = realloc(o->warned, (o->nwarned + 1) * sizeof(*n));
	if (!n || !(n[o->nwarned] = strdup(key))) {
		if (n)
			o->warned = n;
		return false;
	}
	o->warned = n;
	o->nwarned++;
	return true;
}

/* PID is left to runtime WHO, whose journal records it. */
static void say_yielded(struct oom *o, pid_t pid, const char *comm, const char *who)
{
	char key[96];
	snprintf(key, sizeof(key), "runtime %s", who);
	if (first_time(o, key))
		mmp_warn("oom: runtime '%s' orders the oom_score_adj of processes this policy matches too (pid %d, %s, "
			 "the first): this one leaves them to it; -v names each",
			 who, pid, comm);
	mmp_debug("oom: pid %d (%s): its oom_score_adj is runtime '%s''s to order", pid, comm, who);
}

static void govern(void *state, const struct governed *g, const struct proc_info *info)
{
	struct oom *o = state;
	unsigned policy = g->policy;
	if (policy >= o->npol || !o->pol[policy].rule || oom_find(o, info->pid))
		return;
	if (o->ntasks == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 16;
		struct oom_task *n = realloc(o->tasks, cap * sizeof(*n));
		if (!n) {
			mmp_warn("oom: pid %d is left out of the order: out of memory", info->pid);
			return;
		}
		o->tasks = n;
		o->cap = cap;
	}
	/* A process another runtime orders already: two would rewrite each
	 * other's values, and each put back the other's as its own. */
	long long now = mono_ns();
	if (!o->claims_ns || now - o->claims_ns >= CLAIMS_NS) {
		free(o->claims);
		o->nclaims = journal_claims(o->journal, &o->claims);
		o->claims_ns = now;
	}
	const char *who = journal_claimed(o->claims, o->nclaims, info->pid, info->start);
	if (who) {
		say_yielded(o, info->pid, info->comm, who);
		return;
	}
	struct oom_task *t = &o->tasks[o->ntasks];
	memset(t, 0, sizeof(*t));
	t->cand.pid = info->pid;
	t->policy = policy;
	t->page = o->page;
	snprintf(t->comm, sizeof(t->comm), "%.15s", info->comm);
	if (proc_read_adj(t->cand.pid, &t->orig_adj) < 0)
		return;   /* gone */
	t->cand.adj = t->orig_adj;
	inherit_original(o, t, g, info);
	/* The order is built up from 0 (or the process's own value, when
	 * below), never down from -999: a governed process is not made safer
	 * than the processes no policy governs, which keep 0, unless the
	 * order needs the room (rank_domain). Without CAP_SYS_RESOURCE the
	 * kernel refuses values under the process's minimum, which is at
	 * most its current value and, for processes no privileged writer
	 * set, 0. */
	t->cand.lowest = t->orig_adj < 0 ? t->orig_adj : 0;
	t->cand.cls = oom_classify(o->pol[policy].rule, info);
	if (proc_memcg_dir(t->cand.pid, t->memcg, sizeof(t->memcg)) < 0) {
		if (proc_start_time(t->cand.pid) != info->start)
			return;   /* gone meanwhile: not a process of the system's OOM domain */
		t->memcg[0] = '\0';
	}
	if (proc_unified_dir(t->cand.pid, t->unified, sizeof(t->unified)) < 0)
		t->unified[0] = '\0';
	memcg_domain(t->memcg, t->domain, sizeof(t->domain), &t->domain_bytes);
	o->ntasks++;
	oom_hold_domain(o, t->domain, policy);
	oom_seed_memory(o, t);
	o->pol[policy].rep.tasks++;
	o->dirty = true;
	mmp_debug("oom: pid %d (%s): %s, oom_score_adj %d, OOM domain %s", t->cand.pid, t->comm,
		  oom_class_name(t->cand.cls), t->orig_adj, t->domain[0] ? t->domain : "the system");
}

/* Puts T's oom_score_adj back if we changed it and it is still running. */
static bool restore(struct oom *o, struct oom_task *t)
{
	/* A value the process set itself since mmp's last is its own. */
	int cur;
	return t->written && oom_alive(o, t) && proc_read_adj(t->cand.pid, &cur) == 0 && cur == t->cand.adj &&
	       proc_write_adj(t->cand.pid, t->orig_adj) == 0;
}

static void drop(struct oom *o, struct oom_task *t)
{
	if (restore(o, t))
		mmp_debug("oom: pid %d (%s): no longer governed; oom_score_adj back to %d", t->cand.pid, t->comm,
			  t->orig_adj);
	__u32 key = (__u32)t->cand.pid;
	bpf_map_delete_elem(o->mem_fd, &key);
	bpf_map_delete_elem(o->tasks_fd, &key);
	if (o->pol[t->policy].rep.tasks)
		o->pol[t->policy].rep.tasks--;
	*t = o->tasks[--o->ntasks];
	o->dirty = true;
}

static void forget(void *state, const struct governed *g)
{
	struct oom *o = state;
	struct oom_task *t = oom_find(o, g->pid);
	if (t)
		drop(o, t);
}

/* Someone else than mmp wrote ADJ into PID's oom_score_adj: the process
 * itself (stress-ng makes its workers 1000) or an admin. That value is its
 * own now: what mmp puts back at the end, and where the order starts
 * from; the policy's order is written again at the next tick. The value
 * comes with the event: reading it now could give mmp's own later write,
 * which mmp then still owes back (oom_owes_after_write). */
static void on_adj(struct oom *o, pid_t pid, int adj)
{
	struct oom_task *t = oom_find(o, pid);
	const struct governed *g = governed_find(o->gov, pid);
	if (!t || !g || adj < OOM_ADJ_MIN || adj > OOM_ADJ_MAX)
		return;
	if (adj != t->orig_adj || adj != t->cand.adj)
		mmp_info("oom: pid %d (%s) had its oom_score_adj set to %d by another than mmp (mmp's was %d): that is "
			 "its own value now, and the policy's order is put back", pid, t->comm, adj, t->cand.adj);
	int cur;
	if (proc_read_adj(pid, &cur) < 0)
		cur = adj;
	bool owed = oom_owes_after_write(adj, cur, t->written, t->cand.adj);   /* never in a dry run: nothing written */
	/* Nothing of mmp's in place: a record that puts back nothing. */
	struct journal_entry rec = { pid, g->start, adj, owed ? cur : adj };
	if (t->written && !o->dry_run && journal_record(o->journal, &rec) < 0 && owed)
		mmp_warn("oom: pid %d (%s): its oom_score_adj %d cannot be recorded in %s: after a crash of mmp, the "
			 "value before it would be put back", pid, t->comm, adj, o->journal->path);
	t->orig_adj = adj;
	t->cand.adj = cur;
	if (adj < t->cand.lowest)
		t->cand.lowest = adj;
	t->written = t->touched = owed;
	o->dirty = true;
}

static void on_rss(struct oom *o, pid_t pid)
{
	if (o && oom_find(o, pid))
		o->dirty = true;
}

/* --- the order, mapped onto oom_score_adj ------------------------------------ */

static void set_adj(struct oom *o, struct oom_task *t, int adj, unsigned rank, const char *why)
{
	bool moved = rank != t->rank;
	t->rank = rank;
	if (oom_adj_settled(t->cand.adj, adj, moved, t->touched))
		return;
	if (o->dry_run) {
		mmp_info("oom: dry run: would set oom_score_adj of pid %d (%s) from %d to %d (%s)", t->cand.pid, t->comm,
			 t->cand.adj, adj, why);
		t->cand.adj = adj;
		t->touched = true;
		return;
	}
	const struct governed *g = governed_find(o->gov, t->cand.pid);
	struct journal_entry rec = { t->cand.pid, g ? g->start : 0, t->orig_adj, adj };
	/* The first record claims the process: another runtime that started
	 * at the same moment may have claimed it since govern() looked. */
	char who[64];
	int r = !g ? -ESRCH : t->written ? journal_record(o->journal, &rec) :
		journal_record_first(o->journal, &rec, who, sizeof(who));
	if (r == 1) {
		say_yielded(o, t->cand.pid, t->comm, who);
		t->yielded = true;
		return;
	}
	if (r < 0) {
		mmp_warn("oom: pid %d (%s): oom_score_adj not changed: it cannot be recorded in %s", t->cand.pid,
			 t->comm, o->journal->path);
		return;
	}
	int err = proc_write_adj(t->cand.pid, adj);
	if (err == -EACCES && adj < t->cand.adj) {
		t->cand.lowest = t->cand.adj;   /* under the process's minimum: never again */
		o->dirty = true;
		return;
	}
	if (err) {
		mmp_debug("oom: pid %d (%s): cannot write oom_score_adj %d: %s", t->cand.pid, t->comm, adj,
			  strerror(-err));
		return;
	}
	mmp_debug("oom: pid %d (%s): oom_score_adj %d -> %d (%s)", t->cand.pid, t->comm,
					    t->cand.adj, adj, why);
	t->touched = t->written = true;
	t->cand.adj = adj;
	o->pol[t->policy].rep.adjustments++;
}

static void warn_domain(struct oom *o, const char *domain)
{
	char key[600];
	snprintf(key, sizeof(key), "domain %s", domain);
	if (!first_time(o, key))
		return;
	mmp_warn("oom: in %s the governed processes differ in size too much for oom_score_adj to keep the whole "
		 "order; the first victims are kept first",
		 domain[0] ? domain : "the system");
}

/* The task whose candidate C is. */
static struct oom_task *task_of(struct oom_candidate *c)
{
	return (struct oom_task *)((char *)c - offsetof(struct oom_task, cand));
}

static void rank_domain(struct oom *o, struct oom_task **v, size_t n)
{
	/* v: this domain's tasks; protected ones first moved aside. */
	struct oom_candidate **prot = malloc((n + 1) * sizeof(*prot));
	struct oom_candidate **cand = malloc((n + 1) * sizeof(*cand));
	int *adj = malloc((n + 1) * sizeof(*adj));
	if (!prot || !cand || !adj)
		goto out;
	size_t np = 0, nc = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i]->cand.cls == MMP_OOM_PROTECT)
			prot[np++] = &v[i]->cand;
		else
			cand[nc++] = &v[i]->cand;
	}
	for (size_t i = 0; i < np; i++) {
		struct oom_task *t = task_of(prot[i]);
		/* Without CAP_SYS_RESOURCE: as low as the kernel lets us (a
		 * process that made itself 1000 can be brought back to 0). */
		if (o->can_negative)
			set_adj(o, t, OOM_ADJ_MIN, 0, "protect");
		else if (t->cand.adj > t->cand.lowest)
			set_adj(o, t, t->cand.lowest, 0, "protect");
		if (!o->can_negative && t->cand.adj > 0 && !t->warned_unprotected) {
			t->warned_unprotected = true;
			mmp_warn("oom: pid %d (%s) is protected, but its oom_score_adj %d cannot be lowered (it was set "
				 "with CAP_SYS_RESOURCE, which this runtime lacks): the order cannot protect it%s",
				 t->cand.pid, t->comm, t->cand.adj,
				 oom_domain_held(o, t->domain) ? "; mmp decides its cgroup's OOMs itself" :
				 o->pol[t->policy].trigger ? "; only its policy's kill rule can act before the kernel's OOM "
							     "killer there" :
				 ", nor can mmp decide the OOMs of its cgroup (not a v1 memory cgroup with a limit): a "
				 "'kill task when usage of cgroup ...' rule would act before the kernel's OOM killer");
		}
		t->rank = 0;
	}
	oom_sort_victims(cand, nc);
	long long total = v[0]->domain_bytes ? v[0]->domain_bytes / o->page : o->system_pages;
	if (total <= 0)
		total = 1;
	bool ok = oom_fit_domain(cand, nc, prot, np, total, o->can_negative, adj);
	if (!ok && nc > 1)
		warn_domain(o, v[0]->domain);
	for (size_t k = 0; k < nc; k++) {
		char why[64];
		snprintf(why, sizeof(why), "%s, victim %zu of %zu", oom_class_name(cand[k]->cls), k + 1, nc);
		set_adj(o, task_of(cand[k]), adj[k], (unsigned)k + 1, why);
	}
out:
	free(prot);
	free(cand);
	free(adj);
}

static int by_domain(const void *a, const void *b)
{
	return strcmp((*(struct oom_task *const *)a)->domain, (*(struct oom_task *const *)b)->domain);
}

static void rank_all(struct oom *o)
{
	if (!o->ntasks)
		return;
	struct oom_task **v = malloc(o->ntasks * sizeof(*v));
	if (!v)
		return;
	for (size_t i = 0; i < o->ntasks; i++) {
		struct oom_task *t = &o->tasks[i];
		const struct mmp_calc *score = o->pol[t->policy].rule->score;
		t->cand.score = score ? calc_eval(score, oom_task_stat, t) : oom_badness(&t->cand);
		v[i] = t;
	}
	qsort(v, o->ntasks, sizeof(*v), by_domain);
	for (size_t i = 0; i < o->ntasks;) {
		size_t j = i + 1;
		while (j < o->ntasks && strcmp(v[j]->domain, v[i]->domain) == 0)
			j++;
		rank_domain(o, v + i, j - i);
		i = j;
	}
	free(v);
}

/* --- the kernel's victims ---------------------------------------------------- */

/* --- the tick --------------------------------------------------------------- */

static void publish(struct oom *o)
{
	for (size_t i = 0; i < o->ntasks; i++) {
		const struct oom_task *t = &o->tasks[i];
		struct mmp_oom_task v = { .policy = t->policy, .class = t->cand.cls, .rank = t->rank, .adj = t->cand.adj,
					  .orig_adj = t->orig_adj, .score = t->cand.score,
					  .oom_by = oom_domain_held(o, t->domain)	? MMP_OOM_BY_MMP
						    : oom_in_window(o, t->policy, t->memcg) ? MMP_OOM_BY_KILL_RULE
										 : MMP_OOM_BY_KERNEL };
		snprintf(v.comm, sizeof(v.comm), "%s", t->comm);
		__u32 key = (__u32)t->cand.pid;
		bpf_map_update_elem(o->tasks_fd, &key, &v, BPF_ANY);
	}
	for (__u32 i = 0; i < o->npol; i++)
		bpf_map_update_elem(o->reports_fd, &i, &o->pol[i].rep, BPF_ANY);
}

static void tick(void *state, long long now, double dt)
{
	struct oom *o = state;
	/* Exited processes are gone already: the governed set forgets them
	 * (forget) before the kinds' ticks. */
	if (now - o->last_refresh >= REFRESH_NS) {
		o->last_refresh = now;
		for (size_t i = 0; i < o->ntasks; i++)
			oom_refresh(o, &o->tasks[i], now);
		o->dirty = true;
	} else if (o->dirty) {
		/* A memory event: BPF's counters are current, the rest can wait. */
		for (size_t i = 0; i < o->ntasks; i++) {
			struct mmp_task_mem m;
			__u32 key = (__u32)o->tasks[i].cand.pid;
			if (bpf_map_lookup_elem(o->mem_fd, &key, &m) == 0)
				memcpy(o->tasks[i].cand.pages, m.pages, sizeof(m.pages));
		}
	}
	if (o->dirty) {
		o->dirty = false;
		rank_all(o);
		/* Those another runtime claimed first leave the order (drop()
		 * moves the last task into the slot). */
		for (size_t i = 0; i < o->ntasks;)
			if (o->tasks[i].yielded)
				drop(o, &o->tasks[i]);
			else
				i++;
	}
	for (unsigned i = 0; i < o->npol; i++)
		if (o->pol[i].trigger)
			oom_act_on_trigger(o, i, now);
	oom_holds_tick(o, now);
	publish(o);
}

/* Puts back every oom_score_adj it changed. */
static void undo(void *state)
{
	struct oom *o = state;
	oom_holds_release(o);   /* first: no task may wait for a runtime on its way out */
	oom_windows_release(o);
	size_t restored = 0;
	for (size_t i = 0; i < o->ntasks; i++) {
		struct oom_task *t = &o->tasks[i];
		if (restore(o, t))
			restored++;
	}
	if (restored)
		mmp_info("oom: restored the oom_score_adj of %zu process%s", restored, restored == 1 ? "" : "es");
	for (unsigned i = 0; i < o->npol; i++)
		trigger_free(o->pol[i].trigger);
	for (size_t i = 0; i < o->nwarned; i++)
		free(o->warned[i]);
	free(o->warned);
	free(o->claims);
	free(o->pol);
	free(o->tasks);
	free(o);
}

static void on_event(void *state, const struct mmp_event *e, size_t len)
{
	if (e->kind == MMP_EV_RSS)
		on_rss(state, (pid_t)e->pid);
	else if (e->kind == MMP_EV_ADJ)
		on_adj(state, (pid_t)e->pid, (int)(__s32)e->parent);
	else if (e->kind == MMP_EV_OOM_VICTIM)
		oom_on_victim(state, (pid_t)e->pid);
}

const struct kind oom_kind = {
	.name = "oom",
	.setup = setup,
	.watch = watch,
	.on_fd = on_fd,
	.on_event = on_event,
	.govern = govern,
	.forget = forget,
	.tick = tick,
	.undo = undo,
};
