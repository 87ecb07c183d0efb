/* check_cgroups.c - a policy's 'cgroup' matcher against /proc/PID/cgroup
 * texts (runtime/cgroup_paths.c), and the process matchers over a given
 * process (proc_matches), without a cgroup mount or /proc. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/plan.h"
#include "runtime/cgroup_paths.h"
#include "runtime/process.h"
#include "testutil.h"

/* A cgroup v1 (hybrid) host's /proc/PID/cgroup. */
static const char V1[] = "12:memory:/batch/job1\n"
			 "11:cpu,cpuacct:/user.slice\n"
			 "1:name=systemd:/user.slice/user-1000.slice/session-2.scope\n"
			 "0::/user.slice/user-1000.slice/session-2.scope\n";
/* A pure cgroup2 host's. */
static const char V2[] = "0::/system.slice/mmp.service\n";

START_TEST(test_v1_hierarchies)
{
	/* A mounted path names its hierarchy; below the cgroup counts too. */
	ck_assert(cgroup_matches("/sys/fs/cgroup/memory/batch", V1, false));
	ck_assert(cgroup_matches("/sys/fs/cgroup/memory/batch/job1", V1, false));
	ck_assert(cgroup_matches("/sys/fs/cgroup/memory", V1, false));
	ck_assert(cgroup_matches("/sys/fs/cgroup/memory/batch/", V1, false));
	/* Not a prefix of a name: /batch/job is not /batch/job1. */
	ck_assert(!cgroup_matches("/sys/fs/cgroup/memory/batch/job", V1, false));
	ck_assert(!cgroup_matches("/sys/fs/cgroup/memory/batchx", V1, false));
	/* The process is in /user.slice in other hierarchies, not in memory's. */
	ck_assert(!cgroup_matches("/sys/fs/cgroup/memory/user.slice", V1, false));
	/* "cpu,cpuacct" is mounted under either name, or both. */
	ck_assert(cgroup_matches("/sys/fs/cgroup/cpu/user.slice", V1, false));
	ck_assert(cgroup_matches("/sys/fs/cgroup/cpuacct/user.slice", V1, false));
	ck_assert(cgroup_matches("/sys/fs/cgroup/cpu,cpuacct/user.slice", V1, false));
	ck_assert(!cgroup_matches("/sys/fs/cgroup/blkio/user.slice", V1, false));
	/* "systemd" is the name=systemd hierarchy; "unified" is cgroup2's. */
	ck_assert(cgroup_matches("/sys/fs/cgroup/systemd/user.slice", V1, false));
	ck_assert(cgroup_matches("/sys/fs/cgroup/unified/user.slice/user-1000.slice", V1, false));
	ck_assert(!cgroup_matches("/sys/fs/cgroup/unified/batch", V1, false));
	/* A path from a hierarchy's root means any hierarchy. */
	ck_assert(cgroup_matches("/batch", V1, false));
	ck_assert(cgroup_matches("/user.slice/", V1, false));
	ck_assert(cgroup_matches("/", V1, false));
	ck_assert(!cgroup_matches("/other", V1, false));
}
END_TEST

START_TEST(test_v2_root)
{
	/* On a pure cgroup2 host /sys/fs/cgroup/x is /x of cgroup2... */
	ck_assert(cgroup_matches("/sys/fs/cgroup/system.slice", V2, true));
	ck_assert(cgroup_matches("/sys/fs/cgroup/system.slice/mmp.service", V2, true));
	ck_assert(cgroup_matches("/system.slice", V2, true));
	/* A path from a hierarchy's root means any hierarchy on any host. */
	ck_assert(cgroup_matches("/batch", V1, true));
	ck_assert(!cgroup_matches("/sys/fs/cgroup/memory/system.slice", V2, true));
	/* ...where a v1 host reads the first component as a controller. */
	ck_assert(!cgroup_matches("/sys/fs/cgroup/system.slice", V2, false));
	/* Only the cgroup2 line counts on a cgroup2 root. */
	ck_assert(!cgroup_matches("/sys/fs/cgroup/batch", V1, true));
	/* A process without cgroups (gone, or a kernel thread read late). */
	ck_assert(!cgroup_matches("/", "", false));
	ck_assert(!cgroup_matches("/sys/fs/cgroup/system.slice", "", true));
	/* A last line without its newline still counts. */
	ck_assert(cgroup_matches("/a", "0::/a", false));
}
END_TEST

