/* sema.c - checks a parsed policy file statement by statement.
 *
 * Each policy gets a table of its regions; rules are checked against it,
 * then the table is used for the warnings that need the whole policy
 * (unused regions, overlapping regions under rules of the same kind).
 */
#include "sema.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/mmp_shared.h"   /* MMP_PAGE_SIZE */
#include "overlap.h"
#include "plan.h"
#include "stats.h"
#include "types.h"

const int64_t sema_page_sizes[] = {
	4 << 10, 16 << 10, 32 << 10, 64 << 10, 128 << 10, 256 << 10, 512 << 10, 1 << 20, 2 << 20,
};
const unsigned sema_n_page_sizes = sizeof(sema_page_sizes) / sizeof(sema_page_sizes[0]);

enum rule_kind { RULE_PAGESIZE, RULE_PREFETCH, RULE_EVICT, RULE_KINDS };
static const char *const rule_names[RULE_KINDS] = { "pagesize", "prefetch", "evict" };

struct region {
	struct mmp_node *decl;      /* N_REGION */
	const char *name;
	bool ok;                    /* selector checked without error */
	bool used;
	bool may_anon, may_file;    /* what memory the selector can cover */
	struct mmp_node *rule[RULE_KINDS];   /* first rule of each kind naming it (evict: per block) */
	struct formula_anchor anchor;
	unsigned overlaps;          /* regions before it that it may overlap, in one check */
};

/* A process is governed by the first policy that matches it: a policy
 * whose every process an earlier one matches governs none. Checked
 * against each earlier policy among a file's first SHADOW_PAIRS_MAX (a
 * file of more is generated, and the check is quadratic), and against an
 * earlier 'match all' in any file. */
#define SHADOW_PAIRS_MAX 256

struct sema {
	struct mmp_diag *d;
	struct mmp_arena *a;
	struct mmp_node *policy;
	struct region *regions;
	size_t nregions, cap;
	size_t *index;              /* open addressing over interned names: region index + 1 */
	size_t index_cap;
	struct formula_pool *pool;
	unsigned unresolved;        /* region names in this policy that named nothing */
	struct mmp_node *evict_unit; /* the file's first 'unit' in an evict block */
	int64_t evict_unit_bytes;
	struct mmp_node *evict_scanners;   /* the file's first 'scanners' */
	/* The policies before this one, with their 'match', that another may
	 * be hidden by (check_shadowed). */
	struct mmp_node *earlier[SHADOW_PAIRS_MAX];
	const struct mmp_node *earlier_match[SHADOW_PAIRS_MAX];
	size_t nearlier;
	struct mmp_node *match_all;        /* the first policy of 'match all' */
};

/* --- the region table -------------------------------------------------- */

static size_t name_slot(const struct sema *s, const char *name)
{
	uintptr_t h = (uintptr_t)name;
	h ^= h >> 17;
	h *= 0x9e3779b97f4a7c15ULL;
	return (size_t)(h >> 7) & (s->index_cap - 1);
}

static struct region *region_find(struct sema *s, const char *name)
{
	if (!s->index_cap)
		return NULL;
	for (size_t i = name_slot(s, name);; i = (i + 1) & (s->index_cap - 1)) {
		if (!s->index[i])
			return NULL;
		if (s->regions[s->index[i] - 1].name == name)
			return &s->regions[s->index[i] - 1];
	}
}

static void index_insert(struct sema *s, size_t idx)
{
	size_t i = name_slot(s, s->regions[idx].name);
	while (s->index[i])
		i = (i + 1) & (s->index_cap - 1);
	s->index[i] = idx + 1;
}

static struct region *region_add(struct sema *s, struct mmp_node *decl)
{
	if (s->nregions == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		struct region *r = realloc(s->regions, s->cap * sizeof(*r));
		if (!r)
			abort();
		s->regions = r;
	}
	if (2 * (s->nregions + 1) > s->index_cap) {
		free(s->index);
		s->index_cap = s->index_cap ? s->index_cap * 2 : 64;
		s->index = calloc(s->index_cap, sizeof(*s->index));
		if (!s->index)
			abort();
		for (size_t i = 0; i < s->nregions; i++)
			index_insert(s, i);
	}
	struct region *r = &s->regions[s->nregions];
	memset(r, 0, sizeof(*r));
	r->decl = decl;
	r->name = decl->u.stmt.name->u.name.id;
	index_insert(s, s->nregions++);
	return r;
}

static void region_table_reset(struct sema *s)
{
	s->nregions = 0;
	if (s->index)
		memset(s->index, 0, s->index_cap * sizeof(*s->index));
}

