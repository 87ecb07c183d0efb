/* check_oom.c - the 'oom' order and the oom_score_adj values that carry it
 * (runtime/oom_order.c): classes, ties, protect with and without
 * CAP_SYS_RESOURCE, ranges that run out. No /proc, no oom_score_adj. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/plan.h"
#include "runtime/oom_order.h"
#include "testutil.h"

/* A candidate of ANON pages (its badness, with nothing else counted). */
static struct oom_candidate cand(pid_t pid, enum mmp_oom_class cls, int64_t score, long long anon)
{
	struct oom_candidate c = { .pid = pid, .cls = cls, .score = score };
	c.pages[MMP_MEM_ANON] = anon;
	return c;
}

START_TEST(test_badness)
{
	struct oom_candidate c = { 0 };
	ck_assert_int_eq(oom_badness(&c), 0);
	c.pages[MMP_MEM_ANON] = 1;
	c.pages[MMP_MEM_FILE] = 20;
	c.pages[MMP_MEM_SHMEM] = 300;
	c.pages[MMP_MEM_SWAP] = 4000;
	c.pte_pages = 50000;
	ck_assert_int_eq(oom_badness(&c), 54321);
}
END_TEST

START_TEST(test_order)
{
	/* Classes first: prefer, normal, avoid, whatever the scores. */
	struct oom_candidate a = cand(10, MMP_OOM_AVOID, 1000, 1000), n = cand(11, MMP_OOM_NORMAL, 5, 5),
			     p = cand(12, MMP_OOM_PREFER, 1, 1);
	struct oom_candidate *v[] = { &a, &n, &p };
	oom_sort_victims(v, 3);
	ck_assert_ptr_eq(v[0], &p);
	ck_assert_ptr_eq(v[1], &n);
	ck_assert_ptr_eq(v[2], &a);
	/* Within a class: the higher score; on a tie the higher badness;
	 * on a tie of both the lower pid. */
	struct oom_candidate s1 = cand(20, MMP_OOM_NORMAL, 50, 10), s2 = cand(21, MMP_OOM_NORMAL, 70, 1),
			     b1 = cand(22, MMP_OOM_NORMAL, 50, 30), t1 = cand(24, MMP_OOM_NORMAL, 50, 30),
			     t2 = cand(23, MMP_OOM_NORMAL, 50, 30);
	struct oom_candidate *w[] = { &s1, &s2, &b1, &t1, &t2 };
	oom_sort_victims(w, 5);
	ck_assert_ptr_eq(w[0], &s2);
	ck_assert_ptr_eq(w[1], &b1);
	ck_assert_ptr_eq(w[2], &t2);
	ck_assert_ptr_eq(w[3], &t1);
	ck_assert_ptr_eq(w[4], &s1);
	/* Negative scores order as numbers. */
	struct oom_candidate m1 = cand(30, MMP_OOM_NORMAL, -5, 0), m2 = cand(31, MMP_OOM_NORMAL, -50, 0);
	ck_assert_int_lt(oom_victim_cmp(&m1, &m2), 0);
	ck_assert_int_gt(oom_victim_cmp(&m2, &m1), 0);
	ck_assert_int_eq(oom_victim_cmp(&m1, &m1), 0);
	/* Nothing to sort. */
	oom_sort_victims(NULL, 0);
}
END_TEST

START_TEST(test_fit_plain)
{
	/* 1000 pages: a unit of oom_score_adj is a page. Victims A, B, C
	 * from the bottom up: C keeps 0, B (bigger than C by more than the
	 * margin) too, A is raised to B's points plus the margin. */
	struct oom_candidate A = cand(1, MMP_OOM_PREFER, 0, 100), B = cand(2, MMP_OOM_NORMAL, 0, 300),
			     C = cand(3, MMP_OOM_AVOID, 0, 50);
	struct oom_candidate *v[] = { &A, &B, &C };
	int out[3] = { -1, -1, -1 };
	ck_assert(oom_fit(v, 3, NULL, 0, 1000, 100, false, out));
	ck_assert_int_eq(out[0], 300);
	ck_assert_int_eq(out[1], 0);
	ck_assert_int_eq(out[2], 0);
	/* The widest margin first: 100 per mille of 1000 pages. */
	memset(out, -1, sizeof(out));
	ck_assert(oom_fit_domain(v, 3, NULL, 0, 1000, false, out));
	ck_assert_int_eq(out[0], 300);
	/* A unit of 2 pages: rounded up, so that the order holds. */
	struct oom_candidate D = cand(4, MMP_OOM_PREFER, 0, 100), E = cand(5, MMP_OOM_NORMAL, 0, 301);
	struct oom_candidate *w[] = { &D, &E };
	ck_assert(oom_fit(w, 2, NULL, 0, 2000, 200, false, out));
	ck_assert_int_eq(out[0], 201);   /* 100 + 2 * 201 = 502 >= 301 + 200 */
	ck_assert_int_eq(out[1], 0);
	/* No candidates: nothing to fit, which fits. */
	ck_assert(oom_fit_domain(NULL, 0, NULL, 0, 1000, false, out));
}
END_TEST

