/* evict_act.c - evicting an evict block's units, lowest score first,
 * within the bytes its limit allows: page cache dropped in runs of cached
 * pages (POSIX_FADV_DONTNEED), or memory advised cold or paged out
 * (process_madvise); 'protect top' kept out. See evict_state.h. */
#define _GNU_SOURCE
#include "evict_state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "clock.h"
#include "evict_order.h"
#include "log.h"
#include "process.h"

#define MAX_IOV 1024

const char *evict_unit_label(const struct evictor *e, const struct unit *u, char *buf, size_t len)
{
	if (u->file)
		snprintf(buf, len, "%s", u->w->path ? u->w->path : "(a file not found by its names)");
	else
		snprintf(buf, len, "%s.%s of pid %d", e->obj->plan.policies[e->obj->plan.regions[u->region].policy].name,
			 e->obj->plan.regions[u->region].name, u->pid);
	return buf;
}

/* POSIX_FADV_DONTNEED on N pages of U's file (open at FD) from page AT;
 * N 0 is to the end of the file. In a dry run, says what it would do.
 * False when the kernel refused. */
static bool drop_pages(struct evictor *e, const struct unit *u, int fd, uint64_t at, uint64_t n)
{
	struct mmp_region_report *rep = &e->reports[u->region];
	if (e->dry_run) {
		char name[PATH_MAX + 64];
		e->dry_units++;
		if (n)
			mmp_debug("evict: dry run: would drop up to %" PRIu64 " bytes of %s from the page cache at offset %" PRIu64,
				 n * e->page, evict_unit_label(e, u, name, sizeof(name)), at * e->page);
		else
			mmp_debug("evict: dry run: would drop %s from the page cache, all of it",
				 evict_unit_label(e, u, name, sizeof(name)));
		return true;
	}
	int err = posix_fadvise(fd, (off_t)(at * e->page), (off_t)(n * e->page), POSIX_FADV_DONTNEED);
	rep->ev_calls++;
	if (err) {
		rep->ev_errors++;
		mmp_debug("evict: cannot drop %s: %s", u->w->path, strerror(err));
	}
	return !err;
}

/* Drops up to BYTES of U's page cache: the whole file in one call when
 * that is all it has (most files a scan reads are small, and go whole),
 * or else from its cursor on, wrapping once at the end of the file. Then
 * the cached pages are found with mincore and only they are dropped, in
 * runs: a scan's pages all lie behind its reader, so a window guessed from
 * the file's share in the cache mostly missed them. Returns the bytes
 * freed, as BPF counted them; *WHOLE says whether every page was tried. */
static uint64_t drop_file(struct evictor *e, struct unit *u, uint64_t bytes, bool *whole)
{
	struct watched *w = u->w;
	*whole = true;
	if (!w->size || !u->resident)
		return 0;
	struct mmp_region_report *rep = &e->reports[u->region];
	int fd = evict_file_open(w);
	if (fd < 0) {
		rep->ev_errors++;
		return 0;
	}
	int64_t before = evict_file_cached(w);
	uint64_t pages = evict_file_pages(e, w), want = (bytes + e->page - 1) / e->page, chosen = 0;
	uint64_t p = u->cursor / e->page < pages ? u->cursor / e->page : 0;
	unsigned char *vec = NULL;
	if (want >= (uint64_t)before || want >= pages) {
		chosen = before > 0 ? (uint64_t)before : 0;
		p = 0;
		vec = evict_guard_begin(e, u, fd, pages, NULL);
		evict_guard_tried(u, vec, 0, pages);
		drop_pages(e, u, fd, 0, 0);
	} else {
		vec = evict_guard_begin(e, u, fd, pages, evict_cached_map(fd, w->size, e->page));
		/* Runs of cached pages from the cursor on; gaps of up to 32
		 * pages that are not cached are taken into a run, as dropping
		 * them costs nothing. */
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
			evict_guard_tried(u, vec, run, last - run + 1);
			if (!drop_pages(e, u, fd, run, last - run + 1))
				break;
		}
		*whole = chosen < want;   /* stopped for want of cached pages, not of budget */
	}
	u->cursor = p * e->page;
	evict_guard_end(e, u, fd, vec);
	free(vec);
	close(fd);
	uint64_t freed;
	if (e->dry_run) {
		freed = chosen * e->page;
	} else {
		int64_t after = evict_file_cached(w);
		freed = before > after ? (uint64_t)(before - after) * e->page : 0;
		mmp_debug("evict: dropped %" PRIu64 " bytes of %s (score %" PRId64 ", %" PRId64 " pages cached before), up to "
			  "offset %" PRIu64,
			  freed, w->path, u->score, before, u->cursor);
	}
	rep->ev_bytes += freed;
	return freed;
}

