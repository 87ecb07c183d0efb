/* arena.c - bump allocator in growing chunks, plus a string intern table. */
#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

#define CHUNK_MIN (64 * 1024)
/* What the compiler stores needs no more (pointers, 64-bit integers,
 * doubles); max_align_t's 16 would add a third to a 40-byte node. */
#define ARENA_ALIGN 8
_Static_assert(_Alignof(void *) <= ARENA_ALIGN && _Alignof(uint64_t) <= ARENA_ALIGN &&
	       _Alignof(double) <= ARENA_ALIGN, "the arena's alignment");

struct chunk {
	struct chunk *next;
	size_t used, size;
	max_align_t data[];
};

struct intern_entry {
	struct intern_entry *next;
	size_t len;
	uint64_t hash;
	char s[];
};

struct mmp_arena {
	struct chunk *chunks;
	size_t footprint;
	struct intern_entry **buckets;
	size_t nbuckets, ninterned;
};

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);
	if (!p) {
		fputs("mmpc: error: out of memory\n", stderr);
		abort();
	}
	return p;
}

struct mmp_arena *arena_new(void)
{
	struct mmp_arena *a = xcalloc(1, sizeof(*a));
	a->nbuckets = 256;
	a->buckets = xcalloc(a->nbuckets, sizeof(*a->buckets));
	a->footprint = sizeof(*a) + a->nbuckets * sizeof(*a->buckets);
	return a;
}

void arena_free(struct mmp_arena *a)
{
	if (!a)
		return;
	for (struct chunk *c = a->chunks, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a->buckets);
	free(a);
}

void *arena_alloc(struct mmp_arena *a, size_t size)
{
	size_t align = ARENA_ALIGN;
	size = (size + align - 1) & ~(align - 1);
	struct chunk *c = a->chunks;
	if (!c || c->size - c->used < size) {
		size_t csize = size > CHUNK_MIN ? size : CHUNK_MIN;
		c = xcalloc(1, sizeof(*c) + csize);
		c->size = csize;
		c->next = a->chunks;
		a->chunks = c;
		a->footprint += sizeof(*c) + csize;
	}
	void *p = (char *)c->data + c->used;
	c->used += size;
	return p;
}

char *arena_strndup(struct mmp_arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static uint64_t hash_bytes(const char *s, size_t n)
{
	return mmp_fnv1a(MMP_FNV_OFFSET, s, n);
}

static void intern_grow(struct mmp_arena *a)
{
	size_t n = a->nbuckets * 2;
	struct intern_entry **b = xcalloc(n, sizeof(*b));
	for (size_t i = 0; i < a->nbuckets; i++) {
		for (struct intern_entry *e = a->buckets[i], *next; e; e = next) {
			next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	free(a->buckets);
	a->footprint += (n - a->nbuckets) * sizeof(*b);
	a->buckets = b;
	a->nbuckets = n;
}

const char *arena_intern(struct mmp_arena *a, const char *s, size_t n)
{
	uint64_t h = hash_bytes(s, n);
	for (struct intern_entry *e = a->buckets[h & (a->nbuckets - 1)]; e; e = e->next)
		if (e->hash == h && e->len == n && memcmp(e->s, s, n) == 0)
			return e->s;
	if (a->ninterned >= a->nbuckets)
		intern_grow(a);
	struct intern_entry *e = arena_alloc(a, sizeof(*e) + n + 1);
	e->len = n;
	e->hash = h;
	memcpy(e->s, s, n);
	e->s[n] = '\0';
	e->next = a->buckets[h & (a->nbuckets - 1)];
	a->buckets[h & (a->nbuckets - 1)] = e;
	a->ninterned++;
	return e->s;
}

size_t arena_footprint(const struct mmp_arena *a)
{
	return a->footprint;
}
