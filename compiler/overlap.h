/* overlap.h - can a selector match anything, can two match the same thing?
 *
 * Region selectors and process matchers are boolean formulas over atoms
 * (anon, file "glob", range A .. B, size >= X; comm "x", pid N, ...). These
 * functions decide, conservatively, whether a formula is satisfiable: they
 * answer "no" only when it is proven (two different literal names, disjoint
 * ranges, an empty size interval), so every warning built on them is real.
 */
#ifndef MMP_OVERLAP_H
#define MMP_OVERLAP_H

#include <stdbool.h>

#include "ast.h"

/* Scratch memory reused across calls: one per checker. */
struct formula_pool;
struct formula_pool *formula_pool_new(void);
void formula_pool_free(struct formula_pool *p);

/* False only if no memory region (or process) can satisfy E. */
bool formula_satisfiable(struct formula_pool *p, const struct mmp_node *e);
/* False only if nothing can satisfy both A and B. */
bool formulas_may_overlap(struct formula_pool *p, const struct mmp_node *a, const struct mmp_node *b);

/* True only if everything that satisfies B satisfies A (B and not A is
 * proven unsatisfiable). */
bool formula_covers(struct formula_pool *p, const struct mmp_node *a, const struct mmp_node *b);

/* The atom kinds a formula tests, as a bit mask of 1 << N_x. */
unsigned formula_kinds(const struct mmp_node *e);

/* A cheap summary of a selector for pairing many regions without comparing
 * every pair: the fixed beginning of its one path or mapping name (every
 * name it selects starts with it), or its one address range. */
struct formula_anchor {
	const char *prefix;      /* the pattern; its first LEN bytes are fixed; or NULL */
	size_t len;
	int64_t start, end;      /* an address range when end > start */
};
void formula_anchor(const struct mmp_node *e, struct formula_anchor *out);

#endif
