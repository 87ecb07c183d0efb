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

struct guards *guards_new(void);
/* Why [LO, HI) of PID must be left as the process has it, or NULL. Reads
 * the process's smaps first if they are not known, or may be stale. */
const char *guards_check(struct guards *gs, pid_t pid, uint64_t lo, uint64_t hi);
/* PID may have changed what it guards (BPF's MMP_EV_GUARDS): read its
 * smaps again before the next check; before every check from now on if
 * it made a userfaultfd (UFFD), whose ranges change without a sign. */
void guards_changed(struct guards *gs, pid_t pid, bool uffd);
void guards_forget(struct guards *gs, pid_t pid);
void guards_free(struct guards *gs);

/* The reason guards_check gives for a range that is not (all) mapped: no
 * decision about the process's wishes, only about where it is now. */
extern const char guards_unmapped[];

#endif
