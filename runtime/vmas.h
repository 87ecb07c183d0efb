/* vmas.h - a process's mappings, and the policy's regions resolved on them. */
#ifndef MMP_VMAS_H
#define MMP_VMAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "bpf/mmp_shared.h"
#include "compiler/plan.h"

/* What smaps' VmFlags say a process asked of a mapping, where page-size
 * preparation must leave it alone. */
enum vma_flag {
	VMA_LOCKED = 1u << 0,      /* lo: mlock'd */
	VMA_NOHUGEPAGE = 1u << 1,  /* nh: MADV_NOHUGEPAGE */
	VMA_UFFD = 1u << 2,        /* um, uw, ui: registered with a userfaultfd */
	VMA_HUGEPAGE = 1u << 3,    /* hg: MADV_HUGEPAGE (2M pages at fault, by the kernel) */
};

struct vma {
	uint64_t start, end;
	char perms[5];
	char *name;                /* path, [heap], ..., or "" */
	unsigned flags;            /* enum vma_flag; read from smaps only */
	/* From smaps only: resident, referenced (accessed since the bits were
	 * last cleared) and in 2M pages, in kB. */
	uint64_t rss_kb, referenced_kb, anon_huge_kb;
};

struct vma_list {
	struct vma *v;
	size_t n, cap;
};

/* PID's mappings from /proc/PID/maps. 0 or -errno. */
int vmas_read(pid_t pid, struct vma_list *out);
/* PID's mappings with their VmFlags and sizes, from /proc/PID/smaps (which walks
 * the page tables: dearer than maps). 0 or -errno. */
int vmas_read_flags(pid_t pid, struct vma_list *out);
/* The enum vma_flag bits of a "VmFlags: rd wr ..." line. */
unsigned vma_flags_parse(const char *vmflags);
/* The mappings of a maps text (the format of /proc/PID/maps) read from F,
 * into OUT (emptied first); of an smaps text, with each mapping's
 * VmFlags and sizes. 0 or -ENOMEM. */
int vmas_parse(FILE *f, struct vma_list *out);
bool vma_is_anon(const struct vma *v);
/* A file mapping's path, without the " (deleted)" the kernel may append. */
bool vma_file_path(const struct vma *v, char *buf, size_t len);
/* Does a region selector select the file PATH of SIZE bytes (open, not
 * necessarily mapped)? Only file and size tests can. */
bool file_selected(const struct mmp_test *sel, const char *path, uint64_t size);
void vmas_free(struct vma_list *l);

/* The sorted, disjoint ranges of PID's memory that POLICY's regions cover
 * (where two regions overlap, the one declared first). Returns the number
 * of ranges (at most MMP_MAX_RANGES; *truncated says if more were found). */
size_t regions_resolve(const struct mmp_plan *plan, unsigned policy, const struct vma_list *vmas,
		       struct mmp_range *out, bool *truncated);

#endif
