/* evict_files.c - the files the evict blocks see: every file a governed
 * process reads or faults on, open or closed by now. BPF watches a file
 * from its first access (an entry in mmp_files) and names it in an
 * MMP_EV_FILE; here the name becomes a path (mountinfo, checked with
 * stat), and the blocks whose regions select it get a unit for it. Its
 * figures are at a slot of an array mapped here: BPF takes slots from a
 * queue this file keeps stocked, and gets them back zeroed. A file is kept
 * while it has pages in the page cache or was read in the last minute,
 * whether a process still has it open or not. See evict_state.h. */
#define _GNU_SOURCE
#include "evict_state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "clock.h"
#include "log.h"
#include "vmas.h"

#define FORGET_NS (60 * 1000000000LL)      /* idle and uncached this long: forgotten */
#define MOUNTS_NS 1000000000LL             /* mountinfo read again at most this often */

struct watched *evict_file_find(struct evictor *e, const struct mmp_file_key *k)
{
	return file_table_find(&e->files, k);
}

/* The kernel's dev_t, as BPF reads it from the superblock. */
static uint32_t kernel_dev(dev_t d)
{
	return (uint32_t)(major(d) << 20 | minor(d));
}

unsigned char *evict_cached_map(int fd, uint64_t size, uint64_t page)
{
	void *m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return NULL;
	unsigned char *vec = malloc((size + page - 1) / page);
	if (vec && mincore(m, size, vec) < 0) {
		free(vec);
		vec = NULL;
	}
	munmap(m, size);
	return vec;
}

#ifndef SYS_cachestat
#define SYS_cachestat 451
#endif

/* cachestat(2)'s (Linux 6.5) range and answer; Debian 12's headers have
 * neither. */
struct cachestat_range {
	uint64_t off, len;
};

struct cachestat_answer {
	uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
};

/* The page-cache pages of the file open at FD (SIZE bytes) now:
 * cachestat, one call, where the kernel has it (a scan's first pass names
 * thousands of files a second); mincore otherwise. */
static int64_t resident_pages(int fd, uint64_t size, uint64_t page)
{
	static bool no_cachestat;
	if (!size)
		return 0;
	struct cachestat_range r = { 0, 0 };   /* 0: to the end */
	struct cachestat_answer c;
	if (!no_cachestat) {
		if (syscall(SYS_cachestat, fd, &r, &c, 0) == 0)
			return (int64_t)c.nr_cache;
		no_cachestat = errno == ENOSYS;
	}
	unsigned char *vec = evict_cached_map(fd, size, page);
	int64_t n = 0;
	for (size_t i = 0; vec && i < (size + page - 1) / page; i++)
		n += vec[i] & 1;
	free(vec);
	return n;
}

/* PATH opened to read its cache state, not its data. */
static int open_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOATIME | O_NONBLOCK);
	if (fd < 0 && errno == EPERM)   /* O_NOATIME: not the file's owner */
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	return fd;
}

int64_t evict_file_cached(const struct watched *w)
{
	return w->base + w->fs->resident;
}

/* --- slots -------------------------------------------------------------- */

/* A free slot: one given back, or one never used; false when all are
 * taken. */
static bool take_slot(struct evictor *e, uint32_t *slot)
{
	if (e->nspare) {
		*slot = e->spare[--e->nspare];
		return true;
	}
	if (e->next_slot >= MMP_MAX_FILES) {
		if (!e->warned_full)
			mmp_warn("evict: BPF watches %d files, as many as it can: files first read from now on are not "
				 "scored until others are forgotten (a minute without access and without cached pages)",
				 MMP_MAX_FILES);
		e->warned_full = true;
		return false;
	}
	*slot = e->next_slot++;
	return true;
}

/* SLOT free again, its figures zeroed for the next file. */
static void give_slot(struct evictor *e, uint32_t slot)
{
	if (slot >= MMP_MAX_FILES)
		return;
	memset(&e->fstats[slot], 0, sizeof(e->fstats[slot]));
	if (e->nspare == e->capspare) {
		size_t cap = e->capspare ? e->capspare * 2 : 1024;
		uint32_t *n = realloc(e->spare, cap * sizeof(*n));
		if (!n)
			return;   /* lost until the runtime ends */
		e->spare = n;
		e->capspare = cap;
	}
	e->spare[e->nspare++] = slot;
}

