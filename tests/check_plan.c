/* check_plan.c - the lowering (compiler/plan.c): each kind's checked
 * statements become typed rules in the units their consumers use. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/plan.h"
#include "testutil.h"

struct lowered {
	struct run r;
	struct mmp_plan plan;
};

static void lower(struct lowered *l, const char *text)
{
	run_text(&l->r, text, false);
	ck_assert_msg(l->r.rc == 0, "%s", l->r.out ? l->r.out : "");
	ck_assert_int_eq(plan_build(&l->plan, &l->r.u.ast, l->r.u.src, l->r.u.arena), 0);
}

static void lowered_free(struct lowered *l)
{
	plan_free(&l->plan);
	run_free(&l->r);
}

START_TEST(test_numbering)
{
	struct lowered l;
	lower(&l, "policy a { match comm \"a\"; region x = anon; region y = mapping \"[heap]\";"
		  " pagesize x, y { 4K: 0; 2M: 100; } }\n"
		  "policy b { match pid 7; region z = anon; pagesize z { 4K: 100; } }");
	ck_assert_uint_eq(l.plan.npolicies, 2);
	ck_assert_uint_eq(l.plan.nregions, 3);
	ck_assert_str_eq(l.plan.regions[2].name, "z");
	ck_assert_uint_eq(l.plan.regions[2].policy, 1);
	ck_assert_uint_eq(l.plan.policies[1].first_region, 2);
	/* One statement naming two regions is one rule: codegen groups by it. */
	ck_assert_ptr_nonnull(l.plan.regions[0].pagesize);
	ck_assert_ptr_eq(l.plan.regions[0].pagesize, l.plan.regions[1].pagesize);
	ck_assert_ptr_ne(l.plan.regions[0].pagesize, l.plan.regions[2].pagesize);
	ck_assert_uint_eq(l.plan.regions[0].pagesize->nentries, 2);
	ck_assert_int_eq(l.plan.regions[0].pagesize->entries[1].size, 2 << 20);
	ck_assert_int_eq(l.plan.regions[0].pagesize->entries[1].benefit, 100);
	ck_assert_ptr_null(l.plan.regions[0].pagesize->when);
	ck_assert_uint_eq(l.plan.policies[1].match->kind, TEST_PID);
	ck_assert_uint_eq(l.plan.policies[1].match->value, 7);
	uint64_t h = l.plan.layout_hash;
	lowered_free(&l);
	/* The layout hash follows names and rules, not spelling. */
	lower(&l, "policy a { match comm \"other\"; region x = anon; region y = anon;"
		  " pagesize x, y { 4K: 100; } }\n"
		  "policy b { match all; region z = range 0x1000 .. +4K; pagesize z { 2M: 1; } }");
	ck_assert_uint_eq(l.plan.layout_hash, h);
	lowered_free(&l);
	lower(&l, "policy a { match all; region x = anon; region y = anon; pagesize x { 4K: 100; } }\n"
		  "policy b { match all; region z = anon; pagesize z { 2M: 1; } }");
	ck_assert_uint_ne(l.plan.layout_hash, h);
	lowered_free(&l);
}
END_TEST

