/* evict.h - the 'evict' blocks: while a block's trigger holds, act on its
 * lowest-scored units first, within the block's rate.
 *
 * A unit is a file of a file region (each file scored on its own, from the
 * page-cache figures BPF keeps in mmp_files: every file a governed process
 * read or faulted on, open or closed since) or a governed process's
 * non-file part of a region (from the region's statistics). Actions: cold
 * and pageout with process_madvise on the unit's mappings; drop with
 * posix_fadvise(DONTNEED) on the file. 'protect top' keeps the highest
 * scores out of the block's own actions.
 */
#ifndef MMP_EVICT_H
#define MMP_EVICT_H

#include "kind.h"

extern const struct kind evict_kind;

#endif
