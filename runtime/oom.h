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

#include "kind.h"

/* Every oom_score_adj it wrote is put back by its undo. */
extern const struct kind oom_kind;

#endif
