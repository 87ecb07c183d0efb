/* getscan.c - point reads of a hot file, then a scan of a large one: the
 * "get-scan" shape of cache_ext, for the evict tests and benchmarks.
 *
 *   getscan HOT SCAN [HOT_PASSES [SCAN_PASSES [GETS_PER_MIB [WAIT_S [SCAN_MIBPS]]]]]
 *
 * Reads every 4K page of HOT once a pass, in a random order, HOT_PASSES
 * times (default 5; a page read once stays on the kernel's inactive list),
 * then reads SCAN from start to end SCAN_PASSES times (default 1) with
 * 1 MiB read(2) calls, doing GETS_PER_MIB random 4K point reads of HOT
 * after each MiB (default 0: a pure scan). Prints
 *   hot_resident=P% gets=N get_seconds=S scan_seconds=S
 * where hot_resident is the share of HOT in the page cache after the scan
 * (mincore) and get_seconds the time spent in the point reads during it.
 * WAIT_S (default 0) is a pause after opening the files and before reading:
 * time for a runtime that watches open files to find them. With GETSCAN_GO
 * set in the environment, it then also waits (120 s at most) until that
 * path exists: a test creates it once the runtime says it found the files. SCAN_MIBPS
 * (default 0: as fast as it goes) paces the scan to that many MiB a second,
 * as an application that works on what it reads: the same rate on every
 * machine that can read at least that fast.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../bench/now.h"

static double resident(int fd, size_t size)
{
	void *m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return -1;
	size_t pages = (size + 4095) / 4096, n = 0;
	unsigned char *vec = malloc(pages);
	if (vec && mincore(m, size, vec) == 0)
		for (size_t i = 0; i < pages; i++)
			n += vec[i] & 1;
	free(vec);
	munmap(m, size);
	return 100.0 * (double)n / (double)pages;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: getscan HOT SCAN [HOT_PASSES [SCAN_PASSES [GETS_PER_MIB [WAIT_S]]]]\n");
		return 2;
	}
	int hot = open(argv[1], O_RDONLY), scan = open(argv[2], O_RDONLY);
	struct stat hs, ss;
	if (hot < 0 || scan < 0 || fstat(hot, &hs) < 0 || fstat(scan, &ss) < 0) {
		perror("open");
		return 1;
	}
	int hot_passes = argc > 3 ? atoi(argv[3]) : 5, scan_passes = argc > 4 ? atoi(argv[4]) : 1;
	int gets_per_mib = argc > 5 ? atoi(argv[5]) : 0;
	double mibps = argc > 7 ? atof(argv[7]) : 0;
	if (argc > 6)
		usleep((useconds_t)(atof(argv[6]) * 1e6));
	const char *go = getenv("GETSCAN_GO");
	for (double w0 = now(); go && access(go, F_OK) != 0 && now() - w0 < 120;)
		usleep(10000);
	size_t hot_pages = (size_t)hs.st_size / 4096;
	char page[4096];
	static char buf[1 << 20];
	srandom(7);
	size_t *order = malloc((hot_pages + 1) * sizeof(*order));
	if (!order)
		return 1;
	for (size_t i = 0; i < hot_pages; i++)
		order[i] = i;
	for (int p = 0; p < hot_passes; p++) {
		for (size_t i = hot_pages; i > 1; i--) {   /* a new permutation each pass */
			size_t j = (size_t)random() % i, t = order[i - 1];
			order[i - 1] = order[j];
			order[j] = t;
		}
		for (size_t i = 0; i < hot_pages; i++)
			if (pread(hot, page, sizeof(page), (off_t)order[i] * 4096) < 0)
				return 1;
	}
	free(order);
	double get_s = 0, t0 = now(), mib = 0;
	long gets = 0;
	for (int p = 0; p < scan_passes; p++) {
		lseek(scan, 0, SEEK_SET);
		while (read(scan, buf, sizeof(buf)) > 0) {
			mib++;
			double ahead = mibps > 0 ? t0 + mib / mibps - now() : 0;
			if (ahead > 0)
				usleep((useconds_t)(ahead * 1e6));
			double g0 = now();
			for (int k = 0; k < gets_per_mib; k++, gets++)
				if (pread(hot, page, sizeof(page), (off_t)((size_t)random() % hot_pages) * 4096) < 0)
					return 1;
			get_s += now() - g0;
		}
	}
	double scan_s = now() - t0 - get_s;
	printf("hot_resident=%.0f%% gets=%ld get_seconds=%.3f scan_seconds=%.3f\n", resident(hot, (size_t)hs.st_size), gets,
	       get_s, scan_s);
	return 0;
}
