/* enforce.c - the runtime's main loop.
 *
 *   open object -> refuse what this runtime cannot enforce -> load (verifier)
 *   -> pin maps for 'mmp stats' -> attach -> start the command (run) or scan
 *   /proc (attach) -> loop: process events, re-read mappings, collapse hot
 *   chunks within the rate budget, account huge pages from smaps
 *   -> on exit, signal or error: detach, unpin, unmount what we mounted.
 *
 * BPF observes (faults, rates, hot chunks, process and mapping events);
 * this file acts, with process_madvise on the governed processes only.
 */
#define _GNU_SOURCE
#include "enforce.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/mmp_shared.h"
#include "evict.h"
#include "hooks.h"
#include "clock.h"
#include "log.h"
#include "oom.h"
#include "pagesize.h"
#include "prefetch.h"
#include "process.h"
#include "vmas.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#define BPF_FS_MAGIC_ 0xcafe4a11
#define TRACEFS_MAGIC_ 0x74726163
#define PIN_ROOT "/sys/fs/bpf/mmp"
#define TICK_NS 100000000LL               /* 100 ms */
#define SMAPS_EVERY_NS 1000000000LL       /* account huge pages once a second */
#define COLLAPSE_MAX_CALL (1LL << 30)     /* one process_madvise covers < 2 GiB */
#define CHUNK_SETTLE_NS 50000000LL        /* a chunk quiet this long is worth collapsing */

struct governed {
	pid_t pid;
	unsigned policy;
	unsigned long long start;
	int pidfd;
	struct mmp_range *ranges;
	size_t nranges;
	__u32 *slots;                    /* a statistics slot for each region of its policy */
	bool maps_dirty;
	bool warned_truncated;
};

struct runtime {
	struct mmp_object *obj;
	const struct enforce_opts *opts;
	struct bpf_object *bpf;
	int procs_fd, stats_fd, chunks_fd, dirty_fd, meta_fd, names_fd, reports_fd, epoch_fd;
	int nice_at_start;         /* what the command of 'run' is started with */
	__u64 *epoch;              /* mmp_epoch, mapped: bumped after every change to mmp_procs */
	int cpu_fd;                /* mmp_cpu: each CPU's pending faults */
	int ncpu_vals;             /* its values, one a possible CPU */
	struct mmp_cpu *cpu_vals;
	__u64 *pending;            /* a slot's faults pending on the CPUs, by read_pending() */
	struct mmp_region_stats *view;   /* a slot's statistics with its pending faults, for evict */
	struct mmp_region_stats *stats;  /* mmp_stats, mapped: shared with BPF */
	size_t stats_len;
	__u32 *free_slots;               /* the slots of mmp_stats not handed out */
	size_t nfree;
	struct pagesize_choice *choice;
	struct mmp_region_report *reports;
	struct mmp_region_report *retired;   /* counts of processes no longer governed */
	struct governed *gov;
	size_t ngov, capgov;
	struct mmp_proc *procbuf;        /* 96 KiB: one value of the procs map */
	pid_t child;                     /* run: the command */
	int child_status;
	bool child_done, stop;
	char pindir[256];
	bool pinned, mounted_tracefs, mounted_bpffs;
	double budget;                   /* bytes that may be collapsed now */
	long long last_tick_ns, last_smaps_ns;
	struct oom *oom;                 /* the oom rules, or NULL */
	struct prefetcher *pf;
	struct evictor *ev;              /* the evict blocks, or NULL */
	struct bpf_link **perf_links;
	int *perf_fds;
	int ncpus;
};

/* --- mounts and pins --------------------------------------------------- */

static bool is_fs(const char *path, long magic)
{
	struct statfs st;
	return statfs(path, &st) == 0 && st.f_type == magic;
}

/* Mounts FSTYPE at PATH if it is not there; *mounted says to undo it. */
static int ensure_mount(const char *fstype, const char *path, long magic, bool *mounted)
{
	if (is_fs(path, magic))
		return 0;
	if (mount(fstype, path, fstype, 0, NULL) < 0) {
		int err = -errno;
		mmp_error("%s is not mounted at %s and mounting it failed: %s", fstype, path, strerror(errno));
		return err;
	}
	*mounted = true;
	mmp_info("mounted %s at %s (it is unmounted when mmp exits)", fstype, path);
	return 0;
}

static const char *const pinned_maps[] = { "mmp_meta", "mmp_names", "mmp_reports", "mmp_stats", "mmp_chunks",
					   "mmp_procs", "mmp_oom_tasks", "mmp_oom_reports" };

static void unpin(struct runtime *rt)
{
	char path[512];
	for (size_t i = 0; i < sizeof(pinned_maps) / sizeof(pinned_maps[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", rt->pindir, pinned_maps[i]);
		unlink(path);
	}
	rmdir(rt->pindir);
	rmdir(PIN_ROOT);   /* only if no other runtime is pinned there */
}

/* A pin directory left by a runtime that was killed is removed; one of a
 * runtime still running is an error. */
static int claim_pindir(struct runtime *rt)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/mmp_meta", rt->pindir);
	int fd = bpf_obj_get(path);
	if (fd < 0) {
		if (access(rt->pindir, F_OK) == 0)
			unpin(rt);   /* a directory with no meta: a runtime that died while starting */
		return 0;
	}
	struct mmp_meta meta;
	__u32 zero = 0;
	int alive = 0;
	if (bpf_map_lookup_elem(fd, &zero, &meta) == 0 && meta.runtime_pid > 0 && kill((pid_t)meta.runtime_pid, 0) == 0) {
		char comm[32] = "";
		char cpath[64];
		snprintf(cpath, sizeof(cpath), "/proc/%u/comm", meta.runtime_pid);
		FILE *f = fopen(cpath, "re");
		if (f) {
			if (fgets(comm, sizeof(comm), f))
				comm[strcspn(comm, "\n")] = '\0';
			fclose(f);
		}
		alive = strcmp(comm, "mmp") == 0;
	}
	close(fd);
	if (alive) {
		mmp_error("a runtime named '%s' is already running (pid %u); stop it or give another --name",
			  meta.name, meta.runtime_pid);
		return -EBUSY;
	}
	mmp_info("removed the pins of runtime '%s' (pid %u), which is gone", rt->obj->name, meta.runtime_pid);
	unpin(rt);
	return 0;
}

static int pin_maps(struct runtime *rt)
{
	mkdir(PIN_ROOT, 0755);
	if (mkdir(rt->pindir, 0755) < 0 && errno != EEXIST) {
		int err = -errno;
		mmp_error("cannot create %s: %s", rt->pindir, strerror(errno));
		return err;
	}
	rt->pinned = true;
	char path[512];
	for (size_t i = 0; i < sizeof(pinned_maps) / sizeof(pinned_maps[0]); i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(rt->bpf, pinned_maps[i]);
		if (!m && strncmp(pinned_maps[i], "mmp_oom", 7) == 0)
			continue;   /* only objects with oom rules have them */
		snprintf(path, sizeof(path), "%s/%s", rt->pindir, pinned_maps[i]);
		int err = m ? bpf_map__pin(m, path) : -ENOENT;
		if (err) {
			mmp_error("cannot pin %s: %s", path, strerror(-err));
			return err;
		}
	}
	return 0;
}

/* --- loading ----------------------------------------------------------- */

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* The verifier's log and libbpf's warnings, but not its chatter about
	 * the sections that carry the policy. */
	if (level == LIBBPF_DEBUG || strstr(fmt, "skipping unrecognized data section"))
		return 0;
	if (level == LIBBPF_INFO && !mmp_verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int check_kernel(void)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		mmp_error("this kernel has no BTF (/sys/kernel/btf/vmlinux); mmp needs CONFIG_DEBUG_INFO_BTF=y");
		return -ENOTSUP;
	}
	return 0;
}

