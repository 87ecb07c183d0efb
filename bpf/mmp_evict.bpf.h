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

/* The classic tracepoints' records (tracefs format files). */
struct mmp_tp_filemap_page {
	__u64 common;
	unsigned long pfn, i_ino, index;
	__u32 s_dev;
	__u8 order;
};

struct mmp_tp_filemap_range {
	__u64 common;
	unsigned long i_ino;
	__u32 s_dev;
	unsigned long index, last_index;
};

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

SEC("tp/filemap/mm_filemap_add_to_page_cache")
int mmp_file_added(struct mmp_tp_filemap_page *ctx)
{
	struct mmp_file_stats *f = mmp_file(ctx->s_dev, ctx->i_ino);
	if (f) {
		__u64 pages = 1ULL << (ctx->order & 31);
		__sync_fetch_and_add(&f->misses, pages);
		__sync_fetch_and_add(&f->resident, pages);
	}
	return 0;
}

SEC("tp/filemap/mm_filemap_delete_from_page_cache")
int mmp_file_deleted(struct mmp_tp_filemap_page *ctx)
{
	struct mmp_file_stats *f = mmp_file(ctx->s_dev, ctx->i_ino);
	if (f) {
		__u64 pages = 1ULL << (ctx->order & 31);
		__sync_fetch_and_add(&f->evicted, pages);
		__sync_fetch_and_sub(&f->resident, pages);
	}
	return 0;
}

/* read(2) and friends: the pages each batch of filemap_read() covers. */
SEC("tp/filemap/mm_filemap_get_pages")
int mmp_file_read(struct mmp_tp_filemap_range *ctx)
{
	__u64 n = ctx->last_index >= ctx->index ? ctx->last_index - ctx->index + 1 : 1;
	mmp_file_access(ctx->s_dev, ctx->i_ino, n);
	return 0;
}

SEC("tp/filemap/mm_filemap_fault")
int mmp_file_fault(struct mmp_tp_filemap_range *ctx)
{
	mmp_file_access(ctx->s_dev, ctx->i_ino, 1);
	return 0;
}

#endif
