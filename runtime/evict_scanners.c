/* evict_scanners.c - the threads an evict block names as its scanners
 * ('scanners comm "kv-scan*";'). BPF counts their reads of files apart
 * (scan_faults), so that a score can tell the pages only scans read from
 * those other threads want: cache_ext's get-scan, where the application
 * says which of its threads scan. A thread is known by its own name, read
 * by BPF at every access, so a program may rename a thread for each scan
 * (prctl(PR_SET_NAME) around it) as cache_ext's application writes the
 * thread's id to a map. BPF cannot match a glob, so it asks the runtime
 * once for each name it has not seen (MMP_EV_SCAN_NAME), and the verdict
 * stays in its map. See evict_state.h. */
#define _GNU_SOURCE
#include "evict_state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "log.h"
#include "process.h"
#include "textout.h"

/* The policy's scanners (every block that names them names the same:
 * sema), or NULL. */
static const struct mmp_test *scanners_of(const struct evictor *e, unsigned policy)
{
	for (size_t b = 0; b < e->nblocks; b++)
		if (e->blocks[b].rule->policy == policy && e->blocks[b].rule->scanners)
			return e->blocks[b].rule->scanners;
	return NULL;
}

int evict_scanners_setup(struct evictor *e, const struct loaded *l)
{
	e->scan_names_fd = -1;
	bool any = false;
	for (size_t b = 0; b < e->nblocks; b++)
		any |= e->blocks[b].rule->scanners != NULL;
	if (!any)
		return 0;
	e->scan_names_fd = loader_map_fd(l, "mmp_scan_names");
	if (e->scan_names_fd < 0) {
		mmp_error("evict: the policy's object has no map mmp_scan_names: was it built by another mmpc?");
		return -ENOENT;
	}
	e->scan_info = calloc(1, sizeof(*e->scan_info));   /* 8K: not on the stack at each name */
	if (!e->scan_info) {
		mmp_error("evict: out of memory");
		return -ENOMEM;
	}
	return 0;
}

void evict_scan_name_judge(struct evictor *e, const struct mmp_scan_name_event *ev)
{
	if (e->scan_names_fd < 0)
		return;
	struct mmp_scan_name key = ev->name;
	const struct mmp_test *test = scanners_of(e, key.policy);
	struct proc_info *info = e->scan_info;
	_Static_assert(sizeof(info->comm) > sizeof(key.comm), "a name and its end fit in proc_info's");
	memset(info, 0, sizeof(*info));   /* the name ends: the kernel ends it, but it is read from a ring */
	info->pid = (pid_t)ev->pid;
	memcpy(info->comm, key.comm, sizeof(key.comm));
	const char *name = info->comm;
	bool yes = test && proc_matches(test, info);
	__u8 verdict = yes ? MMP_SCAN_YES : MMP_SCAN_NO;
	char shown[4 * sizeof(key.comm) + 1];
	if (bpf_map_update_elem(e->scan_names_fd, &key, &verdict, BPF_ANY) < 0) {
		/* Taken out, so that BPF asks again at the next read: its reads
		 * count as other threads' meanwhile. */
		if (!e->warned_scan_names)
			mmp_warn("evict: cannot give BPF the verdict on thread name \"%s\": %s (asked again at its "
				 "next read; its reads count as other threads' meanwhile)",
				 shown_text(shown, sizeof(shown), name), strerror(errno));
		e->warned_scan_names = true;
		bpf_map_delete_elem(e->scan_names_fd, &key);
		return;
	}
	/* Both ways: a scanners test that names no thread it should (a typo)
	 * shows as every name judged no scanner's. */
	mmp_debug("evict: thread name \"%s\" is %s scanner's (first read under it in pid %u)",
		  shown_text(shown, sizeof(shown), name), yes ? "a" : "not a", ev->pid);
}

void evict_scanners_free(struct evictor *e)
{
	free(e->scan_info);
	e->scan_info = NULL;
}
