/* codegen.h - checked policies to BPF C, and BPF C to an object. */
#ifndef MMP_CODEGEN_H
#define MMP_CODEGEN_H

#include <stdio.h>

#include "plan.h"
#include "source.h"

/* The object format: the runtime refuses any other. */
#define MMP_OBJECT_FORMAT 1

/* Writes the BPF C for PLAN to OUT. Policy lines are kept with #line, so
 * clang's messages and the verifier's log point at SRC. */
void codegen_emit(FILE *out, const struct mmp_source *src, const struct mmp_plan *plan);

struct codegen_opts {
	const char *clang;       /* the compiler to run */
	bool verbose;            /* print the clang command */
};

/* Compiles PLAN to the BPF object OUTPUT with clang. Returns 0, or a
 * negative errno after printing why to stderr. */
int codegen_compile(const struct mmp_source *src, const struct mmp_plan *plan, const char *output,
		    const struct codegen_opts *opts);

#endif
