/* stats.c - reading the maps a running mmp pinned under /sys/fs/bpf/mmp. */
#include "stats.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bpf/mmp_shared.h"
#include "journal.h"
#include "compiler/units.h"
#include "textout.h"
#include "log.h"
#include "pins.h"

static void size_text(char *buf, size_t len, unsigned long long bytes)
{
	if (bytes == 0) {
		snprintf(buf, len, "0");
		return;
	}
	static const char *const units[] = { "B", "K", "M", "G", "T" };
	double v = (double)bytes;
	int u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, v < 10 && u ? "%.1f%s" : "%.0f%s", v, units[u]);
}

/* Accuracy (pages used of pages asked for) and coverage (faults avoided
 * of faults avoided and misses), in FetchBPF's sense, as percentages; -1
 * when there is nothing to divide. */
static double accuracy(const struct mmp_region_report *r)
{
	return r->pf_pages ? 100.0 * (double)r->pf_used / (double)r->pf_pages : -1;
}

static double coverage(const struct mmp_region_report *r)
{
	double avoided = (double)r->pf_used - (double)r->pf_late;
	if (avoided < 0)
		avoided = 0;
	return avoided + (double)r->major_faults > 0 ? 100.0 * avoided / (avoided + (double)r->major_faults) : -1;
}

/* What making 2M pages cost, per region with a page-size rule: chunks
 * prepared ahead of the faults ('ahead'), and CPU spent collapsing. */
static void show_pagesize(int names_fd, int rep_fd, __u32 nregions, bool json)
{
	bool any = false;
	for (__u32 r = 0; r < nregions; r++) {
		struct mmp_region_name rn;
		struct mmp_region_report rep;
		if (bpf_map_lookup_elem(names_fd, &r, &rn) < 0 || bpf_map_lookup_elem(rep_fd, &r, &rep) < 0 ||
		    !(rep.rules & MMP_RULE_PAGESIZE))
			continue;
		if (json) {
			printf("%s{\"policy\":\"%s\",\"region\":\"%s\",\"ahead\":%s,\"prepared\":%llu,"
			       "\"prepare_failures\":%llu,\"left_alone\":%llu,\"prepared_beyond_faults\":%llu,"
			       "\"seen_written\":%llu,\"paused\":%llu,\"prepare_cpu_s\":%.3f,\"collapse_cpu_s\":%.3f,\"found_at_attach\":%llu}",
			       any ? "," : ",\"pagesize\":[", rn.policy, rn.region,
			       rep.rules & MMP_RULE_AHEAD ? "true" : "false", (unsigned long long)rep.ah_prepared,
			       (unsigned long long)rep.ah_failed, (unsigned long long)rep.ah_skipped,
			       (unsigned long long)rep.ah_untouched, (unsigned long long)rep.ah_followed,
			       (unsigned long long)rep.ah_paused, (double)rep.ah_cpu_ns / 1e9, (double)rep.collapse_cpu_ns / 1e9,
			       (unsigned long long)rep.scan_hot);
		} else {
			if (!any)
				printf("\n%-16s %-16s %9s %7s %7s %14s %12s %7s %12s %13s %10s\n", "policy", "pagesize",
				       "prepared", "failed", "alone", "beyond faults", "seen written", "paused", "prepare cpu",
				       "collapse cpu", "at attach");
			char pc[16] = "-";
			if (rep.rules & MMP_RULE_AHEAD)
				snprintf(pc, sizeof(pc), "%.2fs", (double)rep.ah_cpu_ns / 1e9);
			printf("%-16s %-16s %9llu %7llu %7llu %14llu %12llu %7llu %12s %12.2fs %10llu\n", rn.policy,
			       rn.region, (unsigned long long)rep.ah_prepared, (unsigned long long)rep.ah_failed,
			       (unsigned long long)rep.ah_skipped, (unsigned long long)rep.ah_untouched,
			       (unsigned long long)rep.ah_followed, (unsigned long long)rep.ah_paused, pc,
			       (double)rep.collapse_cpu_ns / 1e9, (unsigned long long)rep.scan_hot);
		}
		any = true;
	}
	if (json && any)
		printf("]");
}

