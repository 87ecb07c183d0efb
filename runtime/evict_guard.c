/* evict_guard.c - the files whose drops come straight back. Where what a
 * block keeps is more than its trigger leaves room for (a database read
 * at random, with usage over the threshold even when nothing else is
 * cached), the lowest score left is a file in use: each step drops some
 * of it, the reader reads it straight back, usage crosses again, and the
 * block drops it again, a file's worth a second, for nothing: the kernel
 * alone would have kept it. A block with a 'unit' does the same piece by
 * piece (LFU over pages, a reader at random: each piece read as often as
 * the next), and its drops are recorded and held alike, by file.
 *
 * A file is left to the kernel's reclaim for 10 s (twice as long each
 * time it comes back, up to 80 s; the first file of a block is said, the
 * others at -v) where, when a step comes to drop it again,
 *   - a quarter or more of the pages its drops took are cached again, and
 *     more than twice its pages were read since (BPF counts): read
 *     straight back and over and over, not a scan's next pass, nor a
 *     scan reaching the pages a drop took just ahead of it, which read
 *     each page once (evict_came_back). Where they are back but not yet
 *     read over so much, the record goes on through the next drops. A
 *     file scored in pieces is read only once it was read over so much
 *     (for 30 s at most), and then its record begins anew unless held;
 *   - and the cgroup could hold it: what the file lacks of being cached
 *     whole, and what each file the block keeps before it (its score or
 *     higher, or held) and that was read in the last 10 s lacks, fits in
 *     the room below the limit and what the block's lower scores hold. A
 *     scan of what the cgroup cannot hold (read again, pass after pass,
 *     by MRU, or logs read faster than a second a pass) comes back too,
 *     but there the kernel would reclaim as well, and the policy's
 *     choice is the better one.
 * See evict_state.h. */
#define _GNU_SOURCE
#include "evict_state.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

/* A file read within this long is in use: what it lacks counts. */
#define GUARD_IN_USE_NS 10000000000LL
#define GUARD_ASKED_A_STEP 4
/* A record not read over twice within this long: a new one. */
#define GUARD_RECORD_NS 30000000000LL

void evict_guard_forget(struct unit *u)
{
	free(u->dropped_bits);
	u->dropped_bits = NULL;
	u->dropped_pages = 0;
}

/* Whether page P of U's file is in its record of dropped pages. */
static bool was_dropped(const struct unit *u, uint64_t p)
{
	return u->dropped_bits[p / 8] & (1u << (p % 8));
}

/* Page P of U's file left at a drop: in its record, counted once. */
static void mark_dropped(struct unit *u, uint64_t p)
{
	if (was_dropped(u, p))
		return;
	u->dropped_bits[p / 8] |= (unsigned char)(1u << (p % 8));
	u->dropped_pages++;
}

/* The pages of U's file its record covers: a file that grew since has
 * pages no drop of the record took. */
static uint64_t recorded_pages(const struct evictor *e, const struct unit *u)
{
	uint64_t pages = evict_file_pages(e, u->w);
	return pages < u->dropped_npages ? pages : u->dropped_npages;
}

/* U's record of drops, begun if there is none (of its file's PAGES
 * now). False where none is kept: a dry run, a small file, no memory. */
static bool record(const struct evictor *e, struct unit *u, uint64_t pages)
{
	if (e->dry_run || pages < EVICT_COMEBACK_MIN_PAGES)
		return false;
	if (!u->dropped_bits) {
		u->dropped_bits = calloc((pages + 7) / 8, 1);
		u->dropped_npages = pages;
		u->dropped_ns = mono_ns();
		u->dropped_reads = u->w->fs->accesses;
	}
	return u->dropped_bits != NULL;
}

unsigned char *evict_guard_begin(struct evictor *e, struct unit *u, int fd, uint64_t pages, unsigned char *vec)
{
	if (!record(e, u, pages))
		return vec;
	if (!vec)   /* a whole drop: only what was cached is dropped */
		vec = evict_cached_map(fd, u->w->size, e->page);
	return vec;
}

