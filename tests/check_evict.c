/* check_evict.c - what an evict block acts on first, what 'protect top'
 * keeps, its rate, and the pieces read since its order was made, merged
 * (runtime/evict_order.c); a region's statistics as
 * scores and timed conditions read them (runtime/region_stats.c); a file's
 * path from its names and the mounts (runtime/file_paths.c), and the table
 * of watched files (runtime/file_table.c). Times are given. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/evict_order.h"
#include "runtime/extents.h"
#include "runtime/file_paths.h"
#include "runtime/file_table.h"
#include "runtime/region_stats.h"

#define MiB (1ULL << 20)
#define S 1000000000LL
/* A whole unit with its score, bytes cached and index. */
#define KEY(score, bytes, unit) { (score), (bytes), (unit), EVICT_WHOLE }

START_TEST(test_sort)
{
	struct evict_key k[] = {
		KEY(50, 1 * MiB, 0), KEY(-10, 1 * MiB, 1), KEY(50, 8 * MiB, 2), KEY(7, 0, 3), KEY(100, 2 * MiB, 4),
	};
	evict_sort(k, 5);
	/* The lowest score first, negative ones included; on a tie of
	 * scores the larger unit first. */
	ck_assert_uint_eq(k[0].unit, 1);
	ck_assert_uint_eq(k[1].unit, 3);
	ck_assert_uint_eq(k[2].unit, 2);
	ck_assert_uint_eq(k[3].unit, 0);
	ck_assert_uint_eq(k[4].unit, 4);
	evict_sort(NULL, 0);
}
END_TEST

START_TEST(test_fresh_merge)
{
	/* Pieces read since an order was made: the lowest score first, a
	 * file's pieces of one score in index order (runs for one call). */
	struct fresh_key left[] = { { -5, 40 }, { 0, 10 }, { 0, 12 }, { 3, 7 } };
	struct fresh_key now[] = { { 0, 11 }, { 3, 7 }, { -5, 41 }, { 0, 12 }, { 9, 1 } };
	evict_fresh_sort(now, 5);
	ck_assert_int_eq(now[0].score, -5);
	ck_assert_uint_eq(now[1].at, 11);
	ck_assert_uint_eq(now[2].at, 12);
	struct fresh_key out[9];
	size_t n = evict_fresh_merge(left, 4, now, 5, out);
	/* (0, 12) and (3, 7) were in both: once each. */
	ck_assert_uint_eq(n, 7);
	const struct fresh_key want[] = { { -5, 40 }, { -5, 41 }, { 0, 10 }, { 0, 11 }, { 0, 12 }, { 3, 7 }, { 9, 1 } };
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(out[i].score, want[i].score);
		ck_assert_uint_eq(out[i].at, want[i].at);
	}
	/* The same piece scored otherwise (read again since) is kept twice:
	 * the step scores it again before it drops it. */
	struct fresh_key a[] = { { 0, 5 } }, b[] = { { 2, 5 } };
	ck_assert_uint_eq(evict_fresh_merge(a, 1, b, 1, out), 2);
	ck_assert_uint_eq(evict_fresh_merge(NULL, 0, b, 1, out), 1);
	ck_assert_uint_eq(evict_fresh_merge(NULL, 0, NULL, 0, out), 0);
	evict_fresh_sort(NULL, 0);
}
END_TEST

START_TEST(test_keep_bytes)
{
	ck_assert_uint_eq(evict_keep_bytes(1000, 0, 0), 0);
	ck_assert_uint_eq(evict_keep_bytes(1000, 300, 0), 300);
	ck_assert_uint_eq(evict_keep_bytes(1000, 300, 25), 250);   /* a percentage wins */
	ck_assert_uint_eq(evict_keep_bytes(999, 0, 50), 499);      /* rounded down */
	ck_assert_uint_eq(evict_keep_bytes(0, 0, 50), 0);
}
END_TEST

