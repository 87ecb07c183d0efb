/* oom.c - the 'oom' rules enforced: oom_score_adj kept in step with the
 * policy's order, the kernel's victims reported, and pre-OOM kills when a
 * trigger holds. See oom.h. */
#define _GNU_SOURCE
#include "oom.h"

#include <dirent.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bpf/mmp_shared.h"
#include "cgroups.h"
#include "compiler/stats.h"
#include "expr.h"
#include "clock.h"
#include "log.h"
#include "oom_order.h"
#include "trigger.h"

#define REFRESH_NS 1000000000LL    /* /proc figures once a second */
#define KILL_GAP_NS 1000000000LL   /* at most one pre-OOM kill a second */

struct oom_task {
	struct oom_candidate cand;     /* pid, class, score, pages, adj and floor */
	unsigned policy;                /* its pidfd and start time are the governed set's */
	char comm[16];
	int orig_adj;                  /* before mmp */
	bool touched;                  /* we changed it (or, in a dry run, would have) */
	bool written;                  /* we wrote oom_score_adj: restore it */
	/* figures */
	long long vsize, age_ms, cgroup_usage;
	long long faults0, major0, faults, major, fault_rate, major_rate;
	long long last_refresh;
	long long page;                /* the page size, for the score's statistics */
	char memcg[512], unified[512], domain[512];
	long long domain_bytes;        /* the domain's limit (0: the system) */
	unsigned rank;
};

struct oom_policy {
	const struct mmp_oom_rule *rule;   /* or NULL */
	bool kill_group;
	struct trigger *trigger;       /* kill ... when */
	long long next_kill;
	struct mmp_oom_report rep;
	bool warned_nothing;
};

struct oom {
	const struct mmp_object *obj;
	struct governed_set *gov;
	bool dry_run, can_negative;
	int mem_fd, tasks_fd, reports_fd;
	struct oom_policy *pol;
	unsigned npol;
	struct oom_task *tasks;
	size_t ntasks, cap;
	bool dirty;                    /* re-rank at the next tick */
	long long page, hz, system_pages;
	long long last_refresh;
	char **warned_domains;
	size_t nwarned;
};

/* --- reading and writing /proc ----------------------------------------- */

static int read_adj(pid_t pid, int *adj)
{
	char p[64], buf[32];
	snprintf(p, sizeof(p), "/proc/%d/oom_score_adj", (int)pid);
	int n = proc_read_file(p, buf, sizeof(buf));
	if (n <= 0)
		return n < 0 ? n : -EIO;
	*adj = atoi(buf);
	return 0;
}

static int write_adj(pid_t pid, int adj)
{
	char p[64], buf[32];
	snprintf(p, sizeof(p), "/proc/%d/oom_score_adj", (int)pid);
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int n = snprintf(buf, sizeof(buf), "%d", adj);
	int err = write(fd, buf, (size_t)n) == n ? 0 : -errno;
	close(fd);
	return err;
}

/* Is the task still the process we started governing? */
static bool alive(struct oom *o, const struct oom_task *t)
{
	const struct governed *g = governed_find(o->gov, t->cand.pid);
	return g && proc_start_time(t->cand.pid) == g->start;
}

/* CAP_SYS_RESOURCE in our effective set: may we write negative values? */
static bool have_sys_resource(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	if (!f)
		return false;
	char line[256];
	unsigned long long eff = 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return eff & (1ULL << 24);   /* CAP_SYS_RESOURCE */
}

/* Memory figures from /proc/PID/status and stat, and the fault counters.
 * The resident and swapped pages are BPF's (mmp_task_mem), current to the
 * last change; /proc's serve only until BPF has an entry. */
