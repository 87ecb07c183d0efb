/* plan.c - the lowering: a checked tree into the typed rules of plan.h.
 *
 * The checker has already refused every malformed form, so the lowering
 * reads each construct in the one shape the checker lets through; a shape
 * it does not know lowers to the value that selects or counts nothing.
 */
#include "plan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "hash.h"

struct lowering {
	struct mmp_arena *a;
	const struct mmp_source *src;
	struct mmp_plan *plan;
};

static void *new_in(struct lowering *lw, size_t size)
{
	return arena_alloc(lw->a, size);   /* zeroed; aborts when out of memory */
}

/* --- tests ------------------------------------------------------------- */

static enum mmp_cmp cmp_of(enum mmp_op op)
{
	switch (op) {
	case OP_LT: return CMP_LT;
	case OP_LE: return CMP_LE;
	case OP_GT: return CMP_GT;
	case OP_GE: return CMP_GE;
	case OP_EQ: return CMP_EQ;
	default: return CMP_NE;
	}
}

/* 'A op size' read as 'size op' A'. */
static enum mmp_cmp cmp_flip(enum mmp_cmp c)
{
	switch (c) {
	case CMP_LT: return CMP_GT;
	case CMP_LE: return CMP_GE;
	case CMP_GT: return CMP_LT;
	case CMP_GE: return CMP_LE;
	default: return c;
	}
}

static struct mmp_test *test_new(struct lowering *lw, enum mmp_test_kind kind)
{
	struct mmp_test *t = new_in(lw, sizeof(*t));
	t->kind = kind;
	return t;
}

static const struct mmp_test *lower_test(struct lowering *lw, const struct mmp_node *e)
{
	struct mmp_test *t;
	switch (e->kind) {
	case N_ALL: return test_new(lw, TEST_ALL);
	case N_ANON: return test_new(lw, TEST_ANON);
	case N_COMM: t = test_new(lw, TEST_COMM); t->text = e->u.str.s; return t;
	case N_EXE: t = test_new(lw, TEST_EXE); t->text = e->u.str.s; return t;
	case N_CGROUP: t = test_new(lw, TEST_CGROUP); t->text = e->u.str.s; return t;
	case N_FILE: t = test_new(lw, TEST_FILE); t->text = e->u.str.s; return t;
	case N_MAPPING: t = test_new(lw, TEST_MAPPING); t->text = e->u.str.s; return t;
	case N_PID:
		t = test_new(lw, TEST_PID);
		t->value = e->u.un.operand->u.num.value;
		return t;
	case N_UID:
		if (e->u.un.operand->kind == N_NUMBER) {
			t = test_new(lw, TEST_UID);
			t->value = e->u.un.operand->u.num.value;
		} else {
			t = test_new(lw, TEST_USER);
			t->text = e->u.un.operand->u.str.s;
		}
		return t;
	case N_RANGE:
		t = test_new(lw, TEST_RANGE);
		t->lo = (uint64_t)e->u.range.start;
		t->hi = (uint64_t)e->u.range.end;
		return t;
	case N_UNARY:
		t = test_new(lw, TEST_NOT);
		t->l = lower_test(lw, e->u.un.operand);
		return t;
	case N_BINARY:
		if (e->u.bin.op == OP_AND || e->u.bin.op == OP_OR) {
			t = test_new(lw, e->u.bin.op == OP_AND ? TEST_AND : TEST_OR);
			t->l = lower_test(lw, e->u.bin.lhs);
			t->r = lower_test(lw, e->u.bin.rhs);
			return t;
		}
		/* size OP constant, with the statistic on either side */
		t = test_new(lw, TEST_SIZE);
		t->cmp = cmp_of(e->u.bin.op);
		if (e->u.bin.rhs->kind == N_NUMBER) {
			t->value = e->u.bin.rhs->u.num.value;
		} else {
			t->value = e->u.bin.lhs->u.num.value;
			t->cmp = cmp_flip(t->cmp);
		}
		return t;
	default: {
		struct mmp_test *none = test_new(lw, TEST_NOT);
		none->l = test_new(lw, TEST_ALL);
		return none;
	}
	}
}

