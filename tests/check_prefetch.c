/* check_prefetch.c - predictions turned into ranges, merged, and kept from
 * being asked for twice (runtime/pf_ranges.c). */
#include <check.h>
#include <stdlib.h>

#include "runtime/pf_ranges.h"

#define P PF_PAGE

static struct mmp_pf_event ev(uint64_t start, uint32_t count, int64_t stride, uint32_t region)
{
	return (struct mmp_pf_event){ .kind = MMP_EV_PREFETCH, .pid = 1, .region = region, .count = count,
				      .start = start, .stride = stride };
}

static void expect(const struct pf_range *r, uint64_t start, uint64_t end, uint32_t region)
{
	ck_assert_msg(r->start == start && r->end == end && r->region == region,
		      "wanted [%#llx, %#llx) of %u, got [%#llx, %#llx) of %u", (unsigned long long)start,
		      (unsigned long long)end, region, (unsigned long long)r->start, (unsigned long long)r->end, r->region);
}

START_TEST(test_valid)
{
	struct mmp_pf_event e = ev(0x10000, 0, P, 0);
	ck_assert(!pf_event_valid(&e));
	e.count = 1;
	ck_assert(pf_event_valid(&e));
	e.count = 4096;
	ck_assert(pf_event_valid(&e));
	e.count = 4097;
	ck_assert(!pf_event_valid(&e));
}
END_TEST

START_TEST(test_expand)
{
	struct pf_ranges l = { 0 };
	/* Forward: from start on. */
	struct mmp_pf_event e = ev(0x10000, 4, P, 1);
	pf_ranges_add_event(&l, &e);
	/* Backward: the pages below start, start's included. */
	e = ev(0x20000, 3, -(int64_t)P, 2);
	pf_ranges_add_event(&l, &e);
	/* One page either way. */
	e = ev(0x30000, 1, P, 3);
	pf_ranges_add_event(&l, &e);
	ck_assert_uint_eq(l.n, 3);
	expect(&l.r[0], 0x10000, 0x14000, 1);
	expect(&l.r[1], 0x1e000, 0x21000, 2);
	expect(&l.r[2], 0x30000, 0x31000, 3);
	/* A stride: a page at each step, either way. */
	l.n = 0;
	e = ev(0x100000, 3, 3 * P, 0);
	pf_ranges_add_event(&l, &e);
	e = ev(0x100000, 2, -2 * (int64_t)P, 0);
	pf_ranges_add_event(&l, &e);
	ck_assert_uint_eq(l.n, 5);
	expect(&l.r[0], 0x100000, 0x101000, 0);
	expect(&l.r[1], 0x103000, 0x104000, 0);
	expect(&l.r[2], 0x106000, 0x107000, 0);
	expect(&l.r[3], 0x100000, 0x101000, 0);
	expect(&l.r[4], 0xfe000, 0xff000, 0);
	/* The list grows past its first allocation. */
	l.n = 0;
	e = ev(0x100000, 100, 2 * P, 0);
	pf_ranges_add_event(&l, &e);
	ck_assert_uint_eq(l.n, 100);
	expect(&l.r[99], 0x100000 + 99 * 2 * P, 0x100000 + 99 * 2 * P + P, 0);
	free(l.r);
}
END_TEST

START_TEST(test_merge)
{
	/* Unsorted; overlapping, touching, duplicate, contained: one range. */
	struct pf_range r[] = {
		{ 0x5000, 0x6000, 0 }, { 0x1000, 0x3000, 0 }, { 0x2000, 0x4000, 0 }, { 0x4000, 0x5000, 0 },
		{ 0x1000, 0x3000, 0 }, { 0x2000, 0x2800, 0 },
		/* a gap of a page: apart */
		{ 0x7000, 0x8000, 0 },
	};
	size_t n = pf_ranges_merge(r, sizeof(r) / sizeof(r[0]));
	ck_assert_uint_eq(n, 2);
	expect(&r[0], 0x1000, 0x6000, 0);
	expect(&r[1], 0x7000, 0x8000, 0);
	/* Ranges of different regions are not merged, even touching. */
	struct pf_range d[] = { { 0x1000, 0x2000, 0 }, { 0x2000, 0x3000, 1 }, { 0x3000, 0x4000, 1 } };
	n = pf_ranges_merge(d, 3);
	ck_assert_uint_eq(n, 2);
	expect(&d[0], 0x1000, 0x2000, 0);
	expect(&d[1], 0x2000, 0x4000, 1);
	/* Nothing, or one range: as it is. */
	ck_assert_uint_eq(pf_ranges_merge(NULL, 0), 0);
	struct pf_range one = { 0x9000, 0xa000, 4 };
	ck_assert_uint_eq(pf_ranges_merge(&one, 1), 1);
	expect(&one, 0x9000, 0xa000, 4);
}
END_TEST

START_TEST(test_recent)
{
	struct pf_recent q = { 0 };
	struct pf_range a = { 0x10000, 0x20000, 0 };
	ck_assert(!pf_recent_covers(&q, &a));
	pf_recent_add(&q, &a);
	ck_assert(pf_recent_covers(&q, &a));
	/* Inside, or at either edge: covered. Past an edge: not. */
	struct pf_range in = { 0x11000, 0x12000, 0 }, lo = { 0x10000, 0x11000, 0 }, hi = { 0x1f000, 0x20000, 0 },
			over = { 0x1f000, 0x21000, 0 }, under = { 0xf000, 0x11000, 0 };
	ck_assert(pf_recent_covers(&q, &in));
	ck_assert(pf_recent_covers(&q, &lo));
	ck_assert(pf_recent_covers(&q, &hi));
	ck_assert(!pf_recent_covers(&q, &over));
	ck_assert(!pf_recent_covers(&q, &under));
	/* Two neighbours do not cover a range across them. */
	struct pf_range b = { 0x20000, 0x30000, 0 }, across = { 0x1f000, 0x21000, 0 };
	pf_recent_add(&q, &b);
	ck_assert(!pf_recent_covers(&q, &across));
	/* The ring keeps the last PF_RECENT: the oldest is forgotten. */
	for (uint64_t i = 0; i < PF_RECENT - 1; i++) {
		struct pf_range x = { 0x1000000 + i * P, 0x1000000 + (i + 1) * P, 0 };
		pf_recent_add(&q, &x);
	}
	ck_assert_uint_eq(q.n, PF_RECENT);
	ck_assert(!pf_recent_covers(&q, &a));
	ck_assert(pf_recent_covers(&q, &b));
}
END_TEST

START_TEST(test_call_limits)
{
	ck_assert(!pf_call_full(0, 0, P));
	ck_assert(!pf_call_full(PF_MAX_IOV - 1, 0, P));
	ck_assert(pf_call_full(PF_MAX_IOV, 0, P));
	/* Up to PF_MAX_CALL bytes a call, exactly at it included. */
	ck_assert(!pf_call_full(1, PF_MAX_CALL - P, P));
	ck_assert(pf_call_full(1, PF_MAX_CALL - P, 2 * P));
	ck_assert(pf_call_full(0, 0, PF_MAX_CALL + P) == true);
}
END_TEST

static Suite *prefetch_suite(void)
{
	Suite *s = suite_create("prefetch");
	TCase *tc = tcase_create("ranges");
	tcase_add_test(tc, test_valid);
	tcase_add_test(tc, test_expand);
	tcase_add_test(tc, test_merge);
	tcase_add_test(tc, test_recent);
	tcase_add_test(tc, test_call_limits);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(prefetch_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
