/* enforce.h - load a policy object, attach it, and enforce it. */
#ifndef MMP_ENFORCE_H
#define MMP_ENFORCE_H

#include <stdbool.h>
#include <stdint.h>

#include "object.h"

struct enforce_opts {
	bool dry_run;              /* decide and log, change nothing */
	double duration;           /* seconds; 0: until a signal (attach) or the command ends (run) */
	int64_t collapse_rate;     /* bytes per second collapsed at most */
	int collapse_cpu;          /* percent of one CPU the hot-chunk collapses may take */
	char **cmd;                /* run: the command to start; NULL: attach to every match */
	const char *name;          /* overrides the pin directory name */
	int nice;                  /* the runtime's niceness while it enforces */
	bool nice_given;           /* --nice was given: failing to set it is an error */
};

/* Returns the exit status for mmp (for 'run', the command's). */
int enforce(struct mmp_object *obj, const struct enforce_opts *opts);

#endif
