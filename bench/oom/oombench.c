/* oombench.c - the workloads and the measuring parent of bench/oom/run.sh.
 *
 * One binary, told what to be by the name it is run under (run.sh makes
 * symbolic links, so that each workload has its own comm, as a service
 * started by exec has):
 *
 *   svc_oombench MIB      the protected service and the batch job: write MIB
 *   batch_oombench MIB    of anonymous memory, say they are ready, then read
 *                         all of it every tenth of a second until killed
 *   grow_oombench FAST_MIB FAST_RATE CREEP_RATE MAX_MIB
 *                         anonymous memory that grows at FAST_RATE MiB/s up
 *                         to FAST_MIB, then at CREEP_RATE MiB/s up to
 *                         MAX_MIB, all of it written over and over by a
 *                         second thread: once it no longer fits in its
 *                         memory cgroup it thrashes through swap
 *   oombench watch LIMIT PCT SECONDS TOTAL NAME=FILE...
 *                         the measuring side of real.sh: reads the usage
 *                         file TOTAL and each NAME's every millisecond and
 *                         prints when TOTAL first reached PCT% of LIMIT
 *                         bytes and which NAME lost its memory first, when
 *                         (a NAME that held 100 MiB or more and fell below
 *                         a quarter of its highest); it ends 2 s after that
 *                         death, or after SECONDS
 *   oombench trial [OPTION]...
 *                         one trial: starts the three in the cgroups given,
 *                         samples memory pressure and available memory every
 *                         SAMPLE_MS, takes each exit from a pidfd the moment
 *                         it happens, and prints one line of key=value
 *
 * The trigger moments, from the samples:
 *   psi_first  the first sample at which the stall share ("some") of the
 *              pressure file given over the last second was over the
 *              threshold (the evaluation docs/language.md describes)
 *   psi_hold   the start of the unbroken run of such samples that was still
 *              going on at the first death (the moment a "for D" started
 *              counting); -1 when the share was not over at the death
 *   mem_first  the first sample at which MemAvailable was below the given
 *              number of KiB (earlyoom's -m threshold)
 * Times are seconds since grow_oombench started.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../now.h"

#define MIB (1024L * 1024L)
#define SAMPLE_MS 10
#define MAX_SAMPLES 20000

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("oombench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static long num(const char *s, const char *what)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0)
		die("%s: not a number: '%s'", what, s);
	return v;
}

static double fnum(const char *s, const char *what)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || v < 0)
		die("%s: not a number: '%s'", what, s);
	return v;
}

/* Anonymous memory, every page written. */
static void *touch_anon(long bytes)
{
	char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap %ld MiB: %s", bytes / MIB, strerror(errno));
	for (long i = 0; i < bytes; i += 4096)
		p[i] = (char)(i >> 12 | 1);
	return p;
}

/* The inherited descriptor of OOMB_READY_FD gets one byte once the workload
 * holds its memory. */
static void say_ready(void)
{
	const char *s = getenv("OOMB_READY_FD");
	if (!s)
		return;
	int fd = (int)num(s, "OOMB_READY_FD");
	if (write(fd, "r", 1) != 1)
		die("ready: %s", strerror(errno));
	close(fd);
}

static _Noreturn int hold_main(int argc, char **argv)
{
	if (argc != 2)
		die("usage: %s MIB", argv[0]);
	long bytes = num(argv[1], "MIB") * MIB;
	char *p = touch_anon(bytes);
	say_ready();
	/* A process in use: all of its memory is read every tenth of a second,
	 * so that none of it is idle memory the kernel could swap out for free. */
	for (unsigned long sum = 0;; usleep(100000)) {
		for (long i = 0; i < bytes; i += 4096)
			sum += ((volatile char *)p)[i];
		if (sum == 1) /* never: keeps the reads */
			fputc(' ', stderr);
	}
}

/* The chunks grow_oombench has, and how many: the toucher reads the count
 * and the main thread only appends. */
#define CHUNK (8 * MIB)
static char *chunks[65536];
static volatile long nchunks;

/* Writes to every page of every chunk, round and round: all of the anonymous
 * memory is in use, so once it no longer fits in the cgroup, pages go to swap
 * and come back (the stalls PSI counts). */
