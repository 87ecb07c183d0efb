/* governed.c - the registry of governed processes. A process is taken on
 * when a policy's match selects it (at exec, fork, or the scan at start),
 * its regions are resolved from /proc/PID/maps into BPF's mmp_procs, and
 * it is forgotten when it exits or stops matching: then its slots' counts
 * go to the region's retired counts and every BPF entry of it is removed.
 */
#define _GNU_SOURCE
#include "governed.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "compiler/hash.h"
#include "cgroups.h"
#include "log.h"
#include "pins.h"
#include "report.h"
#include "vmas.h"

/* The statistics slot of region R in G's process. */
__u32 governed_slot(const struct governed_set *s, const struct governed *g, unsigned r)
{
	return g->slots[r - s->plan->policies[g->policy].first_region];
}

/* Zeroes a slot's statistics but for its generation, which moves on by
 * BUMP: BPF drops pending faults counted under another (mmp_flush). */
static void clear_slot(struct governed_set *s, __u32 slot, __u32 bump)
{
	__u32 gen = s->stats[slot].gen;
	memset(&s->stats[slot], 0, sizeof(s->stats[0]));
	__atomic_store_n(&s->stats[slot].gen, gen + bump, __ATOMIC_SEQ_CST);
}

/* Fills s->pending: the faults each CPU counted in its own entry and has
 * not yet added to a slot's statistics (struct mmp_cpu), for slots whose
 * generation they were counted under. One lookup reads every CPU's. */
int governed_read_pending(struct governed_set *s)
{
	memset(s->pending, 0, MMP_MAX_SLOTS * sizeof(*s->pending));
	__u32 zero = 0;
	if (bpf_map_lookup_elem(s->cpu_fd, &zero, s->cpu_vals) < 0)
		return -errno;
	for (int i = 0; i < s->ncpu_vals; i++) {
		const struct mmp_cpu *c = &s->cpu_vals[i];
		if (c->pend && c->slot < MMP_MAX_SLOTS && s->stats[c->slot].gen == c->gen)
			s->pending[c->slot] += c->pend;
	}
	return 0;
}

/* A slot's faults: its statistics' and the CPUs' pending ones (read_pending). */
__u64 governed_faults(const struct governed_set *s, __u32 slot)
{
	return __atomic_load_n(&s->stats[slot].faults, __ATOMIC_SEQ_CST) + s->pending[slot];
}

/* Hands G a zeroed slot for each region of its policy, or fails. */
static int take_slots(struct governed_set *s, struct governed *g)
{
	unsigned n = s->plan->policies[g->policy].nregions;
	if (s->nfree < n) {
		mmp_warn("pid %d: more than %d (process, region) pairs are governed; it is not", g->pid, MMP_MAX_SLOTS);
		return -ENOSPC;
	}
	g->slots = malloc((n ? n : 1) * sizeof(*g->slots));
	if (!g->slots)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		g->slots[i] = s->free_slots[--s->nfree];
		clear_slot(s, g->slots[i], 0);
	}
	return 0;
}

static void give_slots(struct governed_set *s, struct governed *g)
{
	if (!g->slots)
		return;
	const struct mmp_plan_policy *pp = &s->plan->policies[g->policy];
	/* The faults pending on the CPUs too, read so that none is missed or
	 * counted twice: BPF adds them to the statistics, then clears them;
	 * if a slot's count moved while they were read, read again. */
	for (int tries = 0; tries < 8; tries++) {
		__u64 sum = 0, again = 0;
		for (unsigned i = 0; i < pp->nregions; i++)
			sum += __atomic_load_n(&s->stats[g->slots[i]].faults, __ATOMIC_SEQ_CST);
		if (governed_read_pending(s) < 0)
			break;
		for (unsigned i = 0; i < pp->nregions; i++)
			again += __atomic_load_n(&s->stats[g->slots[i]].faults, __ATOMIC_SEQ_CST);
		if (sum == again)
			break;
	}
	for (unsigned i = 0; i < pp->nregions; i++) {
		/* The counts of a process that is gone stay in the region's totals. */
		report_add_counts(&s->retired[pp->first_region + i], &s->stats[g->slots[i]],
				  governed_faults(s, g->slots[i]));
		clear_slot(s, g->slots[i], 1);
		s->free_slots[s->nfree++] = g->slots[i];
	}
	free(g->slots);
	g->slots = NULL;
}

