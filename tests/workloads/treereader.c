/* treereader.c - reads every file of a tree, one after another, opening,
 * reading and closing each (as ripgrep or a backup does), over and over:
 * the workload of the closed-file eviction test.
 *
 *   treereader make DIR FILES BYTES   writes FILES files of BYTES random
 *                                     bytes under DIR, 256 a directory
 *   treereader drop DIR               drops the tree's page cache
 *   treereader read DIR PASSES [MIB_PER_S]
 *
 * 'read' takes the files in name order, each pass. With MIB_PER_S it reads
 * at most that fast, so that a test does not race mmp against the
 * machine's speed. With TREEREADER_GO=PATH it waits before the first pass
 * until PATH exists (two minutes at most). A line a pass:
 *   pass=N files=F bytes=B cached=C disk=D seconds=S cached_files=K
 * where C is the bytes that were in the page cache when read: each read
 * is first tried with RWF_NOWAIT, which returns only cached data; K is
 * the files found whole in the page cache (every read of them so). D is
 * the bytes the reader had read from storage in the pass (read_bytes of
 * /proc/thread-self/io): where storage answers at once (a VM's disk in
 * its host's cache), RWF_NOWAIT finds a page just read in its own
 * readahead, and only D tells.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "../../bench/evict/thread_io.h"
#include "../../bench/now.h"

static char **paths;
static size_t npaths, cap;

static int collect(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	if (npaths == cap) {
		cap = cap ? cap * 2 : 1024;
		paths = realloc(paths, cap * sizeof(*paths));
		if (!paths)
			return -1;
	}
	paths[npaths++] = strdup(path);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int make_tree(const char *dir, long files, long bytes)
{
	char *buf = malloc((size_t)bytes), path[4096];
	if (!buf)
		return 1;
	srandom(1);
	for (long i = 0; i < files; i++) {
		if (i % 256 == 0) {
			snprintf(path, sizeof(path), "%s/d%03ld", dir, i / 256);
			if (mkdir(path, 0755) < 0 && errno != EEXIST) {
				perror(path);
				return 1;
			}
		}
		for (long k = 0; k < bytes; k += 4)
			*(int *)(buf + (k + 4 <= bytes ? k : bytes - 4)) = (int)random();
		snprintf(path, sizeof(path), "%s/d%03ld/f%05ld", dir, i / 256, i);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, buf, (size_t)bytes) != bytes || close(fd) < 0) {
			perror(path);
			return 1;
		}
	}
	free(buf);
	sync();
	return 0;
}

static void wait_go(void)
{
	const char *go = getenv("TREEREADER_GO");
	for (int i = 0; go && i < 1200 && access(go, F_OK) != 0; i++)
		usleep(100000);
}

int main(int argc, char **argv)
{
	if (argc < 3 || (strcmp(argv[1], "make") == 0 && argc < 5) || (strcmp(argv[1], "read") == 0 && argc < 4)) {
		fprintf(stderr, "usage: treereader make DIR FILES BYTES | drop DIR | read DIR PASSES [MIB_PER_S]\n");
		return 2;
	}
	if (strcmp(argv[1], "make") == 0)
		return make_tree(argv[2], atol(argv[3]), atol(argv[4]) < 4 ? 4 : atol(argv[4]));
	if (nftw(argv[2], collect, 64, FTW_PHYS) < 0 || !npaths) {
		fprintf(stderr, "treereader: no files under %s\n", argv[2]);
		return 1;
	}
	qsort(paths, npaths, sizeof(*paths), by_name);
	if (strcmp(argv[1], "drop") == 0) {
		for (size_t i = 0; i < npaths; i++) {
			int fd = open(paths[i], O_RDONLY);
			if (fd >= 0) {
				fdatasync(fd);
				posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
				close(fd);
			}
		}
		return 0;
	}
	int passes = atoi(argv[3]);
	double rate = argc > 4 ? atof(argv[4]) * 1048576.0 : 0;
	static char buf[65536];
	wait_go();
	for (int pass = 1; pass <= passes; pass++) {
		double t0 = now();
		unsigned long long bytes = 0, cached = 0, disk0 = thread_read_bytes();
		size_t cached_files = 0;
		for (size_t i = 0; i < npaths; i++) {
			int fd = open(paths[i], O_RDONLY);
			if (fd < 0)
				continue;
			int whole = 1;
			for (off_t off = 0;;) {
				struct iovec iov = { buf, sizeof(buf) };
				ssize_t n = preadv2(fd, &iov, 1, off, RWF_NOWAIT);
				if (n > 0) {
					cached += (unsigned long long)n;
				} else {
					n = pread(fd, buf, sizeof(buf), off);
					whole &= n <= 0;   /* a miss, unless at the end */
				}
				if (n <= 0)
					break;
				off += n;
				bytes += (unsigned long long)n;
				/* The pace: never ahead of RATE. */
				double ahead = rate > 0 ? (double)bytes / rate - (now() - t0) : 0;
				if (ahead > 0)
					usleep((useconds_t)(ahead * 1e6));
			}
			close(fd);
			cached_files += whole;
		}
		printf("pass=%d files=%zu bytes=%llu cached=%llu disk=%llu seconds=%.2f cached_files=%zu\n", pass, npaths,
		       bytes, cached, thread_read_bytes() - disk0, now() - t0, cached_files);
		fflush(stdout);
	}
	return 0;
}
