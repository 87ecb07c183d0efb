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

#endif
