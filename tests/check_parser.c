/* check_parser.c - the shape of trees, precedence, lists and recovery. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static const struct mmp_node *first_policy(const struct run *r)
{
	return r->u.ast.policies;
}

/* The selector of the first region declared in the first policy. */
static const struct mmp_node *region_expr(const struct run *r)
{
	for (const struct mmp_node *it = first_policy(r)->u.stmt.body; it; it = it->next)
		if (it->kind == N_REGION)
			return it->u.stmt.expr;
	return NULL;
}

START_TEST(test_several_policies)
{
	struct run r;
	run_text(&r, "policy a { match all; } policy b { match comm \"x\"; }", true);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(first_policy(&r)->u.stmt.name->u.name.id, "a");
	ck_assert_str_eq(first_policy(&r)->next->u.stmt.name->u.name.id, "b");
	ck_assert_ptr_null(first_policy(&r)->next->next);
	run_free(&r);
}
END_TEST

START_TEST(test_and_binds_tighter_than_or)
{
	struct run r;
	run_text(&r, "policy p { match all; region a = anon or file \"x\" and size >= 1G; }", true);
	const struct mmp_node *e = region_expr(&r);
	ck_assert_int_eq(e->kind, N_BINARY);
	ck_assert_int_eq(e->u.bin.op, OP_OR);
	ck_assert_int_eq(e->u.bin.lhs->kind, N_ANON);
	ck_assert_int_eq(e->u.bin.rhs->u.bin.op, OP_AND);
	run_free(&r);
}
END_TEST

START_TEST(test_not_and_comparison)
{
	struct run r;
	/* not applies to the whole comparison; arithmetic binds tighter still. */
	run_text(&r, "policy p { match all; region a = not size < 2 * 1G + 4K; }", true);
	const struct mmp_node *e = region_expr(&r);
	ck_assert_int_eq(e->kind, N_UNARY);
	ck_assert_int_eq(e->u.un.op, OP_NOT);
	const struct mmp_node *cmp = e->u.un.operand;
	ck_assert_int_eq(cmp->u.bin.op, OP_LT);
	ck_assert_int_eq(cmp->u.bin.rhs->u.bin.op, OP_ADD);
	ck_assert_int_eq(cmp->u.bin.rhs->u.bin.lhs->u.bin.op, OP_MUL);
	run_free(&r);
}
END_TEST

START_TEST(test_range_forms)
{
	struct run r;
	run_text(&r, "policy p { match all; region a = range 0x1000 .. +4K and anon; region b = range 0x1000 .. 0x3000; }",
		 true);
	const struct mmp_node *e = region_expr(&r);
	ck_assert_int_eq(e->u.bin.op, OP_AND);   /* the range ends before 'and' */
	ck_assert_int_eq(e->u.bin.lhs->kind, N_RANGE);
	ck_assert(e->u.bin.lhs->u.range.relative);
	ck_assert_uint_eq(e->u.bin.lhs->u.range.hi->u.num.value, 4096);
	run_free(&r);
}
END_TEST

START_TEST(test_trigger_for_and_cgroup)
{
	struct run r;
	run_text(&r, "policy p { match all; region a = all; evict when pressure full of cgroup \"/x\" > 20% for 5s "
		     "or usage > 90% { score a = size; } }", true);
	ck_assert_msg(r.rc == 0, "%s", r.out);
	const struct mmp_node *ev = first_policy(&r)->u.stmt.body->next->next;
	const struct mmp_node *t = ev->u.stmt.expr;
	ck_assert_int_eq(t->u.bin.op, OP_OR);
	ck_assert_int_eq(t->u.bin.lhs->kind, N_FOR);
	const struct mmp_node *psi = t->u.bin.lhs->u.bin.lhs->u.bin.lhs;
	ck_assert_int_eq(psi->kind, N_PRESSURE);
	ck_assert_str_eq(psi->u.psi.kind->u.name.id, "full");
	ck_assert_str_eq(psi->u.psi.cgroup->u.str.s, "/x");
	ck_assert_int_eq(t->u.bin.rhs->u.bin.lhs->kind, N_USAGE);
	run_free(&r);
}
END_TEST

START_TEST(test_region_lists)
{
	struct run r;
	run_text(&r, "policy p { match all; region a = anon; region b = all; pagesize a, b { 2M: 9; } }", true);
	const struct mmp_node *ps = first_policy(&r)->u.stmt.body->next->next->next;
	ck_assert_int_eq(ps->kind, N_PAGESIZE);
	ck_assert_str_eq(ps->u.stmt.targets->u.name.id, "a");
	ck_assert_str_eq(ps->u.stmt.targets->next->u.name.id, "b");
	run_free(&r);
}
END_TEST

