/* types.c - the checker for expressions (see types.h). */
#include "types.h"

#include <stdio.h>
#include <string.h>

#include "bpf/mmp_shared.h"   /* MMP_PAGE_SIZE */
#include "pattern.h"
#include "stats.h"

struct tc {
	struct mmp_diag *d;
	struct mmp_arena *arena;
};

static const struct mmp_type T_ERR = { .kind = T_ERROR };

static struct mmp_type check(struct tc *c, struct mmp_node *e, enum expr_place place);
static bool check_const(struct tc *c, struct mmp_node *e, unsigned units, bool rate, const char *what,
			int64_t *out);

const char *place_name(enum expr_place place)
{
	switch (place) {
	case PLACE_VALUE: return "a constant";
	case PLACE_REGION: return "a region rule";
	case PLACE_TASK: return "an oom score";
	case PLACE_SELECTOR: return "a region selector";
	case PLACE_MATCHER: return "a process matcher";
	case PLACE_TRIGGER: return "a trigger";
	}
	return "?";
}

static struct mmp_type num(enum mmp_unit unit)
{
	return (struct mmp_type){ .kind = T_NUM, .unit = unit };
}

static struct mmp_type boolean(void)
{
	return (struct mmp_type){ .kind = T_BOOL };
}

static struct mmp_type constant(enum type_kind kind, enum mmp_unit unit, bool rate, int64_t v)
{
	return (struct mmp_type){ .kind = kind, .unit = unit, .rate = rate, .is_const = true, .value = v };
}

/* "a size", "a rate of sizes", "a count" for messages. */
static const char *type_text(struct mmp_type t)
{
	if (t.kind == T_BOOL)
		return "a condition";
	if (t.rate) {
		switch (t.unit) {
		case UNIT_BYTES: return "a rate in bytes per second";
		case UNIT_NONE: return "a rate per second";
		default: return "a rate";
		}
	}
	return unit_name(t.unit);
}

/* A plain 0 fits every unit (swap > 0); 0% or 0s keep theirs. */
static bool is_zero(struct mmp_type t)
{
	return t.is_const && t.value == 0 && !t.rate && t.unit == UNIT_NONE;
}

/* --- places where only some forms belong ------------------------------- */

static struct mmp_type misplaced(struct tc *c, struct mmp_node *e, enum expr_place place)
{
	const char *what = ast_kind_name(e->kind);
	switch (e->kind) {
	case N_FILE: case N_MAPPING: case N_RANGE: case N_ANON:
		diag_error(c->d, e->loc, "'%s' selects memory and cannot be used in %s", what, place_name(place));
		diag_hint(c->d, "memory selectors belong in a region declaration: region NAME = %s ...;", what);
		break;
	case N_COMM: case N_EXE: case N_PID: case N_UID: case N_CGROUP:
		diag_error(c->d, e->loc, "'%s' selects processes and cannot be used in %s", what, place_name(place));
		diag_hint(c->d, "process matchers belong in 'match', 'protect', 'prefer' and 'avoid'");
		break;
	case N_ALL:
		diag_error(c->d, e->loc, "'all' cannot be used in %s", place_name(place));
		diag_hint(c->d, "'all' selects every process in 'match' or every mapping in a region declaration");
		break;
	case N_PRESSURE: case N_USAGE:
		diag_error(c->d, e->loc, "'%s' is a trigger and cannot be used in %s", what, place_name(place));
		diag_hint(c->d, "triggers belong after 'evict when' and 'kill ... when'");
		break;
	case N_STRING:
		diag_error(c->d, e->loc, "a string cannot be used in %s", place_name(place));
		if (place == PLACE_MATCHER)
			diag_hint(c->d, "say what the string is: comm \"name\", exe \"/path/*\" or cgroup \"/path\"");
		else if (place == PLACE_SELECTOR)
			diag_hint(c->d, "say what the string is: file \"/path/*\" or mapping \"[heap]\"");
		break;
	default:
		diag_error(c->d, e->loc, "%s cannot be used in %s", what, place_name(place));
		break;
	}
	return T_ERR;
}

