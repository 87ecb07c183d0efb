/* trigger.h - when a trigger ('kill ... when', 'evict when') holds.
 *
 * A trigger is comparisons of memory pressure (PSI) or memory-cgroup usage
 * against a percentage, each optionally held 'for' a duration, combined
 * with and/or. Pressure is watched with PSI triggers (an fd that polls
 * with EPOLLPRI) and a read of the pressure file once a second (a
 * cgroup's PSI trigger was seen to stay silent under heavy pressure on
 * this kernel), so an idle system costs next to nothing; once one fires, the
 * pressure file is sampled each tick until the pressure is gone, so that a
 * short spike does not count as sustained pressure. Usage is read each
 * tick; cgroup v1 also signals a crossing through an eventfd
 * (cgroup.event_control), cgroup v2 a change of memory.events, either of
 * which wakes the runtime before the next tick.
 */
#ifndef MMP_TRIGGER_H
#define MMP_TRIGGER_H

#include <stdbool.h>
#include <stddef.h>

#include "compiler/plan.h"

struct trigger;

/* Builds the watchers of RULE. WHAT names it in messages ("policy 'p':
 * kill"). NULL after an error message. */
struct trigger *trigger_new(const struct mmp_trigger *rule, const char *what);
void trigger_free(struct trigger *t);

/* When a 'usage' comparison without 'for' watches a cgroup v2 memory
 * cgroup DIR with a limit, where it holds from THRESHOLD bytes (USAGE and
 * LIMIT as just read, by memcg_reclaim_point): the owner may set
 * memory.high there (see memcg_own_high: the percentage stays of the
 * limit from before). Returns the memory.high set (> 0), 0 for not now
 * (it is asked again at the next reading), or -1 for never. */
typedef long long (*trigger_window_fn)(void *ctx, const char *dir, long long threshold, long long usage,
				       long long limit);
void trigger_set_window(struct trigger *t, trigger_window_fn fn, void *ctx);

/* Adds the trigger's PSI descriptors to EPFD (data.fd is the descriptor). */
int trigger_watch(struct trigger *t, int epfd);
/* Consumes an event on FD if it is the trigger's; says whether it was. */
bool trigger_on_fd(struct trigger *t, int fd, long long now_ns);

/* Each tick: sample what is active. CGROUPS are the memory cgroup
 * directories of the governed processes, for 'usage' without 'of cgroup'. */
void trigger_tick(struct trigger *t, long long now_ns, const char *const *cgroups, size_t ncgroups);

/* Does the trigger hold now? If so and SCOPE is not NULL, *SCOPE gets the
 * cgroup directories the holding comparisons name (NULL-terminated, owned
 * by the trigger; empty when the whole system is meant). */
bool trigger_holds(struct trigger *t, long long now_ns, const char *const **scope);
/* What evicting needs to free, in bytes, to bring the most loaded cgroup
 * where a 'usage' comparison holds back under its threshold, and half
 * of the room between threshold and limit below it: a reader that fills
 * memory fast would otherwise cross again at once, as the kernel's own
 * watermarks keep a gap for. -1 when the trigger has no 'usage'
 * comparison (pressure says no amount). */
long long trigger_excess(const struct trigger *t);
/* What is left below the limit of the most loaded cgroup where a 'usage'
 * comparison holds, in bytes; -1 when none holds (or the trigger has no
 * 'usage' comparison). */
long long trigger_headroom(const struct trigger *t);
/* After acting: forget what was seen, so that only new pressure counts. */
void trigger_reset(struct trigger *t);
/* A description of the trigger for log lines, e.g. "pressure some > 10% for 2s". */
const char *trigger_text(const struct trigger *t);

#endif