static int open_bpf(struct mmp_object *obj, struct bpf_object **out, unsigned nregions)
{
	libbpf_set_print(libbpf_quiet);
	struct bpf_object *bpf = bpf_object__open_file(obj->path, NULL);
	int err = libbpf_get_error(bpf);
	if (err) {
		char msg[128];
		libbpf_strerror(err, msg, sizeof(msg));
		mmp_error("cannot open %s: %s", obj->path, msg);
		return err;
	}
	/* The report maps have a slot a region, or a policy. */
	const char *per_region[] = { "mmp_names", "mmp_reports" };
	for (int i = 0; i < 2; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(bpf, per_region[i]);
		if (m)
			bpf_map__set_max_entries(m, nregions ? nregions : 1);
	}
	struct bpf_map *per_policy = bpf_object__find_map_by_name(bpf, "mmp_oom_reports");
	if (per_policy)
		bpf_map__set_max_entries(per_policy, obj->plan.npolicies ? obj->plan.npolicies : 1);
	struct bpf_map *rodata = bpf_object__find_map_by_name(bpf, ".rodata.config");
	if (rodata) {
		/* .rodata.config holds mmp_config alone (bpf/mmp.bpf.h): set it before load. */
		size_t sz;
		const void *init = bpf_map__initial_value(rodata, &sz);
		void *copy = init && sz >= sizeof(struct mmp_config) ? malloc(sz) : NULL;
		if (copy) {
			memcpy(copy, init, sz);
			((struct mmp_config *)copy)->runtime_tgid = (__u32)getpid();
			bpf_map__set_initial_value(rodata, copy, sz);
			free(copy);
		}
	}
	err = hooks_select(bpf);
	if (err) {
		bpf_object__close(bpf);
		return err;
	}
	err = bpf_object__load(bpf);
	if (err) {
		char msg[128];
		libbpf_strerror(err, msg, sizeof(msg));
		if ((err == -EPERM || err == -EACCES) && geteuid() != 0)   /* as root, EACCES is the verifier's no */
			mmp_error("loading BPF programs needs root (or CAP_BPF, CAP_PERFMON and CAP_SYS_RESOURCE): %s", msg);
		else
			mmp_error("the kernel refused the policy's BPF programs (%s); the verifier's log is above, and its "
				  "'; ...' lines name the policy file and line", msg);
		bpf_object__close(bpf);
		return err;
	}
	*out = bpf;
	return 0;
}

int verify(struct mmp_object *obj)
{
	if (check_kernel() < 0)
		return 1;
	struct bpf_object *bpf;
	if (open_bpf(obj, &bpf, obj->plan.nregions) < 0)
		return 1;
	int n = 0;
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, bpf)
		n += bpf_program__autoload(prog);   /* not the stand-ins this kernel does not need */
	printf("%s: %d BPF programs loaded and verified\n", obj->source_name, n);
	bpf_object__close(bpf);
	return 0;
}

static int attach_major_faults(struct runtime *rt, struct bpf_program *prog)
{
	rt->ncpus = libbpf_num_possible_cpus();
	if (rt->ncpus <= 0)
		return rt->ncpus;
	rt->perf_links = calloc((size_t)rt->ncpus, sizeof(*rt->perf_links));
	rt->perf_fds = calloc((size_t)rt->ncpus, sizeof(*rt->perf_fds));
	if (!rt->perf_links || !rt->perf_fds)
		return -ENOMEM;
	for (int cpu = 0; cpu < rt->ncpus; cpu++) {
		struct perf_event_attr attr = {
			.type = PERF_TYPE_SOFTWARE,
			.size = sizeof(attr),
			.config = PERF_COUNT_SW_PAGE_FAULTS_MAJ,
			.sample_period = 1,
		};
		int fd = (int)syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
		rt->perf_fds[cpu] = fd;
		if (fd < 0) {
			if (errno == ENODEV)
				continue;   /* an offline CPU */
			int err = -errno;
			mmp_error("cannot count major faults (perf software event on CPU %d): %s", cpu, strerror(errno));
			return err;
		}
		rt->perf_links[cpu] = bpf_program__attach_perf_event(prog, fd);
		int err = libbpf_get_error(rt->perf_links[cpu]);
		if (err) {
			rt->perf_links[cpu] = NULL;
			mmp_error("cannot attach the major-fault program on CPU %d: %s", cpu, strerror(-err));
			return err;
		}
	}
	return 0;
}

static int attach_all(struct runtime *rt)
{
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, rt->bpf) {
		if (!bpf_program__autoload(prog))
			continue;   /* a stand-in this kernel does not need, or the program it stands in for */
		if (strcmp(bpf_program__name(prog), "mmp_major_fault") == 0) {
			int err = attach_major_faults(rt, prog);
			if (err)
				return err;
			continue;
		}
		struct bpf_link *link = bpf_program__attach(prog);
		int err = libbpf_get_error(link);
		if (err) {
			char msg[128];
			libbpf_strerror(err, msg, sizeof(msg));
			mmp_error("cannot attach %s (%s): %s; this kernel may lack the hook", bpf_program__name(prog),
				  bpf_program__section_name(prog), msg);
			return err;
		}
	}
	return 0;
}

