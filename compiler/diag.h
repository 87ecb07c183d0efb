/* diag.h - diagnostics in the form clang prints them.
 *
 *   policy.mmp:12:16: error: unknown region 'idx'
 *       pagesize idx { 2M: 100; }
 *                ^~~
 *
 * Every pass reports through here and goes on, so one run shows every error.
 */
#ifndef MMP_DIAG_H
#define MMP_DIAG_H

#include <stdbool.h>
#include <stdio.h>

#include "source.h"

enum diag_color { DIAG_COLOR_AUTO, DIAG_COLOR_ALWAYS, DIAG_COLOR_NEVER };

struct mmp_diag {
	FILE *out;
	const struct mmp_source *src;
	bool color;
	bool werror;   /* warnings count as errors */
	unsigned errors, warnings;
	/* Errors and warnings shown at most (0: all), as clang's -ferror-limit;
	 * past it they are counted, and diag_finish says how many. */
	unsigned limit, shown, hidden_errors, hidden_warnings;
	bool hiding;   /* the last error or warning was hidden: so are its notes */
};

#define DIAG_DEFAULT_LIMIT 20

void diag_init(struct mmp_diag *d, FILE *out, const struct mmp_source *src, enum diag_color color);
/* Says how many diagnostics the limit hid, if any. */
void diag_finish(struct mmp_diag *d);

#if defined(__GNUC__)
#define DIAG_PRINTF __attribute__((format(printf, 3, 4)))
#else
#define DIAG_PRINTF
#endif

void diag_error(struct mmp_diag *d, struct mmp_loc loc, const char *fmt, ...) DIAG_PRINTF;
void diag_warning(struct mmp_diag *d, struct mmp_loc loc, const char *fmt, ...) DIAG_PRINTF;
/* A note belongs to the diagnostic before it and points at a second place. */
void diag_note(struct mmp_diag *d, struct mmp_loc loc, const char *fmt, ...) DIAG_PRINTF;
/* A warning about the whole file, with no place in it. */
void diag_file_warning(struct mmp_diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A note with no place (a hint, a list of names). */
void diag_hint(struct mmp_diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* mmpc's own errors (not a policy's), as clang's: "mmpc: error: ...",
 * control bytes shown as \xNN (a file's name may hold any). */
void diag_tool_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* S to OUT, its control bytes shown as \xNN. */
void diag_put_visible(FILE *out, const char *s);

#endif