/* Each CPU caches the last range a fault hit (mmp_last); a new epoch makes
 * the next fault look its process up again. Called after every change to
 * mmp_procs, and before a slot the change freed is handed on. Atomic: the
 * exec hook bumps it too. */
static void new_epoch(struct governed_set *s)
{
	__atomic_fetch_add(s->epoch, 1, __ATOMIC_SEQ_CST);
}

struct governed *governed_find(struct governed_set *s, pid_t pid)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->gov[i].pid == pid)
			return &s->gov[i];
	return NULL;
}

static void forget_process_maps(struct governed_set *s, pid_t pid)
{
	__u32 key = (__u32)pid;
	bpf_map_delete_elem(s->procs_fd, &key);
	new_epoch(s);
	bpf_map_delete_elem(s->dirty_fd, &key);
	/* Every chunk it left: nothing else ever removes them from the map.
	 * Collected first, since deleting while walking restarts the walk. */
	struct mmp_chunk_key k, next, *prev = NULL, *del = NULL;
	size_t ndel = 0, cap = 0;
	while (bpf_map_get_next_key(s->chunks_fd, prev, &next) == 0) {
		if (next.tgid == (__u32)pid) {
			if (ndel == cap) {
				size_t ncap = cap ? cap * 2 : 256;
				struct mmp_chunk_key *nd = realloc(del, ncap * sizeof(*nd));
				if (!nd)
					break;
				del = nd;
				cap = ncap;
			}
			del[ndel++] = next;
		}
		k = next;
		prev = &k;
	}
	for (size_t i = 0; i < ndel; i++)
		bpf_map_delete_elem(s->chunks_fd, &del[i]);
	free(del);
}

void governed_drop(struct governed_set *s, struct governed *g, const char *why)
{
	mmp_debug("pid %d: %s; no longer governed", g->pid, why);
	if (s->listener.forget)
		s->listener.forget(s->listener.ctx, g);
	forget_process_maps(s, g->pid);   /* first: no fault may reach a slot handed on */
	give_slots(s, g);
	if (g->pidfd >= 0)
		close(g->pidfd);
	free(g->ranges);
	*g = s->gov[--s->n];
}

