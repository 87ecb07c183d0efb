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
 * A prepared chunk takes no fault, so BPF cannot say how far the process
 * has gone. A follower thread looks instead: the first bytes of the next
 * prepared chunks, present ones only (pagemap), read with
 * process_vm_readv; a chunk no longer all zeros has been written, and the
 * frontier moves on to it. Until its writer is seen that way (a writer of
 * zeros, as a JVM's pre-touch, never is), one chunk in every half lead (a
 * tripwire) is left to the process's own faults, and BPF's event for its
 * first fault there moves the frontier on; the tripwire is collapsed
 * later, once settled, by the hot-chunk path. Either way, the end of what
 * was prepared is a fault BPF sees. Each thread writing its own part has
 * a frontier of its own, and so has each place a thread writes at once.
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
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
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
#define PEEK_CHUNKS 8           /* the next prepared chunks a look reads */
#define PEEK_BYTES 64           /* of each, from its start: where a writer front to back begins */
#define PEEK_NS 1000000LL       /* a frontier is looked at again after a millisecond at least, */
#define PEEK_BACKOFF 6          /* 64 at most */
#define PEEK_LOOKS 64           /* frontiers looked at in one round */
#define PEEK_UNSEEN 2           /* a frontier whose writer left zeros behind this often is not looked at */
#define PEEK_GIVE_UP_NS 10000000000LL   /* not seen for 10 s: not looked at until its next fault */
#define WRITING_NS 100000000LL  /* a frontier seen within this long is a writer at work */

struct frontier {
	bool used;
	bool moving;                    /* two faults in successive chunks: prepare */
	bool followed;                  /* its writes were seen by their contents: no tripwires */
	bool zeros;                     /* its writer left prepared chunks all zeros: not looked at */
	unsigned unseen;                /* ... how many times, before it was ever followed */
	uint64_t verify;                /* a prepared chunk its writer went past to its last fault, 0: none */
	bool rule_ok;                   /* the rule held when last told (ahead_hold) */
	pid_t tid;
	unsigned gen;                   /* bumped when the slot is taken for another */
	unsigned region;
	uint64_t last_fault;            /* the furthest chunk it faulted in */
	uint64_t lo, hi;                /* the first chunk it queued (0: none yet), the furthest */
	uint64_t start, end;            /* the mapping its last fault was in, bytes */
	unsigned quiet;                 /* looks in a row that saw it not move */
	long long due_ns;               /* the follower's next look */
	long long seen_ns;              /* its last event: the least recent is reused */
	uint64_t recent[RECENT];        /* chunks collapsed ahead, a ring */
	unsigned nrecent;
};

struct aproc {
	pid_t pid;
	int pidfd;
	int pagemap;                    /* the follower's, opened at its first look (-1: not yet, -2: refused) */
	unsigned refs;                  /* the table's, and one a batch in work */
	bool gone;
	/* Whether its writers outrun the workers (ahead_outrun): the batches
	 * taken for it since the last verdict, and of them those a writer
	 * reached first; while they do, nothing is prepared for it. */
	unsigned taken, lost, pauses;
	long long paused_until;
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
	uint64_t prepared, failed, untouched, skipped, cpu_ns, followed, pauses;
};

struct ahead {
	const struct mmp_plan *plan;
	struct mmp_region_report *reports;
	struct guards *guards;
	bool dry_run;
	pthread_mutex_t lock;
	pthread_cond_t work;
	pthread_cond_t follow;          /* a chunk was prepared: something to look at */
	bool stop;
	struct aproc *procs;
	struct batch *q;                /* a ring of QUEUE_MAX */
	size_t qhead, qlen;
	struct counts *counts;          /* by region, under lock */
	bool *said;                     /* by region: a reason to leave memory alone was logged */
	struct ahead_costs costs;       /* measured at start */
	long long collapse_wall_ns;     /* the workers' collapses, in wall time, and their chunks */
	uint64_t collapse_chunks;
	pthread_t *threads;
	unsigned nthreads;
	pthread_t follower;
	bool following;                 /* the follower runs */
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
	if (p->pagemap >= 0)
		close(p->pagemap);
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
	*oldest = (struct frontier){ .used = true, .rule_ok = true, .tid = tid, .gen = gen, .region = region,
				     .last_fault = chunk, .hi = chunk };
	return oldest;
}

