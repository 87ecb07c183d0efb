/* process.h - what the runtime knows of a process, and whether a policy's
 * matcher selects it. */
#ifndef MMP_PROCESS_H
#define MMP_PROCESS_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "compiler/plan.h"

struct proc_info {
	pid_t pid, ppid;
	uid_t uid;
	char comm[32];
	char exe[PATH_MAX];
	char cgroups[4096];        /* /proc/PID/cgroup as read */
	unsigned long long start;  /* start time in ticks: tells a reused pid */
};

/* Reads a small file (a /proc or cgroup file) into BUF, NUL-terminated.
 * Returns the bytes read, or -errno. */
int proc_read_file(const char *path, char *buf, size_t len);
/* PID's oom_score_adj, read and written. 0, or -errno. */
int proc_read_adj(pid_t pid, int *adj);
int proc_write_adj(pid_t pid, int adj);
/* PID's name (/proc/PID/comm) into BUF. 0, or -errno if it is gone. */
int proc_comm(pid_t pid, char *buf, size_t len);
/* A /proc/meminfo figure in kB (MemTotal, SwapTotal...), 0 if absent. */
long long proc_meminfo_kb(const char *key);
/* Reads /proc/PID. Returns 0, or -errno (the process is gone: -ENOENT/-ESRCH). */
int proc_read(pid_t pid, struct proc_info *p);
/* The process (thread group) of thread TID, or 0 if it is gone. */
pid_t proc_tgid(pid_t tid);
/* Start time of PID, or 0 if it is gone. */
unsigned long long proc_start_time(pid_t pid);
/* The CPU time PID's threads have run (user and system), in ms at the
 * clock tick's resolution; -1 if it cannot be read. */
long long proc_cpu_ms(pid_t pid);
/* Does this process have capability CAP (linux/capability.h) in its
 * effective set? */
bool proc_self_has_cap(int cap);
/* Does the process test T (a matcher) select P? */
bool proc_matches(const struct mmp_test *t, const struct proc_info *p);
/* Is PID a descendant of (or equal to) ROOT? */
bool proc_descends_from(pid_t pid, pid_t root);

#endif
