/* check_ahead.c - where 'ahead' prepares chunks (runtime/pagesize_ahead.h):
 * never behind the frontier, never past the lead, never outside the
 * mapping, and a tripwire in every half lead so the frontier is seen. */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "runtime/pagesize_ahead.h"

START_TEST(test_span_first_fault)
{
	uint64_t first, last;
	ahead_span(100, 0, 32, 0, 1000, &first, &last);
	ck_assert_uint_eq(first, 101);
	ck_assert_uint_eq(last, 133);   /* 32 chunks: the lead */
}
END_TEST

START_TEST(test_span_extends_horizon)
{
	uint64_t first, last;
	/* Prepared up to 140; the process faults at 120 (a tripwire). */
	ahead_span(120, 140, 32, 0, 1000, &first, &last);
	ck_assert_uint_eq(first, 141);
	ck_assert_uint_eq(last, 153);
	/* Nothing new while the horizon is a full lead ahead. */
	ahead_span(120, 152, 32, 0, 1000, &first, &last);
	ck_assert_uint_ge(first, last);
}
END_TEST

START_TEST(test_span_stays_in_mapping)
{
	uint64_t first, last;
	ahead_span(100, 0, 32, 0, 110, &first, &last);
	ck_assert_uint_eq(first, 101);
	ck_assert_uint_eq(last, 110);   /* the mapping ends there */
	ahead_span(5, 0, 32, 20, 1000, &first, &last);
	ck_assert_uint_eq(first, 20);
	/* A fault at the last chunk of the mapping: nothing after it. */
	ahead_span(109, 0, 32, 0, 110, &first, &last);
	ck_assert_uint_ge(first, last);
}
END_TEST

/* A writer going front to back through 1000 chunks, faulting only where
 * nothing was prepared (a prepared chunk takes no fault), with a preparer
 * that keeps up: it is told at each such fault, and prepares at once. */
START_TEST(test_writer_sees_tripwires)
{
	enum { N = 1000, LEAD = 32 };
	static bool prepared[N + LEAD + 2];
	memset(prepared, 0, sizeof(prepared));
	uint64_t hi = 0, faults = 0, last_fault = 0;
	for (uint64_t c = 0; c < N; c++) {
		if (prepared[c])
			continue;
		faults++;   /* a chunk in 4K pages, and an event */
		last_fault = c;
		uint64_t first, last;
		ahead_span(c, hi, LEAD, 0, N, &first, &last);
		for (uint64_t k = first; k < last; k++) {
			ck_assert_uint_le(k, last_fault + LEAD);   /* bloat: within the lead */
			ck_assert_uint_gt(k, c);                   /* never where it writes */
			if (!ahead_is_tripwire(k, LEAD / 2))
				prepared[k] = true;
		}
		if (last > hi + 1)
			hi = last - 1;
	}
	/* One chunk in every half lead is left to the faults: 1000/16 = 63,
	 * and the first. */
	ck_assert_uint_le(faults, N / (LEAD / 2) + 2);
	ck_assert_uint_ge(faults, N / (LEAD / 2));
}
END_TEST

START_TEST(test_tripwire_spacing)
{
	unsigned n = 0;
	for (uint64_t c = 1; c <= 64; c++)
		n += ahead_is_tripwire(c, 16);
	ck_assert_uint_eq(n, 4);
	ck_assert(!ahead_is_tripwire(7, 0));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ahead");
	TCase *tc = tcase_create("span");
	tcase_add_test(tc, test_span_first_fault);
	tcase_add_test(tc, test_span_extends_horizon);
	tcase_add_test(tc, test_span_stays_in_mapping);
	tcase_add_test(tc, test_writer_sees_tripwires);
	tcase_add_test(tc, test_tripwire_spacing);
	suite_add_tcase(s, tc);
	SRunner *r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