/* Resolves G's regions from /proc/PID/maps into the BPF procs map. */
static int resolve(struct governed_set *s, struct governed *g)
{
	/* Clear the dirty mark before reading: a change after this point raises
	 * a new event, and one before it is in what we read. */
	__u32 key = (__u32)g->pid;
	bpf_map_delete_elem(s->dirty_fd, &key);
	struct vma_list vmas = { 0 };
	int err = vmas_read(g->pid, &vmas);
	if (err)
		return err;
	bool truncated;
	size_t n = regions_resolve(s->plan, g->policy, &vmas, s->procbuf->ranges, &truncated);
	vmas_free(&vmas);
	if (truncated && !g->warned_truncated) {
		mmp_warn("pid %d has more than %d mapped ranges in its regions; the rest are not governed", g->pid,
			 MMP_MAX_RANGES);
		g->warned_truncated = true;
	}
	for (size_t i = 0; i < n; i++)
		s->procbuf->ranges[i].slot = governed_slot(s, g, s->procbuf->ranges[i].region);
	s->procbuf->policy = g->policy;
	s->procbuf->nranges = (__u32)n;
	s->procbuf->last = 0;
	if (bpf_map_update_elem(s->procs_fd, &key, s->procbuf, BPF_ANY) < 0)
		return -errno;
	new_epoch(s);
	bool changed = n != g->nranges || !g->ranges;
	struct mmp_range *copy = realloc(g->ranges, (n ? n : 1) * sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	memcpy(copy, s->procbuf->ranges, n * sizeof(*copy));
	g->ranges = copy;
	g->nranges = n;
	g->maps_dirty = false;
	/* The size statistic of each region, for 'when' conditions. */
	const struct mmp_plan_policy *pp = &s->plan->policies[g->policy];
	for (unsigned r = pp->first_region; r < pp->first_region + pp->nregions; r++)
		s->stats[governed_slot(s, g, r)].size = 0;
	for (size_t i = 0; i < n; i++) {
		s->stats[copy[i].slot].size += copy[i].end - copy[i].start;
		s->mapped[copy[i].region] = true;
	}
	s->policy_seen[g->policy] = true;
	if (changed)
		mmp_debug("pid %d: %zu ranges in policy '%s'", g->pid, n, s->plan->policies[g->policy].name);
	return 0;
}

/* What a match may select P by, hashed: a change is news to the kinds
 * (an oom class, a cgroup's OOM domain). */
static unsigned long long identity_of(const struct proc_info *p)
{
	uint64_t h = MMP_FNV_OFFSET;
	h = mmp_fnv1a(h, p->comm, strlen(p->comm) + 1);
	h = mmp_fnv1a(h, p->exe, strlen(p->exe) + 1);
	return mmp_fnv1a(h, p->cgroups, strlen(p->cgroups));
}

static void consider(struct governed_set *s, pid_t pid, enum governed_why why, int depth);

/* Considers each child of PID: children forked before PID was governed
 * raised no fork event (BPF reports the forks of governed processes). */
static void consider_children(struct governed_set *s, pid_t pid, int depth)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/children", (int)pid, e->d_name);
		if (proc_read_file(path, buf, sizeof(buf)) <= 0)
			continue;
		for (char *p = buf, *end; *p; p = end) {
			long child = strtol(p, &end, 10);
			if (end == p)
				break;
			if (child > 0 && !governed_find(s, (pid_t)child))
				consider(s, (pid_t)child, GOV_FOUND, depth + 1);
		}
	}
	closedir(d);
}

/* The first policy whose match selects the process, or -1. A later one
 * that selects it too is said once (mmpc warns of one that an earlier
 * covers whole; this is a partial overlap, as of 'match all' with
 * another): it does not govern the process. */
static int policy_for(struct governed_set *s, const struct proc_info *p)
{
	for (unsigned i = 0; i < s->plan->npolicies; i++) {
		if (!proc_matches(s->plan->policies[i].match, p))
			continue;
		for (unsigned j = i + 1; j < s->plan->npolicies && s->overlap_said; j++)
			if (!s->overlap_said[j] && proc_matches(s->plan->policies[j].match, p)) {
				s->overlap_said[j] = true;
				mmp_warn("pid %d (%s) matches policy '%s' too, but is governed by policy '%s', the first in "
					 "the file that matches it (said once for '%s')",
					 (int)p->pid, p->comm, s->plan->policies[j].name, s->plan->policies[i].name,
					 s->plan->policies[j].name);
			}
		return (int)i;
	}
	return -1;
}

/* Does PID hold a runtime's name lock (NAME_LOCK_DIR/NAME.lock) open? A
 * runtime does for as long as it runs, whatever build it is of. */
static bool holds_name_lock(pid_t pid)
{
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(dir);
	struct dirent *e;
	bool held = false;
	while (d && !held && (e = readdir(d))) {
		char fd[320], target[PATH_MAX], name[PIN_NAME_MAX + 1];
		snprintf(fd, sizeof(fd), "%s/%s", dir, e->d_name);
		ssize_t n = readlink(fd, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		const char *base = strrchr(target, '/');
		held = base && (size_t)(base - target) == strlen(NAME_LOCK_DIR) &&
		       strncmp(target, NAME_LOCK_DIR, strlen(NAME_LOCK_DIR)) == 0 && pins_name_of_file(base + 1, ".lock", name);
	}
	if (d)
		closedir(d);
	return held;
}

/* Another mmp runtime, or a guardian (this one's too): one of this
 * executable, one named mmp that holds a runtime's name lock (another
 * build's), or one named as a guardian is. 'match all' must not make a
 * runtime the victim of another's OOM policy, nor its guardian, which
 * puts back what a killed runtime changed. */
static bool is_mmp(const struct governed_set *s, pid_t pid, const struct proc_info *info)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	bool mmp = strcmp(info->comm, "mmp-guardian") == 0 ||
		   (s->self_ino && stat(path, &st) == 0 && st.st_dev == s->self_dev && st.st_ino == s->self_ino) ||
		   (strcmp(info->comm, "mmp") == 0 && holds_name_lock(pid));
	if (mmp)
		mmp_debug("pid %d (%s): an mmp runtime or guardian, never governed", pid, info->comm);
	return mmp;
}