static void refresh(struct oom *o, struct oom_task *t, long long now)
{
	char p[64], line[512];
	long long proc_pages[MMP_MEM_COUNT] = { 0 };
	snprintf(p, sizeof(p), "/proc/%d/status", (int)t->cand.pid);
	FILE *f = fopen(p, "re");
	if (f) {
		long long kb;
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "VmPTE: %lld", &kb) == 1)
				t->cand.pte_pages = kb * 1024 / o->page;
			else if (sscanf(line, "VmSize: %lld", &kb) == 1)
				t->vsize = kb * 1024;
			else if (sscanf(line, "RssAnon: %lld", &kb) == 1)
				proc_pages[MMP_MEM_ANON] = kb * 1024 / o->page;
			else if (sscanf(line, "RssFile: %lld", &kb) == 1)
				proc_pages[MMP_MEM_FILE] = kb * 1024 / o->page;
			else if (sscanf(line, "RssShmem: %lld", &kb) == 1)
				proc_pages[MMP_MEM_SHMEM] = kb * 1024 / o->page;
			else if (sscanf(line, "VmSwap: %lld", &kb) == 1)
				proc_pages[MMP_MEM_SWAP] = kb * 1024 / o->page;
		}
		fclose(f);
	}
	snprintf(p, sizeof(p), "/proc/%d/stat", (int)t->cand.pid);
	f = fopen(p, "re");
	if (f) {
		if (fgets(line, sizeof(line), f)) {
			/* After the command name: state ppid ... minflt(10) cminflt majflt(12). */
			const char *s = strrchr(line, ')');
			unsigned long long minflt = 0, majflt = 0;
			if (s && sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %llu %*u %llu", &minflt, &majflt) == 2) {
				long long faults = (long long)(minflt + majflt) - t->faults0;
				long long major = (long long)majflt - t->major0;
				if (t->last_refresh && now > t->last_refresh) {
					long long dt = now - t->last_refresh;
					t->fault_rate = (faults - t->faults) * 1000000000LL / dt;
					t->major_rate = (major - t->major) * 1000000000LL / dt;
				}
				t->faults = faults;
				t->major = major;
			}
		}
		fclose(f);
	}
	struct timespec up;
	clock_gettime(CLOCK_BOOTTIME, &up);
	long long up_ms = up.tv_sec * 1000LL + up.tv_nsec / 1000000;
	const struct governed *g = governed_find(o->gov, t->cand.pid);
	if (g)
		t->age_ms = up_ms - (long long)(g->start * 1000ULL / (unsigned long long)o->hz);
	long long usage, limit;
	if (t->memcg[0] && memcg_usage(t->memcg, &usage, &limit) == 0)
		t->cgroup_usage = usage;
	struct mmp_task_mem m;
	__u32 key = (__u32)t->cand.pid;
	bool bpf = bpf_map_lookup_elem(o->mem_fd, &key, &m) == 0;
	for (int i = 0; i < MMP_MEM_COUNT; i++)
		t->cand.pages[i] = bpf ? m.pages[i] : proc_pages[i];
	t->last_refresh = now;
}

/* The first reading of a process's memory, from /proc; BPF keeps it from
 * then on. The fault counters start from zero here: "since mmp first saw it". */
static void seed_memory(struct oom *o, struct oom_task *t)
{
	t->faults0 = t->major0 = 0;
	t->last_refresh = 0;
	refresh(o, t, mono_ns());
	struct mmp_task_mem m = { 0 };
	for (int i = 0; i < MMP_MEM_COUNT; i++) {
		m.pages[i] = t->cand.pages[i];
		m.reported += t->cand.pages[i];
	}
	__u32 key = (__u32)t->cand.pid;
	bpf_map_update_elem(o->mem_fd, &key, &m, BPF_ANY);
	t->faults0 = t->faults;
	t->major0 = t->major;
	t->faults = t->major = 0;
}

/* --- the score ------------------------------------------------------------ */

static long long stat_value(const struct oom_task *t, enum stat_id id, long long page, bool rate)
{
	switch (id) {
	case STAT_T_RSS:
		return (t->cand.pages[MMP_MEM_FILE] + t->cand.pages[MMP_MEM_ANON] + t->cand.pages[MMP_MEM_SHMEM]) * page;
	case STAT_T_ANON: return t->cand.pages[MMP_MEM_ANON] * page;
	case STAT_T_FILE: return t->cand.pages[MMP_MEM_FILE] * page;
	case STAT_T_SHMEM: return t->cand.pages[MMP_MEM_SHMEM] * page;
	case STAT_T_SWAP: return t->cand.pages[MMP_MEM_SWAP] * page;
	case STAT_T_VSIZE: return t->vsize;
	case STAT_T_AGE: return t->age_ms;
	case STAT_T_FAULTS: return rate ? t->fault_rate : t->faults;
	case STAT_T_MAJOR_FAULTS: return rate ? t->major_rate : t->major;
	case STAT_T_CGROUP_USAGE: return t->cgroup_usage;
	default: return 0;
	}
}

static int64_t task_stat(void *ctx, enum stat_id id, bool rate)
{
	const struct oom_task *t = ctx;
	return stat_value(t, id, t->page, rate);
}

/* --- building ------------------------------------------------------------- */