START_TEST(test_protect_top)
{
	/* Sorted: lowest score first. */
	struct evict_key k[] = { KEY(1, 4 * MiB, 0), KEY(2, 3 * MiB, 1), KEY(3, 2 * MiB, 2), KEY(4, 1 * MiB, 3) };
	/* Nothing kept. */
	ck_assert_uint_eq(evict_protected(k, 4, 0), 0);
	/* From the top while they fit: 1 + 2 = 3 MiB fits exactly, 1 + 2 + 3 not. */
	ck_assert_uint_eq(evict_protected(k, 4, 3 * MiB), 2);
	ck_assert_uint_eq(evict_protected(k, 4, 3 * MiB - 1), 1);
	ck_assert_uint_eq(evict_protected(k, 4, 10 * MiB), 4);
	/* The top one does not fit: none, not the ones below it. */
	ck_assert_uint_eq(evict_protected(k, 4, MiB - 1), 0);
	/* A unit with nothing cached at the top costs nothing to keep. */
	struct evict_key z[] = { KEY(1, MiB, 0), KEY(9, 0, 1) };
	ck_assert_uint_eq(evict_protected(z, 2, 1), 1);
	ck_assert_uint_eq(evict_protected(NULL, 0, MiB), 0);
}
END_TEST

START_TEST(test_refill)
{
	long long limit = 64 * MiB;
	/* The first tick adds nothing. */
	ck_assert(evict_refill(0, limit, 0, 5 * S) == 0);
	/* Half a second: half the rate. */
	ck_assert(evict_refill(0, limit, 5 * S, 5 * S + S / 2) == (double)(32 * MiB));
	/* Never more than a second's worth, however long since. */
	ck_assert(evict_refill(0, limit, S, 10 * S) == (double)limit);
	/* A drop that freed far more than asked owes a second at most. */
	ck_assert(evict_refill(-1e19, limit, S, S) == -(double)limit);
	ck_assert(evict_refill((double)limit, limit, S, S + S / 10) == (double)limit);
	/* What was spent comes back at the rate. */
	ck_assert(evict_refill((double)(10 * MiB), limit, S, S + S / 4) == (double)(26 * MiB));
}
END_TEST

START_TEST(test_need)
{
	/* No usage comparison: the budget says. */
	ck_assert(evict_need(-1, 5000.0, 0) == 5000.0);
	ck_assert(evict_need(-1, 5000.0, 900.0 * MiB) == 5000.0);
	/* Usage: the excess and a MiB, whatever the budget. */
	ck_assert(evict_need(0, 5000.0, 0) == (double)MiB);
	ck_assert(evict_need(3 * (long long)MiB, 5000.0, 0) == (double)(4 * MiB));
	/* A block dropping 900 MiB a second: 10 ms of it more, 9 MiB. */
	ck_assert(evict_need(3 * (long long)MiB, 5000.0, 900.0 * MiB) == (double)(12 * MiB));
	/* One dropping 50 MiB a second: still the MiB. */
	ck_assert(evict_need(0, 5000.0, 50.0 * MiB) == (double)MiB);
}
END_TEST

/* A file's drops read straight back, as the thrash guard judges them. */
START_TEST(test_came_back)
{
	/* A database of 20,480 pages read at random: 4,600 dropped, 2,300
	 * back, 50,000 of its pages read meanwhile. */
	struct evict_comeback db = { .pages = 20480, .dropped = 4600, .back = 2300, .reads = 50000 };
	ck_assert(evict_came_back(&db) == EVICT_CAME_BACK);
	/* Read over less than twice: a scan reaching the pages a drop took
	 * ahead of it, or its next pass; the record goes on. */
	struct evict_comeback scan = db;
	scan.reads = 2 * 20480;
	ck_assert(evict_came_back(&scan) == EVICT_NOT_YET);
	/* Less than a quarter back: the drops held. */
	struct evict_comeback few = db;
	few.back = 1149;
	ck_assert(evict_came_back(&few) == EVICT_STAYED_OUT);
	few.back = 1150;
	ck_assert(evict_came_back(&few) == EVICT_CAME_BACK);
	/* Read over twice or less: a file in pieces is not judged yet. */
	ck_assert(!evict_comeback_due(20480, 2 * 20480));
	ck_assert(evict_comeback_due(20480, 2 * 20480 + 1));
	/* Fewer than 64 pages back say nothing, whatever the share. */
	struct evict_comeback small = { .pages = 100, .dropped = 80, .back = 63, .reads = 5000 };
	ck_assert(evict_came_back(&small) == EVICT_STAYED_OUT);
	small.back = 64;
	ck_assert(evict_came_back(&small) == EVICT_CAME_BACK);
	/* Held 10 s, then twice as long each time, up to 80 s. */
	ck_assert(evict_hold_ns(1) == 10 * S);
	ck_assert(evict_hold_ns(2) == 20 * S);
	ck_assert(evict_hold_ns(4) == 80 * S);
	ck_assert(evict_hold_ns(40) == 80 * S);
}
END_TEST