/* --- governed processes ------------------------------------------------ */

/* The statistics slot of region R in G's process. */
static __u32 slot_of(const struct runtime *rt, const struct governed *g, unsigned r)
{
	return g->slots[r - rt->obj->plan.policies[g->policy].first_region];
}

/* Zeroes a slot's statistics but for its generation, which moves on by
 * BUMP: BPF drops pending faults counted under another (mmp_flush). */
static void clear_slot(struct runtime *rt, __u32 slot, __u32 bump)
{
	__u32 gen = rt->stats[slot].gen;
	memset(&rt->stats[slot], 0, sizeof(rt->stats[0]));
	__atomic_store_n(&rt->stats[slot].gen, gen + bump, __ATOMIC_SEQ_CST);
}

/* Fills rt->pending: the faults each CPU counted in its own entry and has
 * not yet added to a slot's statistics (struct mmp_cpu), for slots whose
 * generation they were counted under. One lookup reads every CPU's. */
static int read_pending(struct runtime *rt)
{
	memset(rt->pending, 0, MMP_MAX_SLOTS * sizeof(*rt->pending));
	__u32 zero = 0;
	if (bpf_map_lookup_elem(rt->cpu_fd, &zero, rt->cpu_vals) < 0)
		return -errno;
	for (int i = 0; i < rt->ncpu_vals; i++) {
		const struct mmp_cpu *c = &rt->cpu_vals[i];
		if (c->pend && c->slot < MMP_MAX_SLOTS && rt->stats[c->slot].gen == c->gen)
			rt->pending[c->slot] += c->pend;
	}
	return 0;
}

/* A slot's faults: its statistics' and the CPUs' pending ones (read_pending). */
static __u64 faults_of(const struct runtime *rt, __u32 slot)
{
	return __atomic_load_n(&rt->stats[slot].faults, __ATOMIC_SEQ_CST) + rt->pending[slot];
}

/* Hands G a zeroed slot for each region of its policy, or fails. */
static int take_slots(struct runtime *rt, struct governed *g)
{
	unsigned n = rt->obj->plan.policies[g->policy].nregions;
	if (rt->nfree < n) {
		mmp_warn("pid %d: more than %d (process, region) pairs are governed; it is not", g->pid, MMP_MAX_SLOTS);
		return -ENOSPC;
	}
	g->slots = malloc((n ? n : 1) * sizeof(*g->slots));
	if (!g->slots)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		g->slots[i] = rt->free_slots[--rt->nfree];
		clear_slot(rt, g->slots[i], 0);
	}
	return 0;
}

static void give_slots(struct runtime *rt, struct governed *g)
{
	if (!g->slots)
		return;
	const struct mmp_plan_policy *pp = &rt->obj->plan.policies[g->policy];
	/* The faults pending on the CPUs too, read so that none is missed or
	 * counted twice: BPF adds them to the statistics, then clears them;
	 * if a slot's count moved while they were read, read again. */
	for (int tries = 0; tries < 8; tries++) {
		__u64 sum = 0, again = 0;
		for (unsigned i = 0; i < pp->nregions; i++)
			sum += __atomic_load_n(&rt->stats[g->slots[i]].faults, __ATOMIC_SEQ_CST);
		if (read_pending(rt) < 0)
			break;
		for (unsigned i = 0; i < pp->nregions; i++)
			again += __atomic_load_n(&rt->stats[g->slots[i]].faults, __ATOMIC_SEQ_CST);
		if (sum == again)
			break;
	}
	for (unsigned i = 0; i < pp->nregions; i++) {
		/* The counts of a process that is gone stay in the region's totals. */
		const struct mmp_region_stats *s = &rt->stats[g->slots[i]];
		struct mmp_region_report *ret = &rt->retired[pp->first_region + i];
		ret->faults += faults_of(rt, g->slots[i]);
		ret->major_faults += s->major_faults;
		ret->pf_predictions += s->pf_predictions;
		ret->pf_pages += s->pf_pages;
		ret->pf_used += s->pf_used;
		ret->pf_late += s->pf_late;
		ret->pf_limited += s->pf_limited;
		clear_slot(rt, g->slots[i], 1);
		rt->free_slots[rt->nfree++] = g->slots[i];
	}
	free(g->slots);
	g->slots = NULL;
}

/* Each CPU caches the last range a fault hit (mmp_last); a new epoch makes
 * the next fault look its process up again. Called after every change to
 * mmp_procs, and before a slot the change freed is handed on. Atomic: the
 * exec hook bumps it too. */
static void new_epoch(struct runtime *rt)
{
	__atomic_fetch_add(rt->epoch, 1, __ATOMIC_SEQ_CST);
}

static struct governed *find_gov(struct runtime *rt, pid_t pid)
{
	for (size_t i = 0; i < rt->ngov; i++)
		if (rt->gov[i].pid == pid)
			return &rt->gov[i];
	return NULL;
}

