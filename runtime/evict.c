/* evict.c - the evict blocks enforced. See evict.h. */
#define _GNU_SOURCE
#include "evict.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "cgroups.h"
#include "evict_order.h"
#include "compiler/plan.h"
#include "expr.h"
#include "clock.h"
#include "log.h"
#include "trigger.h"
#include "vmas.h"

#define REFRESH_NS 1000000000LL            /* units and scores once a second */
#define MAX_IOV 1024

/* The machine's page: what mincore() and the file statistics count in. */
static uint64_t machine_page = 4096;   /* set from sysconf at setup */

/* An evict block: its lowered rule, and what enforcing it keeps. */
struct block {
	const struct mmp_evict_rule *rule;
	struct trigger *trigger;
	double budget;
	bool holding;
	long long last_tick;
};

/* A mapped range of a unit, in one process (its pidfd is the governed
 * set's, looked up when it is acted on). */
struct piece {
	pid_t pid;
	uint64_t start, end;
};

/* What the evictor sees of a governed process, each tick. */
struct evict_proc {
	pid_t pid;
	unsigned policy;
	const struct mmp_range *ranges;   /* sorted, with region ids */
	size_t nranges;
	/* Statistics of each region of its policy, by region id minus the
	 * policy's first region, with the faults still pending on the CPUs. */
	const struct mmp_region_stats *const *stats;
};

struct unit {
	unsigned block, region;
	bool file;
	struct mmp_file_key key;               /* file units */
	char path[PATH_MAX];
	uint64_t size, cursor;
	pid_t pid;                             /* process units */
	struct piece *pieces;
	size_t npieces, cap;
	/* figures */
	struct mmp_file_stats fs;
	const struct mmp_region_stats *rs;
	uint64_t prev_accesses, prev_misses;
	long long prev_ns, first_seen;
	int64_t rate_accesses, rate_misses;
	uint64_t resident;                     /* bytes */
	int64_t score;
	bool protected, seen;
	bool warned_unmapped;                  /* said that cold/pageout cannot reach it */
	uint64_t resident_at_start;            /* when the trigger began to hold */
};

struct evictor {
	const struct mmp_object *obj;
	struct governed_set *gov;
	bool dry_run;
	int files_fd;
	struct mmp_region_report *reports;
	struct block *blocks;
	size_t nblocks;
	struct unit *units;
	size_t nunits, cap;
	long long last_refresh;
	/* The memory cgroups of the governed processes, for 'usage' without
	 * 'of cgroup': read with the units, once a second. */
	char (*cgs)[512];
	const char **cgp;
	size_t ncgs;
};

/* --- building ---------------------------------------------------------- */

static int build_block(struct evictor *e, struct block *b, const struct mmp_evict_rule *rule)
{
	b->rule = rule;
	char what[160];
	snprintf(what, sizeof(what), "policy '%s': evict", e->obj->plan.policies[rule->policy].name);
	b->trigger = trigger_new(&rule->when, what);
	if (!b->trigger)
		return -EINVAL;
	if (rule->keep || rule->keep_pct)
		mmp_info("%s: 'protect top' keeps the highest scores out of mmp's evictions; the kernel's own reclaim "
			 "cannot be kept off some files of a cgroup (cgroup2's memory.low protects a whole cgroup, v1 "
			 "has none), so what it reclaims of them is read back in (WILLNEED) when the trigger stops "
			 "holding",
			 what);
	return 0;
}

static void undo(void *state);

static int setup(const struct kind_env *env, void **state)
{
	const struct mmp_object *obj = env->obj;
	size_t n = obj->plan.nevicts;
	if (!n)
		return 0;
	machine_page = (uint64_t)sysconf(_SC_PAGESIZE);
	struct evictor *e = calloc(1, sizeof(*e));
	if (!e || !(e->blocks = calloc(n, sizeof(*e->blocks)))) {
		free(e);
		mmp_error("out of memory");
		return -ENOMEM;
	}
	e->obj = obj;
	e->gov = env->gov;
	e->dry_run = env->dry_run;
	e->files_fd = loader_map_fd(env->loaded, "mmp_files");
	e->reports = env->reports;
	for (unsigned i = 0; i < n; i++) {
		int r = build_block(e, &e->blocks[e->nblocks++], &obj->plan.evicts[i]);
		if (r < 0) {
			undo(e);
			return r;
		}
	}
	*state = e;
	return 0;
}

