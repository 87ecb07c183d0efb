/* mmp_shared.h - the whole contract between the BPF side and the runtime:
 * map layouts and event records, in plain structs both sides compile, and
 * the one reading of them both sides must agree on (mmp_rate_of). */
#ifndef MMP_SHARED_H
#define MMP_SHARED_H

#include <linux/types.h>

/* Bump when any struct below changes: the runtime refuses other versions. */
#define MMP_ABI_VERSION 23

#define MMP_MAX_RANGES 4096        /* resolved address ranges per process */
#define MMP_MAX_PROCS 4096         /* processes governed at once */
#define MMP_MAX_SLOTS 16384        /* (process, region) statistics at once */
#define MMP_MAX_CHUNKS 262144      /* 2M chunks tracked (512 GiB of memory) */
#define MMP_MAX_FILES 262144       /* files watched by evict rules */
#define MMP_FILE_NAMES 1024        /* a file event's names, up to its file system's root */
#define MMP_FILE_DEPTH 40          /* ... and the directories above it */
#define MMP_CHUNK_SHIFT 21
/* The page the language counts in ('degree 64K' is 16 pages) and the BPF
 * side's: x86-64's and arm64's 4K base page. The runtime asks the kernel
 * (sysconf) wherever it counts the machine's own pages. */
#define MMP_PAGE_SHIFT 12
#define MMP_PAGE_SIZE (1ULL << MMP_PAGE_SHIFT)
#define MMP_RATE_WINDOW_NS 1000000000ULL

/* Nanoseconds from T to NOW, CLOCK_MONOTONIC; 0 for a T after NOW: a
 * reader's clock may come before a time another CPU wrote since, which
 * is new, not one that wrapped to ages ago. Every reading of the
 * statistics' times goes through it, on both sides. */
static inline __attribute__((always_inline)) __u64 mmp_ns_since(__u64 t, __u64 now)
{
	return now > t ? now - t : 0;
}

/* The same in milliseconds: 'idle' and 'age' of a region, as BPF and the
 * runtime (region_stat) both read them. */
static inline __attribute__((always_inline)) __s64 mmp_ms_since(__u64 t, __u64 now)
{
	return (__s64)(mmp_ns_since(t, now) / 1000000);
}

/* Faults per second from a region's window counters: the last full
 * window, or the current one, whichever is higher; a current window
 * younger than a tenth of a second counts as if it had lasted that long
 * (its faults came at least that fast: a 256M table filled in 96 ms must
 * read as 650,000 a second, not as the window before's 0); 0 two seconds
 * after the window began, when no fault has rolled it. BPF's rules read
 * it at faults, the runtime at its ticks. */
static inline __attribute__((always_inline)) __s64 mmp_rate_of(__u64 last_rate, __u64 win, __u64 win_start,
							       __u64 now)
{
	__u64 elapsed = mmp_ns_since(win_start, now);
	if (elapsed > 2 * MMP_RATE_WINDOW_NS)
		return 0;
	if (elapsed < MMP_RATE_WINDOW_NS / 10)
		elapsed = MMP_RATE_WINDOW_NS / 10;
	__u64 cur = win * MMP_RATE_WINDOW_NS / elapsed;
	return (__s64)(cur > last_rate ? cur : last_rate);
}

/* Bits of mmp_region_stats.rule_flags: which rule's 'when' held at the last
 * fault in the region (a rule without 'when' always holds). */
enum mmp_rule_bit {
	MMP_RULE_PAGESIZE = 1u << 0,
	MMP_RULE_PREFETCH = 1u << 1,
	MMP_RULE_EVICT = 1u << 2,  /* scored by an evict block (reports only) */
	MMP_RULE_AHEAD = 1u << 3,  /* a page-size rule with 'ahead': a fault in a new
				    * 2M chunk is sent to the runtime (mmp_ahead_event) */
};

struct mmp_range {
	__u64 start, end;          /* [start, end) */
	__u32 region;              /* global region id */
	__u32 slot;                /* this process's statistics of the region in mmp_stats */
};

/* Value of the 'procs' map, keyed by tgid: the process's regions, sorted. */
struct mmp_proc {
	__u32 policy;
	__u32 nranges;
	__u32 last;                /* the range of the last fault: neighbours skip the search */
	__u32 pad;
	struct mmp_range ranges[MMP_MAX_RANGES];
};

