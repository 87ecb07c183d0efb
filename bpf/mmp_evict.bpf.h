/* mmp_evict.bpf.h - what the evict rules observe of files: each watched
 * file's accesses, misses and pages in the page cache, from the filemap
 * tracepoints, which see read(2) as well as faults (the page faults of
 * mapped regions are counted in mmp_progs.bpf.h). Included by generated
 * code whose policies have an 'evict' block.
 *
 * A file enters mmp_files (keyed as the kernel keys them: s_dev is
 * MAJOR << 20 | MINOR) when a governed process first reads or faults on
 * it, with an MMP_EV_FILE that names it; or when the runtime adds a file a
 * process had open or mapped before. Its figures are at its slot of
 * mmp_file_stats, which the runtime reads through mmap. BPF keeps them,
 * whoever reads the file, open or closed, until the runtime forgets it
 * (the pages cached before are counted by the runtime, with cachestat).
 */
#ifndef MMP_EVICT_BPF_H
#define MMP_EVICT_BPF_H

/* The watched files: their slots in mmp_file_stats. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, MMP_MAX_FILES);
	__type(key, struct mmp_file_key);
	__type(value, __u32);
} mmp_files SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, MMP_MAX_FILES);
	__type(key, __u32);
	__type(value, struct mmp_file_stats);
} mmp_file_stats SEC(".maps");

/* Files counted in pieces of 1 << MMP_PIECE_SHIFT bytes (an evict block's
 * 'unit'): each file's pieces are a run of this array, given by the
 * runtime. One entry where no block asks for pieces. */
#ifdef MMP_PIECE_SHIFT
#define MMP_PIECES MMP_MAX_PIECES
#define MMP_PIECE_PAGES_SHIFT (MMP_PIECE_SHIFT - 12)   /* the runtime refuses pages other than 4K */
#else
#define MMP_PIECES 1
#endif
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, MMP_PIECES);
	__type(key, __u32);
	__type(value, struct mmp_piece);
} mmp_pieces SEC(".maps");

#ifdef MMP_PIECE_SHIFT
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, MMP_FRESH_RING_BYTES);
} mmp_fresh_pieces SEC(".maps");
#endif

#ifdef MMP_WANT_SCANNERS
/* The runtime's verdict on each thread name seen reading a watched file,
 * for the reading process's policy (enum mmp_scan_verdict): a program may
 * rename a thread for each scan, so the name is read at every access.
 * LRU: a name pushed out is asked again. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MMP_MAX_SCAN_NAMES);
	__type(key, struct mmp_scan_name);
	__type(value, __u8);
} mmp_scan_names SEC(".maps");

/* Each thread's verdict once the runtime gave it, for the policy it was
 * given under: kept with the thread until it is renamed (mmp_scan_renamed),
 * so that a read costs no name read and lookup (about 60 ns a read on
 * machine C). The kernel traces a rename before it writes the name: a
 * thread renamed by another (through /proc) in the midst of its own read
 * may keep its old name's verdict until its next rename; a thread that
 * renames itself, as databases do, cannot. */
struct mmp_scan_task {
	__u32 policy;
	__u8 verdict;              /* MMP_SCAN_NO or MMP_SCAN_YES; 0: none kept */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct mmp_scan_task);
} mmp_scan_tasks SEC(".maps");
#endif

/* Slots for files BPF finds, zeroed and kept stocked by the runtime. */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, MMP_FILE_FREE);
	__type(value, __u32);
} mmp_file_free SEC(".maps");

/* What this CPU's reads had last: the clock at its first access in the
 * current tick, the watched file it found, and the file it found
 * unwatched for a reader that starts no watch (a process mmp does not
 * govern, or whose policy scores no files). A clock read cost about 28
 * ns of a read's 86 ns in the hook on machine D, and most reads are of
 * the file read before (fio's, a database's): reads within one tick
 * share one clock read (access times are kept to the tick, 4 ms at
 * HZ=250), and a read of the same file skips the lookups while
 * mmp_files_gen (and, for the reader, mmp_epoch) holds the value the
 * memo was made under. Tracepoints run their programs with preemption
 * off; the fentry stand-ins may be preempted midway on a preemptible
 * kernel and leave a memo torn, one file's key with another's slot: each
 * file's figures carry its key, which their memo hits check
 * ('preemptible'), so that a torn memo costs a lookup, not reads counted
 * for another file. */