/* Whether another frontier of P holds CHUNK of REGION: its lead, queued
 * past its last fault; and, while it was seen within CLAIM_NS, the chunk
 * its writer is in and those it queued and passed. A writer behind another
 * in the same memory has a frontier of its own, and what the one ahead
 * queued or passed is not queued twice. The lead is held for good (a
 * writer is seen only at its tripwires, a half lead apart, or by the
 * follower, up to 64 ms apart); what a writer
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

/* Queues the chunks up to the lead past CHUNK, F's writer's latest, in the
 * mapping F's last fault was in: what another frontier holds is left to
 * it, and, until F is followed by its contents, a tripwire in every half
 * lead. Whether anything was queued. */
static bool queue_ahead(struct ahead *a, struct aproc *p, struct frontier *f, uint64_t chunk, long long now)
{
	if (now < p->paused_until)
		return false;
	const struct mmp_pagesize_rule *rule = a->plan->regions[f->region].pagesize;
	uint64_t lead = (uint64_t)rule->ahead >> MMP_CHUNK_SHIFT, spacing = f->followed ? 0 : lead / 2;
	/* A batch's worth at a time where the lead can spare it (an eighth). */
	uint64_t step = lead / 8 < 1 ? 1 : lead / 8 > BATCH_CHUNKS ? BATCH_CHUNKS : lead / 8;
	uint64_t first, last;
	ahead_span(chunk, f->hi, lead, step, (f->start + CHUNK - 1) / CHUNK, f->end / CHUNK, &first, &last);
	bool queued = false;
	for (uint64_t c = first; c < last;) {
		if (ahead_is_tripwire(c, spacing) || held_by_other(p, f, f->region, c, now)) {
			c++;
			continue;
		}
		unsigned n = 1;
		while (n < BATCH_CHUNKS && c + n < last && !ahead_is_tripwire(c + n, spacing) &&
		       !held_by_other(p, f, f->region, c + n, now))
			n++;
		push(a, (struct batch){ p, f, f->region, c, n, f->gen });
		queued = true;
		c += n;
	}
	if (first < last && (!f->lo || first < f->lo))
		f->lo = first;
	if (last > f->hi + 1)
		f->hi = last - 1;
	if (queued)
		pthread_cond_broadcast(&a->work);
	return queued;
}

void ahead_fault(struct ahead *a, pid_t pid, int pidfd, pid_t tid, unsigned region, uint64_t chunk, uint64_t start,
		 uint64_t end)
{
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
		*p = (struct aproc){ .pid = pid, .pidfd = fd, .pagemap = -1, .refs = 1, .next = a->procs };
		a->procs = p;
	}
	struct frontier *f = frontier_for(a, p, tid, region, chunk);
	/* Not followed yet, its writer went past prepared chunks to a fault:
	 * the follower reads the last of them, which the writer has passed.
	 * Written: the writer is one to follow. All zeros (a JVM's pre-touch
	 * writes zeros): twice, and it is left to the tripwires, for looking
	 * costs its mmap lock for nothing. */
	if (!f->followed && !f->zeros && chunk > f->last_fault + 1) {
		unsigned k = f->nrecent < RECENT ? f->nrecent : RECENT;
		for (unsigned i = 0; i < k; i++)
			if (f->recent[i] > f->last_fault && f->recent[i] < chunk && f->recent[i] > f->verify)
				f->verify = f->recent[i];
	}
	f->seen_ns = now;
	f->rule_ok = true;   /* told only while the rule holds */
	f->quiet = 0;        /* what it queues now is looked at soon */
	f->due_ns = 0;
	f->start = start;
	f->end = end;
	/* Memory touched here and there is no frontier: a lead after each
	 * touch would be bloat. The next chunk, or the one after, is. */
	if (!f->moving && (chunk == f->last_fault + 1 || chunk == f->last_fault + 2))
		f->moving = true;
	if (chunk > f->last_fault)
		f->last_fault = chunk;
	if (f->moving && !queue_ahead(a, p, f, chunk, now))
		pthread_cond_signal(&a->follow);   /* nothing new: what was prepared is looked at now */
	pthread_mutex_unlock(&a->lock);
}

