/* evict_pieces.c - files counted in pieces, for the blocks with a 'unit':
 * the page cache of one file is not all equally wanted (a database's
 * blocks, whose hot keys are spread over every file), so such a block
 * scores and drops each piece of UNIT bytes on its own, as cache_ext acts
 * on folios. BPF counts a piece's accesses, misses and cached pages in
 * an array mapped here; each file has a run of it, given here from a
 * free list when a block first scores the file and taken back when the
 * file is forgotten. See evict_state.h. */
#define _GNU_SOURCE
#include "evict_state.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"

int evict_pieces_setup(struct evictor *e, const struct loaded *l)
{
	for (size_t b = 0; b < e->nblocks && !e->unit; b++)
		e->unit = (uint64_t)e->blocks[b].rule->unit;
	if (!e->unit)
		return 0;
	/* BPF finds a page's piece by a shift of 4K pages. */
	if (e->page != 4096) {
		mmp_error("evict: 'unit' needs 4K pages, and this machine's are %" PRIu64 " bytes", e->page);
		return -EINVAL;
	}
	e->pieces_len = (size_t)MMP_MAX_PIECES * sizeof(struct mmp_piece);
	e->pieces = loader_map_mmap(l, "mmp_pieces", e->pieces_len, "the pieces' figures (evict)");
	if (!e->pieces)
		return -errno;
	if (extents_init(&e->piece_runs, MMP_MAX_PIECES) < 0) {
		mmp_error("evict: out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* Publishes W's pieces to BPF in one store: base and count agree. */
static void publish(struct watched *w, uint32_t at, uint32_t n)
{
	struct mmp_file_stats *fs = (struct mmp_file_stats *)w->fs;
	__atomic_store_n(&fs->pieces, n ? (uint64_t)at << 32 | n : 0, __ATOMIC_RELEASE);
}

void evict_file_pieces(struct evictor *e, struct watched *w)
{
	uint32_t had = file_npieces(w), old_at = file_piece_base(w);
	if (!e->pieces || (had && !w->fs->past_pieces))
		return;
	/* Its size now (an empty file found while it was written is given
	 * pieces at a later refresh, a file that grew more of them). */
	int fd = evict_file_open(w);
	if (fd < 0)
		return;
	((struct mmp_file_stats *)w->fs)->past_pieces = 0;
	uint64_t n = (w->size + e->unit - 1) / e->unit;
	uint32_t at;
	if (n <= had) {
		close(fd);
		return;
	}
	if (n > UINT32_MAX || !extents_take(&e->piece_runs, (uint32_t)n, &at)) {
		if (!e->warned_pieces)
			mmp_warn("evict: BPF counts %u pieces of %" PRIu64 " bytes, as many as it can: %s is scored %s until "
				 "others are forgotten",
				 MMP_MAX_PIECES, e->unit, w->path ? w->path : "a file", had ? "in the pieces it has" : "whole");
		e->warned_pieces = true;
		close(fd);
		return;
	}
	/* The pieces it had keep their figures (what BPF adds meanwhile to
	 * the old run is lost); the new ones start from nothing. */
	memset(&e->pieces[at], 0, (size_t)n * sizeof(*e->pieces));
	if (had)
		memcpy(&e->pieces[at], &e->pieces[old_at], (size_t)had * sizeof(*e->pieces));
	publish(w, at, (uint32_t)n);
	if (had) {
		memset(&e->pieces[old_at], 0, (size_t)had * sizeof(*e->pieces));
		extents_give(&e->piece_runs, old_at, had);
		evict_fresh_own(e, old_at, had, NULL);
	}
	evict_fresh_own(e, at, (uint32_t)n, w);
	/* The pages of the new pieces cached before BPF counted them. A page
	 * added since is counted twice; the figures are floored at 0 where
	 * they are read. */
	unsigned char *vec = evict_cached_map(fd, w->size, e->page);
	close(fd);
	uint64_t per = e->unit / e->page, pages = evict_file_pages(e, w);
	for (uint64_t p = (uint64_t)had * per; vec && p < pages; p++)
		if (vec[p] & 1)
			__atomic_fetch_add(&e->pieces[at + p / per].resident, 1, __ATOMIC_RELAXED);
	free(vec);
}

void evict_file_pieces_free(struct evictor *e, struct watched *w)
{
	uint32_t n = file_npieces(w), at = file_piece_base(w);
	if (!e->pieces || !n)
		return;
	publish(w, 0, 0);
	memset(&e->pieces[at], 0, (size_t)n * sizeof(*e->pieces));
	extents_give(&e->piece_runs, at, n);
	evict_fresh_own(e, at, n, NULL);
}

bool evict_pieces_uncached(const struct evictor *e, const struct watched *w, uint32_t from, uint32_t to)
{
	if (to < from || to - from > EVICT_RUN_GAP)
		return false;   /* behind the run (the callers count on this), or too far ahead */
	for (uint32_t p = from; p < to; p++)
		if (evict_piece(e, w, p)->resident > 0)
			return false;
	return true;
}

int evict_file_open_once(struct evictor *e, struct watched *w)
{
	if (w->fd != -1)   /* open, or -2: failed this step already */
		return w->fd >= 0 ? w->fd : -1;
	if (e->nopened == e->capopened) {
		size_t cap = e->capopened ? e->capopened * 2 : 64;
		struct watched **n = realloc(e->opened, cap * sizeof(*n));
		if (!n)
			return -1;
		e->opened = n;
		e->capopened = cap;
	}
	int fd = evict_file_open(w);
	w->fd = fd >= 0 ? fd : -2;
	e->opened[e->nopened++] = w;
	return fd;
}

void evict_close_opened(struct evictor *e)
{
	for (size_t i = 0; i < e->nopened; i++) {
		if (e->opened[i]->fd >= 0)
			close(e->opened[i]->fd);
		e->opened[i]->fd = -1;
	}
	e->nopened = 0;
}

void evict_pieces_free(struct evictor *e)
{
	evict_close_opened(e);
	free(e->opened);
	extents_free(&e->piece_runs);
	if (e->pieces)
		munmap(e->pieces, e->pieces_len);
}