/* Voids BPF's memos of the files each CPU read last (mmp_read_memo):
 * called after a file enters mmp_files, and after one leaves it
 * (give_unwatched_slot). Atomic: BPF bumps it too. */
static void files_gen_bump(struct evictor *e)
{
	__atomic_fetch_add(e->files_gen, 1, __ATOMIC_SEQ_CST);
}

/* Frees SLOT, whose file has left mmp_files: the memos are voided first,
 * so that none made before the removal counts a read for the slot's next
 * file. */
static void give_unwatched_slot(struct evictor *e, uint32_t slot)
{
	files_gen_bump(e);
	give_slot(e, slot);
}

/* Fills BPF's queue of free slots: a scan's first pass finds thousands
 * of files between two ticks. */
static void stock(struct evictor *e)
{
	uint32_t slot;
	while (take_slot(e, &slot)) {
		if (bpf_map_update_elem(e->free_fd, NULL, &slot, BPF_ANY) < 0) {
			give_slot(e, slot);   /* full */
			return;
		}
	}
}

int evict_files_setup(struct evictor *e, const struct loaded *l)
{
	e->files_fd = loader_map_fd(l, "mmp_files");
	e->free_fd = loader_map_fd(l, "mmp_file_free");
	e->dump = (struct map_dump){ .key_size = sizeof(struct mmp_file_key), .value_size = sizeof(__u32) };
	if (e->files_fd < 0 || e->free_fd < 0) {
		mmp_error("evict: the policy's object has no file maps");
		return -EINVAL;
	}
	e->fstats_len = (size_t)MMP_MAX_FILES * sizeof(struct mmp_file_stats);
	e->fstats = loader_map_mmap(l, "mmp_file_stats", e->fstats_len, "the files' figures (evict)");
	if (!e->fstats)
		return -errno;
	e->files_gen = loader_map_mmap(l, "mmp_files_gen", (size_t)sysconf(_SC_PAGESIZE), "the files' generation (evict)");
	if (!e->files_gen)
		return -errno;
	stock(e);
	return 0;
}

/* A new watched file of KEY; PATH, open at FD, and ST when it was found,
 * and WHY (for the log). Its pages cached so far are counted once here;
 * BPF counts the rest. */
static struct watched *add_file(struct evictor *e, const struct mmp_file_key *k, uint32_t slot, const char *path,
				int fd, const struct stat *st, const char *why)
{
	struct watched *w = calloc(1, sizeof(*w));
	if (!w || (path && !(w->path = strdup(path)))) {
		free(w);
		mmp_warn("evict: a file is left unwatched: out of memory");
		return NULL;
	}
	w->key = *k;
	w->fd = -1;
	w->found_ns = mono_ns();
	w->slot = slot;
	w->fs = &e->fstats[slot];
	if (path) {
		w->size = (uint64_t)st->st_size;
		int64_t counted = w->fs->resident;
		w->base = resident_pages(fd, w->size, e->page) - counted;
	}
	if (file_table_add(&e->files, w) < 0) {
		free(w->path);
		free(w);
		mmp_warn("evict: a file is left unwatched: out of memory");
		return NULL;
	}
	if (path)
		mmp_debug("evict: watching %s (%" PRIu64 " bytes, %" PRId64 " pages cached): %s", path, w->size,
			  (int64_t)(w->base + w->fs->resident), why);
	return w;
}