/* The pace a block drops at, over windows of a second. */
START_TEST(test_pace)
{
	const long long t0 = 100 * S, ms = S / 1000;
	struct evict_pace p = { 0 };
	evict_pace_add(&p, 0, t0);
	ck_assert(p.rate == 0);
	for (int i = 1; i <= 100; i++)   /* 9 MiB every 10 ms for a second */
		evict_pace_add(&p, 9.0 * MiB, t0 + i * 10 * ms);
	/* The 99 steps inside the first second; the one at its end begins the next. */
	ck_assert(p.rate == 99 * 9.0 * MiB);
	ck_assert(p.bytes == 9.0 * MiB);
	ck_assert(evict_pace_rate(&p, t0 + S + 500 * ms) == 99 * 9.0 * MiB);   /* the window now is young */
	/* Quiet for a minute: the pace read before the next step is what
	 * came in that minute, not the busy second's. */
	ck_assert(fabs(evict_pace_rate(&p, t0 + 61 * S) - 9.0 * MiB / 60) < 1);
	evict_pace_add(&p, MiB, t0 + 61 * S);
	ck_assert(fabs(p.rate - 9.0 * MiB / 60) < 1);
}
END_TEST

START_TEST(test_region_stats)
{
	const long long t0 = 100 * S;
	struct mmp_region_stats s = { .faults = 500, .first_ns = t0, .last_ns = t0 + 2 * S, .win_start_ns = t0 + 2 * S,
				      .win_faults = 40, .rate = 300, .size = 64 * MiB };
	/* idle and age from the last and first fault, in ms. */
	ck_assert_int_eq(region_stat(&s, STAT_R_IDLE, false, t0 + 5 * S, 0), 3000);
	ck_assert_int_eq(region_stat(&s, STAT_R_AGE, false, t0 + 5 * S, 0), 5000);
	/* No fault yet: from when the region was seen. */
	struct mmp_region_stats none = { 0 };
	ck_assert_int_eq(region_stat(&none, STAT_R_IDLE, false, t0 + 5 * S, t0 + 4 * S), 1000);
	/* A rate, as BPF's rules read it: the last full window's, or the
	 * current window's if higher, a window under a tenth of a second
	 * counted as a tenth; 0 two seconds after the window began. */
	ck_assert_int_eq(region_stat(&s, STAT_R_FAULTS, true, t0 + 2 * S + S / 20, 0), 400);   /* 40 in under 0.1 s */
	s.win_faults = 20;
	ck_assert_int_eq(region_stat(&s, STAT_R_FAULTS, true, t0 + 2 * S + S / 20, 0), 300);   /* 200/s < 300/s */
	s.win_faults = 40;
	ck_assert_int_eq(region_stat(&s, STAT_R_FAULTS, true, t0 + 2 * S + S / 2, 0), 300);    /* 80/s < 300/s */
	s.win_faults = 400;
	ck_assert_int_eq(region_stat(&s, STAT_R_FAULTS, true, t0 + 2 * S + S / 2, 0), 800);    /* 400 in 0.5 s */
	ck_assert_int_eq(region_stat(&s, STAT_R_FAULTS, true, t0 + 4 * S, 0), 300);            /* 200/s < 300/s */
	ck_assert_int_eq(region_stat(&s, STAT_R_FAULTS, true, t0 + 4 * S + 1, 0), 0);
	ck_assert_int_eq(region_stat(&s, STAT_R_FAULTS, false, t0 + 5 * S, 0), 500);
	ck_assert_int_eq(region_stat(&s, STAT_R_SIZE, false, t0, 0), 64 * MiB);
}
END_TEST

