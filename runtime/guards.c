/* guards.c - see guards.h. */
#define _GNU_SOURCE
#include "guards.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "vmas.h"

/* smaps walks every page table of the process: a range in no mapping read
 * (one made since, or one gone) reads it again at most ten times a second. */
#define GUARDS_REREAD_NS 100000000LL

const char guards_unmapped[] = "no longer mapped as one mapping";

struct guarded_proc {
	pid_t pid;
	bool stale;
	bool uffd;                 /* it has (or had) a userfaultfd */
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

/* Does PID hold a userfaultfd, made before mmp looked (by the syscall or
 * through /dev/userfaultfd, which BPF does not see)? */
static bool has_userfaultfd(pid_t pid)
{
	char dir[64], path[sizeof(dir) + 256], target[64];
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(dir);
	if (!d)
		return false;
	bool found = false;
	struct dirent *e;
	while (!found && (e = readdir(d))) {
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			found = strcmp(target, "anon_inode:[userfaultfd]") == 0;
		}
	}
	closedir(d);
	return found;
}

const char *guards_mapping(const struct vma *v)
{
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

static const char *reason(const struct vma_list *l, uint64_t lo, uint64_t hi, unsigned *flags, bool *unknown)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct vma *v = &l->v[i];
		if (v->end <= lo || v->start >= hi)
			continue;
		if (v->start > lo || v->end < hi)
			break;
		*flags |= v->flags;
		return guards_mapping(v);
	}
	*unknown = true;
	return guards_unmapped;
}

const char *guards_check(struct guards *gs, pid_t pid, uint64_t lo, uint64_t hi, unsigned *flags)
{
	*flags = 0;
	long long now = mono_ns();
	bool unknown = false;
	pthread_mutex_lock(&gs->lock);
	struct guarded_proc *p = find(gs, pid, true);
	const char *why = guards_unmapped;
	if (p && !p->stale) {
		why = reason(&p->vmas, lo, hi, flags, &unknown);
		if (!unknown || now - p->read_ns < GUARDS_REREAD_NS)
			p = NULL;   /* answered */
	}
	bool fds = p && p->stale;
	if (p)
		p->stale = false;
	pthread_mutex_unlock(&gs->lock);
	if (!p)
		goto out;

	/* Read without the lock: the main loop may be checking too. */
	struct vma_list fresh = { 0 };
	bool uffd = fds && has_userfaultfd(pid);
	int err = vmas_read_flags(pid, &fresh);
	pthread_mutex_lock(&gs->lock);
	p = find(gs, pid, false);
	if (err < 0 || !p) {
		why = guards_unmapped;
	} else {
		vmas_free(&p->vmas);
		p->vmas = fresh;
		fresh = (struct vma_list){ 0 };
		p->read_ns = now;
		p->uffd |= uffd;
		/* A registered range says so too, however the fd was made. */
		for (size_t i = 0; i < p->vmas.n; i++)
			p->uffd |= (p->vmas.v[i].flags & VMA_UFFD) != 0;
		*flags = 0;
		unknown = false;
		why = reason(&p->vmas, lo, hi, flags, &unknown);
	}
	pthread_mutex_unlock(&gs->lock);
	vmas_free(&fresh);
out:
	pthread_mutex_lock(&gs->lock);
	p = find(gs, pid, false);
	if (p && p->uffd)
		*flags |= GUARD_PROC_UFFD;
	pthread_mutex_unlock(&gs->lock);
	return why;
}

void guards_changed(struct guards *gs, pid_t pid, bool uffd)
{
	pthread_mutex_lock(&gs->lock);
	struct guarded_proc *p = find(gs, pid, true);
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
