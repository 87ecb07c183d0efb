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

/* Does a block of POLICY name a thread called COMM as a scanner? */
static bool is_scanner(const struct evictor *e, unsigned policy, const char *comm)
{
	struct proc_info info = { 0 };
	snprintf(info.comm, sizeof(info.comm), "%s", comm);
	for (size_t b = 0; b < e->nblocks; b++) {
		const struct mmp_evict_rule *r = e->blocks[b].rule;
		if (r->policy == policy && r->scanners && proc_matches(r->scanners, &info))
			return true;
	}
	return false;
}

static bool policy_scans(const struct evictor *e, unsigned policy)
{
	for (size_t b = 0; b < e->nblocks; b++)
		if (e->blocks[b].rule->policy == policy && e->blocks[b].rule->scanners)
			return true;
	return false;
}

/* Appends PID's threads that are scanners to SET (tid, pid pairs). */
static void find_threads(const struct evictor *e, pid_t pid, unsigned policy, struct scanner **set, size_t *n,
			 size_t *cap)
{
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	DIR *d = opendir(dir);
	if (!d)
		return;   /* gone: forgotten with its threads */
	struct dirent *de;
	while ((de = readdir(d))) {
		char *end;
		long tid = strtol(de->d_name, &end, 10);
		if (*end || tid <= 0)
			continue;
		char path[96], comm[32];
		snprintf(path, sizeof(path), "%s/%ld/comm", dir, tid);
		int len = proc_read_file(path, comm, sizeof(comm));
		if (len <= 0)
			continue;
		comm[strcspn(comm, "\n")] = '\0';
		if (!is_scanner(e, policy, comm))
			continue;
		if (*n == *cap) {
			size_t c = *cap ? *cap * 2 : 16;
			struct scanner *s = realloc(*set, c * sizeof(*s));
			if (!s)
				break;
			*set = s;
			*cap = c;
		}
		(*set)[(*n)++] = (struct scanner){ (__u32)tid, (__u32)pid };
	}
	closedir(d);
}

static bool contains(const struct scanner *set, size_t n, struct scanner s)
{
	for (size_t i = 0; i < n; i++)
		if (set[i].tid == s.tid && set[i].pid == s.pid)
			return true;
	return false;
}

void evict_scanners_refresh(struct evictor *e, const struct evict_proc *procs, size_t nprocs)
{
	if (e->scanners_fd < 0)
		return;
	struct scanner *now = NULL;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < nprocs; i++)
		if (policy_scans(e, procs[i].policy))
			find_threads(e, procs[i].pid, procs[i].policy, &now, &n, &cap);
	if (n > MMP_MAX_SCANNERS) {
		if (!e->warned_scanners)
			mmp_warn("evict: %zu scanner threads, and BPF counts the reads of %d at most: the others' reads "
				 "count as any thread's", n, MMP_MAX_SCANNERS);
		e->warned_scanners = true;
		n = MMP_MAX_SCANNERS;
	}
	/* Threads gone, or renamed, first: a thread id can be reused. */
	for (size_t i = 0; i < e->nscanners; i++)
		if (!contains(now, n, e->scanners[i]))
			bpf_map_delete_elem(e->scanners_fd, &e->scanners[i].tid);
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		if (contains(e->scanners, e->nscanners, now[i])) {
			now[kept++] = now[i];
			continue;
		}
		if (bpf_map_update_elem(e->scanners_fd, &now[i].tid, &now[i].pid, BPF_ANY) < 0) {
			mmp_debug("evict: cannot count the reads of thread %u of pid %u as a scanner's: %s", now[i].tid,
				  now[i].pid, strerror(errno));
			continue;
		}
		mmp_debug("evict: thread %u of pid %u is a scanner", now[i].tid, now[i].pid);
		now[kept++] = now[i];
	}
	free(e->scanners);
	e->scanners = now;
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
