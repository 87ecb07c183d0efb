/* populate.c - a populate-heavy test workload: writes a large anonymous
 * region front to back, for the tests and the benchmark of huge pages from
 * the first touch, where a runtime prepares 2M chunks ahead of the writing
 * frontier (reads a byte of each, then collapses it).
 *
 *   populate [--size SIZE] [--touch SIZE] [--addr A] [--threads N] [--places N]
 *            [--hugepage] [--guards] [--unmap-midway] [--hold S] [--wait-huge SIZE]
 *            [--wait-timeout S] [--start-delay S] [--seconds S] [--wait-prepared S]
 *   populate --collapse-check [--addr A]
 *
 * Maps --size bytes (default 512M) at --addr (default 0x600000000000, never
 * over another mapping), so that a policy selects the region with
 * 'range A .. +SIZE', sleeps --start-delay seconds (default 0: a runtime may
 * first see the mapping), then writes the first --touch bytes (default all)
 * front to back, each 8-byte word a function of its address, so that every
 * byte is known. --threads N (default 1) splits the touched part into N
 * contiguous shares at 2M boundaries, each written by its own thread: N
 * frontiers at once; with --seconds S, each thread spreads its share over
 * S seconds at least (2M at a time, each no sooner than its part of S;
 * populate_ms below includes it): a writer of a known pace, however fast
 * the machine. --places N (default 1; with one thread, no --seconds) splits the
 * region into N places of the same size, a multiple of 2M (the last
 * takes what is left over), and writes the first --touch / N bytes of
 * each (rounded up to 4K, at most the place), one thread writing a page
 * of each place in turn, as an allocator fills its size classes side by
 * side: N frontiers in one thread. With --wait-prepared S, that thread,
 * before it writes a place's third 2M chunk or any after it, waits until
 * the chunk is one huge page (pagemap's frame and its THP flag in
 * /proc/kpageflags: root), at most a second a chunk and S seconds in all:
 * a writer that lets a runtime prepare its next chunk, however slow a
 * busy machine makes the runtime; a chunk nobody prepares costs it a
 * second (the first two of a place show the runtime it moves).
 * --hugepage makes the region
 * MADV_HUGEPAGE first (THP for the process). --unmap-midway unmaps the
 * last quarter of the touched part (from a 2M boundary) while it is
 * written: the first thread unmaps it halfway through its share, and no
 * thread ever writes there.
 *
 * --collapse-check asks the kernel what preparing ahead needs of it, on
 * the workload's own memory: it writes the first page of a 4M mapping at A,
 * reads the first byte of the second 2M chunk (the zero page) and
 * collapses that chunk (madvise(MADV_COLLAPSE)); prints
 * zero_chunk_collapse=1 if the kernel made a 2M page of it, 0 if it
 * refused (EINVAL), and "unknown" with the errno for an error of the
 * moment (no free 2M page: ENOMEM, EAGAIN), and exits.
 *
 * --guards maps four 8M guards after the region, at G, G+10M, G+20M and
 * G+30M (G is A+SIZE rounded up to 2M), that a runtime must leave as the
 * workload made them:
 *   none    PROT_NONE, MAP_NORESERVE: nothing may be present;
 *   uffd    with --uffd-guard, userfaultfd, missing mode, never touched by
 *           the workload: each fault is someone else's access (resolved
 *           with a zero page); without it, a plain mapping;
 *   mlock   mlock2(MLOCK_ONFAULT), its first half written: no huge page;
 *   nohuge  MADV_NOHUGEPAGE, written whole: no huge page.
 * The mlock and nohuge guards are written after the region, and read back
 * with it.
 *
 * Once written, every word is read back. --wait-huge then waits until SIZE
 * of the region is in huge pages, or --wait-timeout seconds (default 60)
 * have passed, and reads everything back again: a test waits for the state
 * it asserts, however fast the machine. Prints one line:
 *   populate_ms=N huge_kb=N region_kb=N beyond_kb=N mismatches=N
 *   unmapped_kb=N waited_ms=N faults=N [prepared_waits=N prepared_timeouts=N]
 *   [guard_none_present_kb=N
 *   guard_uffd_faults=N guard_mlock_huge_kb=N guard_nohuge_huge_kb=N]
 * populate_ms is the region's writing (first write to last thread done),
 * huge_kb its AnonHugePages, region_kb the touched part still mapped,
 * beyond_kb what is present (pagemap) past the touched part (of each
 * place, summed), mismatches the words read back that differ from what
 * was written, faults the process's minor faults while it wrote (a 4K
 * page each, or a 2M one under THP at fault; none where a chunk was made
 * 2M before it came); with --wait-prepared, the chunks it waited for and
 * those it gave up on; guard_uffd_faults is -1 without userfaultfd. Then
 * sleeps --hold seconds before exiting, so a
 * runtime can be observed. Exits 1 if it cannot set up, 2 on a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kernel-page-flags.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../../bench/now.h"

#ifndef MADV_COLLAPSE   /* Debian 12's C library predates it */
#define MADV_COLLAPSE 25
#endif
#define PAGE 4096UL
#define HUGE (2UL << 20)
#define GUARD (8UL << 20)
#define GUARD_STRIDE (GUARD + HUGE)   /* a gap, so each guard is its own VMA */

