/* kind.h - the contract every policy kind implements (page sizes,
 * prefetch, evict, oom), so that the main loop drives them all alike and
 * a new kind is one file pair, one BPF header and one row in mmp_kinds.
 *
 * The life of a kind, in the order the loop calls it:
 *   setup   from the policy and the loaded object; *state stays NULL when
 *           the policy has no rule of the kind (then nothing else is called)
 *   watch   adds the fds it waits on (triggers) to the loop's epoll set
 *   on_fd   takes an event on one of its fds; false: not its fd
 *   on_event  a BPF event from the ring buffer (each kind ignores those
 *           that are not its own); after_events once a batch is consumed
 *   govern / forget  a process taken on, or about to be forgotten, by the
 *           governed set (its pidfd and slots are valid during the call)
 *   tick    every 100 ms, after the governed set dropped exited processes
 *   summary what it did, printed when the runtime stops
 *   undo    puts back every change it made to the system, and frees state;
 *           called on every exit path, in the reverse order of mmp_kinds
 * Every member but setup and undo may be NULL.
 */
#ifndef MMP_KIND_H
#define MMP_KIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/mmp_shared.h"
#include "governed.h"
#include "journal.h"
#include "loader.h"
#include "object.h"
#include "pagesize.h"
#include "process.h"

/* What a kind is given to set itself up. */
struct kind_env {
	const struct mmp_object *obj;
	const struct loaded *loaded;            /* its maps, by name (loader_map_fd) */
	struct governed_set *gov;               /* the governed processes: read, never copied */
	struct mmp_region_report *reports;      /* a region's report: count actions here */
	const struct pagesize_choice *choice;   /* the page size each region gets */
	bool dry_run;                           /* decide and log, change nothing */
	struct journal *journal;                /* record a change here before making it */
	int64_t collapse_rate;                  /* bytes a second the page-size rules collapse */
	int collapse_cpu;                       /* ... and the percent of one CPU they may take */
};

struct kind {
	const char *name;
	int (*setup)(const struct kind_env *env, void **state);   /* 0, or -errno after a message */
	int (*watch)(void *state, int epfd);
	bool (*on_fd)(void *state, int fd, long long now);
	void (*on_event)(void *state, const struct mmp_event *e, size_t len);
	void (*after_events)(void *state);
	void (*govern)(void *state, const struct governed *g, const struct proc_info *info);
	void (*forget)(void *state, const struct governed *g);
	void (*tick)(void *state, long long now, double dt);
	void (*summary)(void *state);
	void (*undo)(void *state);
};

/* Every kind, in the order they are set up (and undone in reverse). */
extern const struct kind *const mmp_kinds[];
extern const size_t mmp_nkinds;

#endif
