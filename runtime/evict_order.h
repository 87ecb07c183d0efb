/* evict_order.h - what an evict block acts on first, what 'protect top'
 * keeps, and how much it may evict: plain values. evict.c finds the units,
 * reads their figures and advises the kernel. */
#ifndef MMP_EVICT_ORDER_H
#define MMP_EVICT_ORDER_H

#include <stddef.h>
#include <stdint.h>

#define EVICT_WHOLE UINT32_MAX

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
/* Sorts K[0, N) as far as it is needed: K[0, FROM) is sorted and lower
 * than the rest; afterwards K[0, M) is, with the keys of K[FROM, M)
 * holding at least BYTES (or M == N). Returns M. A step drops a few
 * thousand of a million pieces: sorting them all at each scoring took
 * most of mmp's time. */
size_t evict_sort_more(struct evict_key *k, size_t n, size_t from, uint64_t bytes);
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
/* What to evict now: with a usage trigger its excess (-1: none) and a
 * MiB more; otherwise as much as the budget allows. */
double evict_need(long long excess, double budget);

#endif
