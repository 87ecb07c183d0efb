/* mmp_shared.h - the whole contract between the BPF side and the runtime:
 * map layouts and event records, in plain structs both sides compile. */
#ifndef MMP_SHARED_H
#define MMP_SHARED_H

#include <linux/types.h>

/* Bump when any struct below changes: the runtime refuses other versions. */
#define MMP_ABI_VERSION 4

#define MMP_MAX_RANGES 4096        /* resolved address ranges per process */
#define MMP_MAX_PROCS 4096         /* processes governed at once */
#define MMP_MAX_SLOTS 16384        /* (process, region) statistics at once */
#define MMP_MAX_CHUNKS 262144      /* 2M chunks tracked (512 GiB of memory) */
#define MMP_CHUNK_SHIFT 21
#define MMP_RATE_WINDOW_NS 1000000000ULL

/* Bits of mmp_region_stats.rule_flags: which rule's 'when' held at the last
 * fault in the region (a rule without 'when' always holds). */
enum mmp_rule_bit {
	MMP_RULE_PAGESIZE = 1u << 0,
	MMP_RULE_PREFETCH = 1u << 1,
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
	__u64 faults;              /* since the region was first seen */
	__u64 major_faults;
	__u64 first_ns, last_ns;   /* first and last fault (CLOCK_MONOTONIC, to a jiffy) */
	__u64 win_start_ns;        /* the current one-second window */
	__u64 win_faults, win_major;
	__u64 rate, major_rate;    /* per second, over the last full window */
	__u64 size, resident, swap;/* bytes, written by the runtime from /proc */
	__u32 rule_flags;          /* enum mmp_rule_bit */
	__u32 pad;
	/* The 2M chunk faults are landing in now, counted here and added to
	 * the chunk map when they move on: one hash update a chunk, not a fault. */
	__u64 cur_chunk, cur_faults, cur_last_ns;
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
};

struct mmp_event {
	__u32 kind;
	__u32 pid;                 /* tgid of the process concerned */
	__u32 parent;              /* for forks and execs: the parent's tgid */
	__u32 pad;
};

/* What a running runtime publishes for 'mmp stats', in pinned maps. */
struct mmp_meta {
	__u32 abi;                 /* MMP_ABI_VERSION */
	__u32 runtime_pid;
	__u64 started_ns;          /* CLOCK_BOOTTIME */
	__u32 nregions;
	__u32 dry_run;
	char name[64];             /* the runtime's name: its pin directory */
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
};

/* Settings the runtime writes into .rodata before load. */
struct mmp_config {
	__u32 runtime_tgid;        /* never report the runtime itself */
	__u32 pad;
};

#endif
