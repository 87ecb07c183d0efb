/* pieceprobe.c - does a policy over 4K pieces keep the pieces its counts
 * rank highest? rocksdb.sh runs it (KV_PIECE_PROBE=1) after each run of a
 * variant with a unit of 4K, while mmp still runs: for the FILES given, it
 * reads BPF's count of each piece (mmp_pieces, through the file's slot in
 * mmp_files and its range in mmp_file_stats, the newest maps of those
 * names) and which of the file's pages are cached (mincore), and prints
 *
 *   pieces=N cached=C top_cached_pct=T cached_reads_pct=R top_reads_pct=B
 *
 * T: of the C pieces with the highest counts, the share cached; R: the
 * share of all counted reads that the cached pieces took; B: the share the
 * C highest took, which no choice of C pieces by their reads so far beats.
 * Build: cc -O2 -o pieceprobe pieceprobe.c -lbpf (as root to run). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "../../bpf/mmp_shared.h"

struct piece {
	unsigned long long reads;
	int cached;
};

/* The newest map named NAME (each mmp run loads its own), its fd. */
static int map_by_name(const char *name, struct bpf_map_info *info)
{
	__u32 id = 0, newest = 0;
	int fd = -1;
	while (bpf_map_get_next_id(id, &id) == 0) {
		int f = bpf_map_get_fd_by_id(id);
		if (f < 0)
			continue;
		struct bpf_map_info in = { 0 };
		__u32 len = sizeof(in);
		if (bpf_obj_get_info_by_fd(f, &in, &len) == 0 && strcmp(in.name, name) == 0 && id > newest) {
			if (fd >= 0)
				close(fd);
			fd = f;
			newest = id;
			*info = in;
		} else {
			close(f);
		}
	}
	return fd;
}

static int by_reads(const void *a, const void *b)
{
	const struct piece *x = a, *y = b;
	return x->reads < y->reads ? 1 : x->reads > y->reads ? -1 : 0;
}

/* Appends FILE's pieces to *P (N of CAP). */
static int add_file(const char *path, int files, const struct mmp_file_stats *fs, const struct mmp_piece *pcs,
		    __u32 npcs, struct piece **p, size_t *n, size_t *cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size == 0) {
		fprintf(stderr, "pieceprobe: %s: %s\n", path, fd < 0 ? strerror(errno) : "empty");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* The kernel's dev_t, as BPF reads it from the superblock. */
	struct mmp_file_key k = { .dev = major(st.st_dev) << 20 | minor(st.st_dev), .ino = st.st_ino };
	__u32 slot;
	if (bpf_map_lookup_elem(files, &k, &slot) < 0 || slot >= MMP_MAX_FILES) {
		fprintf(stderr, "pieceprobe: %s is not watched\n", path);
		close(fd);
		return -1;
	}
	__u64 range = fs[slot].pieces;
	__u32 base = (__u32)(range >> 32), count = (__u32)range;
	size_t pages = ((size_t)st.st_size + 4095) / 4096;
	unsigned char *vec = malloc(pages);
	void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (!vec || m == MAP_FAILED || mincore(m, (size_t)st.st_size, vec) < 0) {
		fprintf(stderr, "pieceprobe: %s: cannot read its cached pages\n", path);
		free(vec);
		if (m != MAP_FAILED)
			munmap(m, (size_t)st.st_size);
		return -1;
	}
	munmap(m, (size_t)st.st_size);
	for (size_t i = 0; i < count && i < pages && base + i < npcs; i++) {
		if (*n == *cap) {
			size_t c = *cap ? *cap * 2 : 65536;
			struct piece *q = realloc(*p, c * sizeof(*q));
			if (!q) {
				free(vec);
				return -1;
			}
			*p = q;
			*cap = c;
		}
		(*p)[(*n)++] = (struct piece){ .reads = pcs[base + i].accesses, .cached = vec[i] & 1 };
	}
	free(vec);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: pieceprobe FILE...\n");
		return 2;
	}
	struct bpf_map_info pi, si, fi;
	int pfd = map_by_name("mmp_pieces", &pi), sfd = map_by_name("mmp_file_stats", &si);
	int ffd = map_by_name("mmp_files", &fi);
	if (pfd < 0 || sfd < 0 || ffd < 0) {
		fprintf(stderr, "pieceprobe: no mmp_pieces, mmp_file_stats or mmp_files map: is mmp running?\n");
		return 1;
	}
	const struct mmp_piece *pcs = mmap(NULL, (size_t)pi.max_entries * sizeof(*pcs), PROT_READ, MAP_SHARED, pfd, 0);
	const struct mmp_file_stats *fs = mmap(NULL, (size_t)si.max_entries * sizeof(*fs), PROT_READ, MAP_SHARED, sfd, 0);
	if (pcs == MAP_FAILED || fs == MAP_FAILED || si.max_entries < MMP_MAX_FILES) {
		fprintf(stderr, "pieceprobe: cannot map the piece or file figures\n");
		return 1;
	}
	struct piece *p = NULL;
	size_t n = 0, cap = 0, cached = 0;
	for (int i = 1; i < argc; i++)
		add_file(argv[i], ffd, fs, pcs, pi.max_entries, &p, &n, &cap);
	for (size_t i = 0; i < n; i++)
		cached += p[i].cached;
	if (!cached) {
		fprintf(stderr, "pieceprobe: no piece of these files is cached\n");
		return 1;
	}
	qsort(p, n, sizeof(*p), by_reads);
	unsigned long long all = 0, top = 0, of_cached = 0;
	size_t top_cached = 0;
	for (size_t i = 0; i < n; i++) {
		all += p[i].reads;
		if (i < cached) {
			top += p[i].reads;
			top_cached += p[i].cached;
		}
		if (p[i].cached)
			of_cached += p[i].reads;
	}
	printf("pieces=%zu cached=%zu top_cached_pct=%.1f cached_reads_pct=%.1f top_reads_pct=%.1f\n", n, cached,
	       100.0 * (double)top_cached / (double)cached, all ? 100.0 * (double)of_cached / (double)all : 0.0,
	       all ? 100.0 * (double)top / (double)all : 0.0);
	free(p);
	return 0;
}
