/* pagesize_ahead.c - 2M pages from the first touch, on a stock kernel.
 *
 * The kernel gives a huge page at fault only to memory the process itself
 * opted in (THP 'always', or its own MADV_HUGEPAGE). From outside, mmp
 * makes the 2M page before the process gets there: it reads one byte of a
 * chunk ahead of the process's fault frontier (process_vm_readv maps the
 * shared zero page there, which gives the chunk its page table and changes
 * no contents), then collapses the chunk (process_madvise(MADV_COLLAPSE)),
 * which puts a zeroed 2M page in its place. The process then writes it
 * without a fault.
 *
 * A prepared chunk takes no fault, so BPF could not say how far the process
 * has gone: one chunk in every half lead (a tripwire) is left to the
 * process's own faults, and BPF's event for its first fault there moves
 * the frontier on. The tripwire itself is collapsed later, once settled,
 * by the hot-chunk path. Each thread writing its own part has a frontier
 * of its own, and so has each place a thread writes at once.
 *
 * Collapsing takes the kernel an allocation and a copy of 2M, so it runs in
 * worker threads, nearest chunks first: the event loop never waits. Never
 * touched: chunks the process already faulted in (it is writing them),
 * chunks outside the region's mapping or past the lead, and mappings the
 * process guards (mlock'd, MADV_NOHUGEPAGE, userfaultfd, PROT_NONE, shared
 * or file-backed).
 */
#define _GNU_SOURCE
#include "pagesize_ahead.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "guards.h"
#include "vmas.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#define CHUNK (1ULL << MMP_CHUNK_SHIFT)
#define BATCH_CHUNKS 4          /* one read and one collapse call: fewer mmap_lock rounds */
#define FRONTIERS 16            /* per process: threads writing their own parts */
#define QUEUE_MAX 4096          /* batches; beyond, the oldest are dropped */
#define BEHIND 2                /* a fault further behind a frontier is another writer's */
#define CLAIM_NS 1000000000LL   /* what a writer left behind is its frontier's for a second after */
#define RECENT 512              /* prepared chunks remembered a frontier (lead <= 1G) */

struct frontier {
	bool used;
	bool moving;                    /* two faults in successive chunks: prepare */
	pid_t tid;
	unsigned gen;                   /* bumped when the slot is taken for another */
	unsigned region;
	uint64_t last_fault;            /* the furthest chunk it faulted in */
	uint64_t lo, hi;                /* the first chunk it queued (0: none yet), the furthest */
	long long seen_ns;              /* its last event: the least recent is reused */
	uint64_t recent[RECENT];        /* chunks collapsed ahead, a ring */
	unsigned nrecent;
};

struct aproc {
	pid_t pid;
	int pidfd;
	unsigned refs;                  /* the table's, and one a batch in work */
	bool gone;
	struct frontier fr[FRONTIERS];
	struct aproc *next;
};

struct batch {
	struct aproc *p;
	struct frontier *f;
	unsigned region;
	uint64_t chunk;                 /* the first */
	unsigned n;
	unsigned gen;                   /* the frontier's, when queued */
};

struct counts {
	uint64_t prepared, failed, untouched, skipped, cpu_ns;
};

struct ahead {
	const struct mmp_plan *plan;
	struct mmp_region_report *reports;
	struct guards *guards;
	bool dry_run;
	pthread_mutex_t lock;
	pthread_cond_t work;
	bool stop;
	struct aproc *procs;
	struct batch *q;                /* a ring of QUEUE_MAX */
	size_t qhead, qlen;
	struct counts *counts;          /* by region, under lock */
	bool *said;                     /* by region: a reason to leave memory alone was logged */
	pthread_t *threads;
	unsigned nthreads;
};

/* --- the table of processes and frontiers (under lock) ------------------ */

static struct aproc *proc_find(struct ahead *a, pid_t pid)
{
	for (struct aproc *p = a->procs; p; p = p->next)
		if (p->pid == pid && !p->gone)
			return p;
	return NULL;
}