static int watch(void *state, int epfd)
{
	struct evictor *e = state;
	for (size_t i = 0; i < e->nblocks; i++)
		if (trigger_watch(e->blocks[i].trigger, epfd) < 0)
			return -1;
	return 0;
}

/* --- units ------------------------------------------------------------- */

static struct unit *find_file(struct evictor *e, unsigned block, unsigned region, const struct mmp_file_key *k)
{
	for (size_t i = 0; i < e->nunits; i++) {
		struct unit *u = &e->units[i];
		if (u->file && u->block == block && u->region == region && u->key.dev == k->dev && u->key.ino == k->ino)
			return u;
	}
	return NULL;
}

static struct unit *find_proc(struct evictor *e, unsigned block, unsigned region, pid_t pid)
{
	for (size_t i = 0; i < e->nunits; i++) {
		struct unit *u = &e->units[i];
		if (!u->file && u->block == block && u->region == region && u->pid == pid)
			return u;
	}
	return NULL;
}

static struct unit *new_unit(struct evictor *e)
{
	if (e->nunits == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 32;
		struct unit *n = realloc(e->units, cap * sizeof(*n));
		if (!n)
			return NULL;
		e->units = n;
		e->cap = cap;
	}
	struct unit *u = &e->units[e->nunits++];
	memset(u, 0, sizeof(*u));
	u->first_seen = mono_ns();
	return u;
}

/* Which pages of the file behind FD (SIZE bytes) are in the page cache:
 * one byte a page, bit 0 set if cached, in a buffer the caller frees. */
static unsigned char *cached_map(int fd, uint64_t size)
{
	void *m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return NULL;
	unsigned char *vec = malloc((size + machine_page - 1) / machine_page);
	if (vec && mincore(m, size, vec) < 0) {
		free(vec);
		vec = NULL;
	}
	munmap(m, size);
	return vec;
}

/* The page-cache pages of PATH now: the seed of BPF's count. */
static int64_t resident_pages(const char *path, uint64_t size)
{
	if (!size)
		return 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	unsigned char *vec = cached_map(fd, size);
	close(fd);
	int64_t n = 0;
	for (size_t i = 0; vec && i < (size + machine_page - 1) / machine_page; i++)
		n += vec[i] & 1;
	free(vec);
	return n;
}

/* The file unit of PATH in BLOCK's REGION, watched from now on. */
static struct unit *file_unit(struct evictor *e, unsigned block, unsigned region, const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return NULL;
	/* The filemap tracepoints name a file by the kernel's dev_t. */
	struct mmp_file_key k = { .dev = (major(st.st_dev) << 20) | minor(st.st_dev), .ino = st.st_ino };
	struct unit *u = find_file(e, block, region, &k);
	if (u)
		return u;
	u = new_unit(e);
	if (!u)
		return NULL;
	u->block = block;
	u->region = region;
	u->file = true;
	u->key = k;
	u->size = (uint64_t)st.st_size;
	snprintf(u->path, sizeof(u->path), "%s", path);
	struct mmp_file_stats fs = { .resident = resident_pages(path, u->size) };
	if (bpf_map_update_elem(e->files_fd, &k, &fs, BPF_NOEXIST) < 0 && errno != EEXIST)
		mmp_debug("evict: cannot watch %s: %s", path, strerror(errno));
	mmp_debug("evict: watching %s (%" PRIu64 " bytes, %" PRId64 " pages cached)", path, u->size, (int64_t)fs.resident);
	return u;
}