/* "unknown region 'idx'; did you mean 'index'?" and the list of regions. */
static struct region *resolve_region(struct sema *s, struct mmp_node *name)
{
	struct region *r = region_find(s, name->u.name.id);
	if (r) {
		name->u.name.decl = r->decl;
		r->used = true;
		return r;
	}
	s->unresolved++;
	const char *best = NULL;
	unsigned best_d = 3;
	for (size_t i = 0; i < s->nregions; i++) {
		unsigned dist = name_distance(name->u.name.id, s->regions[i].name);
		if (dist < best_d) {
			best_d = dist;
			best = s->regions[i].name;
		}
	}
	if (best)
		diag_error(s->d, name->loc, "unknown region '%s'; did you mean '%s'?", name->u.name.id, best);
	else
		diag_error(s->d, name->loc, "unknown region '%s'", name->u.name.id);
	if (s->nregions == 0) {
		diag_note(s->d, s->policy->u.stmt.name->loc, "policy '%s' declares no regions; add 'region NAME = ...;'",
			  s->policy->u.stmt.name->u.name.id);
		return NULL;
	}
	char list[256];
	size_t used = 0, shown = 0;
	for (size_t i = 0; i < s->nregions && shown < 8; i++, shown++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", s->regions[i].name);
	if (s->nregions > shown && used < sizeof(list))
		snprintf(list + used, sizeof(list) - used, " and %zu more", s->nregions - shown);
	diag_note(s->d, s->policy->u.stmt.name->loc, "regions declared in this policy: %s", list);
	return NULL;
}

/* --- declarations ------------------------------------------------------ */

/* Which kinds of memory a selector can cover, for the 'drop' check. */
static void memory_classes(const struct mmp_node *e, bool neg, bool *anon, bool *file)
{
	switch (e->kind) {
	case N_ANON:
		*anon |= !neg;
		*file |= neg;
		break;
	case N_FILE:
		*file |= !neg;
		*anon |= neg;
		break;
	case N_MAPPING:
		if (e->u.str.s[0] == '[')
			*anon |= !neg, *file |= neg;
		else
			*file |= !neg, *anon |= neg;
		break;
	case N_UNARY:
		memory_classes(e->u.un.operand, !neg, anon, file);
		break;
	case N_BINARY:
		if (e->u.bin.op == OP_AND && !neg) {
			bool la = false, lf = false, ra = false, rf = false;
			memory_classes(e->u.bin.lhs, neg, &la, &lf);
			memory_classes(e->u.bin.rhs, neg, &ra, &rf);
			*anon |= la && ra;
			*file |= lf && rf;
		} else if (e->u.bin.op == OP_OR || e->u.bin.op == OP_AND) {
			memory_classes(e->u.bin.lhs, neg, anon, file);
			memory_classes(e->u.bin.rhs, neg, anon, file);
		} else {
			*anon = *file = true;   /* a size comparison: either */
		}
		break;
	default:
		*anon = *file = true;
		break;
	}
}

static void check_region(struct sema *s, struct region *r)
{
	struct mmp_node *sel = r->decl->u.stmt.expr;
	if (!expr_check_cond(s->d, s->a, sel, PLACE_SELECTOR, "a region selector"))
		return;
	r->ok = true;
	if (!formula_satisfiable(s->pool, sel)) {
		diag_warning(s->d, sel->loc, "region '%s' can never match any memory", r->name);
		return;
	}
	memory_classes(sel, false, &r->may_anon, &r->may_file);
	formula_anchor(sel, &r->anchor);
}

/* --- statistics that only some rules have ------------------------------ */

/* The first use of statistic ID in E, or NULL. */
static const struct mmp_node *stat_used(const struct mmp_node *e, enum stat_id id)
{
	if (!e)
		return NULL;
	switch (e->kind) {
	case N_NAME:
		return e->u.name.stat && e->u.name.stat->id == id ? e : NULL;
	case N_BINARY:
	case N_FOR: {
		const struct mmp_node *n = stat_used(e->u.bin.lhs, id);
		return n ? n : stat_used(e->u.bin.rhs, id);
	}
	case N_UNARY:
	case N_RATE:
		return stat_used(e->u.un.operand, id);
	default:
		return NULL;
	}
}

/* 'scan_faults' is counted for the files of an evict block that names its
 * scanners; a 'when' of pagesize or prefetch has none. */
static void refuse_scan_faults(struct sema *s, const struct mmp_node *e, const char *where)
{
	const struct mmp_node *n = stat_used(e, STAT_R_SCAN_FAULTS);
	if (!n)
		return;
	diag_error(s->d, n->loc, "'scan_faults' counts a file's reads by an evict block's scanners, and %s has none",
		   where);
	diag_hint(s->d, "use it in an evict block's score, with 'scanners comm \"NAME\";' in the block");
}

/* Do matchers A and B say the same, as written? */
static bool same_matcher(const struct mmp_node *a, const struct mmp_node *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case N_COMM:
		return strcmp(a->u.str.s, b->u.str.s) == 0;
	case N_BINARY:
		return a->u.bin.op == b->u.bin.op && same_matcher(a->u.bin.lhs, b->u.bin.lhs) &&
		       same_matcher(a->u.bin.rhs, b->u.bin.rhs);
	case N_UNARY:
		return a->u.un.op == b->u.un.op && same_matcher(a->u.un.operand, b->u.un.operand);
	default:
		return false;
	}
}

/* Scanners are threads, named by their own comm: a process's other
 * attributes are its threads' too. */
static bool comm_only(const struct mmp_node *e)
{
	switch (e->kind) {
	case N_COMM:
		return true;
	case N_BINARY:
		return (e->u.bin.op == OP_AND || e->u.bin.op == OP_OR) && comm_only(e->u.bin.lhs) &&
		       comm_only(e->u.bin.rhs);
	case N_UNARY:
		return e->u.un.op == OP_NOT && comm_only(e->u.un.operand);
	default:
		return false;
	}
}

/* --- pagesize ---------------------------------------------------------- */

/* 'pagesize a, a' names a region twice. */
static bool named_before(struct sema *s, struct mmp_node *rule, struct mmp_node *t)
{
	for (struct mmp_node *u = rule->u.stmt.targets; u != t; u = u->next) {
		if (u->u.name.id == t->u.name.id) {
			diag_error(s->d, t->loc, "region '%s' is named twice in this rule", t->u.name.id);
			return true;
		}
	}
	return false;
}

/* Resolves the regions a rule names; a region takes one rule of a kind. */
static void bind_targets(struct sema *s, struct mmp_node *rule, enum rule_kind kind, const char *what)
{
	for (struct mmp_node *t = rule->u.stmt.targets; t; t = t->next) {
		if (named_before(s, rule, t))
			continue;
		struct region *r = resolve_region(s, t);
		if (!r)
			continue;
		if (r->rule[kind]) {
			diag_error(s->d, t->loc, "region '%s' already has %s", r->name, what);
			diag_note(s->d, r->rule[kind]->loc, "the first one is here");
		} else {
			r->rule[kind] = rule;
		}
	}
}

/* 'ahead SIZE': 2M pages from the first touch, prepared up to SIZE ahead
 * of the fault frontier: the profile must value 2M most (that its regions
 * can hold anonymous memory, check_pagesize says). SEEN: the profile's
 * entries by size. */