/* A trigger at 98% of a limit starts and stops holding many times a
 * second: its first change is said, then one line in 10 s with how many
 * went unsaid, and the state where a spell of changes ended. */
START_TEST(test_say_holding)
{
	const long long t0 = 100 * S, ms = S / 1000;
	struct evict_say say = { 0 };
	unsigned long unsaid;
	long long since;
	ck_assert(!evict_say_step(&say, false, t0, &unsaid, &since));   /* nothing changed, nothing said */
	ck_assert(evict_say_step(&say, true, t0, &unsaid, &since));     /* the first change */
	ck_assert_uint_eq(unsaid, 0);
	for (int i = 1; i <= 50; i++)                                      /* 50 more in the next 5 s */
		ck_assert(!evict_say_step(&say, true, t0 + i * 100 * ms, &unsaid, &since));
	ck_assert(!evict_say_step(&say, false, t0 + 9 * S, &unsaid, &since));
	/* 10 s after the last word, at a tick with no change: where it
	 * ended, and since when (the 50th change, 5 s in). */
	ck_assert(evict_say_step(&say, false, t0 + 10 * S, &unsaid, &since));
	ck_assert_uint_eq(unsaid, 50);
	ck_assert_int_eq(since, t0 + 5 * S);
	ck_assert(!evict_say_step(&say, false, t0 + 30 * S, &unsaid, &since));   /* quiet since: nothing */
	ck_assert(evict_say_step(&say, true, t0 + 31 * S, &unsaid, &since));     /* a change after a quiet spell */
	ck_assert_uint_eq(unsaid, 0);
	ck_assert_int_eq(since, t0 + 31 * S);
	/* The end comes within 10 s of that word, after two changes unsaid:
	 * they are said then, once; with none unsaid, nothing is. */
	ck_assert(!evict_say_step(&say, true, t0 + 32 * S, &unsaid, &since));
	ck_assert(!evict_say_step(&say, true, t0 + 33 * S, &unsaid, &since));
	ck_assert(evict_say_end(&say, &unsaid, &since));
	ck_assert_uint_eq(unsaid, 2);
	ck_assert_int_eq(since, t0 + 33 * S);
	ck_assert(!evict_say_end(&say, &unsaid, &since));
}
END_TEST

/* A region's rate as both sides read it (mmp_rate_of). */
START_TEST(test_rate_of)
{
	const __u64 t0 = 100 * S, ms = S / 1000;
	/* A window younger than a tenth of a second counts as that long: the
	 * faults came at least that fast. */
	ck_assert_int_eq(mmp_rate_of(700, 50, t0, t0 + 50 * ms), 700);
	ck_assert_int_eq(mmp_rate_of(0, 65510, t0, t0 + 96 * ms), 655100);   /* a 256M table filled */
	ck_assert_int_eq(mmp_rate_of(0, 1, t0, t0), 10);
	/* Old enough: the current window when it is the higher. */
	ck_assert_int_eq(mmp_rate_of(700, 500, t0, t0 + 250 * ms), 2000);
	ck_assert_int_eq(mmp_rate_of(7000, 500, t0, t0 + 250 * ms), 7000);
	/* Two seconds with no fault to roll it: quiet. */
	ck_assert_int_eq(mmp_rate_of(7000, 500, t0, t0 + 2 * S + ms), 0);
	/* A reader's clock read before another CPU began the window: a new
	 * window, not one that wrapped to ages ago. */
	ck_assert_int_eq(mmp_rate_of(7000, 3, t0 + 5 * ms, t0), 7000);
	struct mmp_region_stats r = { .faults = 9, .rate = 7000, .win_start_ns = t0 + 5 * ms, .win_faults = 3 };
	ck_assert_int_eq(region_stat(&r, STAT_R_FAULTS, true, (long long)t0, 0), 7000);
	r.last_ns = t0 + 5 * ms;   /* and a fault after it: idle 0, not less */
	ck_assert_int_eq(region_stat(&r, STAT_R_IDLE, false, (long long)t0, 0), 0);
}
END_TEST

