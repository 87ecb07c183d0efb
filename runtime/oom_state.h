/* oom_state.h - what the 'oom' kind keeps, shared by its files (not an
 * interface for the rest of the runtime: that is oom.h):
 *   oom.c          setup, the governed processes, the order written to
 *                  oom_score_adj, the tick, undo
 *   oom_figures.c  a process's memory figures and the score's statistics
 *   oom_victims.c  the kernel's victims reported, pre-OOM kills
 *   oom_control.c  the OOMs of v1 memory cgroups, decided by mmp
 *   oom_window.c   memory.high in v2 memory cgroups, for the pre-OOM kill
 */
#ifndef MMP_OOM_STATE_H
#define MMP_OOM_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "bpf/mmp_shared.h"
#include "compiler/plan.h"
#include "governed.h"
#include "journal.h"
#include "object.h"
#include "oom_order.h"
#include "trigger.h"

struct oom_task {
	struct oom_candidate cand;     /* pid, class, score, pages, adj and floor */
	unsigned policy;                /* its pidfd and start time are the governed set's */
	char comm[16];
	int orig_adj;                  /* before mmp */
	bool touched;                  /* we changed it (or, in a dry run, would have) */
	bool written;                  /* we wrote oom_score_adj: restore it */
	/* figures */
	long long vsize, age_ms, cgroup_usage;
	long long faults0, major0, faults, major, fault_rate, major_rate;
	long long last_refresh;
	long long page;                /* the page size, for the score's statistics */
	char memcg[512], unified[512], domain[512];
	long long domain_bytes;        /* the domain's limit (0: the system) */
	unsigned rank;
	bool warned_unprotected;       /* said that the order cannot protect it */
	bool yielded;                  /* another runtime claimed it first: to be dropped */
};

struct oom_policy {
	const struct mmp_oom_rule *rule;   /* or NULL */
	bool kill_group;
	struct trigger *trigger;       /* kill ... when */
	struct oom *owner;             /* for the trigger's window hook */
	unsigned index;
	long long next_kill;
	struct mmp_oom_report rep;
	bool warned_nothing;
};

/* A v1 memory cgroup whose OOMs mmp decides (oom_control.c). */
struct oom_hold {
	char dir[512];                 /* an OOM domain */
	int ctl_fd;                    /* its memory.oom_control, open */
	int efd;                       /* signalled by the kernel at each OOM there */
	int orig;                      /* oom_kill_disable before mmp */
	unsigned policy;               /* whose report counts it */
	bool held;                     /* oom_kill_disable set by mmp */
	bool given_back;               /* no victim of the policy's: the kernel decides this OOM */
	int victim_fd;                 /* the last victim's pidfd, until it has exited */
	long long victim_at, last_kill;
};

/* A v2 memory cgroup whose memory.high mmp set (oom_window.c). */
struct oom_window {
	char dir[512];
	long long orig, set;           /* memory.high before mmp (-1: max), and mmp's */
	long long before;              /* the reclaim point before mmp: the percentages' base */
	unsigned policy;               /* whose report counts it */
	int lock_fd;                   /* memory.high, flocked: the cgroup is this runtime's (memcg_lock_knob) */
};

struct oom {
	const struct mmp_object *obj;
	struct governed_set *gov;
	struct journal *journal;       /* every value is recorded before it is written */
	bool dry_run, can_negative;
	int mem_fd, tasks_fd, reports_fd;
	struct oom_policy *pol;
	unsigned npol;
	struct oom_task *tasks;
	size_t ntasks, cap;
	bool dirty;                    /* re-rank at the next tick */
	long long page, hz, system_pages;
	long long last_refresh;
	char **warned;                 /* what was warned of once (first_time) */
	size_t nwarned;
	struct journal_claim *claims;  /* the processes other runtimes order (journal_claims) */
	size_t nclaims;
	long long claims_ns;           /* when read */
	int epfd;                      /* the loop's, for the eventfds of cgroups held later */
	struct oom_hold *holds;
	size_t nholds;
	struct oom_window *windows;
	size_t nwindows;
};

/* oom.c */
struct oom_task *oom_find(struct oom *o, pid_t pid);
/* Is the task still the process we started governing? */
bool oom_alive(struct oom *o, const struct oom_task *t);
const char *oom_class_name(enum mmp_oom_class c);

/* oom_figures.c */
/* Memory figures from /proc and BPF, and the fault counters, as of NOW. */
void oom_refresh(struct oom *o, struct oom_task *t, long long now);
/* The first reading of a new task's memory. */
void oom_seed_memory(struct oom *o, struct oom_task *t);
/* A statistic of the task CTX, for calc_eval. */
int64_t oom_task_stat(void *ctx, enum stat_id id, bool rate);

/* oom_victims.c */
/* The kernel's OOM killer chose PID. */
void oom_on_victim(struct oom *o, pid_t pid);
/* Policy PI's 'kill ... when': sample its trigger, and kill if it holds. */
void oom_act_on_trigger(struct oom *o, unsigned pi, long long now);
/* The last victim, for 'mmp stats'. */
void oom_note_victim(struct oom_policy *p, pid_t pid, const char *comm, const char *reason);

/* oom_control.c */
/* Is this runtime in the memory cgroup DIR, or below it? */
bool oom_runtime_inside(const char *dir);
/* Decides the OOMs of DIR (an OOM domain) from now on, where it is a v1
 * memory cgroup: once for each; POLICY's report counts it. */
void oom_hold_domain(struct oom *o, const char *dir, unsigned policy);
/* An OOM notice on FD, if it is a held cgroup's. */
bool oom_hold_on_fd(struct oom *o, int fd, long long now);
/* Each tick: OOMs whose notice was missed, and cgroups given back to the
 * kernel for one OOM taken back. */
void oom_holds_tick(struct oom *o, long long now);
/* Does mmp decide DIR's OOMs? */
bool oom_domain_held(struct oom *o, const char *dir);
/* Gives every held cgroup's OOMs back to the kernel. */
void oom_holds_release(struct oom *o);

/* oom_window.c */
/* Sets DIR's memory.high (a v2 memory cgroup, at USAGE now, whose reclaim
 * point before mmp is BEFORE) to THRESHOLD, where it is higher, for
 * POLICY's kill rule; a cgroup's window is the lowest threshold asked
 * for. Returns what trigger_set_window's hook does. */
long long oom_window_open(struct oom *o, unsigned policy, const char *dir, long long threshold, long long usage,
			  long long before);
/* Is the memory cgroup DIR in (or below) one whose memory.high mmp set
 * for POLICY's kill rule? */
bool oom_in_window(const struct oom *o, unsigned policy, const char *dir);
/* Puts back every memory.high it set, where it still holds mmp's value. */
void oom_windows_release(struct oom *o);

#endif
