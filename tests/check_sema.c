/* check_sema.c - what the checker resolves, folds and reports. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/stats.h"
#include "testutil.h"

#define POLICY(body) "policy p { match comm \"x\"; " body " }"

static const struct mmp_node *item(const struct run *r, int n)
{
	const struct mmp_node *it = r->u.ast.policies->u.stmt.body;
	while (n-- > 0)
		it = it->next;
	return it;
}

static void expect_clean(const char *text)
{
	struct run r;
	run_text(&r, text, false);
	ck_assert_msg(r.rc == 0 && r.u.diag.warnings == 0, "%s\n%s", text, r.out ? r.out : "");
	run_free(&r);
}

static void expect(const char *text, const char *needle)
{
	struct run r;
	run_text(&r, text, false);
	ck_assert_msg(run_says(&r, needle), "wanted \"%s\" for:\n%s\ngot:\n%s", needle, text, r.out ? r.out : "");
	run_free(&r);
}

START_TEST(test_names_resolve)
{
	struct run r;
	run_text(&r, POLICY("pagesize hot { 2M: 100; } when faults >= 64/s; region hot = anon;"), false);
	ck_assert_msg(r.rc == 0, "%s", r.out);
	const struct mmp_node *ps = item(&r, 1), *decl = item(&r, 2);
	ck_assert_ptr_eq(ps->u.stmt.targets->u.name.decl, decl);
	/* A counter compared with a rate is rewritten into its rate. */
	const struct mmp_node *lhs = ps->u.stmt.expr->u.bin.lhs;
	ck_assert_int_eq(lhs->kind, N_RATE);
	ck_assert_ptr_eq(lhs->u.un.operand->u.name.stat, stat_get(STAT_R_FAULTS));
	run_free(&r);
}
END_TEST

START_TEST(test_constants_fold)
{
	struct run r;
	run_text(&r, POLICY("region a = range 0x10000 .. +2 * 1M; pagesize a { 4 * 512K: 100 - 50; }"), false);
	ck_assert_msg(r.rc == 0, "%s", r.out);
	const struct mmp_node *range = item(&r, 1)->u.stmt.expr;
	ck_assert_int_eq(range->u.range.start, 0x10000);
	ck_assert_int_eq(range->u.range.end, 0x10000 + (2 << 20));
	const struct mmp_node *entry = item(&r, 2)->u.stmt.body;
	ck_assert_int_eq(entry->u.bin.lhs->kind, N_NUMBER);
	ck_assert_uint_eq(entry->u.bin.lhs->u.num.value, 2 << 20);
	ck_assert_int_eq(entry->u.bin.lhs->u.num.unit, UNIT_BYTES);
	ck_assert_uint_eq(entry->u.bin.rhs->u.num.value, 50);
	run_free(&r);
}
END_TEST

START_TEST(test_units)
{
	expect_clean(POLICY("region a = anon; evict when pressure some > 10% { score a = 10 * idle / 1s - faults; }"));
	expect_clean(POLICY("oom { score = rss + swap / 2 - 0; }"));
	expect(POLICY("region a = anon; pagesize a { 2M: 1; } when idle > 100;"),
	       "error: cannot compare a duration with a plain number");
	expect(POLICY("region a = anon; evict when pressure some > 10% { score a = idle - faults; }"),
	       "error: cannot subtract a plain number from a duration");
	expect(POLICY("region a = anon; evict when pressure some > 10% { score a = size * idle; }"),
	       "error: cannot multiply a size by a duration");
	expect(POLICY("region a = anon; pagesize a { 2M: 1; } when size/s > 1M/s;"),
	       "error: '/s' gives the rate of a counter; 'size' is not a counter");
	expect(POLICY("region a = anon; pagesize a { 2M: 1; } when resident > 1/s;"),
	       "error: cannot compare a size with a rate per second");
	expect(POLICY("region a = anon; pagesize a { 2M: 1; } when faults / 0 > 1;"), "error: division by zero");
	/* A counter only grows: a threshold on it holds for good; on its rate, while the region is busy. */
	expect(POLICY("region a = anon; pagesize a { 2M: 1; } when faults >= 64;"),
	       "warning: 'faults' counts since mmp first saw the region, so once this holds it holds for good; "
	       "'faults >= 64/s' holds while the region is busy");
	expect_clean(POLICY("region a = anon; pagesize a { 2M: 1; } when faults >= 64/s;"));
	expect(POLICY("region a = range 0 .. 0x7fffffffffffffff * 2;"), "error: arithmetic overflow in a constant");
}
END_TEST

