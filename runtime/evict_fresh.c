/* evict_fresh.c - pieces read since the last scoring, for the blocks with
 * a 'unit'. A block's order is made from one scoring, at most a few times
 * a second, and a scan fills a cgroup's page cache faster: without these,
 * a step would drop the order's next keys (a GET's page, say) while the
 * pages a scan read a moment ago, scored lower, wait for the next scoring
 * and meanwhile go to the kernel's reclaim with everything else. BPF sends
 * the index of each piece at its first read since a page of it was cached
 * (mmp_fresh_pieces); each step scores them, and a block drops those that
 * score below its order's next key first. See evict_state.h. */
#define _GNU_SOURCE
#include "evict_state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "log.h"

#define FRESH_MAX (1U << 20)   /* a step's, and a block's: more are left to the next scoring */

static int take_one(void *ctx, void *data, size_t len)
{
	struct evictor *e = ctx;
	if (len < sizeof(uint32_t) || e->nfresh == FRESH_MAX)
		return 0;
	if (e->nfresh == e->capfresh) {
		size_t cap = e->capfresh ? e->capfresh * 2 : 4096;
		uint32_t *n = realloc(e->fresh, cap * sizeof(*n));
		if (!n)
			return 0;
		e->fresh = n;
		e->capfresh = cap;
	}
	uint32_t at;
	memcpy(&at, data, sizeof(at));
	if (at < MMP_MAX_PIECES)
		e->fresh[e->nfresh++] = at;
	return 0;
}

int evict_fresh_setup(struct evictor *e, const struct loaded *l)
{
	if (!e->unit)
		return 0;
	int fd = loader_map_fd(l, "mmp_fresh_pieces");
	if (fd < 0) {
		mmp_error("evict: the policy's object has no map mmp_fresh_pieces: was it built by another mmpc?");
		return -ENOENT;
	}
	e->piece_owner = calloc(MMP_MAX_PIECES, sizeof(*e->piece_owner));
	if (!e->piece_owner) {
		mmp_error("evict: out of memory");
		return -ENOMEM;
	}
	e->fresh_rb = ring_buffer__new(fd, take_one, e, NULL);
	if (!e->fresh_rb) {
		int err = -errno;
		mmp_error("evict: cannot read BPF's ring of pieces read (mmp_fresh_pieces): %s", strerror(-err));
		return err;
	}
	return 0;
}

void evict_fresh_own(struct evictor *e, uint32_t at, uint32_t n, struct watched *w)
{
	for (uint32_t i = 0; e->piece_owner && i < n && at + i < MMP_MAX_PIECES; i++)
		e->piece_owner[at + i] = w;
}

void evict_fresh_read(struct evictor *e)
{
	e->nfresh = 0;
	if (e->fresh_rb)
		ring_buffer__consume(e->fresh_rb);
}

/* The unit of block B that scores W in pieces, or NULL. */
static struct unit *unit_of(const struct evictor *e, size_t b, const struct watched *w)
{
	for (struct unit *u = w->units; u; u = u->next_of_file)
		if (u->block == b && evict_by_pieces(e, u))
			return u;
	return NULL;
}

/* Piece AT's unit in block B and its score now, or false: nobody's
 * piece, or nothing of it cached. */
static bool score_now(struct evictor *e, size_t b, uint32_t at, struct unit **unit, int64_t *score)
{
	struct watched *w = e->piece_owner[at];
	struct unit *u = w ? unit_of(e, b, w) : NULL;
	if (!u || at - file_piece_base(w) >= file_npieces(w))
		return false;
	*unit = u;
	*score = evict_piece_score_now(e, u, at - file_piece_base(w));
	return *score != EVICT_UNSCORED;
}

