/* evict_state.h - what the 'evict' kind keeps, shared by its files (not
 * an interface for the rest of the runtime: that is evict.h):
 *   evict.c        setup from the lowered rules, triggers, the tick, the
 *                  summary, undo
 *   evict_files.c  the files BPF watches: named by its events, kept while
 *                  they have pages cached, their figures read in one go
 *   evict_units.c  the units a block scores (a file, or a region of one
 *                  process), found each second, and their scores
 *   evict_pieces.c the pieces of files that blocks with a 'unit' score:
 *                  runs of BPF's piece array, given and taken back
 *   evict_act.c    evicting units in score order within the block's
 *                  budget: dropping page cache, MADV_COLD or MADV_PAGEOUT
 *   evict_scanners.c  the thread names blocks name as 'scanners', judged
 *                  for BPF: reads under them count in scan_faults
 *   evict_fresh.c  the pieces read since the last scoring, which a step
 *                  drops before the order's next key where they score lower
 *   evict_guard.c  the files whose drops are read straight back, left to
 *                  the kernel's reclaim for a while
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
#include "evict_order.h"
#include "extents.h"
#include "file_paths.h"
#include "file_table.h"
#include "governed.h"
#include "map_dump.h"
#include "object.h"
#include "trigger.h"

struct ring_buffer;

/* An evict block: its lowered rule, and what enforcing it keeps. */
struct block {
	const struct mmp_evict_rule *rule;
	struct trigger *trigger;
	double budget;
	bool holding;
	long long last_tick;
	struct evict_say say;      /* when its holding was last said */
	struct evict_pace pace;    /* what it has dropped, a second */
	/* Its units (or pieces) in eviction order, as of the scoring at
	 * ORDER_NS: the lowest, those of the histogram's buckets up to UPTO
	 * (all of them with 'protect top': the last NPROTECTED it keeps).
	 * Sorting a million pieces at each step would cost more than the
	 * step. */
	struct evict_key *order;
	size_t norder, caporder, nprotected;
	unsigned upto;
	uint64_t hist_bytes[EVICT_BUCKETS];    /* cached bytes of the keys, by bucket of their score */
	uint32_t hist_keys[EVICT_BUCKETS];     /* how many keys */
	size_t next;                           /* where the next step starts */
	long long order_ns;
	unsigned long long order_gen;          /* the evictor's units_gen it was made at */
	/* Pieces read since the order was made, the lowest score first;
	 * those before FRESHNEXT were taken (evict_fresh.c). LATER: those
	 * taken that scored too high when tried, to be scored again at the
	 * next step. */
	struct fresh_key *fresh;
	size_t nfresh, freshnext;
	uint32_t *later;
	size_t nlater, caplater;
	/* Whole files that became units since the order was made (a scan's
	 * next files), by index in the units (evict_fresh.c). */
	uint32_t *newcomers;
	size_t nnew, capnew;
	bool said_comeback;                    /* said that a file came straight back (evict_guard.c) */
	unsigned guard_asked;                  /* files evict_guard.c asked this step whether the cgroup could hold */
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

/* A file BPF watches (an entry of mmp_files), open or not: its figures,
 * shared by the units that score it. */
struct watched {
	struct mmp_file_key key;
	char *path;                            /* NULL: not named (yet), or not found */
	uint64_t size;
	int64_t base;                          /* pages cached before BPF counted (cachestat) */
	uint32_t slot;
	const struct mmp_file_stats *fs;       /* BPF's figures, at its slot (mmap) */
	struct unit *units;                    /* the units scoring it, by next_of_file */
	long long found_ns;
	int fd;                                /* open for the actions of one step, or -1 */
	bool forget;                           /* to be forgotten at the end of this refresh */
};

struct unit {
	unsigned block, region;
	bool file;
	struct watched *w;                     /* file units */
	struct unit *next_of_file;
	uint64_t cursor;
	pid_t pid;                             /* process units */
	struct piece *pieces;
	size_t npieces, cap;
	/* figures */
	const struct mmp_region_stats *rs;
	uint64_t prev_accesses, prev_misses, prev_scans;
	long long prev_ns, first_seen;
	int64_t rate_accesses, rate_misses, rate_scans;
	uint64_t resident;                     /* bytes */
	int64_t score;
	int64_t *piece_scores;                 /* a block with 'unit': each piece's, by index, or
						  EVICT_UNSCORED: nothing cached when last scored */
	uint32_t npiece_scores;
	bool protected, seen;
	bool warned_unmapped;                  /* said that cold/pageout cannot reach it */
	uint64_t resident_at_start;            /* when the trigger began to hold */
	int64_t tried_left;                    /* a file's pages cached after a step last passed it */
	/* The pages its block's drops took within the second (a bit a
	 * page, of the file's DROPPED_NPAGES when the record began at
	 * DROPPED_NS, when BPF had counted DROPPED_READS of its pages read),
	 * and how many: to tell a file read straight back (evict_guard.c). */
	unsigned char *dropped_bits;
	uint64_t dropped_npages, dropped_pages, dropped_reads;
	long long dropped_ns;
	long long held_until;                  /* left to the kernel until then */
	long long guard_checked_ns;            /* the step that last read what came back */
	unsigned holds;                        /* times it came straight back */
};

struct evictor {
	const struct mmp_object *obj;
	uint64_t page;                         /* the machine's: what mincore and BPF count */
	struct governed_set *gov;
	bool dry_run;
	int files_fd, free_fd;                 /* mmp_files, mmp_file_free */
	__u64 *files_gen;                      /* mmp_files_gen, mapped */
	struct mmp_file_stats *fstats;         /* mmp_file_stats, mapped */
	size_t fstats_len;
	uint32_t *spare;                       /* free slots not given to BPF yet */
	size_t nspare, capspare;
	uint32_t next_slot;                    /* the first never used */
	struct mmp_region_report *reports;
	struct block *blocks;
	size_t nblocks;
	struct unit **units;
	size_t nunits, cap;
	struct file_table files;               /* struct watched, by key */
	struct map_dump dump;                  /* mmp_files, read after lost events */
	/* Files counted in pieces ('unit'): BPF's array, mapped, and its
	 * free runs. */
	uint64_t unit;                         /* bytes a piece; 0: no block has a unit */
	struct mmp_piece *pieces;
	size_t pieces_len;
	struct extents piece_runs;
	bool warned_pieces;
	size_t dry_pieces;                     /* a dry run's pieces of this step */
	bool said_no_swap;                     /* warned that pageout frees no anonymous memory */
	size_t dry_units;                      /* and its units (files, memory ranges) */
	/* Pieces read for the first time since cached, as BPF sends them
	 * (evict_fresh.c): read at each step, and whose file each is. */
	struct ring_buffer *fresh_rb;
	uint32_t *fresh;
	size_t nfresh, capfresh;
	struct watched **piece_owner;          /* by index in BPF's piece array */
	struct watched **opened;               /* files open for this step's drops */
	size_t nopened, capopened;
	struct mount_table mounts;             /* to name the files BPF finds */
	long long mounts_ns;
	unsigned long long lost_seen;          /* events lost, when last looked */
	unsigned long long unnamed;            /* files read that no path of ours names */
	bool warned_full;
	long long last_refresh, scored_ns;
	long long score_cost_ns;               /* the last scoring's time, and its orders' */
	unsigned long long units_gen;          /* counts changes of the units array */
	/* The thread names blocks name as scanners, judged for BPF. */
	int scan_names_fd;                     /* mmp_scan_names; -1: no block names any */
	struct proc_info *scan_info;           /* scratch, to test a name */
	bool warned_scan_names;
	/* The memory cgroups of the governed processes, for 'usage' without
	 * 'of cgroup': read with the units, once a second. */
	char (*cgs)[512];
	const char **cgp;
	size_t ncgs;
	/* Their hits on their limits, to say the kernel reclaimed. */
	struct limit_seen *limits;
	size_t nlimits;
	long long limits_said_ns;
};

/* evict_limits.c */
/* Reads the hits on their limits of the governed processes' memory
 * cgroups, and says where they grew: once in 10 s, and at the END. */
void evict_limits_check(struct evictor *e, long long now, bool end);
void evict_limits_free(struct evictor *e);

/* evict_files.c */
/* A governed process touched a file BPF did not watch: name it, and make
 * it a unit of the blocks whose regions select it. */
void evict_file_found(struct evictor *e, const struct mmp_file_event *ev);
/* The watched file of KEY, or NULL. */
struct watched *evict_file_find(struct evictor *e, const struct mmp_file_key *k);
/* The watched file at PATH (found by a process's open files or mappings),
 * watched from now on if it was not. */
struct watched *evict_file_at(struct evictor *e, const char *path);
/* Maps the figures and stocks BPF's free slots: 0, or -errno after a
 * message. */
int evict_files_setup(struct evictor *e, const struct loaded *l);
/* Keeps BPF's free slots stocked; after events were lost, forgets the
 * files BPF watches that were never named (they are named again at their
 * next access). */
void evict_files_tick(struct evictor *e);
/* Forgets the files nothing needs any more: no page cached, no access
 * for a minute, and no process holding them open or mapped. */
void evict_files_forget(struct evictor *e, long long now);
/* WATCHED's pages in the page cache now, as BPF counts them. */
int64_t evict_file_cached(const struct watched *w);
/* Opens W's file for an action, if it is still the file BPF counts;
 * -1 (and W forgotten at the next refresh) if not. */
int evict_file_open(struct watched *w);
void evict_files_free(struct evictor *e);
/* Which pages of the file behind FD (SIZE bytes) are in the page cache:
 * one byte a PAGE, bit 0 set if cached, in a buffer the caller frees. */
unsigned char *evict_cached_map(int fd, uint64_t size, uint64_t page);

/* evict_scanners.c */
/* Finds BPF's map of thread names' verdicts where a block names
 * scanners: 0, or -errno after a message. */
int evict_scanners_setup(struct evictor *e, const struct loaded *l);
/* Judges a thread name BPF saw reading, and gives BPF the verdict. */
void evict_scan_name_judge(struct evictor *e, const struct mmp_scan_name_event *ev);
void evict_scanners_free(struct evictor *e);

/* evict_pieces.c */
/* Maps BPF's piece array when a block has a 'unit': 0, or -errno after a
 * message. */
int evict_pieces_setup(struct evictor *e, const struct loaded *l);
/* Gives W its pieces, if it has none, or more if it grew past them (BPF
 * says so): a run of the array for its size now, the pages cached and not
 * counted yet counted in (mincore), published to BPF. */
void evict_file_pieces(struct evictor *e, struct watched *w);
/* Takes W's pieces back, zeroed. */
void evict_file_pieces_free(struct evictor *e, struct watched *w);
/* The pages of W's file at its size now, the last one partly. */
static inline uint64_t evict_file_pages(const struct evictor *e, const struct watched *w)
{
	return (w->size + e->page - 1) / e->page;
}

/* W's pieces, as published to BPF: how many, and where they start. */
static inline uint32_t file_npieces(const struct watched *w)
{
	return (uint32_t)w->fs->pieces;
}

static inline uint32_t file_piece_base(const struct watched *w)
{
	return (uint32_t)(w->fs->pieces >> 32);
}

/* Piece I of W's (I below file_npieces(W)). */
static inline struct mmp_piece *evict_piece(const struct evictor *e, const struct watched *w, uint32_t i)
{
	return &e->pieces[file_piece_base(w) + i];
}
/* The pages cached of piece I of W, as BPF counts them, never below none
 * (a page counted in by mincore and by BPF both is taken out twice). */
static inline int64_t evict_piece_pages(const struct evictor *e, const struct watched *w, uint32_t i)
{
	int64_t r = evict_piece(e, w, i)->resident;
	return r > 0 ? r : 0;
}
/* Whether pieces FROM to TO (not included) of W head nothing cached, and
 * are few enough to be dropped with the pieces on either side in one
 * call: the page cache keeps a file in folios of up to 2M, counted in the
 * piece of their first page, so that the pieces of a scan's folios lie
 * apart; a call for each would cost a system call a folio. */
#define EVICT_RUN_GAP 32
bool evict_pieces_uncached(const struct evictor *e, const struct watched *w, uint32_t from, uint32_t to);
/* W open for this step's drops (closed by evict_close_opened): its fd, or
 * -1 after evict_file_open failed. */
int evict_file_open_once(struct evictor *e, struct watched *w);
void evict_close_opened(struct evictor *e);
void evict_pieces_free(struct evictor *e);

/* Whether U is scored piece by piece: its block has a unit, and its
 * pieces were scored as they are now. */
static inline bool evict_by_pieces(const struct evictor *e, const struct unit *u)
{
	return u->file && e->blocks[u->block].rule->unit && u->npiece_scores &&
	       u->npiece_scores == file_npieces(u->w);
}

/* evict_fresh.c */
/* Finds BPF's ring of pieces read where a block has a 'unit': 0, or
 * -errno after a message. */
int evict_fresh_setup(struct evictor *e, const struct loaded *l);
/* Pieces AT to AT + N of BPF's array are W's (NULL: nobody's). */
void evict_fresh_own(struct evictor *e, uint32_t at, uint32_t n, struct watched *w);
/* What BPF sent since the last step. */
void evict_fresh_read(struct evictor *e);
/* Block B's pieces read since its order was made, with this step's,
 * scored. */
void evict_fresh_take(struct evictor *e, size_t b);
/* The next run of block B's pieces read since its order was made that
 * score lower than BELOW (scored again now), up to WANT bytes: false when
 * there is none. */
bool evict_fresh_run(struct evictor *e, size_t b, int64_t below, double want, struct unit **unit, uint32_t *first,
		     uint32_t *count);
/* Block B's order was made again: what was read before it is in it. */
void evict_fresh_clear(struct block *blk);
/* UNIT (an index in the units), a whole file new to block B since its
 * order was made: a step drops it before the order's next key where it
 * scores lower. */
void evict_fresh_newcomer(struct evictor *e, size_t b, uint32_t unit);
void evict_fresh_free(struct evictor *e);

/* evict_guard.c */
/* Whether file unit U is left to the kernel now: held, or its dropped
 * pages came straight back (then held from NOW, and said). */
bool evict_guard_holds(struct evictor *e, struct unit *u, long long now);
/* A drop of U's file (open at FD, PAGES long) begins: its record of
 * dropped pages, begun if there is none or the last is too old to tell.
 * VEC is the file's cached pages (evict_cached_map), or NULL for a drop of
 * all of it: then read here where a record is kept. Returns the vector to
 * mark the drop's pages from, which the caller frees. */
unsigned char *evict_guard_begin(struct evictor *e, struct unit *u, int fd, uint64_t pages, unsigned char *vec);
/* Pages FROM to FROM + N of U's file are to be dropped: those cached in
 * VEC are marked in it. */
void evict_guard_tried(const struct unit *u, unsigned char *vec, uint64_t from, uint64_t n);
/* The drop of U's file, open at FD, is done: the pages marked in VEC that
 * left the page cache are recorded. */
void evict_guard_end(const struct evictor *e, struct unit *u, int fd, const unsigned char *vec);
/* COUNT pieces of U's file from FIRST are to be dropped: what each has
 * cached (NULL where no record is kept), for evict_guard_pieces_end,
 * which records the pages of those that left and frees it. */
int64_t *evict_guard_pieces_begin(const struct evictor *e, struct unit *u, uint32_t first, uint32_t count);
void evict_guard_pieces_end(const struct evictor *e, struct unit *u, uint32_t first, uint32_t count, int64_t *had);
void evict_guard_forget(struct unit *u);

/* evict_units.c */
/* Frees a unit, and what it holds. */
void evict_unit_free(struct unit *u);
/* Finds the units of every block among PROCS (their mappings and open
 * files); process units no process holds any more are dropped, file
 * units stay as long as their file is watched. */
void evict_refresh_units(struct evictor *e, const struct evict_proc *procs, size_t nprocs);
/* The unit of block B's REGION for file W, made if there is none. */
struct unit *evict_file_unit(struct evictor *e, unsigned b, unsigned region, struct watched *w);
/* Each unit's figures and its block's score for it, as of NOW. */
void evict_score_units(struct evictor *e, long long now);
/* U's figures read and its score made, as evict_score_units does for all. */
void evict_score_unit(struct evictor *e, struct unit *u, long long now);
/* Piece I of U, which had nothing cached at the last scoring, scored now
 * as of that scoring's time (and kept): a piece read since then is ordered
 * by its own score, not left out or put first. EVICT_UNSCORED if it has
 * nothing cached still. */
int64_t evict_score_piece(struct evictor *e, struct unit *u, uint32_t i);
/* The same, not kept: the order's histogram counts the kept scores, and a
 * piece read since is scored for the step alone. */
int64_t evict_piece_score_now(struct evictor *e, const struct unit *u, uint32_t i);
/* Whether a block with a 'unit' scores REGION. */
bool evict_region_in_pieces(const struct evictor *e, unsigned region);

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
