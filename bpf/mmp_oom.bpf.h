/* mmp_oom.bpf.h - what the oom rules observe: each governed process's
 * memory, kept current from the kernel's rss_stat tracepoint, and the
 * victims of the kernel's OOM killer. Included by generated code whose
 * policies have an 'oom' block, after mmp_progs.bpf.h.
 */
#ifndef MMP_OOM_BPF_H
#define MMP_OOM_BPF_H

/* The kernel's counters of a process's pages, relocated against the
 * running kernel's BTF (CO-RE): since 6.2 they are percpu_counters whose
 * 'count' is what /proc and the rss_stat tracepoint report. */
struct percpu_counter {
	__s64 count;
} __attribute__((preserve_access_index));

struct mm_struct {
	struct percpu_counter rss_stat[4];
	struct task_struct *owner;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MMP_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct mmp_task_mem);
} mmp_task_mem SEC(".maps");

/* Written by the runtime, for 'mmp stats': each process's place in the
 * order, and each policy's decisions (sized by the runtime before load). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MMP_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct mmp_oom_task);
} mmp_oom_tasks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mmp_oom_report);
} mmp_oom_reports SEC(".maps");

/* A change is reported when the total moved by this many pages or by a
 * 32nd of itself since the last report: a process filling its cgroup is
 * re-ranked about 32 times on the way, not at every page. */
#define MMP_RSS_STEP_PAGES 256

SEC("tp_btf/rss_stat")
int BPF_PROG(mmp_rss_stat, struct mm_struct *mm, int member)
{
	/* The owner, not the current task: reclaim and swap-out change the
	 * counters of other processes. */
	struct task_struct *owner = mm->owner;
	if (!owner)
		return 0;
	__u32 tgid = owner->tgid;
	struct mmp_task_mem *t = bpf_map_lookup_elem(&mmp_task_mem, &tgid);
	if (!t)
		return 0;
	__s64 v;
	switch (member) {
	case MMP_MEM_FILE: v = mm->rss_stat[MMP_MEM_FILE].count; break;
	case MMP_MEM_ANON: v = mm->rss_stat[MMP_MEM_ANON].count; break;
	case MMP_MEM_SWAP: v = mm->rss_stat[MMP_MEM_SWAP].count; break;
	case MMP_MEM_SHMEM: v = mm->rss_stat[MMP_MEM_SHMEM].count; break;
	default: return 0;
	}
	t->pages[member & (MMP_MEM_COUNT - 1)] = v < 0 ? 0 : v;
	__s64 total = t->pages[0] + t->pages[1] + t->pages[2] + t->pages[3];
	__s64 moved = total - t->reported, step = total >> 5;   /* no signed division in older BPF */
	if (moved < 0)
		moved = -moved;
	if (moved >= MMP_RSS_STEP_PAGES && moved >= step) {
		t->reported = total;
		mmp_emit(MMP_EV_RSS, tgid, 0);
	}
	return 0;
}

SEC("tp_btf/mark_victim")
int BPF_PROG(mmp_mark_victim, struct task_struct *task, unsigned int uid)
{
	mmp_emit(MMP_EV_OOM_VICTIM, task->tgid, 0);
	return 0;
}

#endif