/* A region being populated, as the hot-chunk collapse waits for: its
 * fault rate while its last fault is under 100 ms old. */
START_TEST(test_region_fill_rate)
{
	const long long t0 = 100 * S, ms = S / 1000;
	/* A JVM's pre-touch: 300,000 faults in the half second so far. */
	struct mmp_region_stats s = { .faults = 300000, .first_ns = t0, .last_ns = t0 + 500 * ms, .win_start_ns = t0,
				      .win_faults = 300000 };
	ck_assert_int_ge(region_fill_rate(&s, t0 + 510 * ms), REGION_POPULATING_RATE);
	ck_assert_int_eq(region_fill_rate(&s, t0 + 600 * ms), 0);   /* done: quiet for 100 ms */
	/* A server in its steady state: a fault now and then. */
	s = (struct mmp_region_stats){ .faults = 300000, .last_ns = t0 + 500 * ms, .win_start_ns = t0, .win_faults = 2000,
				       .rate = 1500 };
	ck_assert_int_lt(region_fill_rate(&s, t0 + 510 * ms), REGION_POPULATING_RATE);
	/* The window before was a fill's: it still is, until quiet. */
	s.rate = 6000;
	ck_assert_int_eq(region_fill_rate(&s, t0 + 510 * ms), 6000);
	/* A window 20 ms old counts as 100 ms: 600 faults are 6,000 a second. */
	s = (struct mmp_region_stats){ .last_ns = t0 + 20 * ms, .win_start_ns = t0, .win_faults = 600 };
	ck_assert_int_eq(region_fill_rate(&s, t0 + 20 * ms), 6000);
	/* BPF began a window after NOW was read: its time, not a wrapped rate. */
	s = (struct mmp_region_stats){ .last_ns = t0 + 5 * ms, .win_start_ns = t0 + 5 * ms, .win_faults = 600,
				       .rate = 20000 };
	ck_assert_int_eq(region_fill_rate(&s, t0), 20000);
	/* No fault yet. */
	struct mmp_region_stats none = { 0 };
	ck_assert_int_eq(region_fill_rate(&none, t0), 0);
}
END_TEST

/* An episode of populating, tick by tick (100 ms): the chunks wait
 * through pauses under 300 ms, not after, and 10 s at most. */
START_TEST(test_fill_wait)
{
	const long long t0 = 100 * S, ms = S / 1000;
	struct fill_wait w = { 0 };
	enum fill_say say;
	ck_assert(!fill_wait_step(&w, false, t0, &say));
	ck_assert_int_eq(say, FILL_SAY_NOTHING);
	ck_assert(fill_wait_step(&w, true, t0 + 100 * ms, &say));
	ck_assert_int_eq(say, FILL_SAY_BEGUN);
	ck_assert(fill_wait_step(&w, true, t0 + 200 * ms, &say));
	ck_assert_int_eq(say, FILL_SAY_NOTHING);
	/* A quiet tick: still waiting, the same episode. */
	ck_assert(fill_wait_step(&w, false, t0 + 300 * ms, &say));
	ck_assert(fill_wait_step(&w, true, t0 + 400 * ms, &say));
	ck_assert_int_eq(say, FILL_SAY_NOTHING);
	ck_assert(fill_wait_step(&w, true, t0 + 500 * ms, &say));
	/* Quiet for 300 ms: done, the chunks go. */
	ck_assert(fill_wait_step(&w, false, t0 + 700 * ms, &say));
	ck_assert(!fill_wait_step(&w, false, t0 + 800 * ms, &say));
	ck_assert(!w.active);
	/* Populating again: a new episode, bounded at 10 s from its start. */
	ck_assert(fill_wait_step(&w, true, t0 + 2 * S, &say));
	ck_assert_int_eq(say, FILL_SAY_BEGUN);
	for (long long t = t0 + 2 * S + 100 * ms; t < t0 + 12 * S; t += 100 * ms)
		ck_assert(fill_wait_step(&w, true, t, &say));
	ck_assert(!fill_wait_step(&w, true, t0 + 12 * S, &say));
	ck_assert_int_eq(say, FILL_SAY_TOO_LONG);
	ck_assert(!fill_wait_step(&w, true, t0 + 12 * S + 100 * ms, &say));
	ck_assert_int_eq(say, FILL_SAY_NOTHING);   /* said once */
}
END_TEST

