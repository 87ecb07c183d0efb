/* file_table.c - see file_table.h. Linear probing, at most half full;
 * removal shifts the entries after it back, so there are no tombstones. */
#include "file_table.h"

#include <stdint.h>
#include <stdlib.h>

static size_t slot_of(const struct file_table *t, const struct mmp_file_key *k)
{
	uint64_t h = (k->ino ^ ((uint64_t)k->dev << 40)) * 0x9e3779b97f4a7c15ULL;
	return (size_t)(h >> 32) & (t->cap - 1);
}

static int same(const struct mmp_file_key *a, const struct mmp_file_key *b)
{
	return a->dev == b->dev && a->ino == b->ino;
}

void *file_table_find(const struct file_table *t, const struct mmp_file_key *key)
{
	if (!t->cap)
		return NULL;
	for (size_t i = slot_of(t, key);; i = (i + 1) & (t->cap - 1)) {
		if (!t->slots[i])
			return NULL;
		if (same(t->slots[i], key))
			return t->slots[i];
	}
}

static void put(struct file_table *t, void *rec)
{
	size_t i = slot_of(t, rec);
	while (t->slots[i])
		i = (i + 1) & (t->cap - 1);
	t->slots[i] = rec;
	t->n++;
}

int file_table_add(struct file_table *t, void *rec)
{
	if ((t->n + 1) * 2 > t->cap) {
		struct file_table g = { calloc(t->cap ? t->cap * 2 : 1024, sizeof(void *)), t->cap ? t->cap * 2 : 1024, 0 };
		if (!g.slots)
			return -1;
		for (size_t i = 0; i < t->cap; i++)
			if (t->slots[i])
				put(&g, t->slots[i]);
		free(t->slots);
		*t = g;
	}
	put(t, rec);
	return 0;
}

void file_table_remove(struct file_table *t, const struct mmp_file_key *key)
{
	if (!t->cap)
		return;
	size_t i = slot_of(t, key);
	while (t->slots[i] && !same(t->slots[i], key))
		i = (i + 1) & (t->cap - 1);
	if (!t->slots[i])
		return;
	t->slots[i] = NULL;
	t->n--;
	/* Entries after it that probed past I move back into the hole. */
	for (size_t j = (i + 1) & (t->cap - 1); t->slots[j]; j = (j + 1) & (t->cap - 1)) {
		size_t home = slot_of(t, t->slots[j]);
		/* J's home is cyclically in (I, J]: it stays. */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		t->slots[i] = t->slots[j];
		t->slots[j] = NULL;
		i = j;
	}
}

void file_table_free(struct file_table *t)
{
	free(t->slots);
	*t = (struct file_table){ 0 };
}