static struct mmp_type check_name(struct tc *c, struct mmp_node *e, enum expr_place place)
{
	const char *id = e->u.name.id;
	char list[256];
	if (place == PLACE_REGION || place == PLACE_TASK || place == PLACE_SELECTOR) {
		enum stat_scope scope = place == PLACE_TASK ? SCOPE_TASK : SCOPE_REGION;
		const struct mmp_stat *st = stat_lookup(id, scope);
		if (st && place == PLACE_SELECTOR && !st->fixed) {
			diag_error(c->d, e->loc, "'%s' changes while the process runs, so it cannot select a region", id);
			diag_hint(c->d, "a region selector can test 'size'; test '%s' in a rule's 'when' instead", id);
			return T_ERR;
		}
		if (st) {
			e->u.name.stat = st;
			struct mmp_type t = num(st->unit);
			t.counter = st->counter;
			return t;
		}
		stat_list(scope, list, sizeof(list));
		enum stat_scope other = scope == SCOPE_TASK ? SCOPE_REGION : SCOPE_TASK;
		if (stat_lookup(id, other)) {
			diag_error(c->d, e->loc, "'%s' is a statistic of a %s, not of a %s", id,
				   other == SCOPE_TASK ? "process" : "region",
				   scope == SCOPE_TASK ? "process" : "region");
			diag_hint(c->d, "%s can use: %s", place_name(place), list);
			return T_ERR;
		}
		const char *near = stat_suggest(id, scope);
		if (near)
			diag_error(c->d, e->loc, "unknown statistic '%s'; did you mean '%s'?", id, near);
		else
			diag_error(c->d, e->loc, "unknown statistic '%s'", id);
		diag_hint(c->d, "%s can use: %s", place_name(place), list);
		return T_ERR;
	}
	switch (place) {
	case PLACE_VALUE:
		diag_error(c->d, e->loc, "'%s' is not a constant", id);
		if (strcmp(id, "sec") == 0 || strcmp(id, "second") == 0)
			diag_hint(c->d, "a rate per second is written with '/s', as in 64M/s");
		else
			diag_hint(c->d, "write a number with its unit, such as 16, 64K or 5s");
		break;
	case PLACE_MATCHER:
		diag_error(c->d, e->loc, "'%s' is not a process matcher", id);
		diag_hint(c->d, "match processes with comm \"name\", exe \"/path\", pid N, uid N, cgroup \"/path\" or all");
		break;
	default:
		diag_error(c->d, e->loc, "'%s' is not a trigger", id);
		diag_hint(c->d, "a trigger compares 'pressure some', 'pressure full' or 'usage' with a percentage");
		break;
	}
	return T_ERR;
}

/* anon and file alone are task statistics in an oom score, and memory
 * selectors in a region declaration. */
static struct mmp_type check_anon_file(struct tc *c, struct mmp_node *e, enum expr_place place)
{
	if (place == PLACE_SELECTOR)
		return boolean();
	if (place == PLACE_TASK && !(e->kind == N_FILE && e->u.str.s)) {
		const struct mmp_stat *st = stat_lookup(e->kind == N_ANON ? "anon" : "file", SCOPE_TASK);
		return num(st->unit);
	}
	return misplaced(c, e, place);
}

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static struct mmp_type check_range(struct tc *c, struct mmp_node *e)
{
	int64_t lo, hi;
	bool ok = check_const(c, e->u.range.lo, 1u << UNIT_NONE, false, "a range start", &lo);
	if (e->u.range.relative)
		ok &= check_const(c, e->u.range.hi, 1u << UNIT_BYTES | 1u << UNIT_NONE, false, "a range size", &hi);
	else
		ok &= check_const(c, e->u.range.hi, 1u << UNIT_NONE, false, "a range end", &hi);
	if (!ok)
		return T_ERR;
	if (e->u.range.relative) {
		if (hi <= 0) {
			diag_error(c->d, e->u.range.hi->loc, "a range size must be positive");
			return T_ERR;
		}
		if (__builtin_add_overflow(lo, hi, &hi)) {
			diag_error(c->d, e->loc, "range end is past the end of the address space");
			return T_ERR;
		}
	}
	if (lo < 0 || hi <= lo) {
		diag_error(c->d, e->loc, "empty address range: the end must be above the start");
		return T_ERR;
	}
	if (lo % MMP_PAGE_SIZE || hi % MMP_PAGE_SIZE) {
		struct mmp_node *bad = lo % MMP_PAGE_SIZE ? e->u.range.lo : e->u.range.hi;
		diag_error(c->d, bad->loc, "range bounds must be multiples of the 4K page size");
		return T_ERR;
	}
	e->u.range.start = lo;
	e->u.range.end = hi;
	return boolean();
}