START_TEST(test_timed_conditions)
{
	/* 'faults >= 100/s' moves only with faults; 'idle > 3s', and any
	 * condition that reads idle, age, size, resident or swap, does not. */
	struct mmp_calc rate = { .op = CALC_STAT, .stat = STAT_R_FAULTS, .rate = true };
	struct mmp_calc hundred = { .op = CALC_CONST, .value = 100 };
	struct mmp_calc by_faults = { .op = CALC_GE, .l = &rate, .r = &hundred };
	ck_assert(!calc_moves_without_faults(&by_faults));
	ck_assert(!calc_moves_without_faults(NULL));
	struct mmp_calc idle = { .op = CALC_STAT, .stat = STAT_R_IDLE };
	struct mmp_calc three_s = { .op = CALC_CONST, .value = 3000 };
	struct mmp_calc by_idle = { .op = CALC_GT, .l = &idle, .r = &three_s };
	struct mmp_calc both = { .op = CALC_AND, .l = &by_faults, .r = &by_idle };
	ck_assert(calc_moves_without_faults(&by_idle));
	ck_assert(calc_moves_without_faults(&both));
	struct mmp_calc resident = { .op = CALC_STAT, .stat = STAT_R_RESIDENT };
	struct mmp_calc neg = { .op = CALC_NEG, .l = &resident };
	ck_assert(calc_moves_without_faults(&neg));
}
END_TEST

START_TEST(test_names_path)
{
	char p[64];
	ck_assert(file_names_path("c/b/a/", 6, p, sizeof(p)));
	ck_assert_str_eq(p, "/a/b/c");
	ck_assert(file_names_path("f/", 2, p, sizeof(p)));
	ck_assert_str_eq(p, "/f");
	ck_assert(!file_names_path("", 0, p, sizeof(p)));         /* names nothing */
	ck_assert(!file_names_path("c/b", 3, p, sizeof(p)));      /* a name not ended */
	ck_assert(!file_names_path("c//a/", 5, p, sizeof(p)));    /* an empty name */
	ck_assert(!file_names_path("name/", 5, p, 5));            /* "/name" and its NUL: 6 */
	ck_assert(file_names_path("name/", 5, p, 6));
}
END_TEST

START_TEST(test_mount_places)
{
	/* proc(5)'s mountinfo: ID PARENT MAJ:MIN ROOT POINT OPTIONS ... */
	const char *text = "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
			   "30 22 254:0 /srv/data /mnt/my\\040data rw - ext4 /dev/vda rw\n"
			   "31 22 0:25 / /tmp rw - tmpfs tmpfs rw\n"
			   "bad line\n"
			   "32 22 8:1 /a /b rw - ext4 /dev/sda1 rw";
	struct mount_table t;
	ck_assert_int_eq(mount_table_parse(&t, text), 0);
	ck_assert_uint_eq(t.n, 4);
	ck_assert_uint_eq(t.m[0].kdev, 254u << 20);
	ck_assert_str_eq(t.m[1].point, "/mnt/my data");   /* the escape undone */
	char p[128];
	/* A file of the root file system under /srv/data: seen at both. */
	ck_assert(mount_table_place(&t, 254u << 20, "/srv/data/x/y", 0, p, sizeof(p)));
	ck_assert_str_eq(p, "/srv/data/x/y");
	ck_assert(mount_table_place(&t, 254u << 20, "/srv/data/x/y", 1, p, sizeof(p)));
	ck_assert_str_eq(p, "/mnt/my data/x/y");
	ck_assert(!mount_table_place(&t, 254u << 20, "/srv/data/x/y", 2, p, sizeof(p)));
	/* Not under the bind mount's directory: the root mount only. */
	ck_assert(mount_table_place(&t, 254u << 20, "/srv/database", 0, p, sizeof(p)));
	ck_assert_str_eq(p, "/srv/database");
	ck_assert(!mount_table_place(&t, 254u << 20, "/srv/database", 1, p, sizeof(p)));
	ck_assert(mount_table_place(&t, 25, "/f", 0, p, sizeof(p)));
	ck_assert_str_eq(p, "/tmp/f");
	ck_assert(mount_table_place(&t, (8u << 20) | 1, "/a/f", 0, p, sizeof(p)));
	ck_assert_str_eq(p, "/b/f");
	ck_assert(!mount_table_place(&t, (8u << 20) | 1, "/ab/f", 0, p, sizeof(p)));
	ck_assert(!mount_table_place(&t, 99, "/f", 0, p, sizeof(p)));   /* no such file system mounted */
	ck_assert(!mount_table_place(&t, 25, "/f", 0, p, 6));             /* "/tmp/f" does not fit */
	mount_table_free(&t);
	ck_assert_uint_eq(t.n, 0);
}
END_TEST