static void check_ahead(struct sema *s, struct mmp_node *rule, struct mmp_node *ahead, struct mmp_node *const *seen)
{
	int64_t lead;
	if (expr_const(s->d, s->a, ahead->u.stmt.expr, 1u << UNIT_BYTES, false, "the lead of 'ahead'", &lead)) {
		if (lead < MMP_AHEAD_MIN || lead > MMP_AHEAD_MAX || lead % (2LL << 20)) {
			diag_error(s->d, ahead->u.stmt.expr->loc,
				   "the lead of 'ahead' is a multiple of 2M from 8M to 1G (at least four chunks: "
				   "the runtime is told the frontier every half lead)");
			diag_hint(s->d, "try 'ahead 64M;'");
		}
	}
	int64_t best = -1, best_size = 0;
	for (unsigned k = 0; k < sema_n_page_sizes; k++) {
		if (!seen[k] || seen[k]->u.bin.rhs->kind != N_NUMBER)
			continue;
		int64_t b = (int64_t)seen[k]->u.bin.rhs->u.num.value;
		if (b > best || (b == best && sema_page_sizes[k] > best_size))
			best = b, best_size = sema_page_sizes[k];
	}
	if (best_size != (2LL << 20) || best <= 0)
		diag_error(s->d, ahead->loc, "'ahead' prepares 2M pages, and this profile %s",
			   best <= 0 ? "gives 2M no benefit" : "values another size most");
}

static void check_pagesize(struct sema *s, struct mmp_node *rule)
{
	bind_targets(s, rule, RULE_PAGESIZE, "a page-size profile");
	/* The runtime collapses anonymous memory only: a file's pages are the
	 * page cache's, as the kernel made them. */
	for (struct mmp_node *t = rule->u.stmt.targets; t; t = t->next) {
		struct region *r = t->u.name.decl ? region_find(s, t->u.name.id) : NULL;
		if (r && r->ok && !r->may_anon)
			diag_error(s->d, t->loc, "page sizes apply to anonymous memory, and region '%s' holds only file "
				   "mappings, whose pages come from the page cache as the kernel makes them", r->name);
	}
	struct mmp_node *seen[16] = { 0 };
	bool any_benefit = false, all_ok = true;
	if (!rule->u.stmt.body) {
		diag_error(s->d, rule->loc, "an empty page-size profile has no effect");
		diag_hint(s->d, "list page sizes with their benefit from 0 to 100, as in { 4K: 0; 2M: 100; }");
	}
	struct mmp_node *ahead = NULL;
	for (struct mmp_node *e = rule->u.stmt.body; e; e = e->next) {
		if (e->kind == N_SETTING) {
			if (ahead) {
				diag_error(s->d, e->loc, "'ahead' is already given in this profile");
				diag_note(s->d, ahead->loc, "first given here");
			} else {
				ahead = e;
			}
			continue;
		}
		int64_t size, benefit;
		bool size_ok = expr_const(s->d, s->a, e->u.bin.lhs, 1u << UNIT_BYTES, false, "a page size", &size);
		bool benefit_ok = expr_const(s->d, s->a, e->u.bin.rhs, 1u << UNIT_NONE | 1u << UNIT_PERCENT, false,
					     "a benefit", &benefit);
		if (benefit_ok && (benefit < 0 || benefit > 100)) {
			diag_error(s->d, e->u.bin.rhs->loc, "a benefit is from 0 to 100, not %lld", (long long)benefit);
			benefit_ok = false;
		}
		all_ok &= size_ok && benefit_ok;
		if (!size_ok)
			continue;
		unsigned k;
		for (k = 0; k < sema_n_page_sizes; k++)
			if (sema_page_sizes[k] == size)
				break;
		if (k == sema_n_page_sizes) {
			char buf[32];
			unit_format(buf, sizeof(buf), size, UNIT_BYTES);
			diag_error(s->d, e->u.bin.lhs->loc, "unsupported page size %s", buf);
			diag_hint(s->d, "page sizes are 4K, 16K, 32K, 64K, 128K, 256K, 512K, 1M and 2M");
			all_ok = false;
			continue;
		}
		if (seen[k]) {
			diag_error(s->d, e->u.bin.lhs->loc, "this page size is already in the profile");
			diag_note(s->d, seen[k]->loc, "first given here");
			continue;
		}
		seen[k] = e;
		any_benefit |= benefit_ok && benefit > 0;
	}
	if (all_ok && rule->u.stmt.body && !any_benefit)
		diag_warning(s->d, rule->loc, "every benefit in this profile is 0, so it never changes a page size");
	if (ahead)
		check_ahead(s, rule, ahead, seen);
	if (rule->u.stmt.expr && expr_check_cond(s->d, s->a, rule->u.stmt.expr, PLACE_REGION, "the 'when' condition"))
		refuse_scan_faults(s, rule->u.stmt.expr, "a pagesize rule");
}

/* --- prefetch ---------------------------------------------------------- */

enum setting_id { SET_PATTERN, SET_DEGREE, SET_DISTANCE, SET_WINDOW, SET_LIMIT, SET_COUNT };

static const struct setting_spec {
	const char *name;
	int64_t min, max;   /* in pages for degree and distance */
} settings[SET_COUNT] = {
	[SET_PATTERN] = { "pattern", 0, 0 },
	[SET_DEGREE] = { "degree", 1, 1024 },
	[SET_DISTANCE] = { "distance", 0, 64 },
	[SET_WINDOW] = { "window", 2, 64 },
	[SET_LIMIT] = { "limit", 1, INT64_MAX },
};

static const char *const patterns[] = { "sequential", "stride", "leap" };

/* A comparison that the condition E needs to hold and that asks for 'idle'
 * above a positive constant ('idle > 3s', '1s < idle'), at the top or
 * under 'and'; or NULL. At a fault 'idle' is 0. */
static const struct mmp_node *idle_required(const struct mmp_node *e)
{
	if (e->kind != N_BINARY)
		return NULL;
	enum mmp_op op = e->u.bin.op;
	const struct mmp_node *l = e->u.bin.lhs, *r = e->u.bin.rhs;
	if (op == OP_AND) {
		const struct mmp_node *n = idle_required(l);
		return n ? n : idle_required(r);
	}
	if (op == OP_LT || op == OP_LE) {   /* C < idle is idle > C */
		const struct mmp_node *t = l;
		l = r;
		r = t;
		op = op == OP_LT ? OP_GT : OP_GE;
	}
	bool is_idle = l->kind == N_NAME && l->u.name.stat && l->u.name.stat->id == STAT_R_IDLE;
	bool positive = r->kind == N_NUMBER && (r->u.num.value > 0 || op == OP_GT);
	return (op == OP_GT || op == OP_GE) && is_idle && positive ? e : NULL;
}

