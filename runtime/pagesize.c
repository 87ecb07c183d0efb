/* pagesize.c - from an eBPF-mm benefit profile to what the kernel can do.
 *
 * From outside a process, a mainline kernel gives 2M pages through
 * process_madvise(MADV_COLLAPSE). The mTHP sizes (16K..1M) are global
 * settings a process opts into with MADV_HUGEPAGE, which cannot be applied
 * to another process, so a profile that prefers them gets the best size that
 * can be applied instead, and says so. A kernel with the BPF-THP hook could
 * take them.
 */
#define _GNU_SOURCE
#include "pagesize.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "clock.h"
#include "expr.h"
#include "governed.h"
#include "guards.h"
#include "kind.h"
#include "map_dump.h"
#include "pagesize_ahead.h"
#include "pagesize_scan.h"
#include "region_stats.h"

#include "compiler/units.h"
#include "log.h"
#include "process.h"

#define SIZE_4K (4LL << 10)
#define SIZE_2M (2LL << 20)
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#define COLLAPSE_MAX_CALL (1LL << 30)     /* one process_madvise covers < 2 GiB */
#define CHUNK_SETTLE_NS 50000000LL        /* a chunk quiet this long is worth collapsing */

bool pagesize_can_collapse(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", "re");
	long long pmd = 0;
	if (f) {
		if (fscanf(f, "%lld", &pmd) != 1)
			pmd = 0;
		fclose(f);
	}
	return pmd == SIZE_2M;
}

/* The system's THP mode, the bracketed word of the 'enabled' knob:
 * "always", "madvise" or "never" (empty when there is no THP). */
static void thp_mode(char *buf, size_t len)
{
	char line[128] = "";
	if (proc_read_file("/sys/kernel/mm/transparent_hugepage/enabled", line, sizeof(line)) < 0)
		line[0] = '\0';
	const char *open = strchr(line, '['), *close = open ? strchr(open, ']') : NULL;
	size_t n = open && close ? (size_t)(close - open - 1) : 0;
	if (n >= len)
		n = len - 1;
	memcpy(buf, open ? open + 1 : "", n);
	buf[n] = '\0';
}

static void size_text(char *buf, size_t len, int64_t size)
{
	unit_format(buf, len, size, UNIT_BYTES);
}

void pagesize_choose(const struct mmp_plan *plan, struct pagesize_choice *out, bool report)
{
	bool collapse = pagesize_can_collapse();
	char mode[16];
	thp_mode(mode, sizeof(mode));
	bool always = strcmp(mode, "always") == 0;
	for (unsigned i = 0; i < plan->nregions; i++) {
		const struct mmp_plan_region *r = &plan->regions[i];
		struct pagesize_choice c = { SIZE_4K, 0, SIZE_4K, 0 };
		if (!r->pagesize) {
			out[i] = c;
			continue;
		}
		for (unsigned k = 0; k < r->pagesize->nentries; k++) {
			int64_t size = r->pagesize->entries[k].size, benefit = r->pagesize->entries[k].benefit;
			/* Ties go to the larger page: fewer TLB entries for the same benefit. */
			if (benefit > c.best_benefit || (benefit == c.best_benefit && size > c.best)) {
				c.best = size;
				c.best_benefit = benefit;
			}
			bool can = size == SIZE_4K || (size == SIZE_2M && collapse);
			if (can && (benefit > c.benefit || (benefit == c.benefit && size > c.size))) {
				c.size = size;
				c.benefit = benefit;
			}
		}
		out[i] = c;
		if (!report)
			continue;
		char best[16], used[16];
		size_text(best, sizeof(best), c.best);
		size_text(used, sizeof(used), c.size);
		const char *pol = plan->policies[r->policy].name;
		if (c.best != c.size) {
			const char *why = c.best == SIZE_2M ? "this kernel cannot collapse memory into 2M pages"
							    : "an mTHP size cannot be applied to another process on a "
							      "mainline kernel (it needs MADV_HUGEPAGE from the process "
							      "itself, or the BPF-THP hook)";
			mmp_info("%s.%s: %s pages (benefit %lld) are out of reach: %s; using %s (benefit %lld)%s", pol,
				 r->name, best, (long long)c.best_benefit, why, used, (long long)c.benefit,
				 c.size == SIZE_4K && !always ? ", so this region is left as it is" : "");
		} else if (c.size == SIZE_2M) {
			mmp_info("%s.%s: 2M pages (benefit %lld) for hot chunks, by process_madvise(MADV_COLLAPSE)%s", pol,
				 r->name, (long long)c.benefit,
				 always ? "; THP is 'always' here, so the kernel gives them at fault where it can, and mmp "
					  "collapses what is still in 4K pages"
					: "");
		} else if (!always) {
			mmp_info("%s.%s: 4K pages are best by the profile: the region is left as it is", pol, r->name);
		}
		if (c.size == SIZE_4K && always) {
			/* process_madvise() takes no MADV_NOHUGEPAGE: only the process
			 * itself, or the system's mode, can keep a region at 4K. */
			mmp_warn("%s.%s: 4K pages are the best this profile can have, but THP is 'always' here: the kernel backs the "
				 "region with 2M pages at fault, and mmp cannot keep it at 4K from outside the process "
				 "(process_madvise takes no MADV_NOHUGEPAGE); set THP to 'madvise', or have the program "
				 "call madvise(MADV_NOHUGEPAGE) on it",
				 pol, r->name);
		}
	}
}