/* A process is governed by the first policy that matches it: one that an
 * earlier policy's match covers governs nothing, and is warned of. */
START_TEST(test_shadowed_policies)
{
#define RULE "region a = anon; pagesize a { 2M: 100; }"
#define SHADOWED "governs no process: policy 'a', earlier in the file"
	expect("policy a { match comm \"gups\"; oom { score = rss; } } policy b { match comm \"gups\"; " RULE " }",
	       "policy 'b' " SHADOWED);
	expect("policy a { match all; oom { score = rss; } } policy b { match comm \"x\"; " RULE " }", "policy 'b' " SHADOWED);
	expect("policy a { match comm \"g*\"; " RULE " } policy b { match comm \"gups\" and uid 0; " RULE " }",
	       "policy 'b' " SHADOWED);
	expect("policy a { match comm \"x\" or comm \"y\"; " RULE " } policy b { match comm \"y\"; " RULE " }",
	       "policy 'b' " SHADOWED);
	/* Overlapping only in part, or the narrower first: both govern. */
	expect_clean("policy a { match comm \"gups\"; " RULE " } policy b { match comm \"g*\"; " RULE " }");
	expect_clean("policy a { match comm \"gups\" and uid 0; " RULE " } policy b { match comm \"gups\"; " RULE " }");
	expect_clean("policy a { match comm \"x\"; " RULE " } policy b { match comm \"y\"; " RULE " }");
	expect_clean("policy a { match comm \"x\"; " RULE " } policy b { match all; " RULE " }");
#undef RULE
#undef SHADOWED
}
END_TEST

START_TEST(test_places)
{
	expect(POLICY("region a = comm \"x\";"), "'comm' selects processes and cannot be used in a region selector");
	expect("policy p { match file \"/x\"; }", "'file' selects memory and cannot be used in a process matcher");
	expect(POLICY("region a = anon and faults > 1;"), "'faults' changes while the process runs");
	expect(POLICY("oom { score = idle; }"), "error: 'idle' is a statistic of a region, not of a process");
	expect(POLICY("region a = anon; pagesize a { 2M: 1; } when rss > 1G;"),
	       "error: 'rss' is a statistic of a process, not of a region");
	expect(POLICY("region a = anon; pagesize a { 2M: 1; } when fualts > 1;"),
	       "error: unknown statistic 'fualts'; did you mean 'faults'?");
	expect(POLICY("region a = anon; pagesize a { 2M: 1; } when pressure some > 10%;"),
	       "'pressure' is a trigger and cannot be used in a region rule");
	expect(POLICY("oom { kill task when faults > 3; }"), "error: 'faults' is not a trigger");
	expect(POLICY("oom { kill task when pressure some < 10%; }"), "a trigger fires above a threshold");
	expect(POLICY("oom { kill task when pressure some > 10% for 1G; }"),
	       "error: the time after 'for' must be a duration, not a size");
	/* anon and file are process statistics in an oom score. */
	expect_clean(POLICY("oom { score = anon + file; }"));
}
END_TEST