static void check_prefetch(struct sema *s, struct mmp_node *rule)
{
	bind_targets(s, rule, RULE_PREFETCH, "a prefetch rule");
	struct mmp_node *seen[SET_COUNT] = { 0 };
	const char *pattern = NULL;
	for (struct mmp_node *st = rule->u.stmt.body; st; st = st->next) {
		const char *name = st->u.stmt.name->u.name.id;
		struct mmp_node *v = st->u.stmt.expr;
		int k;
		for (k = 0; k < SET_COUNT; k++)
			if (strcmp(settings[k].name, name) == 0)
				break;
		if (k == SET_COUNT) {
			const char *best = NULL;
			unsigned best_d = 3;
			for (int j = 0; j < SET_COUNT; j++) {
				unsigned dist = name_distance(name, settings[j].name);
				if (dist < best_d)
					best_d = dist, best = settings[j].name;
			}
			if (best)
				diag_error(s->d, st->u.stmt.name->loc, "unknown prefetch setting '%s'; did you mean '%s'?",
					   name, best);
			else
				diag_error(s->d, st->u.stmt.name->loc, "unknown prefetch setting '%s'", name);
			diag_hint(s->d, "prefetch settings: pattern, degree, distance, window, limit");
			continue;
		}
		if (seen[k]) {
			diag_error(s->d, st->u.stmt.name->loc, "'%s' is already set in this prefetch rule", name);
			diag_note(s->d, seen[k]->loc, "first set here");
			continue;
		}
		seen[k] = st;
		int64_t val;
		switch ((enum setting_id)k) {
		case SET_PATTERN: {
			if (v->kind != N_NAME) {
				diag_error(s->d, v->loc, "a pattern is one of sequential, stride or leap");
				break;
			}
			for (size_t j = 0; j < sizeof(patterns) / sizeof(patterns[0]); j++)
				if (strcmp(patterns[j], v->u.name.id) == 0)
					pattern = patterns[j];
			if (!pattern)
				diag_error(s->d, v->loc, "unknown pattern '%s'; expected sequential, stride or leap",
					   v->u.name.id);
			break;
		}
		case SET_LIMIT:
			if (expr_const(s->d, s->a, v, 1u << UNIT_BYTES, true, "a prefetch limit", &val) && val <= 0)
				diag_error(s->d, v->loc, "a prefetch limit must be above 0");
			break;
		default: {
			unsigned units = 1u << UNIT_NONE;
			if (k == SET_DEGREE)
				units |= 1u << UNIT_BYTES;   /* degree 64K means 16 pages */
			char what[48];
			snprintf(what, sizeof(what), "'%s'", name);
			struct mmp_type t = expr_check(s->d, s->a, v, PLACE_VALUE);
			if (t.kind == T_ERROR || !expr_const(s->d, s->a, v, units, false, what, &val))
				break;
			if (t.unit == UNIT_BYTES) {
				if (val % MMP_PAGE_SIZE) {
					diag_error(s->d, v->loc, "%s in bytes must be a multiple of the 4K page size", what);
					break;
				}
				val /= MMP_PAGE_SIZE;
			}
			if (val < settings[k].min || val > settings[k].max)
				diag_error(s->d, v->loc, "%s must be from %lld to %lld%s", what, (long long)settings[k].min,
					   (long long)settings[k].max,
					   k == SET_DEGREE ? " pages" : k == SET_DISTANCE ? " predictions ahead" : " faults");
			break;
		}
		}
	}
	if (!seen[SET_PATTERN]) {
		diag_error(s->d, rule->loc, "a prefetch rule needs a pattern");
		diag_hint(s->d, "add 'pattern sequential;', 'pattern stride;' or 'pattern leap;'");
	}
	if (pattern && strcmp(pattern, "sequential") == 0 && seen[SET_WINDOW])
		diag_warning(s->d, seen[SET_WINDOW]->loc, "'window' has no effect with pattern sequential");
	if (rule->u.stmt.expr && expr_check_cond(s->d, s->a, rule->u.stmt.expr, PLACE_REGION, "the 'when' condition")) {
		refuse_scan_faults(s, rule->u.stmt.expr, "a prefetch rule");
		const struct mmp_node *idle = idle_required(rule->u.stmt.expr);
		if (idle) {
			diag_warning(s->d, idle->loc, "a prefetch rule's 'when' is evaluated at each fault, where 'idle' "
				     "is 0: this condition never holds");
			diag_hint(s->d, "'idle' suits 'pagesize' and 'evict' rules, which are evaluated on a timer too");
		}
	}
}

/* --- evict ------------------------------------------------------------- */

static struct mmp_node *first_dup(struct sema *s, struct mmp_node **slot, struct mmp_node *st, const char *what)
{
	if (*slot) {
		diag_error(s->d, st->loc, "this evict block already has %s", what);
		diag_note(s->d, (*slot)->loc, "the first one is here");
		return NULL;
	}
	*slot = st;
	return st;
}