/* --- the actuator: hot 2M chunks collapsed ------------------------------
 * BPF counts the faults of each 2M chunk of a region with a 2M rule
 * (mmp_chunks); the hottest settled chunks are collapsed with
 * process_madvise(MADV_COLLAPSE), within the rate, neighbours in one call. */

struct collapser {
	const struct mmp_plan *plan;
	const struct pagesize_choice *choice;   /* a region's size */
	struct governed_set *gov;
	struct mmp_region_report *reports;      /* hot chunks, collapses and failures counted here */
	int64_t rate;                           /* bytes a second collapsed at most */
	bool dry_run;
	double budget;                          /* bytes that may be collapsed now */
	double cpu_share;                       /* of one CPU the collapses may take */
	double cpu_budget;                      /* CPU ns they may take now */
	struct ahead *ahead;                    /* regions with 'ahead', or NULL */
	struct scan *scan;                      /* processes running before mmp: their hot chunks */
	struct guards *guards;                  /* what each process asked to be left alone */
	bool *said;                             /* by region: a guarded mapping was named */
	struct map_dump chunks;                 /* the chunk map, as read at the tick */
	struct filling *filling;                /* processes populating at the last tick */
	size_t nfilling;
};

/* A process populating its memory lately: which (a pid and its start
 * time, as a reused pid has another), and its episode. */
struct filling {
	pid_t pid;
	unsigned long long start;
	struct fill_wait w;
};

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

static void mark(struct collapser *cl, struct candidate *c, enum mmp_chunk_state st, long long retry)
{
	c->val.state = st;
	c->val.retry_ns = (__u64)retry;
	bpf_map_update_elem(cl->gov->chunks_fd, &c->key, &c->val, BPF_EXIST);
}

