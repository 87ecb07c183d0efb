/* oom.h - the 'oom' rules: who the kernel's OOM killer chooses, and who
 * dies earlier when a trigger holds.
 *
 * The policy's order (prefer, the rest by score, avoid; protect never) is
 * mapped onto oom_score_adj, domain by domain (a memory cgroup with a limit,
 * or the whole system), so that the kernel's own badness follows it. Where
 * a negative value cannot be written (no CAP_SYS_RESOURCE), protected
 * processes keep their value and the others are raised above them. Every
 * value written is restored when the runtime stops.
 */
#ifndef MMP_OOM_H
#define MMP_OOM_H

#include <stdbool.h>
#include <sys/types.h>

#include "object.h"
#include "process.h"

struct oom;

/* NULL with *err 0 when no policy has an 'oom' block; NULL with *err < 0
 * after an error message. The fds are the BPF maps mmp_task_mem,
 * mmp_oom_tasks and mmp_oom_reports. */
struct oom *oom_new(const struct mmp_object *obj, bool dry_run, int mem_fd, int tasks_fd, int reports_fd, int *err);
/* Adds the triggers' descriptors to EPFD; oom_on_fd takes their events. */
int oom_watch(struct oom *o, int epfd);
bool oom_on_fd(struct oom *o, int fd);

/* A process the runtime governs with POLICY (ignored if it has no 'oom'). */
void oom_govern(struct oom *o, const struct proc_info *info, unsigned policy);
void oom_forget(struct oom *o, pid_t pid);
/* BPF events: a process's memory moved; the kernel chose an OOM victim. */
void oom_on_rss(struct oom *o, pid_t pid);
void oom_on_victim(struct oom *o, pid_t pid);
/* Each tick, after the runtime has forgotten the processes that exited:
 * refresh figures, keep oom_score_adj in step, act on triggers. */
void oom_tick(struct oom *o);
/* Puts back every oom_score_adj it changed; frees O. */
void oom_free(struct oom *o);

#endif
