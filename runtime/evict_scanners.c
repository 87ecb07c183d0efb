/* evict_scanners.c - the threads an evict block names as its scanners
 * ('scanners comm "kv-scan*";'). BPF counts their reads of files apart
 * (scan_faults), so that a score can tell the pages only scans read from
 * those other threads want: cache_ext's get-scan, where the application
 * says which of its threads scan. A thread is known by its own name,
 * which BPF cannot match with a glob at every read: at each refresh (once
 * a second) the runtime reads the names of the governed processes'
 * threads and keeps BPF's map of scanner thread ids up to date. A thread
 * named after that second's read is counted from the next. See
 * evict_state.h. */
#define _GNU_SOURCE
#include "evict_state.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "log.h"
#include "process.h"

int evict_scanners_setup(struct evictor *e, const struct loaded *l)
{
	e->scanners_fd = -1;
	bool any = false;
	for (size_t b = 0; b < e->nblocks; b++)
		any |= e->blocks[b].rule->scanners != NULL;
	if (!any)
		return 0;
	e->scanners_fd = loader_map_fd(l, "mmp_scanners");
	if (e->scanners_fd < 0) {
		mmp_error("evict: the policy's object has no map mmp_scanners: was it built by another mmpc?");
		return -ENOENT;
	}
	return 0;
}

/* The policy's scanners (every block that names them names the same:
 * sema), or NULL. */
static const struct mmp_test *scanners_of(const struct evictor *e, unsigned policy)
{
	for (size_t b = 0; b < e->nblocks; b++)
		if (e->blocks[b].rule->policy == policy && e->blocks[b].rule->scanners)
			return e->blocks[b].rule->scanners;
	return NULL;
}

struct found {
	struct scanner *set;
	size_t n, cap;
	bool short_of_memory;
};

/* Appends PID's threads that TEST names to F. INFO is scratch: only its
 * name is tested. */
static void find_threads(pid_t pid, const struct mmp_test *test, struct proc_info *info, struct found *f)
{
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	DIR *d = opendir(dir);
	if (!d)
		return;   /* gone: its threads are taken back below */
	struct dirent *de;
	while ((de = readdir(d))) {
		char *end;
		long tid = strtol(de->d_name, &end, 10);
		if (*end || tid <= 0)
			continue;
		/* /proc/TID is the thread: its own name. A thread id reused
		 * since by another process is refused by BPF (its tgid). */
		if (proc_comm((pid_t)tid, info->comm, sizeof(info->comm)) < 0 || !proc_matches(test, info))
			continue;
		if (f->n == f->cap) {
			size_t c = f->cap ? f->cap * 2 : 16;
			struct scanner *s = realloc(f->set, c * sizeof(*s));
			if (!s) {
				f->short_of_memory = true;
				break;
			}
			f->set = s;
			f->cap = c;
		}
		f->set[f->n++] = (struct scanner){ (__u32)tid, (__u32)pid };
	}
	closedir(d);
}

static int by_tid(const void *a, const void *b)
{
	const struct scanner *x = a, *y = b;
	return x->tid < y->tid ? -1 : x->tid > y->tid ? 1 : x->pid < y->pid ? -1 : x->pid > y->pid;
}

static bool contains(const struct scanner *sorted, size_t n, struct scanner s)
{
	return n && bsearch(&s, sorted, n, sizeof(s), by_tid) != NULL;   /* bsearch takes no NULL base */
}

void evict_scanners_refresh(struct evictor *e, const struct evict_proc *procs, size_t nprocs)
{
	if (e->scanners_fd < 0)
		return;
	struct found f = { 0 };
	struct proc_info *info = calloc(1, sizeof(*info));   /* 8K: not on the stack */
	f.short_of_memory = !info;
	for (size_t i = 0; !f.short_of_memory && i < nprocs; i++) {
		const struct mmp_test *test = scanners_of(e, procs[i].policy);
		if (test)
			find_threads(procs[i].pid, test, info, &f);
	}
	free(info);
	if (f.short_of_memory) {
		/* Those in the map stay: better a second late than taken back. */
		mmp_warn("evict: out of memory reading the threads' names: scanners not refreshed this second");
		free(f.set);
		return;
	}
	if (f.n > MMP_MAX_SCANNERS) {
		if (!e->warned_scanners)
			mmp_warn("evict: %zu scanner threads, and BPF counts the reads of %d at most: the others' reads "
				 "count as any thread's",
				 f.n, MMP_MAX_SCANNERS);
		e->warned_scanners = true;
		f.n = MMP_MAX_SCANNERS;
	}
	if (f.n)
		qsort(f.set, f.n, sizeof(*f.set), by_tid);
	/* Threads gone, or renamed, first: a thread id can be reused. */
	for (size_t i = 0; i < e->nscanners; i++)
		if (!contains(f.set, f.n, e->scanners[i]))
			bpf_map_delete_elem(e->scanners_fd, &e->scanners[i].tid);
	size_t kept = 0;
	for (size_t i = 0; i < f.n; i++) {
		if (!contains(e->scanners, e->nscanners, f.set[i])) {
			if (bpf_map_update_elem(e->scanners_fd, &f.set[i].tid, &f.set[i].pid, BPF_ANY) < 0) {
				mmp_debug("evict: cannot count the reads of thread %u of pid %u as a scanner's: %s",
					  f.set[i].tid, f.set[i].pid, strerror(errno));
				continue;
			}
			mmp_debug("evict: thread %u of pid %u is a scanner", f.set[i].tid, f.set[i].pid);
		}
		f.set[kept++] = f.set[i];   /* still sorted */
	}
	free(e->scanners);
	e->scanners = f.set;
	e->nscanners = kept;
}

void evict_scanners_free(struct evictor *e)
{
	for (size_t i = 0; e->scanners_fd >= 0 && i < e->nscanners; i++)
		bpf_map_delete_elem(e->scanners_fd, &e->scanners[i].tid);
	free(e->scanners);
	e->scanners = NULL;
	e->nscanners = 0;
}
