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
	size_t fed;      /* bytes of src handed to the scanner's buffer */
	/* What the parser's error messages need to know of the token stream. */
	int tok, prev_tok;            /* the last two tokens */
	uint32_t tok_end, prev_end;   /* and where they ended */
	uint32_t open_brace[64];      /* offsets of the '{' not yet closed */
	unsigned brace_depth;
	uint32_t bad_string_end;      /* end of an unterminated string, or 0 */
};

/* Parses ctx->src into ctx->ast, reporting every syntax error to ctx->diag.
 * Returns 0, or -EINVAL when there were errors (the tree is then partial). */
int mmp_parse(struct mmp_parse_ctx *ctx);

#endif
