/* journal.h - every oom_score_adj the runtime writes, and every cgroup
 * setting it changes, is recorded here before it is written, in NAME_LOCK_DIR/NAME.journal, so that it is put
 * back however the runtime ends: by its own undo on a clean exit, by its
 * guardian (guardian.h) when it is killed, or by the next start under the
 * name, or 'mmp restore', when both were.
 *
 * A record is a line "pid start orig set": the process, its start time
 * (clock ticks, to tell a reused pid), its own value and the value mmp
 * wrote. A value is put back only where the process still holds the
 * value mmp last wrote: one it set itself since is its own, and the next
 * record carries it as the original.
 *
 * A cgroup setting is a line "KNOB orig set DIR", before mmp and as mmp
 * set it: "cg", a v1 memory cgroup's oom_kill_disable (memory.oom_control);
 * "mh", a v2 memory cgroup's memory.high in bytes (-1: "max"). It is put
 * back where the cgroup still holds mmp's value. */
#ifndef MMP_JOURNAL_H
#define MMP_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct journal_entry {
	pid_t pid;
	unsigned long long start;
	int orig;                  /* before mmp: the last record's (a process's own write moves it) */
	int set;                   /* what mmp wrote last */
};

/* --- the records (journal_text.c: plain text in and out) --- */

/* One record, as a line, into BUF. Returns its length. */
int journal_format(char *buf, size_t len, const struct journal_entry *e);
/* The processes of journal TEXT, one entry each, as its last record says
 * (a process's own later write records a new original), into OUT (MAX at
 * most; lines that do not parse are skipped). Returns how many. */
size_t journal_fold(const char *text, struct journal_entry *out, size_t max);

enum journal_knob {
	JOURNAL_OOM_KILL_DISABLE,  /* v1: memory.oom_control's oom_kill_disable, 0 or 1 */
	JOURNAL_MEMORY_HIGH,       /* v2: memory.high, bytes, -1 for "max" */
};

struct journal_cgroup {
	char dir[4096];            /* the cgroup's directory */
	enum journal_knob knob;
	long long orig, set;       /* before mmp, and as mmp set it */
};

/* One cgroup record, as a line, into BUF (4200 bytes hold any). Returns
 * its length, or -1 if DIR cannot be written on one line. */
int journal_format_cgroup(char *buf, size_t len, const struct journal_cgroup *e);
/* The cgroup settings of journal TEXT, one entry for each knob of each
 * cgroup (the first original, the last value set), into OUT (MAX at
 * most). Returns how many. */
size_t journal_fold_cgroups(const char *text, struct journal_cgroup *out, size_t max);

/* --- the file (journal.c) --- */

struct journal {
	int fd;                    /* -1: no journal (a dry run) */
	char path[256];
};

/* Opens NAME's journal, empty. 0, or -errno after a message. */
int journal_open(struct journal *j, const char *name);
/* Records E before its value is written. 0, or -errno (then it must not
 * be written). */
int journal_record(struct journal *j, const struct journal_entry *e);
int journal_record_cgroup(struct journal *j, const struct journal_cgroup *e);
/* What the journals of runtimes other than J's record of KNOB of cgroup
 * DIR. The name of a running one that records it into WHO ("" if none):
 * for a message, since the setting's flock, not the journal, says whose
 * it is (memcg_lock_knob). And where the cgroup holds CUR, a value that
 * a runtime which ended set and that was not put back yet (its guardian
 * killed too), what the cgroup had before that runtime into *ORIG, to be
 * put back in its stead; *ORIG is left as it is otherwise. */
void journal_cgroup_records(const struct journal *j, const char *dir, enum journal_knob knob, long long cur,
			    char *who, size_t len, long long *orig);
/* A process whose oom_score_adj another runtime orders: its journal
 * records it, and it runs now. */
struct journal_claim {
	pid_t pid;
	unsigned long long start;  /* tells a reused pid */
	char who[64];              /* the runtime's name (PIN_NAME_MAX + 1) */
};
/* The processes the journals of runtimes other than J's record, sorted by
 * pid, into *OUT (to be freed). Returns how many. */
size_t journal_claims(const struct journal *j, struct journal_claim **out);
/* The runtime of CLAIMS (N, sorted) that orders process PID of START, or
 * NULL. */
const char *journal_claimed(const struct journal_claim *claims, size_t n, pid_t pid, unsigned long long start);
/* E, the first record of a process's oom_score_adj by J's runtime, where
 * no other running runtime's journal records that process: under a lock
 * all runtimes take for it (NAME_LOCK_DIR/oom.claims, a name no runtime
 * can have), the others' journals are read and E recorded, so that of two
 * runtimes that govern a process at the same moment one claims it and the
 * other sees the claim. Returns 0 when recorded, 1 when another records
 * it (its name into WHO, LEN bytes), or -errno. */
int journal_record_first(struct journal *j, const struct journal_entry *e, char *who, size_t len);
/* Whether NAME's journal records anything: a runtime that ended without
 * undoing left it, and 'mmp restore NAME' replays it. */
bool journal_left(const char *name);
/* After a clean undo: the journal is removed. */
void journal_close(struct journal *j);
/* Puts back what NAME's journal records, where each process (cgroup)
 * still holds mmp's value, and removes the journal. Returns how many were put back,
 * or -errno. The caller holds NAME (pins_claim or pins_take). */
int journal_replay(const char *name);

#endif
