/* log.h - the runtime's messages: errors and decisions a person can read. */
#ifndef MMP_LOG_H
#define MMP_LOG_H

#include <stdbool.h>

extern int mmp_verbose;    /* -v: log every decision as it is applied */

void mmp_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mmp_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mmp_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Shown with -v only. */
void mmp_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