static const char usage[] =
	"usage: populate [--size SIZE] [--touch SIZE] [--addr A] [--threads N] [--places N]\n"
	"                [--hugepage] [--guards] [--uffd-guard] [--unmap-midway] [--hold S]\n"
	"                [--wait-huge SIZE] [--wait-timeout S] [--start-delay S] [--seconds S]\n"
	"                [--wait-prepared S]\n"
	"       populate --collapse-check [--addr A]\n";

static size_t parse_size(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	if (*end == 'K') v *= 1 << 10;
	else if (*end == 'M') v *= 1 << 20;
	else if (*end == 'G') v *= 1 << 30;
	return (size_t)v;
}

static uintptr_t align_up(uintptr_t v, uintptr_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static void fail(const char *what, uintptr_t at)
{
	fprintf(stderr, "populate: %s at %#" PRIxPTR ": %s\n", what, at, strerror(errno));
	exit(1);
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	while (s > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* What the word at address a holds: any change to any byte shows. */
static inline uint64_t pattern(uintptr_t a)
{
	return (uint64_t)a * 0x9E3779B97F4A7C15ULL ^ 0x5bd1e995;
}

static void fill(uintptr_t lo, uintptr_t hi)
{
	for (uintptr_t a = lo; a < hi; a += 8)
		*(uint64_t *)a = pattern(a);
}

static unsigned long mismatches(uintptr_t lo, uintptr_t hi)
{
	unsigned long bad = 0;
	for (uintptr_t a = lo; a < hi; a += 8)
		bad += *(const uint64_t *)a != pattern(a);
	return bad;
}

static unsigned long huge_kb(uintptr_t lo, uintptr_t hi)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	unsigned long total = 0;
	uintptr_t s = 0, e = 0;
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long kb;
		uintptr_t a, b;   /* sscanf writes 'A' of "Anonymous:" as hex before failing */
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &a, &b) == 2) {
			s = a, e = b;
			continue;
		}
		if (sscanf(line, "AnonHugePages: %lu kB", &kb) == 1 && s >= lo && e <= hi)
			total += kb;
	}
	if (f)
		fclose(f);
	return total;
}

/* kB present in [lo, hi) by pagemap (bit 63), the zero page included: what
 * anyone populated, whether or not it is written. -1 if unreadable. */
static long present_kb(uintptr_t lo, uintptr_t hi)
{
	static uint64_t ent[4096];
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	long n = 0;
	for (uintptr_t p = lo / PAGE; fd >= 0 && p < hi / PAGE;) {
		size_t want = hi / PAGE - p < 4096 ? hi / PAGE - p : 4096;
		ssize_t got = pread(fd, ent, want * 8, (off_t)(p * 8));
		if (got <= 0) {
			close(fd);
			fd = -1;
			break;
		}
		for (ssize_t i = 0; i < got / 8; i++)
			n += (long)(ent[i] >> 63);
		p += (uintptr_t)got / 8;
	}
	if (fd < 0) {
		perror("populate: /proc/self/pagemap");
		return -1;
	}
	close(fd);
	return n * (long)(PAGE / 1024);
}

static void *map_at(uintptr_t a, size_t len, int prot, int flags)
{
	void *p = mmap((void *)a, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | flags, -1, 0);
	if (p != MAP_FAILED && p != (void *)a) {   /* before Linux 4.17, only a hint */
		munmap(p, len);
		p = MAP_FAILED;
		errno = EEXIST;
	}
	if (p == MAP_FAILED)
		fail("mmap", a);
	return p;
}

