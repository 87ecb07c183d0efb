/* kinds.c - the table of policy kinds the runtime drives (kind.h). The
 * order is the order of set-up; clean-up runs it backwards, so the oom
 * rules, last here, put back oom_score_adj before anything else stops. */
#include "kind.h"

#include "evict.h"
#include "oom.h"
#include "pagesize.h"
#include "prefetch.h"

const struct kind *const mmp_kinds[] = { &pagesize_kind, &prefetch_kind, &evict_kind, &oom_kind };
const size_t mmp_nkinds = sizeof(mmp_kinds) / sizeof(mmp_kinds[0]);
