/* check_trigger.c - the arithmetic of triggers (runtime/trigger_math.c):
 * stall shares, thresholds, and when pressure or usage counts as
 * sustained. Times are given, never measured. */
#include <check.h>
#include <stdlib.h>

#include "runtime/trigger_math.h"

#define MS 1000000LL
#define S 1000000000LL

/* A sample at T ns with TOTAL us of stall so far. */
static void sample(struct pressure_state *s, long long t, unsigned long long total)
{
	pressure_record(s, t, total);
}

START_TEST(test_share_between)
{
	struct psi_sample a = { 0, 0 }, b = { S, 250000 };
	ck_assert_int_eq(psi_share_between(&a, &b), 2500);   /* 25.00% */
	b = (struct psi_sample){ 500 * MS, 500000 };
	ck_assert_int_eq(psi_share_between(&a, &b), 10000);  /* all of it stalled */
	b = (struct psi_sample){ 2 * S, 1 };
	ck_assert_int_eq(psi_share_between(&a, &b), 0);      /* under a hundredth: 0 */
	/* No time between them (or under a microsecond): 0, not a division by 0. */
	b = (struct psi_sample){ 0, 100 };
	ck_assert_int_eq(psi_share_between(&a, &b), 0);
	b = (struct psi_sample){ 999, 100 };
	ck_assert_int_eq(psi_share_between(&a, &b), 0);
}
END_TEST

START_TEST(test_threshold)
{
	struct threshold gt = { 10, false }, ge = { 10, true };
	/* Exactly at the limit: over only with >=. */
	ck_assert(!threshold_over(&gt, 1000));
	ck_assert(threshold_over(&gt, 1001));
	ck_assert(threshold_over(&ge, 1000));
	ck_assert(!threshold_over(&ge, 999));
	struct threshold zero = { 0, false }, zero_ge = { 0, true };
	ck_assert(!threshold_over(&zero, 0));
	ck_assert(threshold_over(&zero, 1));
	ck_assert(threshold_over(&zero_ge, 0));
	/* The bytes of a limit: the limit's hundredth first, as the kernel's
	 * threshold is written. */
	struct threshold t80 = { 80, false };
	ck_assert_int_eq(threshold_bytes(&t80, 1000000), 800000);
	ck_assert_int_eq(threshold_bytes(&t80, 1000099), 800000);
	ck_assert_int_eq(threshold_bytes(&t80, 0), 0);
}
END_TEST

START_TEST(test_share_now)
{
	struct pressure_state s = { 0 };
	ck_assert_int_eq(psi_share_now(&s, S), -1);
	sample(&s, 0, 0);
	ck_assert_int_eq(psi_share_now(&s, 0), -1);   /* one sample: too early */
	/* Over the last second: from the first sample within it. */
	sample(&s, 500 * MS, 100000);
	sample(&s, 1000 * MS, 200000);
	sample(&s, 1500 * MS, 500000);
	ck_assert_int_eq(psi_share_now(&s, 1500 * MS), 4000);   /* (500000-100000) us over 1 s */
	/* A sample exactly a second back still counts. */
	ck_assert_int_eq(psi_share_now(&s, 1500 * MS), psi_share_between(&s.hist[1], &s.hist[3]));
	/* The samples within the second span under 200 ms: too early. */
	struct pressure_state q = { 0 };
	sample(&q, 0, 0);
	sample(&q, 1400 * MS, 0);
	sample(&q, 1500 * MS, 100000);
	ck_assert_int_eq(psi_share_now(&q, 1500 * MS), -1);
	/* 200 ms exactly is enough. */
	sample(&q, 1600 * MS, 100000);
	ck_assert_int_eq(psi_share_now(&q, 1600 * MS), 5000);
	/* Every sample older than a second: nothing to tell. */
	ck_assert_int_eq(psi_share_now(&q, 3 * S), -1);
}
END_TEST

START_TEST(test_history)
{
	struct pressure_state s = { 0 };
	ck_assert(pressure_look_due(&s, 0));
	for (int i = 0; i < PSI_HISTORY + 1; i++)
		sample(&s, (long long)i * 100 * MS, (unsigned long long)i);
	/* Full: the oldest gave way. */
	ck_assert_uint_eq(s.nhist, PSI_HISTORY);
	ck_assert_int_eq(s.hist[0].t, 100 * MS);
	ck_assert_int_eq(s.hist[PSI_HISTORY - 1].t, PSI_HISTORY * 100 * MS);
	/* A look is due a second after the last sample, not before. */
	long long last = PSI_HISTORY * 100 * MS;
	ck_assert(!pressure_look_due(&s, last + S - 1));
	ck_assert(pressure_look_due(&s, last + S));
	pressure_reset(&s);
	ck_assert_uint_eq(s.nhist, 0);
	ck_assert(!s.active);
}
END_TEST

