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
#include "process.h"
#include "pf_ranges.h"

/* What is queued for a governed process; its pidfd is the governed set's. */
struct pending {
	pid_t pid;
	struct pf_ranges queued;
	struct pf_recent recent;
};

struct prefetcher {
	const struct mmp_object *obj;
	struct governed_set *gov;
	bool dry_run;
	struct mmp_region_report *reports;
	struct pending *procs;
	size_t nprocs, cap;
};

static int setup(const struct kind_env *env, void **state)
{
	bool any = false;
	bool swap = proc_meminfo_kb("SwapTotal") > 0;
	for (unsigned r = 0; r < env->obj->plan.nregions; r++) {
		const struct mmp_plan_region *reg = &env->obj->plan.regions[r];
		any |= reg->prefetch != NULL;
		/* Anonymous memory is read back from swap only: without it, its
		 * pages never leave, and a prefetch rule has nothing to read. */
		if (reg->prefetch && !reg->may_be_file && !swap)
			mmp_warn("%s.%s: this machine has no swap, so its anonymous memory is never paged out and the "
				 "prefetch rule has nothing to read back",
				 env->obj->plan.policies[reg->policy].name, reg->name);
	}
	if (!any)
		return 0;
	struct prefetcher *p = calloc(1, sizeof(*p));
	if (!p) {
		mmp_error("out of memory");
		return -ENOMEM;
	}
	p->obj = env->obj;
	p->gov = env->gov;
	p->dry_run = env->dry_run;
	p->reports = env->reports;
	*state = p;
	return 0;
}

static struct pending *proc_of(struct prefetcher *p, pid_t pid)
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
	return q;
}

/* A prediction from BPF, queued for its process if that is governed. */
static void on_event(void *state, const struct mmp_event *ev, size_t len)
{
	struct prefetcher *p = state;
	const struct mmp_pf_event *e = (const void *)ev;
	if (ev->kind != MMP_EV_PREFETCH || len < sizeof(*e) || !pf_event_valid(e) ||
	    !governed_find(p->gov, (pid_t)e->pid))
		return;
	struct pending *q = proc_of(p, (pid_t)e->pid);
	if (!q)
		return;
	pf_ranges_add_event(&q->queued, e);
}

static void issue(struct prefetcher *p, struct pending *q, struct iovec *iov, size_t n, const uint32_t *regions)
{
	const struct governed *g = governed_find(p->gov, q->pid);
	if (!n)
		return;
	uint64_t bytes = 0;
	for (size_t i = 0; i < n; i++)
		bytes += iov[i].iov_len;
	if (p->dry_run) {
		mmp_info("dry run: would prefetch %" PRIu64 " pages in %zu range%s of pid %d from 0x%" PRIxPTR,
			 bytes / PF_PAGE, n, n == 1 ? "" : "s", q->pid, (uintptr_t)iov[0].iov_base);
	} else {
		errno = ESRCH;   /* no longer governed */
		long ret = g ? syscall(SYS_process_madvise, g->pidfd, iov, n, MADV_WILLNEED, 0) : -1;
		if (ret < 0) {
			mmp_debug("prefetch: pid %d: process_madvise(WILLNEED) of %zu ranges failed: %s", q->pid, n,
				  strerror(errno));
			for (size_t i = 0; i < n; i++)
				if (regions[i] < p->obj->plan.nregions)
					p->reports[regions[i]].pf_request_errors++;
		} else {
			mmp_debug("prefetch: pid %d: %" PRIu64 " pages in %zu range%s from 0x%" PRIxPTR, q->pid,
				  (uint64_t)(bytes / PF_PAGE), n, n == 1 ? "" : "s", (uintptr_t)iov[0].iov_base);
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
	if (!q->queued.n)
		return;
	struct iovec iov[PF_MAX_IOV];
	uint32_t regions[PF_MAX_IOV];
	size_t n = 0;
	uint64_t bytes = 0;
	size_t nm = pf_ranges_merge(q->queued.r, q->queued.n);
	for (size_t i = 0; i < nm; i++) {
		const struct pf_range m = q->queued.r[i];
		if (pf_recent_covers(&q->recent, &m))
			continue;
		pf_recent_add(&q->recent, &m);
		uint64_t len = m.end - m.start;
		if (pf_call_full(n, bytes, len)) {
			issue(p, q, iov, n, regions);
			n = 0;
			bytes = 0;
		}
		iov[n] = (struct iovec){ (void *)(uintptr_t)m.start, (size_t)len };
		regions[n++] = m.region;
		bytes += len;
	}
	issue(p, q, iov, n, regions);
	q->queued.n = 0;
}

/* What a batch of events asked for, merged: one call a process. */
static void after_events(void *state)
{
	struct prefetcher *p = state;
	for (size_t i = 0; i < p->nprocs; i++)
		flush_one(p, &p->procs[i]);
}

static void forget(void *state, const struct governed *g)
{
	struct prefetcher *p = state;
	for (size_t i = 0; i < p->nprocs; i++) {
		if (p->procs[i].pid == g->pid) {
			free(p->procs[i].queued.r);
			p->procs[i] = p->procs[--p->nprocs];
			return;
		}
	}
}

static void summary(void *state)
{
	struct prefetcher *p = state;
	const struct mmp_plan *plan = &p->obj->plan;
	for (unsigned r = 0; r < plan->nregions; r++) {
		const struct mmp_plan_region *reg = &plan->regions[r];
		const struct mmp_region_report *pr = &p->reports[r];
		if (reg->prefetch)
			mmp_info("%s.%s: %llu predictions, %llu pages asked for in %llu calls, %llu used (%llu late), %llu "
				 "major faults",
				 plan->policies[reg->policy].name, reg->name, (unsigned long long)pr->pf_predictions,
				 (unsigned long long)pr->pf_pages, (unsigned long long)pr->pf_requests,
				 (unsigned long long)pr->pf_used, (unsigned long long)pr->pf_late,
				 (unsigned long long)pr->major_faults);
	}
}

static void undo(void *state)
{
	struct prefetcher *p = state;
	for (size_t i = 0; i < p->nprocs; i++)
		free(p->procs[i].queued.r);
	free(p->procs);
	free(p);
}

const struct kind prefetch_kind = {
	.name = "prefetch",
	.setup = setup,
	.on_event = on_event,
	.after_events = after_events,
	.forget = forget,
	.summary = summary,
	.undo = undo,
};
