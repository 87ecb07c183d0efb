/* region_stats.h - a region's statistics as a rule's expression reads them
 * (faults, rates, size, idle, age...), from the counters BPF keeps, at a
 * given moment: shared by the rules evaluated in the runtime ('evict'
 * scores, a 'pagesize' condition on a timer). */
#ifndef MMP_REGION_STATS_H
#define MMP_REGION_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "bpf/mmp_shared.h"
#include "compiler/plan.h"

/* Statistic ID of the region S at NOW (CLOCK_MONOTONIC ns), in the
 * language's base units (its rate per second if RATE). SEEN_NS stands for
 * the first and last fault of a region that has had none yet. */
int64_t region_stat(const struct mmp_region_stats *s, enum stat_id id, bool rate, long long now, long long seen_ns);

/* Does C read a statistic that changes without faults (idle, age, size,
 * resident, swap)? Then a condition over it must be evaluated on a timer
 * too, not only at faults. */
bool calc_moves_without_faults(const struct mmp_calc *c);

/* Is the region S being populated at NOW: taking faults at a fill's rate
 * (a 2M chunk's worth of 4K pages every tenth of a second, or faster),
 * the last of them under a tenth of a second ago? A window younger than
 * a tenth of a second has its faults counted as if it had lasted that
 * long, no more than their rate. */
#define REGION_POPULATING_RATE ((1LL << (MMP_CHUNK_SHIFT - MMP_PAGE_SHIFT)) * 10)
#define REGION_POPULATING_QUIET_NS 100000000LL
bool region_populating(const struct mmp_region_stats *s, long long now);

#endif