static void check_evict(struct sema *s, struct mmp_node *rule)
{
	expr_check_cond(s->d, s->a, rule->u.stmt.expr, PLACE_TRIGGER, "the trigger");
	struct mmp_node *action = NULL, *limit = NULL, *keep = NULL, *unit = NULL, *scanners = NULL;
	struct mmp_node *first_score = NULL;
	struct mmp_type first_type = { 0 };
	const char *action_name = "cold";
	/* Per block: the region scored twice is an error. */
	for (size_t i = 0; i < s->nregions; i++)
		s->regions[i].rule[RULE_EVICT] = NULL;

	for (struct mmp_node *st = rule->u.stmt.body; st; st = st->next) {
		int64_t v;
		switch (st->kind) {
		case N_SCORE: {
			struct region *r = resolve_region(s, st->u.stmt.name);
			if (r) {
				if (r->rule[RULE_EVICT]) {
					diag_error(s->d, st->u.stmt.name->loc, "region '%s' already has a score in this block",
						   r->name);
					diag_note(s->d, r->rule[RULE_EVICT]->loc, "the first one is here");
				} else {
					r->rule[RULE_EVICT] = st;
				}
			}
			struct mmp_type t = expr_check(s->d, s->a, st->u.stmt.expr, PLACE_REGION);
			if (t.kind == T_BOOL) {
				diag_error(s->d, st->u.stmt.expr->loc, "a score must be a number, not a condition");
				break;
			}
			if (t.kind != T_NUM)
				break;
			if (!first_score) {
				first_score = st;
				first_type = t;
			} else if (t.unit != first_type.unit || t.rate != first_type.rate) {
				diag_error(s->d, st->u.stmt.expr->loc,
					   "scores in one evict block must have the same unit to be compared: this is %s",
					   t.rate ? "a rate" : unit_name(t.unit));
				diag_note(s->d, first_score->u.stmt.expr->loc, "and this is %s",
					  first_type.rate ? "a rate" : unit_name(first_type.unit));
			}
			break;
		}
		case N_ACTION: {
			if (!first_dup(s, &action, st, "an action"))
				break;
			struct mmp_node *v = st->u.stmt.expr;
			if (v->kind == N_NAME && (strcmp(v->u.name.id, "cold") == 0 || strcmp(v->u.name.id, "pageout") == 0 ||
						  strcmp(v->u.name.id, "drop") == 0)) {
				action_name = v->u.name.id;
			} else {
				if (v->kind == N_NAME)
					diag_error(s->d, v->loc, "unknown action '%s'; expected cold, pageout or drop", v->u.name.id);
				else
					diag_error(s->d, v->loc, "unknown action; expected cold, pageout or drop");
				diag_hint(s->d, "cold: reclaim first under pressure; pageout: reclaim now; drop: discard "
						"clean file pages from the page cache");
				action = NULL;
			}
			break;
		}
		case N_LIMIT:
			if (first_dup(s, &limit, st, "a limit") &&
			    expr_const(s->d, s->a, st->u.stmt.expr, 1u << UNIT_BYTES, true, "an eviction limit", &v) && v <= 0)
				diag_error(s->d, st->u.stmt.expr->loc, "an eviction limit must be above 0");
			break;
		case N_KEEP:
			if (first_dup(s, &keep, st, "a 'protect top'") &&
			    expr_const(s->d, s->a, st->u.stmt.expr, 1u << UNIT_BYTES | 1u << UNIT_PERCENT, false,
				       "'protect top'", &v) && (v <= 0 || (st->u.stmt.expr->u.num.unit == UNIT_PERCENT && v > 100)))
				diag_error(s->d, st->u.stmt.expr->loc, "'protect top' takes a size above 0 or a percentage "
								      "from 1%% to 100%%");
			else if (st->u.stmt.expr->kind == N_NUMBER && st->u.stmt.expr->u.num.unit == UNIT_PERCENT &&
				 st->u.stmt.expr->u.num.value == 100)
				diag_warning(s->d, st->u.stmt.expr->loc, "'protect top 100%%' protects everything, so this "
									 "block evicts nothing");
			break;
		case N_SETTING:
			if (strcmp(st->u.stmt.name->u.name.id, "scanners") == 0) {
				if (!first_dup(s, &scanners, st, "'scanners'") ||
				    !expr_check_cond(s->d, s->a, st->u.stmt.expr, PLACE_MATCHER, "'scanners'"))
					break;
				if (!comm_only(st->u.stmt.expr)) {
					diag_error(s->d, st->u.stmt.expr->loc, "'scanners' names threads by their name: "
						   "comm \"glob\", with and, or, not");
					diag_hint(s->d, "a thread's name is its own comm (/proc/PID/task/TID/comm), set "
							"with pthread_setname_np or prctl(PR_SET_NAME)");
				} else if (!s->evict_scanners) {
					s->evict_scanners = st;
				} else if (!same_matcher(s->evict_scanners->u.stmt.expr, st->u.stmt.expr)) {
					/* BPF counts one scan_faults a file or piece. */
					diag_error(s->d, st->u.stmt.expr->loc, "every evict block that names scanners names "
						   "the same ones: a file's scan_faults is one count");
					diag_note(s->d, s->evict_scanners->u.stmt.expr->loc, "the first one is here");
				}
				break;
			}
			if (strcmp(st->u.stmt.name->u.name.id, "unit") != 0) {
				diag_error(s->d, st->u.stmt.name->loc, "unknown evict item '%s'; expected score, action, limit, "
					   "protect top, unit or scanners", st->u.stmt.name->u.name.id);
				break;
			}
			if (!first_dup(s, &unit, st, "a unit") ||
			    !expr_const(s->d, s->a, st->u.stmt.expr, 1u << UNIT_BYTES, false, "an eviction unit", &v))
				break;
			/* BPF finds a page's piece with a shift; 4K is the page. */
			if (v < 4096 || v > (1LL << 30) || (v & (v - 1))) {
				diag_error(s->d, st->u.stmt.expr->loc, "an eviction unit is a power of two from 4K to 1G");
				break;
			}
			if (!s->evict_unit) {
				s->evict_unit = st;
				s->evict_unit_bytes = v;
			} else if (s->evict_unit_bytes != v) {
				/* BPF counts one size of piece. */
				diag_error(s->d, st->u.stmt.expr->loc, "every evict block of a file that sets a unit sets the "
					   "same one");
				diag_note(s->d, s->evict_unit->u.stmt.expr->loc, "the first one is here");
			}
			break;
		default:
			break;
		}
	}
	if (unit) {
		/* Pieces of files are what 'drop' reaches: cold and pageout act
		 * on a process's mappings, and rates need a file's history. */
		if (strcmp(action_name, "drop") != 0) {
			diag_error(s->d, unit->loc, "'unit' divides files for 'action drop', and this block's action is %s",
				   action_name);
			diag_hint(s->d, "cold and pageout act on whole mappings; add 'action drop;'");
		}
		if (first_score && first_type.rate)
			diag_error(s->d, first_score->u.stmt.expr->loc, "with 'unit', scores cannot be rates (per second): "
				   "mmp keeps a piece's counts, not their history");
	}
	/* scan_faults: counted for files, where the block names its scanners. */
	bool scan_used = false;
	for (struct mmp_node *st = rule->u.stmt.body; st; st = st->next) {
		const struct mmp_node *n = st->kind == N_SCORE ? stat_used(st->u.stmt.expr, STAT_R_SCAN_FAULTS) : NULL;
		if (!n)
			continue;
		scan_used = true;
		struct region *r = st->u.stmt.name->u.name.decl ? region_find(s, st->u.stmt.name->u.name.id) : NULL;
		if (!scanners) {
			diag_error(s->d, n->loc, "'scan_faults' counts reads by this block's scanners, and it names none");
			diag_hint(s->d, "add 'scanners comm \"NAME\";' for the threads whose reads are scans");
		} else if (r && r->ok && !r->may_file) {
			diag_error(s->d, n->loc, "'scan_faults' is counted for files, and region '%s' is anonymous memory",
				   r->name);
		}
	}
	if (scanners && !scan_used)
		diag_warning(s->d, scanners->loc, "no score of this block uses 'scan_faults', which its 'scanners' are "
			     "for");
	if (!first_score && !rule->u.stmt.body) {
		diag_error(s->d, rule->loc, "an evict block needs at least one 'score REGION = EXPR;'");
	} else if (!first_score) {
		bool any = false;
		for (struct mmp_node *st = rule->u.stmt.body; st; st = st->next)
			any |= st->kind == N_SCORE;
		if (!any)
			diag_error(s->d, rule->loc, "an evict block needs at least one 'score REGION = EXPR;'");
	}
	/* drop discards page cache: it cannot touch anonymous memory. */
	if (strcmp(action_name, "drop") == 0) {
		for (struct mmp_node *st = rule->u.stmt.body; st; st = st->next) {
			if (st->kind != N_SCORE || !st->u.stmt.name->u.name.decl)
				continue;
			struct region *r = region_find(s, st->u.stmt.name->u.name.id);
			if (!r->ok)
				continue;
			if (!r->may_file) {
				diag_error(s->d, st->u.stmt.name->loc,
					   "'drop' discards file pages, and region '%s' is anonymous memory", r->name);
				diag_note(s->d, action->loc, "the action is set here; use 'cold' or 'pageout' for anonymous memory");
			} else if (r->may_anon) {
				diag_warning(s->d, st->u.stmt.name->loc,
					     "'drop' discards only file pages; anonymous memory in region '%s' is left alone",
					     r->name);
			}
		}
	}
}

