/* extents.h - runs of a fixed-size array handed out and given back: the
 * runs of BPF's piece array that the files counted in pieces hold. First
 * fit over the free runs, kept sorted and merged. Plain values: no BPF. */
#ifndef MMP_EXTENTS_H
#define MMP_EXTENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct extent {
	uint32_t at, n;
};

struct extents {
	struct extent *free;        /* sorted by 'at', none adjacent */
	size_t n, cap;
};

/* All of [0, TOTAL) free: 0, or -1 out of memory. */
int extents_init(struct extents *x, uint32_t total);
/* A run of N (above 0): its start in *AT, or false when no free run is
 * that long. */
bool extents_take(struct extents *x, uint32_t n, uint32_t *at);
/* The run [AT, AT + N) free again (taken before); false if it could not
 * be kept (out of memory: lost until the runtime ends). */
bool extents_give(struct extents *x, uint32_t at, uint32_t n);
/* The entries free in all. */
uint64_t extents_free_count(const struct extents *x);
void extents_free(struct extents *x);

#endif
