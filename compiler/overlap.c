/* overlap.c - satisfiability of selector and matcher formulas, by a bounded
 * disjunctive normal form. A formula too large to expand is assumed
 * satisfiable: the analysis may miss a warning, never invent one. */
#include "overlap.h"

#include <stdlib.h>
#include <string.h>

#include "pattern.h"
#include "stats.h"

#define MAX_TERMS 32
#define MAX_LITS 16

struct lit {
	const struct mmp_node *atom;
	bool neg;
};

struct term {
	unsigned n;
	struct lit lits[MAX_LITS];
};

struct dnf {
	unsigned n;
	bool overflow;
	struct term terms[MAX_TERMS];
};

static bool is_special_mapping(const char *s)
{
	return s[0] == '[';   /* [heap], [stack], [anon:...]: not file-backed */
}

static enum pattern_kind pattern_of(const struct mmp_node *n)
{
	return n->kind == N_MAPPING ? PATTERN_MAPPING : PATTERN_GLOB;
}

/* Can one name satisfy both patterns? A file glob against a mapping name
 * compares as globs: a file's mapping is named by its path. */
static bool names_may_meet(const struct mmp_node *a, const struct mmp_node *b)
{
	enum pattern_kind k = pattern_of(a) == PATTERN_MAPPING && pattern_of(b) == PATTERN_MAPPING ? PATTERN_MAPPING
												   : PATTERN_GLOB;
	return patterns_may_meet(a->u.str.s, b->u.str.s, k);
}

/* cgroup "/a" holds the processes of /a and of every cgroup below it. */
static bool cgroups_may_meet(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	const char *s = la < lb ? a : b, *l = la < lb ? b : a;
	size_t ls = la < lb ? la : lb;
	while (ls > 1 && s[ls - 1] == '/')
		ls--;
	return strncmp(s, l, ls) == 0 && (l[ls] == '\0' || l[ls] == '/' || ls == 1);
}

static const struct mmp_node *operand(const struct mmp_node *atom)
{
	return atom->u.un.operand;
}

static bool atoms_equal(const struct mmp_node *a, const struct mmp_node *b)
{
	if (a == b)
		return true;
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case N_ANON: case N_ALL:
		return true;
	case N_FILE: case N_MAPPING: case N_COMM: case N_EXE: case N_CGROUP:
		return a->u.str.s == b->u.str.s;
	case N_RANGE:
		return a->u.range.start == b->u.range.start && a->u.range.end == b->u.range.end;
	case N_PID: case N_UID: {
		const struct mmp_node *x = operand(a), *y = operand(b);
		if (x->kind != y->kind)
			return false;
		return x->kind == N_NUMBER ? x->u.num.value == y->u.num.value : x->u.str.s == y->u.str.s;
	}
	case N_BINARY:
		return a->u.bin.op == b->u.bin.op && a->u.bin.lhs->kind == N_NAME && b->u.bin.lhs->kind == N_NAME &&
		       a->u.bin.lhs->u.name.id == b->u.bin.lhs->u.name.id && a->u.bin.rhs->kind == N_NUMBER &&
		       b->u.bin.rhs->kind == N_NUMBER && a->u.bin.rhs->u.num.value == b->u.bin.rhs->u.num.value;
	default:
		return false;
	}
}

