/* expr.h - evaluating a lowered calculation in the runtime, over
 * statistics a caller provides (oom scores over a process's figures,
 * evict scores over a region's or a file's). */
#ifndef MMP_EXPR_H
#define MMP_EXPR_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler/plan.h"

/* The value of statistic ID (its rate per second if RATE), in the
 * language's base units: bytes, milliseconds, counts. */
typedef int64_t (*stat_fn)(void *ctx, enum stat_id id, bool rate);

/* Arithmetic in the language's integer semantics: wrapping, division
 * truncating, by zero giving 0. */
int64_t calc_eval(const struct mmp_calc *c, stat_fn stat, void *ctx);

#endif