START_TEST(test_fit_margins)
{
	/* B has 950 of 1000 pages: A needs B's 950 plus the margin, at most
	 * 1000. A margin of 100 does not fit; 50 does, exactly at the top. */
	struct oom_candidate A = cand(1, MMP_OOM_PREFER, 0, 0), B = cand(2, MMP_OOM_NORMAL, 0, 950);
	struct oom_candidate *v[] = { &A, &B };
	int out[2];
	ck_assert(!oom_fit(v, 2, NULL, 0, 1000, 100, false, out));
	ck_assert_int_eq(out[0], OOM_ADJ_MAX);
	ck_assert(oom_fit(v, 2, NULL, 0, 1000, 50, false, out));
	ck_assert_int_eq(out[0], 1000);
	ck_assert(oom_fit_domain(v, 2, NULL, 0, 1000, false, out));
	ck_assert_int_eq(out[0], 1000);
	ck_assert_int_eq(out[1], 0);
}
END_TEST

START_TEST(test_fit_runs_out)
{
	/* B fills the domain: A, with nothing resident, cannot get above it
	 * in 0..1000. */
	struct oom_candidate A = cand(1, MMP_OOM_PREFER, 0, 0), B = cand(2, MMP_OOM_NORMAL, 0, 1000);
	struct oom_candidate *v[] = { &A, &B };
	int out[2];
	/* Without CAP_SYS_RESOURCE: no margin fits; the first victim gets the
	 * most it can. */
	ck_assert(!oom_fit_domain(v, 2, NULL, 0, 1000, false, out));
	ck_assert_int_eq(out[0], OOM_ADJ_MAX);
	ck_assert_int_eq(out[1], 0);
	/* With it: the order reaches down to -999 for B, and A lands the
	 * widest margin above it. */
	ck_assert(oom_fit_domain(v, 2, NULL, 0, 1000, true, out));
	ck_assert_int_eq(out[1], OOM_ADJ_MIN + 1);
	ck_assert_int_eq(out[0], 101);   /* 0 + 101 >= 1000 - 999 + 100 */
}
END_TEST

START_TEST(test_fit_protect)
{
	/* P is protected, 200 pages, at 0: without CAP_SYS_RESOURCE it
	 * keeps its value, and A is raised above it by the margin. */
	struct oom_candidate P = cand(9, MMP_OOM_PROTECT, 0, 200), A = cand(1, MMP_OOM_NORMAL, 0, 100);
	struct oom_candidate *v[] = { &A }, *prot[] = { &P };
	int out[1];
	ck_assert(oom_fit_domain(v, 1, prot, 1, 1000, false, out));
	ck_assert_int_eq(out[0], 200);   /* 100 + 200 >= 200 + 0 + 100 */
	/* With CAP_SYS_RESOURCE P gets -1000 (oom.c writes it): A need not
	 * move. */
	ck_assert(oom_fit_domain(v, 1, prot, 1, 1000, true, out));
	ck_assert_int_eq(out[0], 0);
	/* A protected process someone privileged set low is counted where
	 * it is: nothing to raise A above. */
	P.adj = -500;
	ck_assert(oom_fit_domain(v, 1, prot, 1, 1000, false, out));
	ck_assert_int_eq(out[0], 0);
	/* The highest of several protected ones is the floor. */
	struct oom_candidate Q = cand(8, MMP_OOM_PROTECT, 0, 400);
	struct oom_candidate *prot2[] = { &P, &Q };
	ck_assert(oom_fit_domain(v, 1, prot2, 2, 1000, false, out));
	ck_assert_int_eq(out[0], 400);   /* 100 + 400 >= 400 + 100 */
	/* Protected ones that fill the domain leave no room without the
	 * capability. */
	struct oom_candidate R = cand(7, MMP_OOM_PROTECT, 0, 1000), Z = cand(6, MMP_OOM_NORMAL, 0, 0);
	struct oom_candidate *prot3[] = { &R }, *z[] = { &Z };
	ck_assert(!oom_fit_domain(z, 1, prot3, 1, 1000, false, out));
	ck_assert_int_eq(out[0], OOM_ADJ_MAX);
}
END_TEST

START_TEST(test_fit_floors)
{
	/* A process already below 0 keeps its own floor: the order is built
	 * up from it, not from 0. */
	struct oom_candidate A = cand(1, MMP_OOM_PREFER, 0, 100), B = cand(2, MMP_OOM_AVOID, 0, 100);
	B.lowest = -300;
	struct oom_candidate *v[] = { &A, &B };
	int out[2];
	ck_assert(oom_fit(v, 2, NULL, 0, 1000, 100, false, out));
	ck_assert_int_eq(out[1], -300);
	ck_assert_int_eq(out[0], 0);   /* 100 >= 100 - 300 + 100: A stays at its floor */
	/* TO_MIN: every floor is -999, the process's own one if lower. Below
	 * 0 the rounding up (+0.999999, then truncation toward 0) gives one
	 * unit more than the margin needs when the need is a whole number:
	 * the order holds all the same. */
	B.lowest = 0;
	ck_assert(oom_fit(v, 2, NULL, 0, 1000, 100, true, out));
	ck_assert_int_eq(out[1], -999);
	ck_assert_int_eq(out[0], -898);   /* 100 - 898 >= 100 - 999 + 100 */
	A.lowest = B.lowest = -1000;
	ck_assert(oom_fit(v, 2, NULL, 0, 1000, 100, true, out));
	ck_assert_int_eq(out[1], -1000);
	ck_assert_int_eq(out[0], -899);
}
END_TEST