static void add_piece(struct unit *u, const struct evict_proc *p, uint64_t start, uint64_t end)
{
	if (u->npieces == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 8;
		struct piece *n = realloc(u->pieces, cap * sizeof(*n));
		if (!n)
			return;
		u->pieces = n;
		u->cap = cap;
	}
	u->pieces[u->npieces++] = (struct piece){ p->pid, start, end };
}

/* Files a process has open that REGION selects: read(2) users map nothing. */
static void open_files(struct evictor *e, unsigned b, const struct mmp_evict_score *sr, const struct evict_proc *p)
{
	char dir[64], link[384], path[PATH_MAX];
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)p->pid);
	DIR *d = opendir(dir);
	if (!d)
		return;
	const struct mmp_test *sel = e->obj->plan.regions[sr->region].select;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		ssize_t n = readlink(link, path, sizeof(path) - 1);
		if (n <= 0 || path[0] != '/')
			continue;
		path[n] = '\0';
		struct stat st;
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || !file_selected(sel, path, (uint64_t)st.st_size))
			continue;
		struct unit *u = file_unit(e, b, sr->region, path);
		if (u)
			u->seen = true;
	}
	closedir(d);
}

static void refresh_units(struct evictor *e, const struct evict_proc *procs, size_t nprocs)
{
	for (size_t i = 0; i < e->nunits; i++) {
		e->units[i].seen = false;
		e->units[i].npieces = 0;
	}
	for (size_t b = 0; b < e->nblocks; b++) {
		const struct block *blk = &e->blocks[b];
		for (size_t pi = 0; pi < nprocs; pi++) {
			const struct evict_proc *p = &procs[pi];
			if (p->policy != blk->rule->policy)
				continue;
			struct vma_list vmas = { 0 };
			bool have_vmas = vmas_read(p->pid, &vmas) == 0;
			for (size_t s = 0; s < blk->rule->nscores; s++) {
				const struct mmp_evict_score *sr = &blk->rule->scores[s];
				if (e->obj->plan.regions[sr->region].may_be_file)
					open_files(e, (unsigned)b, sr, p);
				for (size_t r = 0; r < p->nranges; r++) {
					const struct mmp_range *rg = &p->ranges[r];
					if (rg->region != sr->region)
						continue;
					/* The mapping the range is in: a file, or memory. */
					const struct vma *v = NULL;
					for (size_t k = 0; have_vmas && k < vmas.n && !v; k++)
						if (vmas.v[k].start <= rg->start && rg->start < vmas.v[k].end)
							v = &vmas.v[k];
					char path[PATH_MAX];
					struct unit *u;
					if (v && vma_file_path(v, path, sizeof(path)))
						u = file_unit(e, (unsigned)b, sr->region, path);
					else if (!(u = find_proc(e, (unsigned)b, sr->region, p->pid)) && (u = new_unit(e))) {
						u->block = (unsigned)b;
						u->region = sr->region;
						u->pid = p->pid;
					}
					if (!u)
						continue;
					u->seen = true;
					add_piece(u, p, rg->start, rg->end);
					if (!u->file)
						u->rs = p->stats[sr->region - e->obj->plan.policies[p->policy].first_region];
				}
			}
			vmas_free(&vmas);
		}
	}
	/* Units no governed process uses any more are forgotten. */
	for (size_t i = 0; i < e->nunits;) {
		struct unit *u = &e->units[i];
		if (u->seen) {
			i++;
			continue;
		}
		bool shared = false;   /* another block or region may still watch the file */
		for (size_t j = 0; u->file && j < e->nunits && !shared; j++)
			shared = j != i && e->units[j].seen && e->units[j].file && e->units[j].key.dev == u->key.dev &&
				 e->units[j].key.ino == u->key.ino;
		if (u->file && !shared)
			bpf_map_delete_elem(e->files_fd, &u->key);
		free(u->pieces);
		*u = e->units[--e->nunits];
	}
}

/* --- scores ------------------------------------------------------------- */

struct stat_ctx {
	const struct unit *u;
	long long now;
};