static void show_prefetch(int names_fd, int rep_fd, __u32 nregions, bool json)
{
	bool any = false;
	for (__u32 r = 0; r < nregions; r++) {
		struct mmp_region_name rn;
		struct mmp_region_report rep;
		if (bpf_map_lookup_elem(names_fd, &r, &rn) < 0 || bpf_map_lookup_elem(rep_fd, &r, &rep) < 0 ||
		    !(rep.rules & MMP_RULE_PREFETCH))
			continue;
		double acc = accuracy(&rep), cov = coverage(&rep);
		if (json) {
			printf("%s{\"policy\":\"%s\",\"region\":\"%s\",\"predictions\":%llu,\"pages\":%llu,"
			       "\"used\":%llu,\"late\":%llu,\"held_back\":%llu,\"requests\":%llu,\"request_errors\":%llu,"
			       "\"major_faults\":%llu,\"accuracy\":",
			       any ? "," : ",\"prefetch\":[", rn.policy, rn.region, (unsigned long long)rep.pf_predictions,
			       (unsigned long long)rep.pf_pages, (unsigned long long)rep.pf_used,
			       (unsigned long long)rep.pf_late, (unsigned long long)rep.pf_limited,
			       (unsigned long long)rep.pf_requests, (unsigned long long)rep.pf_request_errors,
			       (unsigned long long)rep.major_faults);
			acc < 0 ? printf("null") : printf("%.1f", acc);
			printf(",\"coverage\":");
			cov < 0 ? printf("null") : printf("%.1f", cov);
			printf("}");
		} else {
			if (!any)
				printf("\n%-16s %-16s %11s %10s %10s %8s %8s %8s %9s\n", "policy", "prefetch", "predictions",
				       "pages", "used", "late", "majors", "accuracy", "coverage");
			char a[16] = "-", c[16] = "-";
			if (acc >= 0)
				snprintf(a, sizeof(a), "%.1f%%", acc);
			if (cov >= 0)
				snprintf(c, sizeof(c), "%.1f%%", cov);
			printf("%-16s %-16s %11llu %10llu %10llu %8llu %8llu %8s %9s\n", rn.policy, rn.region,
			       (unsigned long long)rep.pf_predictions, (unsigned long long)rep.pf_pages,
			       (unsigned long long)rep.pf_used, (unsigned long long)rep.pf_late,
			       (unsigned long long)rep.major_faults, a, c);
		}
		any = true;
	}
	if (json && any)
		printf("]");
}

static void show_evict(int names_fd, int rep_fd, __u32 nregions, bool json)
{
	bool any = false;
	for (__u32 r = 0; r < nregions; r++) {
		struct mmp_region_name rn;
		struct mmp_region_report rep;
		if (bpf_map_lookup_elem(names_fd, &r, &rn) < 0 || bpf_map_lookup_elem(rep_fd, &r, &rep) < 0 ||
		    !(rep.rules & MMP_RULE_EVICT))
			continue;
		if (json) {
			printf("%s{\"policy\":\"%s\",\"region\":\"%s\",\"units\":%llu,\"protected\":%llu,"
			       "\"evicted_bytes\":%llu,\"evicted_fresh_bytes\":%llu,\"actions\":%llu,\"failed\":%llu,"
			       "\"held\":%llu,\"read_back_bytes\":%llu}",
			       any ? "," : ",\"evict\":[", rn.policy, rn.region, (unsigned long long)rep.ev_units,
			       (unsigned long long)rep.ev_protected, (unsigned long long)rep.ev_bytes,
			       (unsigned long long)rep.ev_fresh_bytes, (unsigned long long)rep.ev_calls,
			       (unsigned long long)rep.ev_errors, (unsigned long long)rep.ev_held,
			       (unsigned long long)rep.ev_back_bytes);
		} else {
			if (!any)
				printf("\n%-16s %-16s %6s %9s %10s %10s %8s %7s %5s\n", "policy", "evict", "units", "protected",
				       "evicted", "of fresh", "actions", "failed", "held");
			char bytes[16], fresh[16];
			size_text(bytes, sizeof(bytes), rep.ev_bytes);
			size_text(fresh, sizeof(fresh), rep.ev_fresh_bytes);
			printf("%-16s %-16s %6llu %9llu %10s %10s %8llu %7llu %5llu\n", rn.policy, rn.region,
			       (unsigned long long)rep.ev_units, (unsigned long long)rep.ev_protected, bytes, fresh,
			       (unsigned long long)rep.ev_calls, (unsigned long long)rep.ev_errors,
			       (unsigned long long)rep.ev_held);
		}
		any = true;
	}
	if (json && any)
		printf("]");
}

static const char *class_name(__u32 c)
{
	static const char *const names[] = { "protect", "avoid", "normal", "prefer" };
	return c < 4 ? names[c] : "?";
}

/* Who decides a process's OOM (enum mmp_oom_by), for a column or JSON. */
static const char *oom_by_name(__u32 by, bool json)
{
	switch (by) {
	case MMP_OOM_BY_MMP:
		return "mmp";
	case MMP_OOM_BY_KILL_RULE:
		return json ? "kill_rule" : "kill rule, then kernel";
	default:
		return "kernel";
	}
}

