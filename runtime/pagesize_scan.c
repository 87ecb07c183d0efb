/* pagesize_scan.c - see pagesize_scan.h. */
#define _GNU_SOURCE
#include "pagesize_scan.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "clock.h"
#include "guards.h"
#include "log.h"
#include "process.h"
#include "vmas.h"

#define READ_CHUNKS 64               /* pagemap read 128 MiB of memory at a time */

/* --- the scans ------------------------------------------------------------ */

enum scan_phase {
	SCAN_QUEUED,         /* governed: its populated chunks not yet read */
	SCAN_ARMED,          /* accessed bits cleared at armed_ns */
};

struct pending {
	pid_t pid;
	unsigned long long start;
	enum scan_phase phase;
	long long armed_ns;
	long long cpu_ms;            /* its CPU time when armed */
	struct scan_chunk *found;    /* populated chunks, in address order */
	size_t n, cap;
	struct vma_list before;      /* smaps just after the chunks were made cold */
	struct pending *next;
};

struct scan {
	const struct mmp_plan *plan;
	const struct pagesize_choice *choice;
	int chunks_fd;
	struct mmp_region_report *reports;
	bool dry_run;
	unsigned long long self_start;   /* mmp's own start: who was running before it */
	struct pending *pending;
};

struct scan *scan_new(const struct mmp_plan *plan, const struct pagesize_choice *choice, int chunks_fd,
		      struct mmp_region_report *reports, bool dry_run)
{
	struct scan *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	*s = (struct scan){ .plan = plan, .choice = choice, .chunks_fd = chunks_fd, .reports = reports,
			    .dry_run = dry_run, .self_start = proc_start_time(getpid()) };
	return s;
}

void scan_govern(struct scan *s, const struct governed *g)
{
	/* Processes started since take faults, which BPF counts. */
	if (!s->self_start || g->start >= s->self_start)
		return;
	bool any = false;
	for (size_t i = 0; i < g->nranges && !any; i++)
		any = s->choice[g->ranges[i].region].size == (2LL << 20);
	if (!any)
		return;
	struct pending *p = calloc(1, sizeof(*p));
	if (!p) {
		mmp_warn("out of memory: the populated memory of pid %d is not scanned", g->pid);
		return;
	}
	*p = (struct pending){ .pid = g->pid, .start = g->start, .phase = SCAN_QUEUED, .next = s->pending };
	s->pending = p;
}