/* A unit's statistics, in the units of the language. For a file: faults
 * are its pages read or faulted on (every access mmp sees), major_faults
 * the pages read into the page cache, resident its page-cache bytes. */
static int64_t unit_stat(void *ctx, enum stat_id id, bool rate)
{
	const struct stat_ctx *c = ctx;
	const struct unit *u = c->u;
	if (u->file) {
		switch (id) {
		case STAT_R_FAULTS: return rate ? u->rate_accesses : (int64_t)u->fs.accesses;
		case STAT_R_MAJOR_FAULTS: return rate ? u->rate_misses : (int64_t)u->fs.misses;
		case STAT_R_SIZE: return (int64_t)u->size;
		case STAT_R_RESIDENT: return (int64_t)u->resident;
		case STAT_R_SWAP: return 0;
		case STAT_R_IDLE: return (c->now - (u->fs.last_ns ? (long long)u->fs.last_ns : u->first_seen)) / 1000000;
		case STAT_R_AGE: return (c->now - (u->fs.first_ns ? (long long)u->fs.first_ns : u->first_seen)) / 1000000;
		default: return 0;
		}
	}
	const struct mmp_region_stats *s = u->rs;
	if (!s)
		return 0;
	switch (id) {
	case STAT_R_FAULTS: return rate ? (int64_t)s->rate : (int64_t)s->faults;
	case STAT_R_MAJOR_FAULTS: return rate ? (int64_t)s->major_rate : (int64_t)s->major_faults;
	case STAT_R_SIZE: return (int64_t)s->size;
	case STAT_R_RESIDENT: return (int64_t)s->resident;
	case STAT_R_SWAP: return (int64_t)s->swap;
	case STAT_R_IDLE: return s->last_ns ? (c->now - (long long)s->last_ns) / 1000000 : (c->now - u->first_seen) / 1000000;
	case STAT_R_AGE: return s->first_ns ? (c->now - (long long)s->first_ns) / 1000000 : (c->now - u->first_seen) / 1000000;
	default: return 0;
	}
}

static const struct mmp_calc *score_of(const struct block *b, unsigned region)
{
	for (size_t i = 0; i < b->rule->nscores; i++)
		if (b->rule->scores[i].region == region)
			return b->rule->scores[i].calc;
	return NULL;
}

static void score_units(struct evictor *e, long long now)
{
	for (size_t i = 0; i < e->nunits; i++) {
		struct unit *u = &e->units[i];
		if (u->file) {
			if (bpf_map_lookup_elem(e->files_fd, &u->key, &u->fs) < 0)
				memset(&u->fs, 0, sizeof(u->fs));
			u->resident = u->fs.resident > 0 ? (uint64_t)u->fs.resident * machine_page : 0;
			if (u->prev_ns && now > u->prev_ns) {
				long long dt = now - u->prev_ns;
				u->rate_accesses = (int64_t)((u->fs.accesses - u->prev_accesses) * 1000000000ULL / (uint64_t)dt);
				u->rate_misses = (int64_t)((u->fs.misses - u->prev_misses) * 1000000000ULL / (uint64_t)dt);
			}
			u->prev_accesses = u->fs.accesses;
			u->prev_misses = u->fs.misses;
			u->prev_ns = now;
		} else {
			u->resident = u->rs ? u->rs->resident : 0;
		}
		struct stat_ctx c = { u, now };
		const struct mmp_calc *score = score_of(&e->blocks[u->block], u->region);
		u->score = score ? calc_eval(score, unit_stat, &c) : 0;
	}
}

/* --- acting ------------------------------------------------------------- */

static const char *unit_label(const struct evictor *e, const struct unit *u, char *buf, size_t len)
{
	if (u->file)
		snprintf(buf, len, "%s", u->path);
	else
		snprintf(buf, len, "%s.%s of pid %d", e->obj->plan.policies[e->obj->plan.regions[u->region].policy].name,
			 e->obj->plan.regions[u->region].name, u->pid);
	return buf;
}