struct rec {
	struct mmp_file_key key;
	int v;
};

START_TEST(test_file_table)
{
	struct file_table t = { 0 };
	enum { N = 5000 };
	struct rec *r = calloc(N, sizeof(*r));
	ck_assert_ptr_null(file_table_find(&t, &r[0].key));   /* empty */
	for (int i = 0; i < N; i++) {
		r[i].key = (struct mmp_file_key){ .dev = (unsigned)(i % 3), .ino = (unsigned long long)i * 7 };
		r[i].v = i;
		ck_assert_int_eq(file_table_add(&t, &r[i]), 0);
	}
	ck_assert_uint_eq(t.n, N);
	ck_assert_uint_ge(t.cap, 2 * N);   /* at most half full */
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(((struct rec *)file_table_find(&t, &r[i].key))->v, i);
	struct mmp_file_key other = { .dev = 1, .ino = 7 };   /* ino 7 is on dev 1; dev 0 has none */
	ck_assert_ptr_nonnull(file_table_find(&t, &other));
	other.dev = 0;
	ck_assert_ptr_null(file_table_find(&t, &other));
	/* Every other one removed: the rest still found, the removed not. */
	for (int i = 0; i < N; i += 2)
		file_table_remove(&t, &r[i].key);
	file_table_remove(&t, &r[0].key);   /* twice: nothing happens */
	ck_assert_uint_eq(t.n, N / 2);
	for (int i = 0; i < N; i++) {
		struct rec *f = file_table_find(&t, &r[i].key);
		if (i % 2)
			ck_assert_int_eq(f->v, i);
		else
			ck_assert_ptr_null(f);
	}
	file_table_free(&t);
	free(r);
}
END_TEST

/* The histogram's buckets: a lower score never in a higher bucket, small
 * counts each in its own, both ends of int64 inside; and the first bucket
 * that holds what a step wants. */
START_TEST(test_buckets)
{
	int64_t v[] = { INT64_MIN, INT64_MIN + 1, -1000000007, -65536, -65, -64, -63, -2, -1, 0, 1, 2, 63, 64,
			65, 79, 80, 81, 1000, 65535, 65536, 1000000007, INT64_MAX - 1, INT64_MAX };
	size_t n = sizeof(v) / sizeof(v[0]);
	for (size_t i = 0; i < n; i++) {
		ck_assert_uint_lt(evict_bucket(v[i]), EVICT_BUCKETS);
		if (i)
			ck_assert_uint_le(evict_bucket(v[i - 1]), evict_bucket(v[i]));
	}
	srandom(11);
	for (int i = 0; i < 100000; i++) {
		int64_t a = (int64_t)((uint64_t)random() << 33 ^ (uint64_t)random() << 2 ^ (uint64_t)(random() & 3));
		int64_t b = i & 1 ? a + random() % 1000 : (int64_t)(random() % 200) - 100;
		if (i & 1 && b < a)
			continue;   /* overflowed */
		if (a <= b)
			ck_assert_uint_le(evict_bucket(a), evict_bucket(b));
		else
			ck_assert_uint_ge(evict_bucket(a), evict_bucket(b));
	}
	for (int64_t s = -64; s < 64; s++)   /* exact near zero */
		ck_assert_uint_eq(evict_bucket(s + 1), evict_bucket(s) + 1);
	ck_assert_uint_eq(evict_bucket(0), EVICT_SIGN_BUCKETS);

	uint64_t bytes[EVICT_BUCKETS] = { 0 };
	bytes[evict_bucket(0)] = 3 * 4096;
	bytes[evict_bucket(5)] = 4096;
	bytes[evict_bucket(1000)] = 8 * 4096;
	ck_assert_uint_eq(evict_bucket_upto(bytes, 0, 1), evict_bucket(0));
	ck_assert_uint_eq(evict_bucket_upto(bytes, 0, 3 * 4096), evict_bucket(0));
	ck_assert_uint_eq(evict_bucket_upto(bytes, 0, 3 * 4096 + 1), evict_bucket(5));
	ck_assert_uint_eq(evict_bucket_upto(bytes, evict_bucket(5) + 1, 4096), evict_bucket(1000));
	ck_assert_uint_eq(evict_bucket_upto(bytes, 0, 100 * 4096), EVICT_BUCKETS - 1);   /* not enough: all */
}
END_TEST

