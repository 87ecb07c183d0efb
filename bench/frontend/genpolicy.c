/* genpolicy.c - writes a large, valid, warning-free policy file for the
 * front-end benchmark: LINES lines (about), in policies of ~2000 lines, each
 * with hundreds of regions (files, globs, ranges) and rules of every kind.
 *
 *   genpolicy LINES > big.mmp
 */
#include <stdio.h>
#include <stdlib.h>

static long lines;

static void line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#include <stdarg.h>
static void line(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	lines++;
}

static void policy(long p, long budget)
{
	long start = lines;
	line("# policy %ld: generated for the front-end benchmark", p);
	line("policy gen%ld {", p);
	line("    match comm \"svc%ld-*\" or (exe \"/opt/svc%ld/bin/*\" and not uid 0) or cgroup \"/svc/%ld\";", p, p, p);
	line("    region heap = anon and size >= 64M;");
	line("    prefetch heap { pattern leap; degree 8; window 16; } when major_faults >= 64/s and idle < 5s;");
	long r = 0;
	/* Each group of five lines: two file regions, one range, and their rules. */
	while (lines - start < budget - 16) {
		line("    region f%ld = file \"/data/%ld/part-%ld.db\" and size >= 4M;", r, p, r);
		line("    region g%ld = file \"/logs/%ld/%ld/*.log\";", r, p, r);
		line("    region m%ld = range 0x%lx .. +2M;", r, 0x100000000L + r * 0x400000L);
		line("    prefetch f%ld, g%ld { pattern %s; degree %ld; distance %ld; limit %ldM/s; }", r, r,
		     r % 3 == 0 ? "stride" : r % 3 == 1 ? "leap" : "sequential", 1 + r % 64, r % 8, 64 + r % 64);
		line("    pagesize m%ld { 4K: 0; %s: %ld; 2M: %ld; } when faults/s > %ld/s or major_faults > %ld;", r,
		     r % 2 ? "64K" : "16K", r % 50, 50 + r % 50, 1 + r % 100, r % 1000);
		r++;
	}
	line("    evict when pressure some > %ld%% for 4s or usage > 90%% {", 5 + p % 40);
	for (long i = 0; i < r && i < 4; i++)
		line("        score f%ld = %ld * faults - idle / 1s + resident / 1M;", i, i + 1);
	line("        action pageout;");
	line("        limit 64M/s;");
	line("    }");
	line("    oom {");
	line("        protect exe \"/usr/sbin/sshd\";");
	line("        prefer cgroup \"/batch/%ld\";", p);
	line("        score = rss + swap / 2 - age / 1s * 1M;");
	line("        kill group when pressure full > 20%% for 6s;");
	line("    }");
	line("}");
}

int main(int argc, char **argv)
{
	long target = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
	if (target < 100) {
		fprintf(stderr, "usage: genpolicy LINES (at least 100)\n");
		return 2;
	}
	for (long p = 0; lines < target; p++)
		policy(p, target - lines < 2000 ? (target - lines < 40 ? 40 : target - lines) : 2000);
	return 0;
}