static void collapse_run(struct collapser *cl, struct candidate *c, size_t n)
{
	struct governed *g = c[0].g;
	uint64_t start = c[0].key.chunk << MMP_CHUNK_SHIFT, len = n << MMP_CHUNK_SHIFT;
	struct mmp_region_report *rep = &cl->reports[c[0].key.region];
	const struct mmp_plan_region *r = &cl->plan->regions[c[0].key.region];
	if (cl->dry_run) {
		mmp_info("dry run: would collapse %zu hot 2M chunk%s of %s.%s in pid %d at 0x%" PRIx64, n, n == 1 ? "" : "s",
			 cl->plan->policies[r->policy].name, r->name, g->pid, start);
		for (size_t i = 0; i < n; i++)
			mark(cl, &c[i], MMP_CHUNK_DONE, 0);
		rep->collapses += n;
		return;
	}
	struct iovec iov = { (void *)(uintptr_t)start, len };
	long long cpu0 = thread_cpu_ns();
	long ret = syscall(SYS_process_madvise, g->pidfd, &iov, 1, MADV_COLLAPSE, 0);
	int err = ret < 0 ? errno : 0;
	long long cpu = thread_cpu_ns() - cpu0;
	rep->collapse_cpu_ns += (uint64_t)cpu;
	cl->cpu_budget -= (double)cpu;
	long long now = mono_ns();
	if (!err) {
		mmp_debug("collapsed %zu chunk%s (%" PRIu64 " MiB) of %s.%s in pid %d at 0x%" PRIx64, n, n == 1 ? "" : "s",
			  len >> 20, cl->plan->policies[r->policy].name, r->name, g->pid, start);
		for (size_t i = 0; i < n; i++)
			mark(cl, &c[i], MMP_CHUNK_DONE, 0);
		rep->collapses += n;
		return;
	}
	/* EAGAIN may follow partial work: smaps, not this, says what was done.
	 * Never retry in a tight loop: back off, and give up after five tries. */
	for (size_t i = 0; i < n; i++) {
		c[i].val.tries++;
		long long backoff = (err == EAGAIN ? 1000000000LL : 10000000000LL) * c[i].val.tries;
		mark(cl, &c[i], c[i].val.tries >= 5 ? MMP_CHUNK_FAILED : MMP_CHUNK_RETRY, now + backoff);
	}
	rep->collapse_failures += n;
	mmp_debug("collapse of %zu chunk%s of %s.%s in pid %d at 0x%" PRIx64 " failed: %s", n, n == 1 ? "" : "s",
		  cl->plan->policies[r->policy].name, r->name, g->pid, start, strerror(err));
}

struct when_ctx {
	const struct mmp_region_stats *s;
	long long now;
};

static int64_t when_stat(void *ctx, enum stat_id id, bool rate)
{
	const struct when_ctx *c = ctx;
	return region_stat(c->s, id, rate, c->now, c->now);
}

/* Does REGION's rule hold for G now? A 'when' over a statistic that moves
 * without faults (idle, age, size...) is evaluated here, at each tick, with
 * the time of now: at a fault 'idle' is 0, so 'when idle > 3s' evaluated
 * only there would never hold. Any other is as BPF found it at the
 * region's last fault. */
static bool rule_holds(const struct collapser *cl, const struct governed *g, unsigned region, long long now)
{
	const struct mmp_region_stats *s = &cl->gov->stats[governed_slot(cl->gov, g, region)];
	const struct mmp_calc *when = cl->plan->regions[region].pagesize->when;
	if (!when)   /* holds without a fault: a process running before mmp may take none */
		return true;
	if (!calc_moves_without_faults(when))
		return s->rule_flags & MMP_RULE_PAGESIZE;
	struct when_ctx c = { s, now };
	return calc_eval(when, when_stat, &c) != 0;
}

/* Do G's hot chunks wait for it to populate its memory, now? A collapse
 * holds the process's mmap lock for writing while it copies 2M, and every
 * thread of it that takes a fault meanwhile waits: while a process fills
 * its memory (a JVM's pre-touch, a cache's load) that stall and the CPU
 * the copy takes are on its way, and a JVM started 1.1 to 1.5 times
 * slower than in 4K pages. The lock is the process's: its regions' rates
 * add up. NOW_FILLING collects this tick's episodes (N of them), for the
 * next; see fill_wait_step for how long they wait. */
static bool populating_holds(const struct collapser *cl, const struct governed *g, long long now,
			     struct filling *now_filling, size_t *n)
{
	const struct mmp_plan_policy *pp = &cl->plan->policies[g->policy];
	bool collapses = false;
	int64_t rate = 0;
	for (unsigned r = pp->first_region; r < pp->first_region + pp->nregions; r++) {
		collapses |= cl->choice[r].size == SIZE_2M;
		rate += region_fill_rate(&cl->gov->stats[governed_slot(cl->gov, g, r)], now);
	}
	if (!collapses)
		return false;
	struct filling f = { g->pid, g->start, { 0 } };
	for (size_t j = 0; j < cl->nfilling; j++)
		if (cl->filling[j].pid == g->pid && cl->filling[j].start == g->start) {
			f = cl->filling[j];
			break;
		}
	enum fill_say say;
	bool wait = fill_wait_step(&f.w, rate >= REGION_POPULATING_RATE, now, &say);
	if (say == FILL_SAY_BEGUN)
		mmp_debug("pid %d is populating its memory (%lld faults a second): its hot chunks wait until it is done, "
			  "%lld s at most", g->pid, (long long)rate, FILL_WAIT_MAX_NS / 1000000000LL);
	else if (say == FILL_SAY_TOO_LONG)
		mmp_debug("pid %d has populated its memory for %lld s: its hot chunks are collapsed as it goes", g->pid,
			  FILL_WAIT_MAX_NS / 1000000000LL);
	if (f.w.active)
		now_filling[(*n)++] = f;
	return wait;
}

