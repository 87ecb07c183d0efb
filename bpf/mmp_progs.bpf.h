/* mmp_progs.bpf.h - the programs every policy object carries. Included by
 * generated code after it defines
 *   static __u32 mmp_group_of(__u32 region);  (the region's rule group)
 *   static __u32 mmp_group_flags(__u32 group, const struct mmp_region_stats *s, __u64 now);
 *     (the group's rules whose 'when' holds now)
 *   static __u32 mmp_group_rules(__u32 group);  (the rules the group has)
 */
#ifndef MMP_PROGS_BPF_H
#define MMP_PROGS_BPF_H

#ifdef MMP_WANT_PREFETCH
#include "mmp_prefetch.bpf.h"
#endif

/* Rolls S's window at NOW once it is a window old (a CPU's clock is read
 * once an event, and may come before a window another CPU began). */
static __always_inline void mmp_count_window(struct mmp_region_stats *s, __u64 now)
{
	__u64 elapsed = mmp_ns_since(s->win_start_ns, now);
	if (elapsed >= MMP_RATE_WINDOW_NS) {
		s->rate = elapsed > 2 * MMP_RATE_WINDOW_NS ? 0 : s->win_faults * MMP_RATE_WINDOW_NS / elapsed;
		s->major_rate = elapsed > 2 * MMP_RATE_WINDOW_NS ? 0 : s->win_major * MMP_RATE_WINDOW_NS / elapsed;
		s->win_start_ns = now;
		s->win_faults = 0;
		s->win_major = 0;
	}
}

static __always_inline void mmp_add_chunk(__u32 tgid, __u32 region, __u64 chunk, __u64 faults, __u64 last)
{
	struct mmp_chunk_key ck = { .tgid = tgid, .region = region, .chunk = chunk };
	struct mmp_chunk *c = bpf_map_lookup_elem(&mmp_chunks, &ck);
	if (c) {
		c->faults += faults;   /* an ordering of chunks: approximate is enough */
		c->last_ns = last;
	} else {
		struct mmp_chunk init = { .faults = faults, .last_ns = last };
		bpf_map_update_elem(&mmp_chunks, &ck, &init, BPF_NOEXIST);
	}
}

/* Fills C with the range of process TGID that ADDR is in, searching the
 * process's ranges. E is the epoch, read before them: a change made after
 * that read bumps it again, so a stale entry never outlives a fault. */
static __always_inline int mmp_locate(struct mmp_cpu *c, __u32 tgid, __u64 e, __u64 addr)
{
	struct mmp_proc *p = bpf_map_lookup_elem(&mmp_procs, &tgid);
	if (!p)
		return 0;
	const struct mmp_range *r = mmp_lookup(p, addr);
	if (!r)
		return 0;
	__u32 slot = r->slot;
	struct mmp_region_stats *s = bpf_map_lookup_elem(&mmp_stats, &slot);
	if (!s)
		return 0;
	c->start = r->start;
	c->end = r->end;
	c->epoch = e;
	c->tgid = tgid;
	c->region = r->region;
	c->slot = slot;
	c->gen = s->gen;
	c->group = mmp_group_of(r->region);
	c->rules = mmp_group_rules(c->group);
	return 1;
}

/* Adds this CPU's pending faults (see struct mmp_cpu) to the statistics
 * they belong to, unless the runtime freed the slot since: it counted
 * them then. Added before 'pend' is cleared, so that the runtime, reading
 * both, sees them in one place or both (and then reads again). */
static __always_inline void mmp_flush(struct mmp_cpu *c, __u64 then, __u64 now)
{
	__u64 n = c->pend;
	__u32 slot = c->slot;
	struct mmp_region_stats *s = bpf_map_lookup_elem(&mmp_stats, &slot);
	if (s && s->gen == c->gen) {
		mmp_count_window(s, now);
		__sync_fetch_and_add(&s->faults, n);
		s->win_faults += n;
		if ((__s64)(then - s->last_ns) > 0)
			s->last_ns = then;
		if (c->rules & MMP_RULE_PAGESIZE) {
			if (s->cur_faults && s->cur_chunk == c->pend_chunk) {
				s->cur_faults += n;
				s->cur_last_ns = then;
			} else {
				mmp_add_chunk(c->tgid, c->region, c->pend_chunk, n, then);
			}
		}
		/* The rules' conditions with these faults counted. */
		s->rule_flags = mmp_group_flags(c->group, s, now);
	}
	c->pend = 0;
}