/* --- oom --------------------------------------------------------------- */

static void check_oom(struct sema *s, struct mmp_node *rule)
{
	struct mmp_node *score = NULL, *kill = NULL;
	for (struct mmp_node *st = rule->u.stmt.body; st; st = st->next) {
		switch (st->kind) {
		case N_PROTECT: case N_PREFER: case N_AVOID: {
			char what[32];
			snprintf(what, sizeof(what), "'%s'", ast_kind_name(st->kind));
			expr_check_cond(s->d, s->a, st->u.stmt.expr, PLACE_MATCHER, what);
			/* Any user can name a process sshd: protection resting on
			 * the name alone can be claimed by anyone. */
			if (st->kind == N_PROTECT && formula_kinds(st->u.stmt.expr) == 1u << N_COMM) {
				diag_warning(s->d, st->u.stmt.expr->loc, "'protect' rests on process names alone, which any "
					     "user can give a process");
				diag_hint(s->d, "add what a user cannot choose: an 'exe' path, a 'uid' or a 'cgroup' "
					  "(protect exe \"/usr/sbin/sshd\")");
			}
			break;
		}
		case N_SCORE: {
			if (score) {
				diag_error(s->d, st->loc, "this oom block already has a score");
				diag_note(s->d, score->loc, "the first one is here");
				break;
			}
			score = st;
			struct mmp_type t = expr_check(s->d, s->a, st->u.stmt.expr, PLACE_TASK);
			if (t.kind == T_BOOL)
				diag_error(s->d, st->u.stmt.expr->loc, "an oom score must be a number, not a condition");
			break;
		}
		case N_KILL: {
			if (kill) {
				diag_error(s->d, st->loc, "this oom block already has a kill rule");
				diag_note(s->d, kill->loc, "the first one is here");
				break;
			}
			kill = st;
			const char *mode = st->u.stmt.name->u.name.id;
			if (strcmp(mode, "task") != 0 && strcmp(mode, "group") != 0) {
				diag_error(s->d, st->u.stmt.name->loc, "unknown kill mode '%s'; expected task or group", mode);
				diag_hint(s->d, "task: kill the chosen process; group: kill every process of its cgroup");
			}
			if (st->u.stmt.expr)
				expr_check_cond(s->d, s->a, st->u.stmt.expr, PLACE_TRIGGER, "the trigger");
			else if (strcmp(mode, "group") == 0) {
				/* The kernel kills a whole cgroup on OOM only with
				 * memory.oom.group, which mmp does not set. */
				diag_error(s->d, st->loc, "'kill group' without 'when' needs memory.oom.group, which mmp does "
					   "not set");
				diag_hint(s->d, "give it a trigger ('kill group when pressure full > 20%% for 5s') to kill the "
					  "group ahead of the OOM killer");
			}
			break;
		}
		default:
			break;
		}
	}
	if (!rule->u.stmt.body) {
		diag_warning(s->d, rule->loc, "an empty oom block has no effect");
		return;
	}
	/* A process both protected and preferred is protected: say so, when the
	 * two test the same attribute (comm against comm); across attributes
	 * (a comm and a cgroup) an overlap is possible but says nothing. */
	for (struct mmp_node *p = rule->u.stmt.body; p; p = p->next) {
		if (p->kind != N_PROTECT && p->kind != N_PREFER && p->kind != N_AVOID)
			continue;
		for (struct mmp_node *q = p->next; q; q = q->next) {
			if (q->kind != N_PROTECT && q->kind != N_PREFER && q->kind != N_AVOID)
				continue;
			/* protect and avoid agree (both keep a process); prefer pulls the other way. */
			bool clash = (p->kind == N_PREFER) != (q->kind == N_PREFER);
			unsigned kp = formula_kinds(p->u.stmt.expr), kq = formula_kinds(q->u.stmt.expr);
			if (!clash || kp != kq || (kp & (kp - 1)) ||
			    !formulas_may_overlap(s->pool, p->u.stmt.expr, q->u.stmt.expr))
				continue;
			bool protect = p->kind == N_PROTECT || q->kind == N_PROTECT;
			diag_warning(s->d, q->u.stmt.expr->loc, "a process can match both '%s' and '%s'%s",
				     ast_kind_name(p->kind), ast_kind_name(q->kind),
				     protect ? "; 'protect' wins" : "; 'prefer' and 'avoid' cancel out");
			diag_note(s->d, p->u.stmt.expr->loc, "the '%s' is here", ast_kind_name(p->kind));
		}
	}
}

/* --- overlapping regions ----------------------------------------------- */