static struct mmp_type check_matcher_atom(struct tc *c, struct mmp_node *e)
{
	switch (e->kind) {
	case N_COMM:
		/* The kernel keeps 15 bytes of a process name (TASK_COMM_LEN). */
		if (pattern_prefix_len(e->u.str.s, PATTERN_GLOB) > 15) {
			diag_warning(c->d, e->loc, "process names are at most 15 characters; 'comm \"%s\"' can never match",
				     e->u.str.s);
			diag_hint(c->d, "the kernel shows it as \"%.15s\"; match on that or use exe \"/path/*\"", e->u.str.s);
		} else if (e->u.str.len == 0) {
			diag_error(c->d, e->loc, "an empty process name matches nothing");
			return T_ERR;
		}
		break;
	case N_EXE:
		if (e->u.str.s[0] != '/' && e->u.str.s[0] != '*') {
			diag_error(c->d, e->loc, "an executable path must be absolute: \"%s\"", e->u.str.s);
			return T_ERR;
		}
		break;
	case N_CGROUP:
		if (e->u.str.s[0] != '/') {
			diag_error(c->d, e->loc, "a cgroup path must be absolute: \"%s\"", e->u.str.s);
			diag_hint(c->d, "write it as mounted, /sys/fs/cgroup/..., or from the hierarchy's root, /name");
			return T_ERR;
		}
		break;
	case N_PID: {
		struct mmp_node *n = e->u.un.operand;
		if (n->u.num.unit != UNIT_NONE || n->u.num.value == 0 || n->u.num.value > 4194304) {
			diag_error(c->d, n->loc, "a pid is a number from 1 to 4194304");
			return T_ERR;
		}
		break;
	}
	case N_UID: {
		struct mmp_node *n = e->u.un.operand;
		if (n->kind == N_NUMBER && (n->u.num.unit != UNIT_NONE || n->u.num.value > 4294967294u)) {
			diag_error(c->d, n->loc, "a uid is a number from 0 to 4294967294");
			return T_ERR;
		}
		if (n->kind == N_STRING && n->u.str.len == 0) {
			diag_error(c->d, n->loc, "an empty user name matches nobody");
			return T_ERR;
		}
		break;
	}
	default:
		break;
	}
	return boolean();
}

static struct mmp_type check_trigger_source(struct tc *c, struct mmp_node *e)
{
	if (e->kind == N_PRESSURE) {
		const char *k = e->u.psi.kind->u.name.id;
		if (strcmp(k, "some") != 0 && strcmp(k, "full") != 0) {
			diag_error(c->d, e->u.psi.kind->loc, "unknown pressure '%s'; expected 'some' or 'full'", k);
			diag_hint(c->d, "'some': at least one task stalled on memory; 'full': all of them");
			return T_ERR;
		}
	}
	if (e->u.psi.cgroup && e->u.psi.cgroup->u.str.s[0] != '/') {
		diag_error(c->d, e->u.psi.cgroup->loc, "a cgroup path must be absolute: \"%s\"", e->u.psi.cgroup->u.str.s);
		diag_hint(c->d, "write it as mounted, /sys/fs/cgroup/..., or from the hierarchy's root, /name");
		return T_ERR;
	}
	struct mmp_type t = num(UNIT_PERCENT);
	t.source = true;
	return t;
}

/* --- arithmetic --------------------------------------------------------- */