static __always_inline void mmp_emit_ahead(__u32 tgid, __u32 region, __u64 chunk)
{
	struct mmp_ahead_event *e = bpf_ringbuf_reserve(&mmp_events, sizeof(*e), 0);
	if (!e) {
		mmp_count_lost();
		return;
	}
	e->kind = MMP_EV_AHEAD;
	e->pid = tgid;
	e->region = region;
	e->tid = (__u32)bpf_get_current_pid_tgid();
	e->chunk = chunk;
	bpf_ringbuf_submit(e, 0);
}

#define MMP_AHEAD_FOLLOW_NS 1000000000ULL   /* an entry older is not followed */

/* A fault of 'ahead' in CHUNK of process TGID at NOW_NS, outside the fast
 * path (a chunk other than this CPU's last fault's, or a new jiffy). The
 * chunk after a place's last told is told at once (a frontier moving) and
 * becomes the place's; the chunk last told is not told again within the
 * second (a thread going back and forth between the places it writes);
 * any other, a new place, at most MMP_AHEAD_NEW a jiffy, so that memory
 * touched at random does not flood the ring buffer, in the entries in
 * turn (round-robin: seeking the oldest would carry a minimum across the
 * loop, whose states the verifier cannot bound). A place is followed
 * whether or not the ring had room for its event, as before: a full ring
 * costs the place one chunk (it is told at its next), and each event
 * lost is counted once, not at every fault in its chunk. */
static __always_inline void mmp_ahead_fault(struct mmp_cpu *c, __u32 tgid, __u32 region, __u64 chunk, __u64 j,
					    __u64 now_ns)
{
	int next = -1;
	for (int i = 0; i < MMP_AHEAD_PLACES; i++) {
		struct mmp_ahead_place *pl = &c->ahead[i];
		if (pl->tgid != tgid || now_ns - pl->told_ns >= MMP_AHEAD_FOLLOW_NS)
			continue;
		if (pl->next == chunk + 1)
			return;
		if (pl->next == chunk)
			next = i;
	}
	if (next < 0) {
		if (c->ahead_jiffies != j) {
			c->ahead_jiffies = j;
			c->ahead_new = 0;
		}
		if (c->ahead_new >= MMP_AHEAD_NEW)
			return;
		c->ahead_new++;
		next = c->ahead_at++;
	}
	mmp_emit_ahead(tgid, region, chunk);
	struct mmp_ahead_place *pl = &c->ahead[next & (MMP_AHEAD_PLACES - 1)];
	pl->next = chunk + 1;
	pl->told_ns = now_ns;
	pl->tgid = tgid;
}

static __always_inline void mmp_on_fault(__u64 addr, int major)
{
	struct mmp_cpu *c = mmp_this_cpu();
	if (!c)
		return;
	__u32 zero = 0;
	__u64 *epoch = bpf_map_lookup_elem(&mmp_epoch, &zero);
	if (!epoch)
		return;
	__u64 e = *epoch;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	int hit = c->tgid == tgid && c->epoch == e && addr >= c->start && addr < c->end;
	/* The common case: a minor fault in this CPU's last range, in the same
	 * jiffy (and 2M chunk, if they are counted) as the fault before it,
	 * counted here only; its region's statistics are not touched. */
	__u64 j = bpf_jiffies64();
	if (hit && !major && j == c->jiffies && !(c->rules & MMP_RULE_PREFETCH) &&
	    (!(c->rules & MMP_RULE_PAGESIZE) || addr >> MMP_CHUNK_SHIFT == c->pend_chunk)) {
		c->pend++;
		return;
	}
	__u64 then = c->ns;
	if (j != c->jiffies) {
		c->jiffies = j;
		c->ns = bpf_ktime_get_ns();
	}
	__u64 now = c->ns;
	if (c->pend)
		mmp_flush(c, then, now);
	if (!hit && !mmp_locate(c, tgid, e, addr))
		return;
	__u32 slot = c->slot, region = c->region, rules = c->rules, group = c->group;
	struct mmp_region_stats *s = bpf_map_lookup_elem(&mmp_stats, &slot);
	if (!s)
		return;
	if (!s->first_ns) {
		s->first_ns = now;
		s->win_start_ns = now;
	}
	mmp_count_window(s, now);
	if (major) {
		__sync_fetch_and_add(&s->major_faults, 1);
		s->win_major++;
#ifdef MMP_WANT_PREFETCH
		if (rules & MMP_RULE_PREFETCH)
			mmp_prefetch_major(slot, s, addr);
#endif
		return;   /* the same fault also reaches the user-fault hook */
	}
	/* The fault count is exact; the window counts feed a rate, where a
	 * lost increment between threads does not matter and an atomic add on
	 * every fault would. */
	__sync_fetch_and_add(&s->faults, 1);
	s->win_faults++;
	s->last_ns = now;
	__u32 flags = mmp_group_flags(group, s, now);
	s->rule_flags = flags;
	c->pend_chunk = addr >> MMP_CHUNK_SHIFT;   /* the next faults' batch */
#ifdef MMP_WANT_PREFETCH
	if (rules & MMP_RULE_PREFETCH)
		mmp_prefetch_fault(tgid, region, group, slot, s, addr, c->start, c->end, flags & MMP_RULE_PREFETCH, now);
#endif
	/* 2M chunks of every region with a page-size rule; the runtime acts on
	 * them while the rule holds (rule_flags), hottest first. Faults in the
	 * current chunk are counted in the region's stats; the chunk map is
	 * updated when faults move to another chunk. */
	if (rules & MMP_RULE_PAGESIZE) {
		__u64 chunk = addr >> MMP_CHUNK_SHIFT;
		/* 'ahead': a fault in a chunk this CPU's faults were not in is a
		 * frontier moving (each thread's, on its CPU, and each place a
		 * thread writes at once); the runtime prepares the chunks after
		 * it. The fast path above never enters a new chunk, so this
		 * costs nothing on most faults. */
		if (rules & MMP_RULE_AHEAD)
			mmp_ahead_fault(c, tgid, region, chunk, j, now);
		if (chunk == s->cur_chunk && s->cur_faults) {
			s->cur_faults++;
			s->cur_last_ns = now;
		} else {
			if (s->cur_faults)
				mmp_add_chunk(tgid, region, s->cur_chunk, s->cur_faults, s->cur_last_ns);
			s->cur_chunk = chunk;
			s->cur_faults = 1;
			s->cur_last_ns = now;
		}
	}
}