struct share {
	uintptr_t lo, hi;         /* what this thread writes */
	uintptr_t cut, cut_end;   /* unmapped halfway, if not empty */
	pthread_barrier_t *go;
	double seconds;           /* spread over this long at least (--seconds) */
	double t0, t1;
	int err;
};

/* Writes [LO, HI) of S's share 2M at a time, each no sooner than its part
 * of S's seconds: a writer of a known pace, whatever the machine. */
static void fill_paced(const struct share *s, uintptr_t lo, uintptr_t hi)
{
	if (s->seconds <= 0) {   /* as fast as it can */
		fill(lo, hi);
		return;
	}
	for (uintptr_t a = lo; a < hi;) {
		uintptr_t next = align_up(a + 1, HUGE);
		if (next > hi)
			next = hi;
		fill(a, next);
		a = next;
		double due = s->t0 + s->seconds * (double)(a - s->lo) / (double)(s->hi - s->lo);
		if (now() < due)
			sleep_s(due - now());
	}
}

/* What was written of a place, [lo, hi), and what lies after it that
 * nobody wrote, [rest, end): whatever is present there was made by
 * someone else. */
struct part {
	uintptr_t lo, hi, rest, end;
};

static void *writer(void *arg)
{
	struct share *s = arg;
	uintptr_t mid = s->lo + ((s->hi - s->lo) / 2 & ~(PAGE - 1));
	pthread_barrier_wait(s->go);   /* all frontiers start together */
	s->t0 = now();
	fill_paced(s, s->lo, mid);
	if (s->cut_end > s->cut && munmap((void *)s->cut, s->cut_end - s->cut) < 0)
		s->err = errno;
	fill_paced(s, mid, s->hi);
	s->t1 = now();
	return NULL;
}

/* Whether the 2M chunk at A is one huge page: the frame pagemap gives for
 * its first page, and that frame's THP flag (KPF_THP) in kpageflags. -1
 * if either cannot be read (frames are shown to root only). */
static int chunk_huge(uintptr_t a)
{
	static int pagemap = -1, kpageflags = -1;
	if (pagemap < 0)
		pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (kpageflags < 0)
		kpageflags = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	uint64_t entry, flags;
	if (pagemap < 0 || kpageflags < 0 ||
	    pread(pagemap, &entry, sizeof(entry), (off_t)(a / PAGE * sizeof(entry))) != sizeof(entry))
		return -1;
	uint64_t pfn = entry & ((1ULL << 55) - 1);
	if (!(entry >> 63))
		return 0;   /* nothing there yet */
	if (!pfn || pread(kpageflags, &flags, sizeof(flags), (off_t)(pfn * sizeof(flags))) != sizeof(flags))
		return -1;
	return (int)(flags >> KPF_THP & 1);
}

/* --wait-prepared: how long the writer may still wait, and what came of it. */
struct prepared_wait {
	double budget;            /* seconds left; 0: the writer never waits */
	unsigned long waits, timeouts;
};

/* Waits until the chunk at A is one huge page: at most a second, and
 * what is left of W's budget. */
static void wait_prepared(struct prepared_wait *w, uintptr_t a)
{
	if (w->budget <= 0)
		return;
	double t0 = now(), most = w->budget < 1 ? w->budget : 1;
	int huge;
	while ((huge = chunk_huge(a)) == 0 && now() - t0 < most)
		usleep(100);
	if (huge < 0)
		fail("reading pagemap and /proc/kpageflags for --wait-prepared (root only)", a);
	w->budget -= now() - t0;
	w->waits++;
	w->timeouts += !huge;
}

/* One thread writing N places at once, a page of each in turn: PLACE[i]
 * is written from its lo to its hi; W, while it has a budget, lets a
 * runtime prepare each place's chunks from the third on before they are
 * written. */
static void fill_places(const struct part *place, long n, struct prepared_wait *w)
{
	for (uintptr_t off = 0;; off += PAGE) {
		int more = 0;
		for (long i = 0; i < n; i++) {
			if (place[i].lo + off < place[i].hi) {
				if (off % HUGE == 0 && off >= 2 * HUGE)
					wait_prepared(w, place[i].lo + off);
				fill(place[i].lo + off, place[i].lo + off + PAGE);
				more = 1;
			}
		}
		if (!more)
			return;
	}
}

