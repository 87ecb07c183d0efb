/* stats.h - the named statistics that policy expressions read.
 *
 * One table is the single source of truth: the checker resolves names with
 * it, suggests near misses from it, and docs/language.md lists it.
 */
#ifndef MMP_STATS_H
#define MMP_STATS_H

#include <stdbool.h>
#include <stddef.h>

#include "units.h"

enum stat_scope {
	SCOPE_REGION = 1,   /* a memory region of a process: pagesize/prefetch 'when', evict 'score' */
	SCOPE_TASK = 2,     /* a process: oom 'score' */
};

enum stat_id {
	STAT_R_FAULTS, STAT_R_MAJOR_FAULTS, STAT_R_SIZE, STAT_R_RESIDENT, STAT_R_SWAP, STAT_R_IDLE,
	STAT_R_AGE, STAT_R_SCAN_FAULTS,
	STAT_T_RSS, STAT_T_ANON, STAT_T_FILE, STAT_T_SHMEM, STAT_T_SWAP, STAT_T_VSIZE, STAT_T_AGE,
	STAT_T_FAULTS, STAT_T_MAJOR_FAULTS, STAT_T_CGROUP_USAGE,
	STAT_COUNT
};

struct mmp_stat {
	enum stat_id id;
	const char *name;
	enum stat_scope scope;
	enum mmp_unit unit;
	bool counter;    /* grows with events: '/s' gives its rate */
	bool fixed;      /* known when the region is resolved: usable in region selectors */
	const char *doc;
};

const struct mmp_stat *stat_lookup(const char *name, enum stat_scope scope);
const struct mmp_stat *stat_get(enum stat_id id);
/* "faults, major_faults, size, ..." for messages. */
void stat_list(enum stat_scope scope, char *buf, size_t len);

/* Edit distance with a small cap, for "did you mean" suggestions. */
unsigned name_distance(const char *a, const char *b);
/* The closest of a statistic name in SCOPE, or NULL if none is close. */
const char *stat_suggest(const char *name, enum stat_scope scope);

#endif
