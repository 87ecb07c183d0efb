/* stats.c - the table of statistics, and name suggestions. */
#include "stats.h"

#include <stdio.h>
#include <string.h>

/* ORDER stat_id */
static const struct mmp_stat stats[STAT_COUNT] = {
	{ STAT_R_FAULTS, "faults", SCOPE_REGION, UNIT_NONE, true, false,
	  "page faults taken in the region since mmp first saw it" },
	{ STAT_R_MAJOR_FAULTS, "major_faults", SCOPE_REGION, UNIT_NONE, true, false,
	  "faults that had to wait for I/O (file read or swap-in)" },
	{ STAT_R_SIZE, "size", SCOPE_REGION, UNIT_BYTES, false, true,
	  "mapped size of the region" },
	{ STAT_R_RESIDENT, "resident", SCOPE_REGION, UNIT_BYTES, false, false,
	  "bytes of the region resident in memory" },
	{ STAT_R_SWAP, "swap", SCOPE_REGION, UNIT_BYTES, false, false,
	  "bytes of the region swapped out" },
	{ STAT_R_IDLE, "idle", SCOPE_REGION, UNIT_MS, false, false,
	  "time since the last fault in the region" },
	{ STAT_R_AGE, "age", SCOPE_REGION, UNIT_MS, false, false,
	  "time since the region's first fault" },
	{ STAT_R_SCAN_FAULTS, "scan_faults", SCOPE_REGION, UNIT_NONE, true, false,
	  "of a file's faults, those of the threads evict blocks name as scanners" },
	{ STAT_T_RSS, "rss", SCOPE_TASK, UNIT_BYTES, false, false,
	  "resident memory of the process (anon + file + shmem)" },
	{ STAT_T_ANON, "anon", SCOPE_TASK, UNIT_BYTES, false, false,
	  "resident anonymous memory" },
	{ STAT_T_FILE, "file", SCOPE_TASK, UNIT_BYTES, false, false,
	  "resident file-backed memory" },
	{ STAT_T_SHMEM, "shmem", SCOPE_TASK, UNIT_BYTES, false, false,
	  "resident shared memory" },
	{ STAT_T_SWAP, "swap", SCOPE_TASK, UNIT_BYTES, false, false,
	  "swapped-out memory of the process" },
	{ STAT_T_VSIZE, "vsize", SCOPE_TASK, UNIT_BYTES, false, false,
	  "virtual memory size of the process" },
	{ STAT_T_AGE, "age", SCOPE_TASK, UNIT_MS, false, false,
	  "time since the process started" },
	{ STAT_T_FAULTS, "faults", SCOPE_TASK, UNIT_NONE, true, false,
	  "page faults taken by the process since mmp first saw it" },
	{ STAT_T_MAJOR_FAULTS, "major_faults", SCOPE_TASK, UNIT_NONE, true, false,
	  "major faults taken by the process since mmp first saw it" },
	{ STAT_T_CGROUP_USAGE, "cgroup_usage", SCOPE_TASK, UNIT_BYTES, false, false,
	  "memory charged to the process's memory cgroup" },
};

const struct mmp_stat *stat_lookup(const char *name, enum stat_scope scope)
{
	for (size_t i = 0; i < STAT_COUNT; i++)
		if ((stats[i].scope & scope) && strcmp(stats[i].name, name) == 0)
			return &stats[i];
	return NULL;
}

const struct mmp_stat *stat_get(enum stat_id id)
{
	return &stats[id];
}

void stat_list(enum stat_scope scope, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < STAT_COUNT && used < len; i++)
		if (stats[i].scope & scope)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", stats[i].name);
}

unsigned name_distance(const char *a, const char *b)
{
	enum { MAX = 32 };
	size_t la = strlen(a), lb = strlen(b);
	if (la >= MAX || lb >= MAX)
		return MAX;
	unsigned row[MAX + 1];
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned up = row[j];
			unsigned best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const char *stat_suggest(const char *name, enum stat_scope scope)
{
	const char *best = NULL;
	unsigned best_d = 3; /* suggest only near misses */
	for (size_t i = 0; i < STAT_COUNT; i++) {
		if (!(stats[i].scope & scope))
			continue;
		unsigned d = name_distance(name, stats[i].name);
		if (d < best_d) {
			best_d = d;
			best = stats[i].name;
		}
	}
	return best;
}