struct mmp_read_memo {
	__u64 tick, now_ns;        /* jiffies, and the clock at its first access */
	__u64 ino;
	__u32 dev, slot;
	__u64 files_gen;           /* mmp_files_gen + 1 when the file was found; 0: none */
	__u64 none_ino;            /* the file not watched, read by none_tgid */
	__u32 none_dev, none_tgid;
	__u64 none_gen, none_epoch; /* mmp_files_gen + 1 and mmp_epoch then; 0: none */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mmp_read_memo);
} mmp_read_memo SEC(".maps");

/* Bumped atomically by both sides after a file enters mmp_files (BPF, the
 * runtime), and by the runtime after one leaves it, before its slot is
 * freed: memos made under an earlier value are void. The runtime maps it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} mmp_files_gen SEC(".maps");

/* The classic tracepoints' records, relocated against the running
 * kernel's BTF (CO-RE). 'order' came with large folios in the page cache;
 * where a record has none (6.1), it is one page. */
struct trace_event_raw_mm_filemap_op_page_cache {
	unsigned long i_ino;
	unsigned long index;
	__u32 s_dev;
	unsigned char order;
} __attribute__((preserve_access_index));

/* What the programs below read of the kernel's structures: a read's or a
 * fault's file, and the names of the file's directories. */
struct super_block {
	__u32 s_dev;
} __attribute__((preserve_access_index));

struct hlist_node {
	struct hlist_node *next;
} __attribute__((preserve_access_index));

struct hlist_head {
	struct hlist_node *first;
} __attribute__((preserve_access_index));

struct inode {
	unsigned long i_ino;
	struct super_block *i_sb;
	struct hlist_head i_dentry;          /* its names (hard links), by d_u.d_alias */
} __attribute__((preserve_access_index));

struct qstr {
	__u32 len;
	const unsigned char *name;
} __attribute__((preserve_access_index));

struct dentry {
	struct dentry *d_parent;
	struct qstr d_name;
	union {
		struct hlist_node d_alias;
	} d_u;
} __attribute__((preserve_access_index));

struct address_space {
	struct inode *host;
} __attribute__((preserve_access_index));

struct file {
	struct inode *f_inode;
} __attribute__((preserve_access_index));

struct kiocb {
	struct file *ki_filp;
	__s64 ki_pos;
} __attribute__((preserve_access_index));

struct iov_iter {
	__u64 count;
} __attribute__((preserve_access_index));

struct vm_area_struct {
	struct file *vm_file;
} __attribute__((preserve_access_index));

struct vm_fault {
	struct vm_area_struct *vma;
	unsigned long pgoff;
} __attribute__((preserve_access_index));

/* The policies whose evict blocks score file regions (bit N: policy N;
 * policies past 63 always): generated code defines it. */
#ifndef MMP_FILE_POLICIES
#define MMP_FILE_POLICIES (~0ULL)
#endif

static __always_inline struct mmp_file_stats *mmp_file(__u32 dev, unsigned long ino)
{
	struct mmp_file_key k = { .dev = dev, .ino = ino };
	__u32 *slot = bpf_map_lookup_elem(&mmp_files, &k);
	return slot ? bpf_map_lookup_elem(&mmp_file_stats, slot) : 0;
}

/* A file event is built here, then sent at its length: most paths are
 * short, and the ring buffer holds many more of them than of the whole
 * record. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mmp_file_event);
} mmp_file_scratch SEC(".maps");

/* Names a newly watched file for the runtime: its first name's components
 * from the file up, to the root of its file system. Paths are resolved in
 * user space (mountinfo), where the mounts are known. */
