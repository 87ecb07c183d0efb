/* evictbench.c - point reads of a hot file while another thread scans a
 * large file over and over: cache_ext's "get-scan" shape, file-backed, for
 * bench/evict/run.sh.
 *
 *   evictbench [OPTION]... HOT SCAN     the benchmark (below)
 *   evictbench drop FILE...             drop FILEs' clean page cache
 *                                       (POSIX_FADV_DONTNEED)
 *
 * Phases, in one process:
 *   1. open HOT and SCAN, then wait --wait seconds (default 1.5): mmp
 *      finds the files a governed process has open once a second;
 *   2. read HOT once from start to end (1 MiB reads): the hot set cached;
 *   3. GET threads alone for --solo seconds (default 2): their rate with
 *      no scan going on ("solo", the ceiling);
 *   4. the timed phase, --seconds long (default 20): --threads GET threads
 *      (default 1) each read random 4K pages of HOT (pread, the fd with
 *      POSIX_FADV_RANDOM: a miss reads that page alone), and one SCAN
 *      thread reads SCAN from start to end with 1 MiB read(2) calls, over
 *      and over, as fast as it can (or at --scan-rate MiB/s).
 *
 * A GET is a hit when the page is in the page cache: each GET first tries
 * preadv2(RWF_NOWAIT), which returns the data only if it is cached and
 * otherwise fails with EAGAIN (and starts the read); a miss then reads the
 * page with a blocking pread. The GET threads' storage reads, from
 * /proc/thread-self/io (read_bytes), are reported beside the count as a
 * cross-check. The main thread samples HOT's share in the page cache every
 * 100 ms with cachestat(2) (Linux 6.5; mmap and mincore where it is
 * missing).
 *
 * --trace prints a line a second to stderr: that second's GETs, hit ratio
 * and the hot file's residency.
 *
 * Prints one line of key=value pairs:
 *   gets gets_per_s hit_pct misses get_storage_mib solo_gets_per_s
 *   scan_mib_s scan_passes scan_storage_mib hot_res_mean_pct
 *   hot_res_min_pct hot_res_end_pct seconds
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "../now.h"
#include "thread_io.h"

#ifndef RWF_NOWAIT
#define RWF_NOWAIT 0x00000008
#endif
#ifndef SYS_cachestat
#define SYS_cachestat 451
#endif

#define PAGE 4096
#define CHUNK (1 << 20)

struct cs_range {
	uint64_t off, len;
};
struct cs {
	uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
};

static int hot_fd, scan_fd;
static size_t hot_pages;
static off_t scan_size;
static double scan_rate;              /* MiB/s; 0: unlimited */
static double work_s;                 /* CPU time spent on each GET's page */
static int trace;                     /* --trace: a line a second to stderr */
static atomic_int phase;              /* 0 wait, 1 solo, 2 timed, 3 stop */
static atomic_int ready;

struct get_thread {
	pthread_t t;
	unsigned id;
	/* solo phase */
	uint64_t solo_gets;
	/* timed phase; the counts also read by --trace while they run */
	_Atomic uint64_t gets, hits;
	uint64_t misses, storage;
	int err;
};

struct scan_thread {
	pthread_t t;
	uint64_t bytes, passes, storage;
	int err;
};

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* One GET: a random page of HOT; true on a hit. */
static int get(uint64_t *seed, char *page, int *hit)
{
	off_t off = (off_t)(xorshift(seed) % hot_pages) * PAGE;
	struct iovec iov = { page, PAGE };
	ssize_t n = preadv2(hot_fd, &iov, 1, off, RWF_NOWAIT);
	if (n == PAGE) {
		*hit = 1;
		return 0;
	}
	if (n < 0 && errno != EAGAIN)
		return -1;
	*hit = 0;   /* not (all) cached: read it for real */
	return pread(hot_fd, page, PAGE, off) == PAGE ? 0 : -1;
}

/* What a server does with the value: --work microseconds of CPU. */
static void work(const char *page)
{
	if (work_s <= 0)
		return;
	double until = now() + work_s;
	volatile uint64_t sum = 0;
	do
		for (int i = 0; i < PAGE; i += 64)
			sum += (unsigned char)page[i];
	while (now() < until);
}