/* PID's anonymous memory in pages: /proc/PID/statm's resident less its
 * shared (file and shmem), read in O(1) whatever the mapping's size. -1 if
 * it is gone. */
static int64_t anon_resident(pid_t pid)
{
	char path[64], buf[256];
	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	long long size, resident, shared;
	if (proc_read_file(path, buf, sizeof(buf)) < 0 || sscanf(buf, "%lld %lld %lld", &size, &resident, &shared) != 3)
		return -1;
	return resident > shared ? resident - shared : 0;
}

/* MADV_COLD or MADV_PAGEOUT on up to BYTES of U's mappings, as the block's
 * work: returns the bytes of it that count against the limit and the
 * trigger's need (the resident bytes advised). Only what a pageout freed
 * is reported as evicted: for memory, the fall of the process's anonymous
 * resident pages over each call (at least that left: it may fault more in
 * meanwhile), for a file, of its pages in the page cache as BPF counts
 * them (a page unmapped but kept cached did not leave). Without swap,
 * anonymous memory stays where it is. What is advised cold is reported as
 * marked, not freed: the kernel's reclaim takes it first. */
static uint64_t advise(struct evictor *e, struct unit *u, uint64_t bytes, int advice)
{
	uint64_t mapped = 0;
	for (size_t i = 0; i < u->npieces; i++)
		mapped += u->pieces[i].end - u->pieces[i].start;
	if (u->file && !mapped && u->resident && !u->warned_unmapped) {
		/* Read with read(2), never mapped: there is no mapping to advise. */
		char name[PATH_MAX + 64];
		mmp_warn("evict: %s is cached but no governed process maps it: '%s' cannot reach its page cache "
			 "(action drop can)",
			 evict_unit_label(e, u, name, sizeof(name)), advice == MADV_COLD ? "cold" : "pageout");
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
	int64_t cached_before = u->file && !e->dry_run ? evict_file_cached(u->w) : -1;
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
			n = (want - done + e->page - 1) / e->page * e->page;
		if (n > len - off)
			n = len - off;
		struct iovec iov = { (void *)(uintptr_t)(pc->start + off), (size_t)n };
		if (e->dry_run) {
			e->dry_units++;
			mmp_debug("evict: dry run: would mark %" PRIu64 " bytes of %s %s", n, evict_unit_label(e, u, name, sizeof(name)),
				 advice == MADV_COLD ? "cold" : "for pageout");
		} else {
			const struct governed *g = governed_find(e->gov, pc->pid);
			if (!g) {
				pos += len;   /* gone since the units were read */
				continue;
			}
			int64_t before = advice == MADV_PAGEOUT && !u->file ? anon_resident(pc->pid) : -1;
			long r = syscall(SYS_process_madvise, g->pidfd, &iov, 1, advice, 0);
			rep->ev_calls++;
			if (r < 0) {
				rep->ev_errors++;
				mmp_debug("evict: process_madvise(%s) on pid %d failed: %s",
					  advice == MADV_COLD ? "COLD" : "PAGEOUT", pc->pid, strerror(errno));
			} else if (advice == MADV_COLD) {
				rep->ev_bytes += (uint64_t)((double)r * density);   /* marked: the resident part */
			} else if (before >= 0) {
				int64_t after = anon_resident(pc->pid);
				uint64_t gone = after >= 0 && after < before ? (uint64_t)(before - after) * e->page : 0;
				rep->ev_bytes += gone;
				mmp_debug("evict: paged out %" PRIu64 " bytes of %s, advising %" PRIu64, gone,
					  evict_unit_label(e, u, name, sizeof(name)), n);
				if (!gone && !e->said_no_swap && proc_meminfo_kb("SwapTotal") <= 0) {
					mmp_warn("evict: this machine has no swap: 'pageout' frees no anonymous memory "
						 "(%s.%s); its file pages can go, and action drop drops a file's cache",
						 e->obj->plan.policies[e->obj->plan.regions[u->region].policy].name,
						 e->obj->plan.regions[u->region].name);
					e->said_no_swap = true;
				}
			}
		}
		done += n;
		pos += len;
		u->cursor = pos - len + off + n;
	}
	uint64_t worked = (uint64_t)((double)done * density);
	if (e->dry_run)
		rep->ev_bytes += worked;   /* what it would have advised */
	else if (advice == MADV_PAGEOUT && u->file && cached_before >= 0) {
		int64_t after = evict_file_cached(u->w);
		uint64_t gone = after >= 0 && after < cached_before ? (uint64_t)(cached_before - after) * e->page : 0;
		rep->ev_bytes += gone;
		mmp_debug("evict: paged out %" PRIu64 " bytes of %s", gone, evict_unit_label(e, u, name, sizeof(name)));
	}
	return worked ? worked : done ? e->page : 0;
}