static __always_inline void mmp_emit_file(struct inode *inode, __u32 tgid, __u32 policy, __u32 dev, __u64 ino,
					  __u32 slot)
{
	__u32 zero = 0;
	struct mmp_file_event *e = bpf_map_lookup_elem(&mmp_file_scratch, &zero);
	if (!e)
		return;
	e->kind = MMP_EV_FILE;
	e->pid = tgid;
	e->policy = policy;
	e->dev = dev;
	e->ino = ino;
	e->slot = slot;
	e->pad = 0;
	struct hlist_node *first = BPF_CORE_READ(inode, i_dentry.first);
	struct dentry *d = first ? (struct dentry *)((char *)first - bpf_core_field_offset(struct dentry, d_u.d_alias)) : 0;
	__u32 off = 0, complete = 0;
	for (int i = 0; d && i < MMP_FILE_DEPTH; i++) {
		struct dentry *parent = BPF_CORE_READ(d, d_parent);
		if (!parent || parent == d) {
			complete = 1;
			break;
		}
		__u32 len = BPF_CORE_READ(d, d_name.len);
		if (len > 255 || off + len + 1 > MMP_FILE_NAMES)
			break;
		__u32 at = off & (MMP_FILE_NAMES - 1);
		bpf_probe_read_kernel(&e->names[at], len & 255, BPF_CORE_READ(d, d_name.name));
		e->names[at + (len & 255)] = '/';
		off += len + 1;
		d = parent;
	}
	e->len = off;
	e->complete = complete;
	__u64 size = sizeof(*e) - sizeof(e->names) + (off & (2 * MMP_FILE_NAMES - 1));
	/* The runtime is woken for every 16K of them, not for each: a scan's
	 * first pass names thousands a second. It reads the ring at every
	 * tick too. */
	__u64 flags = bpf_ringbuf_query(&mmp_events, BPF_RB_AVAIL_DATA) >= 16384 ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_output(&mmp_events, e, size, flags) < 0)
		mmp_count_lost();
}

/* A file a governed process touches is watched from its first access on,
 * open or not later: the runtime keeps it while it has pages cached.
 * Sets *NONE where TGID starts no watch (not governed, or its policy
 * scores no files), which the caller may keep in its memo. */
static __always_inline struct mmp_file_stats *mmp_file_found(struct inode *inode, __u32 tgid, __u32 dev, __u64 ino,
							     __u64 *files_gen, int *none)
{
	struct mmp_proc *p = bpf_map_lookup_elem(&mmp_procs, &tgid);
	*none = 1;
	if (!p)
		return 0;
	__u32 policy = p->policy;
	if (policy < 64 && !((MMP_FILE_POLICIES >> policy) & 1))
		return 0;
	*none = 0;
	__u32 slot;
	if (bpf_map_pop_elem(&mmp_file_free, &slot) < 0)
		return 0;   /* none ready: found at a later access */
	struct mmp_file_stats *f = bpf_map_lookup_elem(&mmp_file_stats, &slot);
	if (!f)
		return 0;   /* a slot out of range: never given */
	f->dev = dev;   /* before it is found: the memos check it */
	f->ino = ino;
	struct mmp_file_key k = { .dev = dev, .ino = ino };
	if (bpf_map_update_elem(&mmp_files, &k, &slot, BPF_NOEXIST) < 0) {
		bpf_map_push_elem(&mmp_file_free, &slot, 0);   /* found on another CPU meanwhile, or full */
		return mmp_file(dev, ino);
	}
	__sync_fetch_and_add(files_gen, 1);   /* other CPUs' memos of it as unwatched */
	mmp_emit_file(inode, tgid, policy, dev, ino, slot);
	return f;
}

/* The piece of F that holds page INDEX, or NULL: the file is not counted
 * in pieces, or the page lies past the pieces it was given. */
static __always_inline struct mmp_piece *mmp_piece_of(struct mmp_file_stats *f, __u64 index)
{
#ifdef MMP_PIECE_SHIFT
	__u64 pieces = *(volatile __u64 *)&f->pieces;   /* one load: base and count agree */
	__u32 n = (__u32)pieces;
	__u64 i = index >> MMP_PIECE_PAGES_SHIFT;
	if (!n)
		return 0;
	if (i >= n) {
		f->past_pieces = 1;   /* the file grew: the runtime gives it more */
		return 0;
	}
	__u32 at = (__u32)(pieces >> 32) + (__u32)i;
	return bpf_map_lookup_elem(&mmp_pieces, &at);
#else
	return 0;
#endif
}

