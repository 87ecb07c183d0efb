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
 * faults, which tell where its frontier is (a prepared chunk takes none),
 * until the frontier is followed by what its writer writes. SPACING is
 * half the lead, in chunks (0: no tripwires). */
static inline bool ahead_is_tripwire(uint64_t chunk, uint64_t spacing)
{
	return spacing && chunk % spacing == 0;
}

/* The chunks to prepare after a fault in CHUNK, given the frontier's
 * prepared horizon HI (0 or CHUNK: none yet), the lead in chunks, and the
 * range [LO, END) of the region's mapping in chunks (whole chunks only):
 * the first and one past the last, *FIRST >= *LAST when there is nothing.
 * Past a horizon, nothing until STEP chunks are new (or the new ones reach
 * the mapping's end): a writer followed chunk by chunk keeps between
 * LEAD - STEP + 1 and LEAD chunks ahead, and its chunks go STEP or more
 * at a time to the workers (a batch is a read and a collapse call). */
static inline void ahead_span(uint64_t chunk, uint64_t hi, uint64_t lead, uint64_t step, uint64_t lo, uint64_t end,
			      uint64_t *first, uint64_t *last)
{
	uint64_t from = (hi > chunk ? hi : chunk) + 1, to = chunk + lead + 1;
	if (from < lo)
		from = lo;
	if (to > end)
		to = end;
	*first = from;
	*last = to > from ? to : from;
	if (hi && to < end && *last - from < step)
		*last = from;
}

/* The follower's next chunks to look at: of the chunks a frontier had
 * prepared (RING, SIZE entries, PUSHED written to it in all, the oldest
 * overwritten), those past chunk PAST, nearest first, each once, at most
 * MAX into OUT. How many. */
static inline unsigned ahead_next_prepared(const uint64_t *ring, unsigned pushed, unsigned size, uint64_t past,
					   uint64_t *out, unsigned max)
{
	unsigned k = pushed < size ? pushed : size, n = 0;
	uint64_t after = past;
	while (n < max) {
		uint64_t best = UINT64_MAX;
		for (unsigned i = 0; i < k; i++)
			if (ring[i] > after && ring[i] < best)
				best = ring[i];
		if (best == UINT64_MAX)
			break;
		out[n++] = after = best;
	}
	return n;
}

/* When the follower looks at a frontier again, in ns, after it saw the
 * writer move MOVED chunks in TOOK ns with AHEAD chunks still prepared
 * past it: when the writer, at that pace, has used half of them; between
 * LO and HI. A slow writer (an allocator's size class) is looked at
 * seldom, a fast one (a buffer filled at memory speed) often. */
static inline long long ahead_look_after(uint64_t moved, long long took, uint64_t ahead, long long lo, long long hi)
{
	if (!moved || took <= 0)
		return lo;
	double t = (double)ahead / 2 * (double)took / (double)moved;
	return t < (double)lo ? lo : t > (double)hi ? hi : (long long)t;
}

/* Whether a process's writers outrun the workers: of the last
 * AHEAD_WINDOW batches the workers took for it, LOST (a quarter or more)
 * were reached by a writer before they were prepared, or found one
 * writing in them. A collapse holds the process's mmap lock for writing,
 * so each one then stalls the faults of a writer that has no use for it:
 * a JVM's pre-touch threads, each faulting in 4K pages faster than a
 * worker collapses, started 1.3 times slower under mmp than without. */
#define AHEAD_WINDOW 16
static inline bool ahead_outrun(unsigned taken, unsigned lost)
{
	return taken >= AHEAD_WINDOW && lost * 4 >= taken;
}

/* Whether the workers make 2M pages faster than a process's WRITERS
 * (threads) would fault them in, in 4K pages, with a margin of half: a
 * chunk costs each writer CHUNK_4K_NS in faults and a worker COLLAPSE_NS.
 * Where they do, preparing pays even for a writer that outruns it (its
 * faults a page cost 13 us on machine B: a JVM's pre-touch started 3.3
 * times faster); where they do not, it only stalls the writers. Unknown
 * costs (0): it pays. */
static inline bool ahead_workers_faster(long long chunk_4k_ns, long long collapse_ns, unsigned writers,
					unsigned workers)
{
	if (chunk_4k_ns <= 0 || collapse_ns <= 0)
		return true;
	return 2.0 * workers * (double)chunk_4k_ns > 3.0 * (writers ? writers : 1) * (double)collapse_ns;
}

/* How long preparing for a process pauses the PAUSES-th time (from 1) its
 * writers outran the workers: 1 s, twice as long each time, up to 8 s. */
static inline long long ahead_pause_ns(unsigned pauses)
{
	unsigned doublings = pauses > 1 ? pauses - 1 : 0;
	return 1000000000LL << (doublings < 3 ? doublings : 3);
}

/* What a 2M chunk costs here, in wall time: written in 4K pages (a fault
 * a page), and collapsed from the zero page. 0: not measured. */
struct ahead_costs {
	long long chunk_4k_ns, collapse_ns;
};

/* Why this kernel cannot prepare a chunk ahead, or NULL: tried on chunks
 * of the caller's own, which give *COSTS too. */
const char *ahead_kernel_refuses(struct ahead_costs *costs);

struct guards;
/* Starts WORKERS threads; GUARDS (shared, outliving it) says what each
 * process guards. NULL after a message. */
struct ahead *ahead_new(const struct mmp_plan *plan, struct mmp_region_report *reports, struct guards *guards,
			bool dry_run, unsigned workers, struct ahead_costs costs);
/* A fault of thread TID of PID in CHUNK of REGION, whose mapping spans
 * [START, END) (bytes): once two faults of the thread show a frontier
 * moving, the chunks after it are queued. PIDFD is the process's (dup'd). */
void ahead_fault(struct ahead *a, pid_t pid, int pidfd, pid_t tid, unsigned region, uint64_t chunk, uint64_t start,
		 uint64_t end);
/* Whether the rule of REGION holds for PID now: the follower moves a
 * frontier on only while it does (faults are told only while it does). */
void ahead_hold(struct ahead *a, pid_t pid, unsigned region, bool holds);
/* PID is no longer governed: its queued chunks are dropped. */
void ahead_forget(struct ahead *a, pid_t pid);
/* Copies the workers' counts into the reports. */
void ahead_publish(struct ahead *a);
/* Stops the workers and the follower, and frees everything. */
void ahead_free(struct ahead *a);

#endif