void ahead_hold(struct ahead *a, pid_t pid, unsigned region, bool holds)
{
	pthread_mutex_lock(&a->lock);
	struct aproc *p = proc_find(a, pid);
	bool again = false;
	for (unsigned i = 0; p && i < FRONTIERS; i++) {
		struct frontier *f = &p->fr[i];
		if (f->used && f->region == region) {
			again |= holds && !f->rule_ok;
			f->rule_ok = holds;
		}
	}
	if (again)
		pthread_cond_signal(&a->follow);
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

/* One batch taken for B's process, LOST if a writer reached it first or
 * was writing in it. Where its writers outrun the workers, preparing for
 * it pauses (said the first time). Under lock. */
static void tally(struct ahead *a, const struct batch *b, bool lost)
{
	struct aproc *p = b->p;
	p->taken++;
	p->lost += lost;
	if (p->taken < AHEAD_WINDOW)
		return;
	bool outrun = ahead_outrun(p->taken, p->lost);
	unsigned taken = p->taken, nlost = p->lost;
	p->taken = p->lost = 0;
	long long now = mono_ns();
	unsigned writers = 0;
	for (unsigned i = 0; i < FRONTIERS; i++)
		writers += p->fr[i].used && p->fr[i].moving && now - p->fr[i].seen_ns <= WRITING_NS;
	/* A collapse's own cost: the lesser of mmp's chunk at start and the
	 * workers' in the processes, whose wall time also holds the waits
	 * for the writers' faults (9 ms a chunk in a JVM's pre-touch, 0.33
	 * ms on mmp's own), and which corrects a start on a busy machine. */
	long long collapse = a->costs.collapse_ns;
	if (a->collapse_chunks >= AHEAD_WINDOW) {
		long long own = a->collapse_wall_ns / (long long)a->collapse_chunks;
		if (!collapse || own < collapse)
			collapse = own;
	}
	if (!outrun || ahead_workers_faster(a->costs.chunk_4k_ns, collapse, writers, a->nthreads))
		return;
	long long pause = ahead_pause_ns(++p->pauses);
	p->paused_until = now + pause;
	a->counts[b->region].pauses++;
	const struct mmp_plan_region *r = &a->plan->regions[b->region];
	const char *pol = a->plan->policies[r->policy].name;
	if (p->pauses == 1)
		mmp_info("%s.%s: pid %d writes its memory faster than mmp can prepare 2M chunks ahead of it (%u of the "
			 "last %u batches were reached by it first, or found it writing), and its %u writing thread%s "
			 "fault a chunk in 4K pages in %.2f ms each where a collapse takes %.2f ms: preparing pauses for "
			 "%lld s, longer if it happens again, since each collapse stalls its page faults. Its hot chunks "
			 "are collapsed once it settles; for such a writer, huge pages at fault (MADV_HUGEPAGE by the "
			 "process, a JVM's -XX:+UseTransparentHugePages) are the way",
			 pol, r->name, (int)p->pid, nlost, taken, writers ? writers : 1, writers == 1 ? "" : "s",
			 (double)a->costs.chunk_4k_ns / 1e6, (double)collapse / 1e6, pause / 1000000000LL);
	else
		mmp_debug("%s.%s: pid %d outruns the preparation again: paused for %lld s", pol, r->name, (int)p->pid,
			  pause / 1000000000LL);
}

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
	long long now = mono_ns();
	/* Its frontier was given up, the process is gone, or preparing for
	 * it pauses: dropped. The process has reached these chunks since
	 * (it is writing them): the writer won the race, which counts. */
	bool dropped = b->f->gen != b->gen || p->gone || now < p->paused_until;
	bool reached = !dropped && b->f->last_fault >= b->chunk;
	bool writing = !dropped && !reached && being_written(p, b->region, b->chunk, b->n, now);
	if (reached || (writing && b->n == 1))
		tally(a, b, true);
	pthread_mutex_unlock(&a->lock);
	if (dropped || reached)
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
	long long cpu0 = thread_cpu_ns(), wall = 0;
	ssize_t got = process_vm_readv(p->pid, &local, 1, remote, b->n, 0);
	unsigned n = got > 0 ? (unsigned)got : 0;
	int err = 0;
	if (n) {
		struct iovec iov = { (void *)(uintptr_t)lo, (size_t)n * CHUNK };
		long long t0 = mono_ns();
		if (syscall(SYS_process_madvise, p->pidfd, &iov, 1, MADV_COLLAPSE, 0) < 0)
			err = errno;
		wall = mono_ns() - t0;
	} else {
		err = got < 0 ? errno : EFAULT;
	}
	long long cpu = thread_cpu_ns() - cpu0;
	pthread_mutex_lock(&a->lock);
	struct counts *c = &a->counts[b->region];
	c->cpu_ns += (uint64_t)cpu;
	if (!err) {
		a->collapse_wall_ns += wall;
		a->collapse_chunks += n;
		c->prepared += n;
		if (b->f->gen == b->gen) {
			for (unsigned i = 0; i < n; i++)
				b->f->recent[b->f->nrecent++ % RECENT] = b->chunk + i;
			if (b->f->due_ns == LLONG_MAX)   /* had nothing to look at */
				b->f->due_ns = 0;
		} else   /* its frontier was given up meanwhile: never shown touched */
			c->untouched += n;
	}
	c->failed += err ? b->n : b->n - n;
	tally(a, b, err == EAGAIN);   /* the kernel found a writer in it */
	if (!err && n)
		pthread_cond_signal(&a->follow);
	pthread_mutex_unlock(&a->lock);
	if (err)
		mmp_debug("preparing %u chunk%s of %s.%s in pid %d at 0x%" PRIx64 " failed: %s", b->n, b->n == 1 ? "" : "s",
			  pol, r->name, p->pid, lo, strerror(err));
}