/* Can a selector select a file (not only memory)? Eviction acts on open
 * files only for regions that can. */
static bool may_be_file(const struct mmp_test *t)
{
	switch (t->kind) {
	case TEST_ALL:
	case TEST_FILE:
	case TEST_NOT:   /* not anon: may be a file */
		return true;
	case TEST_AND:
	case TEST_OR:
		return may_be_file(t->l) || may_be_file(t->r);
	default:
		return false;
	}
}

/* A or B, for the matchers of several statements of one class. */
static const struct mmp_test *test_or(struct lowering *lw, const struct mmp_test *a, const struct mmp_test *b)
{
	if (!a)
		return b;
	struct mmp_test *t = test_new(lw, TEST_OR);
	t->l = a;
	t->r = b;
	return t;
}

/* --- calculations ------------------------------------------------------ */

static const struct mmp_calc *lower_calc(struct lowering *lw, const struct mmp_node *e)
{
	struct mmp_calc *c = new_in(lw, sizeof(*c));
	switch (e->kind) {
	case N_NUMBER:
		c->op = CALC_CONST;
		c->value = (int64_t)e->u.num.value;
		break;
	case N_NAME:
		if (e->u.name.stat) {
			c->op = CALC_STAT;
			c->stat = e->u.name.stat->id;
		}   /* else the constant 0 */
		break;
	case N_ANON:   /* in a process's score: its anonymous and file rss */
	case N_FILE:
		c->op = CALC_STAT;
		c->stat = e->kind == N_ANON ? STAT_T_ANON : STAT_T_FILE;
		break;
	case N_RATE:
		if (e->u.un.operand->kind == N_NAME && e->u.un.operand->u.name.stat) {
			c->op = CALC_STAT;
			c->stat = e->u.un.operand->u.name.stat->id;
			c->rate = true;
			break;
		}
		return lower_calc(lw, e->u.un.operand);   /* 64/s is 64 a second */
	case N_UNARY:
		c->op = e->u.un.op == OP_NEG ? CALC_NEG : CALC_NOT;
		c->l = lower_calc(lw, e->u.un.operand);
		break;
	case N_BINARY: {
		static const enum mmp_calc_op ops[] = {
			[OP_ADD] = CALC_ADD, [OP_SUB] = CALC_SUB, [OP_MUL] = CALC_MUL, [OP_DIV] = CALC_DIV,
			[OP_LT] = CALC_LT, [OP_LE] = CALC_LE, [OP_GT] = CALC_GT, [OP_GE] = CALC_GE,
			[OP_EQ] = CALC_EQ, [OP_NE] = CALC_NE, [OP_AND] = CALC_AND, [OP_OR] = CALC_OR,
		};
		if (e->u.bin.op > OP_OR)
			break;
		c->op = ops[e->u.bin.op];
		c->l = lower_calc(lw, e->u.bin.lhs);
		c->r = lower_calc(lw, e->u.bin.rhs);
		break;
	}
	default:
		break;
	}
	return c;
}

/* --- triggers ---------------------------------------------------------- */

static const struct mmp_cond *lower_cond(struct lowering *lw, const struct mmp_node *e, long long hold_ns)
{
	if (e->kind == N_FOR)
		return lower_cond(lw, e->u.bin.lhs, (long long)e->u.bin.rhs->u.num.value * 1000000LL);
	struct mmp_cond *c = new_in(lw, sizeof(*c));
	if (e->kind == N_BINARY && (e->u.bin.op == OP_AND || e->u.bin.op == OP_OR)) {
		c->kind = e->u.bin.op == OP_AND ? COND_AND : COND_OR;
		c->l = lower_cond(lw, e->u.bin.lhs, hold_ns);
		c->r = lower_cond(lw, e->u.bin.rhs, hold_ns);
		return c;
	}
	const struct mmp_node *what = e->u.bin.lhs;
	c->kind = what->kind == N_PRESSURE ? COND_PRESSURE : COND_USAGE;
	c->ge = e->u.bin.op == OP_GE;
	c->pct = (unsigned)e->u.bin.rhs->u.num.value;
	c->hold_ns = hold_ns;
	c->cgroup = what->u.psi.cgroup ? what->u.psi.cgroup->u.str.s : NULL;
	c->full = c->kind == COND_PRESSURE && what->u.psi.kind && strcmp(what->u.psi.kind->u.name.id, "full") == 0;
	return c;
}