static atomic_long uffd_faults;

/* Counts the faults on the uffd guard and resolves each with the zero page,
 * so that whoever touched it does not hang. Runs until exit. */
static void *uffd_handler(void *arg)
{
	int fd = (int)(intptr_t)arg;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct uffd_msg m[16];
	for (;;) {
		if (poll(&p, 1, -1) < 0)
			continue;
		ssize_t got = read(fd, m, sizeof(m));
		for (ssize_t i = 0; i < got / (ssize_t)sizeof(m[0]); i++) {
			if (m[i].event != UFFD_EVENT_PAGEFAULT)
				continue;
			atomic_fetch_add(&uffd_faults, 1);
			struct uffdio_zeropage z = {
				.range = { .start = m[i].arg.pagefault.address & ~(PAGE - 1), .len = PAGE },
			};
			ioctl(fd, UFFDIO_ZEROPAGE, &z);   /* EEXIST: resolved already */
		}
	}
	return NULL;
}

/* Registers [g, g+GUARD) with a new userfaultfd and starts its handler;
 * 0 if userfaultfd is not available here. Not UFFD_USER_MODE_ONLY (which
 * needs no privilege): a remote read (process_vm_readv) faults in the
 * kernel, and only a full userfaultfd reports it. */
static int uffd_guard(uintptr_t g)
{
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 && (errno == EPERM || errno == ENOSYS)) {
		fprintf(stderr, "populate: userfaultfd: %s (vm.unprivileged_userfaultfd=0 without "
			"CAP_SYS_PTRACE?): no uffd guard\n", strerror(errno));
		return 0;
	}
	if (fd < 0)
		fail("userfaultfd for the guard", g);
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .range = { .start = g, .len = GUARD }, .mode = UFFDIO_REGISTER_MODE_MISSING };
	if (ioctl(fd, UFFDIO_API, &api) < 0)
		fail("UFFDIO_API for the guard", g);
	if (ioctl(fd, UFFDIO_REGISTER, &reg) < 0)
		fail("UFFDIO_REGISTER", g);
	pthread_t t;
	if ((errno = pthread_create(&t, NULL, uffd_handler, (void *)(intptr_t)fd)))
		fail("pthread_create for the uffd guard", g);
	return 1;
}

/* The touched part split among THREADS writers, each front to back; with
 * UNMAP_MIDWAY its last quarter unmapped while written. One part. */
static void write_threads(uintptr_t addr, size_t size, size_t touch, long threads, int unmap_midway,
			  double seconds, struct part *part, double *t0, double *t1)
{
	/* [addr, kept) is written; [kept, end) is unmapped midway, never written */
	uintptr_t end = addr + touch, kept = end;
	if (unmap_midway && align_up(addr + touch / 4 * 3, HUGE) < end)
		kept = align_up(addr + touch / 4 * 3, HUGE);
	struct share *sh = calloc((size_t)threads, sizeof(*sh));
	pthread_t *tid = calloc((size_t)threads, sizeof(*tid));
	pthread_barrier_t go;
	if (!sh || !tid || (errno = pthread_barrier_init(&go, NULL, (unsigned)threads)))
		fail("setting up the writers", addr);
	for (long i = 0; i < threads; i++) {
		uintptr_t b = align_up(addr + touch / (size_t)threads * (size_t)i, HUGE);
		sh[i].lo = i ? (b < kept ? b : kept) : addr;
		if (i)
			sh[i - 1].hi = sh[i].lo;
		sh[i].go = &go;
		sh[i].seconds = seconds;
	}
	sh[threads - 1].hi = kept;
	sh[0].cut = kept, sh[0].cut_end = end;
	for (long i = 0; i < threads; i++)
		if ((errno = pthread_create(&tid[i], NULL, writer, &sh[i])))
			fail("pthread_create for a writer", sh[i].lo);
	*t0 = 1e300, *t1 = 0;
	for (long i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		if ((errno = sh[i].err))
			fail("munmap", sh[i].cut);
		*t0 = sh[i].t0 < *t0 ? sh[i].t0 : *t0;
		*t1 = sh[i].t1 > *t1 ? sh[i].t1 : *t1;
	}
	free(sh);
	free(tid);
	*part = (struct part){ addr, kept, end, addr + size };
}