struct mmp_region_stats {
	/* The first 64 bytes are what every fault touches: one cache line
	 * (the element is 256 bytes, so each starts on a line). */
	__u64 faults;              /* since the region was first seen */
	__u64 first_ns, last_ns;   /* first and last fault (CLOCK_MONOTONIC, to a jiffy) */
	__u64 win_start_ns;        /* the current one-second window */
	__u64 win_faults;
	/* The 2M chunk faults are landing in now, counted here and added to
	 * the chunk map when they move on: one hash update a chunk, not a fault. */
	__u64 cur_chunk, cur_faults, cur_last_ns;
	__u32 rule_flags;          /* enum mmp_rule_bit */
	__u32 gen;                 /* bumped by the runtime when it frees the slot */
	__u64 major_faults, win_major;
	__u64 rate, major_rate;    /* per second, over the last full window */
	__u64 size, resident, swap;/* bytes, written by the runtime from /proc */
	/* Prefetching, counted by BPF (see mmp_prefetch.bpf.h). */
	__u64 pf_predictions;      /* predictions sent to the runtime */
	__u64 pf_pages;            /* pages in them: what was asked for */
	__u64 pf_used;             /* faults on a page that had been prefetched */
	__u64 pf_late;             /* ... that still had to wait for I/O (a major fault) */
	__u64 pf_limited;          /* predictions held back by the rate limit */
	__u64 pf_tokens;           /* the rate limit's bucket, in bytes */
	__u64 pf_tokens_ns;
	__u64 spare[9];            /* to 256 bytes */
};

/* 'ahead': the places a CPU's faults are followed at (of any process:
 * the runtime keeps as many frontiers for each process), and the events
 * a jiffy a CPU for a chunk after none of them. A power of two. */
#define MMP_AHEAD_PLACES 16
#define MMP_AHEAD_NEW 4
_Static_assert((MMP_AHEAD_PLACES & (MMP_AHEAD_PLACES - 1)) == 0, "MMP_AHEAD_PLACES is a power of two");

/* One place a process writes at, as BPF told the runtime of it: the
 * chunk after the last one told, and when (an entry older than a second
 * is not followed: memory freed and written again is told anew). */
struct mmp_ahead_place {
	__u64 next;
	__u64 told_ns;
	__u32 tgid;
	__u32 pad;
};

/* Each CPU's own state, the value of the per-CPU array mmp_cpu (one
 * lookup a fault):
 *  - the last range a fault hit: a fault next to the last one on the same
 *    CPU, of the same process, costs a read of this entry instead of a hash
 *    lookup of the process and a search of its ranges. Valid while
 *    mmp_epoch holds the value it was filled under; the runtime bumps the
 *    epoch after every change to mmp_procs, and the exec hook when a
 *    governed process exec's;
 *  - the clock, read once a jiffy: bpf_ktime_get_ns() costs 28 ns a fault
 *    in one VM and 214 in another, bpf_jiffies64() a memory read. A jiffy
 *    (1 to 4 ms) of precision is plenty for one-second rates and idle times;
 *  - faults counted here and not yet in the region's statistics ('pend'):
 *    minor faults in the last range, in the same jiffy (and, for a region
 *    with a page-size rule, the same 2M chunk) as the fault before them,
 *    of a region without a prefetch rule. They are added to the statistics
 *    at slot 'slot' (if its 'gen' is still 'gen') by this CPU's next fault
 *    that is not such a fault: so the statistics page is not touched on
 *    most faults, and lags by at most a jiffy of this CPU's faults. The
 *    runtime adds every CPU's pending faults wherever it reads the counts. */
struct mmp_cpu {
	__u64 start, end;
	__u64 epoch;
	__u32 tgid, region, slot, rules;
	__u32 group, gen;          /* the region's rule group (generated code); the slot's gen */
	__u64 jiffies, ns;
	__u64 pend;                /* faults not yet in the statistics at slot */
	__u64 pend_chunk;          /* their 2M chunk (address >> MMP_CHUNK_SHIFT) */
	__u64 lost;                /* events this CPU could not put in mmp_events (full) */
	/* 'ahead': the places of this CPU's last MMP_EV_AHEADs: one thread
	 * may write several at once (an allocator's size classes), and the
	 * next chunk of each is a frontier moving. */
	struct mmp_ahead_place ahead[MMP_AHEAD_PLACES];
	__u64 ahead_jiffies;       /* a chunk after none of them: a few a jiffy */
	__u32 ahead_new;           /* ... so many this jiffy */
	__u32 ahead_at;            /* the entry the next new place takes */
};