START_TEST(test_selectors)
{
	struct lowered l;
	lower(&l, "policy p { match all; region a = anon and size >= 64M; region b = 1G > size;"
		  " region c = not anon; region d = mapping \"[heap]\" or range 0x1000 .. +8K;"
		  " prefetch a, b, c, d { pattern stride; } }");
	const struct mmp_test *a = l.plan.regions[0].select;
	ck_assert_uint_eq(a->kind, TEST_AND);
	ck_assert_uint_eq(a->l->kind, TEST_ANON);
	ck_assert_uint_eq(a->r->kind, TEST_SIZE);
	ck_assert_uint_eq(a->r->cmp, CMP_GE);
	ck_assert_uint_eq(a->r->value, 64 << 20);
	/* A constant on the left is turned around: 1G > size is size < 1G. */
	const struct mmp_test *b = l.plan.regions[1].select;
	ck_assert_uint_eq(b->kind, TEST_SIZE);
	ck_assert_uint_eq(b->cmp, CMP_LT);
	ck_assert_uint_eq(b->value, 1ULL << 30);
	const struct mmp_test *d = l.plan.regions[3].select;
	ck_assert_uint_eq(d->kind, TEST_OR);
	ck_assert_str_eq(d->l->text, "[heap]");
	ck_assert_uint_eq(d->r->lo, 0x1000);
	ck_assert_uint_eq(d->r->hi, 0x3000);
	/* Which regions can hold files (what eviction looks for among open files). */
	ck_assert(!l.plan.regions[0].may_be_file);
	ck_assert(!l.plan.regions[1].may_be_file);
	ck_assert(l.plan.regions[2].may_be_file);
	ck_assert(!l.plan.regions[3].may_be_file);
	lowered_free(&l);
}
END_TEST

START_TEST(test_prefetch)
{
	struct lowered l;
	lower(&l, "policy p { match all; region f = file \"/d/*\";"
		  " prefetch f { pattern stride; degree 64K; distance 4; limit 256M/s; } when major_faults > 10/s; }");
	const struct mmp_prefetch_rule *r = l.plan.regions[0].prefetch;
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->pattern, MMP_PF_STRIDE);
	ck_assert_uint_eq(r->degree, 16);             /* 64K in 4K pages */
	ck_assert_uint_eq(r->distance, 4);
	ck_assert_uint_eq(r->window, 8);              /* the default */
	ck_assert_uint_eq(r->limit, 256ULL << 20);    /* bytes a second */
	ck_assert_ptr_nonnull(r->when);
	ck_assert_uint_eq(r->when->op, CALC_GT);
	ck_assert_uint_eq(r->when->l->op, CALC_STAT);
	ck_assert_uint_eq(r->when->l->stat, STAT_R_MAJOR_FAULTS);
	ck_assert(r->when->l->rate);
	ck_assert_int_eq(r->when->r->value, 10);
	lowered_free(&l);
}
END_TEST

START_TEST(test_oom)
{
	struct lowered l;
	lower(&l, "policy p { match all; oom { protect comm \"sshd\"; prefer comm \"a\"; prefer comm \"b\";"
		  " score = rss + swap / 2; kill group when pressure full > 20% for 5s and usage >= 90%; } }");
	const struct mmp_oom_rule *o = l.plan.policies[0].oom;
	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(o->protect->kind, TEST_COMM);
	/* Two 'prefer' statements are one test: either selects. */
	ck_assert_uint_eq(o->prefer->kind, TEST_OR);
	ck_assert_ptr_null(o->avoid);
	ck_assert_uint_eq(o->score->op, CALC_ADD);
	ck_assert_uint_eq(o->score->l->stat, STAT_T_RSS);
	ck_assert_uint_eq(o->score->r->op, CALC_DIV);
	ck_assert_uint_eq(o->kill, OOM_KILL_GROUP);
	const struct mmp_trigger *t = o->kill_when;
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->text, "pressure full > 20% for 5s and usage >= 90%");
	ck_assert_uint_eq(t->cond->kind, COND_AND);
	const struct mmp_cond *p = t->cond->l, *u = t->cond->r;
	ck_assert_uint_eq(p->kind, COND_PRESSURE);
	ck_assert(p->full);
	ck_assert(!p->ge);
	ck_assert_uint_eq(p->pct, 20);
	ck_assert_int_eq(p->hold_ns, 5000000000LL);
	ck_assert_uint_eq(u->kind, COND_USAGE);
	ck_assert(u->ge);
	ck_assert_int_eq(u->hold_ns, 0);
	ck_assert_ptr_null(u->cgroup);
	lowered_free(&l);
	lower(&l, "policy p { match all; oom { kill task; } } policy q { match all; }");
	ck_assert_uint_eq(l.plan.policies[0].oom->kill, OOM_KILL_TASK);
	ck_assert_ptr_null(l.plan.policies[0].oom->kill_when);
	ck_assert_ptr_null(l.plan.policies[0].oom->score);
	ck_assert_ptr_null(l.plan.policies[1].oom);
	lowered_free(&l);
}
END_TEST