static void proc_put(struct ahead *a, struct aproc *p)
{
	if (--p->refs)
		return;
	for (struct aproc **pp = &a->procs; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	close(p->pidfd);
	free(p);
}

/* Prepared chunks past the frontier's last fault: made and not (yet) shown
 * to be touched. At most the lead. */
static uint64_t untouched(const struct frontier *f)
{
	uint64_t n = 0;
	unsigned k = f->nrecent < RECENT ? f->nrecent : RECENT;
	for (unsigned i = 0; i < k; i++)
		n += f->recent[i] > f->last_fault;
	return n;
}

/* The frontier of thread TID that a fault in CHUNK moves: of those whose
 * last fault it is at most BEHIND and that queued up to it, the nearest;
 * or a new one, in the least recently seen slot. A fault further behind is
 * another writer of the thread (an allocator's size classes side by
 * side): taken as the same, the one behind had no lead of its own, only
 * what the one ahead had queued (redis's fill took 2 to 2.6 times the
 * faults with a lead of 256M as with 64M). */
static struct frontier *frontier_for(struct ahead *a, struct aproc *p, pid_t tid, unsigned region, uint64_t chunk)
{
	struct frontier *oldest = &p->fr[0], *near = NULL;
	uint64_t near_d = UINT64_MAX;
	for (unsigned i = 0; i < FRONTIERS; i++) {
		struct frontier *f = &p->fr[i];
		/* A frontier not yet moving takes the next chunk or the one after. */
		bool within = chunk <= f->hi + 1 || (!f->moving && chunk == f->last_fault + 2);
		if (f->used && f->tid == tid && f->region == region && chunk + BEHIND >= f->last_fault && within) {
			/* On a tie, the frontier the fault is ahead of: its writer moves on. */
			uint64_t d = chunk > f->last_fault ? 2 * (chunk - f->last_fault) : 2 * (f->last_fault - chunk) + 1;
			if (d < near_d) {
				near = f;
				near_d = d;
			}
		}
		if (!f->used || (oldest->used && f->seen_ns < oldest->seen_ns))
			oldest = f;
	}
	if (near)
		return near;
	if (oldest->used)   /* what it prepared beyond its last fault stays counted */
		a->counts[oldest->region].untouched += untouched(oldest);
	unsigned gen = oldest->gen + 1;
	memset(oldest, 0, sizeof(*oldest));
	*oldest = (struct frontier){ .used = true, .tid = tid, .gen = gen, .region = region, .last_fault = chunk,
				     .hi = chunk };
	return oldest;
}

/* Whether another frontier of P holds CHUNK of REGION: its lead, queued
 * past its last fault; and, while it was seen within CLAIM_NS, the chunk
 * its writer is in and those it queued and passed. A writer behind another
 * in the same memory has a frontier of its own, and what the one ahead
 * queued or passed is not queued twice. The lead is held for good (a
 * writer is seen only at its tripwires, a half lead apart); what a writer
 * left behind is free again a second after: memory freed and written
 * again gets a lead anew. */
static bool held_by_other(const struct aproc *p, const struct frontier *f, unsigned region, uint64_t chunk,
			  long long now)
{
	for (unsigned i = 0; i < FRONTIERS; i++) {
		const struct frontier *g = &p->fr[i];
		if (g == f || !g->used || g->region != region)
			continue;
		if (g->moving && g->last_fault < chunk && chunk <= g->hi)
			return true;
		if (now - g->seen_ns <= CLAIM_NS && chunk <= g->last_fault &&
		    (chunk == g->last_fault || (g->lo && g->lo <= chunk)))
			return true;
	}
	return false;
}

/* Whether a writer of P seen within CLAIM_NS is in one of N chunks from
 * CHUNK of REGION (its frontier's last fault): collapsing them would race
 * its faults. */
static bool being_written(const struct aproc *p, unsigned region, uint64_t chunk, unsigned n, long long now)
{
	for (unsigned i = 0; i < FRONTIERS; i++) {
		const struct frontier *g = &p->fr[i];
		if (g->used && g->region == region && now - g->seen_ns <= CLAIM_NS && g->last_fault >= chunk &&
		    g->last_fault < chunk + n)
			return true;
	}
	return false;
}

static void push(struct ahead *a, struct batch b)
{
	if (a->qlen == QUEUE_MAX) {   /* the oldest is the least useful: the process went past it */
		proc_put(a, a->q[a->qhead].p);
		a->qhead = (a->qhead + 1) % QUEUE_MAX;
		a->qlen--;
	}
	b.p->refs++;
	a->q[(a->qhead + a->qlen) % QUEUE_MAX] = b;
	a->qlen++;
}

void ahead_fault(struct ahead *a, pid_t pid, int pidfd, pid_t tid, unsigned region, uint64_t chunk, uint64_t start,
		 uint64_t end)
{
	const struct mmp_pagesize_rule *rule = a->plan->regions[region].pagesize;
	uint64_t lead = (uint64_t)rule->ahead >> MMP_CHUNK_SHIFT, spacing = lead / 2;
	long long now = mono_ns();
	pthread_mutex_lock(&a->lock);
	struct aproc *p = proc_find(a, pid);
	if (!p) {
		int fd = fcntl(pidfd, F_DUPFD_CLOEXEC, 0);
		p = fd >= 0 ? calloc(1, sizeof(*p)) : NULL;
		if (!p) {
			if (fd >= 0)
				close(fd);
			pthread_mutex_unlock(&a->lock);
			return;
		}
		*p = (struct aproc){ .pid = pid, .pidfd = fd, .refs = 1, .next = a->procs };
		a->procs = p;
	}
	struct frontier *f = frontier_for(a, p, tid, region, chunk);
	f->seen_ns = now;
	/* Memory touched here and there is no frontier: a lead after each
	 * touch would be bloat. The next chunk, or the one after, is. */
	if (!f->moving && (chunk == f->last_fault + 1 || chunk == f->last_fault + 2))
		f->moving = true;
	if (chunk > f->last_fault)
		f->last_fault = chunk;
	if (!f->moving) {
		pthread_mutex_unlock(&a->lock);
		return;
	}
	uint64_t first, last;
	ahead_span(chunk, f->hi, lead, (start + CHUNK - 1) / CHUNK, end / CHUNK, &first, &last);
	bool queued = false;
	for (uint64_t c = first; c < last;) {
		if (ahead_is_tripwire(c, spacing) || held_by_other(p, f, region, c, now)) {
			c++;
			continue;
		}
		unsigned n = 1;
		while (n < BATCH_CHUNKS && c + n < last && !ahead_is_tripwire(c + n, spacing) &&
		       !held_by_other(p, f, region, c + n, now))
			n++;
		push(a, (struct batch){ p, f, region, c, n, f->gen });
		queued = true;
		c += n;
	}
	if (first < last && (!f->lo || first < f->lo))
		f->lo = first;
	if (last > f->hi + 1)
		f->hi = last - 1;
	if (queued)
		pthread_cond_broadcast(&a->work);
	pthread_mutex_unlock(&a->lock);
}

void ahead_forget(struct ahead *a, pid_t pid)
{
	pthread_mutex_lock(&a->lock);
	struct aproc *p = proc_find(a, pid);
	if (p) {
		for (unsigned i = 0; i < FRONTIERS; i++)
			if (p->fr[i].used)
				a->counts[p->fr[i].region].untouched += untouched(&p->fr[i]);
		p->gone = true;
		proc_put(a, p);
	}
	pthread_mutex_unlock(&a->lock);
}

/* --- the workers --------------------------------------------------------- */

static bool alive(int pidfd)
{
	return syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0;
}

static void prepare(struct ahead *a, struct batch *b);

/* Batch B again, a chunk at a time: part of it is to be left alone. */
static void prepare_each(struct ahead *a, const struct batch *b)
{
	for (unsigned i = 0; i < b->n; i++) {
		struct batch one = { b->p, b->f, b->region, b->chunk + i, 1, b->gen };
		prepare(a, &one);
	}
}

/* Works on one batch, without the lock held, and counts what came of it. */
static void prepare(struct ahead *a, struct batch *b)
{
	struct aproc *p = b->p;
	const struct mmp_plan_region *r = &a->plan->regions[b->region];
	const char *pol = a->plan->policies[r->policy].name;
	uint64_t lo = b->chunk * CHUNK, len = (uint64_t)b->n * CHUNK;

	pthread_mutex_lock(&a->lock);
	/* The process has reached these chunks since: it is writing them. */
	bool passed = b->f->gen != b->gen || b->f->last_fault >= b->chunk || p->gone;
	bool writing = !passed && being_written(p, b->region, b->chunk, b->n, mono_ns());
	pthread_mutex_unlock(&a->lock);
	if (passed)
		return;
	if (writing) {   /* another writer is in one of them: the others, one by one */
		if (b->n > 1)
			prepare_each(a, b);
		return;
	}
	unsigned flags;
	const char *why = guards_check(a->guards, p->pid, lo, lo + len, &flags);
	/* Nothing of a process with a userfaultfd is read (its ranges change
	 * unseen); where the process asked for huge pages, the kernel gives
	 * them at fault, and a read would map the huge zero page, which its
	 * write splits into 4K pages. */
	if (!why && (flags & GUARD_PROC_UFFD))
		why = "the process holds a userfaultfd, whose ranges can change unseen: none of its memory is read";
	else if (!why && (flags & VMA_HUGEPAGE))
		why = "MADV_HUGEPAGE by the process: the kernel gives it 2M pages at fault";
	if (why) {
		/* Chunk by chunk: part of a batch may be inside one mapping. */
		if (b->n > 1) {
			prepare_each(a, b);
			return;
		}
		if (why == guards_unmapped)
			return;
		pthread_mutex_lock(&a->lock);
		a->counts[b->region].skipped++;
		bool say = !a->said[b->region];
		a->said[b->region] = true;
		pthread_mutex_unlock(&a->lock);
		if (say)
			mmp_info("%s.%s: memory of pid %d at 0x%" PRIx64 " is left as the process has it: %s", pol, r->name,
				 p->pid, lo, why);
		return;
	}
	if (a->dry_run) {
		mmp_info("dry run: would prepare %u 2M chunk%s of %s.%s in pid %d at 0x%" PRIx64 " ahead of its faults",
			 b->n, b->n == 1 ? "" : "s", pol, r->name, p->pid, lo);
		pthread_mutex_lock(&a->lock);
		a->counts[b->region].prepared += b->n;
		pthread_mutex_unlock(&a->lock);
		return;
	}
	pthread_mutex_lock(&a->lock);
	bool gone = p->gone;   /* forgotten meanwhile: no longer governed */
	pthread_mutex_unlock(&a->lock);
	if (gone || !alive(p->pidfd))
		return;
	/* One byte of each chunk: the zero page, and the chunk's page table. */
	char sink[BATCH_CHUNKS];
	struct iovec local = { sink, b->n }, remote[BATCH_CHUNKS];
	for (unsigned i = 0; i < b->n; i++)
		remote[i] = (struct iovec){ (void *)(uintptr_t)(lo + i * CHUNK), 1 };
	long long cpu0 = thread_cpu_ns();
	ssize_t got = process_vm_readv(p->pid, &local, 1, remote, b->n, 0);
	unsigned n = got > 0 ? (unsigned)got : 0;
	int err = 0;
	if (n) {
		struct iovec iov = { (void *)(uintptr_t)lo, (size_t)n * CHUNK };
		if (syscall(SYS_process_madvise, p->pidfd, &iov, 1, MADV_COLLAPSE, 0) < 0)
			err = errno;
	} else {
		err = got < 0 ? errno : EFAULT;
	}
	long long cpu = thread_cpu_ns() - cpu0;
	pthread_mutex_lock(&a->lock);
	struct counts *c = &a->counts[b->region];
	c->cpu_ns += (uint64_t)cpu;
	if (!err) {
		c->prepared += n;
		if (b->f->gen == b->gen)
			for (unsigned i = 0; i < n; i++)
				b->f->recent[b->f->nrecent++ % RECENT] = b->chunk + i;
		else   /* its frontier was given up meanwhile: never shown touched */
			c->untouched += n;
	}
	c->failed += err ? b->n : b->n - n;
	pthread_mutex_unlock(&a->lock);
	if (err)
		mmp_debug("preparing %u chunk%s of %s.%s in pid %d at 0x%" PRIx64 " failed: %s", b->n, b->n == 1 ? "" : "s",
			  pol, r->name, p->pid, lo, strerror(err));
}

static void *worker(void *arg)
{
	struct ahead *a = arg;
	/* Signals are the main loop's. */
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&a->lock);
	for (;;) {
		while (!a->stop && !a->qlen)
			pthread_cond_wait(&a->work, &a->lock);
		if (a->stop)
			break;
		struct batch b = a->q[a->qhead];
		a->qhead = (a->qhead + 1) % QUEUE_MAX;
		a->qlen--;
		pthread_mutex_unlock(&a->lock);
		prepare(a, &b);
		pthread_mutex_lock(&a->lock);
		proc_put(a, b.p);
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

/* --- life ---------------------------------------------------------------- */

struct ahead *ahead_new(const struct mmp_plan *plan, struct mmp_region_report *reports, struct guards *guards,
			bool dry_run, unsigned workers)
{
	struct ahead *a = calloc(1, sizeof(*a));
	if (!a)
		goto oom;
	*a = (struct ahead){ .plan = plan, .reports = reports, .guards = guards, .dry_run = dry_run };
	a->q = calloc(QUEUE_MAX, sizeof(*a->q));
	a->counts = calloc(plan->nregions ? plan->nregions : 1, sizeof(*a->counts));
	a->said = calloc(plan->nregions ? plan->nregions : 1, sizeof(*a->said));
	a->threads = calloc(workers, sizeof(*a->threads));
	if (!a->q || !a->counts || !a->said || !a->threads)
		goto oom;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->work, NULL);
	for (unsigned i = 0; i < workers; i++) {
		int err = pthread_create(&a->threads[i], NULL, worker, a);
		if (err) {
			mmp_error("cannot start a thread to prepare huge pages: %s", strerror(err));
			ahead_free(a);
			return NULL;
		}
		a->nthreads++;
	}
	return a;
oom:
	mmp_error("out of memory");
	if (a) {
		free(a->q);
		free(a->counts);
		free(a->said);
		free(a->threads);
		free(a);
	}
	return NULL;
}

void ahead_publish(struct ahead *a)
{
	pthread_mutex_lock(&a->lock);
	for (unsigned r = 0; r < a->plan->nregions; r++) {
		struct mmp_region_report *rep = &a->reports[r];
		const struct counts *c = &a->counts[r];
		uint64_t live = 0;   /* of the processes still governed */
		for (struct aproc *p = a->procs; p; p = p->next)
			for (unsigned i = 0; i < FRONTIERS && !p->gone; i++)
				if (p->fr[i].used && p->fr[i].region == r)
					live += untouched(&p->fr[i]);
		rep->ah_prepared = c->prepared;
		rep->ah_failed = c->failed;
		rep->ah_skipped = c->skipped;
		rep->ah_untouched = c->untouched + live;
		rep->ah_cpu_ns = c->cpu_ns;
	}
	pthread_mutex_unlock(&a->lock);
}

void ahead_free(struct ahead *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	a->stop = true;
	pthread_cond_broadcast(&a->work);
	pthread_mutex_unlock(&a->lock);
	for (unsigned i = 0; i < a->nthreads; i++)
		pthread_join(a->threads[i], NULL);
	while (a->qlen) {
		proc_put(a, a->q[a->qhead].p);
		a->qhead = (a->qhead + 1) % QUEUE_MAX;
		a->qlen--;
	}
	while (a->procs) {
		struct aproc *p = a->procs;
		p->refs = 1;
		proc_put(a, p);
	}
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->work);
	free(a->q);
	free(a->counts);
	free(a->said);
	free(a->threads);
	free(a);
}