struct watched *evict_file_at(struct evictor *e, const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return NULL;
	struct mmp_file_key k = { .dev = kernel_dev(st.st_dev), .ino = st.st_ino };
	struct watched *w = evict_file_find(e, &k);
	if (w) {
		if (!w->path)   /* not named by its event */
			w->path = strdup(path);
		return w;
	}
	int fd = open_file(path);
	if (fd < 0)
		return NULL;
	uint32_t slot;
	if (!take_slot(e, &slot)) {
		close(fd);
		return NULL;
	}
	e->fstats[slot].dev = k.dev;   /* before it is found: BPF's memos check it */
	e->fstats[slot].ino = k.ino;
	if (bpf_map_update_elem(e->files_fd, &k, &slot, BPF_NOEXIST) < 0) {
		int err = errno;
		give_slot(e, slot);
		/* BPF found it meanwhile (its event is on the way): its slot. */
		if (err != EEXIST || bpf_map_lookup_elem(e->files_fd, &k, &slot) < 0) {
			mmp_debug("evict: cannot watch %s: %s", path, strerror(err));
			close(fd);
			return NULL;
		}
	} else {
		files_gen_bump(e);   /* memos of it as unwatched */
	}
	w = add_file(e, &k, slot, path, fd, &st, "a governed process has it open or mapped");
	close(fd);
	return w;
}

static void read_mounts(struct evictor *e, long long now)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return;
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	char buf[4096];
	size_t n;
	while (m && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, m);
	fclose(f);
	if (!m)
		return;
	fclose(m);
	struct mount_table t;
	if (text && mount_table_parse(&t, text) == 0) {
		mount_table_free(&e->mounts);
		e->mounts = t;
		e->mounts_ns = now;
	}
	free(text);
}

/* The path of EV's file as mmp's mount namespace sees it, and the file
 * open (-1: not found): each place its file system is mounted that holds
 * its directory, checked by device and inode. */
static int open_named(struct evictor *e, const struct mmp_file_event *ev, char *path, size_t len, struct stat *st)
{
	char rel[PATH_MAX];
	if (!ev->complete || !file_names_path(ev->names, ev->len < MMP_FILE_NAMES ? ev->len : MMP_FILE_NAMES, rel, sizeof(rel)))
		return -1;
	long long now = mono_ns();
	for (int again = 0; again < 2; again++) {
		if (again || !e->mounts.n) {
			if (now - e->mounts_ns < MOUNTS_NS && e->mounts.n)
				return -1;
			read_mounts(e, now);   /* a mount made since */
		}
		for (size_t i = 0; mount_table_place(&e->mounts, ev->dev, rel, i, path, len); i++) {
			int fd = open_file(path);
			if (fd >= 0 && fstat(fd, st) == 0 && S_ISREG(st->st_mode) && kernel_dev(st->st_dev) == ev->dev &&
			    st->st_ino == ev->ino)
				return fd;
			if (fd >= 0)
				close(fd);
		}
	}
	return -1;
}

void evict_file_found(struct evictor *e, const struct mmp_file_event *ev)
{
	struct mmp_file_key k = { .dev = ev->dev, .ino = ev->ino };
	if (evict_file_find(e, &k))
		return;   /* already added from a process's open files */
	char path[PATH_MAX];
	struct stat st;
	/* The event is stale where its entry left mmp_files since (forgotten
	 * after a lost event, while this one waited in the ring): the slot
	 * may be another file's now. A file found again has an event of its
	 * own on the way. */
	__u32 slot;
	if (ev->slot >= MMP_MAX_FILES || bpf_map_lookup_elem(e->files_fd, &k, &slot) < 0 || slot != ev->slot)
		return;
	int fd = open_named(e, ev, path, sizeof(path), &st);
	bool named = fd >= 0;
	char why[64];
	snprintf(why, sizeof(why), "pid %u read it", ev->pid);
	struct watched *w = add_file(e, &k, ev->slot, named ? path : NULL, fd, &st, why);
	if (fd >= 0)
		close(fd);
	if (!w || !named) {
		e->unnamed += w != NULL;
		if (w)
			mmp_debug("evict: pid %u read a file (device %u:%u, inode %" PRIu64 ") not found by its names%s",
				  ev->pid, ev->dev >> 20, ev->dev & 0xfffff, (uint64_t)ev->ino,
				  ev->complete ? "" : " (too deep)");
		return;
	}
	/* A unit in each block of the process's policy whose regions select it. */
	for (size_t b = 0; b < e->nblocks; b++) {
		const struct mmp_evict_rule *rule = e->blocks[b].rule;
		if (rule->policy != ev->policy)
			continue;
		for (size_t s = 0; s < rule->nscores; s++) {
			const struct mmp_plan_region *reg = &e->obj->plan.regions[rule->scores[s].region];
			if (reg->may_be_file && file_selected(reg->select, path, w->size))
				evict_file_unit(e, (unsigned)b, rule->scores[s].region, w);
		}
	}
	if (!w->units)
		mmp_debug("evict: no region selects %s", path);
}