static void forget_process_maps(struct runtime *rt, pid_t pid)
{
	__u32 key = (__u32)pid;
	bpf_map_delete_elem(rt->procs_fd, &key);
	new_epoch(rt);
	bpf_map_delete_elem(rt->dirty_fd, &key);
	/* Every chunk it left: nothing else ever removes them from the map.
	 * Collected first, since deleting while walking restarts the walk. */
	struct mmp_chunk_key k, next, *prev = NULL, *del = NULL;
	size_t ndel = 0, cap = 0;
	while (bpf_map_get_next_key(rt->chunks_fd, prev, &next) == 0) {
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
		bpf_map_delete_elem(rt->chunks_fd, &del[i]);
	free(del);
}

static void ungovern(struct runtime *rt, struct governed *g, const char *why)
{
	mmp_debug("pid %d: %s; no longer governed", g->pid, why);
	oom_forget(rt->oom, g->pid);
	prefetch_forget(rt->pf, g->pid);
	forget_process_maps(rt, g->pid);   /* first: no fault may reach a slot handed on */
	give_slots(rt, g);
	if (g->pidfd >= 0)
		close(g->pidfd);
	free(g->ranges);
	*g = rt->gov[--rt->ngov];
}

/* Resolves G's regions from /proc/PID/maps into the BPF procs map. */
static int resolve(struct runtime *rt, struct governed *g)
{
	/* Clear the dirty mark before reading: a change after this point raises
	 * a new event, and one before it is in what we read. */
	__u32 key = (__u32)g->pid;
	bpf_map_delete_elem(rt->dirty_fd, &key);
	struct vma_list vmas = { 0 };
	int err = vmas_read(g->pid, &vmas);
	if (err)
		return err;
	bool truncated;
	size_t n = regions_resolve(&rt->obj->plan, g->policy, &vmas, rt->procbuf->ranges, &truncated);
	vmas_free(&vmas);
	if (truncated && !g->warned_truncated) {
		mmp_warn("pid %d has more than %d mapped ranges in its regions; the rest are not governed", g->pid,
			 MMP_MAX_RANGES);
		g->warned_truncated = true;
	}
	for (size_t i = 0; i < n; i++)
		rt->procbuf->ranges[i].slot = slot_of(rt, g, rt->procbuf->ranges[i].region);
	rt->procbuf->policy = g->policy;
	rt->procbuf->nranges = (__u32)n;
	rt->procbuf->last = 0;
	if (bpf_map_update_elem(rt->procs_fd, &key, rt->procbuf, BPF_ANY) < 0)
		return -errno;
	new_epoch(rt);
	bool changed = n != g->nranges || !g->ranges;
	struct mmp_range *copy = realloc(g->ranges, (n ? n : 1) * sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	memcpy(copy, rt->procbuf->ranges, n * sizeof(*copy));
	g->ranges = copy;
	g->nranges = n;
	g->maps_dirty = false;
	/* The size statistic of each region, for 'when' conditions. */
	const struct mmp_plan_policy *pp = &rt->obj->plan.policies[g->policy];
	for (unsigned r = pp->first_region; r < pp->first_region + pp->nregions; r++)
		rt->stats[slot_of(rt, g, r)].size = 0;
	for (size_t i = 0; i < n; i++)
		rt->stats[copy[i].slot].size += copy[i].end - copy[i].start;
	if (changed)
		mmp_debug("pid %d: %zu ranges in policy '%s'", g->pid, n, rt->obj->plan.policies[g->policy].name);
	return 0;
}

/* The first policy whose match selects the process, or -1. */
static int policy_for(struct runtime *rt, const struct proc_info *p)
{
	for (unsigned i = 0; i < rt->obj->plan.npolicies; i++)
		if (proc_matches(rt->obj->plan.policies[i].match, p))
			return (int)i;
	return -1;
}

/* Governs PID if a policy matches it (and, for 'run', it descends from the command). */
static void consider(struct runtime *rt, pid_t pid)
{
	if (pid == getpid() || pid <= 1)
		return;
	if (rt->child > 0 && !proc_descends_from(pid, rt->child))
		return;
	struct proc_info info;
	if (proc_read(pid, &info) < 0 || !info.exe[0])
		return;   /* gone, or a kernel thread */
	int policy = policy_for(rt, &info);
	struct governed *g = find_gov(rt, pid);
	if (g && (policy < 0 || (unsigned)policy != g->policy || g->start != info.start))
		ungovern(rt, g, policy < 0 ? "it no longer matches" : "it changed");
	if (policy < 0 || find_gov(rt, pid))
		return;
	if (rt->ngov == rt->capgov) {
		size_t cap = rt->capgov ? rt->capgov * 2 : 16;
		struct governed *ng = realloc(rt->gov, cap * sizeof(*ng));
		if (!ng)
			return;
		rt->gov = ng;
		rt->capgov = cap;
	}
	g = &rt->gov[rt->ngov++];
	memset(g, 0, sizeof(*g));
	g->pid = pid;
	g->policy = (unsigned)policy;
	g->start = info.start;
	g->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (take_slots(rt, g) < 0) {
		ungovern(rt, g, "no statistics slot is free");
		return;
	}
	/* Twice: mappings made after the first read and before the process was
	 * in the map raised no event; from then on every change does. */
	if (g->pidfd < 0 || resolve(rt, g) < 0 || resolve(rt, g) < 0) {
		ungovern(rt, g, "it went away");
		return;
	}
	mmp_info("governing pid %d (%s) with policy '%s'", pid, info.comm, rt->obj->plan.policies[policy].name);
	oom_govern(rt->oom, &info, (unsigned)policy);
}

static void scan_all(struct runtime *rt)
{
	DIR *d = opendir("/proc");
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end == '\0' && pid > 0)
			consider(rt, (pid_t)pid);
	}
	closedir(d);
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct runtime *rt = ctx;
	const struct mmp_event *e = data;
	if (len < sizeof(*e))
		return 0;
	struct governed *g = find_gov(rt, (pid_t)e->pid);
	if (e->kind == MMP_EV_PREFETCH) {
		if (g && len >= sizeof(struct mmp_pf_event))
			prefetch_add(rt->pf, data, g->pidfd);
		return 0;
	}
	switch (e->kind) {
	case MMP_EV_EXEC:
	case MMP_EV_FORK:
		consider(rt, (pid_t)e->pid);
		break;
	case MMP_EV_EXIT:
		if (g)
			ungovern(rt, g, "it exited");
		break;
	case MMP_EV_RSS:
		oom_on_rss(rt->oom, (pid_t)e->pid);
		break;
	case MMP_EV_OOM_VICTIM:
		oom_on_victim(rt->oom, (pid_t)e->pid);
		break;
	case MMP_EV_MAPS:
		/* At once: faults in a new mapping count only once it is resolved. */
		if (g && resolve(rt, g) < 0)
			g->maps_dirty = true;   /* the tick tries again, or finds it gone */
		break;
	}
	return 0;
}

/* --- collapsing hot chunks --------------------------------------------- */

struct candidate {
	struct mmp_chunk_key key;
	struct mmp_chunk val;
	struct governed *g;
};

static int by_faults_desc(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;
	return x->val.faults < y->val.faults ? 1 : x->val.faults > y->val.faults ? -1 : 0;
}

static int by_address(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;
	if (x->g != y->g)
		return x->g < y->g ? -1 : 1;
	return x->key.chunk < y->key.chunk ? -1 : x->key.chunk > y->key.chunk;
}

/* Is the whole 2M chunk inside one range of its region? */
static bool chunk_inside(const struct governed *g, const struct mmp_chunk_key *k)
{
	uint64_t lo = k->chunk << MMP_CHUNK_SHIFT, hi = lo + (1ULL << MMP_CHUNK_SHIFT);
	size_t a = 0, b = g->nranges;
	while (a < b) {
		size_t mid = (a + b) / 2;
		if (g->ranges[mid].end <= lo)
			a = mid + 1;
		else
			b = mid;
	}
	return a < g->nranges && g->ranges[a].start <= lo && hi <= g->ranges[a].end && g->ranges[a].region == k->region;
}

