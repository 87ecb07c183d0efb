/* pfreader.c - the file workload of bench/prefetch: reads a file through
 * mmap in a fixed pattern, with the madvise hint given on the command line,
 * and counts its own faults and what ended up in the page cache.
 *
 *   pfreader FILE drop
 *   pfreader FILE PATTERN STRIDE HINT [TOUCHES]
 *
 * "drop" drops the file's pages from the page cache (posix_fadvise
 * DONTNEED, this file only), checks with mincore that none is left, and
 * exits.
 *
 * PATTERN is forward (pages 0, STRIDE, 2*STRIDE, ...), backward (the same
 * pages from the end) or random (TOUCHES pages at random, default one in
 * 16 of the file's pages, the same sequence every run). HINT is the madvise
 * advice on the whole mapping before the first read: none (the kernel's
 * default read-around), random (MADV_RANDOM) or sequential
 * (MADV_SEQUENTIAL). One byte of each page is read.
 *
 * Prints one line:
 *   touched=N distinct=D faults=F major=M seconds=S cached=C
 * F and M come from getrusage over the reading only; S is the reading's
 * wall time; C is the number of the file's pages in the page cache right
 * after the reading (mincore), which is what the kernel and any prefetcher
 * read: D/C is the accuracy of all the reading done for this run. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../now.h"

#define PAGE 4096UL

/* Pages of [P, P + LEN) in the page cache. */
static long cached_pages(void *p, size_t len)
{
	size_t pages = (len + PAGE - 1) / PAGE;
	unsigned char *vec = malloc(pages ? pages : 1);
	if (!vec || mincore(p, len, vec) < 0) {
		free(vec);
		return -1;
	}
	long n = 0;
	for (size_t i = 0; i < pages; i++)
		n += vec[i] & 1;
	free(vec);
	return n;
}

/* A small generator of our own, so that every run draws the same pages. */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int usage(void)
{
	fprintf(stderr, "usage: pfreader FILE drop\n"
			"       pfreader FILE forward|backward|random STRIDE none|random|sequential [TOUCHES]\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return usage();
	int fd = open(argv[1], O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(argv[1]);
		return 1;
	}
	size_t len = (size_t)st.st_size;
	size_t pages = len / PAGE;
	if (pages == 0) {
		fprintf(stderr, "pfreader: %s is smaller than a page\n", argv[1]);
		return 1;
	}
	if (strcmp(argv[2], "drop") == 0) {
		int err = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		if (err) {
			fprintf(stderr, "pfreader: posix_fadvise: %s\n", strerror(err));
			return 1;
		}
		void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
		long left = p == MAP_FAILED ? -1 : cached_pages(p, len);
		if (left != 0) {
			fprintf(stderr, "pfreader: %ld pages of %s still cached after the drop\n", left, argv[1]);
			return 1;
		}
		return 0;
	}
	if (argc < 5)
		return usage();
	const char *pattern = argv[2], *hint = argv[4];
	long stride = atol(argv[3]);
	if (stride < 1) {
		fprintf(stderr, "pfreader: the stride is at least one page\n");
		return 2;
	}
	int advice;
	if (strcmp(hint, "none") == 0)
		advice = MADV_NORMAL;
	else if (strcmp(hint, "random") == 0)
		advice = MADV_RANDOM;
	else if (strcmp(hint, "sequential") == 0)
		advice = MADV_SEQUENTIAL;
	else
		return usage();
	int mode = strcmp(pattern, "forward") == 0 ? 0 : strcmp(pattern, "backward") == 0 ? 1
						      : strcmp(pattern, "random") == 0 ? 2 : -1;
	if (mode < 0)
		return usage();
	size_t n = mode == 2 ? (argc > 5 ? (size_t)atol(argv[5]) : pages / 16) : (pages + (size_t)stride - 1) / (size_t)stride;

	unsigned char *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	if (madvise(p, len, advice) < 0) {
		perror("madvise");
		return 1;
	}
	/* Distinct pages touched: a bitmap, filled outside the timed loop. */
	unsigned char *seen = calloc((pages + 7) / 8, 1);
	size_t *order = malloc(n * sizeof(*order));
	if (!seen || !order) {
		perror("malloc");
		return 1;
	}
	size_t distinct = 0;
	for (size_t i = 0; i < n; i++) {
		size_t page = mode == 0 ? i * (size_t)stride
			    : mode == 1 ? (n - 1 - i) * (size_t)stride
					: (size_t)(next_random() % pages);
		order[i] = page;
		if (!(seen[page / 8] & (1u << (page % 8)))) {
			seen[page / 8] |= (unsigned char)(1u << (page % 8));
			distinct++;
		}
	}

	struct rusage r0, r1;
	getrusage(RUSAGE_SELF, &r0);
	double t0 = now();
	unsigned long sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += *(volatile unsigned char *)&p[order[i] * PAGE];
	double t1 = now();
	getrusage(RUSAGE_SELF, &r1);
	long cached = cached_pages(p, len);
	printf("touched=%zu distinct=%zu faults=%ld major=%ld seconds=%.4f cached=%ld sum=%lu\n", n, distinct,
	       (r1.ru_minflt - r0.ru_minflt) + (r1.ru_majflt - r0.ru_majflt), r1.ru_majflt - r0.ru_majflt, t1 - t0,
	       cached, sum & 1);
	return 0;
}