static struct mmp_type check_arith(struct tc *c, struct mmp_node *e, struct mmp_type l, struct mmp_type r)
{
	enum mmp_op op = e->u.bin.op;
	if (l.kind != T_NUM || r.kind != T_NUM) {
		struct mmp_node *bad = l.kind == T_BOOL ? e->u.bin.lhs : e->u.bin.rhs;
		diag_error(c->d, bad->loc, "'%s' needs numbers on both sides, not a condition", ast_op_name(op));
		return T_ERR;
	}
	if (l.source || r.source) {
		diag_error(c->d, (l.source ? e->u.bin.lhs : e->u.bin.rhs)->loc,
			   "a pressure or usage can only be compared with a threshold");
		return T_ERR;
	}
	struct mmp_type t = num(UNIT_NONE);
	switch (op) {
	case OP_ADD: case OP_SUB:
		if (l.unit != r.unit && !is_zero(l) && !is_zero(r)) {
			if (op == OP_ADD)
				diag_error(c->d, e->loc, "cannot add %s and %s", type_text(l), type_text(r));
			else
				diag_error(c->d, e->loc, "cannot subtract %s from %s", type_text(r), type_text(l));
			if (l.unit == UNIT_NONE || r.unit == UNIT_NONE)
				diag_hint(c->d, "divide by a unit to get a plain number, as in 'idle / 1s' or 'rss / 1M'");
			return T_ERR;
		}
		if (l.rate != r.rate && !is_zero(l) && !is_zero(r)) {
			if (op == OP_ADD)
				diag_error(c->d, e->loc, "cannot add %s and %s", type_text(l), type_text(r));
			else
				diag_error(c->d, e->loc, "cannot subtract %s from %s", type_text(r), type_text(l));
			return T_ERR;
		}
		t.unit = is_zero(l) ? r.unit : l.unit;
		t.rate = l.rate || r.rate;
		break;
	case OP_MUL:
		if (l.unit != UNIT_NONE && r.unit != UNIT_NONE) {
			diag_error(c->d, e->loc, "cannot multiply %s by %s", type_text(l), type_text(r));
			diag_hint(c->d, "one side of '*' must be a plain number");
			return T_ERR;
		}
		if (l.rate && r.rate) {
			diag_error(c->d, e->loc, "cannot multiply two rates");
			return T_ERR;
		}
		t.unit = l.unit != UNIT_NONE ? l.unit : r.unit;
		t.rate = l.rate || r.rate;
		break;
	case OP_DIV:
		if (r.is_const && r.value == 0) {
			diag_error(c->d, e->u.bin.rhs->loc, "division by zero");
			return T_ERR;
		}
		if (r.unit == UNIT_NONE && !r.rate) {
			t.unit = l.unit;
			t.rate = l.rate;
		} else if (r.unit == l.unit && r.rate == l.rate) {
			t.unit = UNIT_NONE;
		} else {
			diag_error(c->d, e->loc, "cannot divide %s by %s", type_text(l), type_text(r));
			return T_ERR;
		}
		break;
	default:
		return T_ERR;
	}
	if (l.is_const && r.is_const) {
		int64_t v = 0;
		bool overflow = false;
		switch (op) {
		case OP_ADD: overflow = __builtin_add_overflow(l.value, r.value, &v); break;
		case OP_SUB: overflow = __builtin_sub_overflow(l.value, r.value, &v); break;
		case OP_MUL: overflow = __builtin_mul_overflow(l.value, r.value, &v); break;
		case OP_DIV:
			overflow = l.value == INT64_MIN && r.value == -1;
			v = overflow ? 0 : l.value / r.value;
			break;
		default: break;
		}
		if (overflow) {
			diag_error(c->d, e->loc, "arithmetic overflow in a constant");
			return T_ERR;
		}
		t.is_const = true;
		t.value = v;
	}
	return t;
}

/* Replaces a constant subexpression by its value, so later passes see one
 * number (rates keep their N_RATE wrapper). */
static struct mmp_type fold(struct mmp_node *e, struct mmp_type t)
{
	if (t.kind == T_NUM && t.is_const && !t.rate) {
		e->kind = N_NUMBER;
		e->u.num.value = (uint64_t)t.value;
		e->u.num.unit = t.unit;
	}
	return t;
}

/* Rewrites a bare counter into its rate, so that 'faults >= 64/s' reads as
 * 'faults/s >= 64/s' for every later pass. */
static void to_rate(struct tc *c, struct mmp_node **slot)
{
	struct mmp_node *n = *slot;
	struct mmp_node *r = ast_new(c->arena, N_RATE, n->loc);
	r->u.un.op = OP_DIV;
	r->u.un.operand = n;
	*slot = r;
}

