/* threadscan.c - point reads and a scan of one file, by two threads that
 * say what they do by their names: cache_ext's get-scan inside a file,
 * for the test of an evict block's 'scanners'.
 *
 *   threadscan FILE HOT_MIB SCAN_PASSES [SCAN_MIBPS]
 *
 * A thread named "get" reads each 4K page of the first HOT_MIB MiB of
 * FILE once, in a random order (its pages stay on the kernel's inactive
 * list). Then a thread named "scan" reads the rest of FILE, from HOT_MIB
 * MiB to its end, SCAN_PASSES times with 1 MiB read(2) calls, at most
 * SCAN_MIBPS MiB a second (default 0: as fast as it goes). Prints
 *   hot_resident=P%
 * the share of the first HOT_MIB MiB in the page cache after the scan
 * (mincore). With THREADSCAN_GO=PATH both threads are named first, and the
 * reading waits (120 s at most) until PATH exists: a test creates it once
 * the runtime has found the scanner.
 *
 * With THREADSCAN_RENAME=1 one worker thread does both, as the workers of
 * a database serve point reads and scans in turn, naming itself for each: "get"
 * before the point reads of a step, "scan" before each 1 MiB of the scan.
 * The point reads are spread over the first pass, a share before each
 * step, so the thread changes its name every few milliseconds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../bench/now.h"

static int fd;
static off_t size, hot;
static int passes;
static double mibps;
static const char *go;

static void wait_go(void)
{
	for (int i = 0; go && i < 1200 && access(go, F_OK) != 0; i++)
		usleep(100000);
}

static size_t *order, pages_hot, next_get;

/* The hot pages in a random order, each read once: Fisher-Yates. */
static int shuffle(void)
{
	pages_hot = (size_t)hot / 4096;
	order = malloc(pages_hot * sizeof(*order));
	if (!order)
		return ENOMEM;
	for (size_t i = 0; i < pages_hot; i++)
		order[i] = i;
	srand(1);
	for (size_t i = pages_hot; i > 1; i--) {
		size_t j = (size_t)rand() % i, t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
	return 0;
}

/* The next N hot pages of the order, as "get" if RENAME: 0 or an errno. */
static int get_pages(size_t n, int rename)
{
	char buf[4096];
	if (rename && next_get < pages_hot)
		pthread_setname_np(pthread_self(), "get");
	for (; n && next_get < pages_hot; n--, next_get++)
		if (pread(fd, buf, sizeof(buf), (off_t)order[next_get] * 4096) < 0)
			return errno;
	return 0;
}

static void *get_main(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)get_pages(pages_hot, 0);   /* a thread's own errno */
}

/* The scan; with RENAME, each 1 MiB step preceded by its share of the
 * point reads. */
static void *scan_body(int rename)
{
	static char buf[1 << 20];
	size_t steps = (size_t)((size - hot + (off_t)sizeof(buf) - 1) / (off_t)sizeof(buf));
	size_t share = rename ? (pages_hot + steps - 1) / steps : 0;
	for (int p = 0; p < passes; p++) {
		double t0 = now();
		off_t done = 0;
		for (off_t off = hot; off < size; off += (off_t)sizeof(buf)) {
			int err = get_pages(share, rename);
			if (err)
				return (void *)(intptr_t)err;
			if (rename)
				pthread_setname_np(pthread_self(), "scan");
			if (pread(fd, buf, sizeof(buf), off) < 0)
				return (void *)(intptr_t)errno;
			done += (off_t)sizeof(buf);
			double ahead = mibps > 0 ? (double)done / 1048576.0 / mibps - (now() - t0) : 0;
			if (ahead > 0)
				usleep((useconds_t)(ahead * 1e6));
		}
	}
	return (void *)(intptr_t)get_pages(pages_hot, rename);   /* any left, with no scan */
}

static void *scan_main(void *arg)
{
	(void)arg;
	return scan_body(0);
}

static void *run_renamed(void *arg)
{
	(void)arg;
	return scan_body(1);
}

/* A thread that names itself, waits for the go, then works: "scan"
 * starts when "get" is done. */
static pthread_barrier_t named, started, turn;

static void *run_get(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "get");
	pthread_barrier_wait(&named);
	pthread_barrier_wait(&started);
	void *r = get_main(NULL);
	pthread_barrier_wait(&turn);
	return r;
}

static void *run_scan(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "scan");
	pthread_barrier_wait(&named);
	pthread_barrier_wait(&started);
	pthread_barrier_wait(&turn);
	return scan_main(NULL);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: threadscan FILE HOT_MIB SCAN_PASSES [SCAN_MIBPS]\n");
		return 2;
	}
	struct stat st;
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(argv[1]);
		return 1;
	}
	size = st.st_size;
	long hot_mib = strtol(argv[2], NULL, 10);
	hot = hot_mib > 0 && hot_mib < (1L << 30) ? (off_t)hot_mib << 20 : 0;
	passes = atoi(argv[3]);
	mibps = argc > 4 ? atof(argv[4]) : 0;
	go = getenv("THREADSCAN_GO");
	if (hot <= 0 || hot >= size || passes < 0) {
		fprintf(stderr, "threadscan: HOT_MIB must be above 0 and below the file's size\n");
		return 2;
	}
	if (shuffle()) {
		fprintf(stderr, "threadscan: out of memory\n");
		return 1;
	}
	void *r0 = NULL, *r1 = NULL;
	const char *one = getenv("THREADSCAN_RENAME");
	if (one && strcmp(one, "1") == 0) {
		/* A thread of its own: the main thread's name is the process's,
		 * which the policy's 'match' tests. */
		pthread_t w;
		wait_go();
		if (pthread_create(&w, NULL, run_renamed, NULL)) {
			fprintf(stderr, "threadscan: cannot start a thread\n");
			return 1;
		}
		pthread_join(w, &r0);
		goto read;
	}
	pthread_barrier_init(&named, NULL, 3);
	pthread_barrier_init(&started, NULL, 3);
	pthread_barrier_init(&turn, NULL, 2);
	pthread_t t[2];
	if (pthread_create(&t[0], NULL, run_get, NULL) || pthread_create(&t[1], NULL, run_scan, NULL)) {
		fprintf(stderr, "threadscan: cannot start a thread\n");
		return 1;
	}
	pthread_barrier_wait(&named);
	wait_go();
	pthread_barrier_wait(&started);
	pthread_join(t[0], &r0);
	pthread_join(t[1], &r1);
read:
	if (r0 || r1) {
		fprintf(stderr, "threadscan: read %s: %s\n", argv[1], strerror((int)(intptr_t)(r0 ? r0 : r1)));
		return 1;
	}
	void *m = mmap(NULL, (size_t)hot, PROT_READ, MAP_SHARED, fd, 0);
	size_t page = (size_t)sysconf(_SC_PAGESIZE), pages = ((size_t)hot + page - 1) / page, n = 0;
	unsigned char *vec = malloc(pages);
	if (m == MAP_FAILED || !vec || mincore(m, (size_t)hot, vec) != 0) {
		perror("mincore");
		return 1;
	}
	for (size_t i = 0; i < pages; i++)
		n += vec[i] & 1;
	printf("hot_resident=%d%%\n", (int)(100 * n / pages));
	return 0;
}