static const char *const why_changed[] = {
	[GOV_FOUND] = "it changed", [GOV_EXEC] = "it exec'd", [GOV_RENAME] = "it changed its name",
	[GOV_CGROUP] = "it moved to another cgroup",
};

static void consider(struct governed_set *s, pid_t pid, enum governed_why why, int depth)
{
	if (pid == getpid() || pid <= 1 || depth > 64)
		return;
	if (s->root > 0 && !proc_descends_from(pid, s->root))
		return;
	/* The pidfd first, then /proc, then the pidfd's process still alive:
	 * while it lives its pid is not reused, so what /proc said is its. */
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct proc_info info;
	if (pidfd < 0 || proc_read(pid, &info) < 0 || !info.exe[0] ||
	    syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0) {
		if (pidfd >= 0)
			close(pidfd);
		return;   /* gone, or a kernel thread */
	}
	if (is_mmp(s, pid, &info)) {
		struct governed *was = governed_find(s, pid);
		if (was)   /* a governed process that exec'd mmp */
			governed_drop(s, was, "it is an mmp runtime now");
		close(pidfd);
		return;
	}
	int policy = policy_for(s, &info);
	unsigned long long identity = identity_of(&info);
	struct governed *g = governed_find(s, pid);
	if (g && policy < 0) {
		governed_drop(s, g, "it no longer matches");
	} else if (g && ((unsigned)policy != g->policy || g->start != info.start || why == GOV_EXEC)) {
		governed_drop(s, g, why_changed[g->start != info.start ? GOV_FOUND : why]);
	} else if (g && g->identity != identity) {
		/* Renamed or moved, and the same policy's: the kinds take it anew
		 * (an oom class may change), and BPF goes on counting it as it
		 * was. Dropped and governed again, a process that renames its
		 * main thread for each operation was ungoverned between. */
		mmp_debug("pid %d: %s; governed by policy '%s' as before", pid, why_changed[why],
			  s->plan->policies[policy].name);
		if (s->listener.forget)
			s->listener.forget(s->listener.ctx, g);
		g->identity = identity;
		if (s->listener.govern)
			s->listener.govern(s->listener.ctx, g, &info);
		close(pidfd);
		return;
	}
	if (policy < 0 || governed_find(s, pid)) {
		close(pidfd);
		return;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct governed *ng = realloc(s->gov, cap * sizeof(*ng));
		if (!ng) {
			mmp_warn("pid %d matches, but is not governed: out of memory", pid);
			close(pidfd);
			return;
		}
		s->gov = ng;
		s->cap = cap;
	}
	g = &s->gov[s->n++];
	memset(g, 0, sizeof(*g));
	g->pid = pid;
	g->policy = (unsigned)policy;
	g->start = info.start;
	g->identity = identity;
	g->pidfd = pidfd;
	if (take_slots(s, g) < 0) {
		governed_drop(s, g, "no statistics slot is free");
		return;
	}
	/* Twice: mappings made after the first read and before the process was
	 * in the map raised no event; from then on every change does. */
	if (g->pidfd < 0 || resolve(s, g) < 0 || resolve(s, g) < 0) {
		governed_drop(s, g, "it went away");
		return;
	}
	/* A line a process only with -v: 5,000 short processes are 5,000 lines. */
	mmp_debug("governing pid %d (%s) with policy '%s'", pid, info.comm, s->plan->policies[policy].name);
	s->ever++;
	if (s->listener.govern)
		s->listener.govern(s->listener.ctx, g, &info);
	consider_children(s, pid, depth);
}

void governed_consider(struct governed_set *s, pid_t pid, enum governed_why why)
{
	consider(s, pid, why, 0);
}