#define MMP_PIECES_A_READ 64   /* a larger read is a scan: its first pieces tell */

/* Whether the current thread reads as a scanner: its process is governed
 * by a policy whose evict blocks name scanners (MMP_SCANNER_POLICIES), and
 * the runtime judged its name now to be one of theirs (a policy file's
 * blocks all name the same scanners: sema). A name not judged
 * yet is asked once and counts as no scanner's meanwhile. */
static __always_inline int mmp_scanning(void)
{
#ifdef MMP_WANT_SCANNERS
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct mmp_proc *p = bpf_map_lookup_elem(&mmp_procs, &tgid);
	if (!p)
		return 0;
	__u32 policy = p->policy;
	if (policy >= 64 ? !MMP_SCANNER_POLICIES_BEYOND : !((MMP_SCANNER_POLICIES >> policy) & 1))
		return 0;   /* past 63: asked, and the runtime answers no for a policy with none */
	struct mmp_scan_task *t = bpf_task_storage_get(&mmp_scan_tasks, bpf_get_current_task_btf(), 0,
						       BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (t && t->verdict && t->policy == policy)
		return t->verdict == MMP_SCAN_YES;
	struct mmp_scan_name name = { .policy = policy };
	bpf_get_current_comm(name.comm, sizeof(name.comm));
	__u8 *verdict = bpf_map_lookup_elem(&mmp_scan_names, &name);
	if (verdict) {
		__u8 v = *verdict;
		if (t && v != MMP_SCAN_ASKED) {
			t->policy = policy;
			t->verdict = v;
		}
		return v == MMP_SCAN_YES;
	}
	__u8 asked = MMP_SCAN_ASKED;
	if (bpf_map_update_elem(&mmp_scan_names, &name, &asked, BPF_NOEXIST) < 0)
		return 0;   /* asked on another CPU meanwhile */
	struct mmp_scan_name_event *e = bpf_ringbuf_reserve(&mmp_events, sizeof(*e), 0);
	if (!e) {
		bpf_map_delete_elem(&mmp_scan_names, &name);   /* asked again at the next read */
		mmp_count_lost();
		return 0;
	}
	e->kind = MMP_EV_SCAN_NAME;
	e->pid = tgid;
	e->name = name;
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);   /* one a name: the verdict is wanted now */
	return 0;
#else
	return 0;
#endif
}

/* Pages FIRST to LAST of F accessed at NOW_NS, piece by piece. The
 * file's run of pieces is read once for the whole read. */
static __always_inline void mmp_pieces_access(struct mmp_file_stats *f, __u64 first, __u64 last, __u64 now_ns,
					      int scan)
{
#ifdef MMP_PIECE_SHIFT
	__u64 pieces = *(volatile __u64 *)&f->pieces;   /* one load: base and count agree */
	__u32 n = (__u32)pieces, base = (__u32)(pieces >> 32);
	if (!n)
		return;
	__u32 ms = (__u32)(now_ns / 1000000);
	__u64 p = first >> MMP_PIECE_PAGES_SHIFT, end = last >> MMP_PIECE_PAGES_SHIFT;
	for (int i = 0; i < MMP_PIECES_A_READ && p <= end; i++, p++) {
		if (p >= n) {
			f->past_pieces = 1;   /* the file grew: the runtime gives it more */
			break;
		}
		__u32 at = base + (__u32)p;
		struct mmp_piece *pc = bpf_map_lookup_elem(&mmp_pieces, &at);
		if (!pc)
			break;
		__u64 lo = p << MMP_PIECE_PAGES_SHIFT, hi = lo + (1ULL << MMP_PIECE_PAGES_SHIFT) - 1;
		__u64 pages = (last < hi ? last : hi) - (first > lo ? first : lo) + 1;
		__sync_fetch_and_add(&pc->accesses, pages);
		if (scan)
			__sync_fetch_and_add(&pc->scan_accesses, pages);
		if (!pc->first_ms)
			pc->first_ms = ms;
		/* Never back, as the file's last_ns; ms wraps after 49 days. */
		if (!pc->last_ms || (__s32)(ms - pc->last_ms) > 0)
			pc->last_ms = ms;
		/* The first read since it was cached: a candidate for the
		 * runtime's next step (two readers may both send it: the
		 * runtime takes it once). A full ring loses it to the next
		 * scoring, which sees every piece. */
		if (pc->fresh) {
			pc->fresh = 0;
			bpf_ringbuf_output(&mmp_fresh_pieces, &at, sizeof(at), BPF_RB_NO_WAKEUP);
		}
	}
#endif
}