/* The oom rules' decisions, if the runtime has any. */
struct ranked {
	__u32 pid;
	struct mmp_oom_task task;
};

/* By policy, then rank (the first victim first; unranked, 0, last). */
static int by_policy_then_rank(const void *x, const void *y)
{
	const struct ranked *a = x, *b = y;
	if (a->task.policy != b->task.policy)
		return a->task.policy < b->task.policy ? -1 : 1;
	__u32 ra = a->task.rank ? a->task.rank : UINT32_MAX, rb = b->task.rank ? b->task.rank : UINT32_MAX;
	return ra < rb ? -1 : ra > rb ? 1 : a->pid < b->pid ? -1 : a->pid > b->pid;
}

static void show_oom(const char *dir, bool json)
{
	int rep_fd = pins_open(dir, "mmp_oom_reports"), tasks_fd = pins_open(dir, "mmp_oom_tasks");
	if (rep_fd < 0 || tasks_fd < 0) {
		if (rep_fd >= 0)
			close(rep_fd);
		if (tasks_fd >= 0)
			close(tasks_fd);
		return;
	}
	struct mmp_oom_report rep;
	if (json)
		printf(",\"oom\":[");
	for (__u32 i = 0; bpf_map_lookup_elem(rep_fd, &i, &rep) == 0; i++) {
		if (!rep.policy[0])
			continue;   /* a policy without oom rules */
		if (json) {
			printf("%s{\"policy\":\"%s\",\"processes\":%llu,\"protect_by\":\"%s\",\"adjustments\":%llu,"
			       "\"kernel_victims\":%llu,\"kernel_victims_as_chosen\":%llu,\"trigger_fired\":%llu,"
			       "\"kills\":%llu,\"group_kills\":%llu,\"cgroups_decided_by_mmp\":%u,\"oom_kills_by_mmp\":%llu,"
			       "\"cgroups_with_memory_high\":%u,"
			       "\"last_victim\":",
			       i ? "," : "", rep.policy, (unsigned long long)rep.tasks,
			       rep.protect_by_adj ? "oom_score_adj" : "ordering", (unsigned long long)rep.adjustments,
			       (unsigned long long)rep.kernel_victims, (unsigned long long)rep.kernel_as_chosen,
			       (unsigned long long)rep.trigger_fired, (unsigned long long)rep.kills,
			       (unsigned long long)rep.group_kills, rep.held_cgroups, (unsigned long long)rep.oom_kills,
			       rep.window_cgroups);
			char comm[128], reason[1024];
			if (rep.last_victim)
				printf("{\"pid\":%u,\"comm\":\"%s\",\"reason\":\"%s\"}}", rep.last_victim,
				       json_text(comm, sizeof(comm), rep.last_comm),
				       json_text(reason, sizeof(reason), rep.last_reason));
			else
				printf("null}");
		} else {
			printf("\noom rules of policy %s (protect by %s): %llu processes, %llu adjustments; kernel OOM "
			       "victims %llu (%llu as the policy chose); trigger held %llu times: %llu kills, %llu groups\n",
			       rep.policy, rep.protect_by_adj ? "oom_score_adj -1000" : "ordering",
			       (unsigned long long)rep.tasks, (unsigned long long)rep.adjustments,
			       (unsigned long long)rep.kernel_victims, (unsigned long long)rep.kernel_as_chosen,
			       (unsigned long long)rep.trigger_fired, (unsigned long long)rep.kills,
			       (unsigned long long)rep.group_kills);
			if (rep.held_cgroups)
				printf("OOMs decided by mmp in %u v1 memory cgroup%s (memory.oom_control): %llu kills; elsewhere "
				       "the kernel's, by the order\n", rep.held_cgroups, rep.held_cgroups == 1 ? "" : "s",
				       (unsigned long long)rep.oom_kills);
			else
				printf("OOMs decided by the kernel, by the order of oom_score_adj\n");
			if (rep.window_cgroups)
				printf("memory.high set at the kill rule's threshold in %u v2 memory cgroup%s: the kill "
				       "acts while the kernel throttles there\n",
				       rep.window_cgroups, rep.window_cgroups == 1 ? "" : "s");
			char comm[128], reason[512];
			if (rep.last_victim)
				printf("last victim: pid %u (%s): %s\n", rep.last_victim, shown_text(comm, sizeof(comm), rep.last_comm),
				       shown_text(reason, sizeof(reason), rep.last_reason));
		}
	}
	if (json)
		printf("],\"oom_processes\":[");
	else
		printf("%-8s %-16s %-16s %-8s %5s %14s %20s %s\n", "pid", "comm", "policy", "class", "rank", "oom_score_adj",
		       "score", "oom by");
	/* Each policy's processes in the order of its victims. */
	struct ranked *rows = NULL;
	size_t nrows = 0;
	__u32 key, next, *prev = NULL;
	while (bpf_map_get_next_key(tasks_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		struct mmp_oom_task t;
		if (bpf_map_lookup_elem(tasks_fd, &key, &t) < 0)
			continue;
		struct ranked *more = realloc(rows, (nrows + 1) * sizeof(*rows));
		if (!more)
			break;
		rows = more;
		rows[nrows++] = (struct ranked){ key, t };
	}
	if (nrows)
		qsort(rows, nrows, sizeof(*rows), by_policy_then_rank);
	bool first = true;
	for (size_t i = 0; i < nrows; i++) {
		key = rows[i].pid;
		const struct mmp_oom_task t = rows[i].task;
		struct mmp_oom_report pr = { 0 };
		bpf_map_lookup_elem(rep_fd, &t.policy, &pr);
		char comm[128];
		if (json) {
			printf("%s{\"pid\":%u,\"comm\":\"%s\",\"policy\":\"%s\",\"class\":\"%s\",\"rank\":%u,"
			       "\"oom_score_adj\":%d,\"original_oom_score_adj\":%d,\"score\":%lld,\"oom_decided_by\":\"%s\"}",
			       first ? "" : ",", key, json_text(comm, sizeof(comm), t.comm), pr.policy, class_name(t.class), t.rank, t.adj, t.orig_adj,
			       (long long)t.score, oom_by_name(t.oom_by, true));
		} else {
			char adj[32], rank[16] = "-";
			snprintf(adj, sizeof(adj), "%d (was %d)", t.adj, t.orig_adj);
			if (t.rank)
				snprintf(rank, sizeof(rank), "%u", t.rank);
			printf("%-8u %-16s %-16s %-8s %5s %14s %20lld %s\n", key, shown_text(comm, sizeof(comm), t.comm), pr.policy, class_name(t.class), rank,
			       adj, (long long)t.score, oom_by_name(t.oom_by, false));
		}
		first = false;
	}
	free(rows);
	if (json)
		printf("]");
	close(rep_fd);
	close(tasks_fd);
}

static const char *lost_text(char *buf, size_t len, unsigned long long lost)
{
	if (lost)
		snprintf(buf, len, ", %llu events lost", lost);
	else
		buf[0] = '\0';
	return buf;
}

/* One runtime's figures; returns 0 shown, 1 stale (and cleaned), -errno. */
static int show_one(const char *name, bool json, bool first)
{
	char dir[300];
	pins_dir(dir, sizeof(dir), name);
	int meta_fd = pins_open(dir, "mmp_meta");
	if (meta_fd < 0)
		return -ENOENT;
	struct mmp_meta meta;
	__u32 zero = 0;
	int err = bpf_map_lookup_elem(meta_fd, &zero, &meta);
	close(meta_fd);
	if (err < 0 || meta.abi != MMP_ABI_VERSION) {
		mmp_error("%s: pins of another mmp version (abi %u, this mmp reads %d)", dir, err < 0 ? 0 : meta.abi,
			  MMP_ABI_VERSION);
		return -EINVAL;
	}
	if (!pins_runtime_alive(&meta)) {
		if (journal_left(name))
			mmp_warn("runtime '%s' (pid %u) is gone; removed its pins. It left its journal: what it changed "
				 "may still be changed, and 'mmp restore %s' puts it back", name, meta.runtime_pid, name);
		else
			mmp_info("runtime '%s' (pid %u) is gone; removed its pins", name, meta.runtime_pid);
		pins_remove(dir);
		return 1;
	}
	int names_fd = pins_open(dir, "mmp_names"), rep_fd = pins_open(dir, "mmp_reports");
	if (names_fd < 0 || rep_fd < 0) {
		if (names_fd >= 0)
			close(names_fd);
		if (rep_fd >= 0)
			close(rep_fd);
		return -ENOENT;
	}
	struct timespec bt;
	clock_gettime(CLOCK_BOOTTIME, &bt);
	double up = ((double)bt.tv_sec * 1e9 + (double)bt.tv_nsec - (double)meta.started_ns) / 1e9;
	/* The page-size columns only where a region has page-size rules: an
	 * evict or prefetch policy has no chunks to show. */
	bool pagesize = false;
	for (__u32 r = 0; r < meta.nregions && !pagesize; r++) {
		struct mmp_region_report rep;
		pagesize = bpf_map_lookup_elem(rep_fd, &r, &rep) == 0 && (rep.rules & MMP_RULE_PAGESIZE);
	}
	char shown[512], lost[48];
	if (json)
		printf("%s{\"name\":\"%s\",\"pid\":%u,\"uptime_s\":%.1f,\"dry_run\":%s,\"lost_events\":%llu,"
		       "\"regions\":[",
		       first ? "" : ",", json_text(shown, sizeof(shown), meta.name), meta.runtime_pid, up,
		       meta.dry_run ? "true" : "false", (unsigned long long)meta.lost_events);
	else {
		printf("%sruntime %s (pid %u, up %.0fs%s%s)\n", first ? "" : "\n",
		       shown_text(shown, sizeof(shown), meta.name), meta.runtime_pid, up, meta.dry_run ? ", dry run" : "",
		       lost_text(lost, sizeof(lost), meta.lost_events));
		if (meta.nregions) {   /* an oom-only policy has none */
			printf("%-16s %-16s %5s %8s %10s", "policy", "region", "procs", "mapped", "faults");
			if (pagesize)
				printf(" %10s %9s %7s %8s %6s", "hot chunks", "collapsed", "failed", "huge", "pages");
			putchar('\n');
		}
	}
	for (__u32 r = 0; r < meta.nregions; r++) {
		struct mmp_region_name rn;
		struct mmp_region_report rep;
		if (bpf_map_lookup_elem(names_fd, &r, &rn) < 0 || bpf_map_lookup_elem(rep_fd, &r, &rep) < 0)
			continue;
		if (json) {
			printf("%s{\"policy\":\"%s\",\"region\":\"%s\",\"processes\":%llu,\"mapped_bytes\":%llu,"
			       "\"faults\":%llu,\"major_faults\":%llu,\"hot_chunks\":%llu,\"collapses\":%llu,"
			       "\"collapse_failures\":%llu,\"huge_bytes\":%llu,\"page_size\":%llu}",
			       r ? "," : "", rn.policy, rn.region, (unsigned long long)rep.processes,
			       (unsigned long long)rep.bytes, (unsigned long long)rep.faults,
			       (unsigned long long)rep.major_faults, (unsigned long long)rep.hot_chunks,
			       (unsigned long long)rep.collapses, (unsigned long long)rep.collapse_failures,
			       (unsigned long long)rep.huge_bytes, (unsigned long long)rep.page_size);
		} else {
			char mapped[16], huge[16], page[16];
			size_text(mapped, sizeof(mapped), rep.bytes);
			size_text(huge, sizeof(huge), rep.huge_bytes);
			unit_format(page, sizeof(page), (int64_t)rep.page_size, UNIT_BYTES);
			printf("%-16s %-16s %5llu %8s %10llu", rn.policy, rn.region, (unsigned long long)rep.processes,
			       mapped, (unsigned long long)rep.faults);
			if (pagesize)
				printf(" %10llu %9llu %7llu %8s %6s", (unsigned long long)rep.hot_chunks,
				       (unsigned long long)rep.collapses, (unsigned long long)rep.collapse_failures, huge,
				       rep.page_size ? page : "-");
			putchar('\n');
		}
	}
	if (json)
		printf("]");
	show_pagesize(names_fd, rep_fd, meta.nregions, json);
	show_prefetch(names_fd, rep_fd, meta.nregions, json);
	show_evict(names_fd, rep_fd, meta.nregions, json);
	show_oom(dir, json);
	if (json)
		printf("}");
	close(names_fd);
	close(rep_fd);
	return 0;
}

int stats_show(const char *name, bool json)
{
	/* The pins are root's: another user would see nothing and be told
	 * that nothing runs. */
	if (geteuid() != 0) {
		mmp_error("stats needs root: the runtimes' figures are pinned in %s, which only root can read", PIN_ROOT);
		return 1;
	}
	if (json)
		printf("{\"runtimes\":[");
	int shown = 0, rc = 0;
	if (name) {
		int r = show_one(name, json, true);
		if (r < 0)   /* on stderr: the JSON on stdout stays whole */
			mmp_error("no runtime named '%s' is running (nothing pinned in %s/%s)", name, PIN_ROOT, name);
		rc = r == 0 ? 0 : 1;
		shown = r == 0;
	} else {
		DIR *d = opendir(PIN_ROOT);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			if (show_one(e->d_name, json, shown == 0) == 0)
				shown++;
		}
		if (d)
			closedir(d);
		if (!shown && !json)
			printf("no mmp runtime is running\n");
	}
	if (json)
		printf("]}\n");
	return rc;
}