START_TEST(test_settled)
{
	/* The same value: nothing to write. */
	ck_assert(oom_adj_settled(100, 100, true, false));
	/* A small move of a process already set, its rank the same: no. */
	ck_assert(oom_adj_settled(100, 109, false, true));
	ck_assert(oom_adj_settled(100, 91, false, true));
	ck_assert(!oom_adj_settled(100, 110, false, true));
	ck_assert(!oom_adj_settled(100, 90, false, true));
	/* A new rank, or a value mmp has not set yet, is written at once. */
	ck_assert(!oom_adj_settled(100, 101, true, true));
	ck_assert(!oom_adj_settled(100, 101, false, false));
	/* Protection (-1000) is always written. */
	ck_assert(!oom_adj_settled(-995, OOM_ADJ_MIN, false, true));
}
END_TEST

START_TEST(test_owes_after_write)
{
	/* The process wrote 1000 after mmp's -1000: its own, nothing owed. */
	ck_assert(!oom_owes_after_write(1000, 1000, true, -1000));
	/* The process wrote 1000, then mmp -1000 before the event was read:
	 * the -1000 in place is mmp's, and mmp owes the 1000 back (a Debian
	 * 6.1 guest once kept a protected process at -1000 after mmp). */
	ck_assert(oom_owes_after_write(1000, -1000, true, -1000));
	/* The process wrote 1000, then an admin 500, both before the first
	 * event: the 500 is the admin's (its event follows), nothing owed. */
	ck_assert(!oom_owes_after_write(1000, 500, true, -1000));
	/* mmp never wrote (or, in a dry run, never writes): nothing owed. */
	ck_assert(!oom_owes_after_write(1000, -1000, false, -1000));
}
END_TEST

/* The class the first policy's oom block of TEXT gives P. */
static enum mmp_oom_class classify(const char *oom, const struct proc_info *p)
{
	char text[512];
	snprintf(text, sizeof(text), "policy p { match all; oom { %s } }", oom);
	struct run r;
	run_text(&r, text, false);
	ck_assert_msg(r.rc == 0, "%s", r.out ? r.out : "");
	struct mmp_plan plan;
	ck_assert_int_eq(plan_build(&plan, &r.u.ast, r.u.src, r.u.arena), 0);
	enum mmp_oom_class c = oom_classify(plan.policies[0].oom, p);
	plan_free(&plan);
	run_free(&r);
	return c;
}

START_TEST(test_classify)
{
	struct proc_info sshd = { .pid = 100, .comm = "sshd" }, batch = { .pid = 200, .uid = 65534, .comm = "job" },
			 other = { .pid = 300, .comm = "x" };
	const char *rules = "protect comm \"sshd\"; prefer uid 65534; avoid comm \"sys*\";";
	ck_assert_int_eq(classify(rules, &sshd), MMP_OOM_PROTECT);
	ck_assert_int_eq(classify(rules, &batch), MMP_OOM_PREFER);
	ck_assert_int_eq(classify(rules, &other), MMP_OOM_NORMAL);
	struct proc_info sys = { .pid = 400, .comm = "systemd" };
	ck_assert_int_eq(classify(rules, &sys), MMP_OOM_AVOID);
	/* protect wins over prefer and avoid, in any order. */
	ck_assert_int_eq(classify("prefer comm \"sshd\"; protect comm \"sshd\";", &sshd), MMP_OOM_PROTECT);
	/* prefer and avoid together cancel out. */
	ck_assert_int_eq(classify("prefer comm \"sshd\"; avoid pid 100;", &sshd), MMP_OOM_NORMAL);
	/* No rule that selects: normal. */
	ck_assert_int_eq(classify("score = rss;", &sshd), MMP_OOM_NORMAL);
}
END_TEST

static Suite *oom_suite(void)
{
	Suite *s = suite_create("oom");
	TCase *tc = tcase_create("order");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_badness);
	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_fit_plain);
	tcase_add_test(tc, test_fit_margins);
	tcase_add_test(tc, test_fit_runs_out);
	tcase_add_test(tc, test_fit_protect);
	tcase_add_test(tc, test_fit_floors);
	tcase_add_test(tc, test_settled);
	tcase_add_test(tc, test_owes_after_write);
	tcase_add_test(tc, test_classify);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(oom_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