static void *toucher_main(void *arg)
{
	(void)arg;
	for (unsigned char v = 1;; v++) {
		long n = nchunks;
		if (n == 0)
			usleep(1000);
		for (long c = 0; c < n; c++)
			for (long i = 0; i < CHUNK; i += 4096)
				chunks[c][i] = (char)v;
	}
	return NULL;
}

static _Noreturn int grow_main(int argc, char **argv)
{
	if (argc != 5)
		die("usage: %s FAST_MIB FAST_RATE CREEP_RATE MAX_MIB", argv[0]);
	long fast = num(argv[1], "FAST_MIB") * MIB;
	double fast_rate = fnum(argv[2], "FAST_RATE") * MIB;
	double creep_rate = fnum(argv[3], "CREEP_RATE") * MIB;
	long max = num(argv[4], "MAX_MIB") * MIB;
	if (max / CHUNK > (long)(sizeof(chunks) / sizeof(chunks[0])))
		die("MAX_MIB: too large");
	pthread_t th;
	if (pthread_create(&th, NULL, toucher_main, NULL))
		die("pthread_create failed");
	long have = 0;
	double t0 = now(), t_fast = -1;
	for (;;) {
		double t = now() - t0;
		long want;
		if (t_fast < 0) {
			want = (long)(fast_rate * t);
			if (want >= fast) {
				want = fast;
				t_fast = t;
			}
		} else
			want = fast + (long)(creep_rate * (t - t_fast));
		if (want > max)
			want = max;
		while (have + CHUNK <= want) {
			chunks[nchunks] = touch_anon(CHUNK);
			__atomic_store_n(&nchunks, nchunks + 1, __ATOMIC_RELEASE);
			have += CHUNK;
		}
		if (have + CHUNK > max)
			pause(); /* the toucher goes on */
		usleep(10000);
	}
}

/* ---- the measuring parent --------------------------------------------- */

struct sample {
	double t;
	long long psi;   /* total stall time ("some"), µs, of the trigger's file */
	long long sys;   /* the same of /proc/pressure/memory */
	long avail;      /* MemAvailable, KiB */
	long usage;      /* the memory cgroup's usage, KiB */
};

static struct sample samples[MAX_SAMPLES];
static int nsamples;

static int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static long long psi_some_total(const char *path)
{
	char buf[512];
	if (read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	char *p = strstr(buf, "some ");
	p = p ? strstr(p, "total=") : NULL;
	return p ? atoll(p + 6) : -1;
}

static long meminfo(const char *key)
{
	char buf[8192];
	if (read_file("/proc/meminfo", buf, sizeof(buf)) < 0)
		return -1;
	char *p = strstr(buf, key);
	return p ? atol(p + strlen(key)) : -1;
}

static long long file_number(const char *path)
{
	char buf[64];
	return read_file(path, buf, sizeof(buf)) < 0 ? -1 : atoll(buf);
}

static long oom_kills(const char *memcg)
{
	char path[PATH_MAX], buf[512];
	snprintf(path, sizeof(path), "%s/memory.oom_control", memcg);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	char *p = strstr(buf, "oom_kill ");
	return p ? atol(p + 9) : -1;
}

static void join_cgroup(const char *dir)
{
	char path[PATH_MAX], pid[32];
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	int fd = open(path, O_WRONLY);
	int n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (fd < 0 || write(fd, pid, n) != n)
		die("joining %s: %s", dir, strerror(errno));
	close(fd);
}

struct child {
	const char *name;
	pid_t pid;
	int pidfd;
	double died;    /* -1: alive */
	int status;
};

static const char *blkio; /* a v1 blkio cgroup that throttles reads, or NULL */

static void start(struct child *c, const char *bindir, const char *memcg, const char *cg2, char *const args[],
		  int ready_fd)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", bindir, c->name);
	c->died = -1;
	c->pid = fork();
	if (c->pid < 0)
		die("fork: %s", strerror(errno));
	if (c->pid == 0) {
		join_cgroup(memcg);
		if (cg2)
			join_cgroup(cg2);
		if (blkio)
			join_cgroup(blkio);
		char fdnum[16];
		snprintf(fdnum, sizeof(fdnum), "%d", ready_fd);
		if (ready_fd >= 0)
			setenv("OOMB_READY_FD", fdnum, 1);
		execv(path, args);
		die("exec %s: %s", path, strerror(errno));
	}
	c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
	if (c->pidfd < 0)
		die("pidfd_open: %s", strerror(errno));
}

