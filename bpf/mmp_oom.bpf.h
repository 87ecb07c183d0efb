/* mmp_oom.bpf.h - what the oom rules observe: each governed process's
 * memory, kept current from the kernel's rss_stat tracepoint, and the
 * victims of the kernel's OOM killer. Included by generated code whose
 * policies have an 'oom' block, after mmp_progs.bpf.h.
 */
#ifndef MMP_OOM_BPF_H
#define MMP_OOM_BPF_H

/* The kernel's counters of a process's pages, relocated against the
 * running kernel's BTF (CO-RE). Since 6.2 they are percpu_counters whose
 * 'count' is what /proc and the rss_stat tracepoint report; before, an
 * array of atomics in struct mm_rss_stat (the ___old flavour). */
struct percpu_counter {
	__s64 count;
} __attribute__((preserve_access_index));

struct mm_struct {
	struct percpu_counter rss_stat[4];
	struct task_struct *owner;
} __attribute__((preserve_access_index));

struct mm_rss_stat {
	struct {
		__s64 counter;
	} count[4];
} __attribute__((preserve_access_index));

struct mm_struct___old {
	struct mm_rss_stat rss_stat;
} __attribute__((preserve_access_index));

/* The mark_victim tracepoint passed a pid until 6.8, then the task, when
 * its record gained the victim's uid. */
struct trace_event_raw_mark_victim {
	__u32 uid;
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

/* One counter of MM, read the way this kernel keeps it. */
static __always_inline __s64 mmp_rss_count(struct mm_struct *mm, int member)
{
	if (bpf_core_type_exists(struct mm_rss_stat)) {
		struct mm_struct___old *old = (void *)mm;
		switch (member) {
		case MMP_MEM_FILE: return BPF_CORE_READ(old, rss_stat.count[MMP_MEM_FILE].counter);
		case MMP_MEM_ANON: return BPF_CORE_READ(old, rss_stat.count[MMP_MEM_ANON].counter);
		case MMP_MEM_SWAP: return BPF_CORE_READ(old, rss_stat.count[MMP_MEM_SWAP].counter);
		case MMP_MEM_SHMEM: return BPF_CORE_READ(old, rss_stat.count[MMP_MEM_SHMEM].counter);
		}
		return 0;
	}
	switch (member) {
	case MMP_MEM_FILE: return mm->rss_stat[MMP_MEM_FILE].count;
	case MMP_MEM_ANON: return mm->rss_stat[MMP_MEM_ANON].count;
	case MMP_MEM_SWAP: return mm->rss_stat[MMP_MEM_SWAP].count;
	case MMP_MEM_SHMEM: return mm->rss_stat[MMP_MEM_SHMEM].count;
	}
	return 0;
}

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
	if (!t || member < 0 || member >= MMP_MEM_COUNT)
		return 0;
	__s64 v = mmp_rss_count(mm, member);
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

/* The value the oom_score_adj_update tracepoint reports. */
struct signal_struct {
	short oom_score_adj;
} __attribute__((preserve_access_index));

struct task_struct___adj {
	struct signal_struct *signal;
	int tgid;
} __attribute__((preserve_access_index));

/* A governed process's oom_score_adj written by anyone but the runtime
 * (the process itself, as stress-ng and many services do, or an admin):
 * the runtime takes the value written, carried in the event (a later read
 * could see the runtime's own write instead), as the process's own. */
SEC("tp_btf/oom_score_adj_update")
int BPF_PROG(mmp_adj_update, struct task_struct *task)
{
	struct task_struct___adj *t = (void *)task;
	__u32 tgid = t->tgid;
	if (bpf_get_current_pid_tgid() >> 32 == mmp_config.runtime_tgid || !bpf_map_lookup_elem(&mmp_task_mem, &tgid))
		return 0;
	__s32 adj = BPF_CORE_READ(t, signal, oom_score_adj);
	mmp_emit(MMP_EV_ADJ, tgid, (__u32)adj);
	return 0;
}

SEC("tp_btf/mark_victim")
int mmp_mark_victim(__u64 *ctx)
{
	__u32 pid;
	if (bpf_core_field_exists(struct trace_event_raw_mark_victim, uid)) {
		struct task_struct *task = (void *)ctx[0];
		pid = BPF_CORE_READ(task, tgid);
	} else {
		pid = (__u32)ctx[0];   /* the victim thread's id: the runtime finds its process */
	}
	mmp_emit(MMP_EV_OOM_VICTIM, pid, 0);
	return 0;
}

#endif
