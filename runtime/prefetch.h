/* prefetch.h - the prefetch rules: predictions from BPF turned into
 * process_madvise(WILLNEED), merged into ranges, batched per process,
 * de-duplicated against what was just requested (pf_ranges.c). The
 * detectors and the rate limit are in BPF: bpf/mmp_prefetch.bpf.h. */
#ifndef MMP_PREFETCH_H
#define MMP_PREFETCH_H

#include "kind.h"

extern const struct kind prefetch_kind;

#endif