void evict_guard_tried(const struct unit *u, unsigned char *vec, uint64_t from, uint64_t n)
{
	if (!u->dropped_bits || !vec)
		return;
	for (uint64_t p = from; p < from + n && p < u->dropped_npages; p++)
		if (vec[p] & 1)
			vec[p] |= 2;
}

void evict_guard_end(const struct evictor *e, struct unit *u, int fd, const unsigned char *vec)
{
	if (!u->dropped_bits || !vec)
		return;
	/* Only what left counts: a page being read in, dirty or mapped
	 * stays, and is not "read back". */
	unsigned char *after = evict_cached_map(fd, u->w->size, e->page);
	uint64_t pages = recorded_pages(e, u);
	for (uint64_t p = 0; after && p < pages; p++)
		if ((vec[p] & 2) && !(after[p] & 1))
			mark_dropped(u, p);
	free(after);
}

int64_t *evict_guard_pieces_begin(const struct evictor *e, struct unit *u, uint32_t first, uint32_t count)
{
	if (!record(e, u, evict_file_pages(e, u->w)))
		return NULL;
	int64_t *had = malloc(count * sizeof(*had));
	for (uint32_t i = 0; had && i < count; i++)
		had[i] = evict_piece_pages(e, u->w, first + i);
	return had;
}

void evict_guard_pieces_end(const struct evictor *e, struct unit *u, uint32_t first, uint32_t count, int64_t *had)
{
	if (!had || !u->dropped_bits) {
		free(had);
		return;
	}
	/* A piece that had pages and has none now: its pages left, and more
	 * where its first page headed a larger folio (BPF counts a folio in
	 * the piece of its first page). */
	uint64_t per = e->unit / e->page, pages = recorded_pages(e, u);
	for (uint32_t i = 0; i < count; i++) {
		if (!had[i] || evict_piece_pages(e, u->w, first + i))
			continue;
		uint64_t from = (uint64_t)(first + i) * per, n = (uint64_t)had[i] > per ? (uint64_t)had[i] : per;
		for (uint64_t p = from; p < from + n && p < pages; p++)
			mark_dropped(u, p);
	}
	free(had);
}

/* How many of U's dropped pages are cached again. */
static uint64_t read_back(const struct evictor *e, const struct unit *u)
{
	int fd = evict_file_open(u->w);
	if (fd < 0)
		return 0;
	unsigned char *vec = evict_cached_map(fd, u->w->size, e->page);
	close(fd);
	uint64_t pages = recorded_pages(e, u), back = 0;
	for (uint64_t p = 0; vec && p < pages; p++)
		back += (vec[p] & 1) && was_dropped(u, p);
	free(vec);
	return back;
}

/* What U's file lacks of being cached whole, in bytes. */
static uint64_t lacking(const struct evictor *e, const struct unit *u)
{
	int64_t cached = evict_file_cached(u->w);
	uint64_t have = cached > 0 ? (uint64_t)cached * e->page : 0;
	return u->w->size > have ? u->w->size - have : 0;
}

/* Whether the cgroup could hold file F whole, and the files its block
 * keeps before it that were read in the last 10 s: what they lack,
 * against the room below the limit and what the lower scores hold. In
 * a block with a 'unit' the pieces of every file share one order, so
 * every file read in the last 10 s is kept before it (RocksDB's SST
 * files, each with pieces of every score: a database larger than the
 * cgroup is not held). Unknown (a trigger without 'usage'): no. */
