/* check_textout.c - host strings escaped for JSON and for a terminal
 * (runtime/textout.c): a process may name itself anything. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/textout.h"

START_TEST(test_json)
{
	char buf[64];
	ck_assert_str_eq(json_text(buf, sizeof(buf), "redis-server"), "redis-server");
	ck_assert_str_eq(json_text(buf, sizeof(buf), "a\"b\\c"), "a\\\"b\\\\c");
	ck_assert_str_eq(json_text(buf, sizeof(buf), "\033[31mred\n"), "\\u001b[31mred\\u000a");
	/* Not UTF-8 or not: every byte past ASCII is one escape, so the
	 * output is valid JSON whatever the name holds. */
	ck_assert_str_eq(json_text(buf, sizeof(buf), "\xff\xc3\xa9"), "\\u00ff\\u00c3\\u00a9");
	/* Cut to fit, never inside an escape. */
	char small[9];
	ck_assert_str_eq(json_text(small, sizeof(small), "ab\033cdefgh"), "ab\\u001b");
	ck_assert_str_eq(json_text(small, sizeof(small), "abcde\"\"\""), "abcde\\\"");
}
END_TEST

START_TEST(test_shown)
{
	char buf[64];
	ck_assert_str_eq(shown_text(buf, sizeof(buf), "sshd"), "sshd");
	ck_assert_str_eq(shown_text(buf, sizeof(buf), "\033]0;owned\007x"), "\\x1b]0;owned\\x07x");
	ck_assert_str_eq(shown_text(buf, sizeof(buf), "caf\xc3\xa9"), "caf\xc3\xa9");   /* UTF-8 stays */
	ck_assert_str_eq(shown_text(buf, sizeof(buf), "\x7f"), "\\x7f");
}
END_TEST

static Suite *textout_suite(void)
{
	Suite *s = suite_create("textout");
	TCase *tc = tcase_create("escaping");
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_shown);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(textout_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
