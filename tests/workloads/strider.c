/* strider.c - reads a file through mmap in a fixed pattern and counts its
 * own faults: the workload of the prefetch tests and benchmarks.
 *
 *   strider FILE PATTERN [STRIDE_PAGES [readahead]]
 *
 * PATTERN "drop" instead drops the file's pages from the page cache
 * (posix_fadvise DONTNEED, this file only) and exits; "resident" prints
 * resident=P%, the share of the file in the page cache (mincore), and
 * reads nothing.
 *
 * PATTERN is forward (every STRIDE_PAGES-th page, default 16), backward
 * (the same from the end), or random (as many pages as forward would
 * touch, at random). The mapping is MADV_RANDOM, so the kernel reads only
 * the page that faults: what a pattern the kernel's read-around does not
 * predict costs. With "readahead", the kernel's read-around is left on
 * (and with it the large folios it reads, which a fault maps whole).
 * With STRIDER_RATE=N in the environment, it touches at most N pages a
 * second, so that a test does not race a prefetcher against the machine's
 * speed. With STRIDER_GO=PATH, it waits after mapping the file until PATH
 * exists (two minutes at most), so that a test can first see the mapping
 * governed. Prints one line:
 *   touched=N faults=F major=M seconds=S
 * with F and M from getrusage over the reading only.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../bench/now.h"

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: strider FILE forward|backward|random|drop|resident [STRIDE_PAGES [readahead]]\n");
		return 2;
	}
	long stride = argc > 3 ? atol(argv[3]) : 16;
	if (stride < 1) {
		fprintf(stderr, "strider: the stride is at least one page\n");
		return 2;
	}
	int fd = open(argv[1], O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(argv[1]);
		return 1;
	}
	if (strcmp(argv[2], "drop") == 0) {
		fdatasync(fd);
		int err = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		if (err)
			fprintf(stderr, "strider: posix_fadvise: %s\n", strerror(err));
		return err ? 1 : 0;
	}
	size_t pages = (size_t)st.st_size / 4096;
	unsigned char *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	if (strcmp(argv[2], "resident") == 0) {
		unsigned char *vec = malloc(pages + 1);
		size_t in = 0;
		if (!vec || mincore(p, (size_t)st.st_size, vec) < 0) {
			perror("mincore");
			return 1;
		}
		for (size_t i = 0; i < pages; i++)
			in += vec[i] & 1;
		printf("resident=%.0f%%\n", pages ? 100.0 * (double)in / (double)pages : 0.0);
		return 0;
	}
	if (argc < 5 || strcmp(argv[4], "readahead") != 0)
		madvise(p, (size_t)st.st_size, MADV_RANDOM);
	const char *go = getenv("STRIDER_GO");
	for (int waited = 0; go && access(go, F_OK) != 0 && waited < 120000; waited++)
		usleep(1000);
	size_t n = (pages + (size_t)stride - 1) / (size_t)stride;
	srandom(42);
	struct rusage r0, r1;
	getrusage(RUSAGE_SELF, &r0);
	double t0 = now();
	unsigned long sum = 0;
	const char *rate_env = getenv("STRIDER_RATE");
	double rate = rate_env ? atof(rate_env) : 0;
	for (size_t i = 0; i < n; i++) {
		if (rate > 0) {   /* touch I at I/RATE seconds from the start */
			double due = t0 + (double)i / rate, wait = due - now();
			if (wait > 0)
				usleep((useconds_t)(wait * 1e6));
		}
		size_t page;
		if (strcmp(argv[2], "forward") == 0)
			page = i * (size_t)stride;
		else if (strcmp(argv[2], "backward") == 0)
			page = (n - 1 - i) * (size_t)stride;
		else
			page = (size_t)random() % pages;
		sum += p[page * 4096];
	}
	double t1 = now();
	getrusage(RUSAGE_SELF, &r1);
	printf("touched=%zu faults=%ld major=%ld seconds=%.3f sum=%lu\n", n,
	       (r1.ru_minflt - r0.ru_minflt) + (r1.ru_majflt - r0.ru_majflt), r1.ru_majflt - r0.ru_majflt, t1 - t0,
	       sum & 1);
	return 0;
}