static void lower_trigger(struct lowering *lw, struct mmp_trigger *t, const struct mmp_node *e)
{
	t->cond = lower_cond(lw, e, 0);
	t->text = arena_strndup(lw->a, lw->src->text + e->loc.start, e->loc.end - e->loc.start);
	t->loc = e->loc;
}

/* --- rules ------------------------------------------------------------- */

static const struct mmp_pagesize_rule *lower_pagesize(struct lowering *lw, const struct mmp_node *rule)
{
	struct mmp_pagesize_rule *r = new_in(lw, sizeof(*r));
	for (const struct mmp_node *e = rule->u.stmt.body; e; e = e->next)
		r->nentries += e->kind == N_ENTRY;
	struct mmp_pagesize_entry *v = new_in(lw, (r->nentries ? r->nentries : 1) * sizeof(*v));
	unsigned i = 0;
	for (const struct mmp_node *e = rule->u.stmt.body; e; e = e->next) {
		if (e->kind == N_SETTING)   /* 'ahead', the one setting */
			r->ahead = (int64_t)e->u.stmt.expr->u.num.value;
		else
			v[i++] = (struct mmp_pagesize_entry){ (int64_t)e->u.bin.lhs->u.num.value,
							      (int64_t)e->u.bin.rhs->u.num.value };
	}
	r->entries = v;
	if (rule->u.stmt.expr) {
		r->when = lower_calc(lw, rule->u.stmt.expr);
		r->when_loc = rule->u.stmt.expr->loc;
	}
	return r;
}

/* A prefetch setting NAME of RULE in the BPF side's units (sizes in pages,
 * the limit in bytes a second), or DEF. */
static uint64_t setting(const struct mmp_node *rule, const char *name, uint64_t def)
{
	for (const struct mmp_node *st = rule->u.stmt.body; st; st = st->next) {
		if (st->kind != N_SETTING || strcmp(st->u.stmt.name->u.name.id, name) != 0)
			continue;
		const struct mmp_node *v = st->u.stmt.expr;
		if (v->kind == N_NAME) {
			static const char *const patterns[] = { [MMP_PF_SEQUENTIAL] = "sequential", [MMP_PF_STRIDE] = "stride",
								[MMP_PF_LEAP] = "leap" };
			for (uint64_t i = MMP_PF_SEQUENTIAL; i <= MMP_PF_LEAP; i++)
				if (strcmp(v->u.name.id, patterns[i]) == 0)
					return i;
			return def;
		}
		if (v->kind == N_RATE)
			v = v->u.un.operand;
		if (v->kind != N_NUMBER)
			return def;
		bool pages = v->u.num.unit == UNIT_BYTES && strcmp(name, "limit") != 0;
		return pages ? v->u.num.value / MMP_PAGE_SIZE : v->u.num.value;
	}
	return def;
}

static const struct mmp_prefetch_rule *lower_prefetch(struct lowering *lw, const struct mmp_node *rule)
{
	struct mmp_prefetch_rule *r = new_in(lw, sizeof(*r));
	r->pattern = (enum mmp_pf_pattern)setting(rule, "pattern", MMP_PF_SEQUENTIAL);
	r->degree = setting(rule, "degree", 16);
	r->distance = setting(rule, "distance", 1);
	r->window = setting(rule, "window", 8);
	r->limit = setting(rule, "limit", 0);
	if (rule->u.stmt.expr) {
		r->when = lower_calc(lw, rule->u.stmt.expr);
		r->when_loc = rule->u.stmt.expr->loc;
	}
	return r;
}