struct mmp_chunk_key {
	__u32 tgid;
	__u32 region;
	__u64 chunk;               /* address >> MMP_CHUNK_SHIFT */
};

enum mmp_chunk_state {
	MMP_CHUNK_NEW = 0,         /* counted by BPF, not yet acted on */
	MMP_CHUNK_DONE,            /* collapsed (or, in a dry run, would have been) */
	MMP_CHUNK_RETRY,           /* failed; try again after retry_ns */
	MMP_CHUNK_FAILED,          /* failed too often: left alone */
};

struct mmp_chunk {
	__u64 faults;
	__u64 last_ns;
	__u32 state;               /* enum mmp_chunk_state, written by the runtime */
	__u32 tries;
	__u64 retry_ns;
};

enum mmp_event_kind {
	MMP_EV_EXEC = 1,           /* a process exec'd: match it against the policies */
	MMP_EV_FORK,               /* a governed process forked */
	MMP_EV_EXIT,               /* a governed process exited */
	MMP_EV_MAPS,               /* a governed process changed its mappings */
	MMP_EV_RSS,                /* an oom-governed process's memory moved by a step */
	MMP_EV_OOM_VICTIM,         /* the kernel's OOM killer chose this process */
	MMP_EV_PREFETCH,           /* struct mmp_pf_event: pages to fetch */
	MMP_EV_RENAME,             /* a process changed its name (comm) */
	MMP_EV_CGROUP,             /* a process moved to another cgroup */
	MMP_EV_ADJ,                /* someone else than the runtime wrote an
				    * oom-governed process's oom_score_adj */
	MMP_EV_AHEAD,              /* struct mmp_ahead_event: a fault in a new chunk */
	MMP_EV_GUARDS,             /* a governed process may have changed what it
				    * guards (mlock, MADV_[NO]HUGEPAGE, userfaultfd);
				    * 'parent' is 1 for a new userfaultfd */
	MMP_EV_FILE,               /* struct mmp_file_event: a governed process
				    * touched a file mmp did not watch yet */
	MMP_EV_SCAN_NAME,          /* struct mmp_scan_name_event: a governed
				    * thread read a watched file under a name
				    * not judged yet ('scanners') */
};

struct mmp_event {
	__u32 kind;
	__u32 pid;                 /* tgid of the process concerned */
	__u32 parent;              /* for forks and execs: the parent's tgid;
				    * MMP_EV_ADJ: the value written (an __s32) */
	__u32 pad;
};

/* A file watched by evict rules, as the kernel's filemap tracepoints name
 * it: s_dev is MAJOR << 20 | MINOR (not stat's st_dev encoding). Its
 * figures are at a slot of mmp_file_stats, an array the runtime reads
 * through mmap, with no system call a file. */
struct mmp_file_key {
	__u32 dev;
	__u32 pad;
	__u64 ino;
};

#define MMP_FILE_FREE 16384        /* free slots the runtime keeps ready for BPF */

/* Counted by BPF, in pages (see mmp_evict.bpf.h). */
struct mmp_file_stats {
	__u64 accesses;            /* pages read (read(2)) or faulted on */
	__u64 misses;              /* pages added to the page cache */
	__u64 evicted;             /* pages deleted from it */
	__s64 resident;            /* pages added less pages deleted, since watched */
	__u64 first_ns, last_ns;   /* first and last access seen */
	/* Where a block scores files in pieces ('unit'): the file's pieces
	 * are mmp_pieces[base, base + count), published by the runtime in
	 * one store as base << 32 | count; 0: counted as a whole only. */
	__u64 pieces;
	__u32 past_pieces;         /* set by BPF: a page past the pieces was read or cached */
	__u32 dev;                 /* the file's key, written before it enters mmp_files: */
	__u64 scan_accesses;       /* of accesses, those by a block's scanners (threads) */
	__u64 ino;                 /* a CPU's memo of the slot is checked against it */
};

#define MMP_MAX_PIECES (1U << 20)  /* pieces of files counted at once (4 GiB at 4K) */

/* One piece of a file, counted by BPF in pages like the whole file;
 * times in milliseconds of the monotonic clock, truncated. */
struct mmp_piece {
	__u64 accesses;
	__u64 misses;
	__s64 resident;
	__u32 first_ms, last_ms;
	__u64 scan_accesses;
	__u32 fresh;               /* set by BPF when a page of it is cached, cleared at its next read */
	__u32 pad;
};

