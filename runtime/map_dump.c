/* map_dump.c - see map_dump.h. */
#include "map_dump.h"

#include <errno.h>
#include <stdlib.h>

#include <bpf/bpf.h>

static void *at(void *base, size_t i, size_t size)
{
	return (char *)base + i * size;
}

static int grow(struct map_dump *d)
{
	size_t cap = d->cap ? d->cap * 2 : 1024;
	void *k = realloc(d->keys, cap * d->key_size);
	if (!k)
		return -1;
	d->keys = k;
	void *v = realloc(d->values, cap * d->value_size);
	if (!v)
		return -1;
	d->values = v;
	d->cap = cap;
	return 0;
}

size_t map_dump_read(struct map_dump *d, int fd)
{
	size_t n = 0;
	for (bool batched = true, full = false;;) {
		if ((n == d->cap || full) && grow(d) < 0)
			return n;
		full = false;
		if (batched) {
			/* A hash map's batch token is its next bucket. */
			__u32 count = (__u32)(d->cap - n);
			int err = bpf_map_lookup_batch(fd, n ? &d->batch : NULL, &d->batch, at(d->keys, n, d->key_size),
						       at(d->values, n, d->value_size), &count, NULL);
			n += count;
			if (!err)
				continue;
			if (errno == ENOENT)   /* the last bucket read */
				return n;
			if (errno == ENOSPC) {   /* a bucket larger than the room left */
				full = true;
				continue;
			}
			batched = false;       /* no batch lookup here: a call an entry */
			n = 0;
		}
		if (bpf_map_get_next_key(fd, n ? at(d->keys, n - 1, d->key_size) : NULL, at(d->keys, n, d->key_size)) < 0)
			return n;
		if (bpf_map_lookup_elem(fd, at(d->keys, n, d->key_size), at(d->values, n, d->value_size)) == 0)
			n++;
		else if (n == 0)
			return 0;
	}
}

void map_dump_free(struct map_dump *d)
{
	free(d->keys);
	free(d->values);
	d->keys = d->values = NULL;
	d->cap = 0;
}
