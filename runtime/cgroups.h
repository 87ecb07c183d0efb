/* cgroups.h - where a process's cgroups are, and what memory they hold, on
 * cgroup v1 (memory controller at /sys/fs/cgroup/memory), hybrid (cgroup2
 * at /sys/fs/cgroup/unified) and pure cgroup2 hosts alike. */
#ifndef MMP_CGROUPS_H
#define MMP_CGROUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cgroup_paths.h"

enum cg_want {
	CG_PRESSURE,   /* a directory with memory.pressure (cgroup2) */
	CG_MEMORY,     /* a directory of the memory controller (v1 or v2) */
};

/* The directory a policy's cgroup PATH means for WANT: a full path under
 * /sys/fs/cgroup as it is, or a path inside a hierarchy ("/kv"). 0;
 * -ENOENT if no hierarchy has that cgroup; -ENODATA if one has it, but not
 * with what WANT needs. */
int cgroup_dir(const char *path, enum cg_want want, char *out, size_t len);
/* PID's memory cgroup directory, or its cgroup2 directory. 0 or -errno. */
int proc_memcg_dir(pid_t pid, char *out, size_t len);
int proc_unified_dir(pid_t pid, char *out, size_t len);
/* How often a memory cgroup hit its limit: v1 memory.failcnt, v2
 * memory.events' "max". 0, or -errno where it has neither (a root). */
int memcg_limit_hits(const char *dir, long long *hits);
/* Usage and limit of a memory cgroup, in bytes; *limit is 0 if unlimited. */
int memcg_usage(const char *dir, long long *usage, long long *limit);
/* The same, but LIMIT is where the kernel starts to reclaim: on cgroup2
 * the lower of memory.high and memory.max (v1 has only its limit). A
 * memory.high this runtime set itself (memcg_own_high) does not count:
 * the reclaim point is then the one from before, so that a percentage of
 * it means what the policy meant. */
int memcg_reclaim_point(const char *dir, long long *usage, long long *limit);
/* The nearest cgroup above DIR with a reclaim point (as above) into OUT,
 * or "" when none has one. */
void memcg_limited_above(const char *dir, char *out, size_t len);
/* A cgroup2 memory cgroup's memory.high, in bytes, -1 for "max" (as read
 * and as written). 0, or -errno. */
int memcg_read_high(const char *dir, long long *high);
int memcg_write_high(const char *dir, long long high);
/* Takes DIR's FILE (a setting such as memory.high) for this process alone:
 * an exclusive flock on a file of it opened here, which the kernel lets go
 * of however the process ends. Returns that fd, kept open while the
 * setting is this process's; -EWOULDBLOCK when another holds it; -errno. */
int memcg_lock_knob(const char *dir, const char *file);
/* DIR's memory.high is now HIGH, written by this runtime where the
 * reclaim point was BEFORE; HIGH < 0 forgets it (put back). */
void memcg_own_high(const char *dir, long long high, long long before);
/* The nearest of DIR and its ancestors with a memory limit: where an OOM
 * of DIR's processes happens. *limit is that limit in bytes, plus the swap
 * it may use; 0 and out "" when no ancestor has one (a system OOM). */
void memcg_domain(const char *dir, char *out, size_t len, long long *limit);
/* Is /sys/fs/cgroup itself cgroup2 (a pure cgroup2 host)? */
bool cgroup_root_is_v2(void);

#endif