static void wait_ready(struct child *c, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char b;
	if (poll(&p, 1, 60000) != 1 || read(fd, &b, 1) != 1)
		die("%s did not get its memory within 60 s", c->name);
}

static void usage(void)
{
	fputs("usage: oombench trial --bin DIR --memcg DIR [--cg2 DIR] [--blkio DIR] --psi-file FILE --psi-pct P\n"
	      "  --mem-kib KIB --svc MIB --batch MIB --fast MIB --fast-rate MIB/S\n"
	      "  --creep-rate MIB/S --max MIB [--floor-kib KIB] [--timeout S] [--settle S] [--trace FILE]\n",
	      stderr);
	exit(2);
}

/* The share of time stalled over the last second at sample I, in percent;
 * -1 before a second of samples. */
static double share(int i)
{
	int j = i;
	while (j > 0 && samples[i].t - samples[j].t < 1.0)
		j--;
	if (samples[i].t - samples[j].t < 0.95 || samples[i].psi < 0 || samples[j].psi < 0)
		return -1;
	return (samples[i].psi - samples[j].psi) / 1e4 / (samples[i].t - samples[j].t);
}

static int trial_main(int argc, char **argv)
{
	const char *bindir = NULL, *memcg = NULL, *cg2 = NULL, *psi_file = NULL, *trace = NULL;
	const char *svc_mib = NULL, *batch_mib = NULL, *fast = NULL, *fast_rate = NULL, *creep_rate = NULL,
		   *max = NULL;
	double psi_pct = -1, timeout = 40, settle = 1.5;
	long mem_kib = -1, floor_kib = 0;
	for (int i = 2; i < argc; i += 2) {
		if (i + 1 >= argc)
			usage();
		const char *k = argv[i], *v = argv[i + 1];
		if (!strcmp(k, "--bin")) bindir = v;
		else if (!strcmp(k, "--memcg")) memcg = v;
		else if (!strcmp(k, "--cg2")) cg2 = v;
		else if (!strcmp(k, "--blkio")) blkio = v;
		else if (!strcmp(k, "--psi-file")) psi_file = v;
		else if (!strcmp(k, "--psi-pct")) psi_pct = fnum(v, k);
		else if (!strcmp(k, "--mem-kib")) mem_kib = num(v, k);
		else if (!strcmp(k, "--floor-kib")) floor_kib = num(v, k);
		else if (!strcmp(k, "--svc")) svc_mib = v;
		else if (!strcmp(k, "--batch")) batch_mib = v;
		else if (!strcmp(k, "--fast")) fast = v;
		else if (!strcmp(k, "--fast-rate")) fast_rate = v;
		else if (!strcmp(k, "--creep-rate")) creep_rate = v;
		else if (!strcmp(k, "--max")) max = v;
		else if (!strcmp(k, "--timeout")) timeout = fnum(v, k);
		else if (!strcmp(k, "--settle")) settle = fnum(v, k);
		else if (!strcmp(k, "--trace")) trace = v;
		else usage();
	}
	if (!bindir || !memcg || !psi_file || psi_pct < 0 || mem_kib < 0 || !svc_mib || !batch_mib ||
	    !fast || !fast_rate || !creep_rate || !max)
		usage();
	signal(SIGPIPE, SIG_IGN);

	struct child kids[3] = { { .name = "svc_oombench" }, { .name = "batch_oombench" }, { .name = "grow_oombench" } };
	struct child *svc = &kids[0], *batch = &kids[1], *grow = &kids[2];
	long kills0 = oom_kills(memcg);
	for (int k = 0; k < 2; k++) {
		int pfd[2];
		if (pipe2(pfd, O_CLOEXEC) < 0)
			die("pipe: %s", strerror(errno));
		/* The child's end must survive exec: a copy without O_CLOEXEC. */
		int keep = fcntl(pfd[1], F_DUPFD, 10);
		char *args[] = { (char *)kids[k].name, (char *)(k == 0 ? svc_mib : batch_mib), NULL };
		start(&kids[k], bindir, memcg, cg2, args, keep);
		close(keep);
		close(pfd[1]);
		wait_ready(&kids[k], pfd[0]);
		close(pfd[0]);
	}
	char *gargs[] = { (char *)grow->name, (char *)fast, (char *)fast_rate, (char *)creep_rate, (char *)max,
			  NULL };
	double t0 = now();
	start(grow, bindir, memcg, cg2, gargs, -1);

	char usage_path[PATH_MAX];
	snprintf(usage_path, sizeof(usage_path), "%s/memory.usage_in_bytes", memcg);
	double first_death = -1, next = t0;
	int alive = 3, floor_hit = 0;
	for (;;) {
		double t = now();
		if (t >= next) {
			if (nsamples < MAX_SAMPLES) {
				struct sample *s = &samples[nsamples++];
				s->t = t - t0;
				s->psi = psi_some_total(psi_file);
				s->sys = psi_some_total("/proc/pressure/memory");
				s->avail = meminfo("MemAvailable:");
				s->usage = (long)(file_number(usage_path) / 1024);
				/* Safety: never let the machine itself run short. */
				if (floor_kib && s->avail >= 0 && s->avail < floor_kib && grow->died < 0 && !floor_hit) {
					floor_hit = 1;
					kill(grow->pid, SIGKILL);
				}
			}
			next += SAMPLE_MS / 1000.0;
			if (next < t)
				next = t + SAMPLE_MS / 1000.0;
		}
		if (alive == 0 || t - t0 > timeout || (first_death >= 0 && t - t0 > first_death + settle))
			break;
		struct pollfd p[3];
		for (int k = 0; k < 3; k++)
			p[k] = (struct pollfd){ .fd = kids[k].died < 0 ? kids[k].pidfd : -1, .events = POLLIN };
		int ms = (int)((next - now()) * 1000) + 1;
		if (poll(p, 3, ms < 1 ? 1 : ms) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		double td = now() - t0;
		for (int k = 0; k < 3; k++) {
			if (kids[k].died >= 0 || !(p[k].revents & POLLIN))
				continue;
			if (waitpid(kids[k].pid, &kids[k].status, 0) != kids[k].pid)
				die("waitpid: %s", strerror(errno));
			kids[k].died = td;
			alive--;
			if (first_death < 0)
				first_death = td;
		}
	}
	long kills = oom_kills(memcg);
	for (int k = 0; k < 3; k++)
		if (kids[k].died < 0) {
			kill(kids[k].pid, SIGKILL);
			waitpid(kids[k].pid, NULL, 0);
		}

	/* The trigger moments. */
	double psi_first = -1, psi_hold = -1, mem_first = -1, peak = 0, run_start = -1;
	for (int i = 0; i < nsamples; i++) {
		if (first_death >= 0 && samples[i].t > first_death)
			break;
		double sh = share(i);
		if (sh > peak)
			peak = sh;
		if (sh > psi_pct) {
			if (psi_first < 0)
				psi_first = samples[i].t;
			if (run_start < 0)
				run_start = samples[i].t;
		} else
			run_start = -1;
		if (mem_first < 0 && samples[i].avail >= 0 && samples[i].avail < mem_kib)
			mem_first = samples[i].t;
	}
	psi_hold = run_start;
	long min_avail = -1;
	for (int i = 0; i < nsamples; i++)
		if (samples[i].avail >= 0 && (min_avail < 0 || samples[i].avail < min_avail))
			min_avail = samples[i].avail;

	/* victim: the first to die, "none" if nobody did. */
	const struct child *victim = NULL;
	for (int k = 0; k < 3; k++)
		if (kids[k].died >= 0 && (!victim || kids[k].died < victim->died))
			victim = &kids[k];
	printf("victim=%s t_kill=%.3f signal=%d psi_first=%.3f psi_hold=%.3f mem_first=%.3f psi_peak=%.1f "
	       "min_avail_mib=%ld oom_kills=%ld svc_alive=%d batch=%s grow=%s floor_hit=%d\n",
	       victim ? victim->name : "none", victim ? victim->died : -1.0,
	       victim && WIFSIGNALED(victim->status) ? WTERMSIG(victim->status) : 0, psi_first, psi_hold, mem_first,
	       peak, min_avail / 1024, kills >= 0 && kills0 >= 0 ? kills - kills0 : -1, svc->died < 0,
	       batch->died < 0 ? "alive" : "killed", grow->died < 0 ? "alive" : "killed", floor_hit);
	if (trace) {
		FILE *f = fopen(trace, "w");
		if (!f)
			die("%s: %s", trace, strerror(errno));
		fprintf(f, "# t share_1s sys_share_1s avail_mib usage_mib\n");
		for (int i = 0; i < nsamples; i++) {
			int j = i;
			while (j > 0 && samples[i].t - samples[j].t < 1.0)
				j--;
			double dt = samples[i].t - samples[j].t;
			fprintf(f, "%.3f %.1f %.1f %ld %ld\n", samples[i].t, share(i),
				dt > 0.5 ? (samples[i].sys - samples[j].sys) / 1e4 / dt : -1.0, samples[i].avail / 1024,
				samples[i].usage / 1024);
		}
		for (int k = 0; k < 3; k++)
			if (kids[k].died >= 0)
				fprintf(f, "# %s died at %.3f (signal %d)\n", kids[k].name, kids[k].died,
					WIFSIGNALED(kids[k].status) ? WTERMSIG(kids[k].status) : 0);
		fclose(f);
	}
	return 0;
}

/* A usage file's bytes, read through its open descriptor; -1 on error. */
static long long read_usage(int fd)
{
	char buf[64];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return atoll(buf);
}

static int watch_main(int argc, char **argv)
{
	enum { MAX_NAMES = 16 };
	if (argc < 7 || argc - 6 > MAX_NAMES)
		die("usage: oombench watch LIMIT PCT SECONDS TOTAL NAME=FILE... (at most %d)", MAX_NAMES);
	long long limit = num(argv[2], "LIMIT"), pct = num(argv[3], "PCT");
	double seconds = fnum(argv[4], "SECONDS");
	int total = open(argv[5], O_RDONLY | O_CLOEXEC), n = argc - 6;
	if (total < 0)
		die("%s: %s", argv[5], strerror(errno));
	struct { const char *name; int fd; long long peak; } w[MAX_NAMES];
	for (int i = 0; i < n; i++) {
		char *eq = strchr(argv[6 + i], '=');
		if (!eq)
			die("not NAME=FILE: '%s'", argv[6 + i]);
		*eq = '\0';
		w[i].name = argv[6 + i];
		w[i].peak = 0;
		if ((w[i].fd = open(eq + 1, O_RDONLY | O_CLOEXEC)) < 0)
			die("%s: %s", eq + 1, strerror(errno));
	}
	double t0 = now(), crossed = -1, died = -1;
	const char *first = NULL;
	struct timespec ms = { 0, 1000000 };
	while (now() - t0 < seconds && !(died >= 0 && now() - died > 2)) {
		double t = now();
		long long u = read_usage(total);
		if (crossed < 0 && u >= limit / 100 * pct)
			crossed = t;
		for (int i = 0; i < n && !first; i++) {
			long long v = read_usage(w[i].fd);
			if (v > w[i].peak)
				w[i].peak = v;
			if (v >= 0 && w[i].peak >= 100 * MIB && v < w[i].peak / 4) {
				first = w[i].name;
				died = t;
			}
		}
		nanosleep(&ms, NULL);
	}
	printf("first=%s crossed=%.4f died=%.4f react_ms=", first ? first : "none", crossed >= 0 ? crossed - t0 : -1,
	       died >= 0 ? died - t0 : -1);
	if (crossed >= 0 && died >= 0)
		printf("%.1f\n", (died - crossed) * 1e3);
	else
		printf("-\n");
	return 0;
}

int main(int argc, char **argv)
{
	const char *me = strrchr(argv[0], '/');
	me = me ? me + 1 : argv[0];
	if (!strcmp(me, "svc_oombench") || !strcmp(me, "batch_oombench"))
		return hold_main(argc, argv);
	if (!strcmp(me, "grow_oombench"))
		return grow_main(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "trial"))
		return trial_main(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "watch"))
		return watch_main(argc, argv);
	fputs("usage: oombench trial|watch ... (or run as svc_oombench, batch_oombench, grow_oombench)\n", stderr);
	return 2;
}