/* Takes from the queue the batch nearest its frontier's writer: with
 * several frontiers moving at once (an allocator's size classes, threads'
 * shares), each one's next chunks before any one's far ones, not the
 * first frontier's whole lead before the second's first chunk. A batch
 * whose frontier was given up or went past it comes first: it is dropped
 * at once. Under lock, with the queue not empty. */
static struct batch take_nearest(struct ahead *a)
{
	size_t best = a->qhead;
	uint64_t best_d = UINT64_MAX;
	for (size_t i = 0; i < a->qlen && best_d; i++) {
		size_t k = (a->qhead + i) % QUEUE_MAX;
		const struct batch *b = &a->q[k];
		uint64_t d = b->f->gen != b->gen || b->f->last_fault >= b->chunk ? 0 : b->chunk - b->f->last_fault;
		if (d < best_d) {   /* on a tie, the first in the ring */
			best = k;
			best_d = d;
		}
	}
	struct batch b = a->q[best];
	a->q[best] = a->q[a->qhead];
	a->qhead = (a->qhead + 1) % QUEUE_MAX;
	a->qlen--;
	return b;
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
		struct batch b = take_nearest(a);
		pthread_mutex_unlock(&a->lock);
		prepare(a, &b);
		pthread_mutex_lock(&a->lock);
		proc_put(a, b.p);
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

/* --- the follower: where the writers are, from what they wrote --------- */

/* One frontier to look at: the next prepared chunks past its last fault. */
struct look {
	struct aproc *p;
	struct frontier *f;
	unsigned gen;
	uint64_t chunk[PEEK_CHUNKS];
	unsigned n;
	uint64_t written;               /* the furthest seen written, 0: none */
	unsigned seen;                  /* of chunk[], those up to it */
	uint64_t verify;                /* the frontier's, to read too */
	int verified;                   /* 1: written, 0: all zeros, -1: not read */
	uint64_t cpu_ns;                /* the look's */
};

/* The next prepared chunks past F's last fault into L. Under lock. */
static void next_prepared(const struct frontier *f, struct look *l)
{
	l->n = ahead_next_prepared(f->recent, f->nrecent, RECENT, f->last_fault, l->chunk, PEEK_CHUNKS);
}

/* Reads the first bytes of N chunks from CHUNK[0], in order, as long as
 * the process's guards allow it (as for preparing: nothing of a process
 * with a userfaultfd) and the chunk is present (pagemap says so, so that
 * the read faults nothing in); WRITTEN[i] says whether chunk i is no
 * longer all zeros. How many were read. Without the lock; P is held. */
static unsigned read_firsts(struct ahead *a, struct aproc *p, const uint64_t *chunk, unsigned n, bool *written)
{
	if (p->pagemap == -1) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)p->pid);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && !alive(p->pidfd)) {   /* the pid may be another's now */
			close(fd);
			return 0;
		}
		if (fd < 0 && (errno == EACCES || errno == EPERM)) {
			mmp_debug("pid %d: %s: %s: its writers are followed by their faults only", (int)p->pid, path,
				  strerror(errno));
			p->pagemap = -2;
		}
		if (fd < 0)
			return 0;   /* gone, or out of fds for now: tried again at the next look */
		p->pagemap = fd;
	}
	if (p->pagemap < 0 || !n)
		return 0;
	unsigned flags;
	uint64_t lo = chunk[0] * CHUNK, hi = chunk[n - 1] * CHUNK + PEEK_BYTES;
	const char *why = guards_check(a->guards, p->pid, lo, hi, &flags);
	if (why == guards_unmapped && n > 1) {   /* chunks of several mappings: the first one's alone */
		n = 1;
		why = guards_check(a->guards, p->pid, lo, lo + PEEK_BYTES, &flags);
	}
	if (why || (flags & GUARD_PROC_UFFD))
		return 0;
	long page = sysconf(_SC_PAGESIZE);
	struct iovec remote[PEEK_CHUNKS];
	unsigned m = 0;
	for (; m < n && m < PEEK_CHUNKS; m++) {
		uint64_t entry, addr = chunk[m] * CHUNK;
		if (pread(p->pagemap, &entry, sizeof(entry), (off_t)(addr / (uint64_t)page * sizeof(entry))) !=
			    (ssize_t)sizeof(entry) ||
		    !(entry >> 63))
			break;   /* not present: no read past it */
		remote[m] = (struct iovec){ (void *)(uintptr_t)addr, PEEK_BYTES };
	}
	if (!m)
		return 0;
	unsigned char buf[PEEK_CHUNKS][PEEK_BYTES];
	struct iovec local = { buf, (size_t)m * PEEK_BYTES };
	ssize_t got = process_vm_readv(p->pid, &local, 1, remote, m, 0);
	unsigned read = got > 0 ? (unsigned)got / PEEK_BYTES : 0;
	static const unsigned char zeros[PEEK_BYTES];
	for (unsigned i = 0; i < read; i++)
		written[i] = memcmp(buf[i], zeros, PEEK_BYTES) != 0;
	return read;
}

