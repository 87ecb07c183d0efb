/* hotcold.c - a test workload with a hot and a cold anonymous region at
 * fixed addresses, so that a policy can select each with 'range'.
 *
 *   hotcold [--hot SIZE] [--cold SIZE] [--seconds S] [--hot-addr A] [--cold-addr A]
 *           [--fill S] [--wait-huge SIZE] [--wait-timeout S] [--small-pages]
 *
 * The cold region is written once at start. The hot region is then written
 * page by page over the first half of the run, or over --fill seconds
 * (a steady fault rate), and
 * read over and over until the end. A page fault costs from under 1 us to
 * 30 us from one machine to another, so the writing may run past half the
 * run: the reading phase then starts once the region is written.
 *
 * Each pass reads one page in 8 of what is written, a different eighth
 * each pass: a hot set far larger than any TLB's reach, as a process that
 * gains from 2M pages has. (The CPU sets a page's accessed bit only when
 * it walks the page table; a few hundred pages read over and over stay in
 * the TLB, and clear_refs, unlike MADV_COLD, leaves the TLB as it is.)
 *
 * With --small-pages, both regions are written in 4K pages whatever the
 * system's THP mode (MADV_NOHUGEPAGE), and once the hot region is written
 * it is made eligible for huge pages again (MADV_HUGEPAGE): the state a
 * THP 'always' host leaves memory in when no 2M page was free at the fault,
 * which only khugepaged, slowly, or a collapse changes.
 *
 * With --wait-huge, it then goes on reading until at least SIZE of the hot
 * region is in huge pages, or --wait-timeout seconds (default 60) have
 * passed: a test waits for the state it asserts, however fast the machine.
 * Once the hot region is written it prints "filled=1" and how much of it
 * is in huge pages then, "filled_huge_kb=N" (flushed: a test attaching to
 * a running process waits for it). On exit it prints, from
 * its own smaps,
 *   hot_huge_kb=N cold_huge_kb=N waited_s=S
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../../bench/now.h"

static size_t parse_size(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	if (*end == 'K') v *= 1 << 10;
	else if (*end == 'M') v *= 1 << 20;
	else if (*end == 'G') v *= 1 << 30;
	return (size_t)v;
}

static unsigned long huge_kb(uintptr_t lo, uintptr_t hi)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	unsigned long total = 0;
	uintptr_t s = 0, e = 0;
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long kb;
		uintptr_t a, b;   /* sscanf writes 'A' of "Anonymous:" as hex before failing */
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &a, &b) == 2) {
			s = a, e = b;
			continue;
		}
		if (sscanf(line, "AnonHugePages: %lu kB", &kb) == 1 && s >= lo && e <= hi)
			total += kb;
	}
	if (f)
		fclose(f);
	return total;
}

int main(int argc, char **argv)
{
	size_t hot = 64 << 20, cold = 64 << 20;
	double seconds = 3;
	double wait_timeout = 60, fill = -1;
	size_t wait_huge = 0;
	int small_pages = 0;
	uintptr_t hot_addr = 0x600000000000, cold_addr = 0x700000000000;
	for (int i = 1; i < argc; i += 2) {
		if (!strcmp(argv[i], "--small-pages")) {
			small_pages = 1;
			i--;
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "hotcold: %s takes a value\n", argv[i]);
			return 2;
		}
		if (!strcmp(argv[i], "--hot")) hot = parse_size(argv[i + 1]);
		else if (!strcmp(argv[i], "--cold")) cold = parse_size(argv[i + 1]);
		else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--hot-addr")) hot_addr = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--cold-addr")) cold_addr = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--fill")) fill = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--wait-huge")) wait_huge = parse_size(argv[i + 1]);
		else if (!strcmp(argv[i], "--wait-timeout")) wait_timeout = atof(argv[i + 1]);
		else { fprintf(stderr, "hotcold: unknown option %s\n", argv[i]); return 2; }
	}
	char *c = mmap((void *)cold_addr, cold, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	char *h = mmap((void *)hot_addr, hot, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (c == MAP_FAILED || h == MAP_FAILED) {
		perror("hotcold: mmap");
		return 1;
	}
	if (small_pages && (madvise(c, cold, MADV_NOHUGEPAGE) < 0 || madvise(h, hot, MADV_NOHUGEPAGE) < 0)) {
		perror("hotcold: madvise(MADV_NOHUGEPAGE)");
		return 1;
	}
	memset(c, 1, cold);
	double t0 = now();
	if (fill < 0)
		fill = seconds / 2;
	size_t pages = hot / 4096, done = 0;
	int filled = 0;
	volatile unsigned long sum = 0;
	unsigned pass = 0;
	while (now() - t0 < seconds || done < pages) {
		double frac = (now() - t0) / fill;
		size_t want = frac >= 1 ? pages : (size_t)(frac * (double)pages);
		for (; done < want; done++)
			h[done * 4096] = 1;
		if (done == pages && !filled) {
			printf("filled=1 filled_huge_kb=%lu\n", huge_kb(hot_addr, hot_addr + hot));
			fflush(stdout);
			filled = 1;
		}
		if (small_pages == 1 && done == pages) {
			if (madvise(h, hot, MADV_HUGEPAGE) < 0) {
				perror("hotcold: madvise(MADV_HUGEPAGE)");
				return 1;
			}
			small_pages = 2;
		}
		for (size_t i = pass++ % 8; i < done; i += 8)
			sum += (unsigned char)h[i * 4096];
		usleep(1000);
	}
	double w0 = now();
	while (wait_huge && huge_kb(hot_addr, hot_addr + hot) * 1024 < wait_huge && now() - w0 < wait_timeout) {
		for (int k = 0; k < 50; k++) {   /* still in use: read as before, 50 ms between looks */
			for (size_t i = pass++ % 8; i < pages; i += 8)
				sum += (unsigned char)h[i * 4096];
			usleep(1000);
		}
	}
	printf("hot_huge_kb=%lu cold_huge_kb=%lu waited_s=%.1f\n", huge_kb(hot_addr, hot_addr + hot),
	       huge_kb(cold_addr, cold_addr + cold), now() - w0);
	return (int)(sum & 0);
}
