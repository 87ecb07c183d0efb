/* evict_order.h - what an evict block acts on first, what 'protect top'
 * keeps, and how much it may evict: plain values. evict.c finds the units,
 * reads their figures and advises the kernel. */
#ifndef MMP_EVICT_ORDER_H
#define MMP_EVICT_ORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EVICT_WHOLE UINT32_MAX
/* A piece with nothing cached when the scores were made; one cached since
 * is scored when an order is made (evict_score_piece), so that it is
 * neither put first for a score of nothing nor left out. */
#define EVICT_UNSCORED INT64_MAX

/* A unit of a block, or a piece of one, as the order sees it. */
struct evict_key {
	int64_t score;
	uint64_t resident;             /* bytes */
	size_t unit;                   /* the caller's index */
	uint32_t piece;                /* a piece of the unit's file, or EVICT_WHOLE */
};

/* The lowest score first; on a tie the larger unit first, then in the
 * caller's order of units and pieces. */
void evict_sort(struct evict_key *k, size_t n);
/* A piece read since a block's order was made: its score, and its index
 * in BPF's piece array (a file's pieces are a run of it, so that the next
 * index is the file's next piece). */
struct fresh_key {
	int64_t score;
	uint32_t at;
};
/* The lowest score first; on a tie by index, so that a file's pieces of
 * one score come as runs. */
void evict_fresh_sort(struct fresh_key *k, size_t n);
/* A and B, each sorted so, merged into OUT (room for NA + NB), a key
 * that is in both once: how many OUT holds. */
size_t evict_fresh_merge(const struct fresh_key *a, size_t na, const struct fresh_key *b, size_t nb,
			 struct fresh_key *out);
/* The buckets of a histogram of scores, for finding the lowest without
 * sorting them all: a step drops a few thousand of a million pieces, and
 * sorting them all at each scoring took most of mmp's time. A bucket
 * holds one score below 64 (counts are mostly small numbers), then a
 * sixteenth of a power of two; negative scores mirror the others. */
#define EVICT_EXACT 64u
#define EVICT_SIGN_BUCKETS (EVICT_EXACT + 58u * 16u)
#define EVICT_BUCKETS (2u * EVICT_SIGN_BUCKETS)
/* SCORE's bucket: a lower score never has a higher bucket. */
unsigned evict_bucket(int64_t score);
/* The first bucket B from FROM on where BYTES[FROM..B] hold WANT, or the
 * last bucket. */
unsigned evict_bucket_upto(const uint64_t *bytes, unsigned from, uint64_t want);
/* The bytes 'protect top' keeps: KEEP_PCT percent of TOTAL, or KEEP bytes
 * (0: none). */
uint64_t evict_keep_bytes(uint64_t total, long long keep, int keep_pct);
/* How many of the highest scores (the last of K, sorted) are protected:
 * from the top down, while their resident bytes fit in KEEP. */
size_t evict_protected(const struct evict_key *k, size_t n, uint64_t keep);
/* The token bucket of a block's rate: LIMIT bytes a second, filled from
 * the last tick at LAST_NS (0: none yet) to NOW_NS, at most a second's
 * worth, whether the trigger holds or not. */
double evict_refill(double budget, long long limit, long long last_ns, long long now_ns);
/* What a block has dropped, in bytes a second over the last window of a
 * second or more (RATE), and in the window now (BYTES since START_NS). */
struct evict_pace {
	long long start_ns;
	double bytes;
	double rate;
};
/* BYTES dropped at NOW. */
void evict_pace_add(struct evict_pace *p, double bytes, long long now);
/* The pace at NOW: the last window's, or the one now where that has run
 * a second or more (a block quiet for an hour paces at what came since,
 * not at what it did an hour ago). */
double evict_pace_rate(const struct evict_pace *p, long long now);
/* What to evict now: with a usage trigger its excess (-1: none) and
 * room for what comes in before the next step (a MiB, or 10 ms of the
 * block's pace where that is more); otherwise as much as the budget
 * allows. */
double evict_need(long long excess, double budget, double pace);
/* A whole file whose pages a block dropped, as the guard against drops
 * read straight back sees it at the next drop of it (evict_guard.c). */
struct evict_comeback {
	uint64_t pages;                /* the file's */
	uint64_t dropped;              /* pages the drops took, since the record began */
	uint64_t back;                 /* of them, cached again */
	uint64_t reads;                /* pages of it read since */
};
#define EVICT_COMEBACK_MIN_PAGES 64
enum evict_comeback_verdict {
	EVICT_CAME_BACK,               /* read straight back, over and over */
	EVICT_NOT_YET,                 /* back, but not read over twice yet: the record goes on */
	EVICT_STAYED_OUT,              /* the drops held: a new record */
};
/* Whether a file of PAGES, READS of its pages read since its record
 * began, was read over more than twice. A file scored in pieces is
 * judged only then (it is dropped many times a second, and reading its
 * cache state at each step cost RocksDB a tenth of its GETs); a whole
 * file at each drop, where it can also be seen to have stayed out. */
bool evict_comeback_due(uint64_t pages, uint64_t reads);
/* Read straight back: a quarter of the pages dropped or more are cached
 * again (and at least EVICT_COMEBACK_MIN_PAGES: fewer say nothing either
 * way), and it was read over more than twice meanwhile, so it is read
 * over and over: a scan reads each page once a pass, and comes back to a
 * page a drop took once a pass. */
enum evict_comeback_verdict evict_came_back(const struct evict_comeback *c);
/* How long a file that came straight back for the HOLDS-th time (from 1)
 * is left to the kernel: 10 s, twice as long each time, up to 80 s. */
long long evict_hold_ns(unsigned holds);

/* When a block's trigger starts or stops holding, it is said, but once in
 * EVICT_SAY_NS at most: at 98% of a cgroup's limit it changes many times
 * a second. */
#define EVICT_SAY_NS 10000000000LL
struct evict_say {
	long long said_ns;             /* 0: never said */
	unsigned long unsaid;          /* changes since, said with -v only */
	long long changed_ns;          /* the last of them */
};
/* A step at NOW, CHANGED if the trigger started or stopped holding in it:
 * true if its state is to be said now, *UNSAID the changes left unsaid
 * before it, *CHANGED_NS when the last of them was. The state is said
 * after a spell of changes too, 10 s after the last word, so that the
 * last word is not a state that has changed since; it says when it
 * began. */
bool evict_say_step(struct evict_say *s, bool changed, long long now, unsigned long *unsaid, long long *changed_ns);
/* At the end: true if changes went unsaid since the last word, so that
 * the state the trigger ended in is said; *UNSAID is how many (the last
 * of them too, unlike at a step, where the change being said is not
 * counted), *CHANGED_NS when the last of them was. */
bool evict_say_end(struct evict_say *s, unsigned long *unsaid, long long *changed_ns);

#endif
