/* pagesize.h - which page size each region gets, on this kernel. */
#ifndef MMP_PAGESIZE_H
#define MMP_PAGESIZE_H

#include <stdbool.h>
#include <stdint.h>

#include "bpf/mmp_shared.h"
#include "compiler/plan.h"
#include "governed.h"

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

/* The actuator of the 2M rules. */
struct collapser {
	const struct mmp_plan *plan;
	const struct pagesize_choice *choice;   /* a region's size */
	struct governed_set *gov;
	struct mmp_region_report *reports;      /* hot chunks, collapses and failures counted here */
	int64_t rate;                           /* bytes a second collapsed at most */
	bool dry_run;
	double budget;                          /* bytes that may be collapsed now */
};

/* Each tick, DT seconds after the last: collapses the hottest settled
 * chunks of the regions whose rule holds, as far as the rate allows. */
void pagesize_collapse_tick(struct collapser *cl, double dt);

#endif