static void mark(struct runtime *rt, struct candidate *c, enum mmp_chunk_state st, long long retry)
{
	c->val.state = st;
	c->val.retry_ns = (__u64)retry;
	bpf_map_update_elem(rt->chunks_fd, &c->key, &c->val, BPF_EXIST);
}

static void collapse_run(struct runtime *rt, struct candidate *c, size_t n)
{
	struct governed *g = c[0].g;
	uint64_t start = c[0].key.chunk << MMP_CHUNK_SHIFT, len = n << MMP_CHUNK_SHIFT;
	struct mmp_region_report *rep = &rt->reports[c[0].key.region];
	const struct mmp_plan_region *r = &rt->obj->plan.regions[c[0].key.region];
	if (rt->opts->dry_run) {
		mmp_info("dry run: would collapse %zu hot 2M chunk%s of %s.%s in pid %d at 0x%" PRIx64, n, n == 1 ? "" : "s",
			 rt->obj->plan.policies[r->policy].name, r->name, g->pid, start);
		for (size_t i = 0; i < n; i++)
			mark(rt, &c[i], MMP_CHUNK_DONE, 0);
		rep->collapses += n;
		return;
	}
	struct iovec iov = { (void *)(uintptr_t)start, len };
	long ret = syscall(SYS_process_madvise, g->pidfd, &iov, 1, MADV_COLLAPSE, 0);
	int err = ret < 0 ? errno : 0;
	long long now = mono_ns();
	if (!err) {
		mmp_debug("collapsed %zu chunk%s (%" PRIu64 " MiB) of %s.%s in pid %d at 0x%" PRIx64, n, n == 1 ? "" : "s",
			  len >> 20, rt->obj->plan.policies[r->policy].name, r->name, g->pid, start);
		for (size_t i = 0; i < n; i++)
			mark(rt, &c[i], MMP_CHUNK_DONE, 0);
		rep->collapses += n;
		return;
	}
	/* EAGAIN may follow partial work: smaps, not this, says what was done.
	 * Never retry in a tight loop: back off, and give up after five tries. */
	for (size_t i = 0; i < n; i++) {
		c[i].val.tries++;
		long long backoff = (err == EAGAIN ? 1000000000LL : 10000000000LL) * c[i].val.tries;
		mark(rt, &c[i], c[i].val.tries >= 5 ? MMP_CHUNK_FAILED : MMP_CHUNK_RETRY, now + backoff);
	}
	rep->collapse_failures += n;
	mmp_debug("collapse of %zu chunk%s of %s.%s in pid %d at 0x%" PRIx64 " failed: %s", n, n == 1 ? "" : "s",
		  rt->obj->plan.policies[r->policy].name, r->name, g->pid, start, strerror(err));
}

static void collapse_tick(struct runtime *rt, double dt)
{
	double cap = (double)rt->opts->collapse_rate;   /* at most one second's worth saved up */
	rt->budget += cap * dt;
	if (rt->budget > cap)
		rt->budget = cap;
	for (unsigned i = 0; i < rt->obj->plan.nregions; i++)
		rt->reports[i].hot_chunks = 0;

	/* BPF moves a region's current chunk into the chunk map only when faults
	 * go on elsewhere: the last chunk a region filled waits in its stats. */
	for (size_t i = 0; i < rt->ngov; i++) {
		const struct mmp_plan_policy *pp = &rt->obj->plan.policies[rt->gov[i].policy];
		for (unsigned r = pp->first_region; r < pp->first_region + pp->nregions; r++) {
			const struct mmp_region_stats *rs = &rt->stats[slot_of(rt, &rt->gov[i], r)];
			if (rt->choice[r].size != (2LL << 20) || !rs->cur_faults)
				continue;
			struct mmp_chunk_key ck = { (__u32)rt->gov[i].pid, r, rs->cur_chunk };
			struct mmp_chunk c = { .faults = rs->cur_faults, .last_ns = rs->cur_last_ns };
			bpf_map_update_elem(rt->chunks_fd, &ck, &c, BPF_NOEXIST);
		}
	}

	size_t cap_c = 1024, n = 0;
	struct candidate *cand = malloc(cap_c * sizeof(*cand));
	if (!cand)
		return;
	long long now = mono_ns();
	struct mmp_chunk_key k, next, *prev = NULL;
	while (bpf_map_get_next_key(rt->chunks_fd, prev, &next) == 0) {
		k = next;
		prev = &k;
		struct mmp_chunk v;
		if (k.region >= rt->obj->plan.nregions || bpf_map_lookup_elem(rt->chunks_fd, &k, &v) < 0)
			continue;
		rt->reports[k.region].hot_chunks++;
		if (v.state == MMP_CHUNK_DONE || v.state == MMP_CHUNK_FAILED ||
		    (v.state == MMP_CHUNK_RETRY && (long long)v.retry_ns > now))
			continue;
		if (rt->choice[k.region].size != (2LL << 20))
			continue;
		struct governed *g = find_gov(rt, (pid_t)k.tgid);
		if (!g || !chunk_inside(g, &k))
			continue;
		/* A chunk still taking faults is being filled: collapsing it now
		 * mostly fails with EAGAIN. */
		if (now - (long long)v.last_ns < CHUNK_SETTLE_NS)
			continue;
		/* Only while the region's rule holds (its 'when', at its last fault). */
		if (!(rt->stats[slot_of(rt, g, k.region)].rule_flags & MMP_RULE_PAGESIZE))
			continue;
		if (n == cap_c) {
			struct candidate *nc = realloc(cand, cap_c * 2 * sizeof(*cand));
			if (!nc)
				break;
			cand = nc;
			cap_c *= 2;
		}
		cand[n++] = (struct candidate){ k, v, g };
	}
	/* The hottest first, as far as the budget goes; then in address order,
	 * so that neighbours go in one call. */
	qsort(cand, n, sizeof(*cand), by_faults_desc);
	size_t take = 0;
	while (take < n && rt->budget >= (double)(1ULL << MMP_CHUNK_SHIFT)) {
		rt->budget -= (double)(1ULL << MMP_CHUNK_SHIFT);
		take++;
	}
	qsort(cand, take, sizeof(*cand), by_address);
	for (size_t i = 0; i < take;) {
		size_t j = i + 1;
		while (j < take && cand[j].g == cand[i].g && cand[j].key.region == cand[i].key.region &&
		       cand[j].key.chunk == cand[j - 1].key.chunk + 1 &&
		       (j - i + 1) << MMP_CHUNK_SHIFT <= COLLAPSE_MAX_CALL)
			j++;
		collapse_run(rt, &cand[i], j - i);
		i = j;
	}
	free(cand);
}