/* The pages of U in the page cache now, as BPF counts them. */
static int64_t cached_pages(const struct evictor *e, const struct unit *u)
{
	struct mmp_file_stats fs;
	return bpf_map_lookup_elem(e->files_fd, &u->key, &fs) == 0 ? fs.resident : 0;
}

/* Drops up to BYTES of U's page cache from its cursor on, wrapping once at
 * the end of the file, so that a file with pages left is not passed over
 * for the next score up. The cached pages are found with mincore and only
 * they are dropped, in runs: a scan's pages all lie behind its reader, so
 * a window guessed from the file's share in the cache mostly missed them.
 * Returns the bytes freed, as BPF counted them. */
static uint64_t drop_file(struct evictor *e, struct unit *u, uint64_t bytes)
{
	if (!u->size || !u->resident)
		return 0;
	struct mmp_region_report *rep = &e->reports[u->region];
	char name[PATH_MAX + 64];
	int fd = open(u->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rep->ev_errors++;
		mmp_debug("evict: cannot open %s: %s", u->path, strerror(errno));
		return 0;
	}
	uint64_t pages = (u->size + machine_page - 1) / machine_page, want = (bytes + machine_page - 1) / machine_page, chosen = 0;
	unsigned char *vec = cached_map(fd, u->size);
	int64_t before = cached_pages(e, u);
	uint64_t p = u->cursor / machine_page < pages ? u->cursor / machine_page : 0;
	/* Runs of cached pages from the cursor on; gaps of up to 32 pages that
	 * are not cached are taken into a run, as dropping them costs nothing. */
	for (uint64_t seen = 0; seen < pages && chosen < want;) {
		if (vec && !(vec[p] & 1)) {
			p = p + 1 < pages ? p + 1 : 0;
			seen++;
			continue;
		}
		uint64_t run = p, last = p, gap = 0;
		while (seen < pages && chosen < want && gap <= 32) {
			if (!vec || (vec[p] & 1)) {
				chosen++;
				last = p;
				gap = 0;
			} else {
				gap++;
			}
			p++;
			seen++;
			if (p == pages) {
				p = 0;
				break;   /* a run does not wrap */
			}
		}
		uint64_t n = last - run + 1;
		if (e->dry_run) {
			mmp_info("evict: dry run: would drop up to %" PRIu64 " bytes of %s from the page cache at offset %" PRIu64,
				 n * machine_page, unit_label(e, u, name, sizeof(name)), run * machine_page);
			continue;
		}
		int err = posix_fadvise(fd, (off_t)(run * machine_page), (off_t)(n * machine_page), POSIX_FADV_DONTNEED);
		rep->ev_calls++;
		if (err) {
			rep->ev_errors++;
			mmp_debug("evict: cannot drop %s: %s", u->path, strerror(err));
			break;
		}
	}
	u->cursor = p * machine_page;
	free(vec);
	close(fd);
	uint64_t freed;
	if (e->dry_run) {
		freed = chosen * machine_page;
	} else {
		int64_t after = cached_pages(e, u);
		freed = before > after ? (uint64_t)(before - after) * machine_page : 0;
		mmp_debug("evict: dropped %" PRIu64 " bytes of %s (score %" PRId64 "), up to offset %" PRIu64, freed, u->path,
			  u->score, u->cursor);
	}
	rep->ev_bytes += freed;
	return freed;
}

