/* evict_units.c - what an evict block scores: a file a governed process
 * read, has open or mapped (evict_files.c), or a region of one process's
 * memory; the mappings and open files looked at once a second, and every
 * unit scored with its block's lowered score. See evict_state.h. */
#define _GNU_SOURCE
#include "evict_state.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "expr.h"
#include "log.h"
#include "region_stats.h"
#include "vmas.h"

static struct unit *find_proc(struct evictor *e, unsigned block, unsigned region, pid_t pid)
{
	for (size_t i = 0; i < e->nunits; i++) {
		struct unit *u = e->units[i];
		if (!u->file && u->block == block && u->region == region && u->pid == pid)
			return u;
	}
	return NULL;
}

static struct unit *new_unit(struct evictor *e)
{
	if (e->nunits == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 32;
		struct unit **n = realloc(e->units, cap * sizeof(*n));
		if (!n) {
			mmp_warn("evict: a unit is left unscored: out of memory");
			return NULL;
		}
		e->units = n;
		e->cap = cap;
	}
	struct unit *u = calloc(1, sizeof(*u));
	if (!u) {
		mmp_warn("evict: a unit is left unscored: out of memory");
		return NULL;
	}
	u->first_seen = mono_ns();
	e->units[e->nunits++] = u;
	return u;
}

struct unit *evict_file_unit(struct evictor *e, unsigned b, unsigned region, struct watched *w)
{
	for (struct unit *u = w->units; u; u = u->next_of_file)
		if (u->block == b && u->region == region)
			return u;
	struct unit *u = new_unit(e);
	if (!u)
		return NULL;
	u->block = b;
	u->region = region;
	u->file = true;
	u->w = w;
	u->next_of_file = w->units;
	w->units = u;
	/* Its age and idle time count from its file's first access. */
	u->first_seen = w->found_ns;
	if (e->blocks[b].rule->unit)
		evict_file_pieces(e, w);
	else
		evict_fresh_newcomer(e, b, (uint32_t)(e->nunits - 1));
	return u;
}