/* Pieces read for the first time since a page of theirs was cached: their
 * indexes in mmp_pieces, in a ring (mmp_fresh_pieces) the runtime reads
 * at each step, so that a step can drop what a scan just read without
 * waiting for the next scoring. Read, not cached: readahead's pages are
 * not candidates until their reader reaches them. */
#define MMP_FRESH_RING_BYTES (4U << 20)

/* Threads whose reads are scans ('scanners' of an evict block), known by
 * their names: BPF reads the reading thread's name at every access and
 * looks up the runtime's verdict on it for the process's policy
 * (mmp_scan_names). A name not judged
 * yet is sent to the runtime once (MMP_EV_SCAN_NAME) and its reads count
 * as other threads' until the verdict is in. */
#define MMP_MAX_SCAN_NAMES 1024
enum mmp_scan_verdict {
	MMP_SCAN_ASKED = 0,        /* sent to the runtime, not judged yet */
	MMP_SCAN_NO,
	MMP_SCAN_YES,
};
struct mmp_scan_name {
	char comm[16];             /* TASK_COMM_LEN, as bpf_get_current_comm fills it */
	__u32 policy;              /* the reading process's: a verdict is a policy's */
};
struct mmp_scan_name_event {
	__u32 kind;                /* MMP_EV_SCAN_NAME */
	__u32 pid;                 /* tgid of the thread that read under the name */
	struct mmp_scan_name name;
};

/* A file a governed process read or faulted on, first seen: BPF watches
 * it from then on (an entry in mmp_files), and names it for the runtime,
 * which decides whether an evict block's regions select it. NAMES are the
 * file's own name and then each directory's above it, up to the root of
 * its file system (not of a mount), each followed by a '/': "c/b/a/" is
 * /a/b/c. */
struct mmp_file_event {
	__u32 kind;                /* MMP_EV_FILE */
	__u32 pid;                 /* tgid */
	__u32 policy;              /* the process's */
	__u32 dev;                 /* as in struct mmp_file_key */
	__u64 ino;
	__u32 slot;                /* its figures in mmp_file_stats */
	__u32 len;                 /* bytes of NAMES used */
	__u32 complete;            /* 0: the root was not reached (too deep, too long) */
	__u32 pad;
	char names[2 * MMP_FILE_NAMES];     /* room past the limit, for the verifier */
};

/* A prediction: COUNT pages at START, START + STRIDE, ... (bytes; STRIDE
 * may be negative), to be fetched with MADV_WILLNEED. */
struct mmp_pf_event {
	__u32 kind;                /* MMP_EV_PREFETCH */
	__u32 pid;                 /* tgid */
	__u32 region;
	__u32 count;
	__u64 start;
	__s64 stride;
};

/* The first fault of a thread in a 2M chunk of a region whose page-size
 * rule has 'ahead': the runtime prepares the chunks after it. */
struct mmp_ahead_event {
	__u32 kind;                /* MMP_EV_AHEAD */
	__u32 pid;                 /* tgid */
	__u32 region;
	__u32 tid;                 /* the thread: each writes its own part */
	__u64 chunk;               /* address >> MMP_CHUNK_SHIFT */
};

enum mmp_pf_pattern { MMP_PF_SEQUENTIAL = 1, MMP_PF_STRIDE, MMP_PF_LEAP };

/* What a running runtime publishes for 'mmp stats', in pinned maps. */
struct mmp_meta {
	__u32 abi;                 /* MMP_ABI_VERSION */
	__u32 runtime_pid;
	__u64 started_ns;          /* CLOCK_BOOTTIME */
	__u32 nregions;
	__u32 dry_run;
	char name[64];             /* the runtime's name: its pin directory */
	__u64 lost_events;         /* events lost to a full ring buffer, so far */
};

struct mmp_region_name {
	char policy[64];
	char region[64];
};