/* MADV_COLD or MADV_PAGEOUT on up to BYTES of U's mappings. */
static uint64_t advise(struct evictor *e, struct unit *u, uint64_t bytes, int advice)
{
	uint64_t mapped = 0;
	for (size_t i = 0; i < u->npieces; i++)
		mapped += u->pieces[i].end - u->pieces[i].start;
	if (u->file && !mapped && u->resident && !u->warned_unmapped) {
		/* Read with read(2), never mapped: there is no mapping to advise. */
		mmp_warn("evict: %s is cached but no governed process maps it: '%s' cannot reach its page cache "
			 "(action drop can)",
			 u->path, advice == MADV_COLD ? "cold" : "pageout");
		u->warned_unmapped = true;
	}
	if (!mapped || !u->resident)
		return 0;
	double density = (double)u->resident / (double)mapped;
	if (density > 1)
		density = 1;
	uint64_t want = density > 0 ? (uint64_t)((double)bytes / density) : mapped, done = 0;
	struct mmp_region_report *rep = &e->reports[u->region];
	char name[PATH_MAX + 64];
	if (u->cursor >= mapped)
		u->cursor = 0;
	/* Walk the pieces from the cursor, a call a process. */
	uint64_t pos = 0;
	for (size_t i = 0; i < u->npieces && done < want; i++) {
		struct piece *pc = &u->pieces[i];
		uint64_t len = pc->end - pc->start;
		if (pos + len <= u->cursor) {
			pos += len;
			continue;
		}
		uint64_t off = u->cursor > pos ? u->cursor - pos : 0, n = len - off;
		if (n > want - done)
			n = (want - done + machine_page - 1) / machine_page * machine_page;
		if (n > len - off)
			n = len - off;
		struct iovec iov = { (void *)(uintptr_t)(pc->start + off), (size_t)n };
		if (e->dry_run) {
			mmp_info("evict: dry run: would mark %" PRIu64 " bytes of %s %s", n, unit_label(e, u, name, sizeof(name)),
				 advice == MADV_COLD ? "cold" : "for pageout");
		} else {
			const struct governed *g = governed_find(e->gov, pc->pid);
			if (!g) {
				pos += len;   /* gone since the units were read */
				continue;
			}
			long r = syscall(SYS_process_madvise, g->pidfd, &iov, 1, advice, 0);
			rep->ev_calls++;
			if (r < 0) {
				rep->ev_errors++;
				mmp_debug("evict: process_madvise(%s) on pid %d failed: %s",
					  advice == MADV_COLD ? "COLD" : "PAGEOUT", pc->pid, strerror(errno));
			}
		}
		done += n;
		pos += len;
		u->cursor = pos - len + off + n;
	}
	uint64_t freed = (uint64_t)((double)done * density);
	rep->ev_bytes += freed;
	return freed ? freed : done ? machine_page : 0;
}

/* Marks the highest scores 'protect top' keeps; returns the order. */
static size_t *order_block(struct evictor *e, size_t b, size_t *n)
{
	size_t *idx = malloc((e->nunits + 1) * sizeof(*idx));
	struct evict_key *keys = malloc((e->nunits + 1) * sizeof(*keys));
	if (!idx || !keys) {
		free(idx);
		free(keys);
		return NULL;
	}
	*n = 0;
	uint64_t total = 0;
	for (size_t i = 0; i < e->nunits; i++) {
		e->units[i].protected = false;
		if (e->units[i].block == b) {
			keys[(*n)++] = (struct evict_key){ e->units[i].score, e->units[i].resident, i };
			total += e->units[i].resident;
		}
	}
	evict_sort(keys, *n);
	const struct block *blk = &e->blocks[b];
	size_t np = evict_protected(keys, *n, evict_keep_bytes(total, blk->rule->keep, blk->rule->keep_pct));
	for (size_t k = 0; k < *n; k++) {
		idx[k] = keys[k].unit;
		e->units[idx[k]].protected = k >= *n - np;
	}
	free(keys);
	return idx;
}