START_TEST(test_locations)
{
	struct run r;
	run_text(&r, "policy p {\n  match comm \"x\";\n  region heap = mapping \"[heap]\";\n}", true);
	const struct mmp_node *reg = first_policy(&r)->u.stmt.body->next;
	unsigned line, col;
	source_position(r.u.src, reg->loc.start, &line, &col);
	ck_assert_uint_eq(line, 3);
	ck_assert_uint_eq(col, 3);
	source_position(r.u.src, reg->u.stmt.expr->loc.start, &line, &col);
	ck_assert_uint_eq(col, 17);
	ck_assert_uint_eq(reg->u.stmt.expr->loc.end - reg->u.stmt.expr->loc.start, strlen("mapping \"[heap]\""));
	run_free(&r);
}
END_TEST

/* Line and column from the block index agree with counting newlines from
 * the start, at block edges too; the line text is the line of the offset. */
START_TEST(test_positions_across_blocks)
{
	size_t len = 3 * 4096 + 123;
	char *text = malloc(len);
	ck_assert_ptr_nonnull(text);
	for (size_t i = 0; i < len; i++)
		text[i] = (i * 7919) % 37 == 0 || i == 4095 || i == 4096 ? '\n' : 'a';
	struct mmp_source *src = source_from_memory("t", text, len);
	ck_assert_ptr_nonnull(src);
	unsigned want_line = 1, want_col = 1;
	for (size_t off = 0; off <= len; off++) {
		unsigned line, col;
		source_position(src, off, &line, &col);
		ck_assert_uint_eq(line, want_line);
		ck_assert_uint_eq(col, want_col);
		size_t n;
		const char *l = source_line_at(src, off, &n);
		ck_assert_ptr_eq(l, src->text + off - (want_col - 1));
		ck_assert(memchr(l, '\n', n) == NULL);
		if (off < len && text[off] == '\n')
			want_line++, want_col = 1;
		else
			want_col++;
	}
	source_free(src);
	free(text);
}
END_TEST

START_TEST(test_recovery_reports_every_error)
{
	struct run r;
	run_text(&r, "policy p {\n  match comm \"x\"\n  region a = anon;\n  pagesize a { 2M 100; }\n"
		     "  prefetch a { pattern stride; degree ; }\n}\npolicy q { match all; }\n", true);
	ck_assert_int_ne(r.rc, 0);
	ck_assert_msg(run_says(&r, "t.mmp:2:17: error: expected ';' before 'region'"), "%s", r.out);
	ck_assert_msg(run_says(&r, "t.mmp:4:19: error: unexpected number '100'"), "%s", r.out);
	ck_assert_msg(run_says(&r, "t.mmp:5:39: error: unexpected ';'"), "%s", r.out);
	ck_assert_uint_eq(r.u.diag.errors, 3);
	/* The policy after the broken one is still parsed. */
	ck_assert_ptr_nonnull(first_policy(&r)->next);
	run_free(&r);
}
END_TEST

START_TEST(test_statement_outside_policy)
{
	struct run r;
	run_text(&r, "match all;\npolicy p { match all; }", true);
	ck_assert(run_says(&r, "t.mmp:1:1: error: unexpected 'match', expected end of file or 'policy'"));
	ck_assert(run_says(&r, "note: statements go inside a block: policy NAME { ... }"));
	ck_assert_ptr_nonnull(first_policy(&r));
	run_free(&r);
}
END_TEST

START_TEST(test_unclosed_policy)
{
	struct run r;
	run_text(&r, "policy p { match all;", true);
	ck_assert_msg(run_says(&r, "t.mmp:1:22: error: expected '}' at end of file"), "%s", r.out);
	ck_assert(run_says(&r, "t.mmp:1:10: note: to match this '{'"));
	run_free(&r);
}
END_TEST

START_TEST(test_empty_file)
{
	struct run r;
	run_text(&r, "", false);
	ck_assert_int_eq(r.rc, 0);
	ck_assert(run_says(&r, "t.mmp: warning: this file has no policy"));
	ck_assert_ptr_null(first_policy(&r));
	run_free(&r);
}
END_TEST

static Suite *parser_suite(void)
{
	Suite *s = suite_create("parser");
	TCase *tc = tcase_create("grammar");
	tcase_add_test(tc, test_several_policies);
	tcase_add_test(tc, test_and_binds_tighter_than_or);
	tcase_add_test(tc, test_not_and_comparison);
	tcase_add_test(tc, test_range_forms);
	tcase_add_test(tc, test_trigger_for_and_cgroup);
	tcase_add_test(tc, test_region_lists);
	tcase_add_test(tc, test_locations);
	tcase_add_test(tc, test_positions_across_blocks);
	suite_add_tcase(s, tc);
	TCase *rec = tcase_create("recovery");
	tcase_add_test(rec, test_recovery_reports_every_error);
	tcase_add_test(rec, test_statement_outside_policy);
	tcase_add_test(rec, test_unclosed_policy);
	tcase_add_test(rec, test_empty_file);
	suite_add_tcase(s, rec);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(parser_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
