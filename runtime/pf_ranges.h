/* pf_ranges.h - predictions as address ranges: a prediction expanded into
 * ranges, ranges merged, what was asked for lately remembered so that it
 * is not asked for again, and calls cut to the kernel's limits. Plain
 * values; prefetch.c issues process_madvise. */
#ifndef MMP_PF_RANGES_H
#define MMP_PF_RANGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/mmp_shared.h"

#define PF_PAGE ((uint64_t)4096)
#define PF_MAX_IOV 1024                  /* UIO_MAXIOV */
#define PF_MAX_CALL (1ULL << 30)         /* one process_madvise covers < 2 GiB */
#define PF_RECENT 128                    /* ranges remembered per process */

struct pf_range {
	uint64_t start, end;
	uint32_t region;
};

/* A growing list of ranges. */
struct pf_ranges {
	struct pf_range *r;
	size_t n, cap;
};

/* What was requested lately, a ring. */
struct pf_recent {
	struct pf_range r[PF_RECENT];
	size_t n, next;
};

/* Is E a prediction worth taking (1 to 4096 pages)? */
bool pf_event_valid(const struct mmp_pf_event *e);
int pf_ranges_push(struct pf_ranges *l, uint64_t start, uint64_t end, uint32_t region);
/* E's pages: one range if it is sequential (either way), else a page each. */
void pf_ranges_add_event(struct pf_ranges *l, const struct mmp_pf_event *e);
/* Sorts R by start and merges, in place, each range with those after it of
 * the same region that overlap or touch it. Returns the ranges left. */
size_t pf_ranges_merge(struct pf_range *r, size_t n);
/* Does a range requested lately cover all of R? */
bool pf_recent_covers(const struct pf_recent *q, const struct pf_range *r);
void pf_recent_add(struct pf_recent *q, const struct pf_range *r);
/* Must a call of N ranges, BYTES long, be issued before a range of LEN
 * bytes joins it? */
bool pf_call_full(size_t n, uint64_t bytes, uint64_t len);

#endif
