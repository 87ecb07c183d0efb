/* testutil.h - run the front end on text and capture what it says. */
#ifndef MMP_TESTUTIL_H
#define MMP_TESTUTIL_H

#include <stdbool.h>

#include "compiler/frontend.h"

struct run {
	struct mmp_compilation u;
	int rc;
	char *out;      /* every diagnostic, as printed */
	size_t outlen;
};

/* Parses (and, unless parse_only, checks) TEXT named "t.mmp". */
void run_text(struct run *r, const char *text, bool parse_only);
void run_free(struct run *r);
/* Does the output hold NEEDLE? */
bool run_says(const struct run *r, const char *needle);

#endif
