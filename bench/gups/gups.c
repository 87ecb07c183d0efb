/* gups.c - a GUPS-style workload with a hot and a cold part, for judging
 * huge-page policies from outside the process.
 *
 * Two anonymous mappings at fixed, 2 MiB-aligned addresses (so that a policy
 * can name them by address range): HOT (default 1 GiB at 0x600000000000)
 * and COLD (default 3 GiB at 0x700000000000).
 *
 *   phase 1  write every page of both (not timed)
 *   wait     optionally, until an outside agent has collapsed HOT into huge
 *            pages (AnonHugePages of its VMA in /proc/self/smaps), not timed
 *   phase 2  UPDATES random read-modify-writes of 8-byte words, a fraction
 *            HOT_FRAC of them in HOT and the rest in COLD (timed); with
 *            --forks=K, the process also forks K times, evenly spaced, a
 *            child that exits at once (as a server does that spawns a helper
 *            or takes a short snapshot), and those forks are timed too
 *
 * One line on stdout:
 *   seconds=S hot_huge_kb=H cold_huge_kb=C updates=N forks=K faults=F checksum=X
 * (F: the page faults the process took in the timed phase, its children's
 * not counted.)
 * Everything else goes to stderr.
 *
 * Build: cc -O2 -o gups gups.c      (C11 and libc only; Linux) */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../now.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MADV_HUGEPAGE
#define MADV_HUGEPAGE 14
#endif
#ifndef MADV_NOHUGEPAGE
#define MADV_NOHUGEPAGE 15
#endif

#define HUGE_2M (2UL << 20)

static const char *prog = "gups";

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [OPTION]...\n"
		"A GUPS-style workload: random read-modify-writes of 8-byte words over a\n"
		"hot and a cold anonymous mapping at fixed addresses. Only the update phase\n"
		"is timed. Prints one line to stdout:\n"
		"  seconds=S hot_huge_kb=H cold_huge_kb=C updates=N forks=K faults=F checksum=X\n"
		"(H and C: AnonHugePages of each mapping after the update phase; F: page\n"
		"faults taken in the update phase.)\n"
		"\n"
		"  --hot=SIZE            size of the hot mapping (default 1G)\n"
		"  --cold=SIZE           size of the cold mapping (default 3G; 0 only with\n"
		"                        --hot-frac=1)\n"
		"  --hot-addr=ADDR       address of the hot mapping (default 0x600000000000)\n"
		"  --cold-addr=ADDR      address of the cold mapping (default 0x700000000000)\n"
		"  --updates=N           number of updates (default 100M)\n"
		"  --hot-frac=F          fraction of updates in the hot mapping, 0..1\n"
		"                        (default 0.9)\n"
		"  --seed=N              PRNG seed (default 1)\n"
		"  --forks=K             fork K times during the updates, evenly spaced, a\n"
		"                        child that exits at once (default 0); timed\n"
		"  --madvise-hugepage    madvise(MADV_HUGEPAGE) both mappings before writing\n"
		"                        them (THP 'always' for this process only)\n"
		"  --no-hugepage         madvise(MADV_NOHUGEPAGE) both mappings: 4K pages\n"
		"                        even where THP is 'always'\n"
		"  --wait-huge=BYTES     after writing, poll /proc/self/smaps every 50 ms until\n"
		"                        the hot mapping has BYTES of AnonHugePages (collapsed\n"
		"                        by an outside agent); not timed\n"
		"  --wait-timeout=SECS   give up waiting after SECS, warn and go on (default 30)\n"
		"  -h, --help            show this help\n"
		"\n"
		"SIZE and BYTES take the binary suffixes K, M, G, T (1G = 2^30); sizes and\n"
		"addresses must be multiples of 2 MiB. N takes the decimal suffixes K, M, G\n"
		"(100M = 10^8). ADDR is decimal or 0x-hexadecimal.\n",
		prog);
}

__attribute__((format(printf, 1, 2), noreturn))
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

/* A number with an optional suffix K/M/G/T, multiplied by base^k. */
static int parse_scaled(const char *s, uint64_t base, uint64_t *out)
{
	char *end;
	errno = 0;
	if (!*s || *s == '-')
		return -1;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	int shift = 0;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': shift = 1; end++; break;
	case 'm': case 'M': shift = 2; end++; break;
	case 'g': case 'G': shift = 3; end++; break;
	case 't': case 'T': shift = 4; end++; break;
	default: return -1;
	}
	if (shift && (*end == 'i' || *end == 'I'))
		end++;
	if (shift && (*end == 'b' || *end == 'B'))
		end++;
	if (*end)
		return -1;
	for (int i = 0; i < shift; i++) {
		if (v > UINT64_MAX / base)
			return -1;
		v *= base;
	}
	*out = v;
	return 0;
}