static void collapse_tick(struct collapser *cl, double dt)
{
	double cap = (double)cl->rate;   /* at most one second's worth saved up */
	cl->budget += cap * dt;
	if (cl->budget > cap)
		cl->budget = cap;
	/* CPU, as well as bytes: what a collapse costs varies tenfold (a chunk
	 * of zero pages, or one whose 2M page needs compaction first). */
	double cpu_cap = cl->cpu_share * 1e9;
	cl->cpu_budget += cpu_cap * dt;
	if (cl->cpu_budget > cpu_cap)
		cl->cpu_budget = cpu_cap;
	for (unsigned i = 0; i < cl->plan->nregions; i++)
		cl->reports[i].hot_chunks = 0;

	/* BPF moves a region's current chunk into the chunk map only when faults
	 * go on elsewhere: the last chunk a region filled waits in its stats. */
	for (size_t i = 0; i < cl->gov->n; i++) {
		const struct mmp_plan_policy *pp = &cl->plan->policies[cl->gov->gov[i].policy];
		for (unsigned r = pp->first_region; r < pp->first_region + pp->nregions; r++) {
			const struct mmp_region_stats *rs = &cl->gov->stats[governed_slot(cl->gov, &cl->gov->gov[i], r)];
			if (cl->choice[r].size != SIZE_2M || !rs->cur_faults)
				continue;
			struct mmp_chunk_key ck = { (__u32)cl->gov->gov[i].pid, r, rs->cur_chunk };
			struct mmp_chunk c = { .faults = rs->cur_faults, .last_ns = rs->cur_last_ns };
			bpf_map_update_elem(cl->gov->chunks_fd, &ck, &c, BPF_NOEXIST);
		}
	}

	size_t cap_c = 1024, n = 0;
	struct candidate *cand = malloc(cap_c * sizeof(*cand));
	/* By the governed set's index: its hot chunks wait for it. */
	bool *held = calloc(cl->gov->n ? cl->gov->n : 1, sizeof(*held));
	struct filling *filling = calloc(cl->gov->n ? cl->gov->n : 1, sizeof(*filling));
	size_t nfilling = 0;
	if (!cand || !held || !filling) {
		free(cand);
		free(held);
		free(filling);
		return;
	}
	long long now = mono_ns();
	for (size_t i = 0; i < cl->gov->n; i++)
		held[i] = populating_holds(cl, &cl->gov->gov[i], now, filling, &nfilling);
	size_t nchunks = map_dump_read(&cl->chunks, cl->gov->chunks_fd);
	const struct mmp_chunk_key *keys = cl->chunks.keys;
	const struct mmp_chunk *vals = cl->chunks.values;
	for (size_t ci = 0; ci < nchunks; ci++) {
		struct mmp_chunk_key k = keys[ci];
		struct mmp_chunk v = vals[ci];
		if (k.region >= cl->plan->nregions)
			continue;
		if (cl->choice[k.region].size != SIZE_2M) {
			/* A profile left at 4K here (a 64K it cannot have, no
			 * MADV_COLLAPSE): BPF counts its chunks all the same, and
			 * they would fill the map that other regions' need. */
			bpf_map_delete_elem(cl->gov->chunks_fd, &k);
			continue;
		}
		cl->reports[k.region].hot_chunks++;
		if (v.state == MMP_CHUNK_DONE || v.state == MMP_CHUNK_FAILED ||
		    (v.state == MMP_CHUNK_RETRY && (long long)v.retry_ns > now))
			continue;
		struct governed *g = governed_find(cl->gov, (pid_t)k.tgid);
		if (!g || !chunk_inside(g, &k))
			continue;
		/* A chunk still taking faults is being filled: collapsing it now
		 * mostly fails with EAGAIN. */
		if (now - (long long)v.last_ns < CHUNK_SETTLE_NS)
			continue;
		/* Nor while the process fills any of its memory. */
		if (held[g - cl->gov->gov])
			continue;
		/* Only while the region's rule holds. */
		if (!rule_holds(cl, g, k.region, now))
			continue;
		/* Never where the process asked otherwise (mlock, NOHUGEPAGE...). */
		uint64_t lo = k.chunk << MMP_CHUNK_SHIFT;
		unsigned flags;
		const char *why = guards_check(cl->guards, g->pid, lo, lo + (1ULL << MMP_CHUNK_SHIFT), &flags);
		if (why) {
			/* Looked at again in a second: the process may lift it, or
			 * the mappings settle. */
			struct candidate left = { k, v, g };
			mark(cl, &left, MMP_CHUNK_RETRY, now + 1000000000LL);
			if (why != guards_unmapped) {
				if (!cl->said[k.region])
					mmp_info("%s.%s: memory of pid %d at 0x%" PRIx64 " is left as the process has it: %s",
						 cl->plan->policies[cl->plan->regions[k.region].policy].name,
						 cl->plan->regions[k.region].name, g->pid, lo, why);
				cl->said[k.region] = true;
			}
			continue;
		}
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
	while (take < n && cl->budget >= (double)(1ULL << MMP_CHUNK_SHIFT)) {
		cl->budget -= (double)(1ULL << MMP_CHUNK_SHIFT);
		take++;
	}
	qsort(cand, take, sizeof(*cand), by_address);
	size_t i = 0;
	while (i < take && cl->cpu_budget > 0) {
		size_t j = i + 1;
		while (j < take && cand[j].g == cand[i].g && cand[j].key.region == cand[i].key.region &&
		       cand[j].key.chunk == cand[j - 1].key.chunk + 1 &&
		       (j - i + 1) << MMP_CHUNK_SHIFT <= COLLAPSE_MAX_CALL)
			j++;
		collapse_run(cl, &cand[i], j - i);
		i = j;
	}
	/* What the CPU cap left for a later tick keeps its bytes. */
	cl->budget += (double)(take - i) * (double)(1ULL << MMP_CHUNK_SHIFT);
	free(cand);
	free(held);
	free(cl->filling);
	cl->filling = filling;
	cl->nfilling = nfilling;
}

/* --- the kind ------------------------------------------------------------ */

/* A fault in a new chunk of a region with 'ahead': the chunks after it
 * are prepared, while the rule holds, in the mapping it is in. */
static void on_event(void *state, const struct mmp_event *ev, size_t len)
{
	struct collapser *cl = state;
	if (ev->kind == MMP_EV_GUARDS || ev->kind == MMP_EV_MAPS) {
		guards_changed(cl->guards, (pid_t)ev->pid, ev->kind == MMP_EV_GUARDS && ev->parent == 1);
		return;
	}
	if (!cl->ahead)
		return;
	const struct mmp_ahead_event *e = (const void *)ev;
	if (ev->kind != MMP_EV_AHEAD || len < sizeof(*e) || e->region >= cl->plan->nregions ||
	    cl->choice[e->region].size != SIZE_2M || !cl->plan->regions[e->region].pagesize->ahead)
		return;
	struct governed *g = governed_find(cl->gov, (pid_t)e->pid);
	const struct mmp_plan_policy *pp = g ? &cl->plan->policies[g->policy] : NULL;
	if (!g || e->region < pp->first_region || e->region >= pp->first_region + pp->nregions)
		return;
	uint64_t addr = e->chunk << MMP_CHUNK_SHIFT;
	for (size_t i = 0; i < g->nranges; i++) {
		const struct mmp_range *r = &g->ranges[i];
		if (r->region != e->region || addr + (1ULL << MMP_CHUNK_SHIFT) <= r->start || addr >= r->end)
			continue;
		if (rule_holds(cl, g, e->region, mono_ns()))
			ahead_fault(cl->ahead, g->pid, g->pidfd, e->tid, e->region, e->chunk, r->start, r->end);
		return;
	}
}

static void govern(void *state, const struct governed *g, const struct proc_info *info)
{
	(void)info;
	struct collapser *cl = state;
	scan_govern(cl->scan, g);
}

static void forget(void *state, const struct governed *g)
{
	struct collapser *cl = state;
	scan_forget(cl->scan, g->pid);
	if (cl->ahead)
		ahead_forget(cl->ahead, g->pid);
	guards_forget(cl->guards, g->pid);
}

static int setup(const struct kind_env *env, void **state)
{
	/* Hot chunks are counted for every region with a page-size rule, for
	 * 'mmp stats', even where 4K is what it gets. */
	bool any = false;
	for (unsigned r = 0; r < env->obj->plan.nregions; r++)
		any |= env->obj->plan.regions[r].pagesize != NULL;
	if (!any)
		return 0;
	struct collapser *cl = calloc(1, sizeof(*cl));
	if (!cl) {
		mmp_error("out of memory");
		return -ENOMEM;
	}
	*cl = (struct collapser){ .plan = &env->obj->plan, .choice = env->choice, .gov = env->gov,
				  .reports = env->reports, .rate = env->collapse_rate, .dry_run = env->dry_run,
				  .cpu_share = (env->collapse_cpu ? env->collapse_cpu : 50) / 100.0,
				  .chunks = { .key_size = sizeof(struct mmp_chunk_key), .value_size = sizeof(struct mmp_chunk) } };
	cl->guards = guards_new();
	cl->said = calloc(env->obj->plan.nregions, sizeof(*cl->said));
	cl->scan = scan_new(&env->obj->plan, env->choice, env->gov->chunks_fd, env->reports, env->dry_run);
	if (!cl->guards || !cl->said || !cl->scan) {
		mmp_error("out of memory");
		scan_free(cl->scan);
		guards_free(cl->guards);
		free(cl->said);
		free(cl);
		return -ENOMEM;
	}
	bool ahead = false;
	for (unsigned r = 0; r < env->obj->plan.nregions; r++) {
		const struct mmp_pagesize_rule *ps = env->obj->plan.regions[r].pagesize;
		if (ps && ps->ahead && env->choice[r].size == SIZE_2M)
			ahead = true;
		else if (ps && ps->ahead)
			mmp_warn("%s.%s: 'ahead' is not applied: it prepares 2M pages, which this kernel cannot collapse",
				 env->obj->plan.policies[env->obj->plan.regions[r].policy].name, env->obj->plan.regions[r].name);
	}
	char mode[16];
	thp_mode(mode, sizeof(mode));
	if (ahead && strcmp(mode, "always") == 0) {
		/* A read there would map the huge zero page, which the write
		 * then splits into 4K pages: worse than nothing. */
		mmp_info("'ahead' has nothing to add here: THP is 'always', so the kernel gives 2M pages at the first "
			 "touch itself");
		ahead = false;
	}
	struct ahead_costs costs = { 0 };
	const char *refused = ahead ? ahead_kernel_refuses(&costs) : NULL;
	for (unsigned r = 0; refused && r < env->obj->plan.nregions; r++) {
		const struct mmp_pagesize_rule *ps = env->obj->plan.regions[r].pagesize;
		if (ps && ps->ahead && env->choice[r].size == SIZE_2M)
			mmp_warn("%s.%s: 'ahead' is not applied: %s; its 2M pages come from collapsing hot chunks",
				 env->obj->plan.policies[env->obj->plan.regions[r].policy].name,
				 env->obj->plan.regions[r].name, refused);
	}
	if (refused)
		ahead = false;
	if (ahead) {
		/* The process being prepared for runs on a CPU of its own. */
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		unsigned workers = ncpu > 2 ? (unsigned)(ncpu / 2) : 1;
		if (workers > 8)
			workers = 8;
		if (costs.chunk_4k_ns && costs.collapse_ns)
			mmp_info("ahead: here a 2M chunk takes %.2f ms to write in 4K pages (%.2f us a fault) and %.2f ms "
				 "to collapse; %u worker%s prepare%s chunks",
				 (double)costs.chunk_4k_ns / 1e6,
				 (double)costs.chunk_4k_ns / 1e3 / (double)((1L << MMP_CHUNK_SHIFT) / sysconf(_SC_PAGESIZE)),
				 (double)costs.collapse_ns / 1e6, workers, workers == 1 ? "" : "s", workers == 1 ? "s" : "");
		cl->ahead = ahead_new(&env->obj->plan, env->reports, cl->guards, env->dry_run, workers, costs);
		if (!cl->ahead) {
			scan_free(cl->scan);
			guards_free(cl->guards);
			free(cl->said);
			free(cl);
			return -ENOMEM;
		}
	}
	*state = cl;
	return 0;
}

static void tick(void *state, long long now, double dt)
{
	struct collapser *cl = state;
	scan_tick(cl->scan, cl->gov, now);
	collapse_tick(cl, dt);
	if (!cl->ahead)
		return;
	/* The follower moves frontiers on between faults: only while the rule holds. */
	for (size_t i = 0; i < cl->gov->n; i++) {
		const struct governed *g = &cl->gov->gov[i];
		const struct mmp_plan_policy *pp = &cl->plan->policies[g->policy];
		for (unsigned r = pp->first_region; r < pp->first_region + pp->nregions; r++)
			if (cl->choice[r].size == SIZE_2M && cl->plan->regions[r].pagesize &&
			    cl->plan->regions[r].pagesize->ahead)
				ahead_hold(cl->ahead, g->pid, r, rule_holds(cl, g, r, now));
	}
	ahead_publish(cl->ahead);
}

/* The times preparing paused for a process that outran it, as the
 * summary says them; "" for none. */
static const char *paused_text(uint64_t paused, char *buf, size_t len)
{
	if (!paused)
		return "";
	snprintf(buf, len, "; paused %llu time%s, a process writing faster than chunks were prepared",
		 (unsigned long long)paused, paused == 1 ? "" : "s");
	return buf;
}

static void summary(void *state)
{
	struct collapser *cl = state;
	if (cl->ahead)
		ahead_publish(cl->ahead);
	for (unsigned r = 0; r < cl->plan->nregions; r++) {
		const struct mmp_plan_region *reg = &cl->plan->regions[r];
		const struct mmp_region_report *rep = &cl->reports[r];
		char pt[96];
		if (reg->pagesize && cl->choice[r].size != SIZE_2M)
			mmp_info("%s.%s: left in the pages it had: 2M is not what its profile chooses here (said at start)",
				 cl->plan->policies[reg->policy].name, reg->name);
		else if (reg->pagesize)
			mmp_info("%s.%s: %llu hot chunks (%llu found at attach), %llu collapsed%s, %llu failed attempts, "
				 "%.2f s CPU",
				 cl->plan->policies[reg->policy].name, reg->name, (unsigned long long)rep->hot_chunks,
				 (unsigned long long)rep->scan_hot,
				 (unsigned long long)rep->collapses, cl->dry_run ? " (dry run)" : "",
				 (unsigned long long)rep->collapse_failures, (double)rep->collapse_cpu_ns / 1e9);
		if (reg->pagesize && reg->pagesize->ahead && cl->ahead)
			mmp_info("%s.%s: ahead: %llu chunks prepared%s, %llu failed, %llu left alone, %llu prepared beyond "
				 "the last fault, %llu seen written without a fault, %.2f s CPU%s",
				 cl->plan->policies[reg->policy].name, reg->name, (unsigned long long)rep->ah_prepared,
				 cl->dry_run ? " (dry run)" : "", (unsigned long long)rep->ah_failed,
				 (unsigned long long)rep->ah_skipped, (unsigned long long)rep->ah_untouched,
				 (unsigned long long)rep->ah_followed, (double)rep->ah_cpu_ns / 1e9,
				 paused_text(rep->ah_paused, pt, sizeof(pt)));
	}
}

/* Collapsed pages stay huge: a layout, not a setting to put back. */
static void undo(void *state)
{
	struct collapser *cl = state;
	ahead_free(cl->ahead);   /* its workers use the guards */
	scan_free(cl->scan);
	guards_free(cl->guards);
	free(cl->said);
	free(cl->filling);
	map_dump_free(&cl->chunks);
	free(cl);
}

const struct kind pagesize_kind = {
	.name = "pagesize",
	.setup = setup,
	.on_event = on_event,
	.govern = govern,
	.forget = forget,
	.tick = tick,
	.summary = summary,
	.undo = undo,
};