static void scan_proc(struct governed_set *s)
{
	DIR *d = opendir("/proc");
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end == '\0' && pid > 0)
			governed_consider(s, (pid_t)pid, GOV_FOUND);
	}
	closedir(d);
}

void governed_scan(struct governed_set *s)
{
	scan_proc(s);
	if (s->n)
		mmp_info("governing %zu running process%s (-v names them)", s->n, s->n == 1 ? "" : "es");
	else
		mmp_info("no running process matches the policy; processes that match are governed when they start");
}


void governed_maps_changed(struct governed_set *s, struct governed *g)
{
	/* At once: faults in a new mapping count only once it is resolved. */
	if (resolve(s, g) < 0)
		g->maps_dirty = true;   /* the next refresh tries again, or finds it gone */
}

/* Events lost to a full ring buffer (every CPU's count). After a loss a
 * mapping change, an exec or a fork may have gone unseen: every governed
 * process's regions are resolved again, and under attach every running
 * process considered again. */
static void recover_lost(struct governed_set *s)
{
	__u32 zero = 0;
	if (bpf_map_lookup_elem(s->cpu_fd, &zero, s->cpu_vals) < 0)
		return;
	unsigned long long lost = 0;
	for (int i = 0; i < s->ncpu_vals; i++)
		lost += s->cpu_vals[i].lost;
	if (lost <= s->lost)
		return;
	mmp_warn("%llu event%s lost (the ring buffer was full): reading every governed process's mappings again",
		 lost - s->lost, lost - s->lost == 1 ? "" : "s");
	s->lost = lost;
	for (size_t i = 0; i < s->n; i++)
		s->gov[i].maps_dirty = true;
	if (s->root < 0)
		scan_proc(s);
}

void governed_report_unmapped(const struct governed_set *s, const struct mmp_region_report *reports)
{
	for (unsigned r = 0; r < s->plan->nregions; r++) {
		const struct mmp_plan_region *reg = &s->plan->regions[r];
		/* A file region of an evict block has files a process read
		 * without mapping them: the evict kind says (its summary), as
		 * it knows them before it first scores them. */
		if (reg->may_be_file && (reports[r].rules & MMP_RULE_EVICT))
			continue;
		if (s->policy_seen && s->policy_seen[reg->policy] && !s->mapped[r] && !reports[r].ev_units)
			mmp_warn("%s.%s matched no memory in any process the policy governed: its rules had nothing "
				 "to act on", s->plan->policies[reg->policy].name, reg->name);
	}
}

void governed_refresh(struct governed_set *s)
{
	recover_lost(s);
	for (size_t i = 0; i < s->n;) {
		struct governed *g = &s->gov[i];
		if (proc_start_time(g->pid) != g->start) {
			governed_drop(s, g, "it exited");
			continue;
		}
		if (g->maps_dirty && resolve(s, g) < 0) {
			governed_drop(s, g, "its mappings cannot be read");
			continue;
		}
		i++;
	}
}

static int map_fd(const struct loaded *l, const char *name)
{
	int fd = loader_map_fd(l, name);
	if (fd < 0)
		mmp_error("the policy's object has no map %s: was it built by another mmpc?", name);
	return fd;
}

/* A matcher that names what this machine has not: a user, a cgroup. It
 * matches nothing (the cgroup: until it is made), which a typo would
 * leave unsaid. */
static void check_names(const struct mmp_test *t, const char *policy, const char *where)
{
	if (!t)
		return;
	char dir[4096];
	if (t->kind == TEST_USER && !getpwnam(t->text))
		mmp_warn("policy '%s': %s: no user '%s' on this machine: 'uid \"%s\"' matches no process", policy, where,
			 t->text, t->text);
	else if (t->kind == TEST_CGROUP && cgroup_dir(t->text, CG_MEMORY, dir, sizeof(dir)) == -ENOENT)
		mmp_warn("policy '%s': %s: cgroup \"%s\" does not exist: it matches no process until it is made", policy,
			 where, t->text);
	check_names(t->l, policy, where);
	check_names(t->r, policy, where);
}

