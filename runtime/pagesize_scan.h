/* pagesize_scan.h - the hot 2M chunks of a process that was running before
 * mmp started. Its memory is populated, so it takes no new fault and BPF
 * counts no chunk of it: the scan finds them instead, once, at attach.
 *
 *   1. smaps and pagemap: the chunks of its 2M regions that are populated
 *      (at least SCAN_MIN_PRESENT of their 512 pages present and mapped by
 *      this process alone, so that a collapse adds at most an eighth of a
 *      chunk and never copies pages shared with a parent);
 *   2. process_madvise(MADV_COLD) on those chunks: their accessed bits
 *      cleared and the TLB emptied of them. (clear_refs clears the bits but
 *      leaves the TLB as it is: pages the CPU still holds there are read
 *      without a page walk, which alone sets a bit again, and a hot set
 *      within the TLB's reach showed as untouched: as little as 1496 kB of
 *      65536, in 3 of 75 tries here.) To the kernel's reclaim the chunks
 *      look unused, until touched again. Mappings the guards leave alone
 *      (guards_mapping: mlock'd, MADV_NOHUGEPAGE, userfaultfd, PROT_NONE,
 *      shared or file-backed) are not taken;
 *   3. a window later, smaps again: the mappings whose cleared pages were
 *      referenced since. Their populated chunks go to the chunk map as hot,
 *      hotter as more of the mapping was touched, and the hot-chunk
 *      collapse takes them within its rate and CPU cap, with its guards.
 *
 * The accessed bits are read a mapping at a time: without page_idle or
 * DAMON's virtual-address monitoring (Debian 12's 6.1 has neither; the
 * 6.18 here has DAMON for physical addresses only, which cannot tell one
 * process's pages), smaps' Referenced is the only reader of them, and it
 * sums a mapping, the pages left uncleared (the edges of a mapping, chunks
 * too sparse to take) included: as many of those as smaps said were
 * referenced just after the clearing count as referenced from before. */
#ifndef MMP_PAGESIZE_SCAN_H
#define MMP_PAGESIZE_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/mmp_shared.h"
#include "compiler/plan.h"
#include "governed.h"
#include "pagesize.h"

#define SCAN_MIN_PRESENT 448            /* of a chunk's 512 pages */
#define SCAN_WINDOW_NS 1000000000LL     /* accessed bits gathered this long, */
#define SCAN_RAN_MS 10                  /* ... while the process ran this much CPU, */
#define SCAN_WINDOW_MAX_NS 10000000000LL /* ... or, at most, this long */

/* Whether a window of accessed bits is over: it tells what the process
 * touched only once it has run (on a loaded machine a second may pass
 * with a process not running at all). */
static inline bool scan_window_over(long long waited_ns, long long ran_ms)
{
	return waited_ns >= SCAN_WINDOW_MAX_NS || (waited_ns >= SCAN_WINDOW_NS && ran_ms >= SCAN_RAN_MS);
}

struct scan_chunk {
	uint64_t chunk;      /* address >> MMP_CHUNK_SHIFT */
	unsigned present;    /* pages present and mapped by the process alone */
	unsigned region;     /* set by the caller */
};

#define SCAN_PAGE_SHIFT 12
#define SCAN_CHUNK_PAGES (1u << (MMP_CHUNK_SHIFT - SCAN_PAGE_SHIFT))
#define SCAN_PM_PRESENT (1ULL << 63)
#define SCAN_PM_EXCLUSIVE (1ULL << 56)   /* mapped by this process alone */

/* The 2M chunks wholly inside [START, END) (page-aligned) with at least
 * MIN pages present and exclusively mapped, from PAGEMAP, the process's
 * pagemap entries for [START, END), one a page. Appends at most MAX to OUT;
 * returns how many. */
static inline size_t scan_dense(const uint64_t *pagemap, uint64_t start, uint64_t end, unsigned min,
				struct scan_chunk *out, size_t max)
{
	const uint64_t both = SCAN_PM_PRESENT | SCAN_PM_EXCLUSIVE, size = 1ULL << MMP_CHUNK_SHIFT;
	size_t n = 0;
	for (uint64_t c = (start + size - 1) >> MMP_CHUNK_SHIFT; ((c + 1) << MMP_CHUNK_SHIFT) <= end && n < max; c++) {
		const uint64_t *pm = pagemap + (((c << MMP_CHUNK_SHIFT) - start) >> SCAN_PAGE_SHIFT);
		unsigned present = 0;
		for (unsigned i = 0; i < SCAN_CHUNK_PAGES; i++)
			present += (pm[i] & both) == both;
		if (present >= min)
			out[n++] = (struct scan_chunk){ .chunk = c, .present = present };
	}
	return n;
}

#define SCAN_UNKNOWN UINT64_MAX

/* How hot a populated chunk of a mapping is: its present pages, weighted
 * by the share of the mapping's cleared pages (CLEARED_KB of its RSS_KB)
 * referenced in the window; 0 when none was. The pages not cleared may
 * be referenced from before: at most BEFORE_KB of them, what smaps said
 * just after the clearing (SCAN_UNKNOWN where it was not read). In a dry
 * run nothing was cleared (0): then what smaps counts, of all of it. */
static inline uint64_t scan_heat(unsigned present, uint64_t referenced_kb, uint64_t rss_kb, uint64_t cleared_kb,
				 uint64_t before_kb)
{
	uint64_t base = rss_kb;
	if (cleared_kb) {
		uint64_t stale = rss_kb > cleared_kb ? rss_kb - cleared_kb : 0;
		if (stale > before_kb)
			stale = before_kb;
		if (referenced_kb <= stale)
			return 0;
		referenced_kb -= stale;
		base = cleared_kb;
	}
	if (!referenced_kb || !base)
		return 0;
	uint64_t share = referenced_kb >= base ? 1024 : referenced_kb * 1024 / base;
	uint64_t heat = (uint64_t)present * share / 1024;
	return heat ? heat : 1;
}

struct scan;
struct scan *scan_new(const struct mmp_plan *plan, const struct pagesize_choice *choice, int chunks_fd,
		      struct mmp_region_report *reports, bool dry_run);
/* G was taken on: scanned in a later tick if it started before mmp. */
void scan_govern(struct scan *s, const struct governed *g);
/* One step of at most one process's scan. */
void scan_tick(struct scan *s, struct governed_set *gov, long long now);
void scan_forget(struct scan *s, pid_t pid);
void scan_free(struct scan *s);

#endif
