/* check_vmas.c - a maps text parsed into mappings, and a policy's regions
 * resolved on them (runtime/vmas.c), without /proc. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/plan.h"
#include "runtime/vmas.h"
#include "testutil.h"

/* Mappings of a typical process, as /proc/PID/maps prints them. */
static const char MAPS[] =
	"00400000-00452000 r-xp 00000000 08:02 173521      /usr/bin/dbus-daemon\n"
	"00651000-00652000 rw-p 00051000 08:02 173521      /usr/bin/dbus-daemon\n"
	"00e03000-00e24000 rw-p 00000000 00:00 0           [heap]\n"
	"7f0000000000-7f0000100000 rw-p 00000000 00:00 0 \n"
	"7f0000100000-7f0000200000 r--p 00000000 08:02 42 /data/my file.db\n"
	"7f0000200000-7f0000300000 rw-s 00000000 00:05 77 /dev/shm/gone (deleted)\n"
	"7f0000300000-7f0000301000 rw-p 00000000 00:00 0   [anon:arena]\n"
	"7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0   [stack]\n"
	"7ffd00100000-7ffd00102000 r-xp 00000000 00:00 0   [vdso]\n";

static void parse(const char *text, struct vma_list *l)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	ck_assert_ptr_nonnull(f);
	memset(l, 0, sizeof(*l));
	ck_assert_int_eq(vmas_parse(f, l), 0);
	fclose(f);
}

/* smaps: the same header lines, each with its fields and VmFlags. */
static const char SMAPS[] =
	"600000000000-600020000000 rw-p 00000000 00:00 0 \n"
	"Size:             524288 kB\n"
	"Rss:              524288 kB\n"
	"Referenced:         4096 kB\n"
	"AnonHugePages:    522240 kB\n"
	"VmFlags: rd wr mr mw me ac sd \n"
	"600020000000-600020800000 rw-p 00000000 00:00 0 \n"
	"Size:               8192 kB\n"
	"VmFlags: rd wr mr mw me lo ac sd \n"
	"600020a00000-600021200000 rw-p 00000000 00:00 0 \n"
	"FilePmdMapped:         0 kB\n"
	"VmFlags: rd wr mr mw me ac sd nh um \n";

START_TEST(test_smaps_flags)
{
	struct vma_list l;
	parse(SMAPS, &l);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_uint_eq(l.v[0].flags, 0);
	ck_assert_uint_eq(l.v[1].flags, VMA_LOCKED);
	ck_assert_uint_eq(l.v[2].flags, VMA_NOHUGEPAGE | VMA_UFFD);
	ck_assert_uint_eq(l.v[2].start, 0x600020a00000);
	ck_assert_uint_eq(l.v[0].rss_kb, 524288);
	ck_assert_uint_eq(l.v[0].referenced_kb, 4096);
	ck_assert_uint_eq(l.v[0].anon_huge_kb, 522240);
	ck_assert_uint_eq(l.v[1].rss_kb, 0);   /* a field not given stays 0 */
	ck_assert_uint_eq(vma_flags_parse("VmFlags: rd wr ui"), VMA_UFFD);
	ck_assert_uint_eq(vma_flags_parse("VmFlags: rd wr uw"), VMA_UFFD);
	ck_assert_uint_eq(vma_flags_parse("VmFlags: rd lol"), 0);   /* two letters, whole */
	vmas_free(&l);
}
END_TEST

START_TEST(test_parse_fields)
{
	struct vma_list l;
	parse(MAPS, &l);
	ck_assert_uint_eq(l.n, 9);
	ck_assert_uint_eq(l.v[0].start, 0x400000);
	ck_assert_uint_eq(l.v[0].end, 0x452000);
	ck_assert_str_eq(l.v[0].perms, "r-xp");
	ck_assert_str_eq(l.v[0].name, "/usr/bin/dbus-daemon");
	ck_assert_str_eq(l.v[2].name, "[heap]");
	/* An anonymous mapping has no name, not the line's trailing space. */
	ck_assert_str_eq(l.v[3].name, "");
	ck_assert_uint_eq(l.v[3].start, 0x7f0000000000ULL);
	/* A path keeps its spaces; " (deleted)" stays in the name. */
	ck_assert_str_eq(l.v[4].name, "/data/my file.db");
	ck_assert_str_eq(l.v[5].name, "/dev/shm/gone (deleted)");
	ck_assert_str_eq(l.v[5].perms, "rw-s");
	ck_assert_str_eq(l.v[7].name, "[stack]");
	vmas_free(&l);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_ptr_null(l.v);
}
END_TEST

