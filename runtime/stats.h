/* stats.h - 'mmp stats': what running runtimes report, from their pins. */
#ifndef MMP_STATS_RT_H
#define MMP_STATS_RT_H

#include <stdbool.h>

/* Prints the figures of runtime NAME (every runtime if NULL), as a table
 * or as JSON. Returns mmp's exit status. */
int stats_show(const char *name, bool json);

#endif