static void *get_main(void *arg)
{
	struct get_thread *g = arg;
	uint64_t seed = 0x9e3779b97f4a7c15ULL * (g->id + 1);
	char page[PAGE];
	int hit;
	atomic_fetch_add(&ready, 1);
	while (atomic_load(&phase) == 0)
		usleep(1000);
	while (atomic_load(&phase) == 1) {
		if (get(&seed, page, &hit) < 0) {
			g->err = errno;
			return NULL;
		}
		work(page);
		g->solo_gets++;
	}
	uint64_t s0 = thread_read_bytes(), gets = 0, hits = 0;
	while (atomic_load(&phase) == 2) {
		if (get(&seed, page, &hit) < 0) {
			g->err = errno;
			return NULL;
		}
		work(page);
		hits += (uint64_t)hit;
		atomic_store_explicit(&g->hits, hits, memory_order_relaxed);
		atomic_store_explicit(&g->gets, ++gets, memory_order_relaxed);
	}
	g->misses = gets - hits;
	g->storage = thread_read_bytes() - s0;
	return NULL;
}

static void *scan_main(void *arg)
{
	struct scan_thread *s = arg;
	char *buf = malloc(CHUNK);
	if (!buf) {
		s->err = ENOMEM;
		return NULL;
	}
	atomic_fetch_add(&ready, 1);
	while (atomic_load(&phase) < 2)
		usleep(1000);
	uint64_t s0 = thread_read_bytes();
	double t0 = now();
	off_t off = 0;
	while (atomic_load(&phase) == 2) {
		ssize_t n = pread(scan_fd, buf, CHUNK, off);
		if (n < 0) {
			s->err = errno;
			break;
		}
		if (n == 0 || (off += n) >= scan_size) {
			off = 0;
			s->passes++;
		}
		s->bytes += (uint64_t)n;
		if (scan_rate > 0) {
			double due = t0 + (double)s->bytes / (scan_rate * 1048576.0) - now();
			if (due > 0)
				usleep((useconds_t)(due * 1e6));
		}
	}
	s->storage = thread_read_bytes() - s0;
	free(buf);
	return NULL;
}

/* HOT's share of pages in the page cache, in percent; -1 if unknown. */
static double hot_resident(void)
{
	struct cs_range r = { 0, 0 };
	struct cs c;
	if (syscall(SYS_cachestat, hot_fd, &r, &c, 0) == 0)
		return 100.0 * (double)c.nr_cache / (double)hot_pages;
	size_t size = hot_pages * PAGE;
	void *m = mmap(NULL, size, PROT_READ, MAP_SHARED, hot_fd, 0);
	if (m == MAP_FAILED)
		return -1;
	unsigned char *vec = malloc(hot_pages);
	size_t n = 0;
	if (vec && mincore(m, size, vec) == 0)
		for (size_t i = 0; i < hot_pages; i++)
			n += vec[i] & 1;
	else
		n = (size_t)-1;
	free(vec);
	munmap(m, size);
	return n == (size_t)-1 ? -1 : 100.0 * (double)n / (double)hot_pages;
}

static int drop(int argc, char **argv)
{
	int rc = 0;
	for (int i = 0; i < argc; i++) {
		int fd = open(argv[i], O_RDONLY);
		int err = fd < 0 ? errno : posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		if (err) {
			fprintf(stderr, "evictbench: %s: %s\n", argv[i], strerror(err));
			rc = 1;
		}
		if (fd >= 0)
			close(fd);
	}
	return rc;
}

