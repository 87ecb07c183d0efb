/* pf_ranges.c - predictions as address ranges. See pf_ranges.h. */
#include "pf_ranges.h"

#include <errno.h>
#include <stdlib.h>

bool pf_event_valid(const struct mmp_pf_event *e)
{
	return e->count != 0 && e->count <= 4096;
}

int pf_ranges_push(struct pf_ranges *l, uint64_t start, uint64_t end, uint32_t region)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct pf_range *n = realloc(l->r, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		l->r = n;
		l->cap = cap;
	}
	l->r[l->n++] = (struct pf_range){ start, end, region };
	return 0;
}

void pf_ranges_add_event(struct pf_ranges *l, const struct mmp_pf_event *e)
{
	if (e->stride == (int64_t)PF_PAGE || e->stride == -(int64_t)PF_PAGE) {
		/* Sequential: one range. */
		uint64_t span = (uint64_t)(e->count - 1) * PF_PAGE;
		uint64_t lo = e->stride > 0 ? e->start : e->start - span;
		pf_ranges_push(l, lo, lo + span + PF_PAGE, e->region);
		return;
	}
	for (uint32_t k = 0; k < e->count; k++)
		pf_ranges_push(l, e->start + (uint64_t)((int64_t)k * e->stride),
			       e->start + (uint64_t)((int64_t)k * e->stride) + PF_PAGE, e->region);
}

static int by_start(const void *a, const void *b)
{
	const struct pf_range *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

size_t pf_ranges_merge(struct pf_range *r, size_t n)
{
	qsort(r, n, sizeof(*r), by_start);
	size_t m = 0;
	for (size_t i = 0; i < n;) {
		struct pf_range cur = r[i++];
		while (i < n && r[i].start <= cur.end && r[i].region == cur.region) {
			if (r[i].end > cur.end)
				cur.end = r[i].end;
			i++;
		}
		r[m++] = cur;
	}
	return m;
}

bool pf_recent_covers(const struct pf_recent *q, const struct pf_range *r)
{
	for (size_t i = 0; i < q->n; i++)
		if (q->r[i].start <= r->start && r->end <= q->r[i].end)
			return true;
	return false;
}

void pf_recent_add(struct pf_recent *q, const struct pf_range *r)
{
	q->r[q->next] = *r;
	q->next = (q->next + 1) % PF_RECENT;
	if (q->n < PF_RECENT)
		q->n++;
}

bool pf_call_full(size_t n, uint64_t bytes, uint64_t len)
{
	return n == PF_MAX_IOV || bytes + len > PF_MAX_CALL;
}
