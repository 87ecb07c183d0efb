/* types.h - checking expressions: units, rates, constants, and the forms
 * each place of a policy accepts.
 *
 * One expression grammar serves five places; this pass decides what each
 * allows (a 'comm' matcher in a region selector is an error that names the
 * place) and computes every expression's unit, folding constants as it goes.
 */
#ifndef MMP_TYPES_H
#define MMP_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "ast.h"
#include "diag.h"

enum expr_place {
	PLACE_VALUE,     /* a constant: page size, benefit, setting, limit */
	PLACE_REGION,    /* over region statistics: pagesize/prefetch 'when', evict 'score' */
	PLACE_TASK,      /* over task statistics: oom 'score' */
	PLACE_SELECTOR,  /* which memory a region is: 'region NAME = ...' */
	PLACE_MATCHER,   /* which processes: 'match', 'protect', 'prefer', 'avoid' */
	PLACE_TRIGGER,   /* when to act: 'evict when', 'kill ... when' */
};

enum type_kind { T_ERROR, T_NUM, T_BOOL };

struct mmp_type {
	enum type_kind kind;
	enum mmp_unit unit;
	bool rate;       /* per second */
	bool counter;    /* a bare counter statistic, whose rate '/s' can take */
	bool source;     /* a trigger's pressure or usage, to be compared */
	bool is_const;
	int64_t value;   /* when is_const; booleans are 0 or 1 */
};

/* Checks E in PLACE, reporting every problem; T_ERROR after an error. */
struct mmp_type expr_check(struct mmp_diag *d, struct mmp_arena *a, struct mmp_node *e, enum expr_place place);

/* Checks E as a condition (a boolean) in PLACE and warns when it can never
 * hold or always holds. Returns false after an error. */
bool expr_check_cond(struct mmp_diag *d, struct mmp_arena *a, struct mmp_node *e, enum expr_place place,
		     const char *what);

/* Checks E as a constant of one of the units in UNITS (a bit mask of
 * 1 << UNIT_x), rates allowed or not. WHAT names it in messages. */
bool expr_const(struct mmp_diag *d, struct mmp_arena *a, struct mmp_node *e, unsigned units, bool rate,
		const char *what, int64_t *out);

const char *place_name(enum expr_place place);

#endif