/* --- accounting from smaps --------------------------------------------- */

/* Rss, Swap and AnonHugePages of each region of G, from /proc/PID/smaps;
 * a mapping partly in a region counts in proportion. */
static void account(struct runtime *rt, struct governed *g)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/smaps", g->pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	unsigned nr = rt->obj->plan.nregions;
	uint64_t *res = calloc(nr * 3 + 1, sizeof(*res));
	if (!res) {
		fclose(f);
		return;
	}
	uint64_t *swap = res + nr, *huge = res + 2 * nr;
	char *line = NULL;
	size_t cap = 0;
	uint64_t vs = 0, ve = 0;
	while (getline(&line, &cap, f) > 0) {
		uint64_t a, b, kb;
		char field[32];
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " ", &a, &b) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			vs = a, ve = b;
			continue;
		}
		if (sscanf(line, "%31[^:]: %" SCNu64 " kB", field, &kb) != 2)
			continue;
		uint64_t *into = strcmp(field, "Rss") == 0 ? res : strcmp(field, "Swap") == 0 ? swap :
				 strcmp(field, "AnonHugePages") == 0 ? huge : NULL;
		if (!into || !kb)
			continue;
		for (size_t i = 0; i < g->nranges; i++) {
			uint64_t lo = g->ranges[i].start > vs ? g->ranges[i].start : vs;
			uint64_t hi = g->ranges[i].end < ve ? g->ranges[i].end : ve;
			if (lo < hi)
				into[g->ranges[i].region] += kb * 1024 * (hi - lo) / (ve - vs);
		}
	}
	free(line);
	fclose(f);
	const struct mmp_plan_policy *pp = &rt->obj->plan.policies[g->policy];
	for (unsigned r = pp->first_region; r < pp->first_region + pp->nregions; r++) {
		struct mmp_region_stats *s = &rt->stats[slot_of(rt, g, r)];
		s->resident = res[r];
		s->swap = swap[r];
		rt->reports[r].faults += faults_of(rt, slot_of(rt, g, r));
		rt->reports[r].major_faults += s->major_faults;
		rt->reports[r].pf_predictions += s->pf_predictions;
		rt->reports[r].pf_pages += s->pf_pages;
		rt->reports[r].pf_used += s->pf_used;
		rt->reports[r].pf_late += s->pf_late;
		rt->reports[r].pf_limited += s->pf_limited;
		rt->reports[r].huge_bytes += huge[r];
		rt->reports[r].processes++;
	}
	for (size_t i = 0; i < g->nranges; i++)
		rt->reports[g->ranges[i].region].bytes += g->ranges[i].end - g->ranges[i].start;
	free(res);
}

/* Is region R scored by an evict block? */
static bool evict_scored(const struct mmp_object *obj, unsigned r)
{
	const struct mmp_plan_region *reg = &obj->plan.regions[r];
	for (const struct mmp_node *it = obj->plan.policies[reg->policy].node->u.stmt.body; it; it = it->next) {
		if (it->kind != N_EVICT)
			continue;
		for (const struct mmp_node *sc = it->u.stmt.body; sc; sc = sc->next)
			if (sc->kind == N_SCORE && plan_region_of(&obj->plan, sc->u.stmt.name->u.name.decl) == reg)
				return true;
	}
	return false;
}

static void publish(struct runtime *rt)
{
	for (unsigned r = 0; r < rt->obj->plan.nregions; r++) {
		rt->reports[r].page_size = (__u64)rt->choice[r].size;
		rt->reports[r].rules = (rt->obj->plan.regions[r].pagesize ? MMP_RULE_PAGESIZE : 0) |
				       (rt->obj->plan.regions[r].prefetch ? MMP_RULE_PREFETCH : 0) |
				       (evict_scored(rt->obj, r) ? MMP_RULE_EVICT : 0);
		bpf_map_update_elem(rt->reports_fd, &r, &rt->reports[r], BPF_ANY);
	}
}

static void account_all(struct runtime *rt)
{
	read_pending(rt);
	for (unsigned r = 0; r < rt->obj->plan.nregions; r++) {
		struct mmp_region_report *rep = &rt->reports[r], *ret = &rt->retired[r];
		rep->processes = rep->bytes = rep->huge_bytes = 0;
		rep->faults = ret->faults;
		rep->major_faults = ret->major_faults;
		rep->pf_predictions = ret->pf_predictions;
		rep->pf_pages = ret->pf_pages;
		rep->pf_used = ret->pf_used;
		rep->pf_late = ret->pf_late;
		rep->pf_limited = ret->pf_limited;
	}
	for (size_t i = 0; i < rt->ngov; i++)
		account(rt, &rt->gov[i]);
	publish(rt);
}

/* --- eviction ------------------------------------------------------------ */

static void evict_step(struct runtime *rt)
{
	struct evict_proc *procs = calloc(rt->ngov + 1, sizeof(*procs));
	const struct mmp_region_stats **stats = NULL;
	size_t total = 0;
	for (size_t i = 0; i < rt->ngov; i++)
		total += rt->obj->plan.policies[rt->gov[i].policy].nregions;
	stats = calloc(total + 1, sizeof(*stats));
	if (!procs || !stats)
		goto out;
	size_t at = 0;
	read_pending(rt);
	for (size_t i = 0; i < rt->ngov; i++) {
		struct governed *g = &rt->gov[i];
		const struct mmp_plan_policy *pp = &rt->obj->plan.policies[g->policy];
		for (unsigned r = 0; r < pp->nregions; r++) {
			/* A copy with the faults still pending on the CPUs. */
			__u32 slot = g->slots[r];
			rt->view[slot] = rt->stats[slot];
			rt->view[slot].faults = faults_of(rt, slot);
			stats[at + r] = &rt->view[slot];
		}
		procs[i] = (struct evict_proc){ g->pid, g->pidfd, g->policy, g->ranges, g->nranges, stats + at };
		at += pp->nregions;
	}
	evict_tick(rt->ev, procs, rt->ngov);
out:
	free(procs);
	free(stats);
}

/* --- the loop ---------------------------------------------------------- */