/* Each unit of block B with cached bytes, or each cached piece of one
 * scored in pieces, as a key: counted in the block's histogram, or, with
 * COLLECT, appended to its order when its bucket is from LO to HI. */
static void walk_keys(struct evictor *e, size_t b, bool collect, unsigned lo, unsigned hi)
{
	struct block *blk = &e->blocks[b];
	for (size_t i = 0; i < e->nunits; i++) {
		struct unit *u = e->units[i];
		if (u->block != b)
			continue;
		bool pieces = evict_by_pieces(e, u);
		uint32_t n = pieces ? u->npiece_scores : 1;
		for (uint32_t p = 0; p < n; p++) {
			struct evict_key key = pieces ? (struct evict_key){ u->piece_scores[p],
									    (uint64_t)evict_piece_pages(e, u->w, p) * e->page, i, p }
						      : (struct evict_key){ u->score, u->resident, i, EVICT_WHOLE };
			/* A whole file with nothing cached is kept in the order:
			 * read again before the next scoring, it is dropped in
			 * its place (evict_act reads what it has cached). */
			if (!key.resident && (pieces || !u->file))
				continue;
			if (key.score == EVICT_UNSCORED && (key.score = evict_score_piece(e, u, p)) == EVICT_UNSCORED)
				continue;
			unsigned at = evict_bucket(key.score);
			if (!collect) {
				blk->hist_bytes[at] += key.resident;
				blk->hist_keys[at]++;
			} else if (at >= lo && at <= hi && blk->norder < blk->caporder) {
				/* (BPF may have cached a page since the count) */
				blk->order[blk->norder++] = key;
			}
		}
	}
}

/* Appends the keys of buckets LO to HI to block B's order, sorted; their
 * count is known from the histogram. False if there were none (or no
 * memory). */
static bool collect_keys(struct evictor *e, size_t b, unsigned lo, unsigned hi)
{
	struct block *blk = &e->blocks[b];
	size_t more = 0, from = blk->norder;
	for (unsigned at = lo; at <= hi; at++)
		more += blk->hist_keys[at];
	blk->upto = hi;
	if (!more)
		return false;
	struct evict_key *k = realloc(blk->order, (from + more) * sizeof(*k));
	if (!k)
		return false;
	blk->order = k;
	blk->caporder = from + more;
	walk_keys(e, b, true, lo, hi);
	evict_sort(k + from, blk->norder - from);
	return blk->norder > from;
}