void evict_files_tick(struct evictor *e)
{
	stock(e);
	if (e->gov->lost == e->lost_seen)
		return;
	/* Entries whose event was lost can never be named: forgotten, and
	 * their slots freed, so that BPF names them at their next access.
	 * Entries whose event still waits in the ring cannot be told apart
	 * and go too: evict_file_found drops such an event, since its entry
	 * is gone, and the next access names the file anew. */
	e->lost_seen = e->gov->lost;
	size_t n = map_dump_read(&e->dump, e->files_fd);
	const struct mmp_file_key *keys = e->dump.keys;
	const __u32 *slots = e->dump.values;
	for (size_t i = 0; i < n; i++)
		if (!evict_file_find(e, &keys[i]) && bpf_map_delete_elem(e->files_fd, &keys[i]) == 0)
			give_unwatched_slot(e, slots[i]);
}

/* Nothing needs W any more: no page cached, no access for a minute, and
 * no governed process holding it open or mapped now. */
static bool unneeded(const struct watched *w, long long now)
{
	if (w->forget)
		return true;
	for (const struct unit *u = w->units; u; u = u->next_of_file)
		if (u->seen)
			return false;
	long long last = w->fs->last_ns ? (long long)w->fs->last_ns : w->found_ns;
	return w->base + w->fs->resident <= 0 && now - last >= FORGET_NS;
}

void evict_files_forget(struct evictor *e, long long now)
{
	size_t gone = 0;
	for (size_t i = 0; i < e->files.cap; i++) {
		struct watched *w = e->files.slots[i];
		if (w && unneeded(w, now)) {
			w->forget = true;
			gone++;
		}
	}
	if (!gone)
		return;
	e->units_gen++;   /* the blocks' orders index units */
	/* Their units, in one pass over the units. */
	for (size_t i = 0; i < e->nunits;) {
		struct unit *u = e->units[i];
		if (u->file && u->w->forget) {
			evict_unit_free(u);
			e->units[i] = e->units[--e->nunits];
		} else {
			i++;
		}
	}
	/* Then the files: a removal moves entries back, so the slot is
	 * looked at again after one. */
	for (size_t i = 0; i < e->files.cap;) {
		struct watched *w = e->files.slots[i];
		if (!w || !w->forget) {
			i++;
			continue;
		}
		int removed = bpf_map_delete_elem(e->files_fd, &w->key) == 0 ? 0 : -errno;
		evict_file_pieces_free(e, w);
		/* A slot whose entry was not there to remove is not known to
		 * be free: kept out of use. */
		if (!removed)
			give_unwatched_slot(e, w->slot);
		else
			mmp_debug("evict: file slot %u not freed: %s", w->slot, strerror(-removed));
		file_table_remove(&e->files, &w->key);
		free(w->path);
		free(w);
	}
}

int evict_file_open(struct watched *w)
{
	if (!w->path)
		return -1;
	int fd = open_file(w->path);
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) == 0 && kernel_dev(st.st_dev) == w->key.dev && st.st_ino == w->key.ino) {
		w->size = (uint64_t)st.st_size;
		return fd;
	}
	/* Removed, or another file at its path now: BPF's figures are not
	 * that file's. */
	mmp_debug("evict: %s is no longer the file mmp watched: forgotten", w->path);
	if (fd >= 0)
		close(fd);
	w->forget = true;
	return -1;
}

void evict_files_free(struct evictor *e)
{
	for (size_t i = 0; i < e->files.cap; i++) {
		struct watched *w = e->files.slots[i];
		if (w) {
			free(w->path);
			free(w);
		}
	}
	file_table_free(&e->files);
	map_dump_free(&e->dump);
	mount_table_free(&e->mounts);
	free(e->spare);
	if (e->fstats)
		munmap(e->fstats, e->fstats_len);
	if (e->files_gen)
		munmap(e->files_gen, (size_t)sysconf(_SC_PAGESIZE));
}