static void tick(struct runtime *rt)
{
	long long now = mono_ns();
	double dt = rt->last_tick_ns ? (double)(now - rt->last_tick_ns) / 1e9 : 0;
	rt->last_tick_ns = now;
	for (size_t i = 0; i < rt->ngov;) {
		struct governed *g = &rt->gov[i];
		if (proc_start_time(g->pid) != g->start) {
			ungovern(rt, g, "it exited");
			continue;
		}
		if (g->maps_dirty && resolve(rt, g) < 0) {
			ungovern(rt, g, "its mappings cannot be read");
			continue;
		}
		i++;
	}
	collapse_tick(rt, dt);
	oom_tick(rt->oom);
	if (rt->ev)
		evict_step(rt);
	if (now - rt->last_smaps_ns >= SMAPS_EVERY_NS) {
		rt->last_smaps_ns = now;
		account_all(rt);
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
		execvp(rt->opts->cmd[0], rt->opts->cmd);
		fprintf(stderr, "mmp: cannot run %s: %s\n", rt->opts->cmd[0], strerror(errno));
		_exit(127);
	}
	close(pipefd[0]);
	rt->child = pid;
	*go_fd = pipefd[1];
	return 0;
}

static void reap(struct runtime *rt)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == rt->child) {
			rt->child_done = true;
			rt->child_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
	}
}

static void cleanup(struct runtime *rt)
{
	oom_free(rt->oom);   /* first: it restores oom_score_adj */
	rt->oom = NULL;
	prefetch_free(rt->pf);
	evict_free(rt->ev);
	for (size_t i = 0; i < rt->ngov; i++) {
		if (rt->gov[i].pidfd >= 0)
			close(rt->gov[i].pidfd);
		free(rt->gov[i].ranges);
		free(rt->gov[i].slots);
	}
	free(rt->free_slots);
	free(rt->cpu_vals);
	free(rt->pending);
	free(rt->view);
	if (rt->stats)
		munmap(rt->stats, rt->stats_len);
	if (rt->epoch)
		munmap(rt->epoch, (size_t)sysconf(_SC_PAGESIZE));
	free(rt->gov);
	for (int cpu = 0; rt->perf_links && cpu < rt->ncpus; cpu++) {
		if (rt->perf_links[cpu])
			bpf_link__destroy(rt->perf_links[cpu]);
		if (rt->perf_fds[cpu] >= 0)
			close(rt->perf_fds[cpu]);
	}
	free(rt->perf_links);
	free(rt->perf_fds);
	if (rt->bpf)
		bpf_object__close(rt->bpf);   /* detaches every program */
	if (rt->pinned)
		unpin(rt);
	if (rt->mounted_tracefs)
		umount2("/sys/kernel/tracing", MNT_DETACH);
	if (rt->mounted_bpffs)
		umount2("/sys/fs/bpf", MNT_DETACH);
	free(rt->choice);
	free(rt->reports);
	free(rt->retired);
	free(rt->procbuf);
}

static int fd_of(struct bpf_object *bpf, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(bpf, name);
	return m ? bpf_map__fd(m) : -1;
}