/* Do two positive atoms exclude each other? */
static bool atoms_exclusive(const struct mmp_node *a, const struct mmp_node *b)
{
	if (a->kind > b->kind) {
		const struct mmp_node *t = a;
		a = b;
		b = t;
	}
	/* kinds in enum order: N_ANON < N_FILE < N_MAPPING < N_RANGE < N_COMM < N_EXE < N_PID < N_UID < N_CGROUP */
	switch (a->kind) {
	case N_ANON:
		if (b->kind == N_FILE)
			return true;
		if (b->kind == N_MAPPING)
			return !is_special_mapping(b->u.str.s);
		return false;
	case N_FILE:
		if (b->kind == N_FILE)
			return a->u.str.s && b->u.str.s && !names_may_meet(a, b);
		if (b->kind == N_MAPPING)
			return is_special_mapping(b->u.str.s) || (a->u.str.s && !names_may_meet(a, b));
		return false;
	case N_MAPPING:
		return b->kind == N_MAPPING && !names_may_meet(a, b);
	case N_RANGE:
		return b->kind == N_RANGE &&
		       (a->u.range.end <= b->u.range.start || b->u.range.end <= a->u.range.start);
	case N_COMM: case N_EXE:
		return b->kind == a->kind && !names_may_meet(a, b);
	case N_PID:
		return b->kind == N_PID && operand(a)->u.num.value != operand(b)->u.num.value;
	case N_UID:
		return b->kind == N_UID && operand(a)->kind == operand(b)->kind &&
		       (operand(a)->kind == N_NUMBER ? operand(a)->u.num.value != operand(b)->u.num.value
						     : operand(a)->u.str.s != operand(b)->u.str.s);
	case N_CGROUP:
		return b->kind == N_CGROUP && !cgroups_may_meet(a->u.str.s, b->u.str.s);
	default:
		return false;
	}
}

/* Is POS inside NEG's pattern, so that 'POS and not NEG' is empty? */
static bool negation_covers(const struct mmp_node *pos, const struct mmp_node *neg)
{
	if (pos->kind != neg->kind) {
		if (pos->kind == N_MAPPING && neg->kind == N_FILE && !neg->u.str.s)
			return !is_special_mapping(pos->u.str.s);   /* a path is a file */
		if (pos->kind == N_MAPPING && neg->kind == N_ANON)
			return is_special_mapping(pos->u.str.s);
		return false;
	}
	switch (pos->kind) {
	case N_FILE:
		if (!neg->u.str.s)
			return true;  /* not file (any) */
		/* fall through */
	case N_MAPPING: case N_COMM: case N_EXE:
		return pos->u.str.s && pattern_is_literal(pos->u.str.s, pattern_of(pos)) &&
		       pattern_match(neg->u.str.s, pos->u.str.s, pattern_of(neg));
	case N_RANGE:
		return neg->u.range.start <= pos->u.range.start && pos->u.range.end <= neg->u.range.end;
	case N_CGROUP:
		return cgroups_may_meet(neg->u.str.s, pos->u.str.s) && strlen(neg->u.str.s) <= strlen(pos->u.str.s);
	default:
		return false;
	}
}

/* The interval a comparison of a fixed statistic with a constant allows. */
static bool compare_interval(const struct lit *l, int64_t *lo, int64_t *hi)
{
	const struct mmp_node *e = l->atom;
	if (e->kind != N_BINARY || e->u.bin.lhs->kind != N_NAME || e->u.bin.rhs->kind != N_NUMBER)
		return false;
	int64_t v = (int64_t)e->u.bin.rhs->u.num.value;
	enum mmp_op op = e->u.bin.op;
	if (l->neg)
		op = op == OP_LT ? OP_GE : op == OP_LE ? OP_GT : op == OP_GT ? OP_LE : op == OP_GE ? OP_LT :
		     op == OP_EQ ? OP_NE : OP_EQ;
	*lo = 0;
	*hi = INT64_MAX;
	switch (op) {
	case OP_LT: *hi = v - 1; break;
	case OP_LE: *hi = v; break;
	case OP_GT: *lo = v == INT64_MAX ? v : v + 1; if (v == INT64_MAX) *hi = v - 1; break;
	case OP_GE: *lo = v; break;
	case OP_EQ: *lo = *hi = v; break;
	default: return false;  /* != constrains too little to matter */
	}
	return true;
}

