/* extents.c - runs of an array handed out and given back. See extents.h. */
#include "extents.h"

#include <stdlib.h>
#include <string.h>

int extents_init(struct extents *x, uint32_t total)
{
	*x = (struct extents){ 0 };
	if (!total)
		return 0;
	x->free = malloc(16 * sizeof(*x->free));
	if (!x->free)
		return -1;
	x->cap = 16;
	x->free[x->n++] = (struct extent){ 0, total };
	return 0;
}

bool extents_take(struct extents *x, uint32_t n, uint32_t *at)
{
	for (size_t i = 0; n && i < x->n; i++) {
		if (x->free[i].n < n)
			continue;
		*at = x->free[i].at;
		x->free[i].at += n;
		x->free[i].n -= n;
		if (!x->free[i].n) {
			memmove(&x->free[i], &x->free[i + 1], (x->n - i - 1) * sizeof(*x->free));
			x->n--;
		}
		return true;
	}
	return false;
}

bool extents_give(struct extents *x, uint32_t at, uint32_t n)
{
	if (!n)
		return true;
	/* The first free run after it. */
	size_t i = 0;
	while (i < x->n && x->free[i].at < at)
		i++;
	bool joins_prev = i > 0 && x->free[i - 1].at + x->free[i - 1].n == at;
	bool joins_next = i < x->n && at + n == x->free[i].at;
	if (joins_prev && joins_next) {
		x->free[i - 1].n += n + x->free[i].n;
		memmove(&x->free[i], &x->free[i + 1], (x->n - i - 1) * sizeof(*x->free));
		x->n--;
	} else if (joins_prev) {
		x->free[i - 1].n += n;
	} else if (joins_next) {
		x->free[i].at = at;
		x->free[i].n += n;
	} else {
		if (x->n == x->cap) {
			size_t cap = x->cap ? x->cap * 2 : 16;
			struct extent *m = realloc(x->free, cap * sizeof(*m));
			if (!m)
				return false;
			x->free = m;
			x->cap = cap;
		}
		memmove(&x->free[i + 1], &x->free[i], (x->n - i) * sizeof(*x->free));
		x->free[i] = (struct extent){ at, n };
		x->n++;
	}
	return true;
}

uint64_t extents_free_count(const struct extents *x)
{
	uint64_t n = 0;
	for (size_t i = 0; i < x->n; i++)
		n += x->free[i].n;
	return n;
}

void extents_free(struct extents *x)
{
	free(x->free);
	*x = (struct extents){ 0 };
}
