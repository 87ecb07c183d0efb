/* check_scan.c - which chunks of a running process the attach scan takes
 * (runtime/pagesize_scan.h): only whole 2M chunks of the mapping, only
 * populated ones of pages the process alone maps, hotter as more of the
 * mapping was touched, and none of an untouched mapping. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "runtime/pagesize_scan.h"

#define MB2 (1ULL << MMP_CHUNK_SHIFT)
#define BOTH (SCAN_PM_PRESENT | SCAN_PM_EXCLUSIVE)

/* Pagemap entries for [start, start + pages pages), all absent. */
static uint64_t *pagemap(size_t pages)
{
	uint64_t *pm = calloc(pages, sizeof(*pm));
	ck_assert_ptr_nonnull(pm);
	return pm;
}

static void fill(uint64_t *pm, size_t from, size_t n, uint64_t v)
{
	for (size_t i = 0; i < n; i++)
		pm[from + i] = v;
}

START_TEST(test_dense_whole_chunks_only)
{
	/* A mapping from 1M past a chunk boundary to 1M before the fourth:
	 * chunks 1 and 2 are whole, the partial ones at each end are not. */
	uint64_t start = 0x600000000000ULL + MB2 / 2, end = 0x600000000000ULL + 3 * MB2 + MB2 / 2;
	size_t pages = (end - start) >> SCAN_PAGE_SHIFT;
	uint64_t *pm = pagemap(pages);
	fill(pm, 0, pages, BOTH | 0x1234);   /* a PFN does not matter */
	struct scan_chunk out[8];
	size_t n = scan_dense(pm, start, end, SCAN_MIN_PRESENT, out, 8);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(out[0].chunk, (0x600000000000ULL >> MMP_CHUNK_SHIFT) + 1);
	ck_assert_uint_eq(out[1].chunk, (0x600000000000ULL >> MMP_CHUNK_SHIFT) + 2);
	ck_assert_uint_eq(out[0].present, SCAN_CHUNK_PAGES);
	free(pm);
}
END_TEST

START_TEST(test_dense_threshold_and_sharing)
{
	uint64_t start = 0x600000000000ULL, end = start + 4 * MB2;
	uint64_t *pm = pagemap(4 * SCAN_CHUNK_PAGES);
	/* Chunk 0: exactly the threshold. Chunk 1: one page short. Chunk 2:
	 * present but shared with another process (a fork's parent). Chunk 3:
	 * swapped out (neither present nor exclusive). */
	fill(pm, 0, SCAN_MIN_PRESENT, BOTH);
	fill(pm, SCAN_CHUNK_PAGES, SCAN_MIN_PRESENT - 1, BOTH);
	fill(pm, 2 * SCAN_CHUNK_PAGES, SCAN_CHUNK_PAGES, SCAN_PM_PRESENT);
	fill(pm, 3 * SCAN_CHUNK_PAGES, SCAN_CHUNK_PAGES, 1ULL << 62);
	struct scan_chunk out[8];
	size_t n = scan_dense(pm, start, end, SCAN_MIN_PRESENT, out, 8);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(out[0].chunk, start >> MMP_CHUNK_SHIFT);
	ck_assert_uint_eq(out[0].present, SCAN_MIN_PRESENT);
	/* At most MAX are returned. */
	fill(pm, 0, 4 * SCAN_CHUNK_PAGES, BOTH);
	ck_assert_uint_eq(scan_dense(pm, start, end, SCAN_MIN_PRESENT, out, 3), 3);
	free(pm);
}
END_TEST

START_TEST(test_heat)
{
	const uint64_t U = SCAN_UNKNOWN;
	/* A dry run (nothing cleared): what smaps counts, of all of it. */
	ck_assert_uint_eq(scan_heat(512, 0, 65536, 0, U), 0);          /* untouched mapping */
	ck_assert_uint_eq(scan_heat(512, 65536, 65536, 0, U), 512);    /* all of it touched */
	ck_assert_uint_eq(scan_heat(512, 70000, 65536, 0, U), 512);    /* Referenced counts THP pages whole */
	ck_assert_uint_eq(scan_heat(512, 16384, 65536, 0, U), 128);    /* a quarter */
	ck_assert_uint_eq(scan_heat(448, 4, 65536 * 64, 0, U), 1);     /* touched at all: never 0 */
	ck_assert_uint_gt(scan_heat(512, 32768, 65536, 0, U), scan_heat(448, 32768, 65536, 0, U));
	ck_assert_uint_eq(scan_heat(512, 4, 0, 0, U), 0);
	/* Cleared: the pages left uncleared may be referenced from before. */
	ck_assert_uint_eq(scan_heat(512, 65536, 65536, 65536, 0), 512);  /* all of it cleared and touched */
	ck_assert_uint_eq(scan_heat(512, 0, 65536, 65536, 0), 0);        /* cleared, untouched */
	ck_assert_uint_eq(scan_heat(512, 4096, 69632, 65536, U), 0);     /* only the 4M uncleared edge */
	ck_assert_uint_eq(scan_heat(512, 20480, 69632, 65536, U), 128);  /* a quarter beyond the edge */
	ck_assert_uint_eq(scan_heat(512, 8192, 4096, 8192, U), 512);     /* pages unmapped since: all touched */
	/* ... but no more of them than were referenced just after the clearing
	 * (reclaim may clear the bits of the rest meanwhile). */
	ck_assert_uint_eq(scan_heat(512, 4096, 69632, 65536, 0), 32);    /* the edge was not referenced then */
	ck_assert_uint_eq(scan_heat(512, 4096, 69632, 65536, 4096), 0);  /* it was */
	ck_assert_uint_eq(scan_heat(512, 20480, 1048576, 65536, 4096), 128);  /* sparse chunks aside */
}
END_TEST

/* The accessed bits tell what a process touched only once it has run. */
START_TEST(test_window)
{
	ck_assert(!scan_window_over(SCAN_WINDOW_NS / 2, 500));           /* too soon */
	ck_assert(scan_window_over(SCAN_WINDOW_NS, SCAN_RAN_MS));        /* a second, and it ran */
	ck_assert(!scan_window_over(5 * SCAN_WINDOW_NS, 0));             /* it did not run: wait on */
	ck_assert(scan_window_over(SCAN_WINDOW_MAX_NS, 0));              /* an idle process: at last */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("scan");
	TCase *tc = tcase_create("chunks");
	tcase_add_test(tc, test_dense_whole_chunks_only);
	tcase_add_test(tc, test_dense_threshold_and_sharing);
	tcase_add_test(tc, test_heat);
	tcase_add_test(tc, test_window);
	suite_add_tcase(s, tc);
	SRunner *r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
