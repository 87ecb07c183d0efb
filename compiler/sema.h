/* sema.h - the semantic pass: names, units, value ranges, rules that
 * conflict or can never fire, and regions that overlap ambiguously. */
#ifndef MMP_SEMA_H
#define MMP_SEMA_H

#include "arena.h"
#include "ast.h"
#include "diag.h"

/* The page sizes a profile may name, smallest first. */
extern const int64_t sema_page_sizes[];
extern const unsigned sema_n_page_sizes;

/* Checks AST, annotating it (region references, statistics, folded
 * constants) for code generation. Returns 0, or -EINVAL after errors. */
int sema_check(struct mmp_diag *d, struct mmp_arena *a, struct mmp_ast *ast);

#endif
