/* evict_state.h - what the 'evict' kind keeps, shared by its files (not
 * an interface for the rest of the runtime: that is evict.h):
 *   evict.c        setup from the lowered rules, triggers, the tick, the
 *                  summary, undo
 *   evict_units.c  the units a block scores (a file, or a region of one
 *                  process), found each second, and their scores
 *   evict_act.c    evicting units in score order within the block's
 *                  budget: dropping page cache, MADV_COLD or MADV_PAGEOUT
 */
#ifndef MMP_EVICT_STATE_H
#define MMP_EVICT_STATE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bpf/mmp_shared.h"
#include "compiler/plan.h"
#include "governed.h"
#include "object.h"
#include "trigger.h"

/* An evict block: its lowered rule, and what enforcing it keeps. */
struct block {
	const struct mmp_evict_rule *rule;
	struct trigger *trigger;
	double budget;
	bool holding;
	long long last_tick;
};

/* A mapped range of a unit, in one process (its pidfd is the governed
 * set's, looked up when it is acted on). */
struct piece {
	pid_t pid;
	uint64_t start, end;
};

/* What the evictor sees of a governed process, each tick. */
struct evict_proc {
	pid_t pid;
	unsigned policy;
	const struct mmp_range *ranges;   /* sorted, with region ids */
	size_t nranges;
	/* Statistics of each region of its policy, by region id minus the
	 * policy's first region, with the faults still pending on the CPUs. */
	const struct mmp_region_stats *const *stats;
};

struct unit {
	unsigned block, region;
	bool file;
	struct mmp_file_key key;               /* file units */
	char path[PATH_MAX];
	uint64_t size, cursor;
	pid_t pid;                             /* process units */
	struct piece *pieces;
	size_t npieces, cap;
	/* figures */
	struct mmp_file_stats fs;
	const struct mmp_region_stats *rs;
	uint64_t prev_accesses, prev_misses;
	long long prev_ns, first_seen;
	int64_t rate_accesses, rate_misses;
	uint64_t resident;                     /* bytes */
	int64_t score;
	bool protected, seen;
	bool warned_unmapped;                  /* said that cold/pageout cannot reach it */
	uint64_t resident_at_start;            /* when the trigger began to hold */
};

struct evictor {
	const struct mmp_object *obj;
	uint64_t page;                         /* the machine's: what mincore and BPF count */
	struct governed_set *gov;
	bool dry_run;
	int files_fd;
	struct mmp_region_report *reports;
	struct block *blocks;
	size_t nblocks;
	struct unit *units;
	size_t nunits, cap;
	long long last_refresh;
	/* The memory cgroups of the governed processes, for 'usage' without
	 * 'of cgroup': read with the units, once a second. */
	char (*cgs)[512];
	const char **cgp;
	size_t ncgs;
};

/* evict_units.c */
/* Finds the units of every block among PROCS (their mappings and open
 * files); units no process holds any more are dropped. */
void evict_refresh_units(struct evictor *e, const struct evict_proc *procs, size_t nprocs);
/* Each unit's figures and its block's score for it, as of NOW. */
void evict_score_units(struct evictor *e, long long now);
/* Which pages of the file behind FD (SIZE bytes) are in the page cache:
 * one byte a PAGE, bit 0 set if cached, in a buffer the caller frees. */
unsigned char *evict_cached_map(int fd, uint64_t size, uint64_t page);

/* evict_act.c */
/* Evicts block B's units, lowest score first, within its budget. */
void evict_act(struct evictor *e, size_t b);
/* Marks the units 'protect top' keeps in block B. */
void evict_mark_protected(struct evictor *e, size_t b);
/* Reads back what block B protected and the kernel reclaimed anyway. */
void evict_reread_protected(struct evictor *e, size_t b);
/* "PATH", or "policy.region of pid N", for messages. */
const char *evict_unit_label(const struct evictor *e, const struct unit *u, char *buf, size_t len);

#endif
