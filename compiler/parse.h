/* parse.h - the front end's entry: policy text to syntax tree. */
#ifndef MMP_PARSE_H
#define MMP_PARSE_H

#include "arena.h"
#include "ast.h"
#include "diag.h"

struct mmp_parse_ctx {
	struct mmp_arena *arena;
	struct mmp_diag *diag;
	const struct mmp_source *src;
	struct mmp_ast ast;
	size_t offset;   /* the scanner's position, for token locations */
	uint32_t tok_end, prev_end;   /* ends of the last two tokens, for "expected ';'" */
};

/* Parses ctx->src into ctx->ast, reporting every syntax error to ctx->diag.
 * Returns 0, or -EINVAL when there were errors (the tree is then partial). */
int mmp_parse(struct mmp_parse_ctx *ctx);

#endif