static void drop(struct scan *s, struct pending *p)
{
	for (struct pending **pp = &s->pending; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	free(p->found);
	vmas_free(&p->before);
	free(p);
}

void scan_forget(struct scan *s, pid_t pid)
{
	for (struct pending *p = s->pending, *next; p; p = next) {
		next = p->next;
		if (p->pid == pid)
			drop(s, p);
	}
}

void scan_free(struct scan *s)
{
	if (!s)
		return;
	while (s->pending)
		drop(s, s->pending);
	free(s);
}

static int add_found(struct pending *p, const struct scan_chunk *c, size_t n, unsigned region)
{
	if (p->n + n > p->cap) {
		size_t ncap = p->cap ? p->cap : 256;
		while (ncap < p->n + n)
			ncap *= 2;
		struct scan_chunk *nf = realloc(p->found, ncap * sizeof(*nf));
		if (!nf)
			return -ENOMEM;
		p->found = nf;
		p->cap = ncap;
	}
	for (size_t i = 0; i < n; i++) {
		p->found[p->n] = c[i];
		p->found[p->n++].region = region;
	}
	return 0;
}

/* The populated chunks of [LO, HI) (2M-aligned), from pagemap FD. */
static int read_dense(int fd, struct pending *p, uint64_t lo, uint64_t hi, unsigned region, uint64_t *buf)
{
	struct scan_chunk got[READ_CHUNKS];
	for (uint64_t at = lo; at < hi;) {
		uint64_t to = hi - at > (uint64_t)READ_CHUNKS << MMP_CHUNK_SHIFT ? at + ((uint64_t)READ_CHUNKS << MMP_CHUNK_SHIFT)
										   : hi;
		size_t len = (size_t)((to - at) >> SCAN_PAGE_SHIFT) * sizeof(uint64_t);
		ssize_t r = pread(fd, buf, len, (off_t)((at >> SCAN_PAGE_SHIFT) * sizeof(uint64_t)));
		if (r < 0)
			return -errno;
		if ((size_t)r < len)   /* unmapped meanwhile: the rest reads as absent */
			memset((char *)buf + r, 0, len - (size_t)r);
		size_t n = scan_dense(buf, at, to, SCAN_MIN_PRESENT, got, READ_CHUNKS);
		if (add_found(p, got, n, region) < 0)
			return -ENOMEM;
		at = to;
	}
	return 0;
}

/* Step 2: P's chunks made cold, a run of adjacent chunks a call: their
 * accessed bits cleared and the TLB emptied of them, so that every access
 * in the window walks the page table and sets a bit again. */
static int cool(int pidfd, const struct pending *p)
{
	const uint64_t size = 1ULL << MMP_CHUNK_SHIFT;
	for (size_t i = 0, j; i < p->n; i = j) {
		for (j = i + 1; j < p->n && p->found[j].chunk == p->found[j - 1].chunk + 1; j++)
			;
		struct iovec iov = { (void *)(uintptr_t)(p->found[i].chunk << MMP_CHUNK_SHIFT), (j - i) * size };
		/* ENOMEM: part of it unmapped meanwhile, the rest was done;
		 * EINVAL: it was mlock'd meanwhile, and is left as it is. */
		if (syscall(SYS_process_madvise, pidfd, &iov, 1, MADV_COLD, 0) < 0 && errno != ENOMEM && errno != EINVAL)
			return -errno;
	}
	return 0;
}

/* Step 1 and 2: the populated chunks of G's 2M regions, then its accessed
 * bits cleared. False when there is nothing more to do for it. */
static bool arm(struct scan *s, struct pending *p, const struct governed *g, long long now)
{
	struct vma_list vl = { 0 };
	int err = vmas_read_flags(p->pid, &vl);
	if (err < 0) {
		vmas_free(&vl);
		return false;   /* gone: its exit event follows */
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)p->pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint64_t *buf = malloc(((size_t)READ_CHUNKS * SCAN_CHUNK_PAGES) * sizeof(uint64_t));
	if (fd < 0 || !buf) {
		err = fd < 0 ? -errno : -ENOMEM;
		goto out;
	}
	long long t0 = mono_ns();
	for (size_t i = 0; i < g->nranges && !err; i++) {
		const struct mmp_range *r = &g->ranges[i];
		if (s->choice[r->region].size != (2LL << 20))
			continue;
		for (size_t v = 0; v < vl.n && !err; v++) {
			const struct vma *m = &vl.v[v];
			/* Only mappings with a chunk's worth resident, and not all
			 * of it in 2M pages already: bounded by what is resident. */
			if (m->end <= r->start || m->start >= r->end ||
			    m->rss_kb * 1024 < (uint64_t)SCAN_MIN_PRESENT << SCAN_PAGE_SHIFT || m->anon_huge_kb >= m->rss_kb)
				continue;
			/* Guarded (the collapse leaves them as the process has
			 * them), file-backed or shared: not taken (and MADV_COLD
			 * refuses a locked mapping). */
			if (guards_mapping(m))
				continue;
			uint64_t mask = (1ULL << MMP_CHUNK_SHIFT) - 1;
			uint64_t lo = ((m->start > r->start ? m->start : r->start) + mask) & ~mask;
			uint64_t hi = (m->end < r->end ? m->end : r->end) & ~mask;
			if (lo < hi)
				err = read_dense(fd, p, lo, hi, r->region, buf);
		}
	}
	mmp_debug("pid %d: %zu populated 2M chunks found in %.1f ms", p->pid, p->n, (double)(mono_ns() - t0) / 1e6);
	if (err || !p->n)
		goto out;
	if (!s->dry_run && (err = cool(g->pidfd, p)) < 0)
		snprintf(path, sizeof(path), "process_madvise(MADV_COLD)");
	if (err)
		goto out;
	/* What is referenced now, the chunks just cleared aside, was
	 * referenced before the window: the harvest counts only what it
	 * finds beyond that. (A process gone meanwhile: its exit follows.) */
	if (!s->dry_run)
		vmas_read_flags(p->pid, &p->before);
	p->phase = SCAN_ARMED;
	p->armed_ns = now;
	p->cpu_ms = proc_cpu_ms(p->pid);
out:
	if (err && err != -ENOENT && err != -ESRCH)
		mmp_warn("pid %d was running before mmp, but its populated memory cannot be scanned (%s: %s): its chunks "
			 "are collapsed as they take faults, not before",
			 p->pid, path, strerror(-err));
	free(buf);
	if (fd >= 0)
		close(fd);
	vmas_free(&vl);
	return !err && p->n;
}

/* Step 3: the chunks of mappings touched in the window, to the chunk map. */
static void harvest(struct scan *s, struct pending *p)
{
	struct vma_list vl = { 0 };
	if (vmas_read_flags(p->pid, &vl) < 0) {
		vmas_free(&vl);
		return;
	}
	size_t hot = 0, v = 0, b = 0;
	for (size_t i = 0, j; i < p->n; i = j) {
		/* The chunks of one mapping, [i, j): both lists in address order. */
		uint64_t lo = p->found[i].chunk << MMP_CHUNK_SHIFT;
		while (v < vl.n && vl.v[v].end <= lo)
			v++;
		/* In mapping v, or in the gap before it (unmapped meanwhile). */
		bool in = v < vl.n && vl.v[v].start <= lo;
		uint64_t end = v == vl.n ? UINT64_MAX : in ? vl.v[v].end : vl.v[v].start;
		uint64_t cleared_kb = 0;
		for (j = i; j < p->n && (p->found[j].chunk << MMP_CHUNK_SHIFT) < end; j++)
			cleared_kb += s->dry_run ? 0 : (uint64_t)p->found[j].present << (SCAN_PAGE_SHIFT - 10);
		if (!in)
			continue;
		/* The same mapping just after the clearing, if it was there. */
		while (b < p->before.n && p->before.v[b].start < vl.v[v].start)
			b++;
		uint64_t before_kb = b < p->before.n && p->before.v[b].start == vl.v[v].start ? p->before.v[b].referenced_kb
											    : SCAN_UNKNOWN;
		for (size_t c = i; c < j; c++) {
			uint64_t heat = scan_heat(p->found[c].present, vl.v[v].referenced_kb, vl.v[v].rss_kb, cleared_kb,
						  before_kb);
			if (!heat)
				continue;
			struct mmp_chunk_key k = { (__u32)p->pid, p->found[c].region, p->found[c].chunk };
			struct mmp_chunk val = { .faults = heat };   /* last_ns 0: settled */
			/* A chunk that took a fault since the attach is in the map
			 * already, hot by its faults: touched all the same. */
			int rc = bpf_map_update_elem(s->chunks_fd, &k, &val, BPF_NOEXIST);
			if (rc == 0)
				s->reports[k.region].scan_hot++;
			if (rc == 0 || rc == -EEXIST)
				hot++;
		}
	}
	mmp_info("pid %d was running before mmp: %zu of its %zu populated 2M chunks are in mappings it touched within "
		 "%.1f s (%lld ms on a CPU)%s (accessed bits%s, read a mapping at a time from smaps), and go to the "
		 "hot-chunk collapse",
		 p->pid, hot, p->n, (double)(mono_ns() - p->armed_ns) / 1e9, proc_cpu_ms(p->pid) - p->cpu_ms,
		 s->dry_run ? " or before (dry run: the bits were not cleared)" : "",
		 s->dry_run ? "" : " cleared by MADV_COLD");
	vmas_free(&vl);
}

void scan_tick(struct scan *s, struct governed_set *gov, long long now)
{
	/* One step of one process a tick: each reads smaps, which walks
	 * every page table of the process. */
	for (struct pending *p = s->pending; p; p = p->next) {
		long long cpu = p->phase == SCAN_ARMED ? proc_cpu_ms(p->pid) : 0;
		if (p->phase == SCAN_ARMED && cpu >= 0 && !scan_window_over(now - p->armed_ns, cpu - p->cpu_ms))
			continue;   /* (a process gone has no CPU time to read: done with at once) */
		struct governed *g = governed_find(gov, p->pid);
		if (!g || g->start != p->start) {
			drop(s, p);
		} else if (p->phase == SCAN_QUEUED) {
			if (!arm(s, p, g, now))
				drop(s, p);
		} else {
			harvest(s, p);
			drop(s, p);
		}
		return;
	}
}