/* Block B's order goes on past its last key: the next buckets up, as many
 * as hold BYTES. False when every key is in it. */
static bool extend_order(struct evictor *e, size_t b, uint64_t bytes)
{
	struct block *blk = &e->blocks[b];
	while (blk->upto < EVICT_BUCKETS - 1) {
		unsigned lo = blk->upto + 1;
		if (collect_keys(e, b, lo, evict_bucket_upto(blk->hist_bytes, lo, bytes)))
			return true;
	}
	return false;
}

/* Block B's units (or their pieces) in eviction order, the lowest score
 * first, into the block's order: the lowest only, as many as a tenth of
 * its rate holds (extend_order adds more when a step needs them), or all
 * of them where 'protect top' marks the highest. */
static void sort_block(struct evictor *e, size_t b)
{
	struct block *blk = &e->blocks[b];
	free(blk->order);
	blk->order = NULL;
	blk->norder = blk->caporder = blk->nprotected = blk->next = 0;
	blk->order_ns = e->scored_ns;
	blk->order_gen = e->units_gen;
	evict_fresh_clear(blk);
	memset(blk->hist_bytes, 0, sizeof(blk->hist_bytes));
	memset(blk->hist_keys, 0, sizeof(blk->hist_keys));
	for (size_t i = 0; i < e->nunits; i++)
		if (e->units[i]->block == b)
			e->units[i]->protected = false;
	walk_keys(e, b, false, 0, 0);
	bool keep = blk->rule->keep || blk->rule->keep_pct;
	collect_keys(e, b, 0, keep ? EVICT_BUCKETS - 1 : evict_bucket_upto(blk->hist_bytes, 0, (uint64_t)blk->rule->limit / 10));
	if (!keep)
		return;
	uint64_t total = 0;
	for (size_t k = 0; k < blk->norder; k++)
		total += blk->order[k].resident;
	blk->nprotected = evict_protected(blk->order, blk->norder, evict_keep_bytes(total, blk->rule->keep, blk->rule->keep_pct));
	for (size_t k = blk->norder - blk->nprotected; k < blk->norder; k++)
		if (blk->order[k].piece == EVICT_WHOLE)
			e->units[blk->order[k].unit]->protected = true;
}

/* The block's order, its time counted in the scoring's cost. */
static void order_block(struct evictor *e, size_t b)
{
	long long t0 = mono_ns();
	sort_block(e, b);
	e->score_cost_ns += mono_ns() - t0;
}

static int64_t run_resident(const struct evictor *e, const struct unit *u, uint32_t first, uint32_t count)
{
	int64_t n = 0;
	for (uint32_t p = first; p < first + count; p++)
		n += evict_piece_pages(e, u->w, p);
	return n;
}

/* Drops COUNT pieces of U's file from piece FIRST, in one call: their
 * pages, and more where the last one's first page heads a larger folio
 * (BPF counts a folio in its first piece). Returns the bytes freed, as
 * BPF counted them. */
static uint64_t drop_pieces(struct evictor *e, struct unit *u, uint32_t first, uint32_t count)
{
	int64_t before = run_resident(e, u, first, count);
	if (!before)
		return 0;
	struct mmp_region_report *rep = &e->reports[u->region];
	int fd = evict_file_open_once(e, u->w);
	if (fd < 0) {
		rep->ev_errors++;
		return 0;
	}
	/* A folio of 2^K pages starts at a multiple of 2^K: only a last piece
	 * so aligned can head one larger than itself. */
	uint64_t per = e->unit / e->page, at = (uint64_t)(first + count - 1) * per;
	uint64_t last = (uint64_t)evict_piece_pages(e, u->w, first + count - 1), folio = per;
	while (folio < last && folio < 512)
		folio *= 2;
	uint64_t n = (count - 1) * per + (at % folio == 0 ? folio : per);
	uint64_t freed;
	if (e->dry_run) {
		/* Said once a step (evict_act), not once a piece: the
		 * cached ones (a run spans pieces that head nothing). */
		for (uint32_t p = first; p < first + count; p++)
			e->dry_pieces += evict_piece_pages(e, u->w, p) > 0;
		freed = (uint64_t)before * e->page;
	} else {
		int64_t *had = evict_guard_pieces_begin(e, u, first, count);
		drop_pages(e, u, fd, first * per, n);
		evict_guard_pieces_end(e, u, first, count, had);
		/* BPF may count pages read in meanwhile: never below none. */
		int64_t after = run_resident(e, u, first, count);
		freed = before > after ? (uint64_t)(before - after) * e->page : 0;
	}
	rep->ev_bytes += freed;
	u->resident -= freed > u->resident ? u->resident : freed;
	return freed;
}

