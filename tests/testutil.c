/* testutil.c - see testutil.h. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void run_text(struct run *r, const char *text, bool parse_only)
{
	memset(r, 0, sizeof(*r));
	FILE *f = open_memstream(&r->out, &r->outlen);
	if (!f)
		abort();
	struct mmp_frontend_opts opts = { .color = DIAG_COLOR_NEVER, .diag_out = f, .parse_only = parse_only };
	r->rc = frontend_run_text(&r->u, "t.mmp", text, strlen(text), &opts);
	fclose(f);
}

void run_free(struct run *r)
{
	frontend_free(&r->u);
	free(r->out);
}

bool run_says(const struct run *r, const char *needle)
{
	return r->out && strstr(r->out, needle) != NULL;
}