static void warn_overlap(struct sema *s, struct region *a, struct region *b, enum rule_kind k)
{
	if (a > b) {
		struct region *t = a;
		a = b;
		b = t;
	}
	/* One rule naming both regions gives both the same treatment. */
	if (k != RULE_EVICT && a->rule[k] == b->rule[k])
		return;
	/* Anonymous memory and file memory never meet; the classes over-approximate,
	 * so this only skips pairs the full analysis would also clear. */
	if (!(a->may_anon && b->may_anon) && !(a->may_file && b->may_file))
		return;
	if (!formulas_may_overlap(s->pool, a->decl->u.stmt.expr, b->decl->u.stmt.expr))
		return;
	if (b->overlaps++ > 0)
		return;   /* one warning a region; check_overlaps counts the rest */
	if (k == RULE_EVICT)
		diag_warning(s->d, b->decl->u.stmt.name->loc,
			     "regions '%s' and '%s' may overlap, and both are scored in one evict block; where they "
			     "do, the score of '%s' applies", a->name, b->name, a->name);
	else
		diag_warning(s->d, b->decl->u.stmt.name->loc,
			     "regions '%s' and '%s' may overlap, and both have a %s rule; where they do, '%s' applies",
			     a->name, b->name, rule_names[k], a->name);
	diag_note(s->d, a->decl->u.stmt.name->loc, "'%s' is declared here", a->name);
}