/* Per region, over every governed process, kept by the runtime. */
struct mmp_region_report {
	__u64 faults, major_faults;
	__u64 processes;           /* governed processes with this region */
	__u64 bytes;               /* mapped size */
	__u64 hot_chunks;          /* 2M chunks counted while the rule held */
	__u64 collapses, collapse_failures;
	__u64 huge_bytes;          /* AnonHugePages in the region, from smaps */
	__u64 page_size;           /* the size the runtime applies (4K: none) */
	__u64 pf_predictions, pf_pages, pf_used, pf_late, pf_limited;
	__u64 rules;               /* enum mmp_rule_bit: the rules the region has */
	__u64 pf_requests;         /* process_madvise calls the runtime made */
	__u64 pf_request_errors;   /* ... that failed */
	__u64 ev_units;            /* files or processes scored in the region */
	__u64 ev_bytes;            /* bytes acted on by evict rules */
	__u64 ev_calls, ev_errors; /* actions taken, and failed */
	__u64 ev_protected;        /* units kept by 'protect top' */
	/* 'ahead': chunks prepared ahead of the faults, in 2M chunks. */
	__u64 ah_prepared;         /* collapsed before the process touched them */
	__u64 ah_failed;           /* ... whose collapse failed (left to the faults) */
	__u64 ah_untouched;        /* prepared beyond the last fault the process made */
	__u64 ah_skipped;          /* left alone: guarded by the process, or not anonymous */
	__u64 ah_cpu_ns;           /* CPU the runtime spent preparing them */
	__u64 collapse_cpu_ns;     /* ... and collapsing hot chunks */
	__u64 scan_hot;            /* hot chunks of processes running before mmp, found at attach */
	__u64 ev_fresh_bytes;      /* of ev_bytes, pieces read since the block's last scoring */
	__u64 ah_followed;         /* 'ahead': chunks the process was seen writing by their contents, no fault */
	__u64 ev_held;             /* times a file's drops came straight back, and it was left to the kernel */
	__u64 ev_back_bytes;       /* ... the bytes of those drops read back */
	__u64 ah_paused;           /* 'ahead': times preparing paused, the process outrunning it */
};

/* Memory of a process with an oom rule, in pages, kept current by BPF from
 * the kernel's rss_stat tracepoint; the runtime creates the entry. Indexed
 * by the kernel's counters: MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS,
 * MM_SHMEMPAGES. */
enum { MMP_MEM_FILE, MMP_MEM_ANON, MMP_MEM_SWAP, MMP_MEM_SHMEM, MMP_MEM_COUNT };

struct mmp_task_mem {
	__s64 pages[MMP_MEM_COUNT];
	__s64 reported;            /* the total at the last MMP_EV_RSS */
};

/* How a policy's 'oom' rules rank a process (victims first). */
enum mmp_oom_class {
	MMP_OOM_PROTECT = 0,       /* never chosen */
	MMP_OOM_AVOID,
	MMP_OOM_NORMAL,
	MMP_OOM_PREFER,
};

/* Per oom-governed process, written by the runtime for 'mmp stats'. */
enum mmp_oom_by {
	MMP_OOM_BY_KERNEL,         /* the kernel, by the order of oom_score_adj */
	MMP_OOM_BY_MMP,            /* mmp, through memory.oom_control (v1) */
	MMP_OOM_BY_KILL_RULE,      /* mmp's kill rule first, in memory.high's window (v2); then the kernel */
};

struct mmp_oom_task {
	__u32 policy;
	__u32 class;               /* enum mmp_oom_class */
	__u32 rank;                /* 1: the first victim in its OOM domain */
	__s32 adj, orig_adj;       /* oom_score_adj now, and before mmp */
	__u32 oom_by;              /* enum mmp_oom_by: who decides its cgroup's OOMs */
	__s64 score;               /* the policy's score, or the kernel's badness in pages */
	char comm[16];
};

/* Per policy, kept by the runtime. */
struct mmp_oom_report {
	char policy[64];
	__u64 tasks;               /* processes under the oom rules now */
	__u64 adjustments;         /* oom_score_adj writes */
	__u64 kernel_victims;      /* governed processes the kernel's OOM killer chose */
	__u64 kernel_as_chosen;    /* ... that were the policy's first choice */
	__u64 kills, group_kills;  /* pre-OOM kills by the policy's trigger */
	__u64 trigger_fired;       /* times the trigger held */
	__u64 oom_kills;           /* OOMs of held cgroups decided by mmp's kill */
	__u32 held_cgroups;        /* v1 memory cgroups whose OOMs mmp decides */
	__u32 window_cgroups;      /* v2 memory cgroups whose memory.high mmp set */
	__u32 protect_by_adj;      /* 1: oom_score_adj -1000; 0: by ordering */
	__u32 last_victim;         /* pid */
	char last_comm[16];
	char last_reason[96];
};

/* Settings the runtime writes into .rodata before load. */
struct mmp_config {
	__u32 runtime_tgid;        /* never report the runtime itself */
	__u32 pad;
};

#endif