/* One thread writing PLACES places of the region at once, the first
 * TOUCH / PLACES bytes of each. A part each. */
static void write_places(uintptr_t addr, size_t size, size_t touch, long places, struct prepared_wait *w,
			 struct part *part, double *t0, double *t1)
{
	size_t each = size / (size_t)places & ~(HUGE - 1);   /* at least 2M: main */
	for (long i = 0; i < places; i++) {
		uintptr_t lo = addr + each * (size_t)i, end = i + 1 < places ? lo + each : addr + size;
		size_t len = align_up(touch / (size_t)places, PAGE);
		uintptr_t hi = lo + len < end ? lo + len : end;
		part[i] = (struct part){ lo, hi, hi, end };
	}
	*t0 = now();
	fill_places(part, places, w);
	*t1 = now();
}

int main(int argc, char **argv)
{
	size_t size = 512 << 20, touch = (size_t)-1, wait_huge = 0;
	uintptr_t addr = 0x600000000000;
	long threads = 1, places = 1;
	int hugepage = 0, guards = 0, uffd = 0, unmap_midway = 0, collapse_check = 0;
	double hold = 0, wait_timeout = 60, start_delay = 0, seconds = 0;
	struct prepared_wait prepared = { 0 };
	for (int i = 1; i < argc; i += 2) {
		int *flag = !strcmp(argv[i], "--hugepage") ? &hugepage : !strcmp(argv[i], "--guards") ? &guards
			  : !strcmp(argv[i], "--uffd-guard") ? &uffd
			  : !strcmp(argv[i], "--unmap-midway") ? &unmap_midway
			  : !strcmp(argv[i], "--collapse-check") ? &collapse_check : NULL;
		if (flag) {
			*flag = 1;
			i--;
			continue;
		}
		char key[64];   /* "[--size ": an option that takes a value, in usage */
		snprintf(key, sizeof(key), "[%s ", argv[i]);
		if (i + 1 >= argc) {
			fprintf(stderr, "populate: %s %s\n%s", argv[i], strstr(usage, key) ? "takes a value" : "is unknown", usage);
			return 2;
		}
		if (!strcmp(argv[i], "--size")) size = parse_size(argv[i + 1]);
		else if (!strcmp(argv[i], "--touch")) touch = parse_size(argv[i + 1]);
		else if (!strcmp(argv[i], "--addr")) addr = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--threads")) threads = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--places")) places = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--hold")) hold = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--wait-huge")) wait_huge = parse_size(argv[i + 1]);
		else if (!strcmp(argv[i], "--wait-timeout")) wait_timeout = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--start-delay")) start_delay = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--wait-prepared")) prepared.budget = atof(argv[i + 1]);
		else { fprintf(stderr, "populate: unknown option %s\n%s", argv[i], usage); return 2; }
	}
	size = align_up(size, PAGE);
	touch = touch == (size_t)-1 ? size : align_up(touch, PAGE);
	if (!size || !touch || touch > size || threads < 1 || threads > 1024 || seconds < 0) {
		fprintf(stderr, "populate: need 0 < --touch <= --size, 1 <= --threads <= 1024 and --seconds >= 0\n%s",
			usage);
		return 2;
	}
	if (places < 1 || places > 64 ||
	    (places > 1 && (threads > 1 || unmap_midway || seconds > 0 || size / (size_t)places < HUGE)) ||
	    (prepared.budget != 0 && (places < 2 || prepared.budget < 0))) {
		fprintf(stderr, "populate: --places is 1 to 64, each at least 2M, with one thread, no --unmap-midway and "
				"no --seconds; --wait-prepared, positive, is for --places only\n%s",
			usage);
		return 2;
	}

	if (collapse_check) {
		map_at(addr, 2 * HUGE, PROT_READ | PROT_WRITE, 0);
		*(volatile uint64_t *)addr = pattern(addr);
		(void)*(volatile char *)(addr + HUGE);
		int r = madvise((void *)(addr + HUGE), HUGE, MADV_COLLAPSE), err = errno;
		if (r == 0 || err == EINVAL)
			printf("zero_chunk_collapse=%d\n", r == 0);
		else
			printf("zero_chunk_collapse=unknown errno=%d\n", err);
		return 0;
	}
	map_at(addr, size, PROT_READ | PROT_WRITE, 0);
	if (hugepage && madvise((void *)addr, size, MADV_HUGEPAGE) < 0)
		fail("madvise(MADV_HUGEPAGE)", addr);
	uintptr_t g = align_up(addr + size, HUGE);
	uintptr_t g_none = g, g_uffd = g + GUARD_STRIDE, g_mlock = g + 2 * GUARD_STRIDE, g_nohuge = g + 3 * GUARD_STRIDE;
	int have_uffd = 0;
	if (guards) {
		map_at(g_none, GUARD, PROT_NONE, MAP_NORESERVE);
		map_at(g_uffd, GUARD, PROT_READ | PROT_WRITE, 0);
		if (uffd)
			have_uffd = uffd_guard(g_uffd);
		map_at(g_mlock, GUARD, PROT_READ | PROT_WRITE, 0);
		if (mlock2((void *)g_mlock, GUARD, MLOCK_ONFAULT) < 0)
			fail("mlock2(MLOCK_ONFAULT)", g_mlock);
		map_at(g_nohuge, GUARD, PROT_READ | PROT_WRITE, 0);
		if (madvise((void *)g_nohuge, GUARD, MADV_NOHUGEPAGE) < 0)
			fail("madvise(MADV_NOHUGEPAGE)", g_nohuge);
	}
	sleep_s(start_delay);

	struct part *parts = calloc((size_t)places, sizeof(*parts));
	if (!parts)
		fail("setting up the places", addr);
	double t0, t1;
	struct rusage r0, r1;
	getrusage(RUSAGE_SELF, &r0);
	if (places > 1)
		write_places(addr, size, touch, places, &prepared, parts, &t0, &t1);
	else
		write_threads(addr, size, touch, threads, unmap_midway, seconds, parts, &t0, &t1);
	getrusage(RUSAGE_SELF, &r1);
	if (guards) {
		fill(g_mlock, g_mlock + GUARD / 2);
		fill(g_nohuge, g_nohuge + GUARD);
	}

	double populate_ms = (t1 - t0) * 1000, waited_ms = 0;
	unsigned long bad = 0;
	for (int pass = 0; pass < (wait_huge ? 2 : 1); pass++) {
		if (pass) {   /* a collapse copies the pages: read them back again */
			double w0 = now();
			while (huge_kb(addr, addr + size) * 1024 < wait_huge && now() - w0 < wait_timeout)
				usleep(50000);
			waited_ms = (now() - w0) * 1000;
		}
		for (long i = 0; i < places; i++)
			bad += mismatches(parts[i].lo, parts[i].hi);
		if (guards)
			bad += mismatches(g_mlock, g_mlock + GUARD / 2) + mismatches(g_nohuge, g_nohuge + GUARD);
	}
	unsigned long region = 0, unmapped = 0;
	long beyond = 0;
	for (long i = 0; i < places; i++) {
		long kb = present_kb(parts[i].rest, parts[i].end);
		beyond = beyond < 0 || kb < 0 ? -1 : beyond + kb;
		region += (unsigned long)(parts[i].hi - parts[i].lo) / 1024;
		unmapped += (unsigned long)(parts[i].rest - parts[i].hi) / 1024;
	}
	printf("populate_ms=%.0f huge_kb=%lu region_kb=%lu beyond_kb=%ld mismatches=%lu unmapped_kb=%lu waited_ms=%.0f "
	       "faults=%ld",
	       populate_ms, huge_kb(addr, addr + size), region, beyond, bad, unmapped, waited_ms,
	       r1.ru_minflt - r0.ru_minflt);
	if (prepared.waits)
		printf(" prepared_waits=%lu prepared_timeouts=%lu", prepared.waits, prepared.timeouts);
	if (guards)
		printf(" guard_none_present_kb=%ld guard_uffd_faults=%ld guard_mlock_huge_kb=%lu guard_nohuge_huge_kb=%lu",
		       present_kb(g_none, g_none + GUARD), have_uffd ? atomic_load(&uffd_faults) : -1L,
		       huge_kb(g_mlock, g_mlock + GUARD), huge_kb(g_nohuge, g_nohuge + GUARD));
	printf("\n");
	fflush(stdout);
	free(parts);
	sleep_s(hold);
	return 0;
}