static struct mmp_type check_compare(struct tc *c, struct mmp_node *e, struct mmp_type l,
				     struct mmp_type r, enum expr_place place)
{
	enum mmp_op op = e->u.bin.op;
	if (l.kind == T_ERROR || r.kind == T_ERROR)
		return T_ERR;
	if (l.kind != T_NUM || r.kind != T_NUM) {
		diag_error(c->d, e->loc, "'%s' compares numbers, not conditions", ast_op_name(op));
		return T_ERR;
	}
	if (place == PLACE_MATCHER) {
		diag_error(c->d, e->loc, "a process matcher does not compare values");
		diag_hint(c->d, "match processes with comm \"name\", exe \"/path\", pid N, uid N, cgroup \"/path\" or all");
		return T_ERR;
	}
	if (place == PLACE_SELECTOR && l.is_const && r.is_const) {
		diag_error(c->d, e->loc, "a region selector compares 'size' with a value, not two constants");
		return T_ERR;
	}
	if (place == PLACE_TRIGGER || l.source || r.source) {
		if (!l.source) {
			diag_error(c->d, e->loc, "a trigger compares 'pressure' or 'usage' with a threshold, in that order");
			return T_ERR;
		}
		if (op != OP_GT && op != OP_GE) {
			diag_error(c->d, e->loc, "a trigger fires above a threshold: use '>' or '>='");
			return T_ERR;
		}
		if (!r.is_const || r.unit != UNIT_PERCENT || r.rate) {
			diag_error(c->d, e->u.bin.rhs->loc, "a trigger's threshold must be a constant percentage, such as 10%%");
			return T_ERR;
		}
		if (r.value < 0) {
			diag_error(c->d, e->u.bin.rhs->loc, "a threshold is from 0%% to 100%%, not %lld%%", (long long)r.value);
			return T_ERR;
		}
		if (r.value > 100 || (r.value == 100 && op == OP_GT)) {
			diag_error(c->d, e->u.bin.rhs->loc, "a threshold of %s%lld%% can never be reached",
				   op == OP_GT ? "more than " : "", (long long)r.value);
			diag_hint(c->d, "use '> P%%' with P from 0%% to 99%%, or '>= 100%%'");
			return T_ERR;
		}
		if (r.value == 0 && op == OP_GE) {
			diag_warning(c->d, e->loc, "'>= 0%%' always holds; '> 0%%' fires on any pressure");
		}
		return boolean();
	}
	if (l.unit != r.unit && !is_zero(l) && !is_zero(r)) {
		diag_error(c->d, e->loc, "cannot compare %s with %s", type_text(l), type_text(r));
		if (r.is_const && r.unit == UNIT_NONE && l.unit != UNIT_NONE)
			diag_hint(c->d, "give the number a unit, as in %s",
				  l.unit == UNIT_BYTES ? "64K or 1G" : l.unit == UNIT_MS ? "500ms or 5s" : "10%");
		return T_ERR;
	}
	if (l.rate != r.rate && !is_zero(l) && !is_zero(r)) {
		/* A counter against a rate means the counter's rate. */
		if (l.counter && r.rate) {
			to_rate(c, &e->u.bin.lhs);
		} else if (r.counter && l.rate) {
			to_rate(c, &e->u.bin.rhs);
		} else {
			diag_error(c->d, e->loc, "cannot compare %s with %s", type_text(l), type_text(r));
			if ((l.rate && r.is_const) || (r.rate && l.is_const))
				diag_hint(c->d, "write the threshold as a rate too, as in 64/s");
			else
				diag_hint(c->d, "only counters (faults, major_faults) have a rate per second");
			return T_ERR;
		}
	}
	if (l.is_const && r.is_const) {
		int64_t a = l.value, b = r.value;
		bool v = op == OP_LT ? a < b : op == OP_LE ? a <= b : op == OP_GT ? a > b :
			 op == OP_GE ? a >= b : op == OP_EQ ? a == b : a != b;
		return constant(T_BOOL, UNIT_NONE, false, v);
	}
	return boolean();
}

static struct mmp_type check_logic(struct tc *c, struct mmp_node *e, struct mmp_type l, struct mmp_type r)
{
	if (l.kind == T_ERROR || r.kind == T_ERROR)
		return T_ERR;
	if (l.kind != T_BOOL || r.kind != T_BOOL) {
		struct mmp_node *bad = l.kind != T_BOOL ? e->u.bin.lhs : e->u.bin.rhs;
		diag_error(c->d, bad->loc, "'%s' joins conditions; this is %s", ast_op_name(e->u.bin.op),
			   type_text(l.kind != T_BOOL ? l : r));
		return T_ERR;
	}
	if (l.is_const && r.is_const)
		return constant(T_BOOL, UNIT_NONE, false,
				e->u.bin.op == OP_AND ? l.value && r.value : l.value || r.value);
	return boolean();
}

