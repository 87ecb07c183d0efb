/* evict_limits.c - whether the kernel reclaimed in the governed processes'
 * memory cgroups while mmp evicted for them: each cgroup's count of hits
 * on its limit (v1 memory.failcnt, v2 memory.events' "max"), said when it
 * grew, at most once in EVICT_LIMITS_SAY_NS and at the end. A policy whose
 * evictions do not keep its cgroup under the limit (a reader filling the
 * cache faster than the room below the trigger lasts) is otherwise
 * silently no better than the kernel's own reclaim. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroups.h"
#include "evict_state.h"
#include "log.h"

#define EVICT_LIMITS_SAY_NS 10000000000LL

struct limit_seen {
	char dir[512];
	long long first, last, said;   /* hits when first seen, now, when last said */
	long long read_ns;             /* when last read: a cgroup of many processes, once */
};

static void say(struct limit_seen *l)
{
	mmp_warn("evict: the kernel reclaimed in memory cgroup %s: it hit its limit %lld time%s since mmp first "
		 "saw it, so mmp's evictions did not keep it under (the cache filled faster than the room below the "
		 "trigger lasted); a lower threshold, a higher 'limit' or a larger cgroup gives mmp room",
		 l->dir, l->last - l->first, l->last - l->first == 1 ? "" : "s");
	l->said = l->last;
}

void evict_limits_check(struct evictor *e, long long now, bool end)
{
	for (size_t i = 0; i < e->ncgs; i++) {
		struct limit_seen *l = NULL;
		for (size_t k = 0; k < e->nlimits && !l; k++)
			if (strcmp(e->limits[k].dir, e->cgs[i]) == 0)
				l = &e->limits[k];
		if (l && l->read_ns == now)
			continue;
		long long hits;
		if (memcg_limit_hits(e->cgs[i], &hits) < 0)
			continue;
		if (!l) {
			struct limit_seen *nl = realloc(e->limits, (e->nlimits + 1) * sizeof(*nl));
			if (!nl)
				return;
			e->limits = nl;
			l = &e->limits[e->nlimits++];
			snprintf(l->dir, sizeof(l->dir), "%s", e->cgs[i]);
			l->first = l->last = l->said = hits;
		}
		l->read_ns = now;
		if (hits > l->last)
			l->last = hits;
	}
	if (!end && now - e->limits_said_ns < EVICT_LIMITS_SAY_NS)
		return;
	for (size_t k = 0; k < e->nlimits; k++)
		if (e->limits[k].last > e->limits[k].said) {
			say(&e->limits[k]);
			e->limits_said_ns = now;
		}
}

void evict_limits_free(struct evictor *e)
{
	free(e->limits);
	e->limits = NULL;
	e->nlimits = 0;
}