START_TEST(test_evict)
{
	struct lowered l;
	lower(&l, "policy p { match all; region hot = file \"/h\"; region scan = file \"/s/*\"; region heap = anon;"
		  " evict when usage of cgroup \"/batch\" > 85% {"
		  " score hot = faults * 4K / size; score scan = 0; action drop; limit 128M/s; protect top 256M; }"
		  " evict when pressure some > 10% { score heap = idle / 1ms; action pageout; protect top 10%; } }");
	ck_assert_uint_eq(l.plan.nevicts, 2);
	const struct mmp_evict_rule *a = &l.plan.evicts[0], *b = &l.plan.evicts[1];
	ck_assert_uint_eq(a->policy, 0);
	ck_assert_uint_eq(a->action, EVICT_DROP);
	ck_assert_int_eq(a->limit, 128LL << 20);
	ck_assert_int_eq(a->keep, 256LL << 20);
	ck_assert_int_eq(a->keep_pct, 0);
	ck_assert_uint_eq(a->nscores, 2);
	ck_assert_uint_eq(a->scores[0].region, 0);
	ck_assert_uint_eq(a->scores[1].region, 1);
	ck_assert_uint_eq(a->scores[1].calc->op, CALC_CONST);
	ck_assert_uint_eq(a->when.cond->kind, COND_USAGE);
	ck_assert_str_eq(a->when.cond->cgroup, "/batch");
	ck_assert_uint_eq(a->when.cond->pct, 85);
	ck_assert_uint_eq(b->action, EVICT_PAGEOUT);
	ck_assert_int_eq(b->limit, MMP_EVICT_DEFAULT_LIMIT);
	ck_assert_int_eq(b->keep_pct, 10);
	ck_assert(!b->when.cond->full);
	/* An idle time in milliseconds over 1ms. */
	ck_assert_uint_eq(b->scores[0].calc->l->stat, STAT_R_IDLE);
	ck_assert_int_eq(b->scores[0].calc->r->value, 1);
	for (unsigned r = 0; r < 3; r++)
		ck_assert(l.plan.regions[r].evict_scored);
	lowered_free(&l);
}
END_TEST

/* 'scanners' becomes the block's thread test; 'unit' stays the unit. */
START_TEST(test_evict_scanners)
{
	struct lowered l;
	lower(&l, "policy p { match comm \"kvbench\"; region db = file \"/db/*\";"
		  " evict when usage >= 98% { scanners comm \"kv-scan*\" or comm \"compact\";"
		  " score db = faults - scan_faults; action drop; unit 4K; }"
		  " evict when usage >= 90% { score db = faults; action drop; } }");
	const struct mmp_evict_rule *a = &l.plan.evicts[0], *b = &l.plan.evicts[1];
	ck_assert_int_eq(a->unit, 4096);
	ck_assert_ptr_nonnull(a->scanners);
	ck_assert_uint_eq(a->scanners->kind, TEST_OR);
	ck_assert_uint_eq(a->scanners->l->kind, TEST_COMM);
	ck_assert_str_eq(a->scanners->l->text, "kv-scan*");
	ck_assert_uint_eq(a->scores[0].calc->op, CALC_SUB);
	ck_assert_uint_eq(a->scores[0].calc->r->stat, STAT_R_SCAN_FAULTS);
	ck_assert_ptr_null(b->scanners);
	lowered_free(&l);
}
END_TEST

static Suite *plan_suite(void)
{
	Suite *s = suite_create("plan");
	TCase *tc = tcase_create("lowering");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_numbering);
	tcase_add_test(tc, test_selectors);
	tcase_add_test(tc, test_prefetch);
	tcase_add_test(tc, test_oom);
	tcase_add_test(tc, test_evict);
	tcase_add_test(tc, test_evict_scanners);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(plan_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
