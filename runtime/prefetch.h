/* prefetch.h - predictions from BPF turned into process_madvise(WILLNEED):
 * merged into ranges, batched per process, de-duplicated against what was
 * just requested. (The detectors and the rate limit are in BPF:
 * bpf/mmp_prefetch.bpf.h.) */
#ifndef MMP_PREFETCH_H
#define MMP_PREFETCH_H

#include <stdbool.h>
#include <sys/types.h>

#include "bpf/mmp_shared.h"
#include "object.h"

struct prefetcher;

/* REPORTS: the runtime's per-region reports, where requests are counted. */
struct prefetcher *prefetch_new(const struct mmp_object *obj, bool dry_run, struct mmp_region_report *reports);
/* Queues a prediction for the process behind PIDFD. */
void prefetch_add(struct prefetcher *p, const struct mmp_pf_event *e, int pidfd);
/* Issues what is queued: one call a process, ranges merged. */
void prefetch_flush(struct prefetcher *p);
void prefetch_forget(struct prefetcher *p, pid_t pid);
void prefetch_free(struct prefetcher *p);

#endif
