/* check_ahead.c - where 'ahead' prepares chunks (runtime/pagesize_ahead.h):
 * never behind the frontier, never past the lead, never outside the
 * mapping, and a tripwire in every half lead so the frontier is seen,
 * none where the follower sees the writer. */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/pagesize_ahead.h"

START_TEST(test_span_first_fault)
{
	uint64_t first, last;
	ahead_span(100, 0, 32, 1, 0, 1000, &first, &last);
	ck_assert_uint_eq(first, 101);
	ck_assert_uint_eq(last, 133);   /* 32 chunks: the lead */
}
END_TEST

START_TEST(test_span_extends_horizon)
{
	uint64_t first, last;
	/* Prepared up to 140; the process faults at 120 (a tripwire). */
	ahead_span(120, 140, 32, 1, 0, 1000, &first, &last);
	ck_assert_uint_eq(first, 141);
	ck_assert_uint_eq(last, 153);
	/* Nothing new while the horizon is a full lead ahead. */
	ahead_span(120, 152, 32, 1, 0, 1000, &first, &last);
	ck_assert_uint_ge(first, last);
}
END_TEST

START_TEST(test_span_stays_in_mapping)
{
	uint64_t first, last;
	ahead_span(100, 0, 32, 1, 0, 110, &first, &last);
	ck_assert_uint_eq(first, 101);
	ck_assert_uint_eq(last, 110);   /* the mapping ends there */
	ahead_span(5, 0, 32, 1, 20, 1000, &first, &last);
	ck_assert_uint_eq(first, 20);
	/* A fault at the last chunk of the mapping: nothing after it. */
	ahead_span(109, 0, 32, 1, 0, 110, &first, &last);
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
		ahead_span(c, hi, LEAD, 1, 0, N, &first, &last);
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

/* A writer going front to back through N chunks, followed by what it
 * wrote: the follower sees it every LOOK chunks it writes, and a followed
 * frontier leaves no tripwires; chunks are queued STEP at a time. Checks
 * that nothing is prepared more than a lead past where the writer was
 * last seen, nor where it writes, and that a span seen at every chunk is
 * STEP chunks but the first and at the mapping's end. How many chunks
 * faulted; *SPANS, how many spans were queued. */
static uint64_t follow_writer(uint64_t n, uint64_t lead, uint64_t look, uint64_t step, uint64_t *spans)
{
	bool *prepared = calloc(n + lead + 2, sizeof(*prepared));
	ck_assert_ptr_nonnull(prepared);
	uint64_t hi = 0, faults = 0;
	*spans = 0;
	for (uint64_t c = 0; c < n; c++) {
		bool fault = !prepared[c];
		if (!fault && c % look)
			continue;
		faults += fault;
		uint64_t first, last;
		ahead_span(c, hi, lead, step, 0, n, &first, &last);
		if (first < last) {
			++*spans;
			ck_assert(last - first >= step || last == n || hi == 0);
			ck_assert(look > 1 || last - first == step || last == n || hi == 0);
		}
		for (uint64_t k = first; k < last; k++) {
			ck_assert_uint_le(k, c + lead);   /* bloat: within the lead */
			ck_assert_uint_gt(k, c);          /* never where it writes */
			prepared[k] = true;
		}
		if (last > hi + 1)
			hi = last - 1;
	}
	free(prepared);
	return faults;
}

/* Only the first chunk faults while the follower looks more often than a
 * lead. */
START_TEST(test_followed_writer)
{
	uint64_t spans;
	ck_assert_uint_eq(follow_writer(1000, 32, 8, 1, &spans), 1);
}
END_TEST

/* Once a horizon is prepared, a span waits until STEP chunks are new,
 * unless it reaches the mapping's end. */
START_TEST(test_span_step)
{
	uint64_t first, last;
	/* The lead ends at 152: prepared to 149, 3 are new; none yet. */
	ahead_span(120, 149, 32, 4, 0, 1000, &first, &last);
	ck_assert_uint_ge(first, last);
	ahead_span(120, 148, 32, 4, 0, 1000, &first, &last);   /* 4 new */
	ck_assert_uint_eq(first, 149);
	ck_assert_uint_eq(last, 153);
	ahead_span(120, 150, 32, 4, 0, 152, &first, &last);    /* the mapping's last chunk */
	ck_assert_uint_eq(first, 151);
	ck_assert_uint_eq(last, 152);
	ahead_span(200, 150, 32, 4, 0, 1000, &first, &last);   /* past the horizon: a whole lead */
	ck_assert_uint_eq(first, 201);
	ck_assert_uint_eq(last, 233);
}
END_TEST

/* The same writer seen at every chunk, its chunks prepared four at a
 * time (a lead that does not reach the mapping's end on a batch's
 * boundary): it still faults only at its first chunk. */
START_TEST(test_followed_writer_batched)
{
	uint64_t spans;
	ck_assert_uint_eq(follow_writer(1002, 32, 1, 4, &spans), 1);
	ck_assert_uint_le(spans, 1 + (1002 - 32) / 4 + 1);
}
END_TEST

/* What the follower looks at: prepared chunks past the frontier, nearest
 * first, each once, however the ring has wrapped. */
START_TEST(test_next_prepared)
{
	uint64_t ring[8] = { 0 }, out[4];
	unsigned pushed = 0;
	/* Two workers finish out of order; one chunk prepared twice. */
	uint64_t done[] = { 12, 10, 11, 14, 13, 11 };
	for (unsigned i = 0; i < sizeof(done) / sizeof(*done); i++)
		ring[pushed++ % 8] = done[i];
	ck_assert_uint_eq(ahead_next_prepared(ring, pushed, 8, 10, out, 4), 4);
	ck_assert_uint_eq(out[0], 11);
	ck_assert_uint_eq(out[1], 12);
	ck_assert_uint_eq(out[2], 13);
	ck_assert_uint_eq(out[3], 14);
	/* Past the last: nothing; the unwritten slots of the ring are not chunks. */
	ck_assert_uint_eq(ahead_next_prepared(ring, pushed, 8, 14, out, 4), 0);
	/* Wrapped: the oldest are overwritten and no longer looked at. */
	for (uint64_t c = 20; c < 28; c++)
		ring[pushed++ % 8] = c;
	ck_assert_uint_eq(ahead_next_prepared(ring, pushed, 8, 0, out, 4), 4);
	ck_assert_uint_eq(out[0], 20);
	ck_assert_uint_eq(out[3], 23);
}
END_TEST

/* The next look: when the writer has used half of what is prepared past
 * it, at the pace it was seen at; never sooner than LO nor later than HI. */
START_TEST(test_look_after)
{
	const long long ms = 1000000;
	/* 4 chunks in 1 ms, 32 ahead: 16 chunks at 4 a ms. */
	ck_assert_int_eq(ahead_look_after(4, ms, 32, ms, 64 * ms), 4 * ms);
	/* As fast as memory: no sooner than a millisecond. */
	ck_assert_int_eq(ahead_look_after(32, ms, 32, ms, 64 * ms), ms);
	/* A slow size class: a chunk a second, no later than 64 ms. */
	ck_assert_int_eq(ahead_look_after(1, 1000 * ms, 32, ms, 64 * ms), 64 * ms);
	/* Nothing seen moving, or nothing ahead: soon. */
	ck_assert_int_eq(ahead_look_after(0, ms, 32, ms, 64 * ms), ms);
	ck_assert_int_eq(ahead_look_after(4, ms, 0, ms, 64 * ms), ms);
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

/* Writers that outrun the workers, and the pauses that follow. */
START_TEST(test_outrun)
{
	/* No verdict before a window's worth of batches. */
	ck_assert(!ahead_outrun(AHEAD_WINDOW - 1, AHEAD_WINDOW - 1));
	/* A quarter reached first: outrun (a JVM's pre-touch: 8-11 of 16). */
	ck_assert(ahead_outrun(AHEAD_WINDOW, AHEAD_WINDOW / 4));
	ck_assert(ahead_outrun(16, 11));
	/* Fewer: a writer the workers keep ahead of (a place found late). */
	ck_assert(!ahead_outrun(16, 3));
	ck_assert(!ahead_outrun(16, 0));
	/* Machine D: a chunk in 4K pages 0.67 ms a writer, a collapse 0.35
	 * ms, one worker: two writers (a JVM's pre-touch) fault faster than
	 * it collapses; one (a buffer filled front to back) does not. */
	const long long us = 1000;
	ck_assert(!ahead_workers_faster(670 * us, 350 * us, 2, 1));
	ck_assert(ahead_workers_faster(670 * us, 350 * us, 1, 1));
	/* Machine B: 8.6 ms in 4K pages, 1.3 ms a collapse: it pays. */
	ck_assert(ahead_workers_faster(8600 * us, 1300 * us, 2, 1));
	/* More workers, more writers they keep ahead of. */
	ck_assert(ahead_workers_faster(670 * us, 350 * us, 2, 2));
	/* Not measured: it pays, as before. */
	ck_assert(ahead_workers_faster(0, 350 * us, 2, 1));
	ck_assert(ahead_workers_faster(670 * us, 0, 2, 1));
	/* 1 s, twice as long each time, up to 8 s. */
	const long long s = 1000000000LL;
	ck_assert(ahead_pause_ns(1) == s);
	ck_assert(ahead_pause_ns(2) == 2 * s);
	ck_assert(ahead_pause_ns(4) == 8 * s);
	ck_assert(ahead_pause_ns(100) == 8 * s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ahead");
	TCase *tc = tcase_create("span");
	tcase_add_test(tc, test_span_first_fault);
	tcase_add_test(tc, test_span_extends_horizon);
	tcase_add_test(tc, test_span_stays_in_mapping);
	tcase_add_test(tc, test_span_step);
	tcase_add_test(tc, test_writer_sees_tripwires);
	tcase_add_test(tc, test_followed_writer);
	tcase_add_test(tc, test_followed_writer_batched);
	tcase_add_test(tc, test_next_prepared);
	tcase_add_test(tc, test_look_after);
	tcase_add_test(tc, test_tripwire_spacing);
	tcase_add_test(tc, test_outrun);
	suite_add_tcase(s, tc);
	SRunner *r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