/* Looks at L's chunks (L->written: the furthest no longer all zeros;
 * L->seen: how many of them up to it) and at the chunk to verify. */
static void look_at(struct ahead *a, struct look *l)
{
	bool written[PEEK_CHUNKS];
	l->written = 0;
	l->seen = 0;
	l->verified = -1;
	if (l->verify && read_firsts(a, l->p, &l->verify, 1, written))
		l->verified = written[0];
	unsigned read = read_firsts(a, l->p, l->chunk, l->n, written);
	for (unsigned i = 0; i < read; i++) {
		if (written[i]) {
			l->written = l->chunk[i];
			l->seen = i + 1;
		}
	}
}

static void *follower(void *arg)
{
	struct ahead *a = arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	struct look *looks = calloc(PEEK_LOOKS, sizeof(*looks));
	if (!looks) {
		mmp_warn("out of memory: 'ahead' follows its writers by their faults only");
		return NULL;
	}
	pthread_mutex_lock(&a->lock);
	while (!a->stop) {
		long long now = mono_ns(), next = 0;
		unsigned n = 0;
		for (struct aproc *p = a->procs; p && n < PEEK_LOOKS; p = p->next) {
			for (unsigned i = 0; i < FRONTIERS && !p->gone && p->pagemap != -2 && n < PEEK_LOOKS; i++) {
				struct frontier *f = &p->fr[i];
				if (!f->used || !f->moving || !f->rule_ok || f->zeros)
					continue;
				if (f->due_ns > now) {
					if (f->due_ns != LLONG_MAX && (!next || f->due_ns < next))
						next = f->due_ns;
					continue;
				}
				struct look *l = &looks[n];
				next_prepared(f, l);
				l->verify = f->verify;
				if (!l->n && !l->verify) {   /* nothing prepared ahead of it: until a worker prepares some */
					f->due_ns = LLONG_MAX;
					continue;
				}
				l->p = p;
				l->f = f;
				l->gen = f->gen;
				p->refs++;
				n++;
			}
		}
		if (!n) {
			/* Nothing due: until the first is, or a chunk is prepared. */
			if (next) {
				struct timespec until = { (time_t)(next / 1000000000LL), (long)(next % 1000000000LL) };
				pthread_cond_timedwait(&a->follow, &a->lock, &until);
			} else {
				pthread_cond_wait(&a->follow, &a->lock);
			}
			continue;
		}
		pthread_mutex_unlock(&a->lock);
		for (unsigned i = 0; i < n; i++) {
			long long cpu0 = thread_cpu_ns();
			look_at(a, &looks[i]);
			looks[i].cpu_ns = (uint64_t)(thread_cpu_ns() - cpu0);
		}
		pthread_mutex_lock(&a->lock);
		now = mono_ns();
		for (unsigned i = 0; i < n; i++) {
			struct look *l = &looks[i];
			struct frontier *f = l->f;
			a->counts[f->region].cpu_ns += l->cpu_ns;   /* "prepare cpu": the follower's too */
			bool moved_on = l->written > f->last_fault;
			if (f->gen == l->gen && l->verify) {
				if (l->verified == 1)
					f->followed = true;   /* it writes data: follow it, no tripwires */
				else if (l->verified == 0 && !f->followed && !moved_on && ++f->unseen >= PEEK_UNSEEN)
					f->zeros = true;
				if (f->verify == l->verify)
					f->verify = 0;
			}
			if (f->gen == l->gen && !l->p->gone && f->rule_ok && moved_on) {
				/* Written there, with no fault: the writer is in that chunk.
				 * Followed, it gets no tripwires: where the follower loses
				 * it (zeros written next), the end of what was prepared is
				 * the fault that tells, as a tripwire a lead apart. */
				unsigned newly = 0;
				for (unsigned k = 0; k < l->seen; k++)
					newly += l->chunk[k] > f->last_fault;
				a->counts[f->region].followed += newly;
				uint64_t moved = l->written - f->last_fault;
				long long took = now - f->seen_ns;
				f->last_fault = l->written;
				f->seen_ns = now;
				f->followed = true;   /* seen moving: whatever a verify said */
				f->zeros = false;
				f->unseen = 0;
				f->verify = 0;
				f->quiet = 0;
				queue_ahead(a, l->p, f, l->written, now);
				f->due_ns = now + ahead_look_after(moved, took, f->hi - f->last_fault, PEEK_NS,
								   PEEK_NS << PEEK_BACKOFF);
			} else if (f->gen == l->gen) {
				if (f->quiet < PEEK_BACKOFF)
					f->quiet++;
				f->due_ns = now - f->seen_ns > PEEK_GIVE_UP_NS ? LLONG_MAX : now + (PEEK_NS << f->quiet);
			}
			proc_put(a, l->p);
		}
	}
	pthread_mutex_unlock(&a->lock);
	free(looks);
	return NULL;
}

