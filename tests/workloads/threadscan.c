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

static void *get_main(void *arg)
{
	(void)arg;
	size_t pages = (size_t)hot / 4096;
	size_t *order = malloc(pages * sizeof(*order));
	char buf[4096];
	if (!order)
		return (void *)(intptr_t)ENOMEM;
	for (size_t i = 0; i < pages; i++)
		order[i] = i;
	srand(1);
	for (size_t i = pages; i > 1; i--) {   /* Fisher-Yates */
		size_t j = (size_t)rand() % i, t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
	int err = 0;
	for (size_t i = 0; i < pages && !err; i++)
		if (pread(fd, buf, sizeof(buf), (off_t)order[i] * 4096) < 0)
			err = errno;
	free(order);
	return (void *)(intptr_t)err;   /* a thread's own errno */
}

static void *scan_main(void *arg)
{
	(void)arg;
	static char buf[1 << 20];
	for (int p = 0; p < passes; p++) {
		double t0 = now();
		off_t done = 0;
		for (off_t off = hot; off < size; off += (off_t)sizeof(buf)) {
			if (pread(fd, buf, sizeof(buf), off) < 0)
				return (void *)(intptr_t)errno;
			done += (off_t)sizeof(buf);
			double ahead = mibps > 0 ? (double)done / 1048576.0 / mibps - (now() - t0) : 0;
			if (ahead > 0)
				usleep((useconds_t)(ahead * 1e6));
		}
	}
	return NULL;
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
	void *r0, *r1;
	pthread_join(t[0], &r0);
	pthread_join(t[1], &r1);
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