SEC("tp_btf/page_fault_user")
int BPF_PROG(mmp_page_fault_user, unsigned long address, void *regs, unsigned long error_code)
{
	mmp_on_fault(address, 0);
	return 0;
}

#ifdef MMP_WANT_MAJOR_FAULTS
/* Major faults: a perf software event per CPU, sampled at every fault. */
SEC("perf_event")
int mmp_major_fault(struct bpf_perf_event_data *ctx)
{
	mmp_on_fault(ctx->addr, 1);
	return 0;
}
#endif

static __always_inline void mmp_emit(__u32 kind, __u32 pid, __u32 parent)
{
	struct mmp_event *e = bpf_ringbuf_reserve(&mmp_events, sizeof(*e), 0);
	if (!e) {
		mmp_count_lost();
		return;
	}
	e->kind = kind;
	e->pid = pid;
	e->parent = parent;
	e->pad = 0;
	bpf_ringbuf_submit(e, 0);
}

/* Process events through BTF tracepoints: they need no tracefs. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(mmp_exec, struct task_struct *p, int old_pid, void *bprm)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (tgid == mmp_config.runtime_tgid)
		return 0;
	/* The new image's mappings are not the old one's ranges. */
	__u32 zero = 0;
	__u64 *epoch = bpf_map_lookup_elem(&mmp_epoch, &zero);
	if (epoch && bpf_map_lookup_elem(&mmp_procs, &tgid))
		__sync_fetch_and_add(epoch, 1);
	mmp_emit(MMP_EV_EXEC, tgid, 0);
	return 0;
}

/* A governed process's new child is governed from its first fault. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(mmp_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	if (ptgid == ctgid)
		return 0;   /* a new thread */
	if (!bpf_map_lookup_elem(&mmp_procs, &ptgid))
		return 0;
	mmp_emit(MMP_EV_FORK, ctgid, ptgid);
	return 0;
}

/* A process's name and cgroups are what a policy's match may select it
 * by: a change is its identity changing, as an exec is. A thread's own
 * name is not the process's. */
SEC("tp_btf/task_rename")
int BPF_PROG(mmp_rename, struct task_struct *task, const char *comm)
{
	if (task->pid != task->tgid || (__u32)task->tgid == mmp_config.runtime_tgid)
		return 0;
	mmp_emit(MMP_EV_RENAME, task->tgid, 0);
	return 0;
}

SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(mmp_cgroup_attach, void *dst_cgrp, const char *path, struct task_struct *task, int threadgroup)
{
	if ((__u32)task->tgid == mmp_config.runtime_tgid)
		return 0;
	mmp_emit(MMP_EV_CGROUP, task->tgid, 0);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(mmp_exit, struct task_struct *p)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	if ((__u32)id != tgid)
		return 0;   /* a thread, not the process */
	if (!bpf_map_lookup_elem(&mmp_procs, &tgid))
		return 0;
	mmp_emit(MMP_EV_EXIT, tgid, 0);
	return 0;
}