static struct mmp_type check(struct tc *c, struct mmp_node *e, enum expr_place place)
{
	switch (e->kind) {
	case N_NUMBER:
		return constant(T_NUM, e->u.num.unit, false, (int64_t)e->u.num.value);
	case N_NAME:
		return check_name(c, e, place);
	case N_ANON:
		return check_anon_file(c, e, place);
	case N_FILE:
		if (!e->u.str.s || place != PLACE_SELECTOR)
			return check_anon_file(c, e, place);
		if (e->u.str.len == 0) {
			diag_error(c->d, e->loc, "an empty file pattern matches nothing");
			return T_ERR;
		}
		return boolean();
	case N_MAPPING:
		if (place != PLACE_SELECTOR)
			return misplaced(c, e, place);
		if (e->u.str.len == 0) {
			diag_error(c->d, e->loc, "an empty mapping name matches nothing");
			diag_hint(c->d, "anonymous mappings without a name are selected with 'anon'");
			return T_ERR;
		}
		return boolean();
	case N_RANGE:
		return place == PLACE_SELECTOR ? check_range(c, e) : misplaced(c, e, place);
	case N_ALL:
		return place == PLACE_SELECTOR || place == PLACE_MATCHER ? constant(T_BOOL, UNIT_NONE, false, 1)
									 : misplaced(c, e, place);
	case N_COMM: case N_EXE: case N_PID: case N_UID: case N_CGROUP:
		return place == PLACE_MATCHER ? check_matcher_atom(c, e) : misplaced(c, e, place);
	case N_PRESSURE: case N_USAGE:
		return place == PLACE_TRIGGER ? check_trigger_source(c, e) : misplaced(c, e, place);
	case N_STRING:
		return misplaced(c, e, place);
	case N_UNARY: {
		struct mmp_type t = check(c, e->u.un.operand, place);
		if (t.kind == T_ERROR)
			return T_ERR;
		if (e->u.un.op == OP_NOT) {
			if (place == PLACE_TRIGGER) {
				diag_error(c->d, e->loc, "a trigger cannot be negated: it fires above a threshold");
				return T_ERR;
			}
			if (t.kind != T_BOOL) {
				diag_error(c->d, e->loc, "'not' applies to a condition; this is %s", type_text(t));
				return T_ERR;
			}
			t.value = !t.value;
			return t;
		}
		if (t.kind != T_NUM || t.source) {
			diag_error(c->d, e->loc, "'-' applies to a number");
			return T_ERR;
		}
		if (t.is_const && t.value == INT64_MIN) {
			diag_error(c->d, e->loc, "arithmetic overflow in a constant");
			return T_ERR;
		}
		t.value = -t.value;
		t.counter = false;
		return fold(e, t);
	}
	case N_RATE: {
		struct mmp_type t = check(c, e->u.un.operand, place);
		if (t.kind == T_ERROR)
			return T_ERR;
		if (t.kind != T_NUM || t.rate || t.source || (!t.is_const && !t.counter)) {
			struct mmp_node *o = e->u.un.operand;
			if (o->kind == N_NAME && t.kind == T_NUM && !t.rate)
				diag_error(c->d, e->loc, "'/s' gives the rate of a counter; '%s' is not a counter", o->u.name.id);
			else
				diag_error(c->d, e->loc, "'/s' applies to a counter or a number, not to %s", type_text(t));
			diag_hint(c->d, "counters: faults, major_faults");
			return T_ERR;
		}
		t.rate = true;
		t.counter = false;
		return t;
	}
	case N_FOR: {
		if (place != PLACE_TRIGGER) {
			diag_error(c->d, e->loc, "'for' belongs to a trigger, as in 'pressure some > 10%% for 5s'");
			return T_ERR;
		}
		struct mmp_type t = check(c, e->u.bin.lhs, place);
		int64_t dur;
		bool ok = check_const(c, e->u.bin.rhs, 1u << UNIT_MS, false, "the time after 'for'", &dur);
		if (t.kind == T_ERROR || !ok)
			return T_ERR;
		struct mmp_node *th = e->u.bin.lhs;
		if (t.kind != T_BOOL || th->kind != N_BINARY || th->u.bin.op < OP_LT || th->u.bin.op > OP_NE) {
			diag_error(c->d, e->u.bin.lhs->loc, "'for' follows a single threshold, as in 'pressure some > 10%% for 5s'");
			return T_ERR;
		}
		if (dur <= 0 || dur > 3600 * 1000) {
			diag_error(c->d, e->u.bin.rhs->loc, "a trigger's duration must be above 0 and at most 1h");
			return T_ERR;
		}
		return boolean();
	}
	case N_BINARY: {
		enum mmp_op op = e->u.bin.op;
		struct mmp_type l = check(c, e->u.bin.lhs, place);
		struct mmp_type r = check(c, e->u.bin.rhs, place);
		if (op == OP_AND || op == OP_OR)
			return check_logic(c, e, l, r);
		if (l.kind == T_ERROR || r.kind == T_ERROR)
			return T_ERR;
		if (op >= OP_LT && op <= OP_NE)
			return check_compare(c, e, l, r, place);
		return fold(e, check_arith(c, e, l, r));
	}
	default:
		diag_error(c->d, e->loc, "unexpected %s in an expression", ast_kind_name(e->kind));
		return T_ERR;
	}
}

