/* plan.h - the checked policies laid out with stable ids.
 *
 * The code generator and the runtime both build the plan from the same
 * checked tree (the runtime from the source embedded in the object), so a
 * region id means the same region on both sides; the layout hash, stored in
 * the object, proves it.
 */
#ifndef MMP_PLAN_H
#define MMP_PLAN_H

#include <stdint.h>

#include "ast.h"

struct mmp_plan_region {
	unsigned id;                 /* global, across the file's policies */
	unsigned policy;
	const char *name;
	struct mmp_node *decl;       /* N_REGION */
	struct mmp_node *pagesize;   /* N_PAGESIZE naming it, or NULL */
	struct mmp_node *prefetch;   /* N_PREFETCH naming it, or NULL */
};

struct mmp_plan_policy {
	unsigned id;
	const char *name;
	struct mmp_node *node;       /* N_POLICY */
	struct mmp_node *match;      /* the matcher expression */
	struct mmp_node *oom;        /* N_OOM or NULL */
	unsigned first_region, nregions;
};

struct mmp_plan {
	struct mmp_plan_policy *policies;
	unsigned npolicies;
	struct mmp_plan_region *regions;
	unsigned nregions;
	uint64_t layout_hash;
};

/* From a tree that passed the checks. Returns 0 or -ENOMEM. */
int plan_build(struct mmp_plan *plan, const struct mmp_ast *ast);
void plan_free(struct mmp_plan *plan);
/* The plan region of DECL (an N_REGION), or NULL. */
const struct mmp_plan_region *plan_region_of(const struct mmp_plan *plan, const struct mmp_node *decl);

#endif
