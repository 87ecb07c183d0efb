/* pagesize.h - which page size each region gets, on this kernel. */
#ifndef MMP_PAGESIZE_H
#define MMP_PAGESIZE_H

#include <stdbool.h>
#include <stdint.h>

#include "bpf/mmp_shared.h"
#include "compiler/plan.h"

struct pagesize_choice {
	int64_t size;        /* 4K: leave the region as it is; 2M: collapse hot chunks */
	int64_t benefit;
	int64_t best;        /* the size the profile values most */
	int64_t best_benefit;
};

/* For each region with a page-size rule, the size with the highest benefit
 * that the kernel can give it from outside the process, and a line saying
 * what will be used (and what cannot be, and why). */
void pagesize_choose(const struct mmp_plan *plan, struct pagesize_choice *out, bool report);
/* Can this kernel collapse another process's memory into 2M pages? */
bool pagesize_can_collapse(void);

/* The page-size rules' actuator: hot 2M chunks of the regions whose rule
 * holds, collapsed with process_madvise(MADV_COLLAPSE) within the rate. */
struct kind;
extern const struct kind pagesize_kind;

#endif
