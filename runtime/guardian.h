/* guardian.h - a small process that outlives the runtime. It waits on a
 * pipe whose only writer is the runtime; when the runtime ends, however
 * it ends (SIGKILL, the OOM killer choosing mmp itself), the pipe closes,
 * and the guardian takes the runtime's name, puts back what its journal
 * records and removes the pins it left. After a clean exit there is
 * nothing left for it to do. */
#ifndef MMP_GUARDIAN_H
#define MMP_GUARDIAN_H

#include <sys/types.h>

/* Starts NAME's guardian (its pid into *PID). Returns the pipe's write
 * end, which the runtime keeps open (close-on-exec) until it ends, or
 * -errno after a message. */
int guardian_start(const char *name, pid_t *pid);

#endif
