/* check_lexer.c - numbers, units, strings and stray characters. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "testutil.h"

/* The first number in 'policy p { match pid N; }' after parsing. */
static const struct mmp_node *pid_number(struct run *r)
{
	const struct mmp_node *m = r->u.ast.policies->u.stmt.body;
	return m->u.stmt.expr->u.un.operand;
}

/* Parses "pagesize a { SIZE: 1; }" and returns the size entry's number. */
static const struct mmp_node *size_number(struct run *r, const char *lit)
{
	char text[256];
	snprintf(text, sizeof(text), "policy p { match all; region a = all; pagesize a { %s: 1; } }", lit);
	run_text(r, text, true);
	ck_assert_msg(r->rc == 0, "%s: %s", lit, r->out);
	const struct mmp_node *ps = r->u.ast.policies->u.stmt.body->next->next;
	ck_assert_int_eq(ps->kind, N_PAGESIZE);
	return ps->u.stmt.body->u.bin.lhs;
}

START_TEST(test_units_scale)
{
	static const struct { const char *lit; uint64_t value; enum mmp_unit unit; } cases[] = {
		{ "4096", 4096, UNIT_NONE }, { "0x1000", 4096, UNIT_NONE }, { "4K", 4096, UNIT_BYTES },
		{ "2M", 2 << 20, UNIT_BYTES }, { "1G", 1ULL << 30, UNIT_BYTES }, { "3T", 3ULL << 40, UNIT_BYTES },
		{ "512B", 512, UNIT_BYTES }, { "10%", 10, UNIT_PERCENT }, { "250ms", 250, UNIT_MS },
		{ "5s", 5000, UNIT_MS }, { "2min", 120000, UNIT_MS }, { "1h", 3600000, UNIT_MS },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r;
		const struct mmp_node *n = size_number(&r, cases[i].lit);
		ck_assert_int_eq(n->kind, N_NUMBER);
		ck_assert_msg(n->u.num.value == cases[i].value, "%s gave %llu", cases[i].lit,
			      (unsigned long long)n->u.num.value);
		ck_assert_int_eq(n->u.num.unit, cases[i].unit);
		run_free(&r);
	}
}
END_TEST

START_TEST(test_unknown_unit)
{
	struct run r;
	run_text(&r, "policy p { match pid 4X; }", true);
	ck_assert_int_ne(r.rc, 0);
	ck_assert(run_says(&r, "t.mmp:1:23: error: unknown unit 'X'"));
	run_free(&r);
}
END_TEST

START_TEST(test_number_too_large)
{
	struct run r;
	run_text(&r, "policy p { match pid 99999999999999999999; }", true);
	ck_assert(run_says(&r, "error: number '99999999999999999999' is too large"));
	run_free(&r);
	/* In range as a number, out of range once scaled by its unit. */
	run_text(&r, "policy p { match all; region a = range 0 .. +9000000T; }", true);
	ck_assert(run_says(&r, "error: number '9000000T' is too large"));
	run_free(&r);
}
END_TEST

START_TEST(test_pid_value)
{
	struct run r;
	run_text(&r, "policy p { match pid 0x2a; }", true);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_uint_eq(pid_number(&r)->u.num.value, 42);
	run_free(&r);
}
END_TEST

START_TEST(test_string_escapes)
{
	struct run r;
	run_text(&r, "policy p { match comm \"a\\tb\\\\c\\\"d\\x41\"; }", true);
	ck_assert_msg(r.rc == 0, "%s", r.out);
	const struct mmp_node *m = r.u.ast.policies->u.stmt.body->u.stmt.expr;
	ck_assert_int_eq(m->kind, N_COMM);
	ck_assert_str_eq(m->u.str.s, "a\tb\\c\"dA");
	ck_assert_uint_eq(m->u.str.len, 8);
	run_free(&r);
}
END_TEST

START_TEST(test_bad_escape_and_nul)
{
	struct run r;
	run_text(&r, "policy p { match comm \"a\\qb\" or comm \"\\x00\"; }", true);
	ck_assert(run_says(&r, "t.mmp:1:25: error: unknown escape sequence '\\q'"));
	ck_assert(run_says(&r, "error: a NUL character cannot appear in a string"));
	run_free(&r);
}
END_TEST

START_TEST(test_unterminated_string)
{
	struct run r;
	run_text(&r, "policy p {\n  match comm \"redis;\n}\n", true);
	ck_assert(run_says(&r, "t.mmp:2:14: error: missing terminating '\"' character"));
	run_free(&r);
}
END_TEST

START_TEST(test_stray_character)
{
	struct run r;
	run_text(&r, "policy p { match all; $ region a = anon; }", true);
	ck_assert(run_says(&r, "t.mmp:1:23: error: unexpected character '$'"));
	run_free(&r);
	run_text(&r, "policy p { match all; \x01 }", true);
	ck_assert(run_says(&r, "error: unexpected byte 0x01"));
	run_free(&r);
}
END_TEST

START_TEST(test_comments_and_rate_token)
{
	struct run r;
	/* '/s' after a name is a rate; '/size' is a division by 'size'. */
	run_text(&r, "# top\npolicy p { # inline\n match all; region a = all;\n"
		     " pagesize a { 2M: 1; } when faults/s > 2 and faults/size > 1;\n}\n", true);
	ck_assert_msg(r.rc == 0, "%s", r.out);
	const struct mmp_node *when = r.u.ast.policies->u.stmt.body->next->next->u.stmt.expr;
	const struct mmp_node *rate = when->u.bin.lhs->u.bin.lhs;
	ck_assert_int_eq(rate->kind, N_RATE);
	const struct mmp_node *div = when->u.bin.rhs->u.bin.lhs;
	ck_assert_int_eq(div->kind, N_BINARY);
	ck_assert_int_eq(div->u.bin.op, OP_DIV);
	ck_assert_str_eq(div->u.bin.rhs->u.name.id, "size");
	run_free(&r);
}
END_TEST

static Suite *lexer_suite(void)
{
	Suite *s = suite_create("lexer");
	TCase *tc = tcase_create("tokens");
	tcase_add_test(tc, test_units_scale);
	tcase_add_test(tc, test_unknown_unit);
	tcase_add_test(tc, test_number_too_large);
	tcase_add_test(tc, test_pid_value);
	tcase_add_test(tc, test_string_escapes);
	tcase_add_test(tc, test_bad_escape_and_nul);
	tcase_add_test(tc, test_unterminated_string);
	tcase_add_test(tc, test_stray_character);
	tcase_add_test(tc, test_comments_and_rate_token);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(lexer_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
