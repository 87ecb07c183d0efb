/* mmp_evict.bpf.h - what the evict rules observe of files: each watched
 * file's accesses, misses and pages in the page cache, from the filemap
 * tracepoints, which see read(2) as well as faults (the page faults of
 * mapped regions are counted in mmp_progs.bpf.h). Included by generated
 * code whose policies have an 'evict' block.
 *
 * The runtime adds the files of the policies' file regions to mmp_files
 * (keyed as the kernel keys them: s_dev is MAJOR << 20 | MINOR) and seeds
 * 'resident' from mincore; BPF keeps the counts from then on.
 */
#ifndef MMP_EVICT_BPF_H
#define MMP_EVICT_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, MMP_MAX_FILES);
	__type(key, struct mmp_file_key);
	__type(value, struct mmp_file_stats);
} mmp_files SEC(".maps");

/* The classic tracepoints' records, relocated against the running
 * kernel's BTF (CO-RE). 'order' came with large folios in the page cache;
 * where a record has none (6.1), it is one page. */
struct trace_event_raw_mm_filemap_op_page_cache {
	unsigned long i_ino;
	__u32 s_dev;
	unsigned char order;
} __attribute__((preserve_access_index));

struct trace_event_raw_mm_filemap_op_page_cache_range {
	unsigned long i_ino;
	__u32 s_dev;
	unsigned long index, last_index;
} __attribute__((preserve_access_index));

/* What the stand-ins for kernels without the range tracepoints (6.1 has
 * neither) read: a read(2)'s file and range, a fault's file. */
struct super_block {
	__u32 s_dev;
} __attribute__((preserve_access_index));

struct inode {
	unsigned long i_ino;
	struct super_block *i_sb;
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
} __attribute__((preserve_access_index));

static __always_inline struct mmp_file_stats *mmp_file(__u32 dev, unsigned long ino)
{
	struct mmp_file_key k = { .dev = dev, .ino = ino };
	return bpf_map_lookup_elem(&mmp_files, &k);
}

static __always_inline void mmp_file_access(__u32 dev, unsigned long ino, __u64 pages)
{
	struct mmp_file_stats *f = mmp_file(dev, ino);
	if (!f)
		return;
	__u64 now = bpf_ktime_get_ns();
	__sync_fetch_and_add(&f->accesses, pages);
	if (!f->first_ns)
		f->first_ns = now;
	f->last_ns = now;
}

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
	}
	return 0;
}

/* read(2) and friends: the pages each batch of filemap_read() covers. */
SEC("tp/filemap/mm_filemap_get_pages")
int mmp_file_read(struct trace_event_raw_mm_filemap_op_page_cache_range *ctx)
{
	unsigned long first = ctx->index, last = ctx->last_index;
	mmp_file_access(ctx->s_dev, ctx->i_ino, last >= first ? last - first + 1 : 1);
	return 0;
}

SEC("tp/filemap/mm_filemap_fault")
int mmp_file_fault(struct trace_event_raw_mm_filemap_op_page_cache_range *ctx)
{
	mmp_file_access(ctx->s_dev, ctx->i_ino, 1);
	return 0;
}

/* The stand-ins the runtime loads where the kernel lacks the tracepoints
 * above (runtime/hooks.c pairs them by the '__older' suffix): the entry of
 * the functions those tracepoints sit in. */
static __always_inline void mmp_file_access_of(struct file *file, __u64 pages)
{
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	if (inode)
		mmp_file_access(BPF_CORE_READ(inode, i_sb, s_dev), BPF_CORE_READ(inode, i_ino), pages);
}

SEC("fentry/filemap_read")
int BPF_PROG(mmp_file_read__older, struct kiocb *iocb, struct iov_iter *iter)
{
	__s64 pos = BPF_CORE_READ(iocb, ki_pos);
	__u64 count = BPF_CORE_READ(iter, count);
	if (pos < 0 || !count)
		return 0;
	__u64 first = (__u64)pos >> 12, last = ((__u64)pos + count - 1) >> 12;
	mmp_file_access_of(BPF_CORE_READ(iocb, ki_filp), last - first + 1);
	return 0;
}

SEC("fentry/filemap_fault")
int BPF_PROG(mmp_file_fault__older, struct vm_fault *vmf)
{
	mmp_file_access_of(BPF_CORE_READ(vmf, vma, vm_file), 1);
	return 0;
}

#endif
