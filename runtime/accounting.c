/* accounting.c - the per-region reports that 'mmp stats' reads: the
 * counts from the governed processes' slots, and resident, swapped and
 * huge-page bytes from /proc/PID/smaps, published once a second. The
 * kinds count their own actions (collapses, prefetch requests, evictions)
 * in the same reports, and print them when the runtime stops.
 */
#include "accounting.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "log.h"
#include "report.h"

/* Rss, Swap and AnonHugePages of each region of G, from /proc/PID/smaps;
 * a mapping partly in a region counts in proportion. */
static void account(struct accounting *a, struct governed *g)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/smaps", g->pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	unsigned nr = a->plan->nregions;
	uint64_t *res = calloc(nr * 3 + 1, sizeof(*res));
	if (!res) {
		fclose(f);
		return;
	}
	uint64_t *swap = res + nr, *huge = res + 2 * nr;
	char *line = NULL;
	size_t cap = 0;
	uint64_t vs = 0, ve = 0;
	while (getline(&line, &cap, f) > 0) {
		uint64_t a, b, kb;
		char field[32];
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " ", &a, &b) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			vs = a, ve = b;
			continue;
		}
		if (sscanf(line, "%31[^:]: %" SCNu64 " kB", field, &kb) != 2)
			continue;
		uint64_t *into = strcmp(field, "Rss") == 0 ? res : strcmp(field, "Swap") == 0 ? swap :
				 strcmp(field, "AnonHugePages") == 0 ? huge : NULL;
		if (!into || !kb)
			continue;
		for (size_t i = 0; i < g->nranges; i++) {
			uint64_t lo = g->ranges[i].start > vs ? g->ranges[i].start : vs;
			uint64_t hi = g->ranges[i].end < ve ? g->ranges[i].end : ve;
			if (lo < hi)
				into[g->ranges[i].region] += kb * 1024 * (hi - lo) / (ve - vs);
		}
	}
	free(line);
	fclose(f);
	const struct mmp_plan_policy *pp = &a->plan->policies[g->policy];
	for (unsigned r = pp->first_region; r < pp->first_region + pp->nregions; r++) {
		__u32 slot = governed_slot(a->gov, g, r);
		struct mmp_region_stats *s = &a->gov->stats[slot];
		s->resident = res[r];
		s->swap = swap[r];
		report_add_counts(&a->reports[r], s, governed_faults(a->gov, slot));
		a->reports[r].huge_bytes += huge[r];
		a->reports[r].processes++;
	}
	for (size_t i = 0; i < g->nranges; i++)
		a->reports[g->ranges[i].region].bytes += g->ranges[i].end - g->ranges[i].start;
	free(res);
}

void accounting_publish(struct accounting *a)
{
	for (unsigned r = 0; r < a->plan->nregions; r++) {
		a->reports[r].page_size = (__u64)a->choice[r].size;
		const struct mmp_pagesize_rule *ps = a->plan->regions[r].pagesize;
		a->reports[r].rules = (ps ? MMP_RULE_PAGESIZE : 0) | (ps && ps->ahead ? MMP_RULE_AHEAD : 0) |
				      (a->plan->regions[r].prefetch ? MMP_RULE_PREFETCH : 0) |
				      (a->plan->regions[r].evict_scored ? MMP_RULE_EVICT : 0);
		bpf_map_update_elem(a->reports_fd, &r, &a->reports[r], BPF_ANY);
	}
}

void accounting_refresh(struct accounting *a)
{
	governed_read_pending(a->gov);
	for (unsigned r = 0; r < a->plan->nregions; r++) {
		struct mmp_region_report *rep = &a->reports[r];
		rep->processes = rep->bytes = rep->huge_bytes = 0;
		report_restart_counts(rep, &a->gov->retired[r]);
	}
	for (size_t i = 0; i < a->gov->n; i++)
		account(a, &a->gov->gov[i]);
	accounting_publish(a);
	if (a->meta.lost_events != a->gov->lost) {
		a->meta.lost_events = a->gov->lost;
		__u32 zero = 0;
		bpf_map_update_elem(a->meta_fd, &zero, &a->meta, BPF_ANY);
	}
}

int accounting_open(struct accounting *a, const char *name, const struct mmp_plan *plan,
		    const struct pagesize_choice *choice, struct governed_set *gov, const struct loaded *l, bool dry_run)
{
	*a = (struct accounting){ .plan = plan, .choice = choice, .gov = gov };
	unsigned nr = plan->nregions;
	a->reports = calloc(nr ? nr : 1, sizeof(*a->reports));
	if (!a->reports) {
		mmp_error("out of memory");
		return -1;
	}
	int names_fd = loader_map_fd(l, "mmp_names");
	a->meta_fd = loader_map_fd(l, "mmp_meta");
	a->reports_fd = loader_map_fd(l, "mmp_reports");
	if (a->meta_fd < 0 || names_fd < 0 || a->reports_fd < 0) {
		mmp_error("the policy's object has no report maps: was it built by another mmpc?");
		return -1;
	}
	a->meta = (struct mmp_meta){ .abi = MMP_ABI_VERSION, .runtime_pid = (__u32)getpid(), .nregions = nr,
				     .dry_run = dry_run };
	snprintf(a->meta.name, sizeof(a->meta.name), "%s", name);
	struct timespec bt;
	clock_gettime(CLOCK_BOOTTIME, &bt);
	a->meta.started_ns = (__u64)bt.tv_sec * 1000000000ULL + (__u64)bt.tv_nsec;
	__u32 zero = 0;
	bpf_map_update_elem(a->meta_fd, &zero, &a->meta, BPF_ANY);
	for (unsigned r = 0; r < nr; r++) {
		struct mmp_region_name rn = { 0 };
		snprintf(rn.policy, sizeof(rn.policy), "%s", plan->policies[plan->regions[r].policy].name);
		snprintf(rn.region, sizeof(rn.region), "%s", plan->regions[r].name);
		bpf_map_update_elem(names_fd, &r, &rn, BPF_ANY);
	}
	accounting_publish(a);
	return 0;
}

void accounting_close(struct accounting *a)
{
	free(a->reports);
	*a = (struct accounting){ 0 };
}