/* A whole file's key is passed: what it has cached now is what a step
 * left of it. Where every page was tried (WHOLE), the rest is mapped,
 * locked or dirty, and only what comes in on top of it is dropped again
 * (drop_read_since); a drop cut short by the amount leaves it all. */
static void passed(struct evictor *e, struct unit *u, bool whole)
{
	if (!u->file)
		return;
	int64_t left = evict_file_cached(u->w);
	u->resident = left > 0 ? (uint64_t)left * e->page : 0;
	u->tried_left = whole && left > 0 ? left : 0;
}

/* A step's account: what it still needs, of what it asked for, and the
 * lowest score of its block's order (drop_read_since). */
struct step {
	double asked, need;
	int64_t lowest;
};

/* What a key is to give toward the step: its need, within the budget. */
static double step_want(const struct step *st, const struct block *blk)
{
	return blk->budget < st->need ? blk->budget : st->need;
}

static void step_freed(struct step *st, struct block *blk, double freed)
{
	blk->budget -= freed;
	st->need -= freed;
}

/* Drops what a whole file U has cached again since a step passed it (or
 * since it came), as much as the step wants. */
static void drop_again(struct evictor *e, struct block *blk, struct step *st, struct unit *u)
{
	int64_t now = evict_file_cached(u->w);
	if (now <= u->tried_left) {
		u->tried_left = now > 0 ? now : 0;   /* the kernel took some */
		return;
	}
	if (evict_guard_holds(e, u, mono_ns()))
		return;
	u->resident = (uint64_t)now * e->page;
	bool whole;
	step_freed(st, blk, (double)drop_file(e, u, (uint64_t)step_want(st, blk), &whole));
	passed(e, u, whole);
}

/* Newcomer I of block B (evict_fresh_newcomer), where it has pages cached
 * beyond what a step left of it; else NULL. */
static struct unit *newcomer(struct evictor *e, size_t b, size_t i)
{
	uint32_t at = e->blocks[b].newcomers[i];
	struct unit *u = at < e->nunits ? e->units[at] : NULL;
	return u && u->block == b && u->file && evict_file_cached(u->w) > u->tried_left ? u : NULL;
}

/* The whole files of block B read since its order was made that score
 * its lowest (or lower), dropped first: those that steps passed (its
 * order's keys before UPTO) and were read again, and those that came
 * since, scored now. A scan's next files, or its next pass over the same
 * ones, would else wait for the next scoring while steps took what they
 * need from the next scores up. The pieces read since are evict_fresh's. */
static void drop_read_since(struct evictor *e, size_t b, struct step *st, size_t upto)
{
	struct block *blk = &e->blocks[b];
	if (blk->rule->action != EVICT_DROP)
		return;
	for (size_t i = 0; i < upto && step_want(st, blk) >= (double)e->page; i++) {
		const struct evict_key *key = &blk->order[i];
		if (key->score > st->lowest)
			break;   /* the order is the lowest first */
		struct unit *u = e->units[key->unit];
		if (key->piece == EVICT_WHOLE && u->file && !u->protected)
			drop_again(e, blk, st, u);
	}
	for (size_t i = 0; i < blk->nnew && step_want(st, blk) >= (double)e->page; i++) {
		struct unit *u = newcomer(e, b, i);
		if (u && u->score <= st->lowest)
			drop_again(e, blk, st, u);
	}
}

