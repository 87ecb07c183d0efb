/* frontend.h - one call from a policy file to a checked tree. */
#ifndef MMP_FRONTEND_H
#define MMP_FRONTEND_H

#include <stdbool.h>
#include <stdio.h>

#include "arena.h"
#include "ast.h"
#include "diag.h"
#include "source.h"

struct mmp_frontend_opts {
	bool werror;
	enum diag_color color;
	FILE *diag_out;          /* stderr if NULL */
	bool parse_only;         /* stop after parsing (for --dump-ast) */
	unsigned error_limit;    /* errors and warnings shown at most; 0: all */
};

struct mmp_compilation {
	struct mmp_arena *arena;
	struct mmp_source *src;
	struct mmp_diag diag;
	struct mmp_ast ast;
};

/* Loads PATH ("-" for stdin), parses and checks it. Returns 0; -EINVAL
 * after diagnostics with errors; or -errno when the file cannot be read (no
 * diagnostic is printed for that: the caller names the file). */
int frontend_run(struct mmp_compilation *u, const char *path, const struct mmp_frontend_opts *opts);
/* The same over text in memory (tests, fuzzing). */
int frontend_run_text(struct mmp_compilation *u, const char *name, const char *text, size_t len,
		      const struct mmp_frontend_opts *opts);
/* Runs the semantic checks on a tree parsed with parse_only. */
int frontend_check(struct mmp_compilation *u);
void frontend_free(struct mmp_compilation *u);

#endif