START_TEST(test_line_path)
{
	char l1[] = "0::/user.slice\n", l2[] = "0::/user.slice\n", l3[] = "4:memory:/batch\n",
	     l4[] = "9:hugetlb,memory:/m\n", l5[] = "7:cpu,cpuacct:/\n", l6[] = "3:memoryx,memsw:/x\n",
	     l7[] = "garbage\n", l8[] = "0:cpu:/x\n", l9[] = "1:name=systemd:/a:b\n", l10[] = "4:memory:/batch\n";
	ck_assert_str_eq(cgroup_line_path(l1, true), "/user.slice");
	ck_assert_ptr_null(cgroup_line_path(l2, false));
	ck_assert_str_eq(cgroup_line_path(l3, false), "/batch");
	ck_assert_ptr_null(cgroup_line_path(l10, true));
	ck_assert_str_eq(cgroup_line_path(l4, false), "/m");
	ck_assert_ptr_null(cgroup_line_path(l5, false));
	ck_assert_ptr_null(cgroup_line_path(l6, false));   /* a controller named "memory", not one that starts so */
	ck_assert_ptr_null(cgroup_line_path(l7, false));
	ck_assert_ptr_null(cgroup_line_path(l8, true));    /* cgroup2's line has no controllers */
	char l11[] = "2:memory:/a:b";
	ck_assert_str_eq(cgroup_line_path(l11, false), "/a:b");   /* the path is all after the second colon */
	ck_assert_ptr_null(cgroup_line_path(l9, false));
}
END_TEST

START_TEST(test_dirs)
{
	ck_assert(cgroup_dir_under("/sys/fs/cgroup/a/b", "/sys/fs/cgroup/a"));
	ck_assert(cgroup_dir_under("/sys/fs/cgroup/a", "/sys/fs/cgroup/a"));
	ck_assert(!cgroup_dir_under("/sys/fs/cgroup/ab", "/sys/fs/cgroup/a"));
	ck_assert(!cgroup_dir_under("/sys/fs/cgroup/a", "/sys/fs/cgroup/a/b"));
	ck_assert(cgroup_dir_is_root("/sys/fs/cgroup"));
	ck_assert(cgroup_dir_is_root("/sys/fs/cgroup/memory"));
	ck_assert(cgroup_dir_is_root("/sys/fs/cgroup/unified"));
	ck_assert(!cgroup_dir_is_root("/sys/fs/cgroup/memory/batch"));
	ck_assert(!cgroup_dir_is_root("/sys/fs/cgroup/system.slice"));
	/* A directory outside the mount is no cgroup to kill as a group. */
	ck_assert(cgroup_dir_is_root("/tmp/x"));
}
END_TEST

/* Does the first policy's matcher in TEXT select P? */
static bool matches(const char *match, const struct proc_info *p)
{
	char text[512];
	snprintf(text, sizeof(text), "policy p { match %s; }", match);
	struct run r;
	run_text(&r, text, false);
	ck_assert_msg(r.rc == 0, "%s", r.out ? r.out : "");
	struct mmp_plan plan;
	ck_assert_int_eq(plan_build(&plan, &r.u.ast, r.u.src, r.u.arena), 0);
	bool m = proc_matches(plan.policies[0].match, p);
	plan_free(&plan);
	run_free(&r);
	return m;
}

START_TEST(test_proc_matches)
{
	struct proc_info p = { .pid = 42, .ppid = 1, .uid = 1000, .comm = "postgres", .exe = "/usr/lib/pg/bin/postgres" };
	snprintf(p.cgroups, sizeof(p.cgroups), "%s", V1);
	ck_assert(matches("comm \"post*\"", &p));
	ck_assert(!matches("comm \"post\"", &p));
	ck_assert(matches("exe \"/usr/*/postgres\"", &p));
	ck_assert(matches("pid 42", &p));
	ck_assert(!matches("pid 43", &p));
	ck_assert(matches("uid 1000", &p));
	ck_assert(matches("comm \"post*\" and not uid 0", &p));
	ck_assert(!matches("comm \"post*\" and uid 0", &p));
	ck_assert(matches("comm \"nginx\" or pid 42", &p));
	ck_assert(matches("cgroup \"/batch\"", &p));
	ck_assert(!matches("cgroup \"/other\"", &p));
	/* A kernel thread has no executable: no exe pattern selects it. */
	struct proc_info k = { .pid = 2, .comm = "kthreadd" };
	ck_assert(!matches("exe \"*\"", &k));
	ck_assert(matches("not exe \"*\"", &k));
	/* A user's name is looked up: root is uid 0 everywhere. */
	ck_assert(matches("uid \"root\"", &k));
	ck_assert(!matches("uid \"root\"", &p));
}
END_TEST

static Suite *cgroups_suite(void)
{
	Suite *s = suite_create("cgroups");
	TCase *tc = tcase_create("matching");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_v1_hierarchies);
	tcase_add_test(tc, test_v2_root);
	tcase_add_test(tc, test_line_path);
	tcase_add_test(tc, test_dirs);
	tcase_add_test(tc, test_proc_matches);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cgroups_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
