/* mounts.h - the file systems the runtime needs (bpffs for its pins,
 * tracefs for tracepoints), mounted if they are not, and unmounted again
 * when it exits. */
#ifndef MMP_MOUNTS_H
#define MMP_MOUNTS_H

#include <stdbool.h>

struct mounts {
	bool bpffs, tracefs;   /* mounted by this runtime: to undo */
};

/* Returns 0, or -errno after an error message. */
int mounts_ensure(struct mounts *m);
/* Unmounts what mounts_ensure mounted. */
void mounts_undo(struct mounts *m);

#endif
