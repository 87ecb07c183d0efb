/* guards.h - what a process guards from page-size changes, per mapping:
 * mlock'd, MADV_NOHUGEPAGE and userfaultfd ranges (smaps' VmFlags),
 * PROT_NONE reserves, shared and file mappings. Read from smaps when a
 * process is new or may have changed them, and shared by the hot-chunk
 * collapse and the workers of 'ahead' (it locks itself). */
#ifndef MMP_GUARDS_H
#define MMP_GUARDS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct guards;
struct vma;

struct guards *guards_new(void);
/* Why mapping V (read from smaps, with its VmFlags) must be left as the
 * process has it, or NULL. */
const char *guards_mapping(const struct vma *v);

/* Set in guards_check's *FLAGS for a process that holds a userfaultfd:
 * its registered ranges can change without a sign (an ioctl), so no
 * cached answer is sure for it, and nothing may read its memory. */
#define GUARD_PROC_UFFD (1u << 16)

/* Why [LO, HI) of PID must be left as the process has it, or NULL; *FLAGS
 * gets the mapping's enum vma_flag bits and GUARD_PROC_UFFD. Reads the
 * process's smaps (and, the first time, its fds) if they are not known
 * or may be stale. */
const char *guards_check(struct guards *gs, pid_t pid, uint64_t lo, uint64_t hi, unsigned *flags);
/* PID may have changed what it guards (BPF's MMP_EV_GUARDS, a mapping
 * change): read its smaps again before the next check. UFFD: it made a
 * userfaultfd. */
void guards_changed(struct guards *gs, pid_t pid, bool uffd);
void guards_forget(struct guards *gs, pid_t pid);
void guards_free(struct guards *gs);

/* The reason guards_check gives for a range that is not (all) mapped: no
 * decision about the process's wishes, only about where it is now. */
extern const char guards_unmapped[];

#endif