static bool check_const(struct tc *c, struct mmp_node *e, unsigned units, bool rate, const char *what,
		int64_t *out)
{
	struct mmp_type t = check(c, e, PLACE_VALUE);
	if (t.kind == T_ERROR)
		return false;
	if (t.kind != T_NUM || !t.is_const) {
		diag_error(c->d, e->loc, "%s must be a constant number", what);
		return false;
	}
	/* A plain zero is zero in every unit: let the caller say it must be above 0. */
	bool unit_ok = ((units >> t.unit) & 1) || (t.value == 0 && t.unit == UNIT_NONE);
	if (!unit_ok || t.rate != rate) {
		char want[128] = "";
		size_t used = 0;
		for (int u = UNIT_NONE; u <= UNIT_PERCENT; u++)
			if ((units >> u) & 1)
				used += (size_t)snprintf(want + used, sizeof(want) - used, "%s%s", used ? " or " : "",
							 unit_name(u));
		diag_error(c->d, e->loc, "%s must be %s%s, not %s", what, rate ? "a rate per second of " : "", want,
			   type_text(t));
		if (rate && !t.rate)
			diag_hint(c->d, "write a rate with '/s', as in 64M/s");
		return false;
	}
	*out = t.value;
	return true;
}

/* --- conditions that can never hold ------------------------------------ */

/* The bounds that an and-chain of 'statistic OP constant' puts on each
 * statistic. All statistics are at least 0. */
struct bound {
	const struct mmp_stat *stat;
	bool rate;
	int64_t lo, hi;
	struct mmp_node *lo_by, *hi_by;   /* the comparisons that set them */
	enum mmp_op lo_op, hi_op;         /* as written, with the statistic on the left */
	int64_t lo_v, hi_v;
};

#define MAX_BOUNDS 16

static struct mmp_node *strip_rate(struct mmp_node *n, bool *rate)
{
	*rate = n->kind == N_RATE;
	return *rate ? n->u.un.operand : n;
}

static void collect_bounds(struct mmp_node *e, struct bound *b, size_t *nb)
{
	if (e->kind == N_BINARY && e->u.bin.op == OP_AND) {
		collect_bounds(e->u.bin.lhs, b, nb);
		collect_bounds(e->u.bin.rhs, b, nb);
		return;
	}
	if (e->kind != N_BINARY || e->u.bin.op < OP_LT || e->u.bin.op > OP_EQ)
		return;
	bool rate, crate;
	struct mmp_node *s = strip_rate(e->u.bin.lhs, &rate), *c = strip_rate(e->u.bin.rhs, &crate);
	enum mmp_op op = e->u.bin.op;
	if (s->kind != N_NAME) { /* constant OP statistic: mirror it */
		struct mmp_node *t = s;
		s = c;
		c = t;
		rate = crate;
		op = op == OP_LT ? OP_GT : op == OP_LE ? OP_GE : op == OP_GT ? OP_LT : op == OP_GE ? OP_LE : op;
	}
	if (s->kind != N_NAME || !s->u.name.stat || c->kind != N_NUMBER)
		return;
	int64_t v = (int64_t)c->u.num.value;
	size_t i;
	for (i = 0; i < *nb; i++)
		if (b[i].stat == s->u.name.stat && b[i].rate == rate)
			break;
	if (i == *nb) {
		if (*nb == MAX_BOUNDS)
			return;
		b[i] = (struct bound){ .stat = s->u.name.stat, .rate = rate, .lo = 0, .hi = INT64_MAX };
		(*nb)++;
	}
	int64_t lo = INT64_MIN, hi = INT64_MAX;
	switch (op) {
	case OP_LT: hi = v == INT64_MIN ? v : v - 1; break;
	case OP_LE: hi = v; break;
	case OP_GT: lo = v == INT64_MAX ? v : v + 1; break;
	case OP_GE: lo = v; break;
	case OP_EQ: lo = hi = v; break;
	default: break;
	}
	if (lo > b[i].lo) {
		b[i].lo = lo;
		b[i].lo_by = e;
		b[i].lo_op = op;
		b[i].lo_v = v;
	}
	if (hi < b[i].hi) {
		b[i].hi = hi;
		b[i].hi_by = e;
		b[i].hi_op = op;
		b[i].hi_v = v;
	}
}

