/* check_journal.c - the undo journal's records (runtime/journal_text.c):
 * what a killed runtime's guardian, the next start or 'mmp restore' puts
 * back, read from the text the runtime appended. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/journal.h"

START_TEST(test_format_and_fold)
{
	char text[512] = "", line[96];
	const struct journal_entry recs[] = {
		{ 100, 5000, 0, 300 },    /* pid 100: written 300, */
		{ 200, 6000, -17, 500 },
		{ 100, 5000, 0, 347 },    /* then 347: its original stays 0 */
		{ 100, 9000, 12, 40 },    /* pid 100 again, another process (start) */
		{ 200, 6000, 1000, 1000 },   /* pid 200 set its own 1000: its original now */
		{ 200, 6000, 1000, 80 },
	};
	for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
		int n = journal_format(line, sizeof(line), &recs[i]);
		ck_assert_int_eq(n, (int)strlen(line));
		ck_assert_int_eq(line[n - 1], '\n');
		strcat(text, line);
	}
	struct journal_entry v[8];
	size_t n = journal_fold(text, v, 8);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(v[0].pid, 100);
	ck_assert_uint_eq(v[0].start, 5000);
	ck_assert_int_eq(v[0].orig, 0);
	ck_assert_int_eq(v[0].set, 347);
	ck_assert_int_eq(v[1].orig, 1000);
	ck_assert_int_eq(v[1].set, 80);
	ck_assert_uint_eq(v[2].start, 9000);
	ck_assert_int_eq(v[2].orig, 12);
}
END_TEST

START_TEST(test_damaged)
{
	struct journal_entry v[4];
	/* A record cut by a crash mid-line, junk, a pid of 0: skipped. */
	const char *text = "garbage\n0 1 2 3\n300 7 0 100\n400 8 0 2";
	ck_assert_uint_eq(journal_fold(text, v, 4), 2);
	ck_assert_int_eq(v[0].pid, 300);
	ck_assert_int_eq(v[1].set, 2);   /* the last line, whole though unterminated */
	ck_assert_uint_eq(journal_fold("300 7 0 1x\n", v, 4), 0);
	ck_assert_uint_eq(journal_fold("", v, 4), 0);
	/* More processes than room: the first ones. */
	ck_assert_uint_eq(journal_fold("1 1 0 1\n2 2 0 2\n3 3 0 3\n", v, 2), 2);
}
END_TEST

START_TEST(test_cgroups)
{
	char text[9000] = "", line[4200];
	struct journal_cgroup rec = { .orig = 0, .set = 1 };
	strcpy(rec.dir, "/sys/fs/cgroup/memory/a b");   /* a space in a name */
	ck_assert_int_gt(journal_format_cgroup(line, sizeof(line), &rec), 0);
	strcat(text, line);
	strcat(text, "100 5000 0 300\n");   /* a process's record between */
	rec.set = 0;                          /* given back to the kernel for one OOM */
	ck_assert_int_gt(journal_format_cgroup(line, sizeof(line), &rec), 0);
	strcat(text, line);
	strcpy(rec.dir, "/sys/fs/cgroup/memory/c");
	rec.set = 1;
	ck_assert_int_gt(journal_format_cgroup(line, sizeof(line), &rec), 0);
	strcat(text, line);
	strcat(text, "cg 0 1 relative/path\ncg 0 1\ncg x 1 /d\n");   /* skipped */
	struct journal_cgroup v[4];
	ck_assert_uint_eq(journal_fold_cgroups(text, v, 4), 2);
	ck_assert_str_eq(v[0].dir, "/sys/fs/cgroup/memory/a b");
	ck_assert_int_eq(v[0].orig, 0);
	ck_assert_int_eq(v[0].set, 0);
	ck_assert_str_eq(v[1].dir, "/sys/fs/cgroup/memory/c");
	ck_assert_int_eq(v[1].set, 1);
	/* memory.high of the same cgroup is a setting of its own; "max" is -1. */
	strcpy(rec.dir, "/sys/fs/cgroup/c");
	rec.knob = JOURNAL_MEMORY_HIGH;
	rec.orig = -1;
	rec.set = 3LL << 30;   /* over 2^31: the values are long long */
	ck_assert_int_gt(journal_format_cgroup(line, sizeof(line), &rec), 0);
	strcat(text, line);
	rec.knob = JOURNAL_OOM_KILL_DISABLE;
	rec.orig = 0;
	rec.set = 1;
	ck_assert_int_gt(journal_format_cgroup(line, sizeof(line), &rec), 0);
	strcat(text, line);
	strcat(text, "mx 1 2 /d\nmh 1 2 d\n");   /* skipped: no such knob, a relative path */
	ck_assert_uint_eq(journal_fold_cgroups(text, v, 4), 4);
	ck_assert_int_eq(v[2].knob, JOURNAL_MEMORY_HIGH);
	ck_assert_str_eq(v[2].dir, "/sys/fs/cgroup/c");
	ck_assert_int_eq(v[2].orig, -1);
	ck_assert_int_eq(v[2].set, 3LL << 30);
	ck_assert_int_eq(v[3].knob, JOURNAL_OOM_KILL_DISABLE);
	ck_assert_str_eq(v[3].dir, "/sys/fs/cgroup/c");
	/* The processes' fold skips the cgroups' records, and theirs the processes'. */
	struct journal_entry e[4];
	ck_assert_uint_eq(journal_fold(text, e, 4), 1);
	/* A directory with a newline cannot be one line: refused. */
	strcpy(rec.dir, "/sys/fs/cgroup/memory/x\ny");
	ck_assert_int_eq(journal_format_cgroup(line, sizeof(line), &rec), -1);
}
END_TEST

static Suite *journal_suite(void)
{
	Suite *s = suite_create("journal");
	TCase *tc = tcase_create("records");
	tcase_add_test(tc, test_format_and_fold);
	tcase_add_test(tc, test_damaged);
	tcase_add_test(tc, test_cgroups);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(journal_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