/* The monotonic clock to the tick: read once a tick on each CPU. */
static __always_inline __u64 mmp_read_clock(struct mmp_read_memo *m)
{
	__u64 tick = bpf_jiffies64();
	if (m->tick != tick || !m->now_ns) {
		m->now_ns = bpf_ktime_get_ns();
		m->tick = tick;
	}
	return m->now_ns;
}

/* The watched file DEV:INO's figures, for a read by TGID, or NULL where
 * it is not watched (and TGID's read does not make it so): from this
 * CPU's memo when its last reads found the same, else looked up and kept
 * there. The generations are read before the lookups and bumped after
 * the changes, so a memo made across a change is void at the next read. */
static __always_inline struct mmp_file_stats *mmp_file_memo(struct mmp_read_memo *m, struct inode *inode, __u32 tgid,
							    __u32 dev, __u64 ino, int preemptible)
{
	__u32 zero = 0;
	__u64 *files_gen = bpf_map_lookup_elem(&mmp_files_gen, &zero);
	if (!files_gen)
		return 0;
	__u64 g = *(volatile __u64 *)files_gen + 1;
	if (m->files_gen == g && m->ino == ino && m->dev == dev) {
		__u32 s = m->slot;
		struct mmp_file_stats *f = bpf_map_lookup_elem(&mmp_file_stats, &s);
		if (f && (!preemptible || (f->ino == ino && f->dev == dev)))
			return f;   /* else torn: looked up */
	}
	__u64 *epoch = bpf_map_lookup_elem(&mmp_epoch, &zero);
	if (!epoch)
		return 0;
	__u64 e = *(volatile __u64 *)epoch;
	if (m->none_gen == g && m->none_epoch == e && m->none_ino == ino && m->none_dev == dev && m->none_tgid == tgid)
		return 0;
	struct mmp_file_key k = { .dev = dev, .ino = ino };
	__u32 *slot = bpf_map_lookup_elem(&mmp_files, &k);
	if (!slot) {
		int none;
		struct mmp_file_stats *f = mmp_file_found(inode, tgid, dev, ino, files_gen, &none);
		if (!f && none) {
			m->none_dev = dev;
			m->none_ino = ino;
			m->none_tgid = tgid;
			m->none_epoch = e;
			m->none_gen = g;
		}
		return f;   /* kept in the memo at its next read */
	}
	__u32 s = *slot;
	m->slot = s;
	m->dev = dev;
	m->ino = ino;
	m->files_gen = g;
	return bpf_map_lookup_elem(&mmp_file_stats, &s);
}

/* Pages FIRST to LAST of INODE's file read or faulted on. INODE comes
 * from the BTF-typed arguments of the programs below, so its fields are
 * plain loads that the verifier guards (a fault reads 0), not helper
 * calls: this runs at every read(2) of every process. */
static __always_inline void mmp_file_access(struct inode *inode, __u64 first, __u64 last, int preemptible)
{
	if (!inode)
		return;
	struct super_block *sb = inode->i_sb;
	if (!sb)
		return;
	__u32 dev = sb->s_dev;
	__u64 ino = inode->i_ino;
	__u32 zero = 0;
	struct mmp_read_memo *m = bpf_map_lookup_elem(&mmp_read_memo, &zero);
	if (!m)
		return;
	struct mmp_file_stats *f = mmp_file_memo(m, inode, bpf_get_current_pid_tgid() >> 32, dev, ino, preemptible);
	if (!f)
		return;
	__u64 now = mmp_read_clock(m);
	__u64 pages = last >= first ? last - first + 1 : 1;
	int scan = mmp_scanning();
	__sync_fetch_and_add(&f->accesses, pages);
	if (scan)
		__sync_fetch_and_add(&f->scan_accesses, pages);
	if (!f->first_ns)
		f->first_ns = now;
	if (now > f->last_ns)   /* another CPU's tick may have begun later */
		f->last_ns = now;
	mmp_pieces_access(f, first, last >= first ? last : first, now, scan);
}

