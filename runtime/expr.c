/* expr.c - a lowered calculation, evaluated. */
#include "expr.h"

int64_t calc_eval(const struct mmp_calc *c, stat_fn stat, void *ctx)
{
	if (c->op == CALC_CONST)
		return c->value;
	if (c->op == CALC_STAT)
		return stat(ctx, c->stat, c->rate);
	int64_t a = calc_eval(c->l, stat, ctx);
	if (c->op == CALC_NEG)
		return (int64_t)(0 - (uint64_t)a);
	if (c->op == CALC_NOT)
		return !a;
	int64_t b = calc_eval(c->r, stat, ctx);
	switch (c->op) {
	case CALC_ADD: return (int64_t)((uint64_t)a + (uint64_t)b);
	case CALC_SUB: return (int64_t)((uint64_t)a - (uint64_t)b);
	case CALC_MUL: return (int64_t)((uint64_t)a * (uint64_t)b);
	case CALC_DIV: return b == 0 || (a == INT64_MIN && b == -1) ? 0 : a / b;
	case CALC_LT: return a < b;
	case CALC_LE: return a <= b;
	case CALC_GT: return a > b;
	case CALC_GE: return a >= b;
	case CALC_EQ: return a == b;
	case CALC_NE: return a != b;
	case CALC_AND: return a && b;
	case CALC_OR: return a || b;
	default: return 0;
	}
}
