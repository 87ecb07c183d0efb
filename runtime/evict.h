/* evict.h - the 'evict' blocks: while a block's trigger holds, act on its
 * lowest-scored units first, within the block's rate.
 *
 * A unit is a file of a file region (each file scored on its own, from the
 * page-cache figures BPF keeps in mmp_files) or a governed process's
 * non-file part of a region (from the region's statistics). Actions: cold
 * and pageout with process_madvise on the unit's mappings; drop with
 * posix_fadvise(DONTNEED) on the file. 'protect top' keeps the highest
 * scores out of the block's own actions.
 */
#ifndef MMP_EVICT_H
#define MMP_EVICT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "bpf/mmp_shared.h"
#include "object.h"

struct evictor;

/* What the evictor needs of a governed process, each tick. */
struct evict_proc {
	pid_t pid;
	int pidfd;
	unsigned policy;
	const struct mmp_range *ranges;   /* sorted, with region ids */
	size_t nranges;
	/* Statistics of each region of its policy, by region id minus the
	 * policy's first region. */
	const struct mmp_region_stats *const *stats;
};

/* NULL with *err 0 when no policy has an evict block; NULL with *err < 0
 * after an error message. FILES_FD is the BPF map mmp_files; REPORTS are
 * the runtime's per-region reports, where actions are counted. */
struct evictor *evict_new(const struct mmp_object *obj, bool dry_run, int files_fd, struct mmp_region_report *reports,
			  int *err);
int evict_watch(struct evictor *e, int epfd);
bool evict_on_fd(struct evictor *e, int fd);
/* Each tick, with the governed processes. */
void evict_tick(struct evictor *e, const struct evict_proc *procs, size_t n);
void evict_free(struct evictor *e);

#endif
