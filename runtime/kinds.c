/* kinds.c - the table of policy kinds the runtime drives (kind.h). The
 * order is the order of set-up and of each tick (the oom rules act before
 * the evict blocks page anything out); clean-up runs it backwards. */
#include "kind.h"

#include "evict.h"
#include "oom.h"
#include "pagesize.h"
#include "prefetch.h"

const struct kind *const mmp_kinds[] = { &pagesize_kind, &prefetch_kind, &oom_kind, &evict_kind };
const size_t mmp_nkinds = sizeof(mmp_kinds) / sizeof(mmp_kinds[0]);