static const struct mmp_oom_rule *lower_oom(struct lowering *lw, const struct mmp_node *oom)
{
	struct mmp_oom_rule *r = new_in(lw, sizeof(*r));
	for (const struct mmp_node *it = oom->u.stmt.body; it; it = it->next) {
		switch (it->kind) {
		case N_PROTECT: r->protect = test_or(lw, r->protect, lower_test(lw, it->u.stmt.expr)); break;
		case N_PREFER: r->prefer = test_or(lw, r->prefer, lower_test(lw, it->u.stmt.expr)); break;
		case N_AVOID: r->avoid = test_or(lw, r->avoid, lower_test(lw, it->u.stmt.expr)); break;
		case N_SCORE: r->score = lower_calc(lw, it->u.stmt.expr); break;
		case N_KILL: {
			bool group = it->u.stmt.name && strcmp(it->u.stmt.name->u.name.id, "group") == 0;
			r->kill = group ? OOM_KILL_GROUP : OOM_KILL_TASK;
			if (it->u.stmt.expr) {
				struct mmp_trigger *t = new_in(lw, sizeof(*t));
				lower_trigger(lw, t, it->u.stmt.expr);
				r->kill_when = t;
			}
			break;
		}
		default:
			break;
		}
	}
	return r;
}

/* The plan id of the region a checked name refers to, or -1. */
static int region_id(const struct mmp_plan *plan, const struct mmp_node *name)
{
	const struct mmp_node *decl = name ? name->u.name.decl : NULL;
	if (!decl || decl->kind != N_REGION || decl->u.stmt.id >= plan->nregions)
		return -1;
	return (int)decl->u.stmt.id;
}

static void lower_evict(struct lowering *lw, struct mmp_evict_rule *r, unsigned policy, const struct mmp_node *blk)
{
	r->policy = policy;
	r->limit = MMP_EVICT_DEFAULT_LIMIT;
	lower_trigger(lw, &r->when, blk->u.stmt.expr);
	for (const struct mmp_node *it = blk->u.stmt.body; it; it = it->next)
		r->nscores += it->kind == N_SCORE;
	struct mmp_evict_score *sc = new_in(lw, (r->nscores ? r->nscores : 1) * sizeof(*sc));
	unsigned n = 0;
	for (const struct mmp_node *it = blk->u.stmt.body; it; it = it->next) {
		const struct mmp_node *v = it->u.stmt.expr;
		switch (it->kind) {
		case N_SCORE: {
			int id = region_id(lw->plan, it->u.stmt.name);
			if (id < 0)
				break;
			sc[n++] = (struct mmp_evict_score){ (unsigned)id, lower_calc(lw, v) };
			lw->plan->regions[id].evict_scored = true;
			break;
		}
		case N_ACTION:
			r->action = strcmp(v->u.name.id, "drop") == 0	  ? EVICT_DROP :
				    strcmp(v->u.name.id, "pageout") == 0 ? EVICT_PAGEOUT :
									  EVICT_COLD;
			break;
		case N_LIMIT:
			if (v->kind == N_RATE)
				v = v->u.un.operand;
			if (v->kind == N_NUMBER)
				r->limit = (long long)v->u.num.value;
			break;
		case N_SETTING:   /* 'unit' or 'scanners' */
			if (strcmp(it->u.stmt.name->u.name.id, "scanners") == 0)
				r->scanners = lower_test(lw, v);
			else if (v->kind == N_NUMBER)
				r->unit = (long long)v->u.num.value;
			break;
		case N_KEEP:
			if (v->kind == N_NUMBER && v->u.num.unit == UNIT_PERCENT)
				r->keep_pct = (int)v->u.num.value;
			else if (v->kind == N_NUMBER)
				r->keep = (long long)v->u.num.value;
			break;
		default:
			break;
		}
	}
	r->scores = sc;
	r->nscores = n;
}