static uint64_t parse_size(const char *opt, const char *s)
{
	uint64_t v;
	if (parse_scaled(s, 1024, &v))
		die("%s: invalid size '%s' (a number with an optional K, M, G or T)", opt, s);
	if (v % HUGE_2M)
		die("%s: size '%s' is not a multiple of 2 MiB", opt, s);
	return v;
}

static void human(char *buf, size_t n, uint64_t v)
{
	if (v && v % (1UL << 30) == 0)
		snprintf(buf, n, "%" PRIu64 "G", v >> 30);
	else if (v && v % (1UL << 20) == 0)
		snprintf(buf, n, "%" PRIu64 "M", v >> 20);
	else
		snprintf(buf, n, "%" PRIu64, v);
}

/* AnonHugePages (kB) summed over the VMAs of /proc/self/smaps that overlap
 * [lo, hi); -1 if smaps cannot be read. */
static long long huge_kb(uintptr_t lo, uintptr_t hi)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -1;
	char line[512];
	int in = 0;
	long long sum = 0;
	while (fgets(line, sizeof line, f)) {
		unsigned long s, e;
		long long kb;
		char c;
		if (sscanf(line, "%lx-%lx %c", &s, &e, &c) == 3)
			in = s < hi && e > lo;
		else if (in && sscanf(line, "AnonHugePages: %lld kB", &kb) == 1)
			sum += kb;
	}
	fclose(f);
	return sum;
}

/* Page faults this process has taken (minor and major), its children's not
 * counted. */
static long faults_taken(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return ru.ru_minflt + ru.ru_majflt;
}

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The high 64 bits of a * b: maps a uniform 64-bit a onto [0, b). */
static inline uint64_t mulhi(uint64_t a, uint64_t b)
{
#ifdef __SIZEOF_INT128__
	__extension__ typedef unsigned __int128 u128;
	return (uint64_t)(((u128)a * b) >> 64);
#else
	uint64_t a1 = a >> 32, a0 = a & 0xffffffffu, b1 = b >> 32, b0 = b & 0xffffffffu;
	uint64_t m = a1 * b0 + ((a0 * b0) >> 32);
	uint64_t m2 = a0 * b1 + (m & 0xffffffffu);
	return a1 * b1 + (m >> 32) + (m2 >> 32);
#endif
}

/* hugepage: 1 for MADV_HUGEPAGE, -1 for MADV_NOHUGEPAGE, 0 for neither. */
static uint64_t *map_at(const char *name, uintptr_t addr, uint64_t size, int hugepage)
{
	void *p = mmap((void *)addr, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED) {
		int e = errno;
		fprintf(stderr, "%s: mmap %s mapping at 0x%lx (%" PRIu64 " bytes): %s%s\n", prog, name,
			(unsigned long)addr, size, strerror(e),
			e == EEXIST ? " (the range is in use; choose another address)" :
			e == ENOMEM ? " (not enough memory or address space)" : "");
		exit(1);
	}
	if ((uintptr_t)p != addr) { /* a kernel before 4.17 takes the flag as a hint */
		fprintf(stderr, "%s: mmap %s mapping: got %p instead of 0x%lx\n", prog, name, p,
			(unsigned long)addr);
		exit(1);
	}
	if (hugepage && madvise(p, size, hugepage > 0 ? MADV_HUGEPAGE : MADV_NOHUGEPAGE)) {
		fprintf(stderr, "%s: madvise(%s) on the %s mapping: %s\n", prog,
			hugepage > 0 ? "MADV_HUGEPAGE" : "MADV_NOHUGEPAGE", name, strerror(errno));
		exit(1);
	}
	return p;
}