static void usage(void)
{
	fprintf(stderr, "usage: evictbench [--threads N] [--seconds S] [--wait S] [--solo S] [--scan-rate MIB_S]\n"
			"                  [--work US] [--trace] HOT SCAN\n"
			"       evictbench drop FILE...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "drop") == 0)
		return drop(argc - 2, argv + 2);
	unsigned threads = 1;
	double seconds = 20, wait_s = 1.5, solo = 2;
	int a = 1;
	for (; a + 1 < argc && strncmp(argv[a], "--", 2) == 0; a += 2) {
		if (strcmp(argv[a], "--trace") == 0) {
			trace = 1;
			a--;
			continue;
		}
		char *end;
		double v = strtod(argv[a + 1], &end);
		if (*end || v < 0)
			usage();
		if (strcmp(argv[a], "--threads") == 0 && v >= 1 && v <= 64)
			threads = (unsigned)v;
		else if (strcmp(argv[a], "--seconds") == 0 && v > 0)
			seconds = v;
		else if (strcmp(argv[a], "--wait") == 0)
			wait_s = v;
		else if (strcmp(argv[a], "--solo") == 0)
			solo = v;
		else if (strcmp(argv[a], "--scan-rate") == 0)
			scan_rate = v;
		else if (strcmp(argv[a], "--work") == 0)
			work_s = v / 1e6;
		else
			usage();
	}
	if (argc - a != 2)
		usage();
	struct stat hs, ss;
	hot_fd = open(argv[a], O_RDONLY);
	scan_fd = open(argv[a + 1], O_RDONLY);
	if (hot_fd < 0 || scan_fd < 0 || fstat(hot_fd, &hs) < 0 || fstat(scan_fd, &ss) < 0) {
		perror("evictbench: open");
		return 1;
	}
	hot_pages = (size_t)hs.st_size / PAGE;
	scan_size = ss.st_size;
	if (!hot_pages || scan_size < CHUNK) {
		fprintf(stderr, "evictbench: HOT needs at least a page, SCAN at least 1 MiB\n");
		return 1;
	}

	/* 1. Time for mmp to find the open files. */
	usleep((useconds_t)(wait_s * 1e6));

	/* 2. The hot set, read once. */
	char *buf = malloc(CHUNK);
	for (off_t off = 0; buf && off < hs.st_size;) {
		ssize_t n = pread(hot_fd, buf, CHUNK, off);
		if (n <= 0) {
			perror("evictbench: reading HOT");
			return 1;
		}
		off += n;
	}
	free(buf);
	posix_fadvise(hot_fd, 0, 0, POSIX_FADV_RANDOM);

	struct get_thread *g = calloc(threads, sizeof(*g));
	struct scan_thread s = { 0 };
	if (!g)
		return 1;
	for (unsigned i = 0; i < threads; i++) {
		g[i].id = i;
		if (pthread_create(&g[i].t, NULL, get_main, &g[i]) != 0) {
			perror("evictbench: pthread_create");
			return 1;
		}
	}
	if (pthread_create(&s.t, NULL, scan_main, &s) != 0) {
		perror("evictbench: pthread_create");
		return 1;
	}
	while (atomic_load(&ready) < (int)threads + 1)
		usleep(1000);

	/* 3. GETs alone. */
	double t0 = now();
	atomic_store(&phase, 1);
	usleep((useconds_t)(solo * 1e6));
	double solo_s = now() - t0;

	/* 4. GETs and the scan, timed; the hot file's residency sampled. */
	atomic_store(&phase, 2);
	t0 = now();
	double sum = 0, min = 101;
	unsigned samples = 0, tick = 0;
	uint64_t last_gets = 0, last_hits = 0;
	for (double t = t0; t - t0 < seconds; t = now()) {
		usleep(100000);
		double r = hot_resident();
		if (r >= 0) {
			sum += r;
			min = r < min ? r : min;
			samples++;
		}
		if (trace && ++tick % 10 == 0) {
			uint64_t n = 0, h = 0;
			for (unsigned i = 0; i < threads; i++) {
				n += atomic_load_explicit(&g[i].gets, memory_order_relaxed);
				h += atomic_load_explicit(&g[i].hits, memory_order_relaxed);
			}
			fprintf(stderr, "evictbench: t=%.0fs gets/s=%llu hit_pct=%.3f hot_res_pct=%.1f\n", now() - t0,
				(unsigned long long)(n - last_gets),
				n > last_gets ? 100.0 * (double)(h - last_hits) / (double)(n - last_gets) : 0, r);
			last_gets = n;
			last_hits = h;
		}
	}
	atomic_store(&phase, 3);
	double span = now() - t0;
	uint64_t gets = 0, hits = 0, misses = 0, storage = 0, solo_gets = 0;
	int err = 0;
	for (unsigned i = 0; i < threads; i++) {
		pthread_join(g[i].t, NULL);
		gets += atomic_load(&g[i].gets);
		hits += atomic_load(&g[i].hits);
		misses += g[i].misses;
		storage += g[i].storage;
		solo_gets += g[i].solo_gets;
		err = err ? err : g[i].err;
	}
	pthread_join(s.t, NULL);
	err = err ? err : s.err;
	if (err) {
		fprintf(stderr, "evictbench: read: %s\n", strerror(err));
		return 1;
	}
	printf("gets=%llu gets_per_s=%.0f hit_pct=%.3f misses=%llu get_storage_mib=%.1f solo_gets_per_s=%.0f "
	       "scan_mib_s=%.1f scan_passes=%llu scan_storage_mib=%.1f hot_res_mean_pct=%.1f hot_res_min_pct=%.1f "
	       "hot_res_end_pct=%.1f seconds=%.2f\n",
	       (unsigned long long)gets, (double)gets / span, gets ? 100.0 * (double)hits / (double)gets : 0,
	       (unsigned long long)misses, (double)storage / 1048576.0, (double)solo_gets / solo_s,
	       (double)s.bytes / 1048576.0 / span, (unsigned long long)s.passes, (double)s.storage / 1048576.0,
	       samples ? sum / samples : -1, samples ? min : -1, hot_resident(), span);
	return 0;
}