int governed_open(struct governed_set *s, const struct mmp_plan *plan, const struct loaded *l)
{
	for (unsigned i = 0; i < plan->npolicies; i++) {
		const struct mmp_plan_policy *p = &plan->policies[i];
		check_names(p->match, p->name, "its match");
		if (p->oom) {
			check_names(p->oom->protect, p->name, "oom protect");
			check_names(p->oom->prefer, p->name, "oom prefer");
			check_names(p->oom->avoid, p->name, "oom avoid");
		}
	}
	*s = (struct governed_set){ .plan = plan, .root = -1 };
	s->overlap_said = plan->npolicies > 1 ? calloc(plan->npolicies, sizeof(*s->overlap_said)) : NULL;
	struct stat self;
	if (stat("/proc/self/exe", &self) == 0) {
		s->self_dev = self.st_dev;
		s->self_ino = self.st_ino;
	}
	s->procs_fd = map_fd(l, "mmp_procs");
	s->dirty_fd = map_fd(l, "mmp_maps_dirty");
	s->chunks_fd = map_fd(l, "mmp_chunks");
	s->cpu_fd = map_fd(l, "mmp_cpu");
	if (s->procs_fd < 0 || s->dirty_fd < 0 || s->chunks_fd < 0 || s->cpu_fd < 0)
		return -ENOENT;
	/* An mmapable array's elements are 8-byte aligned (mmp_shared.h keeps it so). */
	_Static_assert(sizeof(struct mmp_region_stats) == 256, "mmp_region_stats is 256 bytes: each on a cache line");
	s->stats_len = sizeof(struct mmp_region_stats) * MMP_MAX_SLOTS;
	s->stats = loader_map_mmap(l, "mmp_stats", s->stats_len, "the statistics map");
	if (!s->stats)
		return errno == ENOENT ? -ENOENT : -ENOMEM;
	s->epoch = loader_map_mmap(l, "mmp_epoch", (size_t)sysconf(_SC_PAGESIZE), "the epoch map");
	if (!s->epoch)
		return errno == ENOENT ? -ENOENT : -ENOMEM;
	unsigned nr = plan->nregions;
	s->ncpu_vals = libbpf_num_possible_cpus();
	s->free_slots = malloc(MMP_MAX_SLOTS * sizeof(*s->free_slots));
	s->cpu_vals = calloc(s->ncpu_vals > 0 ? (size_t)s->ncpu_vals : 1, sizeof(*s->cpu_vals));
	s->pending = calloc(MMP_MAX_SLOTS, sizeof(*s->pending));
	s->view = calloc(MMP_MAX_SLOTS, sizeof(*s->view));
	s->retired = calloc(nr ? nr : 1, sizeof(*s->retired));
	s->mapped = calloc(nr ? nr : 1, sizeof(*s->mapped));
	s->policy_seen = calloc(plan->npolicies ? plan->npolicies : 1, sizeof(*s->policy_seen));
	s->procbuf = calloc(1, sizeof(*s->procbuf));
	if (s->ncpu_vals <= 0 || !s->free_slots || !s->cpu_vals || !s->pending || !s->view || !s->retired ||
	    !s->procbuf || !s->mapped || !s->policy_seen) {
		mmp_error("cannot set up the governed processes' statistics: out of memory");
		return -ENOMEM;
	}
	for (__u32 i = 0; i < MMP_MAX_SLOTS; i++)
		s->free_slots[s->nfree++] = MMP_MAX_SLOTS - 1 - i;
	return 0;
}

void governed_close(struct governed_set *s)
{
	/* The object is being closed: its maps go with it, and the kinds have
	 * undone their changes already. */
	for (size_t i = 0; i < s->n; i++) {
		if (s->gov[i].pidfd >= 0)
			close(s->gov[i].pidfd);
		free(s->gov[i].ranges);
		free(s->gov[i].slots);
	}
	free(s->gov);
	free(s->free_slots);
	free(s->cpu_vals);
	free(s->pending);
	free(s->view);
	free(s->retired);
	free(s->mapped);
	free(s->policy_seen);
	free(s->overlap_said);
	free(s->procbuf);
	if (s->stats)
		munmap(s->stats, s->stats_len);
	if (s->epoch)
		munmap(s->epoch, (size_t)sysconf(_SC_PAGESIZE));
	*s = (struct governed_set){ 0 };
}