static void undo(void *state);

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
	o->mem_fd = loader_map_fd(env->loaded, "mmp_task_mem");
	o->tasks_fd = loader_map_fd(env->loaded, "mmp_oom_tasks");
	o->reports_fd = loader_map_fd(env->loaded, "mmp_oom_reports");
	o->page = sysconf(_SC_PAGESIZE);
	o->hz = sysconf(_SC_CLK_TCK);
	o->system_pages = (proc_meminfo_kb("MemTotal") + proc_meminfo_kb("SwapTotal")) * 1024 / o->page;
	o->can_negative = have_sys_resource();
	for (unsigned i = 0; i < o->npol; i++) {
		struct oom_policy *p = &o->pol[i];
		p->rule = obj->plan.policies[i].oom;
		p->rep.protect_by_adj = o->can_negative;
		snprintf(p->rep.policy, sizeof(p->rep.policy), "%.63s", obj->plan.policies[i].name);
		if (!p->rule || p->rule->kill == OOM_KILL_NONE)
			continue;
		p->kill_group = p->rule->kill == OOM_KILL_GROUP;
		if (!p->rule->kill_when) {
			/* 'kill task;' without a trigger is what the kernel's OOM
			 * killer does. A group needs the kernel to kill the whole
			 * cgroup on OOM (memory.oom.group), which this runtime does
			 * not drive. */
			if (p->kill_group) {
				unsigned line, col;
				source_position(obj->unit.src, p->rule->kill_loc.start, &line, &col);
				mmp_error("%s:%u:%u: policy '%s': 'kill group' without 'when' needs memory.oom.group, "
					  "which this version of mmp does not set; give it a trigger ('kill group when "
					  "pressure full > 20%% for 5s') to kill the group ahead of the OOM killer",
					  obj->source_name, line, col, obj->plan.policies[i].name);
				undo(o);
				return -EOPNOTSUPP;
			}
			continue;
		}
		char what[160];
		snprintf(what, sizeof(what), "policy '%s': kill", obj->plan.policies[i].name);
		p->trigger = trigger_new(p->rule->kill_when, what);
		if (!p->trigger) {
			undo(o);
			return -EINVAL;
		}
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
	for (unsigned i = 0; i < o->npol; i++)
		if (o->pol[i].trigger && trigger_watch(o->pol[i].trigger, epfd) < 0)
			return -1;
	return 0;
}

static bool on_fd(void *state, int fd, long long now)
{
	struct oom *o = state;
	for (unsigned i = 0; i < o->npol; i++)
		if (o->pol[i].trigger && trigger_on_fd(o->pol[i].trigger, fd, now))
			return true;
	return false;
}

/* --- governing ------------------------------------------------------------ */

static struct oom_task *find(struct oom *o, pid_t pid)
{
	for (size_t i = 0; i < o->ntasks; i++)
		if (o->tasks[i].cand.pid == pid)
			return &o->tasks[i];
	return NULL;
}

static const char *class_name(enum mmp_oom_class c)
{
	static const char *const names[] = { "protect", "avoid", "normal", "prefer" };
	return names[c];
}

static void govern(void *state, const struct governed *g, const struct proc_info *info)
{
	struct oom *o = state;
	unsigned policy = g->policy;
	if (policy >= o->npol || !o->pol[policy].rule || find(o, info->pid))
		return;
	if (o->ntasks == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 16;
		struct oom_task *n = realloc(o->tasks, cap * sizeof(*n));
		if (!n)
			return;
		o->tasks = n;
		o->cap = cap;
	}
	struct oom_task *t = &o->tasks[o->ntasks];
	memset(t, 0, sizeof(*t));
	t->cand.pid = info->pid;
	t->policy = policy;
	t->page = o->page;
	snprintf(t->comm, sizeof(t->comm), "%.15s", info->comm);
	if (read_adj(t->cand.pid, &t->orig_adj) < 0)
		return;   /* gone */
	t->cand.adj = t->orig_adj;
	/* The order is built up from 0 (or the process's own value, when
	 * below), never down from -999: a governed process is not made safer
	 * than the processes no policy governs, which keep 0, unless the
	 * order needs the room (rank_domain). Without CAP_SYS_RESOURCE the
	 * kernel refuses values under the process's minimum, which is at
	 * most its current value and, for processes no privileged writer
	 * set, 0. */
	t->cand.lowest = t->orig_adj < 0 ? t->orig_adj : 0;
	t->cand.cls = oom_classify(o->pol[policy].rule, info);
	if (proc_memcg_dir(t->cand.pid, t->memcg, sizeof(t->memcg)) < 0)
		t->memcg[0] = '\0';
	if (proc_unified_dir(t->cand.pid, t->unified, sizeof(t->unified)) < 0)
		t->unified[0] = '\0';
	memcg_domain(t->memcg, t->domain, sizeof(t->domain), &t->domain_bytes);
	o->ntasks++;
	seed_memory(o, t);
	o->pol[policy].rep.tasks++;
	o->dirty = true;
	mmp_debug("oom: pid %d (%s): %s, oom_score_adj %d, OOM domain %s", t->cand.pid, t->comm,
		  class_name(t->cand.cls), t->orig_adj, t->domain[0] ? t->domain : "the system");
}

