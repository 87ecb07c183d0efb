/* governed.h - the one owner of the governed processes: which policy each
 * follows, its pidfd, its identity (pid and start time), its resolved
 * ranges and its statistics slots. Policy kinds read these; none keeps a
 * copy of a pidfd or of a process's identity. */
#ifndef MMP_GOVERNED_H
#define MMP_GOVERNED_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "bpf/mmp_shared.h"
#include "compiler/plan.h"
#include "loader.h"
#include "process.h"

struct governed {
	pid_t pid;
	unsigned long long start;        /* with the pid, tells a reused pid */
	unsigned long long identity;     /* a hash of what a match may select it by:
					  * name, executable, cgroups */
	unsigned policy;
	int pidfd;
	struct mmp_range *ranges;        /* sorted, with region ids and slots */
	size_t nranges;
	__u32 *slots;                    /* a statistics slot for each region of its policy */
	bool maps_dirty;                 /* resolving failed: the next refresh tries again */
	bool warned_truncated;
};

/* Told when a process is governed and before it is forgotten (while its
 * pidfd and slots are still valid). */
struct governed_listener {
	void *ctx;
	void (*govern)(void *ctx, const struct governed *g, const struct proc_info *info);
	void (*forget)(void *ctx, const struct governed *g);
};

struct governed_set {
	const struct mmp_plan *plan;
	pid_t root;                      /* run: only the command and its descendants; -1: any */
	dev_t self_dev;                  /* this runtime's executable: its */
	ino_t self_ino;                  /* own kind is never governed */
	struct governed_listener listener;
	struct governed *gov;
	size_t n, cap;
	unsigned long long ever;         /* processes governed since the start */
	unsigned long long lost;         /* events lost to a full ring buffer, as last read */
	bool *mapped;                    /* by region: resolved in some process, ever */
	bool *policy_seen;               /* by policy: governed some process, ever */
	bool *overlap_said;              /* by policy: said to match a process an earlier one governs */
	/* BPF's side: the maps, and the statistics slots shared with it. */
	int procs_fd, dirty_fd, chunks_fd, cpu_fd;
	__u64 *epoch;                    /* mmp_epoch, mapped: bumped after every change to mmp_procs */
	struct mmp_region_stats *stats;  /* mmp_stats, mapped */
	size_t stats_len;
	__u32 *free_slots;
	size_t nfree;
	int ncpu_vals;                   /* mmp_cpu: each possible CPU's pending faults */
	struct mmp_cpu *cpu_vals;
	__u64 *pending;                  /* a slot's faults pending on the CPUs (governed_read_pending) */
	struct mmp_region_stats *view;   /* a slot's statistics with its pending faults */
	struct mmp_region_report *retired;   /* a region's counts from processes no longer governed */
	struct mmp_proc *procbuf;        /* 96 KiB: one value of mmp_procs */
};

/* Maps the shared statistics of the loaded object L. 0, or -errno after
 * an error message. */
int governed_open(struct governed_set *s, const struct mmp_plan *plan, const struct loaded *l);
/* Frees S, telling no listener: the kinds have undone their changes. */
void governed_close(struct governed_set *s);

/* Why a process is considered: the events that may change whether a
 * policy selects it, and which. */
enum governed_why {
	GOV_FOUND,       /* seen at the start, or a governed process's child */
	GOV_EXEC,        /* it exec'd: a new image, governed anew */
	GOV_RENAME,      /* its name changed */
	GOV_CGROUP,      /* it moved to another cgroup */
};

/* Governs PID if a policy matches it (and it descends from the root),
 * and then its children not yet governed; forgets it if it no longer
 * matches or is another process now, and governs it anew (every kind
 * forgets it, then takes it again) after an exec or when its name or
 * cgroups changed. */
void governed_consider(struct governed_set *s, pid_t pid, enum governed_why why);
/* Considers every process in /proc. */
void governed_scan(struct governed_set *s);
struct governed *governed_find(struct governed_set *s, pid_t pid);
void governed_drop(struct governed_set *s, struct governed *g, const char *why);
/* G's mappings changed: resolve them again now. */
void governed_maps_changed(struct governed_set *s, struct governed *g);
/* Forgets the processes that exited, resolves those whose last resolving failed. */
/* Says, once, which regions matched no memory in any process their
 * policy governed ('mapping "[heap]"' under jemalloc maps nothing). */
void governed_report_unmapped(const struct governed_set *s, const struct mmp_region_report *reports);
void governed_refresh(struct governed_set *s);

/* The statistics slot of region REGION (a plan id) in G's process. */
__u32 governed_slot(const struct governed_set *s, const struct governed *g, unsigned region);
/* Reads the faults each CPU has counted and not yet added to a slot. */
int governed_read_pending(struct governed_set *s);
/* A slot's faults, with those pending (after governed_read_pending). */
__u64 governed_faults(const struct governed_set *s, __u32 slot);

#endif