START_TEST(test_rules)
{
	expect(POLICY("region a = anon; pagesize a { 8K: 1; }"), "error: unsupported page size 8K");
	expect(POLICY("region a = anon; pagesize a { 2M: 101; }"), "error: a benefit is from 0 to 100, not 101");
	expect(POLICY("region a = anon; pagesize a { 4K: 0; 2M: 0; }"),
	       "warning: every benefit in this profile is 0");
	/* prefetch's 'when' is evaluated at faults, where idle is 0 */
	expect(POLICY("region a = anon; prefetch a { pattern sequential; } when faults > 10/s and idle > 3s;"),
	       "warning: a prefetch rule's 'when' is evaluated at each fault, where 'idle' is 0");
	expect(POLICY("region a = anon; prefetch a { pattern sequential; } when 1s <= idle;"),
	       "warning: a prefetch rule's 'when' is evaluated at each fault");
	expect_clean(POLICY("region a = anon; prefetch a { pattern sequential; } when idle < 3s;"));
	expect_clean(POLICY("region a = anon; pagesize a { 2M: 100; } when idle > 3s;"));
	expect(POLICY("region a = anon; pagesize a { 2M: 1; } pagesize a { 64K: 1; }"),
	       "error: region 'a' already has a page-size profile");
	expect(POLICY("region a = anon; prefetch a { pattern stride; degree 2000; }"),
	       "error: 'degree' must be from 1 to 1024 pages");
	expect_clean(POLICY("region a = anon; prefetch a { pattern stride; degree 64K; limit 256M/s; }"));
	expect(POLICY("region a = anon; prefetch a { degree 4; }"), "error: a prefetch rule needs a pattern");
	expect(POLICY("region a = anon; prefetch a { pattern leap; limit 64M; }"),
	       "error: a prefetch limit must be a rate per second of a size, not a size");
	expect(POLICY("region a = anon; evict when usage > 90% { action cold; }"),
	       "error: an evict block needs at least one 'score REGION = EXPR;'");
	expect(POLICY("region a = anon; evict when usage > 90% { score a = size; action drop; }"),
	       "error: 'drop' discards file pages, and region 'a' is anonymous memory");
	expect(POLICY("region a = all; evict when usage > 90% { score a = size; action drop; }"),
	       "warning: 'drop' discards only file pages");
	expect(POLICY("oom { kill everything; }"), "error: unknown kill mode 'everything'");
	expect(POLICY("oom { protect comm \"sshd\"; prefer comm \"ssh*\"; }"),
	       "warning: a process can match both 'protect' and 'prefer'; 'protect' wins");
	/* Different attributes, or names that cannot meet: nothing to say. */
	expect_clean(POLICY("oom { protect comm \"sshd\" and uid 0; prefer comm \"java\"; avoid cgroup \"/sys\"; }"));
	/* A name alone is no protection: anyone can name a process sshd. */
	expect(POLICY("oom { protect comm \"sshd\" or comm \"pg\"; }"),
	       "warning: 'protect' rests on process names alone, which any user can give a process");
	expect_clean(POLICY("oom { protect exe \"/usr/sbin/sshd\"; }"));
}
END_TEST

START_TEST(test_policy_level)
{
	expect("policy p { region a = anon; pagesize a { 2M: 1; } }", "error: policy 'p' has no 'match'");
	expect(POLICY("match all;"), "error: policy 'p' already has a 'match'");
	expect(POLICY("region a = anon;"), "warning: policy 'p' has no rules, so it changes nothing");
	expect(POLICY("region a = anon; region b = anon; pagesize a { 2M: 1; }"),
	       "warning: region 'b' is declared but no rule uses it");
	expect(POLICY("region a = anon; region a = all; pagesize a { 2M: 1; }"), "error: region 'a' is already declared");
	expect("policy p { match all; oom { kill task; } } policy p { match all; oom { kill task; } }",
	       "error: policy 'p' is already defined");
	expect(POLICY("region index = anon; pagesize idx { 2M: 1; }"),
	       "error: unknown region 'idx'; did you mean 'index'?");
}
END_TEST

START_TEST(test_never_and_always)
{
	expect(POLICY("region a = anon and file \"/x\"; pagesize a { 2M: 1; }"),
	       "warning: region 'a' can never match any memory");
	expect(POLICY("region a = size >= 1G and size < 1M; pagesize a { 2M: 1; }"),
	       "warning: region 'a' can never match any memory");
	expect(POLICY("region a = file \"/a\" and not file \"/*\"; pagesize a { 2M: 1; }"),
	       "warning: region 'a' can never match any memory");
	expect(POLICY("region a = anon; pagesize a { 2M: 1; } when faults < 0;"),
	       "warning: the 'when' condition never holds: 'faults' is never negative");
	expect(POLICY("region a = anon; pagesize a { 2M: 1; } when 1 < 2;"), "warning: the 'when' condition always holds");
	expect_clean(POLICY("region a = mapping \"[heap]\" and anon; pagesize a { 2M: 1; } when faults > 5 and faults < 9;"));
}
END_TEST

