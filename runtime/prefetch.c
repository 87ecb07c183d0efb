/* prefetch.c - fetching what BPF predicted, with MADV_WILLNEED on the
 * target process: page-cache readahead for file mappings, swap-in for
 * anonymous memory. Merging predictions into ranges is what makes it pay:
 * per-page hints on a reverse scan were measured slower than none. */
#define _GNU_SOURCE
#include "prefetch.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"

#define PAGE ((uint64_t)4096)
#define MAX_IOV 1024                  /* UIO_MAXIOV */
#define MAX_CALL (1ULL << 30)         /* one process_madvise covers < 2 GiB */
#define RECENT 128                    /* ranges remembered per process */

struct range {
	uint64_t start, end;
	uint32_t region;
};

struct pending {
	pid_t pid;
	int pidfd;
	struct range *r;
	size_t n, cap;
	struct range recent[RECENT];  /* what was requested lately, a ring */
	size_t nrecent, next;
};

struct prefetcher {
	const struct mmp_object *obj;
	bool dry_run;
	struct mmp_region_report *reports;
	struct pending *procs;
	size_t nprocs, cap;
};

struct prefetcher *prefetch_new(const struct mmp_object *obj, bool dry_run, struct mmp_region_report *reports)
{
	struct prefetcher *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->obj = obj;
	p->dry_run = dry_run;
	p->reports = reports;
	return p;
}

static struct pending *proc_of(struct prefetcher *p, pid_t pid, int pidfd)
{
	for (size_t i = 0; i < p->nprocs; i++)
		if (p->procs[i].pid == pid)
			return &p->procs[i];
	if (p->nprocs == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		struct pending *n = realloc(p->procs, cap * sizeof(*n));
		if (!n)
			return NULL;
		p->procs = n;
		p->cap = cap;
	}
	struct pending *q = &p->procs[p->nprocs++];
	memset(q, 0, sizeof(*q));
	q->pid = pid;
	q->pidfd = pidfd;
	return q;
}

static int push(struct pending *q, uint64_t start, uint64_t end, uint32_t region)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 64;
		struct range *n = realloc(q->r, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		q->r = n;
		q->cap = cap;
	}
	q->r[q->n++] = (struct range){ start, end, region };
	return 0;
}

void prefetch_add(struct prefetcher *p, const struct mmp_pf_event *e, int pidfd)
{
	if (e->count == 0 || e->count > 4096)
		return;
	struct pending *q = proc_of(p, (pid_t)e->pid, pidfd);
	if (!q)
		return;
	if (e->stride == (int64_t)PAGE || e->stride == -(int64_t)PAGE) {
		/* Sequential: one range. */
		uint64_t span = (uint64_t)(e->count - 1) * PAGE;
		uint64_t lo = e->stride > 0 ? e->start : e->start - span;
		push(q, lo, lo + span + PAGE, e->region);
		return;
	}
	for (uint32_t k = 0; k < e->count; k++)
		push(q, e->start + (uint64_t)((int64_t)k * e->stride), e->start + (uint64_t)((int64_t)k * e->stride) + PAGE,
		     e->region);
}

static int by_start(const void *a, const void *b)
{
	const struct range *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static bool recently_requested(const struct pending *q, const struct range *r)
{
	for (size_t i = 0; i < q->nrecent; i++)
		if (q->recent[i].start <= r->start && r->end <= q->recent[i].end)
			return true;
	return false;
}

static void remember(struct pending *q, const struct range *r)
{
	q->recent[q->next] = *r;
	q->next = (q->next + 1) % RECENT;
	if (q->nrecent < RECENT)
		q->nrecent++;
}

static void issue(struct prefetcher *p, struct pending *q, struct iovec *iov, size_t n, const uint32_t *regions)
{
	if (!n)
		return;
	uint64_t bytes = 0;
	for (size_t i = 0; i < n; i++)
		bytes += iov[i].iov_len;
	if (p->dry_run) {
		mmp_info("dry run: would prefetch %" PRIu64 " pages in %zu range%s of pid %d from 0x%" PRIxPTR, bytes / PAGE,
			 n, n == 1 ? "" : "s", q->pid, (uintptr_t)iov[0].iov_base);
	} else {
		long ret = syscall(SYS_process_madvise, q->pidfd, iov, n, MADV_WILLNEED, 0);
		if (ret < 0) {
			mmp_debug("prefetch: pid %d: process_madvise(WILLNEED) of %zu ranges failed: %s", q->pid, n,
				  strerror(errno));
			for (size_t i = 0; i < n; i++)
				p->reports[regions[i]].pf_request_errors++;
		} else {
			mmp_debug("prefetch: pid %d: %" PRIu64 " pages in %zu range%s from 0x%" PRIxPTR, q->pid, (uint64_t)(bytes / PAGE),
				  n, n == 1 ? "" : "s", (uintptr_t)iov[0].iov_base);
		}
	}
	/* A call counts once for each region it served. */
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = regions[j] == regions[i];
		if (!seen && regions[i] < p->obj->plan.nregions)
			p->reports[regions[i]].pf_requests++;
	}
}

static void flush_one(struct prefetcher *p, struct pending *q)
{
	if (!q->n)
		return;
	qsort(q->r, q->n, sizeof(*q->r), by_start);
	struct iovec iov[MAX_IOV];
	uint32_t regions[MAX_IOV];
	size_t n = 0;
	uint64_t bytes = 0;
	for (size_t i = 0; i < q->n;) {
		struct range m = q->r[i++];
		while (i < q->n && q->r[i].start <= m.end && q->r[i].region == m.region) {
			if (q->r[i].end > m.end)
				m.end = q->r[i].end;
			i++;
		}
		if (recently_requested(q, &m))
			continue;
		remember(q, &m);
		uint64_t len = m.end - m.start;
		if (n == MAX_IOV || bytes + len > MAX_CALL) {
			issue(p, q, iov, n, regions);
			n = 0;
			bytes = 0;
		}
		iov[n] = (struct iovec){ (void *)(uintptr_t)m.start, (size_t)len };
		regions[n++] = m.region;
		bytes += len;
	}
	issue(p, q, iov, n, regions);
	q->n = 0;
}

void prefetch_flush(struct prefetcher *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nprocs; i++)
		flush_one(p, &p->procs[i]);
}

void prefetch_forget(struct prefetcher *p, pid_t pid)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nprocs; i++) {
		if (p->procs[i].pid == pid) {
			free(p->procs[i].r);
			p->procs[i] = p->procs[--p->nprocs];
			return;
		}
	}
}

void prefetch_free(struct prefetcher *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nprocs; i++)
		free(p->procs[i].r);
	free(p->procs);
	free(p);
}
