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

/* The rate region S is being populated at, at NOW: its faults a second
 * (mmp_rate_of), or 0 once its last fault is REGION_FILL_QUIET_NS old. A
 * process whose regions' rates add
 * up to REGION_POPULATING_RATE (a 2M chunk's worth of 4K pages every
 * tenth of a second) is populating its memory. */
#define REGION_POPULATING_RATE ((1LL << (MMP_CHUNK_SHIFT - MMP_PAGE_SHIFT)) * 10)
#define REGION_FILL_QUIET_NS 100000000LL
int64_t region_fill_rate(const struct mmp_region_stats *s, long long now);

/* One process populating its memory, tick by tick: an episode begins at
 * the first tick it populates and ends once it has not for
 * FILL_PAUSE_NS. Within an episode, pauses included, its hot chunks wait,
 * until FILL_WAIT_MAX_NS after it began. Times are CLOCK_MONOTONIC ns. */
#define FILL_PAUSE_NS 300000000LL
#define FILL_WAIT_MAX_NS 10000000000LL
struct fill_wait {
	bool active;
	long long since, last;   /* the episode's first and last tick populating */
	bool long_said;          /* FILL_SAY_TOO_LONG was said */
};
enum fill_say { FILL_SAY_NOTHING, FILL_SAY_BEGUN, FILL_SAY_TOO_LONG };
/* Steps W to NOW, the process POPULATING or not: do its hot chunks wait?
 * SAY is what changed, to be logged. */
bool fill_wait_step(struct fill_wait *w, bool populating, long long now, enum fill_say *say);

#endif