/* The runs of BPF's piece array: taken first fit, given back merged with
 * their neighbours whichever order they come back in. */
START_TEST(test_extents)
{
	struct extents x;
	ck_assert_int_eq(extents_init(&x, 100), 0);
	uint32_t a, b, c, d;
	ck_assert(extents_take(&x, 30, &a));
	ck_assert(extents_take(&x, 30, &b));
	ck_assert(extents_take(&x, 30, &c));
	ck_assert_uint_eq(a, 0);
	ck_assert_uint_eq(b, 30);
	ck_assert_uint_eq(c, 60);
	ck_assert(!extents_take(&x, 11, &d));    /* 10 left */
	ck_assert(!extents_take(&x, 0, &d));
	ck_assert(extents_give(&x, b, 30));      /* a hole between two taken */
	ck_assert_uint_eq(x.n, 2);
	ck_assert(extents_take(&x, 20, &d));     /* first fit: the hole */
	ck_assert_uint_eq(d, 30);
	ck_assert(extents_give(&x, d, 20));
	ck_assert(extents_give(&x, a, 30));      /* joins the hole after it */
	ck_assert_uint_eq(x.n, 2);
	ck_assert(extents_give(&x, c, 30));      /* joins both sides: one run */
	ck_assert_uint_eq(x.n, 1);
	ck_assert_uint_eq(x.free[0].at, 0);
	ck_assert_uint_eq(x.free[0].n, 100);
	ck_assert_uint_eq(extents_free_count(&x), 100);
	/* Many small runs given back out of order end as one. */
	uint32_t at[50];
	for (int i = 0; i < 50; i++)
		ck_assert(extents_take(&x, 2, &at[i]));
	ck_assert_uint_eq(extents_free_count(&x), 0);
	for (int i = 0; i < 50; i += 2)
		ck_assert(extents_give(&x, at[i], 2));
	for (int i = 49; i > 0; i -= 2)
		ck_assert(extents_give(&x, at[i], 2));
	ck_assert_uint_eq(x.n, 1);
	ck_assert_uint_eq(extents_free_count(&x), 100);
	extents_free(&x);
}
END_TEST

static Suite *evict_suite(void)
{
	Suite *s = suite_create("evict");
	TCase *tc = tcase_create("order");
	tcase_add_test(tc, test_sort);
	tcase_add_test(tc, test_came_back);
	tcase_add_test(tc, test_fresh_merge);
	tcase_add_test(tc, test_region_stats);
	tcase_add_test(tc, test_say_holding);
	tcase_add_test(tc, test_rate_of);
	tcase_add_test(tc, test_region_fill_rate);
	tcase_add_test(tc, test_fill_wait);
	tcase_add_test(tc, test_timed_conditions);
	tcase_add_test(tc, test_keep_bytes);
	tcase_add_test(tc, test_protect_top);
	tcase_add_test(tc, test_refill);
	tcase_add_test(tc, test_need);
	tcase_add_test(tc, test_pace);
	tcase_add_test(tc, test_names_path);
	tcase_add_test(tc, test_mount_places);
	tcase_add_test(tc, test_file_table);
	tcase_add_test(tc, test_extents);
	tcase_add_test(tc, test_buckets);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(evict_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