int main(int argc, char **argv)
{
	uint64_t hot = 1UL << 30, cold = 3UL << 30;
	uint64_t hot_addr = 0x600000000000UL, cold_addr = 0x700000000000UL;
	uint64_t updates = 100000000, seed = 1, wait_huge = 0;
	double hot_frac = 0.9, wait_timeout = 30;
	uint64_t forks = 0;
	int madv = 0, wait = 0;

	enum { O_HOT = 256, O_COLD, O_HOT_ADDR, O_COLD_ADDR, O_UPDATES, O_HOT_FRAC, O_SEED,
	       O_MADV, O_NOMADV, O_WAIT, O_WAIT_TIMEOUT, O_FORKS };
	static const struct option opts[] = {
		{ "hot", required_argument, 0, O_HOT },
		{ "cold", required_argument, 0, O_COLD },
		{ "hot-addr", required_argument, 0, O_HOT_ADDR },
		{ "cold-addr", required_argument, 0, O_COLD_ADDR },
		{ "updates", required_argument, 0, O_UPDATES },
		{ "hot-frac", required_argument, 0, O_HOT_FRAC },
		{ "seed", required_argument, 0, O_SEED },
		{ "forks", required_argument, 0, O_FORKS },
		{ "madvise-hugepage", no_argument, 0, O_MADV },
		{ "no-hugepage", no_argument, 0, O_NOMADV },
		{ "wait-huge", required_argument, 0, O_WAIT },
		{ "wait-timeout", required_argument, 0, O_WAIT_TIMEOUT },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	int c;
	char *end;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_HOT: hot = parse_size("--hot", optarg); break;
		case O_COLD: cold = parse_size("--cold", optarg); break;
		case O_HOT_ADDR:
		case O_COLD_ADDR: {
			uint64_t a;
			errno = 0;
			a = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end || *optarg == '-')
				die("invalid address '%s'", optarg);
			if (!a || a % HUGE_2M)
				die("address '%s' is not a non-zero multiple of 2 MiB (0x200000)", optarg);
			*(c == O_HOT_ADDR ? &hot_addr : &cold_addr) = a;
			break;
		}
		case O_UPDATES:
			if (parse_scaled(optarg, 1000, &updates))
				die("invalid count '%s' (a number with an optional K, M or G)", optarg);
			break;
		case O_HOT_FRAC:
			errno = 0;
			hot_frac = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(hot_frac >= 0 && hot_frac <= 1))
				die("invalid fraction '%s' (a number from 0 to 1)", optarg);
			break;
		case O_SEED:
			errno = 0;
			seed = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end || *optarg == '-')
				die("invalid seed '%s'", optarg);
			break;
		case O_FORKS:
			if (parse_scaled(optarg, 1000, &forks) || forks > 1000000)
				die("invalid count of forks '%s' (0 to 1M)", optarg);
			break;
		case O_MADV: madv = 1; break;
		case O_NOMADV: madv = -1; break;
		case O_WAIT:
			if (parse_scaled(optarg, 1024, &wait_huge))
				die("invalid size '%s' (a number with an optional K, M, G or T)", optarg);
			wait = 1;
			break;
		case O_WAIT_TIMEOUT:
			errno = 0;
			wait_timeout = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(wait_timeout >= 0))
				die("invalid timeout '%s' (seconds, 0 or more)", optarg);
			break;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "Try '%s --help'.\n", prog);
			return 2;
		}
	}
	if (optind < argc)
		die("unexpected argument '%s'", argv[optind]);
	if (!hot)
		die("--hot must be more than 0");
	if (!cold && hot_frac < 1)
		die("--cold=0 needs --hot-frac=1");
	if (hot / 8 > UINT64_MAX / 2 || cold / 8 > UINT64_MAX / 2 || hot_addr + hot < hot_addr ||
	    cold_addr + cold < cold_addr)
		die("size too large");
	if (cold && hot_addr < cold_addr + cold && cold_addr < hot_addr + hot)
		die("the hot and cold mappings overlap (see --hot-addr, --cold-addr)");
	if (wait && wait_huge > hot)
		die("--wait-huge is larger than the hot mapping");

	uint64_t *h = map_at("hot", hot_addr, hot, madv);
	uint64_t *cm = cold ? map_at("cold", cold_addr, cold, madv) : h;

	/* Phase 1: write every page (not timed). */
	long pg = sysconf(_SC_PAGESIZE);
	if (pg <= 0)
		pg = 4096;
	double t0 = now();
	for (uint64_t off = 0; off < hot; off += (uint64_t)pg)
		h[off / 8] = off | 1;
	for (uint64_t off = 0; off < cold; off += (uint64_t)pg)
		cm[off / 8] = off | 2;
	char hs[32], cs[32];
	human(hs, sizeof hs, hot);
	human(cs, sizeof cs, cold);
	fprintf(stderr, "%s: populated hot=%s cold=%s in %.2f s%s\n", prog, hs, cs, now() - t0,
		madv > 0 ? " (MADV_HUGEPAGE)" : madv < 0 ? " (MADV_NOHUGEPAGE)" : "");

	/* Wait for an outside collapse (not timed). */
	if (wait) {
		double w0 = now();
		long long kb;
		for (;;) {
			kb = huge_kb(hot_addr, hot_addr + hot);
			if (kb < 0) {
				fprintf(stderr, "%s: warning: cannot read /proc/self/smaps: %s; not waiting\n",
					prog, strerror(errno));
				break;
			}
			if ((uint64_t)kb * 1024 >= wait_huge) {
				fprintf(stderr, "%s: hot mapping has %lld MiB of huge pages after %.2f s\n",
					prog, kb / 1024, now() - w0);
				break;
			}
			if (now() - w0 >= wait_timeout) {
				fprintf(stderr,
					"%s: warning: hot mapping has only %lld of %" PRIu64
					" MiB in huge pages after %.2f s; going on\n",
					prog, kb / 1024, wait_huge >> 20, now() - w0);
				break;
			}
			nanosleep(&(struct timespec){ 0, 50 * 1000 * 1000 }, NULL);
		}
	}

	/* Phase 2: the timed updates. One xorshift64* draw per update: its low
	 * 32 bits choose hot or cold, its high bits the word (multiply-high),
	 * and the word is xored with it. As in HPCC RandomAccess, updates go in
	 * batches of independent ones (128): the addresses of a batch are drawn
	 * first, branch-free, then the batch's loads and stores are issued in a
	 * tight loop, so that the CPU overlaps many cache and TLB misses and the
	 * run is bound by memory and address translation, not by the PRNG.
	 * Fork k (1..K) comes before the batch that holds update k*N/(K+1):
	 * each fork copies the page tables and write-protects every page, so
	 * the next write to each page takes a fault. */
	enum { BATCH = 128 };
	uint64_t *addr[BATCH], val[BATCH];
	uint64_t thresh = (uint64_t)(hot_frac * 4294967296.0);
	uint64_t hw = hot / 8, cw = cold / 8;
	uintptr_t hp = (uintptr_t)h, cp = (uintptr_t)cm;
	uint64_t x = splitmix64(seed), sum = 0;
	if (!x)
		x = 1;
	uint64_t forked = 0, next_fork = forks ? updates / (forks + 1) : UINT64_MAX;
	long faults0 = faults_taken();
	double t1 = now();
	for (uint64_t i = 0; i < updates; i += BATCH) {
		unsigned n = updates - i < BATCH ? (unsigned)(updates - i) : BATCH;
		while (forked < forks && i + n > next_fork) {
			pid_t pid = fork();
			if (pid < 0)
				die("fork: %s", strerror(errno));
			if (pid == 0)
				_exit(0);
			int st;
			while (waitpid(pid, &st, 0) < 0)
				if (errno != EINTR)
					die("waitpid: %s", strerror(errno));
			forked++;
			next_fork = updates / (forks + 1) * (forked + 1);
		}
		for (unsigned j = 0; j < n; j++) {
			x ^= x >> 12;
			x ^= x << 25;
			x ^= x >> 27;
			uint64_t r = x * 0x2545f4914f6cdd1dULL;
			uint64_t m = -(uint64_t)((r & 0xffffffffu) < thresh); /* all ones: hot */
			uint64_t *base = (uint64_t *)((hp & m) | (cp & ~m));
			addr[j] = base + mulhi(r, (hw & m) | (cw & ~m));
			val[j] = r;
		}
		for (unsigned j = 0; j < n; j++) {
			uint64_t v = *addr[j];
			*addr[j] = v ^ val[j];
			sum ^= v;
		}
	}
	double secs = now() - t1;
	long faults = faults_taken() - faults0;

	long long hk = huge_kb(hot_addr, hot_addr + hot);
	long long ck = cold ? huge_kb(cold_addr, cold_addr + cold) : 0;
	printf("seconds=%.6f hot_huge_kb=%lld cold_huge_kb=%lld updates=%" PRIu64
	       " forks=%" PRIu64 " faults=%ld checksum=%016" PRIx64 "\n",
	       secs, hk, ck, updates, forked, faults, sum);
	return ferror(stdout) || fflush(stdout) ? 1 : 0;
}
