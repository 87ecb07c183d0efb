/* frontend.c - runs the passes in order; each runs only if those before it
 * reported no errors, so one mistake is not reported three times. */
#include "frontend.h"

#include <errno.h>
#include <string.h>

#include "parse.h"
#include "sema.h"

static int run(struct mmp_compilation *u, const struct mmp_frontend_opts *opts)
{
	u->arena = arena_new();
	diag_init(&u->diag, opts->diag_out ? opts->diag_out : stderr, u->src, opts->color);
	u->diag.werror = opts->werror;
	u->diag.limit = opts->error_limit;
	struct mmp_parse_ctx pc = { .arena = u->arena, .diag = &u->diag, .src = u->src };
	int err = mmp_parse(&pc);
	u->ast = pc.ast;
	if (!err && !opts->parse_only)
		err = sema_check(&u->diag, u->arena, &u->ast);
	diag_finish(&u->diag);
	return err;
}

int frontend_run(struct mmp_compilation *u, const char *path, const struct mmp_frontend_opts *opts)
{
	memset(u, 0, sizeof(*u));
	u->src = source_load(path);
	if (!u->src)
		return -errno;
	return run(u, opts);
}

int frontend_run_text(struct mmp_compilation *u, const char *name, const char *text, size_t len,
		      const struct mmp_frontend_opts *opts)
{
	memset(u, 0, sizeof(*u));
	u->src = source_from_memory(name, text, len);
	if (!u->src)
		return -ENOMEM;
	return run(u, opts);
}

int frontend_check(struct mmp_compilation *u)
{
	int err = sema_check(&u->diag, u->arena, &u->ast);
	diag_finish(&u->diag);
	return err;
}

void frontend_free(struct mmp_compilation *u)
{
	arena_free(u->arena);
	source_free(u->src);
	memset(u, 0, sizeof(*u));
}
