/* map_dump.h - every entry of a BPF hash map, read in a few batched calls
 * (a call an entry, at every tick, costs a CPU percent or more where a
 * system call costs a microsecond), or a call an entry where the kernel
 * has no batch lookup. Used for the chunk map and the file map. */
#ifndef MMP_MAP_DUMP_H
#define MMP_MAP_DUMP_H

#include <stddef.h>
#include <linux/types.h>

struct map_dump {
	size_t key_size, value_size;
	void *keys, *values;        /* the entries read, in the map's order */
	size_t cap;
	__u64 batch;                /* bpf_map_lookup_batch's token */
};

/* Reads every entry of the map FD into D (sizes set by the caller);
 * returns how many. Keys and values of entry I are at I * size. */
size_t map_dump_read(struct map_dump *d, int fd);
void map_dump_free(struct map_dump *d);

#endif