/* --- what the kernel allows --------------------------------------------- */

/* The wall time of writing a 2M chunk at C in 4K pages, one fault a page. */
static long long time_4k_chunk(char *c)
{
	long page = sysconf(_SC_PAGESIZE);
	if (madvise(c, CHUNK, MADV_NOHUGEPAGE) < 0)
		return 0;
	long long t0 = mono_ns();
	for (uint64_t off = 0; off < CHUNK; off += (uint64_t)page)
		c[off] = 1;
	return mono_ns() - t0;
}

const char *ahead_kernel_refuses(struct ahead_costs *costs)
{
	*costs = (struct ahead_costs){ 0 };
	/* Huge pages turned off for mmp itself (a prctl its parent made): the
	 * kernel refuses mmp, not the chunk. The preparations will say. */
	if (prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) > 0)
		return NULL;
	/* Chunks of mmp's own, 2M-aligned: two whose one page is the zero
	 * page (read, never written), in a mapping written elsewhere, as a
	 * target's chunk is when it is prepared (the kernel collapses nothing
	 * in a mapping never written at all: it has no anon_vma yet), and two
	 * written in 4K pages. Of each pair, the quicker: the first touch of
	 * the machine's memory can be dearer. */
	char *m = mmap(NULL, 6 * CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;   /* cannot tell: the preparations will say */
	char *c = (char *)(((uintptr_t)m + CHUNK) & ~(uintptr_t)(CHUNK - 1));   /* past m's first page */
	m[0] = 1;
	int r = 0, err = 0;
	for (int i = 0; i < 2 && r == 0; i++) {
		char *z = c + (size_t)i * CHUNK;
		(void)*(volatile char *)z;
		long long t0 = mono_ns();
		r = madvise(z, CHUNK, MADV_COLLAPSE);
		err = errno;
		long long t = mono_ns() - t0;
		if (r == 0 && (!costs->collapse_ns || t < costs->collapse_ns))
			costs->collapse_ns = t;
	}
	for (int i = 2; i < 4 && r == 0; i++) {
		long long t = time_4k_chunk(c + (size_t)i * CHUNK);
		if (t > 0 && (!costs->chunk_4k_ns || t < costs->chunk_4k_ns))
			costs->chunk_4k_ns = t;
	}
	munmap(m, 6 * CHUNK);
	if (r < 0)
		*costs = (struct ahead_costs){ 0 };
	/* EINVAL: the kernel will not make it (Linux 6.1 wants a page written
	 * in the chunk); ENOMEM or EAGAIN are the moment's, not the kernel's. */
	return r < 0 && err == EINVAL ? "this kernel's MADV_COLLAPSE makes no 2M page of a chunk nothing was written "
					"in yet (it wants a written page, as Linux 6.1 does), so nothing can be "
					"prepared ahead of the faults"
				      : NULL;
}

