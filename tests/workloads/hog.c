/* hog.c - a memory-hungry test workload for the oom kernel tests.
 *
 *   hog MIB [--grow MIB_PER_SEC [--max MIB] | --thrash FILE [--stop-when LOG TEXT]]
 *       [--seconds S] [--adj N]
 *
 * Allocates MIB MiB of anonymous memory and writes every page of it, so
 * that all of it is resident and charged to the hog's memory cgroup. Then
 * prints one line "ready pid=N" (flushed) and:
 *
 *   (default)       sleeps until killed;
 *   --grow R        allocates and writes R MiB more per second, in steps of
 *                   1 MiB, until killed (or until it holds --max MiB in all,
 *                   then sleeps): a memory cgroup with a limit runs out of
 *                   memory;
 *   --thrash FILE   reads FILE, a little larger than the room left in the
 *                   hog's memory cgroup, over and over: the cgroup's page
 *                   cache thrashes (its working set is evicted and read
 *                   again), which is sustained memory pressure without an
 *                   out-of-memory kill. Here "ready" is said once the
 *                   thrashing shows in the pressure file (see thrash()).
 *
 * --stop-when LOG TEXT stops thrashing as soon as the file LOG holds TEXT
 * (a runtime's log says it saw the pressure), checked every 20 ms between
 * reads, and stops the hog itself (SIGSTOP): a spike that ends when the
 * runtime has seen it, however slow the machine and the test's own shell.
 * After SIGCONT it says "done".
 *
 * --adj N writes N to the hog's own oom_score_adj before it allocates, as
 * stress-ng's workers and many services do (stress-ng --oomable: 1000).
 *
 * --seconds S stops growing or thrashing S seconds after "ready" (a
 * fraction is fine); the hog then prints "done pid=N" and sleeps until
 * killed, keeping its memory. A hog never exits by itself, except on a
 * usage error (status 2) or when it cannot get its memory or read its file
 * (status 1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../bench/now.h"

#define MIB (1UL << 20)

static void usage(void)
{
	fprintf(stderr, "usage: hog MIB [--grow MIB_PER_SEC [--max MIB] | --thrash FILE [--stop-when LOG TEXT]] "
			"[--seconds S] [--adj N]\n");
	exit(2);
}

static double number(const char *s)
{
	char *end;
	double v;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < 0)
		usage();
	return v;
}

/* Maps and writes n bytes of anonymous memory; NULL if the kernel refuses. */
static void *touch(size_t n)
{
	char *p;
	size_t i;
	long page = sysconf(_SC_PAGESIZE);
	if (n == 0)
		return NULL;
	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	for (i = 0; i < n; i += (size_t)page)
		p[i] = (char)(i / (size_t)page + 1);   /* not zero: a real page, not the zero page */
	return p;
}

static void sleep_forever(void)
{
	for (;;)
		pause();
}

static void say(const char *what)
{
	printf("%s pid=%ld\n", what, (long)getpid());
	fflush(stdout);
}

static void grow(double rate, double max_mib, double held_mib, double until)
{
	double start = now(), grown = 0;
	for (;;) {
		double t = now(), due;
		if (until > 0 && t >= until)
			return;
		if (max_mib > 0 && held_mib + grown >= max_mib)
			return;
		due = (t - start) * rate;   /* MiB that should have been grown by now */
		if (grown < due) {
			if (touch(MIB))
				grown += 1;
			else
				usleep(10000);   /* refused: try again, the cgroup decides */
		} else {
			usleep(2000);
		}
	}
}