START_TEST(test_parse_edges)
{
	struct vma_list l;
	/* Empty text: no mappings. */
	parse("", &l);
	ck_assert_uint_eq(l.n, 0);
	/* A line that is not a mapping is skipped; the last line may lack its
	 * newline; a list is emptied before it is filled again. */
	static const char two[] = "garbage\n1000-2000 rw-p 0 00:00 0";
	FILE *f = fmemopen((void *)two, strlen(two), "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(vmas_parse(f, &l), 0);
	fclose(f);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_uint_eq(l.v[0].start, 0x1000);
	ck_assert_uint_eq(l.v[0].end, 0x2000);
	ck_assert_str_eq(l.v[0].name, "");
	vmas_free(&l);
	/* More lines than the first allocation holds (64). */
	char *big = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&big, &len);
	for (int i = 0; i < 100; i++)
		fprintf(m, "%x-%x rw-p 00000000 00:00 0\n", (i + 1) << 12, (i + 2) << 12);
	fclose(m);
	parse(big, &l);
	ck_assert_uint_eq(l.n, 100);
	ck_assert_uint_eq(l.v[99].start, 100 << 12);
	vmas_free(&l);
	free(big);
}
END_TEST

START_TEST(test_kinds)
{
	struct vma_list l;
	parse(MAPS, &l);
	char path[4096];
	/* anon: unnamed, [heap], [stack], [anon:...]; not files, not [vdso]. */
	ck_assert(!vma_is_anon(&l.v[0]));
	ck_assert(vma_is_anon(&l.v[2]));
	ck_assert(vma_is_anon(&l.v[3]));
	ck_assert(!vma_is_anon(&l.v[4]));
	ck_assert(vma_is_anon(&l.v[6]));
	ck_assert(vma_is_anon(&l.v[7]));
	ck_assert(!vma_is_anon(&l.v[8]));
	/* A file's path, without " (deleted)"; none for memory. */
	ck_assert(vma_file_path(&l.v[4], path, sizeof(path)));
	ck_assert_str_eq(path, "/data/my file.db");
	ck_assert(vma_file_path(&l.v[5], path, sizeof(path)));
	ck_assert_str_eq(path, "/dev/shm/gone");
	ck_assert(!vma_file_path(&l.v[2], path, sizeof(path)));
	ck_assert(!vma_file_path(&l.v[3], path, sizeof(path)));
	vmas_free(&l);
}
END_TEST

/* Resolves the regions of the first policy of TEXT on MAPS_TEXT. */
static size_t resolve(const char *text, const char *maps_text, struct mmp_range *out, bool *truncated)
{
	struct run r;
	run_text(&r, text, false);
	ck_assert_msg(r.rc == 0, "%s", r.out ? r.out : "");
	struct mmp_plan plan;
	ck_assert_int_eq(plan_build(&plan, &r.u.ast, r.u.src, r.u.arena), 0);
	struct vma_list l;
	parse(maps_text, &l);
	size_t n = regions_resolve(&plan, 0, &l, out, truncated);
	vmas_free(&l);
	plan_free(&plan);
	run_free(&r);
	return n;
}

#define POLICY(body) "policy p { match comm \"x\"; " body " }"

static void expect_range(const struct mmp_range *r, uint64_t start, uint64_t end, unsigned region)
{
	ck_assert_msg(r->start == start && r->end == end && r->region == region,
		      "wanted [%#llx, %#llx) of region %u, got [%#llx, %#llx) of region %u", (unsigned long long)start,
		      (unsigned long long)end, region, (unsigned long long)r->start, (unsigned long long)r->end,
		      r->region);
}

START_TEST(test_resolve_kinds)
{
	static struct mmp_range out[MMP_MAX_RANGES];
	bool trunc = true;
	/* heap first, then the rest of anon, then files. Neighbours of one
	 * region merge: [stack] is not next to [anon:arena]. */
	size_t n = resolve(POLICY("region heap = mapping \"[heap]\"; region mem = anon; region files = file;"), MAPS,
			   out, &trunc);
	ck_assert(!trunc);
	ck_assert_uint_eq(n, 7);
	expect_range(&out[0], 0x400000, 0x452000, 2);
	expect_range(&out[1], 0x651000, 0x652000, 2);
	expect_range(&out[2], 0xe03000, 0xe24000, 0);
	/* The unnamed mapping and the file after it are adjacent but of
	 * different regions; the two files are adjacent and merge, the
	 * deleted one included. */
	expect_range(&out[3], 0x7f0000000000ULL, 0x7f0000100000ULL, 1);
	expect_range(&out[4], 0x7f0000100000ULL, 0x7f0000300000ULL, 2);
	expect_range(&out[5], 0x7f0000300000ULL, 0x7f0000301000ULL, 1);
	expect_range(&out[6], 0x7ffd00000000ULL, 0x7ffd00021000ULL, 1);
}
END_TEST

