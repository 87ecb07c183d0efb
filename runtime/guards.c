/* guards.c - see guards.h. */
#include "guards.h"

#include <pthread.h>
#include <stdlib.h>

#include "clock.h"
#include "vmas.h"

#define GUARDS_REREAD_NS 100000000LL

const char guards_unmapped[] = "no longer mapped as one mapping";

struct guarded_proc {
	pid_t pid;
	bool stale;
	bool uffd;                 /* it made a userfaultfd: read smaps every time */
	long long read_ns;         /* smaps last read */
	struct vma_list vmas;      /* with VmFlags */
	struct guarded_proc *next;
};

struct guards {
	pthread_mutex_t lock;
	struct guarded_proc *procs;
};

struct guards *guards_new(void)
{
	struct guards *gs = calloc(1, sizeof(*gs));
	if (gs)
		pthread_mutex_init(&gs->lock, NULL);
	return gs;
}

static struct guarded_proc *find(struct guards *gs, pid_t pid, bool add)
{
	for (struct guarded_proc *p = gs->procs; p; p = p->next)
		if (p->pid == pid)
			return p;
	struct guarded_proc *p = add ? calloc(1, sizeof(*p)) : NULL;
	if (p) {
		*p = (struct guarded_proc){ .pid = pid, .stale = true, .next = gs->procs };
		gs->procs = p;
	}
	return p;
}

static const char *reason(const struct vma_list *l, uint64_t lo, uint64_t hi, bool *unknown)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct vma *v = &l->v[i];
		if (v->end <= lo || v->start >= hi)
			continue;
		if (v->start > lo || v->end < hi)
			break;
		if (!vma_is_anon(v) || v->perms[3] != 'p')
			return "a file or shared mapping (its pages are the page cache's)";
		if (v->perms[0] != 'r' || v->perms[1] != 'w')
			return "a mapping the process cannot read and write (a PROT_NONE reserve)";
		if (v->flags & VMA_UFFD)
			return "registered with a userfaultfd (a read would wake its handler)";
		if (v->flags & VMA_LOCKED)
			return "mlock'd by the process";
		if (v->flags & VMA_NOHUGEPAGE)
			return "MADV_NOHUGEPAGE by the process";
		return NULL;
	}
	*unknown = true;
	return guards_unmapped;
}

const char *guards_check(struct guards *gs, pid_t pid, uint64_t lo, uint64_t hi)
{
	pthread_mutex_lock(&gs->lock);
	struct guarded_proc *p = find(gs, pid, true);
	const char *why = guards_unmapped;
	if (!p)
		goto out;
	bool unknown = false;
	long long now = mono_ns();
	if (!p->stale && !p->uffd) {
		why = reason(&p->vmas, lo, hi, &unknown);
		/* A range in no mapping read: a mapping made since, or one
		 * gone; smaps walks every page table, so at most ten reads a
		 * second for that. */
		if (!unknown || now - p->read_ns < GUARDS_REREAD_NS)
			goto out;
	}
	/* New, changed, or a mapping made since the last read. */
	if (vmas_read_flags(pid, &p->vmas) < 0) {
		why = guards_unmapped;
		goto out;
	}
	p->stale = false;
	p->read_ns = now;
	why = reason(&p->vmas, lo, hi, &unknown);
out:
	pthread_mutex_unlock(&gs->lock);
	return why;
}

void guards_changed(struct guards *gs, pid_t pid, bool uffd)
{
	pthread_mutex_lock(&gs->lock);
	struct guarded_proc *p = find(gs, pid, false);
	if (p) {
		p->stale = true;
		p->uffd |= uffd;
	}
	pthread_mutex_unlock(&gs->lock);
}

void guards_forget(struct guards *gs, pid_t pid)
{
	pthread_mutex_lock(&gs->lock);
	for (struct guarded_proc **pp = &gs->procs; *pp; pp = &(*pp)->next) {
		if ((*pp)->pid == pid) {
			struct guarded_proc *p = *pp;
			*pp = p->next;
			vmas_free(&p->vmas);
			free(p);
			break;
		}
	}
	pthread_mutex_unlock(&gs->lock);
}

void guards_free(struct guards *gs)
{
	if (!gs)
		return;
	while (gs->procs) {
		struct guarded_proc *p = gs->procs;
		gs->procs = p->next;
		vmas_free(&p->vmas);
		free(p);
	}
	pthread_mutex_destroy(&gs->lock);
	free(gs);
}
