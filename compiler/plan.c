/* plan.c - numbering policies and regions, in source order. */
#include "plan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
	return fnv(h, s, strlen(s) + 1);
}

int plan_build(struct mmp_plan *plan, const struct mmp_ast *ast)
{
	memset(plan, 0, sizeof(*plan));
	unsigned np = 0, nr = 0;
	for (const struct mmp_node *p = ast->policies; p; p = p->next, np++)
		for (const struct mmp_node *it = p->u.stmt.body; it; it = it->next)
			nr += it->kind == N_REGION;
	plan->policies = calloc(np ? np : 1, sizeof(*plan->policies));
	plan->regions = calloc(nr ? nr : 1, sizeof(*plan->regions));
	if (!plan->policies || !plan->regions) {
		plan_free(plan);
		return -ENOMEM;
	}
	uint64_t h = 1469598103934665603ULL;
	for (struct mmp_node *p = ast->policies; p; p = p->next) {
		struct mmp_plan_policy *pp = &plan->policies[plan->npolicies];
		pp->id = plan->npolicies++;
		pp->name = p->u.stmt.name->u.name.id;
		pp->node = p;
		pp->first_region = plan->nregions;
		h = fnv_str(h, pp->name);
		for (struct mmp_node *it = p->u.stmt.body; it; it = it->next) {
			if (it->kind == N_MATCH && !pp->match)
				pp->match = it->u.stmt.expr;
			else if (it->kind == N_OOM && !pp->oom)
				pp->oom = it;
			else if (it->kind == N_REGION) {
				struct mmp_plan_region *r = &plan->regions[plan->nregions];
				r->id = plan->nregions++;
				r->policy = pp->id;
				r->name = it->u.stmt.name->u.name.id;
				r->decl = it;
				it->u.stmt.id = r->id;
				h = fnv_str(h, r->name);
			}
		}
		pp->nregions = plan->nregions - pp->first_region;
		/* Rules, resolved by the checker to their regions' declarations. */
		for (struct mmp_node *it = p->u.stmt.body; it; it = it->next) {
			if (it->kind != N_PAGESIZE && it->kind != N_PREFETCH)
				continue;
			for (struct mmp_node *t = it->u.stmt.targets; t; t = t->next) {
				struct mmp_plan_region *r = (struct mmp_plan_region *)plan_region_of(plan, t->u.name.decl);
				if (!r)
					continue;
				if (it->kind == N_PAGESIZE && !r->pagesize)
					r->pagesize = it;
				else if (it->kind == N_PREFETCH && !r->prefetch)
					r->prefetch = it;
			}
		}
		for (unsigned i = pp->first_region; i < plan->nregions; i++) {
			unsigned char bits = (plan->regions[i].pagesize ? 1 : 0) | (plan->regions[i].prefetch ? 2 : 0);
			h = fnv(h, &bits, 1);
		}
	}
	plan->layout_hash = h;
	return 0;
}

const struct mmp_plan_region *plan_region_of(const struct mmp_plan *plan, const struct mmp_node *decl)
{
	if (!decl || decl->kind != N_REGION || decl->u.stmt.id >= plan->nregions ||
	    plan->regions[decl->u.stmt.id].decl != decl)
		return NULL;
	return &plan->regions[decl->u.stmt.id];
}

void plan_free(struct mmp_plan *plan)
{
	free(plan->policies);
	free(plan->regions);
	memset(plan, 0, sizeof(*plan));
}
