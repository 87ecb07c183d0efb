/* expr.c - a checked score expression, evaluated. */
#include "expr.h"

int64_t expr_eval(const struct mmp_node *e, stat_fn stat, void *ctx)
{
	switch (e->kind) {
	case N_NUMBER:
		return (int64_t)e->u.num.value;
	case N_NAME:
		return e->u.name.stat ? stat(ctx, e->u.name.stat->id, false) : 0;
	case N_ANON:
		return stat(ctx, STAT_T_ANON, false);
	case N_FILE:
		return stat(ctx, STAT_T_FILE, false);
	case N_RATE:
		if (e->u.un.operand->kind == N_NAME && e->u.un.operand->u.name.stat)
			return stat(ctx, e->u.un.operand->u.name.stat->id, true);
		return expr_eval(e->u.un.operand, stat, ctx);   /* 64/s is 64 a second */
	case N_UNARY:
		return e->u.un.op == OP_NEG ? (int64_t)(0 - (uint64_t)expr_eval(e->u.un.operand, stat, ctx)) :
					      !expr_eval(e->u.un.operand, stat, ctx);
	case N_BINARY: {
		int64_t a = expr_eval(e->u.bin.lhs, stat, ctx), b = expr_eval(e->u.bin.rhs, stat, ctx);
		switch (e->u.bin.op) {
		case OP_ADD: return (int64_t)((uint64_t)a + (uint64_t)b);
		case OP_SUB: return (int64_t)((uint64_t)a - (uint64_t)b);
		case OP_MUL: return (int64_t)((uint64_t)a * (uint64_t)b);
		case OP_DIV: return b == 0 || (a == INT64_MIN && b == -1) ? 0 : a / b;
		case OP_LT: return a < b;
		case OP_LE: return a <= b;
		case OP_GT: return a > b;
		case OP_GE: return a >= b;
		case OP_EQ: return a == b;
		case OP_NE: return a != b;
		case OP_AND: return a && b;
		case OP_OR: return a || b;
		default: return 0;
		}
	}
	default:
		return 0;
	}
}