static void act(struct evictor *e, size_t b)
{
	struct block *blk = &e->blocks[b];
	/* A usage trigger says how much is needed. */
	double need = evict_need(trigger_excess(blk->trigger), blk->budget);
	size_t n;
	size_t *idx = order_block(e, b, &n);
	if (!idx)
		return;
	for (size_t k = 0; k < n && blk->budget >= (double)machine_page && need >= (double)machine_page; k++) {
		struct unit *u = &e->units[idx[k]];
		if (u->protected || !u->resident)
			continue;
		uint64_t want = (uint64_t)(blk->budget < need ? blk->budget : need), freed = 0;
		if (blk->rule->action == EVICT_DROP)
			freed = u->file ? drop_file(e, u, want) : 0;   /* anonymous parts cannot be dropped */
		else
			freed = advise(e, u, want, blk->rule->action == EVICT_COLD ? MADV_COLD : MADV_PAGEOUT);
		blk->budget -= (double)freed;
		need -= (double)freed;
		if (freed > u->resident)
			freed = u->resident;
		u->resident -= freed;
		/* The next score up only when this unit has nothing left to give. */
		if (u->file && blk->rule->action == EVICT_DROP && u->resident && need >= (double)machine_page)
			break;
	}
	free(idx);
}

/* No cgroup knob keeps the kernel's reclaim off some files of a cgroup:
 * what the block protected and the kernel reclaimed anyway is read back
 * in once the trigger stops holding. */
static void reread_protected(struct evictor *e, size_t b)
{
	for (size_t i = 0; i < e->nunits; i++) {
		struct unit *u = &e->units[i];
		if (u->block != b || !u->protected || !u->file || u->resident >= u->resident_at_start)
			continue;
		if (e->dry_run) {
			mmp_info("evict: dry run: would read %s back in (protected)", u->path);
			continue;
		}
		int fd = open(u->path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
			close(fd);
			mmp_debug("evict: read %s back in: protected, and reclaimed while the trigger held", u->path);
		}
	}
}

static void publish_units(struct evictor *e)
{
	for (unsigned r = 0; r < e->obj->plan.nregions; r++)
		e->reports[r].ev_units = e->reports[r].ev_protected = 0;
	for (size_t i = 0; i < e->nunits; i++) {
		e->reports[e->units[i].region].ev_units++;
		e->reports[e->units[i].region].ev_protected += e->units[i].protected;
	}
}

static void mark_protected(struct evictor *e, size_t b)
{
	size_t n;
	free(order_block(e, b, &n));
}

static void refresh_cgroups(struct evictor *e, const struct evict_proc *procs, size_t n)
{
	free(e->cgs);
	free(e->cgp);
	e->ncgs = 0;
	e->cgs = calloc(n + 1, sizeof(*e->cgs));
	e->cgp = calloc(n + 1, sizeof(*e->cgp));
	for (size_t i = 0; e->cgs && e->cgp && i < n; i++)
		if (proc_memcg_dir(procs[i].pid, e->cgs[e->ncgs], sizeof(e->cgs[0])) == 0) {
			e->cgp[e->ncgs] = e->cgs[e->ncgs];
			e->ncgs++;
		}
}

static void evict_tick(struct evictor *e, const struct evict_proc *procs, size_t n, long long now)
{
	bool refresh = now - e->last_refresh >= REFRESH_NS;
	if (refresh) {
		e->last_refresh = now;
		refresh_units(e, procs, n);
		refresh_cgroups(e, procs, n);
	}
	/* The triggers first: scores are needed once a second, and at every
	 * tick a block holds or changes. */
	bool need_scores = refresh;
	bool *holds = calloc(e->nblocks + 1, sizeof(*holds));
	if (!holds)
		return;
	for (size_t b = 0; b < e->nblocks; b++) {
		struct block *blk = &e->blocks[b];
		trigger_tick(blk->trigger, now, e->cgp, e->cgp ? e->ncgs : 0);
		holds[b] = trigger_holds(blk->trigger, now, NULL);
		need_scores |= holds[b] || holds[b] != blk->holding;
	}
	if (need_scores)
		score_units(e, now);
	for (size_t b = 0; b < e->nblocks; b++) {
		struct block *blk = &e->blocks[b];
		/* The rate limit is a token bucket. */
		blk->budget = evict_refill(blk->budget, blk->rule->limit, blk->last_tick, now);
		blk->last_tick = now;
		if (holds[b] != blk->holding) {
			mark_protected(e, b);
			mmp_info("evict: policy '%s': %s %s", e->obj->plan.policies[blk->rule->policy].name,
				 trigger_text(blk->trigger),
				 holds[b] ? "holds: evicting the lowest scores first" : "no longer holds");
			for (size_t i = 0; holds[b] && i < e->nunits; i++)
				if (e->units[i].block == b)
					e->units[i].resident_at_start = e->units[i].resident;
			if (!holds[b] && (blk->rule->keep || blk->rule->keep_pct))
				reread_protected(e, b);
			blk->holding = holds[b];
		}
		if (holds[b])
			act(e, b);
		else if (refresh)
			mark_protected(e, b);   /* for 'mmp stats' */
	}
	if (refresh)
		publish_units(e);
	free(holds);
}