/* Puts T's oom_score_adj back if we changed it and it is still running. */
static bool restore(struct oom *o, struct oom_task *t)
{
	return t->written && alive(o, t) && write_adj(t->cand.pid, t->orig_adj) == 0;
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
	struct oom_task *t = find(o, g->pid);
	if (t)
		drop(o, t);
}

static void on_rss(struct oom *o, pid_t pid)
{
	if (o && find(o, pid))
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
	int err = write_adj(t->cand.pid, adj);
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
	(t->touched ? mmp_debug : mmp_info)("oom: pid %d (%s): oom_score_adj %d -> %d (%s)", t->cand.pid, t->comm,
					    t->cand.adj, adj, why);
	t->touched = t->written = true;
	t->cand.adj = adj;
	o->pol[t->policy].rep.adjustments++;
}

static void warn_domain(struct oom *o, const char *domain)
{
	for (size_t i = 0; i < o->nwarned; i++)
		if (strcmp(o->warned_domains[i], domain) == 0)
			return;
	char **n = realloc(o->warned_domains, (o->nwarned + 1) * sizeof(*n));
	if (!n)
		return;
	o->warned_domains = n;
	o->warned_domains[o->nwarned++] = strdup(domain);
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
		if (o->can_negative)
			set_adj(o, task_of(prot[i]), OOM_ADJ_MIN, 0, "protect");
		task_of(prot[i])->rank = 0;
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
		snprintf(why, sizeof(why), "%s, victim %zu of %zu", class_name(cand[k]->cls), k + 1, nc);
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
		t->cand.score = score ? calc_eval(score, task_stat, t) : oom_badness(&t->cand);
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

static void note_victim(struct oom_policy *p, pid_t pid, const char *comm, const char *reason)
{
	p->rep.last_victim = (__u32)pid;
	snprintf(p->rep.last_comm, sizeof(p->rep.last_comm), "%s", comm);
	snprintf(p->rep.last_reason, sizeof(p->rep.last_reason), "%.95s", reason);
}

static void on_victim(struct oom *o, pid_t pid)
{
	if (!o)
		return;
	struct oom_task *t = find(o, pid);
	if (!t) {
		/* Before 6.8 the tracepoint gives the victim thread's id: its
		 * process, while /proc still has it. */
		pid_t tgid = proc_tgid(pid);
		if (tgid > 0 && tgid != pid && (t = find(o, tgid)))
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
	note_victim(p, pid, t->comm, "the kernel's OOM killer");
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
		struct oom_task *t = find(o, pids[i]);
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
		struct oom_task *t = find(o, pids[i]);
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

static void act_on_trigger(struct oom *o, unsigned pi, long long now)
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
		if (t->policy != pi || t->cand.cls == MMP_OOM_PROTECT || !alive(o, t) || !in_scope(t, scope))
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
				 o->dry_run ? "dry run: would have " : "", victim->cand.pid, victim->comm, class_name(victim->cand.cls),
				 why);
			p->rep.kills++;
		}
	}
	note_victim(p, victim->cand.pid, victim->comm, why);
	/* Only new pressure counts from here: the kill's effect shows first. */
	trigger_reset(p->trigger);
	p->next_kill = now + KILL_GAP_NS;
}

/* --- the tick --------------------------------------------------------------- */

static void publish(struct oom *o)
{
	for (size_t i = 0; i < o->ntasks; i++) {
		const struct oom_task *t = &o->tasks[i];
		struct mmp_oom_task v = { .policy = t->policy, .class = t->cand.cls, .rank = t->rank, .adj = t->cand.adj,
					  .orig_adj = t->orig_adj, .score = t->cand.score };
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
			refresh(o, &o->tasks[i], now);
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
	}
	for (unsigned i = 0; i < o->npol; i++)
		if (o->pol[i].trigger)
			act_on_trigger(o, i, now);
	publish(o);
}

/* Puts back every oom_score_adj it changed. */
static void undo(void *state)
{
	struct oom *o = state;
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
		free(o->warned_domains[i]);
	free(o->warned_domains);
	free(o->pol);
	free(o->tasks);
	free(o);
}

static void on_event(void *state, const struct mmp_event *e, size_t len)
{
	if (e->kind == MMP_EV_RSS)
		on_rss(state, (pid_t)e->pid);
	else if (e->kind == MMP_EV_OOM_VICTIM)
		on_victim(state, (pid_t)e->pid);
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
