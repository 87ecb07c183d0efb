/* pagesize_ahead.h - 2M pages from the first touch ('ahead'): chunks
 * prepared ahead of a process's fault frontier, in worker threads. */
#ifndef MMP_PAGESIZE_AHEAD_H
#define MMP_PAGESIZE_AHEAD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "bpf/mmp_shared.h"
#include "compiler/plan.h"

struct ahead;

/* Tripwires: one chunk in every half lead is left to the process's own
 * faults, which tell where its frontier is (a prepared chunk takes none).
 * SPACING is half the lead, in chunks. */
static inline bool ahead_is_tripwire(uint64_t chunk, uint64_t spacing)
{
	return spacing && chunk % spacing == 0;
}

/* The chunks to prepare after a fault in CHUNK, given the frontier's
 * prepared horizon HI (0: none yet), the lead in chunks, and the range
 * [LO, END) of the region's mapping in chunks (whole chunks only): the
 * first and one past the last, *FIRST >= *LAST when there is nothing. */
static inline void ahead_span(uint64_t chunk, uint64_t hi, uint64_t lead, uint64_t lo, uint64_t end,
			      uint64_t *first, uint64_t *last)
{
	uint64_t from = (hi > chunk ? hi : chunk) + 1, to = chunk + lead + 1;
	if (from < lo)
		from = lo;
	if (to > end)
		to = end;
	*first = from;
	*last = to > from ? to : from;
}

struct guards;
/* Starts WORKERS threads; GUARDS (shared, outliving it) says what each
 * process guards. NULL after a message. */
struct ahead *ahead_new(const struct mmp_plan *plan, struct mmp_region_report *reports, struct guards *guards,
			bool dry_run, unsigned workers);
/* A fault of thread TID of PID in CHUNK of REGION, whose mapping spans
 * [START, END) (bytes): once two faults of the thread show a frontier
 * moving, the chunks after it are queued. PIDFD is the process's (dup'd). */
void ahead_fault(struct ahead *a, pid_t pid, int pidfd, pid_t tid, unsigned region, uint64_t chunk, uint64_t start,
		 uint64_t end);
/* PID is no longer governed: its queued chunks are dropped. */
void ahead_forget(struct ahead *a, pid_t pid);
/* Copies the workers' counts into the reports. */
void ahead_publish(struct ahead *a);
/* Stops the workers and frees everything. */
void ahead_free(struct ahead *a);

#endif