int enforce(struct mmp_object *obj, const struct enforce_opts *opts)
{
	struct runtime rt = { .obj = obj, .opts = opts, .child = -1 };
	int status = 1, go_fd = -1, epfd = -1, sfd = -1, tfd = -1;
	struct ring_buffer *rb = NULL;

	if (check_kernel() < 0)
		return 1;
	if (geteuid() != 0) {
		mmp_error("mmp must run as root: it loads BPF programs and acts on other processes");
		return 1;
	}
	snprintf(rt.pindir, sizeof(rt.pindir), "%s/%s", PIN_ROOT, opts->name ? opts->name : obj->name);
	unsigned nr = obj->plan.nregions;
	rt.choice = calloc(nr ? nr : 1, sizeof(*rt.choice));
	rt.reports = calloc(nr ? nr : 1, sizeof(*rt.reports));
	rt.retired = calloc(nr ? nr : 1, sizeof(*rt.retired));
	rt.procbuf = calloc(1, sizeof(*rt.procbuf));
	if (!rt.choice || !rt.reports || !rt.retired || !rt.procbuf)
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
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);

	if (raise_priority(&rt) < 0)
		goto out;
	if (ensure_mount("bpf", "/sys/fs/bpf", BPF_FS_MAGIC_, &rt.mounted_bpffs) < 0 ||
	    ensure_mount("tracefs", "/sys/kernel/tracing", TRACEFS_MAGIC_, &rt.mounted_tracefs) < 0)
		goto out;
	if (claim_pindir(&rt) < 0)
		goto out;
	if (open_bpf(obj, &rt.bpf, nr) < 0)
		goto out;
	rt.procs_fd = fd_of(rt.bpf, "mmp_procs");
	rt.stats_fd = fd_of(rt.bpf, "mmp_stats");
	/* An mmapable array's elements are 8-byte aligned (mmp_shared.h keeps it so). */
	_Static_assert(sizeof(struct mmp_region_stats) == 256, "mmp_region_stats is 256 bytes: each on a cache line");
	rt.stats_len = sizeof(struct mmp_region_stats) * MMP_MAX_SLOTS;
	rt.stats = mmap(NULL, rt.stats_len, PROT_READ | PROT_WRITE, MAP_SHARED, rt.stats_fd, 0);
	if (rt.stats == MAP_FAILED) {
		rt.stats = NULL;
		mmp_error("cannot map the statistics map: %s", strerror(errno));
		goto out;
	}
	rt.free_slots = malloc(MMP_MAX_SLOTS * sizeof(*rt.free_slots));
	if (!rt.free_slots)
		goto out;
	for (__u32 i = 0; i < MMP_MAX_SLOTS; i++)
		rt.free_slots[rt.nfree++] = MMP_MAX_SLOTS - 1 - i;
	rt.chunks_fd = fd_of(rt.bpf, "mmp_chunks");
	rt.cpu_fd = fd_of(rt.bpf, "mmp_cpu");
	rt.ncpu_vals = libbpf_num_possible_cpus();
	rt.cpu_vals = calloc(rt.ncpu_vals > 0 ? (size_t)rt.ncpu_vals : 1, sizeof(*rt.cpu_vals));
	rt.pending = calloc(MMP_MAX_SLOTS, sizeof(*rt.pending));
	rt.view = calloc(MMP_MAX_SLOTS, sizeof(*rt.view));
	if (rt.ncpu_vals <= 0 || !rt.cpu_vals || !rt.pending || !rt.view) {
		mmp_error("cannot read the CPUs' pending faults");
		goto out;
	}
	rt.dirty_fd = fd_of(rt.bpf, "mmp_maps_dirty");
	rt.epoch_fd = fd_of(rt.bpf, "mmp_epoch");
	rt.epoch = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE, MAP_SHARED, rt.epoch_fd, 0);
	if (rt.epoch == MAP_FAILED) {
		rt.epoch = NULL;
		mmp_error("cannot map the epoch map: %s", strerror(errno));
		goto out;
	}
	rt.meta_fd = fd_of(rt.bpf, "mmp_meta");
	rt.names_fd = fd_of(rt.bpf, "mmp_names");
	rt.reports_fd = fd_of(rt.bpf, "mmp_reports");
	struct mmp_meta meta = { .abi = MMP_ABI_VERSION, .runtime_pid = (__u32)getpid(), .nregions = nr,
				 .dry_run = opts->dry_run };
	snprintf(meta.name, sizeof(meta.name), "%s", opts->name ? opts->name : obj->name);
	struct timespec bt;
	clock_gettime(CLOCK_BOOTTIME, &bt);
	meta.started_ns = (__u64)bt.tv_sec * 1000000000ULL + (__u64)bt.tv_nsec;
	__u32 zero = 0;
	bpf_map_update_elem(rt.meta_fd, &zero, &meta, BPF_ANY);
	for (unsigned r = 0; r < nr; r++) {
		struct mmp_region_name rn = { 0 };
		snprintf(rn.policy, sizeof(rn.policy), "%s", obj->plan.policies[obj->plan.regions[r].policy].name);
		snprintf(rn.region, sizeof(rn.region), "%s", obj->plan.regions[r].name);
		bpf_map_update_elem(rt.names_fd, &r, &rn, BPF_ANY);
	}
	publish(&rt);
	int oom_err;
	rt.oom = oom_new(obj, opts->dry_run, fd_of(rt.bpf, "mmp_task_mem"), fd_of(rt.bpf, "mmp_oom_tasks"),
			 fd_of(rt.bpf, "mmp_oom_reports"), &oom_err);
	if (oom_err)
		goto out;
	rt.pf = prefetch_new(obj, opts->dry_run, rt.reports);
	if (!rt.pf)
		goto out;
	int ev_err;
	rt.ev = evict_new(obj, opts->dry_run, fd_of(rt.bpf, "mmp_files"), rt.reports, &ev_err);
	if (ev_err)
		goto out;
	if (pin_maps(&rt) < 0)
		goto out;
	rb = ring_buffer__new(fd_of(rt.bpf, "mmp_events"), on_event, &rt, NULL);
	if (!rb || attach_all(&rt) < 0)
		goto out;
	if (opts->cmd && start_child(&rt, &go_fd) < 0) {
		mmp_error("cannot start %s: %s", opts->cmd[0], strerror(errno));
		goto out;
	}
	mmp_info("policy %s attached%s; pins in %s", obj->source_name, opts->dry_run ? " (dry run: nothing is changed)" : "",
		 rt.pindir);
	if (opts->cmd) {
		if (write(go_fd, "g", 1) != 1) {
			mmp_error("cannot start %s", opts->cmd[0]);
			goto out;
		}
		close(go_fd);
		go_fd = -1;
	} else {
		scan_all(&rt);
	}

	epfd = epoll_create1(EPOLL_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	struct itimerspec its = { { 0, TICK_NS }, { 0, TICK_NS } };
	timerfd_settime(tfd, 0, &its, NULL);
	struct epoll_event ev = { .events = EPOLLIN };
	ev.data.fd = ring_buffer__epoll_fd(rb);
	epoll_ctl(epfd, EPOLL_CTL_ADD, ev.data.fd, &ev);
	ev.data.fd = sfd;
	epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &ev);
	ev.data.fd = tfd;
	epoll_ctl(epfd, EPOLL_CTL_ADD, tfd, &ev);
	if ((rt.oom && oom_watch(rt.oom, epfd) < 0) || (rt.ev && evict_watch(rt.ev, epfd) < 0)) {
		mmp_error("cannot watch the triggers: %s", strerror(errno));
		status = 1;
		goto out;
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
				if (read(tfd, &exp, sizeof(exp)) == sizeof(exp))
					tick(&rt);
			} else if (oom_on_fd(rt.oom, evs[i].data.fd)) {
				continue;
			} else if (evict_on_fd(rt.ev, evs[i].data.fd)) {
				evict_step(&rt);   /* a threshold crossed: act now, not at the next tick */
			} else {
				ring_buffer__consume(rb);
				prefetch_flush(rt.pf);   /* what the events asked for, merged */
			}
		}
		if (rt.child > 0 && rt.child_done) {
			status = rt.child_status;
			break;
		}
		if (deadline && mono_ns() >= deadline)
			break;
	}
	account_all(&rt);
	for (unsigned r = 0; r < nr; r++) {
		const struct mmp_plan_region *reg = &obj->plan.regions[r];
		const struct mmp_region_report *pr = &rt.reports[r];
		if (pr->ev_units || pr->ev_calls)
			mmp_info("%s.%s: %llu bytes evicted in %llu actions (%llu failed), %llu units scored",
				 obj->plan.policies[reg->policy].name, reg->name, (unsigned long long)pr->ev_bytes,
				 (unsigned long long)pr->ev_calls, (unsigned long long)pr->ev_errors,
				 (unsigned long long)pr->ev_units);
		if (reg->prefetch)
			mmp_info("%s.%s: %llu predictions, %llu pages asked for in %llu calls, %llu used (%llu late), %llu "
				 "major faults",
				 obj->plan.policies[reg->policy].name, reg->name, (unsigned long long)pr->pf_predictions,
				 (unsigned long long)pr->pf_pages, (unsigned long long)pr->pf_requests,
				 (unsigned long long)pr->pf_used, (unsigned long long)pr->pf_late,
				 (unsigned long long)pr->major_faults);
		if (!reg->pagesize)
			continue;
		const struct mmp_region_report *rep = &rt.reports[r];
		mmp_info("%s.%s: %llu hot chunks, %llu collapsed%s, %llu failed attempts", obj->plan.policies[reg->policy].name,
			 reg->name, (unsigned long long)rep->hot_chunks, (unsigned long long)rep->collapses,
			 opts->dry_run ? " (dry run)" : "", (unsigned long long)rep->collapse_failures);
	}
out:
	if (go_fd >= 0)
		close(go_fd);   /* the child sees EOF and exits 127 without running anything */
	if (rt.child > 0 && !rt.child_done) {
		waitpid(rt.child, &rt.child_status, 0);
	}
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
