/* cgroup_paths.h - what cgroup paths mean, as plain strings: a policy's
 * 'cgroup' matcher against /proc/PID/cgroup, the hierarchy line of a
 * process's cgroup, and the ancestry of directories. No file is read here
 * (cgroups.c and process.c read them), so all of it is tested without a
 * cgroup mount. */
#ifndef MMP_CGROUP_PATHS_H
#define MMP_CGROUP_PATHS_H

#include <stdbool.h>

#define CG_MOUNT "/sys/fs/cgroup"
#define V1_MEMORY CG_MOUNT "/memory"
#define HYBRID_V2 CG_MOUNT "/unified"

/* Does the matcher's cgroup WANT select a process whose /proc/PID/cgroup
 * reads CGROUPS? V2_ROOT: /sys/fs/cgroup is cgroup2 itself (a pure cgroup2
 * host), which decides what "/sys/fs/cgroup/x" means. */
bool cgroup_matches(const char *want, const char *cgroups, bool v2_root);
/* The cgroup path of one /proc/PID/cgroup line (ID:CONTROLLERS:PATH, its
 * newline cut here), if the line is of the hierarchy wanted: cgroup2's
 * ("0::") with WANT_V2, else the one with the memory controller. NULL if
 * not. LINE is cut into pieces. */
const char *cgroup_line_path(char *line, bool want_v2);
/* Is DIR the directory ANCESTOR or below it? */
bool cgroup_dir_under(const char *dir, const char *ancestor);
/* Is DIR the root of its hierarchy? */
bool cgroup_dir_is_root(const char *dir);

#endif