static bool check_cond(struct tc *c, struct mmp_node *e, enum expr_place place, const char *what)
{
	struct mmp_type t = check(c, e, place);
	if (t.kind == T_ERROR)
		return false;
	if (t.kind != T_BOOL) {
		diag_error(c->d, e->loc, "%s must be a condition; this is %s", what, type_text(t));
		if (place == PLACE_SELECTOR)
			diag_hint(c->d, "a selector is made of anon, file \"glob\", mapping \"name\", range A .. B, "
				     "all and comparisons of size, joined by and, or, not");
		else if (place == PLACE_REGION)
			diag_hint(c->d, "compare a statistic with a value, as in 'faults >= 64/s'");
		return false;
	}
	if (t.is_const && place != PLACE_MATCHER && place != PLACE_SELECTOR) {
		if (t.value)
			diag_warning(c->d, e->loc, "%s always holds", what);
		else
			diag_warning(c->d, e->loc, "%s never holds", what);
		return true;
	}
	if (place == PLACE_SELECTOR)
		return true;   /* the region's own "can never match" says it once */
	struct bound b[MAX_BOUNDS];
	size_t nb = 0;
	collect_bounds(e, b, &nb);
	for (size_t i = 0; i < nb; i++) {
		if (b[i].lo <= b[i].hi)
			continue;
		if (!b[i].lo_by) {
			diag_warning(c->d, b[i].hi_by->loc, "%s never holds: '%s' is never negative", what, b[i].stat->name);
		} else {
			diag_warning(c->d, e->loc, "%s never holds: no value of '%s' satisfies both comparisons", what,
				     b[i].stat->name);
			char lo[32], hi[32];
			unit_format(lo, sizeof(lo), b[i].lo_v, b[i].stat->unit);
			unit_format(hi, sizeof(hi), b[i].hi_v, b[i].stat->unit);
			const char *per = b[i].rate ? "/s" : "";
			diag_note(c->d, b[i].lo_by->loc, "this requires it to be %s %s%s",
				  b[i].lo_op == OP_GT ? "above" : b[i].lo_op == OP_EQ ? "exactly" : "at least", lo, per);
			diag_note(c->d, b[i].hi_by->loc, "and this %s %s%s",
				  b[i].hi_op == OP_LT ? "below" : b[i].hi_op == OP_EQ ? "exactly" : "at most", hi, per);
		}
		break;
	}
	/* A counter only grows: 'faults >= 64' holds for good once it holds,
	 * which is seldom what a 'when' means. */
	for (size_t i = 0; i < nb && place == PLACE_REGION; i++) {
		if (!b[i].stat->counter || b[i].rate || !b[i].lo_by || b[i].lo <= 0 || b[i].hi != INT64_MAX ||
		    b[i].stat->id == STAT_R_SCAN_FAULTS)   /* an error in a 'when', said by the caller */
			continue;
		char v[32];
		unit_format(v, sizeof(v), b[i].lo_v, b[i].stat->unit);
		diag_warning(c->d, b[i].lo_by->loc,
			     "'%s' counts since mmp first saw the region, so once this holds it holds for good; "
			     "'%s %s %s/s' holds while the region is busy", b[i].stat->name, b[i].stat->name,
			     b[i].lo_op == OP_GT ? ">" : ">=", v);
		break;
	}
	return true;
}

struct mmp_type expr_check(struct mmp_diag *d, struct mmp_arena *a, struct mmp_node *e, enum expr_place place)
{
	struct tc c = { d, a };
	return check(&c, e, place);
}

bool expr_check_cond(struct mmp_diag *d, struct mmp_arena *a, struct mmp_node *e, enum expr_place place,
		     const char *what)
{
	struct tc c = { d, a };
	return check_cond(&c, e, place, what);
}

bool expr_const(struct mmp_diag *d, struct mmp_arena *a, struct mmp_node *e, unsigned units, bool rate,
		const char *what, int64_t *out)
{
	struct tc c = { d, a };
	return check_const(&c, e, units, rate, what, out);
}
