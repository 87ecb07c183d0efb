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

static int by_score_then_index(const void *a, const void *b)
{
	const struct fresh_key *x = a, *y = b;
	if (x->score != y->score)
		return x->score < y->score ? -1 : 1;
	return x->at < y->at ? -1 : x->at > y->at;
}

void evict_fresh_sort(struct fresh_key *k, size_t n)
{
	if (n)
		qsort(k, n, sizeof(*k), by_score_then_index);
}

size_t evict_fresh_merge(const struct fresh_key *a, size_t na, const struct fresh_key *b, size_t nb,
			 struct fresh_key *out)
{
	size_t i = 0, j = 0, m = 0;
	while (i < na || j < nb) {
		struct fresh_key k = j == nb || (i < na && by_score_then_index(&a[i], &b[j]) <= 0) ? a[i++] : b[j++];
		if (!m || by_score_then_index(&out[m - 1], &k))
			out[m++] = k;
	}
	return m;
}

/* Where a non-negative score falls among the buckets of one sign: itself
 * below 64, then 16 buckets for each power of two. */
static unsigned bucket_of_magnitude(uint64_t v)
{
	if (v < EVICT_EXACT)
		return (unsigned)v;
	unsigned e = 63u - (unsigned)__builtin_clzll(v);   /* 6 .. 63 */
	return EVICT_EXACT + (e - 6) * 16 + (unsigned)((v >> (e - 4)) & 15);
}

unsigned evict_bucket(int64_t score)
{
	/* Negative scores mirror the positive ones, below them: -1 is the
	 * highest of them, as 0 the lowest of the others. */
	if (score < 0)
		return EVICT_SIGN_BUCKETS - 1 - bucket_of_magnitude((uint64_t)(-(score + 1)));
	return EVICT_SIGN_BUCKETS + bucket_of_magnitude((uint64_t)score);
}

unsigned evict_bucket_upto(const uint64_t *bytes, unsigned from, uint64_t want)
{
	uint64_t sum = 0;
	for (unsigned b = from; b < EVICT_BUCKETS; b++)
		if ((sum += bytes[b]) >= want)
			return b;
	return EVICT_BUCKETS - 1;
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

double evict_pace_rate(const struct evict_pace *p, long long now)
{
	if (p->start_ns && now - p->start_ns >= 1000000000LL)
		return p->bytes * 1e9 / (double)(now - p->start_ns);
	return p->rate;
}

void evict_pace_add(struct evict_pace *p, double bytes, long long now)
{
	if (!p->start_ns || now - p->start_ns >= 1000000000LL) {   /* a new window */
		p->rate = evict_pace_rate(p, now);
		p->start_ns = now;
		p->bytes = 0;
	}
	p->bytes += bytes;
}

double evict_need(long long excess, double budget, double pace)
{
	/* No more than a usage trigger needs: the next scores up are left
	 * alone while the lowest ones suffice. But a scan fills a small
	 * cgroup faster than a step a crossing can keep up with: a RocksDB
	 * scanning 900 MiB a second into 160 MiB crossed 98% 160 times a
	 * second, and a MiB a step left most of it to the kernel's reclaim.
	 * 10 ms of the pace a step keeps steps at 100 a second at most. */
	double room = pace / 100.0 > 1048576.0 ? pace / 100.0 : 1048576.0;
	return excess >= 0 ? (double)excess + room : budget;
}

bool evict_say_step(struct evict_say *s, bool changed, long long now, unsigned long *unsaid, long long *changed_ns)
{
	*unsaid = s->unsaid;
	*changed_ns = changed ? now : s->changed_ns;
	if (changed)
		s->changed_ns = now;
	if (s->said_ns && now - s->said_ns < EVICT_SAY_NS) {
		s->unsaid += changed;
		return false;
	}
	if (!changed && !s->unsaid)
		return false;
	s->said_ns = now;
	s->unsaid = 0;
	return true;
}

bool evict_say_end(struct evict_say *s, unsigned long *unsaid, long long *changed_ns)
{
	*unsaid = s->unsaid;
	*changed_ns = s->changed_ns;
	s->unsaid = 0;
	return *unsaid > 0;
}

bool evict_comeback_due(uint64_t pages, uint64_t reads)
{
	return reads > 2 * pages;
}

enum evict_comeback_verdict evict_came_back(const struct evict_comeback *c)
{
	if (c->dropped < EVICT_COMEBACK_MIN_PAGES || c->back < EVICT_COMEBACK_MIN_PAGES || c->back * 4 < c->dropped)
		return EVICT_STAYED_OUT;
	return evict_comeback_due(c->pages, c->reads) ? EVICT_CAME_BACK : EVICT_NOT_YET;
}

long long evict_hold_ns(unsigned holds)
{
	unsigned doublings = holds > 1 ? holds - 1 : 0;
	return 10000000000LL << (doublings < 3 ? doublings : 3);
}