/* The file unit of PATH in BLOCK's REGION, watched from now on. */
static struct unit *file_unit(struct evictor *e, unsigned block, unsigned region, const char *path)
{
	struct watched *w = evict_file_at(e, path);
	return w ? evict_file_unit(e, block, region, w) : NULL;
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

void evict_refresh_units(struct evictor *e, const struct evict_proc *procs, size_t nprocs)
{
	for (size_t i = 0; i < e->nunits; i++) {
		e->units[i]->seen = false;
		e->units[i]->npieces = 0;
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
	/* Files that had no pieces when first scored (empty then, or the
	 * pieces ran out) are given them now, and files that grew past
	 * theirs more. */
	for (size_t i = 0; e->unit && i < e->nunits; i++) {
		struct unit *u = e->units[i];
		if (u->file && (!file_npieces(u->w) || u->w->fs->past_pieces) && e->blocks[u->block].rule->unit)
			evict_file_pieces(e, u->w);
	}
	e->units_gen++;   /* the blocks' orders index units */
	/* Process units no governed process has any more are forgotten; file
	 * units stay with their file (evict_files_forget). */
	for (size_t i = 0; i < e->nunits;) {
		struct unit *u = e->units[i];
		if (u->seen || u->file) {
			i++;
			continue;
		}
		evict_unit_free(u);
		e->units[i] = e->units[--e->nunits];
	}
}

/* --- scores ------------------------------------------------------------- */

struct stat_ctx {
	const struct unit *u;
	long long now;
	const struct mmp_piece *pc;            /* a piece of U's file, or NULL */
	uint64_t piece_size;
	uint32_t now_ms;
};

/* Milliseconds from THEN to NOW on BPF's truncated clock; 0 if THEN is
 * later. */
static int64_t ms_since(uint32_t now, uint32_t then)
{
	int32_t d = (int32_t)(now - then);
	return d > 0 ? d : 0;
}

/* A piece's statistics: as a file's, over its bytes alone. */
static int64_t piece_stat(const struct stat_ctx *c, enum stat_id id)
{
	const struct mmp_piece *pc = c->pc;
	/* Never accessed (cached before mmp looked, or read ahead): idle and
	 * aged since its file was found. */
	long long found_ms = (c->now - c->u->first_seen) / 1000000;
	switch (id) {
	case STAT_R_FAULTS: return (int64_t)pc->accesses;
	case STAT_R_MAJOR_FAULTS: return (int64_t)pc->misses;
	case STAT_R_SCAN_FAULTS: return (int64_t)pc->scan_accesses;
	case STAT_R_SIZE: return (int64_t)c->piece_size;
	case STAT_R_RESIDENT: return pc->resident > 0 ? pc->resident * 4096 : 0;
	/* Signed: BPF may stamp a piece after NOW was taken. */
	case STAT_R_IDLE: return pc->last_ms ? ms_since(c->now_ms, pc->last_ms) : found_ms;
	case STAT_R_AGE: return pc->first_ms ? ms_since(c->now_ms, pc->first_ms) : found_ms;
	default: return 0;
	}
}

/* A unit's statistics, in the units of the language. For a file: faults
 * are its pages read or faulted on (every access mmp sees), major_faults
 * the pages read into the page cache, scan_faults the faults of the
 * block's scanners, resident its page-cache bytes. */
static int64_t unit_stat(void *ctx, enum stat_id id, bool rate)
{
	const struct stat_ctx *c = ctx;
	const struct unit *u = c->u;
	if (c->pc)
		return rate ? 0 : piece_stat(c, id);   /* sema refuses rates with 'unit' */
	if (u->file) {
		const struct mmp_file_stats *fs = u->w->fs;
		switch (id) {
		case STAT_R_FAULTS: return rate ? u->rate_accesses : (int64_t)fs->accesses;
		case STAT_R_MAJOR_FAULTS: return rate ? u->rate_misses : (int64_t)fs->misses;
		case STAT_R_SCAN_FAULTS: return rate ? u->rate_scans : (int64_t)fs->scan_accesses;
		case STAT_R_SIZE: return (int64_t)u->w->size;
		case STAT_R_RESIDENT: return (int64_t)u->resident;
		case STAT_R_SWAP: return 0;
		case STAT_R_IDLE: return (c->now - (fs->last_ns ? (long long)fs->last_ns : u->first_seen)) / 1000000;
		case STAT_R_AGE: return (c->now - (fs->first_ns ? (long long)fs->first_ns : u->first_seen)) / 1000000;
		default: return 0;
		}
	}
	return u->rs ? region_stat(u->rs, id, rate, c->now, u->first_seen) : 0;
}

static const struct mmp_calc *score_of(const struct block *b, unsigned region)
{
	for (size_t i = 0; i < b->rule->nscores; i++)
		if (b->rule->scores[i].region == region)
			return b->rule->scores[i].calc;
	return NULL;
}

/* Piece I's score, as of C's time, or EVICT_UNSCORED with nothing cached
 * (nothing to drop). */
static int64_t score_piece(struct evictor *e, const struct mmp_calc *score, struct stat_ctx *c, uint32_t i)
{
	const struct watched *w = c->u->w;
	c->pc = evict_piece(e, w, i);
	if (c->pc->resident <= 0)
		return EVICT_UNSCORED;
	uint64_t off = (uint64_t)i * e->unit;
	c->piece_size = off >= w->size ? 0 : w->size - off < e->unit ? w->size - off : e->unit;
	return calc_eval(score, unit_stat, c);
}

/* The score of each piece of U's file that has pages cached (the others
 * have nothing to drop). */
static void score_pieces(struct evictor *e, struct unit *u, const struct mmp_calc *score, struct stat_ctx *c)
{
	const struct watched *w = u->w;
	uint32_t n = file_npieces(w);
	if (n > u->npiece_scores) {
		int64_t *s = realloc(u->piece_scores, n * sizeof(*s));
		if (!s)
			return;   /* scored as a whole */
		u->piece_scores = s;
	}
	u->npiece_scores = n;
	c->now_ms = (uint32_t)(c->now / 1000000);
	for (uint32_t i = 0; i < n; i++)
		u->piece_scores[i] = score_piece(e, score, c, i);
	c->pc = NULL;
}

int64_t evict_piece_score_now(struct evictor *e, const struct unit *u, uint32_t i)
{
	const struct mmp_calc *score = score_of(&e->blocks[u->block], u->region);
	struct stat_ctx c = { .u = u, .now = e->scored_ns, .now_ms = (uint32_t)(e->scored_ns / 1000000) };
	return score ? score_piece(e, score, &c, i) : 0;
}

int64_t evict_score_piece(struct evictor *e, struct unit *u, uint32_t i)
{
	return u->piece_scores[i] = evict_piece_score_now(e, u, i);
}

bool evict_region_in_pieces(const struct evictor *e, unsigned region)
{
	for (size_t b = 0; b < e->nblocks; b++)
		if (e->blocks[b].rule->unit && score_of(&e->blocks[b], region))
			return true;
	return false;
}

void evict_score_units(struct evictor *e, long long now)
{
	for (size_t i = 0; i < e->nunits; i++)
		evict_score_unit(e, e->units[i], now);
}

void evict_score_unit(struct evictor *e, struct unit *u, long long now)
{
	if (u->file) {
		const struct mmp_file_stats *fs = u->w->fs;
		int64_t cached = u->w->base + fs->resident;
		u->resident = cached > 0 ? (uint64_t)cached * e->page : 0;
		if (u->prev_ns && now > u->prev_ns) {
			long long dt = now - u->prev_ns;
			u->rate_accesses = (int64_t)((fs->accesses - u->prev_accesses) * 1000000000ULL / (uint64_t)dt);
			u->rate_misses = (int64_t)((fs->misses - u->prev_misses) * 1000000000ULL / (uint64_t)dt);
			u->rate_scans = (int64_t)((fs->scan_accesses - u->prev_scans) * 1000000000ULL / (uint64_t)dt);
		}
		u->prev_accesses = fs->accesses;
		u->prev_misses = fs->misses;
		u->prev_scans = fs->scan_accesses;
		u->prev_ns = now;
	} else {
		u->resident = u->rs ? u->rs->resident : 0;
	}
	struct stat_ctx c = { .u = u, .now = now };
	const struct mmp_calc *score = score_of(&e->blocks[u->block], u->region);
	u->score = score ? calc_eval(score, unit_stat, &c) : 0;
	if (score && u->file && e->blocks[u->block].rule->unit)
		score_pieces(e, u, score, &c);
}

void evict_unit_free(struct unit *u)
{
	free(u->pieces);
	free(u->piece_scores);
	evict_guard_forget(u);
	free(u);
}