/* The newcomers of block B with pages to drop, scored now: the lowest of
 * them may be below the order's. */
static int64_t score_newcomers(struct evictor *e, size_t b, int64_t lowest)
{
	struct block *blk = &e->blocks[b];
	long long now = mono_ns();
	for (size_t i = 0; i < blk->nnew; i++) {
		struct unit *u = newcomer(e, b, i);
		if (!u)
			continue;
		evict_score_unit(e, u, now);
		if (u->score < lowest)
			lowest = u->score;
	}
	return lowest;
}

void evict_act(struct evictor *e, size_t b)
{
	struct block *blk = &e->blocks[b];
	/* A usage trigger says how much is needed. */
	long long now = mono_ns();
	struct step st = { .need = evict_need(trigger_excess(blk->trigger), blk->budget, evict_pace_rate(&blk->pace, now)) };
	st.asked = st.need;
	blk->guard_asked = 0;
	/* The order of the last scoring, made again when units came or went
	 * (it holds their indexes); a step goes on from where the last one
	 * stopped, so that what could not be dropped (mapped, locked, dirty)
	 * is not tried again at every step. */
	if (blk->order_ns != e->scored_ns || blk->order_gen != e->units_gen)
		order_block(e, b);
	evict_fresh_take(e, b);
	size_t n = blk->norder - blk->nprotected, k = blk->next;
	st.lowest = score_newcomers(e, b, blk->norder ? blk->order[0].score : INT64_MAX);
	drop_read_since(e, b, &st, k);
	bool went_up = false;
	for (; blk->budget >= (double)e->page && st.need >= (double)e->page; k++) {
		/* Past the lowest that were ordered: the next up, unless the
		 * order holds every key already ('protect top'). */
		if (k == n && !blk->nprotected && extend_order(e, b, (uint64_t)st.need))
			n = blk->norder;
		/* Pieces read since the order was made go first where they
		 * score lower than its next key (or than what 'protect top'
		 * keeps, once the order is done). */
		int64_t below = k < n ? blk->order[k].score : blk->nprotected ? blk->order[n].score : INT64_MAX;
		struct unit *fu;
		uint32_t ffirst, fcount;
		while (blk->budget >= (double)e->page && st.need >= (double)e->page &&
		       evict_fresh_run(e, b, below, step_want(&st, blk), &fu, &ffirst, &fcount)) {
			if (evict_guard_holds(e, fu, now))
				continue;   /* read straight back: the kernel's to reclaim */
			uint64_t freed = drop_pieces(e, fu, ffirst, fcount);
			e->reports[fu->region].ev_fresh_bytes += freed;
			step_freed(&st, blk, (double)freed);
		}
		if (k == n || blk->budget < (double)e->page || st.need < (double)e->page)
			break;
		if (blk->order[k].score > st.lowest && !went_up) {
			went_up = true;   /* what this step passed and was read since, first */
			drop_read_since(e, b, &st, k);
		}
		const struct evict_key *keys = blk->order;
		struct unit *u = e->units[keys[k].unit];
		if (keys[k].piece != EVICT_WHOLE) {
			/* The run of next pieces of the file that come next in
			 * the order (across pieces that head nothing cached),
			 * as much of it as is wanted. */
			uint32_t first = keys[k].piece, count = 1;
			double want = step_want(&st, blk);
			double bytes = (double)evict_piece_pages(e, u->w, first) * (double)e->page;
			while (k + 1 < n && keys[k + 1].unit == keys[k].unit &&
			       evict_pieces_uncached(e, u->w, first + count, keys[k + 1].piece) && bytes < want) {
				bytes += (double)evict_piece_pages(e, u->w, keys[k + 1].piece) * (double)e->page;
				count = keys[k + 1].piece - first + 1;
				k++;
			}
			if (evict_guard_holds(e, u, now))
				continue;
			step_freed(&st, blk, (double)drop_pieces(e, u, first, count));
			continue;
		}
		if (u->file) {
			int64_t cached = evict_file_cached(u->w);   /* read again since the scoring, or taken */
			u->resident = cached > 0 ? (uint64_t)cached * e->page : 0;
		}
		if (!u->resident) {
			passed(e, u, true);
			continue;
		}
		if (blk->rule->action == EVICT_DROP && evict_guard_holds(e, u, now))
			continue;   /* read straight back: the kernel's to reclaim */
		uint64_t want = (uint64_t)step_want(&st, blk), freed = 0;
		bool whole = true;
		if (blk->rule->action == EVICT_DROP)
			freed = u->file ? drop_file(e, u, want, &whole) : 0;   /* anonymous parts cannot be dropped */
		else
			freed = advise(e, u, want, blk->rule->action == EVICT_COLD ? MADV_COLD : MADV_PAGEOUT);
		step_freed(&st, blk, (double)freed);
		if (u->file) {
			/* What is left, as BPF counts it now: the kernel may have
			 * reclaimed some of it since the scores were read. */
			passed(e, u, whole);
		} else {
			u->resident -= freed > u->resident ? u->resident : freed;
		}
		/* The next score up once every page of this unit was tried: what
		 * a whole drop leaves is locked (being read), dirty or mapped
		 * now, and stopping at it would leave a scan of many files to
		 * the kernel's reclaim. A drop cut short by the amount waits for
		 * the next tick instead, so that a large file being scanned is
		 * not passed over for the next score up. */
		if (u->file && blk->rule->action == EVICT_DROP && !whole && u->resident && st.need >= (double)e->page)
			break;
	}
	blk->next = k;
	if (!e->dry_run)   /* a dry run frees nothing: what it would is no pace */
		evict_pace_add(&blk->pace, st.asked - st.need, now);
	evict_close_opened(e);
	/* A dry run says what a step would do in one line (-v names each
	 * file): a step comes each tenth of a second while the trigger holds. */
	if (e->dry_units || e->dry_pieces) {
		char pieces[64] = "";
		if (e->dry_pieces)
			snprintf(pieces, sizeof(pieces), "%s%zu pieces of %" PRIu64 " bytes", e->dry_units ? " and " : "",
				 e->dry_pieces, e->unit);
		char units[48] = "";
		if (e->dry_units)
			snprintf(units, sizeof(units), "%zu unit%s", e->dry_units, e->dry_units == 1 ? "" : "s");
		mmp_info("evict: dry run: policy '%s' would %s %.0f bytes, the lowest scores: %s%s",
			 e->obj->plan.policies[blk->rule->policy].name,
			 blk->rule->action == EVICT_DROP ? "drop" : "mark", st.asked - st.need, units, pieces);
		e->dry_units = e->dry_pieces = 0;
	}
}

/* No cgroup knob keeps the kernel's reclaim off some files of a cgroup:
 * what the block protected and the kernel reclaimed anyway is read back
 * in once the trigger stops holding. */
void evict_reread_protected(struct evictor *e, size_t b)
{
	for (size_t i = 0; i < e->nunits; i++) {
		struct unit *u = e->units[i];
		if (u->block != b || !u->protected || !u->file || u->resident >= u->resident_at_start)
			continue;
		if (e->dry_run) {
			mmp_info("evict: dry run: would read %s back in (protected)", u->w->path);
			continue;
		}
		int fd = evict_file_open(u->w);
		if (fd >= 0) {
			posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
			close(fd);
			mmp_debug("evict: read %s back in: protected, and reclaimed while the trigger held", u->w->path);
		}
	}
}

void evict_mark_protected(struct evictor *e, size_t b)
{
	/* Without 'protect top' nothing is marked: the order is made when a
	 * step needs it, not once a second for nothing. */
	const struct mmp_evict_rule *r = e->blocks[b].rule;
	if (r->keep || r->keep_pct)
		order_block(e, b);
}