static bool term_satisfiable(const struct term *t)
{
	int64_t lo = 0, hi = INT64_MAX;
	for (unsigned i = 0; i < t->n; i++) {
		const struct lit *a = &t->lits[i];
		int64_t l, h;
		if (compare_interval(a, &l, &h)) {
			lo = l > lo ? l : lo;
			hi = h < hi ? h : hi;
			continue;
		}
		for (unsigned j = i + 1; j < t->n; j++) {
			const struct lit *b = &t->lits[j];
			if (atoms_equal(a->atom, b->atom)) {
				if (a->neg != b->neg)
					return false;
			} else if (!a->neg && !b->neg) {
				if (atoms_exclusive(a->atom, b->atom))
					return false;
			} else if (a->neg != b->neg) {
				const struct lit *p = a->neg ? b : a, *n = a->neg ? a : b;
				if (negation_covers(p->atom, n->atom))
					return false;
			}
		}
	}
	return lo <= hi;
}

/* DNF buffers are large; one analysis reuses them instead of asking malloc
 * for each subformula. */
struct formula_pool {
	struct dnf *free[16];
	unsigned n;
};
#define pool formula_pool

static struct dnf *pool_get(struct pool *p)
{
	return p->n ? p->free[--p->n] : malloc(sizeof(struct dnf));
}

static void pool_put(struct pool *p, struct dnf *d)
{
	if (d && p->n < sizeof(p->free) / sizeof(p->free[0]))
		p->free[p->n++] = d;
	else
		free(d);
}

static void pool_drain(struct pool *p)
{
	while (p->n)
		free(p->free[--p->n]);
}

static void dnf_true(struct dnf *d)
{
	d->n = 1;
	d->overflow = false;
	d->terms[0].n = 0;
}

static void dnf_of(struct pool *pool, const struct mmp_node *e, bool neg, struct dnf *out);

static void dnf_or(struct pool *pool, const struct mmp_node *l, const struct mmp_node *r, bool neg,
		   struct dnf *out)
{
	struct dnf *rhs = pool_get(pool);
	if (!rhs) {
		out->overflow = true;
		return;
	}
	dnf_of(pool, l, neg, out);
	dnf_of(pool, r, neg, rhs);
	out->overflow |= rhs->overflow;
	for (unsigned i = 0; i < rhs->n && !out->overflow; i++) {
		if (out->n == MAX_TERMS)
			out->overflow = true;
		else
			out->terms[out->n++] = rhs->terms[i];
	}
	pool_put(pool, rhs);
}

/* L and R, each negated as its flag says. */
static void dnf_and(struct pool *pool, const struct mmp_node *l, bool lneg, const struct mmp_node *r, bool rneg,
		    struct dnf *out)
{
	struct dnf *a = pool_get(pool), *b = pool_get(pool);
	out->n = 0;
	out->overflow = !a || !b;
	if (!out->overflow) {
		dnf_of(pool, l, lneg, a);
		dnf_of(pool, r, rneg, b);
		out->overflow = a->overflow || b->overflow;
	}
	for (unsigned i = 0; !out->overflow && i < a->n; i++) {
		for (unsigned j = 0; !out->overflow && j < b->n; j++) {
			if (out->n == MAX_TERMS || a->terms[i].n + b->terms[j].n > MAX_LITS) {
				out->overflow = true;
				break;
			}
			struct term *t = &out->terms[out->n++];
			t->n = 0;
			for (unsigned k = 0; k < a->terms[i].n; k++)
				t->lits[t->n++] = a->terms[i].lits[k];
			for (unsigned k = 0; k < b->terms[j].n; k++)
				t->lits[t->n++] = b->terms[j].lits[k];
			if (!term_satisfiable(t))
				out->n--;   /* drop empty terms early */
		}
	}
	pool_put(pool, a);
	pool_put(pool, b);
}

static void dnf_of(struct pool *pool, const struct mmp_node *e, bool neg, struct dnf *out)
{
	out->n = 0;
	out->overflow = false;
	if (e->kind == N_UNARY && e->u.un.op == OP_NOT) {
		dnf_of(pool, e->u.un.operand, !neg, out);
		return;
	}
	if (e->kind == N_BINARY && (e->u.bin.op == OP_AND || e->u.bin.op == OP_OR)) {
		/* De Morgan: under a negation, and and or trade places. */
		if ((e->u.bin.op == OP_OR) != neg)
			dnf_or(pool, e->u.bin.lhs, e->u.bin.rhs, neg, out);
		else
			dnf_and(pool, e->u.bin.lhs, neg, e->u.bin.rhs, neg, out);
		return;
	}
	if (e->kind == N_ALL) {
		if (!neg)
			dnf_true(out);
		return;
	}
	dnf_true(out);
	out->terms[0].n = 1;
	out->terms[0].lits[0] = (struct lit){ e, neg };
}