static int by_anchor_prefix(const void *x, const void *y)
{
	const struct region *a = *(struct region *const *)x, *b = *(struct region *const *)y;
	size_t n = a->anchor.len < b->anchor.len ? a->anchor.len : b->anchor.len;
	int c = memcmp(a->anchor.prefix, b->anchor.prefix, n);
	if (c)
		return c;
	if (a->anchor.len != b->anchor.len)
		return a->anchor.len < b->anchor.len ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* Does B's fixed beginning start with A's? */
static bool prefix_covers(const struct region *a, const struct region *b)
{
	return a->anchor.len <= b->anchor.len && memcmp(a->anchor.prefix, b->anchor.prefix, a->anchor.len) == 0;
}

static int by_anchor_start(const void *x, const void *y)
{
	const struct region *a = *(struct region *const *)x, *b = *(struct region *const *)y;
	if (a->anchor.start != b->anchor.start)
		return a->anchor.start < b->anchor.start ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* Pairs of regions that share a rule kind. Two path patterns can meet only
 * if one's fixed beginning starts the other's: sorted, those pairs sit next
 * to each other. Ranges are swept in order; only selectors without an anchor
 * are compared with everything. Near-linear for the policies people write,
 * and no pair that can overlap is skipped. */
static void check_overlaps(struct sema *s, enum rule_kind k, struct region **with, size_t n)
{
	struct region **named = malloc(n * sizeof(*named)), **ranged = malloc(n * sizeof(*ranged)),
		      **broad = malloc(n * sizeof(*broad));
	size_t nn = 0, nr = 0, nb = 0;
	if (!named || !ranged || !broad)
		abort();
	for (size_t i = 0; i < n; i++)
		with[i]->overlaps = 0;
	for (size_t i = 0; i < n; i++) {
		if (with[i]->anchor.prefix)
			named[nn++] = with[i];
		else if (with[i]->anchor.end > with[i]->anchor.start)
			ranged[nr++] = with[i];
		else
			broad[nb++] = with[i];
	}
	qsort(named, nn, sizeof(*named), by_anchor_prefix);
	for (size_t i = 0; i < nn; i++)
		for (size_t j = i + 1; j < nn && prefix_covers(named[i], named[j]); j++)
			warn_overlap(s, named[i], named[j], k);
	qsort(ranged, nr, sizeof(*ranged), by_anchor_start);
	for (size_t i = 0; i < nr; i++)
		for (size_t j = i + 1; j < nr && ranged[j]->anchor.start < ranged[i]->anchor.end; j++)
			warn_overlap(s, ranged[i], ranged[j], k);
	/* A file may be mapped anywhere, so named and ranged regions can meet. */
	for (size_t i = 0; i < nr; i++)
		for (size_t j = 0; j < nn; j++)
			warn_overlap(s, ranged[i], named[j], k);
	for (size_t i = 0; i < nb; i++)
		for (size_t j = 0; j < n; j++)
			if (with[j] != broad[i] && (with[j]->anchor.prefix || with[j]->anchor.end > with[j]->anchor.start ||
						    with[j] > broad[i]))
				warn_overlap(s, broad[i], with[j], k);
	for (size_t i = 0; i < n; i++)
		if (with[i]->overlaps > 1)
			diag_note(s->d, with[i]->decl->u.stmt.name->loc, "'%s' may overlap %u more regions declared before it",
				  with[i]->name, with[i]->overlaps - 1);
	free(named);
	free(ranged);
	free(broad);
}

static void check_region_overlaps(struct sema *s)
{
	struct region **with = malloc((s->nregions + 1) * sizeof(*with));
	if (!with)
		abort();
	for (int k = RULE_PAGESIZE; k <= RULE_PREFETCH; k++) {
		size_t n = 0;
		for (size_t i = 0; i < s->nregions; i++)
			if (s->regions[i].ok && s->regions[i].rule[k])
				with[n++] = &s->regions[i];
		check_overlaps(s, (enum rule_kind)k, with, n);
	}
	/* Scores of one evict block. */
	for (struct mmp_node *it = s->policy->u.stmt.body; it; it = it->next) {
		if (it->kind != N_EVICT)
			continue;
		size_t n = 0;
		for (struct mmp_node *st = it->u.stmt.body; st; st = st->next) {
			if (st->kind != N_SCORE || !st->u.stmt.name->u.name.decl)
				continue;
			struct region *r = region_find(s, st->u.stmt.name->u.name.id);
			bool dup = false;
			for (size_t i = 0; i < n; i++)
				dup |= with[i] == r;
			if (r->ok && !dup)
				with[n++] = r;
		}
		check_overlaps(s, RULE_EVICT, with, n);
	}
	free(with);
}

/* --- policies ---------------------------------------------------------- */

static void say_shadowed(struct sema *s, const struct mmp_node *policy, const struct mmp_node *match,
			 const struct mmp_node *by)
{
	diag_warning(s->d, match->loc,
		     "policy '%s' governs no process: policy '%s', earlier in the file, matches every process this "
		     "'match' does, and a process is governed by the first policy that matches it",
		     policy->u.stmt.name->u.name.id, by->u.stmt.name->u.name.id);
	diag_note(s->d, by->u.stmt.name->loc, "policy '%s' is here; put the narrower policy first, or merge the two",
		  by->u.stmt.name->u.name.id);
}

static void check_shadowed(struct sema *s, struct mmp_node *policy, const struct mmp_node *match)
{
	if (s->match_all) {
		say_shadowed(s, policy, match, s->match_all);
		return;
	}
	for (size_t i = 0; i < s->nearlier; i++)
		if (formula_covers(s->pool, s->earlier_match[i], match)) {
			say_shadowed(s, policy, match, s->earlier[i]);
			return;
		}
	if (match->kind == N_ALL)
		s->match_all = policy;
	else if (s->nearlier < SHADOW_PAIRS_MAX) {
		s->earlier[s->nearlier] = policy;
		s->earlier_match[s->nearlier++] = match;
	}
}

static void check_policy(struct sema *s, struct mmp_node *policy)
{
	s->policy = policy;
	s->unresolved = 0;
	region_table_reset(s);
	struct mmp_node *match = NULL, *oom = NULL;
	bool has_rule = false;

	/* Declarations first, so rules may name a region declared below them. */
	for (struct mmp_node *it = policy->u.stmt.body; it; it = it->next) {
		switch (it->kind) {
		case N_MATCH:
			if (match) {
				diag_error(s->d, it->loc, "policy '%s' already has a 'match'", policy->u.stmt.name->u.name.id);
				diag_note(s->d, match->loc, "the first one is here; combine them with 'or'");
			} else {
				match = it;
			}
			break;
		case N_REGION: {
			struct region *prev = region_find(s, it->u.stmt.name->u.name.id);
			if (prev) {
				diag_error(s->d, it->u.stmt.name->loc, "region '%s' is already declared",
					   it->u.stmt.name->u.name.id);
				diag_note(s->d, prev->decl->u.stmt.name->loc, "the first declaration is here");
			} else {
				check_region(s, region_add(s, it));
			}
			break;
		}
		case N_OOM:
			if (oom) {
				diag_error(s->d, it->loc, "policy '%s' already has an oom block", policy->u.stmt.name->u.name.id);
				diag_note(s->d, oom->loc, "the first one is here");
			} else {
				oom = it;
			}
			break;
		default:
			break;
		}
	}
	if (!match) {
		diag_error(s->d, policy->u.stmt.name->loc, "policy '%s' has no 'match'", policy->u.stmt.name->u.name.id);
		diag_hint(s->d, "say which processes it governs, as in 'match comm \"redis-server\";' or 'match all;'");
	} else {
		expr_check_cond(s->d, s->a, match->u.stmt.expr, PLACE_MATCHER, "the 'match'");
		if (match->u.stmt.expr->kind != N_ALL && !formula_satisfiable(s->pool, match->u.stmt.expr))
			diag_warning(s->d, match->u.stmt.expr->loc, "no process can satisfy this 'match'");
		else
			check_shadowed(s, policy, match->u.stmt.expr);
	}

	for (struct mmp_node *it = policy->u.stmt.body; it; it = it->next) {
		switch (it->kind) {
		case N_PAGESIZE: check_pagesize(s, it); has_rule = true; break;
		case N_PREFETCH: check_prefetch(s, it); has_rule = true; break;
		case N_EVICT: check_evict(s, it); has_rule = true; break;
		case N_OOM: check_oom(s, it); has_rule = true; break;
		default: break;
		}
	}
	if (!has_rule)
		diag_warning(s->d, policy->u.stmt.name->loc, "policy '%s' has no rules, so it changes nothing",
			     policy->u.stmt.name->u.name.id);
	/* After a misspelt region name, "unused" would only repeat that error. */
	for (size_t i = 0; i < s->nregions && !s->unresolved; i++)
		if (!s->regions[i].used)
			diag_warning(s->d, s->regions[i].decl->u.stmt.name->loc, "region '%s' is declared but no rule uses it",
				     s->regions[i].name);
	check_region_overlaps(s);
}

/* A policy's interned name and its place in the file. */
struct named {
	const char *name;
	size_t order;
	struct mmp_node *node;
};

static int by_name_then_order(const void *x, const void *y)
{
	const struct named *a = x, *b = y;
	if (a->name != b->name)
		return (uintptr_t)a->name < (uintptr_t)b->name ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

int sema_check(struct mmp_diag *d, struct mmp_arena *a, struct mmp_ast *ast)
{
	struct sema s = { .d = d, .a = a, .pool = formula_pool_new() };
	unsigned before = d->errors;
	if (!ast->policies)
		diag_file_warning(d, "this file has no policy");
	/* Policy names are unique in a file: they name pins and statistics.
	 * Sorted by their interned name, a policy's first definition is the
	 * one before it with the same name, in linear-logarithmic time. */
	size_t np = 0;
	for (struct mmp_node *p = ast->policies; p; p = p->next)
		np++;
	struct named *byname = malloc((np ? np : 1) * sizeof(*byname));
	struct mmp_node **first = calloc(np ? np : 1, sizeof(*first));
	if (!byname || !first)
		abort();
	size_t i = 0;
	for (struct mmp_node *p = ast->policies; p; p = p->next, i++)
		byname[i] = (struct named){ p->u.stmt.name->u.name.id, i, p };
	qsort(byname, np, sizeof(*byname), by_name_then_order);
	for (i = 1; i < np; i++)
		if (byname[i].name == byname[i - 1].name)
			first[byname[i].order] = first[byname[i - 1].order] ? first[byname[i - 1].order] : byname[i - 1].node;
	i = 0;
	for (struct mmp_node *p = ast->policies; p; p = p->next, i++) {
		if (first[i]) {
			diag_error(d, p->u.stmt.name->loc, "policy '%s' is already defined", p->u.stmt.name->u.name.id);
			diag_note(d, first[i]->u.stmt.name->loc, "the first definition is here");
		}
		check_policy(&s, p);
	}
	free(first);
	free(byname);
	free(s.regions);
	free(s.index);
	formula_pool_free(s.pool);
	return d->errors == before ? 0 : -EINVAL;
}