/* --- the plan ---------------------------------------------------------- */

static uint64_t hash_str(uint64_t h, const char *s)
{
	return mmp_fnv1a(h, s, strlen(s) + 1);
}

int plan_build(struct mmp_plan *plan, const struct mmp_ast *ast, const struct mmp_source *src,
	       struct mmp_arena *arena)
{
	memset(plan, 0, sizeof(*plan));
	struct lowering lw = { arena, src, plan };
	unsigned np = 0, nr = 0, ne = 0;
	for (const struct mmp_node *p = ast->policies; p; p = p->next, np++)
		for (const struct mmp_node *it = p->u.stmt.body; it; it = it->next) {
			nr += it->kind == N_REGION;
			ne += it->kind == N_EVICT;
		}
	plan->policies = calloc(np ? np : 1, sizeof(*plan->policies));
	plan->regions = calloc(nr ? nr : 1, sizeof(*plan->regions));
	plan->evicts = calloc(ne ? ne : 1, sizeof(*plan->evicts));
	if (!plan->policies || !plan->regions || !plan->evicts) {
		plan_free(plan);
		return -ENOMEM;
	}
	uint64_t h = MMP_FNV_OFFSET;
	for (struct mmp_node *p = ast->policies; p; p = p->next) {
		struct mmp_plan_policy *pp = &plan->policies[plan->npolicies];
		pp->id = plan->npolicies++;
		pp->name = p->u.stmt.name->u.name.id;
		pp->first_region = plan->nregions;
		h = hash_str(h, pp->name);
		for (struct mmp_node *it = p->u.stmt.body; it; it = it->next) {
			if (it->kind == N_MATCH && !pp->match) {
				pp->match = lower_test(&lw, it->u.stmt.expr);
			} else if (it->kind == N_OOM && !pp->oom) {
				pp->oom = lower_oom(&lw, it);
			} else if (it->kind == N_REGION) {
				struct mmp_plan_region *r = &plan->regions[plan->nregions];
				r->id = plan->nregions++;
				r->policy = pp->id;
				r->name = it->u.stmt.name->u.name.id;
				r->select = lower_test(&lw, it->u.stmt.expr);
				r->may_be_file = may_be_file(r->select);
				it->u.stmt.id = r->id;
				h = hash_str(h, r->name);
			}
		}
		pp->nregions = plan->nregions - pp->first_region;
		/* Rules, resolved by the checker to their regions' declarations:
		 * one rule object for all the regions a statement names. */
		for (struct mmp_node *it = p->u.stmt.body; it; it = it->next) {
			if (it->kind == N_EVICT) {
				lower_evict(&lw, &plan->evicts[plan->nevicts++], pp->id, it);
				continue;
			}
			if (it->kind != N_PAGESIZE && it->kind != N_PREFETCH)
				continue;
			const struct mmp_pagesize_rule *ps = it->kind == N_PAGESIZE ? lower_pagesize(&lw, it) : NULL;
			const struct mmp_prefetch_rule *pf = it->kind == N_PREFETCH ? lower_prefetch(&lw, it) : NULL;
			for (struct mmp_node *t = it->u.stmt.targets; t; t = t->next) {
				int id = region_id(plan, t);
				if (id < 0)
					continue;
				struct mmp_plan_region *r = &plan->regions[id];
				if (ps && !r->pagesize)
					r->pagesize = ps;
				else if (pf && !r->prefetch)
					r->prefetch = pf;
			}
		}
		for (unsigned i = pp->first_region; i < plan->nregions; i++) {
			unsigned char bits = (plan->regions[i].pagesize ? 1 : 0) | (plan->regions[i].prefetch ? 2 : 0);
			h = mmp_fnv1a(h, &bits, 1);
		}
	}
	plan->layout_hash = h;
	return 0;
}

void plan_free(struct mmp_plan *plan)
{
	free(plan->policies);
	free(plan->regions);
	free(plan->evicts);
	memset(plan, 0, sizeof(*plan));
}
