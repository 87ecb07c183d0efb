/* oom_figures.c - what the 'oom' kind knows of a governed process's
 * memory: resident and swapped pages from BPF (mmp_task_mem, current to the
 * last change), the rest from /proc and its memory cgroup, and the score's
 * statistics over them. See oom_state.h. */
#include "oom_state.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "cgroups.h"
#include "clock.h"

/* Memory figures from /proc/PID/status and stat, and the fault counters.
 * The resident and swapped pages are BPF's (mmp_task_mem), current to the
 * last change; /proc's serve only until BPF has an entry. */
void oom_refresh(struct oom *o, struct oom_task *t, long long now)
{
	char p[64], line[512];
	long long proc_pages[MMP_MEM_COUNT] = { 0 };
	snprintf(p, sizeof(p), "/proc/%d/status", (int)t->cand.pid);
	FILE *f = fopen(p, "re");
	if (f) {
		long long kb;
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "VmPTE: %lld", &kb) == 1)
				t->cand.pte_pages = kb * 1024 / o->page;
			else if (sscanf(line, "VmSize: %lld", &kb) == 1)
				t->vsize = kb * 1024;
			else if (sscanf(line, "RssAnon: %lld", &kb) == 1)
				proc_pages[MMP_MEM_ANON] = kb * 1024 / o->page;
			else if (sscanf(line, "RssFile: %lld", &kb) == 1)
				proc_pages[MMP_MEM_FILE] = kb * 1024 / o->page;
			else if (sscanf(line, "RssShmem: %lld", &kb) == 1)
				proc_pages[MMP_MEM_SHMEM] = kb * 1024 / o->page;
			else if (sscanf(line, "VmSwap: %lld", &kb) == 1)
				proc_pages[MMP_MEM_SWAP] = kb * 1024 / o->page;
		}
		fclose(f);
	}
	snprintf(p, sizeof(p), "/proc/%d/stat", (int)t->cand.pid);
	f = fopen(p, "re");
	if (f) {
		if (fgets(line, sizeof(line), f)) {
			/* After the command name: state ppid ... minflt(10) cminflt majflt(12). */
			const char *s = strrchr(line, ')');
			unsigned long long minflt = 0, majflt = 0;
			if (s && sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %llu %*u %llu", &minflt, &majflt) == 2) {
				long long faults = (long long)(minflt + majflt) - t->faults0;
				long long major = (long long)majflt - t->major0;
				if (t->last_refresh && now > t->last_refresh) {
					long long dt = now - t->last_refresh;
					t->fault_rate = (faults - t->faults) * 1000000000LL / dt;
					t->major_rate = (major - t->major) * 1000000000LL / dt;
				}
				t->faults = faults;
				t->major = major;
			}
		}
		fclose(f);
	}
	struct timespec up;
	clock_gettime(CLOCK_BOOTTIME, &up);
	long long up_ms = up.tv_sec * 1000LL + up.tv_nsec / 1000000;
	const struct governed *g = governed_find(o->gov, t->cand.pid);
	if (g)
		t->age_ms = up_ms - (long long)(g->start * 1000ULL / (unsigned long long)o->hz);
	long long usage, limit;
	if (t->memcg[0] && memcg_usage(t->memcg, &usage, &limit) == 0)
		t->cgroup_usage = usage;
	struct mmp_task_mem m;
	__u32 key = (__u32)t->cand.pid;
	bool bpf = bpf_map_lookup_elem(o->mem_fd, &key, &m) == 0;
	for (int i = 0; i < MMP_MEM_COUNT; i++)
		t->cand.pages[i] = bpf ? m.pages[i] : proc_pages[i];
	t->last_refresh = now;
}

/* The first reading of a process's memory, from /proc; BPF keeps it from
 * then on. The fault counters start from zero here: "since mmp first saw it". */
void oom_seed_memory(struct oom *o, struct oom_task *t)
{
	t->faults0 = t->major0 = 0;
	t->last_refresh = 0;
	oom_refresh(o, t, mono_ns());
	struct mmp_task_mem m = { 0 };
	for (int i = 0; i < MMP_MEM_COUNT; i++) {
		m.pages[i] = t->cand.pages[i];
		m.reported += t->cand.pages[i];
	}
	__u32 key = (__u32)t->cand.pid;
	bpf_map_update_elem(o->mem_fd, &key, &m, BPF_ANY);
	t->faults0 = t->faults;
	t->major0 = t->major;
	t->faults = t->major = 0;
}

/* --- the score ------------------------------------------------------------ */

static long long stat_value(const struct oom_task *t, enum stat_id id, long long page, bool rate)
{
	switch (id) {
	case STAT_T_RSS:
		return (t->cand.pages[MMP_MEM_FILE] + t->cand.pages[MMP_MEM_ANON] + t->cand.pages[MMP_MEM_SHMEM]) * page;
	case STAT_T_ANON: return t->cand.pages[MMP_MEM_ANON] * page;
	case STAT_T_FILE: return t->cand.pages[MMP_MEM_FILE] * page;
	case STAT_T_SHMEM: return t->cand.pages[MMP_MEM_SHMEM] * page;
	case STAT_T_SWAP: return t->cand.pages[MMP_MEM_SWAP] * page;
	case STAT_T_VSIZE: return t->vsize;
	case STAT_T_AGE: return t->age_ms;
	case STAT_T_FAULTS: return rate ? t->fault_rate : t->faults;
	case STAT_T_MAJOR_FAULTS: return rate ? t->major_rate : t->major;
	case STAT_T_CGROUP_USAGE: return t->cgroup_usage;
	default: return 0;
	}
}

int64_t oom_task_stat(void *ctx, enum stat_id id, bool rate)
{
	const struct oom_task *t = ctx;
	return stat_value(t, id, t->page, rate);
}