START_TEST(test_resolve_globs_and_sizes)
{
	static struct mmp_range out[MMP_MAX_RANGES];
	bool trunc;
	/* A glob on a path with a space; the deleted file matches by its path. */
	size_t n = resolve(POLICY("region db = file \"/data/*.db\"; region shm = file \"/dev/shm/*\";"), MAPS, out, &trunc);
	ck_assert_uint_eq(n, 2);
	expect_range(&out[0], 0x7f0000100000ULL, 0x7f0000200000ULL, 0);
	expect_range(&out[1], 0x7f0000200000ULL, 0x7f0000300000ULL, 1);
	/* size: the 1 MiB mappings, not more, not less. */
	n = resolve(POLICY("region m = size == 1M;"), MAPS, out, &trunc);
	ck_assert_uint_eq(n, 1);
	expect_range(&out[0], 0x7f0000000000ULL, 0x7f0000300000ULL, 0);
	n = resolve(POLICY("region m = anon and not mapping \"[*]\";"), MAPS, out, &trunc);
	ck_assert_uint_eq(n, 1);
	expect_range(&out[0], 0x7f0000000000ULL, 0x7f0000100000ULL, 0);
}
END_TEST

START_TEST(test_resolve_ranges)
{
	static struct mmp_range out[MMP_MAX_RANGES];
	bool trunc;
	/* A range takes the part of each mapping inside it; an earlier region
	 * keeps what it took, a later one gets the rest. */
	size_t n = resolve(POLICY("region a = range 0x7f0000080000 .. 0x7f0000180000; region b = all;"), MAPS, out,
			   &trunc);
	ck_assert_uint_eq(n, 8);
	expect_range(&out[3], 0x7f0000000000ULL, 0x7f0000080000ULL, 1);
	expect_range(&out[4], 0x7f0000080000ULL, 0x7f0000180000ULL, 0);
	expect_range(&out[5], 0x7f0000180000ULL, 0x7f0000301000ULL, 1);
	/* 'all' takes [vdso] too. */
	expect_range(&out[7], 0x7ffd00100000ULL, 0x7ffd00102000ULL, 1);
	/* A range that covers no mapping resolves to nothing. */
	n = resolve(POLICY("region a = range 0x1000 .. +4K;"), MAPS, out, &trunc);
	ck_assert_uint_eq(n, 0);
	/* No mappings: no ranges. */
	n = resolve(POLICY("region a = all;"), "", out, &trunc);
	ck_assert_uint_eq(n, 0);
	ck_assert(!trunc);
}
END_TEST

START_TEST(test_resolve_truncates)
{
	static struct mmp_range out[MMP_MAX_RANGES];
	bool trunc = false;
	/* Twice as many separate mappings as fit: the ranges stop at the
	 * limit and say so. */
	char *big = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&big, &len);
	for (unsigned i = 0; i < 2 * MMP_MAX_RANGES; i++)
		fprintf(m, "%x-%x rw-p 00000000 00:00 0\n", (2 * i + 1) << 12, (2 * i + 2) << 12);
	fclose(m);
	size_t n = resolve(POLICY("region a = anon;"), big, out, &trunc);
	free(big);
	ck_assert_uint_eq(n, MMP_MAX_RANGES);
	ck_assert(trunc);
	expect_range(&out[0], 0x1000, 0x2000, 0);
}
END_TEST

static Suite *vmas_suite(void)
{
	Suite *s = suite_create("vmas");
	TCase *tc = tcase_create("vmas");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_parse_fields);
	tcase_add_test(tc, test_smaps_flags);
	tcase_add_test(tc, test_parse_edges);
	tcase_add_test(tc, test_kinds);
	tcase_add_test(tc, test_resolve_kinds);
	tcase_add_test(tc, test_resolve_globs_and_sizes);
	tcase_add_test(tc, test_resolve_ranges);
	tcase_add_test(tc, test_resolve_truncates);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(vmas_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