/* Each governed process with its regions' statistics, the faults still
 * pending on the CPUs included, for one step. */
static void step(struct evictor *e, long long now)
{
	struct governed_set *s = e->gov;
	const struct mmp_plan *plan = &e->obj->plan;
	struct evict_proc *procs = calloc(s->n + 1, sizeof(*procs));
	const struct mmp_region_stats **stats = NULL;
	size_t total = 0;
	for (size_t i = 0; i < s->n; i++)
		total += plan->policies[s->gov[i].policy].nregions;
	stats = calloc(total + 1, sizeof(*stats));
	if (!procs || !stats)
		goto out;
	size_t at = 0;
	governed_read_pending(s);
	for (size_t i = 0; i < s->n; i++) {
		const struct governed *g = &s->gov[i];
		const struct mmp_plan_policy *pp = &plan->policies[g->policy];
		for (unsigned r = 0; r < pp->nregions; r++) {
			__u32 slot = g->slots[r];
			s->view[slot] = s->stats[slot];
			s->view[slot].faults = governed_faults(s, slot);
			stats[at + r] = &s->view[slot];
		}
		procs[i] = (struct evict_proc){ g->pid, g->policy, g->ranges, g->nranges, stats + at };
		at += pp->nregions;
	}
	evict_tick(e, procs, s->n, now);
out:
	free(procs);
	free(stats);
}

static void tick(void *state, long long now, double dt)
{
	step(state, now);
}

/* A trigger's threshold was crossed: act now, not at the next tick. */
static bool on_fd(void *state, int fd, long long now)
{
	struct evictor *e = state;
	for (size_t i = 0; i < e->nblocks; i++) {
		if (trigger_on_fd(e->blocks[i].trigger, fd, now)) {
			step(e, now);
			return true;
		}
	}
	return false;
}

static void summary(void *state)
{
	struct evictor *e = state;
	const struct mmp_plan *plan = &e->obj->plan;
	for (unsigned r = 0; r < plan->nregions; r++) {
		const struct mmp_plan_region *reg = &plan->regions[r];
		const struct mmp_region_report *pr = &e->reports[r];
		/* Every region a block scores (the report's rules say which), even
		 * with no unit left: the last process may have exited, and its
		 * units gone, before this. */
		if ((pr->rules & MMP_RULE_EVICT) || pr->ev_calls)
			mmp_info("%s.%s: %llu bytes evicted in %llu actions (%llu failed), %llu units scored",
				 plan->policies[reg->policy].name, reg->name, (unsigned long long)pr->ev_bytes,
				 (unsigned long long)pr->ev_calls, (unsigned long long)pr->ev_errors,
				 (unsigned long long)pr->ev_units);
	}
}

static void undo(void *state)
{
	struct evictor *e = state;
	for (size_t i = 0; i < e->nunits; i++)
		free(e->units[i].pieces);
	free(e->units);
	for (size_t b = 0; b < e->nblocks; b++)
		trigger_free(e->blocks[b].trigger);
	free(e->blocks);
	free(e->cgs);
	free(e->cgp);
	free(e);
}

const struct kind evict_kind = {
	.name = "evict",
	.setup = setup,
	.watch = watch,
	.on_fd = on_fd,
	.tick = tick,
	.summary = summary,
	.undo = undo,
};