/* Mapping changes: one event per burst, until the runtime re-reads the maps. */
static __always_inline int mmp_maps_changed(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (!bpf_map_lookup_elem(&mmp_procs, &tgid))
		return 0;
	__u8 one = 1;
	if (bpf_map_update_elem(&mmp_maps_dirty, &tgid, &one, BPF_NOEXIST) == 0)
		mmp_emit(MMP_EV_MAPS, tgid, 0);
	return 0;
}

/* The system calls that change a process's mappings or what it guards are
 * followed with fexit on their x86-64 entry points, never with the
 * syscalls tracepoints: enabling any of those marks every thread on the
 * machine for the tracing slow path of every system call, where a
 * trampoline costs only the calls it is on. (On machine B, where a system
 * call costs a microsecond, bench/syscalls sees no difference either way.)
 * The arguments are the user's registers, as the entry point gets them.
 * Where the kernel allows no trampoline, mmp_mm_changed__older stands in
 * for all of them (runtime/hooks.c). */
struct pt_regs___mmp {
	unsigned long di, si, dx;
} __attribute__((preserve_access_index));

SEC("fexit/__x64_sys_mmap")
int BPF_PROG(mmp_sys_mmap, struct pt_regs___mmp *regs, long ret) { return mmp_maps_changed(); }
SEC("fexit/__x64_sys_munmap")
int BPF_PROG(mmp_sys_munmap, struct pt_regs___mmp *regs, long ret) { return mmp_maps_changed(); }
SEC("fexit/__x64_sys_mremap")
int BPF_PROG(mmp_sys_mremap, struct pt_regs___mmp *regs, long ret) { return mmp_maps_changed(); }
SEC("fexit/__x64_sys_brk")
int BPF_PROG(mmp_sys_brk, struct pt_regs___mmp *regs, long ret) { return mmp_maps_changed(); }

/* What a process guards from page-size preparation: locked memory, ranges
 * it set MADV_NOHUGEPAGE (or HUGEPAGE) on, and userfaultfd ranges (the
 * registration is an ioctl: the userfaultfd syscall itself is the sign).
 * Told once the call is done, so that what the runtime reads then holds.
 * UFFD: the call made a userfaultfd (in the event's 'parent' field). */
static __always_inline int mmp_guards_changed(__u32 uffd)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (bpf_map_lookup_elem(&mmp_procs, &tgid))
		mmp_emit(MMP_EV_GUARDS, tgid, uffd);
	return 0;
}

SEC("fexit/__x64_sys_madvise")
int BPF_PROG(mmp_sys_madvise, struct pt_regs___mmp *regs, long ret)
{
	/* MADV_HUGEPAGE 14, MADV_NOHUGEPAGE 15: the VmFlags the guards read */
	unsigned long advice = BPF_CORE_READ(regs, dx);
	return advice == 14 || advice == 15 ? mmp_guards_changed(0) : 0;
}

SEC("fexit/__x64_sys_mlock")
int BPF_PROG(mmp_sys_mlock, struct pt_regs___mmp *regs, long ret) { return mmp_guards_changed(0); }
SEC("fexit/__x64_sys_mlock2")
int BPF_PROG(mmp_sys_mlock2, struct pt_regs___mmp *regs, long ret) { return mmp_guards_changed(0); }
SEC("fexit/__x64_sys_mlockall")
int BPF_PROG(mmp_sys_mlockall, struct pt_regs___mmp *regs, long ret) { return mmp_guards_changed(0); }
SEC("fexit/__x64_sys_userfaultfd")
int BPF_PROG(mmp_sys_userfaultfd, struct pt_regs___mmp *regs, long ret) { return mmp_guards_changed(1); }

/* The stand-in: a process of ours released its mmap lock taken for
 * writing, which every change above takes (a userfaultfd's registration
 * too). It cannot tell which change: the runtime reads the mappings and
 * the guards again (and the process's fds, for a userfaultfd). With
 * per-VMA locks (6.4 on) page faults seldom take the mmap lock, so it
 * runs at few more places than the calls it follows. */
struct trace_event_raw_mmap_lock {
	_Bool write;
} __attribute__((preserve_access_index));

SEC("tp/mmap_lock/mmap_lock_released")
int mmp_mm_changed__older(struct trace_event_raw_mmap_lock *ctx)
{
	return ctx->write ? mmp_maps_changed() : 0;
}

#endif