static bool dnf_satisfiable(const struct dnf *d)
{
	if (d->overflow)
		return true;
	for (unsigned i = 0; i < d->n; i++)
		if (term_satisfiable(&d->terms[i]))
			return true;
	return false;
}

static bool is_atom(const struct mmp_node *e)
{
	return !(e->kind == N_UNARY && e->u.un.op == OP_NOT) &&
	       !(e->kind == N_BINARY && (e->u.bin.op == OP_AND || e->u.bin.op == OP_OR)) && e->kind != N_ALL;
}

struct formula_pool *formula_pool_new(void)
{
	return calloc(1, sizeof(struct formula_pool));
}

void formula_pool_free(struct formula_pool *p)
{
	if (p) {
		pool_drain(p);
		free(p);
	}
}

bool formula_satisfiable(struct formula_pool *p, const struct mmp_node *e)
{
	if (is_atom(e) && e->kind != N_BINARY)
		return true;
	struct dnf *d = pool_get(p);
	bool sat = true;
	if (d) {
		dnf_of(p, e, false, d);
		sat = dnf_satisfiable(d);
	}
	pool_put(p, d);
	return sat;
}

bool formulas_may_overlap(struct formula_pool *p, const struct mmp_node *a, const struct mmp_node *b)
{
	if (is_atom(a) && is_atom(b) && a->kind != N_BINARY && b->kind != N_BINARY)  /* without a DNF */
		return atoms_equal(a, b) || !atoms_exclusive(a, b);
	struct dnf *d = pool_get(p);
	bool sat = true;
	if (d) {
		dnf_and(p, a, false, b, false, d);
		sat = dnf_satisfiable(d);
	}
	pool_put(p, d);
	return sat;
}

bool formula_covers(struct formula_pool *p, const struct mmp_node *a, const struct mmp_node *b)
{
	if (a->kind == N_ALL)
		return true;
	struct dnf *d = pool_get(p);
	bool sat = true;
	if (d) {
		dnf_and(p, b, false, a, true, d);   /* B and not A */
		sat = dnf_satisfiable(d);
	}
	pool_put(p, d);
	return !sat;
}

void formula_anchor(const struct mmp_node *e, struct formula_anchor *out)
{
	out->prefix = NULL;
	out->len = 0;
	out->start = out->end = 0;
	/* Look through a chain of 'and' for one positive literal name or range. */
	while (e->kind == N_BINARY && e->u.bin.op == OP_AND) {
		struct formula_anchor l;
		formula_anchor(e->u.bin.lhs, &l);
		if (l.prefix || l.end > l.start) {
			*out = l;
			return;
		}
		e = e->u.bin.rhs;
	}
	if ((e->kind == N_FILE || e->kind == N_MAPPING) && e->u.str.s) {
		/* A file's mapping is named by its path, so both compare as globs. */
		size_t n = pattern_prefix_len(e->u.str.s, PATTERN_GLOB);
		if (e->kind == N_MAPPING)
			n = pattern_prefix_len(e->u.str.s, PATTERN_MAPPING);
		if (n > 0) {
			out->prefix = e->u.str.s;
			out->len = n;
		}
	} else if (e->kind == N_RANGE) {
		out->start = e->u.range.start;
		out->end = e->u.range.end;
	}
}

unsigned formula_kinds(const struct mmp_node *e)
{
	if (e->kind == N_UNARY && e->u.un.op == OP_NOT)
		return formula_kinds(e->u.un.operand);
	if (e->kind == N_BINARY && (e->u.bin.op == OP_AND || e->u.bin.op == OP_OR))
		return formula_kinds(e->u.bin.lhs) | formula_kinds(e->u.bin.rhs);
	return 1u << e->kind;
}