START_TEST(test_sampled_rise)
{
	struct threshold th = { 10, false };
	struct pressure_state s = { 0 };
	long share = -7;
	/* One sample: nothing to compare. */
	sample(&s, S, 0);
	ck_assert_int_eq(pressure_update(&s, &th, S, &share), PRESSURE_SAME);
	/* 10% exactly over the second: not over '> 10%'. */
	sample(&s, 2 * S, 100000);
	ck_assert_int_eq(pressure_update(&s, &th, 2 * S, &share), PRESSURE_SAME);
	ck_assert(!s.active);
	/* ... but over '>= 10%'. */
	struct threshold th_ge = { 10, true };
	struct pressure_state s2 = s;
	ck_assert_int_eq(pressure_update(&s2, &th_ge, 2 * S, &share), PRESSURE_ROSE);
	/* 20%: it counts from the sample, not from the second before it. */
	sample(&s, 3 * S, 300000);
	ck_assert_int_eq(pressure_update(&s, &th, 3 * S, &share), PRESSURE_ROSE);
	ck_assert(s.active);
	ck_assert_int_eq(s.since, 3 * S);
	ck_assert_int_eq(s.quiet_since, 0);
	ck_assert_int_eq(share, -7);   /* a sampled rise says no share */
	/* Samples more than 2 s apart say nothing of the time between. */
	struct pressure_state g = { 0 };
	sample(&g, S, 0);
	sample(&g, 3 * S + 1, 1000000);
	ck_assert_int_eq(pressure_update(&g, &th, 3 * S + 1, &share), PRESSURE_SAME);
	ck_assert(!g.active);
}
END_TEST

START_TEST(test_active)
{
	struct threshold th = { 10, false };
	struct pressure_state s = { 0 };
	long share = 0;
	/* Woken by the PSI trigger at 1 s: pressure counts from then. */
	ck_assert(pressure_wake(&s, S));
	ck_assert(!pressure_wake(&s, 2 * S));   /* already: since stays */
	ck_assert_int_eq(s.since, S);
	sample(&s, S, 0);
	/* Too early to tell: the PSI event stands. */
	ck_assert_int_eq(pressure_update(&s, &th, S, &share), PRESSURE_SAME);
	ck_assert_int_eq(s.since, S);
	/* Over: since stays. */
	sample(&s, S + 500 * MS, 100000);   /* 20% */
	ck_assert_int_eq(pressure_update(&s, &th, S + 500 * MS, &share), PRESSURE_SAME);
	ck_assert_int_eq(share, 2000);
	ck_assert_int_eq(s.since, S);
	/* Held 'for 1s' at 2 s, not a nanosecond before. */
	ck_assert(!pressure_held(&s, 2 * S - 1, S));
	ck_assert(pressure_held(&s, 2 * S, S));
	ck_assert(pressure_held(&s, S, 0));
	/* It falls: since is gone, quiet from now; still sampling. */
	sample(&s, 2 * S, 110000);   /* the last second: 110000 us over 1 s = 11%... */
	sample(&s, 2500 * MS, 120000); /* ...the last second from 1.5 s: 20000 us, 2% */
	ck_assert_int_eq(pressure_update(&s, &th, 2500 * MS, &share), PRESSURE_FELL);
	ck_assert_int_eq(share, 200);
	ck_assert_int_eq(s.since, 0);
	ck_assert_int_eq(s.quiet_since, 2500 * MS);
	ck_assert(s.active);
	ck_assert(!pressure_held(&s, 10 * S, 0));
	/* Under for 2 s exactly: still active; over 2 s: back to waiting. */
	sample(&s, 4000 * MS, 120000);
	sample(&s, 4500 * MS, 120000);
	ck_assert_int_eq(pressure_update(&s, &th, 4500 * MS, &share), PRESSURE_SAME);
	ck_assert_int_eq(share, 0);
	ck_assert(s.active);
	sample(&s, 4600 * MS, 120000);
	ck_assert_int_eq(pressure_update(&s, &th, 4600 * MS, &share), PRESSURE_SAME);
	ck_assert(!s.active);
	/* Over again before that: since is set at the sample, quiet is reset. */
	struct pressure_state r = { 0 };
	pressure_wake(&r, S);
	sample(&r, S, 0);
	sample(&r, 1500 * MS, 0);
	ck_assert_int_eq(pressure_update(&r, &th, 1500 * MS, &share), PRESSURE_FELL);
	sample(&r, 2 * S, 500000);
	ck_assert_int_eq(pressure_update(&r, &th, 2 * S, &share), PRESSURE_SAME);
	ck_assert_int_eq(r.since, 2 * S);
	ck_assert_int_eq(r.quiet_since, 0);
}
END_TEST