void evict_fresh_take(struct evictor *e, size_t b)
{
	struct block *blk = &e->blocks[b];
	size_t left = blk->nfresh - blk->freshnext, add = 0, n = e->nfresh + blk->nlater;
	if (!n)
		return;
	struct fresh_key *mine = malloc(n * sizeof(*mine));
	if (!mine)
		return;
	for (size_t i = 0; i < n; i++) {
		uint32_t at = i < e->nfresh ? e->fresh[i] : blk->later[i - e->nfresh];
		struct unit *u;
		int64_t s;
		if (score_now(e, b, at, &u, &s) && left + add < FRESH_MAX)
			mine[add++] = (struct fresh_key){ s, at };
	}
	blk->nlater = 0;
	evict_fresh_sort(mine, add);
	/* Merged with what is left of the block's. */
	struct fresh_key *all = malloc((left + add + 1) * sizeof(*all));
	if (!all) {
		free(mine);
		return;
	}
	blk->nfresh = evict_fresh_merge(blk->fresh + blk->freshnext, left, mine, add, all);
	blk->freshnext = 0;
	free(mine);
	free(blk->fresh);
	blk->fresh = all;
}

/* Keeps AT for the next step's scoring (a full list loses it to the next
 * scoring of the order). */
static void try_later(struct block *blk, uint32_t at)
{
	if (blk->nlater == blk->caplater) {
		size_t cap = blk->caplater ? blk->caplater * 2 : 256;
		uint32_t *n = cap <= FRESH_MAX ? realloc(blk->later, cap * sizeof(*n)) : NULL;
		if (!n)
			return;
		blk->later = n;
		blk->caplater = cap;
	}
	blk->later[blk->nlater++] = at;
}

bool evict_fresh_run(struct evictor *e, size_t b, int64_t below, double want, struct unit **unit, uint32_t *first,
		     uint32_t *count)
{
	struct block *blk = &e->blocks[b];
	while (blk->freshnext < blk->nfresh) {
		const struct fresh_key *k = &blk->fresh[blk->freshnext];
		if (k->score >= below)
			return false;   /* the rest scored as high or higher */
		blk->freshnext++;
		/* Scored again: read since (a GET's page a scan read first),
		 * or nothing cached any more. One too high now may be low
		 * enough once the order has gone further: the next step tries
		 * it again. */
		struct unit *u;
		int64_t s;
		if (!score_now(e, b, k->at, &u, &s))
			continue;
		if (s >= below) {
			try_later(blk, k->at);
			continue;
		}
		/* The next pieces of the file that follow in the list (across
		 * pieces that head nothing cached), each scored again too, as
		 * many as are wanted. */
		struct watched *w = u->w;
		uint32_t base = file_piece_base(w), p = k->at - base, n = 1;
		double bytes = (double)evict_piece_pages(e, w, p) * (double)e->page;
		while (blk->freshnext < blk->nfresh && bytes < want) {
			const struct fresh_key *x = &blk->fresh[blk->freshnext];
			struct unit *xu;
			int64_t xs;
			if (x->at - base >= file_npieces(w) || !evict_pieces_uncached(e, w, p + n, x->at - base) ||
			    !score_now(e, b, x->at, &xu, &xs) || xu != u || xs >= below)
				break;
			bytes += (double)evict_piece_pages(e, w, x->at - base) * (double)e->page;
			n = x->at - k->at + 1;
			blk->freshnext++;
		}
		*unit = u;
		*first = p;
		*count = n;
		return true;
	}
	return false;
}

void evict_fresh_clear(struct block *blk)
{
	blk->nfresh = blk->freshnext = blk->nlater = 0;
	blk->nnew = 0;
}

void evict_fresh_newcomer(struct evictor *e, size_t b, uint32_t unit)
{
	struct block *blk = &e->blocks[b];
	if (blk->nnew == blk->capnew) {
		size_t cap = blk->capnew ? blk->capnew * 2 : 256;
		uint32_t *n = cap <= FRESH_MAX ? realloc(blk->newcomers, cap * sizeof(*n)) : NULL;
		if (!n)
			return;   /* in the order at the next scoring */
		blk->newcomers = n;
		blk->capnew = cap;
	}
	blk->newcomers[blk->nnew++] = unit;
}

void evict_fresh_free(struct evictor *e)
{
	if (e->fresh_rb)
		ring_buffer__free(e->fresh_rb);
	e->fresh_rb = NULL;
	free(e->fresh);
	e->fresh = NULL;
	free(e->piece_owner);
	e->piece_owner = NULL;   /* the files forgotten after this give back no pieces to it */
	for (size_t b = 0; b < e->nblocks; b++) {
		free(e->blocks[b].fresh);
		free(e->blocks[b].later);
		free(e->blocks[b].newcomers);
	}
}
