/* oom_window.c - on cgroup v2, the room a pre-OOM kill acts in.
 *
 * A v2 memory cgroup has no oom_kill_disable: when it reaches memory.max
 * and reclaim fails, the kernel's OOM killer acts at once, and a process
 * that grows fast gets there between two of mmp's looks. So where a
 * 'kill ... when usage of cgroup ...' comparison watches a v2 memory
 * cgroup with a limit, mmp sets memory.high at the comparison's threshold.
 * Above it the kernel reclaims and throttles the cgroup's allocations (its
 * tasks sleep on their way back to user space) and signals memory.events,
 * which wakes mmp at once; mmp kills the policy's victim while usage is
 * held between memory.high and memory.max, before the kernel's killer.
 *
 * memory.high is recorded in the journal before it is written, and put
 * back where the cgroup still holds mmp's value: at exit, by the
 * guardian when mmp is killed, or by 'mmp restore'. See oom_state.h. */
#define _GNU_SOURCE
#include "oom_state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_paths.h"
#include "cgroups.h"
#include "log.h"
#include "pins.h"

static struct oom_window *window_of(struct oom *o, const char *dir)
{
	for (size_t i = 0; i < o->nwindows; i++)
		if (strcmp(o->windows[i].dir, dir) == 0)
			return &o->windows[i];
	return NULL;
}

/* Writes HIGH into W's cgroup, recorded in the journal first. 0 or -errno. */
static int set_high(struct oom *o, struct oom_window *w, long long high)
{
	struct journal_cgroup rec = { .knob = JOURNAL_MEMORY_HIGH, .orig = w->orig, .set = high };
	snprintf(rec.dir, sizeof(rec.dir), "%s", w->dir);
	int err = journal_record_cgroup(o->journal, &rec);
	if (!err)
		err = memcg_write_high(w->dir, high);
	if (!err) {
		w->set = high;
		memcg_own_high(w->dir, high, w->before);
	}
	return err;
}

long long oom_window_open(struct oom *o, unsigned policy, const char *dir, long long threshold, long long usage,
			  long long before)
{
	long long page = sysconf(_SC_PAGESIZE), high = threshold / page * page, orig;
	struct oom_window *w = window_of(o, dir);
	if (high <= 0 || memcg_read_high(dir, &orig) < 0)
		return -1;
	/* Lowering memory.high under the usage makes the writer reclaim down to
	 * it, and the runtime would wait in write(2): the rule holds now anyway. */
	if (usage >= high)
		return 0;
	if (w) {
		/* Another comparison's: the lowest threshold is where the kernel throttles. */
		if (high < w->set && set_high(o, w, high) < 0)
			return -1;
		return w->set;
	}
	if (strlen(dir) >= sizeof(w->dir) || oom_runtime_inside(dir)) {
		mmp_warn("oom: memory.high of %s is left as it is (%s): the kernel's OOM killer may act there before the "
			 "kill rule", dir, oom_runtime_inside(dir) ? "this runtime is in that cgroup" : "its path is too long");
		return -1;
	}
	/* One runtime a cgroup: two that both set memory.high would undo each
	 * other's value as each ends. */
	char who[PIN_NAME_MAX + 1];
	int lock_fd = memcg_lock_knob(dir, "memory.high");
	long long cur = orig;
	journal_cgroup_records(o->journal, dir, JOURNAL_MEMORY_HIGH, cur, who, sizeof(who), &orig);
	if (lock_fd < 0) {
		if (lock_fd == -EWOULDBLOCK)
			mmp_warn("oom: memory.high of %s is left as it is: %s%s%s sets it (two would undo each other's "
				 "value as each ends); give each runtime cgroups of its own", dir,
				 who[0] ? "runtime '" : "another mmp runtime", who, who[0] ? "'" : "");
		else
			mmp_warn("oom: cannot lock %s/memory.high (%s): the kernel's OOM killer may act there before the "
				 "kill rule", dir, strerror(-lock_fd));
		return -1;
	}
	if (orig != cur)
		mmp_info("oom: memory cgroup %s: memory.high %lld was set by a runtime that ended; %lld, the value before "
			 "it, is what this one puts back", dir, cur, orig);
	if (orig >= 0 && orig <= high) {
		close(lock_fd);
		return -1;   /* the kernel throttles there already */
	}
	char was[32];
	if (orig < 0)
		snprintf(was, sizeof(was), "max");
	else
		snprintf(was, sizeof(was), "%lld MiB", orig >> 20);
	if (o->dry_run) {
		mmp_info("oom: dry run: would set memory.high of %s to %lld MiB (was %s), the kill rule's threshold", dir,
			 high >> 20, was);
		close(lock_fd);
		return -1;
	}
	struct oom_window *n = realloc(o->windows, (o->nwindows + 1) * sizeof(*n));
	if (!n) {
		close(lock_fd);
		return -1;
	}
	o->windows = n;
	w = &o->windows[o->nwindows];
	*w = (struct oom_window){ .orig = orig, .before = before, .policy = policy, .lock_fd = lock_fd };
	snprintf(w->dir, sizeof(w->dir), "%s", dir);
	int err = set_high(o, w, high);
	if (err) {
		mmp_warn("oom: cannot set memory.high of %s (%s): the kernel's OOM killer may act before the kill rule "
			 "there", dir, strerror(-err));
		close(lock_fd);
		return -1;
	}
	o->nwindows++;
	o->pol[policy].rep.window_cgroups++;
	mmp_info("oom: memory cgroup %s: memory.high set to %lld MiB (was %s), the kill rule's threshold: above it the "
		 "kernel throttles every process of the cgroup, and mmp kills before memory.max", dir, high >> 20, was);
	return high;
}

bool oom_in_window(const struct oom *o, unsigned policy, const char *dir)
{
	for (size_t i = 0; i < o->nwindows; i++)
		if (o->windows[i].policy == policy && dir[0] && cgroup_dir_under(dir, o->windows[i].dir))
			return true;
	return false;
}

void oom_windows_release(struct oom *o)
{
	for (size_t i = 0; i < o->nwindows; i++) {
		struct oom_window *w = &o->windows[i];
		long long cur;
		/* Where it still holds ours: a value set since is someone's own. */
		if (memcg_read_high(w->dir, &cur) == 0 && cur == w->set) {
			int err = memcg_write_high(w->dir, w->orig);
			if (err)
				mmp_warn("oom: cannot put back memory.high of %s: %s", w->dir, strerror(-err));
		}
		memcg_own_high(w->dir, -1, 0);
		close(w->lock_fd);
	}
	free(o->windows);
	o->windows = NULL;
	o->nwindows = 0;
}