#ifdef MMP_WANT_SCANNERS
/* A thread renamed reads as its new name says: its kept verdict goes. */
SEC("tp_btf/task_rename")
int BPF_PROG(mmp_scan_renamed, struct task_struct *task, const char *comm)
{
	bpf_task_storage_delete(&mmp_scan_tasks, task);
	return 0;
}
#endif

static __always_inline __u64 mmp_folio_pages(struct trace_event_raw_mm_filemap_op_page_cache *ctx)
{
	if (!bpf_core_field_exists(ctx->order))
		return 1;
	return 1ULL << (ctx->order & 31);
}

SEC("tp/filemap/mm_filemap_add_to_page_cache")
int mmp_file_added(struct trace_event_raw_mm_filemap_op_page_cache *ctx)
{
	struct mmp_file_stats *f = mmp_file(ctx->s_dev, ctx->i_ino);
	if (f) {
		__u64 pages = mmp_folio_pages(ctx);
		__sync_fetch_and_add(&f->misses, pages);
		__sync_fetch_and_add(&f->resident, pages);
		/* A folio lies in one piece when pieces are at least its size;
		 * a larger one is counted in its first. */
		struct mmp_piece *pc = mmp_piece_of(f, ctx->index);
		if (pc) {
			__sync_fetch_and_add(&pc->misses, pages);
			__sync_fetch_and_add(&pc->resident, pages);
			pc->fresh = 1;
		}
	}
	return 0;
}

SEC("tp/filemap/mm_filemap_delete_from_page_cache")
int mmp_file_deleted(struct trace_event_raw_mm_filemap_op_page_cache *ctx)
{
	struct mmp_file_stats *f = mmp_file(ctx->s_dev, ctx->i_ino);
	if (f) {
		__u64 pages = mmp_folio_pages(ctx);
		__sync_fetch_and_add(&f->evicted, pages);
		__sync_fetch_and_sub(&f->resident, pages);
		struct mmp_piece *pc = mmp_piece_of(f, ctx->index);
		if (pc)
			__sync_fetch_and_sub(&pc->resident, pages);
	}
	return 0;
}

/* read(2) and friends: the pages each batch of filemap_read() covers. BTF
 * tracepoints, for the file's inode: its names, when it is new. */
SEC("tp_btf/mm_filemap_get_pages")
int BPF_PROG(mmp_file_read, struct address_space *mapping, unsigned long first, unsigned long last)
{
	mmp_file_access(mapping->host, first, last, 0);
	return 0;
}

SEC("tp_btf/mm_filemap_fault")
int BPF_PROG(mmp_file_fault, struct address_space *mapping, unsigned long index)
{
	mmp_file_access(mapping->host, index, index, 0);
	return 0;
}

/* The stand-ins the runtime loads where the kernel lacks the tracepoints
 * above (runtime/hooks.c pairs them by the '__older' suffix): the entry of
 * the functions those tracepoints sit in. */
SEC("fentry/filemap_read")
int BPF_PROG(mmp_file_read__older, struct kiocb *iocb, struct iov_iter *iter)
{
	__s64 pos = iocb->ki_pos;
	__u64 count = iter->count;
	struct file *file = iocb->ki_filp;
	if (pos < 0 || !count || !file)
		return 0;
	__u64 first = (__u64)pos >> 12, last = ((__u64)pos + count - 1) >> 12;
	mmp_file_access(file->f_inode, first, last, 1);
	return 0;
}

SEC("fentry/filemap_fault")
int BPF_PROG(mmp_file_fault__older, struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct file *file = vma ? vma->vm_file : 0;
	if (file)
		mmp_file_access(file->f_inode, vmf->pgoff, vmf->pgoff, 1);
	return 0;
}

#endif