/* Reads len bytes at off into buf, or exits. */
static void readat(int fd, const char *path, char *buf, size_t len, off_t off)
{
	if (pread(fd, buf, len, off) < 0) {
		fprintf(stderr, "hog: read %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

/* The memory pressure file of the hog's own cgroup in the unified
 * hierarchy, or the system's when there is none. */
static void pressure_path(char *path, size_t size)
{
	char line[2048], mnt[1024], fs[64], cg[2048] = "";
	FILE *f = fopen("/proc/self/cgroup", "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			snprintf(cg, sizeof(cg), "%s", line + 3);
			cg[strcspn(cg, "\n")] = 0;
		}
	if (f)
		fclose(f);
	snprintf(path, size, "/proc/pressure/memory");
	f = fopen("/proc/self/mountinfo", "r");
	while (cg[0] && f && fgets(line, sizeof(line), f)) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS... - FSTYPE SOURCE ... */
		char *dash = strstr(line, " - ");
		if (dash && sscanf(dash, " - %63s", fs) == 1 && !strcmp(fs, "cgroup2") &&
		    sscanf(line, "%*s %*s %*s %*s %1023s", mnt) == 1) {
			snprintf(path, size, "%s%s/memory.pressure", mnt, strcmp(cg, "/") ? cg : "");
			if (access(path, R_OK) == 0)
				break;
			snprintf(path, size, "/proc/pressure/memory");
		}
	}
	if (f)
		fclose(f);
}

/* Microseconds that some task stalled on memory, from a pressure file. */
static double stalled_us(const char *path)
{
	char line[256];
	double total = 0;
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *t = strstr(line, "total=");
		if (!strncmp(line, "some", 4) && t)
			total = strtod(t + 6, NULL);
	}
	if (f)
		fclose(f);
	return total;
}

/* Every page of the file is read twice, the second time a little later (the
 * kernel does not count a read of the page it read last): that makes the
 * page active, part of the cgroup's working set, so that its eviction and
 * refault on the next pass are thrashing, which the kernel counts as memory
 * stall. A file a little larger than the room in the cgroup (up to about
 * 1.2 times) thrashes; a much larger one is only streamed.
 *
 * The first pass is quick, with readahead; then page by page. "ready" is
 * said once the pressure file of the hog's cgroup (or the system's) shows
 * that it stalls more than half of the time, three times 100 ms in a row,
 * or after 10 s without. */
/* Does the file PATH hold TEXT? (A log of a few KiB, read whole.) */
static int file_has(const char *path, const char *text)
{
	char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strstr(buf, text) != NULL;
}

/* Has STOP_LOG come to hold STOP_TEXT? Looked at every 20 ms at most. */
static int stop_seen(const char *stop_log, const char *stop_text, double *watched)
{
	double t = now();
	if (!stop_log || t - *watched < 0.02)
		return 0;
	*watched = t;
	return file_has(stop_log, stop_text);
}

static void thrash(const char *path, double seconds, const char *stop_log, const char *stop_text)
{
	enum { CHUNK = 256 << 10 };
	struct stat st;
	long page = sysconf(_SC_PAGESIZE);
	char *buf = malloc(CHUNK), psi[4096];
	off_t off, size, back;
	double until = 0, t0, s0, give_up, watched = 0;
	int fd = open(path, O_RDONLY), ready = 0, stalled = 0;
	if (!buf || fd < 0 || fstat(fd, &st) < 0 || st.st_size < 2 * CHUNK) {
		fprintf(stderr, "hog: %s: %s\n", path, fd < 0 ? strerror(errno) : "not a file of 512K or more");
		exit(1);
	}
	size = st.st_size / CHUNK * CHUNK;
	back = CHUNK;   /* how far behind the second read is */
	pressure_path(psi, sizeof(psi));
	/* Pages already cached are charged to whoever read them first: drop
	 * them, so that every page this hog reads is charged to its cgroup. */
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	for (off = 0; off < size; off += CHUNK) {
		readat(fd, path, buf, CHUNK, off);
		if (off >= back)
			readat(fd, path, buf, CHUNK, off - back);
		if (stop_seen(stop_log, stop_text, &watched)) {   /* the first pass may stall too */
			close(fd);
			free(buf);
			return;
		}
	}
	readat(fd, path, buf, CHUNK, size - back);

	posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
	t0 = now();
	s0 = stalled_us(psi);
	give_up = t0 + 10;
	for (;;) {
		for (off = 0; off < size; off += page) {
			double t;
			readat(fd, path, buf, (size_t)page, off);
			readat(fd, path, buf, (size_t)page, off >= back ? off - back : size - back + off);
			if ((off / page) % 16)
				continue;
			t = now();
			if (!ready && t - t0 >= 0.1) {
				double s = stalled_us(psi);
				stalled = s - s0 > (t - t0) * 1e6 / 2 ? stalled + 1 : 0;
				if (stalled == 3 || t >= give_up) {
					if (t >= give_up)
						fprintf(stderr, "hog: %s: no pressure after 10 s of thrashing\n", psi);
					say("ready");
					ready = 1;
					if (seconds > 0)
						until = t + seconds;
				}
				t0 = t, s0 = s;
			}
			if (stop_seen(stop_log, stop_text, &watched))
				until = t;
			if (until > 0 && t >= until) {
				close(fd);
				free(buf);
				return;
			}
		}
	}
}

int main(int argc, char **argv)
{
	double mib, rate = 0, max_mib = 0, seconds = 0, until = 0;
	const char *file = NULL, *stop_log = NULL, *stop_text = NULL, *adj = NULL;
	int i;

	if (argc < 2)
		usage();
	mib = number(argv[1]);
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--grow") && i + 1 < argc)
			rate = number(argv[++i]);
		else if (!strcmp(argv[i], "--max") && i + 1 < argc)
			max_mib = number(argv[++i]);
		else if (!strcmp(argv[i], "--thrash") && i + 1 < argc)
			file = argv[++i];
		else if (!strcmp(argv[i], "--stop-when") && i + 2 < argc)
			stop_log = argv[++i], stop_text = argv[++i];
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = number(argv[++i]);
		else if (!strcmp(argv[i], "--adj") && i + 1 < argc)
			adj = argv[++i];
		else
			usage();
	}
	if ((file && rate > 0) || (max_mib > 0 && rate <= 0) || (stop_log && !file))
		usage();

	if (adj) {
		FILE *f = fopen("/proc/self/oom_score_adj", "w");
		if (!f || fprintf(f, "%s\n", adj) < 0 || fclose(f) != 0) {
			fprintf(stderr, "hog: cannot set oom_score_adj %s: %s\n", adj, strerror(errno));
			return 1;
		}
	}
	if (mib > 0 && !touch((size_t)(mib * MIB))) {
		fprintf(stderr, "hog: cannot map %.0f MiB: %s\n", mib, strerror(errno));
		return 1;
	}
	if (file) {
		thrash(file, seconds, stop_log, stop_text);   /* says "ready" once it thrashes */
		if (stop_log)
			raise(SIGSTOP);
	} else {
		say("ready");
		if (seconds > 0)
			until = now() + seconds;
		if (rate > 0)
			grow(rate, max_mib, mib, until);
		else
			sleep_forever();
	}
	say("done");
	sleep_forever();
	return 0;
}