START_TEST(test_overlaps)
{
	expect_clean(POLICY("region a = file \"/a\"; region b = file \"/b\"; prefetch a, b { pattern leap; }"));
	expect_clean(POLICY("region a = range 0x1000 .. 0x2000; region b = range 0x2000 .. 0x3000; pagesize a, b { 2M: 1; }"));
	expect(POLICY("region a = range 0x1000 .. 0x3000; region b = range 0x2000 .. 0x4000; pagesize a { 2M: 1; } "
		      "pagesize b { 64K: 1; }"),
	       "warning: regions 'a' and 'b' may overlap, and both have a pagesize rule; where they do, 'a' applies");
	expect(POLICY("region a = file \"/lib/*\"; region b = file \"/lib/x.so\"; prefetch a { pattern leap; } "
		      "prefetch b { pattern stride; }"),
	       "warning: regions 'a' and 'b' may overlap, and both have a prefetch rule");
	/* Globs with different fixed endings or beginnings never meet. */
	expect_clean(POLICY("region a = file \"/d/*.col\"; region b = file \"/d/*.blob\"; prefetch a, b { pattern leap; }"));
	expect_clean(POLICY("region a = file \"/a/*\"; region b = file \"/b/*\"; prefetch a, b { pattern leap; }"));
	expect(POLICY("region a = file \"/d/*.db\"; region b = file \"/d/x*\"; prefetch a { pattern leap; } "
		      "prefetch b { pattern stride; }"),
	       "warning: regions 'a' and 'b' may overlap");
	/* Mapping names take brackets literally: [heap] is not a character class. */
	expect_clean(POLICY("region a = mapping \"[heap]\"; region b = mapping \"[stack]\"; pagesize a, b { 2M: 1; }"));
	expect(POLICY("region a = mapping \"[anon:*]\"; region b = mapping \"[anon:jemalloc]\"; pagesize a { 2M: 1; } "
		      "pagesize b { 64K: 1; }"),
	       "warning: regions 'a' and 'b' may overlap");
	expect(POLICY("region a = mapping \"[heap]\" and not mapping \"[he*\"; pagesize a { 2M: 1; }"),
	       "warning: region 'a' can never match any memory");
	/* One rule naming two regions treats them alike: no conflict. */
	expect_clean(POLICY("region a = anon; region b = all; pagesize a, b { 2M: 1; }"));
	/* Different rule kinds never conflict. */
	expect_clean(POLICY("region a = anon; region b = all; pagesize a { 2M: 1; } prefetch b { pattern leap; }"));
}
END_TEST

START_TEST(test_many_regions_stay_exact)
{
	/* Thousands of regions with distinct files: no pair overlaps. */
	size_t n = 3000, cap = n * 64 + 256, used = 0;
	char *text = malloc(cap);
	used += (size_t)snprintf(text + used, cap - used, "policy p { match all;\n");
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(text + used, cap - used, "region r%zu = file \"/d/%zu\";\n", i, i);
	used += (size_t)snprintf(text + used, cap - used, "prefetch r0");
	for (size_t i = 1; i < n; i++)
		used += (size_t)snprintf(text + used, cap - used, ", r%zu", i);
	snprintf(text + used, cap - used, " { pattern leap; }\nregion late = file \"/d/7\"; prefetch late { pattern stride; } }\n");
	/* r0..r2999 share one rule; 'late' has its own and meets r7 only. */
	struct run r;
	run_text(&r, text, false);
	ck_assert_msg(r.rc == 0, "%.500s", r.out);
	ck_assert_uint_eq(r.u.diag.warnings, 1);   /* only 'late' against r7 */
	ck_assert(run_says(&r, "regions 'r7' and 'late' may overlap"));
	run_free(&r);
	free(text);
}
END_TEST

START_TEST(test_werror)
{
	struct run r;
	memset(&r, 0, sizeof(r));
	FILE *f = open_memstream(&r.out, &r.outlen);
	struct mmp_frontend_opts opts = { .color = DIAG_COLOR_NEVER, .diag_out = f, .werror = true };
	const char *text = POLICY("region a = anon;");
	r.rc = frontend_run_text(&r.u, "t.mmp", text, strlen(text), &opts);
	fclose(f);
	ck_assert_int_ne(r.rc, 0);
	ck_assert(run_says(&r, "error: policy 'p' has no rules, so it changes nothing [-Werror]"));
	run_free(&r);
}
END_TEST

static Suite *sema_suite(void)
{
	Suite *s = suite_create("sema");
	TCase *tc = tcase_create("checks");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_names_resolve);
	tcase_add_test(tc, test_constants_fold);
	tcase_add_test(tc, test_units);
	tcase_add_test(tc, test_shadowed_policies);
	tcase_add_test(tc, test_places);
	tcase_add_test(tc, test_rules);
	tcase_add_test(tc, test_policy_level);
	tcase_add_test(tc, test_never_and_always);
	tcase_add_test(tc, test_overlaps);
	tcase_add_test(tc, test_many_regions_stay_exact);
	tcase_add_test(tc, test_werror);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sema_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
