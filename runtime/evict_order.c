/* evict_order.c - the order of an evict block. See evict_order.h. */
#include "evict_order.h"

#include <stdlib.h>

static int by_score(const void *a, const void *b)
{
	const struct evict_key *x = a, *y = b;
	if (x->score != y->score)
		return x->score < y->score ? -1 : 1;
	return x->resident > y->resident ? -1 : x->resident < y->resident;   /* the larger first */
}

void evict_sort(struct evict_key *k, size_t n)
{
	qsort(k, n, sizeof(*k), by_score);
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
	return budget;
}

double evict_need(long long excess, double budget)
{
	/* No more than a usage trigger needs: the next scores up are left
	 * alone while the lowest ones suffice. */
	return excess >= 0 ? (double)excess + 1048576.0 : budget;
}