static bool could_hold(struct evictor *e, const struct block *blk, const struct unit *f, long long now)
{
	long long headroom = trigger_headroom(blk->trigger);
	if (headroom < 0)
		return false;
	bool pieces = blk->rule->unit != 0;
	uint64_t need = lacking(e, f), room = (uint64_t)headroom;
	for (size_t i = 0; i < e->nunits; i++) {
		const struct unit *u = e->units[i];
		if (u == f || u->block != f->block || !u->file)
			continue;
		bool held = now < u->held_until;
		if (!pieces && u->score < f->score && !held) {
			int64_t cached = evict_file_cached(u->w);
			room += cached > 0 ? (uint64_t)cached * e->page : 0;
		} else if (held || now - (long long)u->w->fs->last_ns < GUARD_IN_USE_NS) {
			need += lacking(e, u);
		}
	}
	return need < room;
}

bool evict_guard_holds(struct evictor *e, struct unit *u, long long now)
{
	if (!u->file)
		return false;
	if (now < u->held_until)
		return true;
	if (!u->dropped_bits)
		return false;
	struct evict_comeback c = { .pages = evict_file_pages(e, u->w),
				    .dropped = u->dropped_pages,
				    .reads = u->w->fs->accesses - u->dropped_reads };
	/* Scored in pieces and not read over twice yet: what came back is
	 * not read, and the record goes on, for a while. A whole file is
	 * read at each drop: its record begins anew as soon as its drops are
	 * seen to stay out (a paced scan's large files, read again a pass
	 * later, are not held). */
	struct block *blk = &e->blocks[u->block];
	bool pieces = blk->rule->unit != 0;
	if (pieces && !evict_comeback_due(c.pages, c.reads)) {
		if (now - u->dropped_ns > GUARD_RECORD_NS)
			evict_guard_forget(u);
		return false;
	}
	/* A block drops a file's pieces in many runs a step: the file is
	 * read once a step. */
	if (u->guard_checked_ns == now)
		return false;
	u->guard_checked_ns = now;
	c.back = read_back(e, u);
	enum evict_comeback_verdict v = evict_came_back(&c);
	if (v == EVICT_STAYED_OUT)
		evict_guard_forget(u);   /* the next drop begins a new record */
	if (v != EVICT_CAME_BACK)
		return false;
	/* could_hold reads every unit of the block: a few a step, so that a
	 * tree of 80,000 files read over and over costs no more (the rest
	 * are asked at the next step). */
	if (blk->guard_asked >= GUARD_ASKED_A_STEP)
		return false;
	blk->guard_asked++;
	if (!could_hold(e, blk, u, now)) {
		if (pieces)
			evict_guard_forget(u);   /* judged again once read over twice more */
		return false;
	}
	long long hold = evict_hold_ns(++u->holds);
	u->held_until = now + hold;
	struct mmp_region_report *rep = &e->reports[u->region];
	rep->ev_held++;
	rep->ev_back_bytes += c.back * e->page;
	char name[PATH_MAX + 64];
	if (!blk->said_comeback) {
		blk->said_comeback = true;
		mmp_warn("evict: policy '%s': %s came straight back: %" PRIu64 " KiB of the %" PRIu64 " KiB dropped of it "
			 "were read again within %.1f s, while it was read over %.0f times, and the cgroup can hold it. "
			 "It is in use, and '%s' holds with "
			 "it cached: it is left to the kernel's reclaim for %lld s, longer if it comes back again (other "
			 "files that do are counted at exit; -v names each). The trigger's level may be below what the "
			 "files in use need",
			 e->obj->plan.policies[blk->rule->policy].name, evict_unit_label(e, u, name, sizeof(name)),
			 c.back * e->page / 1024, u->dropped_pages * e->page / 1024, (double)(now - u->dropped_ns) / 1e9,
			 (double)c.reads / (double)c.pages, trigger_text(blk->trigger), hold / 1000000000LL);
	} else {
		mmp_debug("evict: %s came straight back (%" PRIu64 " of %" PRIu64 " pages): held for %lld s",
			  evict_unit_label(e, u, name, sizeof(name)), c.back, u->dropped_pages, hold / 1000000000LL);
	}
	evict_guard_forget(u);
	return true;
}