/* --- life ---------------------------------------------------------------- */

struct ahead *ahead_new(const struct mmp_plan *plan, struct mmp_region_report *reports, struct guards *guards,
			bool dry_run, unsigned workers, struct ahead_costs costs)
{
	struct ahead *a = calloc(1, sizeof(*a));
	if (!a)
		goto oom;
	*a = (struct ahead){ .plan = plan, .reports = reports, .guards = guards, .dry_run = dry_run, .costs = costs };
	a->q = calloc(QUEUE_MAX, sizeof(*a->q));
	a->counts = calloc(plan->nregions ? plan->nregions : 1, sizeof(*a->counts));
	a->said = calloc(plan->nregions ? plan->nregions : 1, sizeof(*a->said));
	a->threads = calloc(workers, sizeof(*a->threads));
	if (!a->q || !a->counts || !a->said || !a->threads)
		goto oom;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->work, NULL);
	pthread_condattr_t mono;   /* the follower's waits are on mono_ns()'s clock */
	pthread_condattr_init(&mono);
	pthread_condattr_setclock(&mono, CLOCK_MONOTONIC);
	pthread_cond_init(&a->follow, &mono);
	pthread_condattr_destroy(&mono);
	for (unsigned i = 0; i < workers; i++) {
		int err = pthread_create(&a->threads[i], NULL, worker, a);
		if (err) {
			mmp_error("cannot start a thread to prepare huge pages: %s", strerror(err));
			ahead_free(a);
			return NULL;
		}
		a->nthreads++;
	}
	int err = pthread_create(&a->follower, NULL, follower, a);
	if (err) {
		mmp_error("cannot start a thread to follow the writers: %s", strerror(err));
		ahead_free(a);
		return NULL;
	}
	a->following = true;
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
		rep->ah_followed = c->followed;
		rep->ah_paused = c->pauses;
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
	pthread_cond_broadcast(&a->follow);
	pthread_mutex_unlock(&a->lock);
	for (unsigned i = 0; i < a->nthreads; i++)
		pthread_join(a->threads[i], NULL);
	if (a->following)
		pthread_join(a->follower, NULL);
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
	pthread_cond_destroy(&a->follow);
	free(a->q);
	free(a->counts);
	free(a->said);
	free(a->threads);
	free(a);
}