START_TEST(test_spike_is_not_sustained)
{
	/* 'pressure some > 10% for 3s' with a 1.5 s spike sampled every
	 * 500 ms: over from the wake-up, fallen before 3 s. */
	struct threshold th = { 10, false };
	struct pressure_state s = { 0 };
	long share;
	pressure_wake(&s, 10 * S);
	unsigned long long total = 0;
	bool held = false;
	for (long long t = 10 * S; t <= 16 * S; t += 500 * MS) {
		if (t < 11500 * MS)
			total += 500000;   /* all stalled */
		sample(&s, t, total);
		pressure_update(&s, &th, t, &share);
		held |= pressure_held(&s, t, 3 * S);
	}
	ck_assert(!held);
	/* The same pressure for 4 s holds. */
	struct pressure_state l = { 0 };
	pressure_wake(&l, 10 * S);
	total = 0;
	long long first = 0;
	for (long long t = 10 * S; t <= 15 * S; t += 500 * MS) {
		total += 500000;
		sample(&l, t, total);
		pressure_update(&l, &th, t, &share);
		if (!first && pressure_held(&l, t, 3 * S))
			first = t;
	}
	ck_assert_int_eq(first, 13 * S);
}
END_TEST

START_TEST(test_usage)
{
	struct threshold gt = { 80, false }, ge = { 80, true };
	struct usage_level u = { 0 };
	/* Exactly at 80%: over only with >=. */
	usage_update(&u, &gt, 800000, 1000000, S);
	ck_assert_int_eq(u.since, 0);
	ck_assert_int_eq(u.excess, 0);
	ck_assert_int_eq(u.room, 200000);
	usage_update(&u, &ge, 800000, 1000000, S);
	ck_assert_int_eq(u.since, S);
	/* Over: since stays where it began. */
	usage_update(&u, &gt, 900000, 1000000, 2 * S);
	ck_assert_int_eq(u.since, S);
	ck_assert_int_eq(u.excess, 100000);
	ck_assert(!usage_held(&u, 2 * S - 1, S));
	ck_assert(usage_held(&u, 2 * S, S));
	/* What to free: the excess, and half the room below the limit. */
	ck_assert_int_eq(usage_to_free(&u), 100000 + 100000);
	/* Under: not over any more. */
	usage_update(&u, &gt, 500000, 1000000, 3 * S);
	ck_assert_int_eq(u.since, 0);
	ck_assert(!usage_held(&u, 3 * S, 0));
	ck_assert_int_eq(u.excess, -300000);
	/* No limit: never over, the figures of the last sample kept. */
	usage_update(&u, &gt, 900000, 1000000, 4 * S);
	ck_assert_int_eq(u.since, 4 * S);
	usage_update(&u, &gt, 5000000, 0, 5 * S);
	ck_assert_int_eq(u.since, 0);
	ck_assert_int_eq(u.excess, 100000);
	/* A limit that is not a multiple of 100: the percentage of usage is
	 * exact, the threshold in bytes rounds down. */
	struct usage_level v = { 0 };
	usage_update(&v, &gt, 800080, 1000099, S);   /* 80.00%: not over 80 */
	ck_assert_int_eq(v.since, 0);
	ck_assert_int_eq(v.excess, 80);
	ck_assert_int_eq(v.room, 200099);
}
END_TEST

static Suite *trigger_suite(void)
{
	Suite *s = suite_create("trigger");
	TCase *tc = tcase_create("arithmetic");
	tcase_add_test(tc, test_share_between);
	tcase_add_test(tc, test_threshold);
	tcase_add_test(tc, test_share_now);
	tcase_add_test(tc, test_history);
	tcase_add_test(tc, test_sampled_rise);
	tcase_add_test(tc, test_active);
	tcase_add_test(tc, test_spike_is_not_sustained);
	tcase_add_test(tc, test_usage);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(trigger_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
