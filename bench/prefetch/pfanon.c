/* pfanon.c - the anonymous-memory workload of bench/prefetch: fills a large
 * anonymous mapping inside a memory cgroup too small for it, so that most
 * of it goes to swap, then scans it at a fixed stride and counts its own
 * faults.
 *
 *   pfanon [--cgroup DIR] [--go FILE] [--work NS] SIZE_MIB STRIDE_PAGES [PASSES]
 *
 * --cgroup DIR: write our pid into DIR/cgroup.procs first (a cgroup v1
 * memory cgroup whose limit is below SIZE_MIB), so that only this process
 * is in it and not the tool that starts it.
 * --go FILE: once the fill is done, print "filled" (stdout, flushed) and
 * wait until FILE exists before scanning: the benchmark attaches the
 * policy in between, so that what mmp counts is the scan's alone. The
 * "filled" line also gives the mapping's address and pages, for a helper.
 * --work NS: after reading a page, compute for NS nanoseconds, as a scan
 * that does something with each page would (default 0: none).
 *
 * The fill writes every page: half of it pseudo-random bytes, the rest
 * zeros, so that it compresses about 2:1 (zram stores neither a same-filled
 * page nor an incompressible one the usual way). The fill is not timed.
 * Then PASSES (default 1) scans read one word of every STRIDE_PAGES-th page
 * from the start, timed. Prints one line:
 *   touched=N major=M seconds=S cpu=C swapped_mib=W
 * over the scans only: N pages read, M major faults (getrusage), S wall
 * seconds, C CPU seconds of the whole machine (/proc/stat: user, nice,
 * system, irq, softirq) so that work done for us elsewhere (a prefetcher's
 * swap-ins, kswapd) counts too, and W the MiB of this process in swap when
 * the scan began (VmSwap). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "../now.h"

#define PAGE 4096UL

/* Busy CPU time of the machine, in seconds. */
static double busy_cpu(void)
{
	FILE *f = fopen("/proc/stat", "r");
	unsigned long long user = 0, nice = 0, sys = 0, idle = 0, iowait = 0, irq = 0, softirq = 0;
	if (!f)
		return -1;
	int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &sys, &idle, &iowait, &irq, &softirq);
	fclose(f);
	if (n != 7)
		return -1;
	return (double)(user + nice + sys + irq + softirq) / (double)sysconf(_SC_CLK_TCK);
}

static long vm_swap_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmSwap: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

int main(int argc, char **argv)
{
	const char *cgroup = NULL, *go = NULL;
	double work = 0;
	int a = 1;
	while (argc - a > 1 && argv[a][0] == '-') {
		if (strcmp(argv[a], "--cgroup") == 0)
			cgroup = argv[a + 1];
		else if (strcmp(argv[a], "--go") == 0)
			go = argv[a + 1];
		else if (strcmp(argv[a], "--work") == 0)
			work = atof(argv[a + 1]) / 1e9;
		else
			break;
		a += 2;
	}
	if (argc - a < 2 || argv[a][0] == '-') {
		fprintf(stderr, "usage: pfanon [--cgroup DIR] [--go FILE] [--work NS] SIZE_MIB STRIDE_PAGES [PASSES]\n");
		return 2;
	}
	size_t mib = (size_t)atol(argv[a]);
	long stride = atol(argv[a + 1]);
	int passes = argc - a > 2 ? atoi(argv[a + 2]) : 1;
	if (!mib || stride < 1 || passes < 1) {
		fprintf(stderr, "pfanon: size, stride and passes are positive\n");
		return 2;
	}
	if (cgroup) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup);
		FILE *f = fopen(path, "w");
		if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0) {
			fprintf(stderr, "pfanon: cannot join %s: %s\n", cgroup, strerror(errno));
			return 1;
		}
	}
	size_t len = mib << 20, pages = len / PAGE;
	unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	madvise(p, len, MADV_NOHUGEPAGE);   /* 4K pages, swapped one by one */
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	for (size_t i = 0; i < pages; i++) {
		uint64_t *w = (uint64_t *)(p + i * PAGE);
		for (size_t k = 0; k < PAGE / 16; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			w[k] = x;
		}
	}
	long swapped = vm_swap_kib();
	if (go) {
		printf("filled addr=0x%lx pages=%zu\n", (unsigned long)p, pages);
		fflush(stdout);
		while (access(go, F_OK) != 0) {
			struct timespec ms = { 0, 1000000 };
			nanosleep(&ms, NULL);
		}
	}

	size_t n = (pages + (size_t)stride - 1) / (size_t)stride;
	struct rusage r0, r1;
	getrusage(RUSAGE_SELF, &r0);
	double c0 = busy_cpu(), t0 = now();
	uint64_t sum = 0;
	for (int pass = 0; pass < passes; pass++)
		for (size_t i = 0; i < n; i++) {
			sum += *(volatile uint64_t *)(p + i * (size_t)stride * PAGE);
			if (work > 0)
				for (double end = now() + work; now() < end;)
					;
		}
	double t1 = now(), c1 = busy_cpu();
	getrusage(RUSAGE_SELF, &r1);
	printf("touched=%zu major=%ld seconds=%.4f cpu=%.2f swapped_mib=%ld sum=%lu\n", n * (size_t)passes,
	       r1.ru_majflt - r0.ru_majflt, t1 - t0, c1 - c0, swapped / 1024, (unsigned long)(sum & 1));
	return 0;
}
