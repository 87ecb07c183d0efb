/* evict_order.c - the order of an evict block. See evict_order.h. */
#include "evict_order.h"

#include <stdlib.h>

static int by_score(const void *a, const void *b)
{
	const struct evict_key *x = a, *y = b;
	if (x->score != y->score)
		return x->score < y->score ? -1 : 1;
	if (x->resident != y->resident)
		return x->resident > y->resident ? -1 : 1;   /* the larger first */
	/* Then in file order: the pieces a scan read, tied, come out in
	 * runs that one call drops. */
	if (x->unit != y->unit)
		return x->unit < y->unit ? -1 : 1;
	return x->piece < y->piece ? -1 : x->piece > y->piece;
}

void evict_sort(struct evict_key *k, size_t n)
{
	qsort(k, n, sizeof(*k), by_score);
}

static void swap_keys(struct evict_key *a, struct evict_key *b)
{
	struct evict_key t = *a;
	*a = *b;
	*b = t;
}

/* Moves the M lowest of K[0, N) to K[0, M), in no order (quickselect,
 * partitioned three ways: scores tie often, counts being small numbers). */
static void select_lowest(struct evict_key *k, size_t n, size_t m)
{
	size_t lo = 0, hi = n;
	while (hi - lo > 1) {
		struct evict_key pivot = k[lo + (hi - lo) / 2];
		size_t lt = lo, i = lo, gt = hi;   /* [lo,lt) < pivot, [lt,i) == pivot, [gt,hi) > pivot */
		while (i < gt) {
			int c = by_score(&k[i], &pivot);
			if (c < 0)
				swap_keys(&k[lt++], &k[i++]);
			else if (c > 0)
				swap_keys(&k[i], &k[--gt]);
			else
				i++;
		}
		if (m < lt)
			hi = lt;
		else if (m <= gt)
			return;
		else
			lo = gt;
	}
}

size_t evict_sort_more(struct evict_key *k, size_t n, size_t from, uint64_t bytes)
{
	if (from >= n)
		return n;
	/* As many keys as hold BYTES at the rest's mean size, a quarter more:
	 * each round of selection walks all the rest. */
	uint64_t rest = 0;
	for (size_t i = from; i < n; i++)
		rest += k[i].resident;
	uint64_t mean = rest / (n - from) ? rest / (n - from) : 1;
	uint64_t fit = bytes / mean < n ? bytes / mean : n;
	size_t m = from, want = (size_t)(fit + fit / 4 + 1024);
	uint64_t sum = 0;
	while (m < n && sum < bytes) {
		size_t end = n - m <= want ? n : m + want;
		if (end < n)
			select_lowest(k + m, n - m, end - m);
		qsort(k + m, end - m, sizeof(*k), by_score);
		for (size_t i = m; i < end; i++)
			sum += k[i].resident;
		m = end;
		want *= 2;
	}
	return m;
}

uint64_t evict_keep_bytes(uint64_t total, long long keep, int keep_pct)
{
	return keep_pct ? total * (uint64_t)keep_pct / 100 : (uint64_t)keep;
}

size_t evict_protected(const struct evict_key *k, size_t n, uint64_t keep)
{
	uint64_t kept = 0;
	size_t np = 0;
	for (size_t i = n; keep && i-- > 0;) {
		if (kept + k[i].resident > keep)
			break;
		kept += k[i].resident;
		np++;
	}
	return np;
}

double evict_refill(double budget, long long limit, long long last_ns, long long now_ns)
{
	double dt = last_ns ? (double)(now_ns - last_ns) / 1e9 : 0;
	/* Filled while the trigger does not hold too: one second's worth is
	 * there the moment it holds, which the threshold's notice (a step
	 * just after a tick) needs. */
	budget += (double)limit * dt;
	if (budget > (double)limit)
		budget = (double)limit;
	if (budget < -(double)limit)   /* a drop that freed more than asked owes a second at most */
		budget = -(double)limit;
	return budget;
}

double evict_need(long long excess, double budget)
{
	/* No more than a usage trigger needs: the next scores up are left
	 * alone while the lowest ones suffice. */
	return excess >= 0 ? (double)excess + 1048576.0 : budget;
}
