/* source.h - a policy file in memory, and the map from byte offsets to lines.
 *
 * Locations everywhere are byte spans [start, end) into the source text, as
 * jq keeps them; only diagnostics turn them into line:column (from 1).
 */
#ifndef MMP_SOURCE_H
#define MMP_SOURCE_H

#include <stddef.h>
#include <stdint.h>

struct mmp_loc {
	uint32_t start, end;
};

struct mmp_source {
	char *name;   /* as given on the command line, "<stdin>" for - */
	char *text;   /* NUL-terminated copy */
	size_t len;
	size_t *line_start; /* offset of the first byte of each line */
	size_t nlines;
};

/* Reads PATH ("-" is standard input). On failure returns NULL and sets errno. */
struct mmp_source *source_load(const char *path);
struct mmp_source *source_from_memory(const char *name, const char *text, size_t len);
void source_free(struct mmp_source *src);
/* 1-based line and column (in bytes) of OFFSET. */
void source_position(const struct mmp_source *src, size_t offset, unsigned *line, unsigned *col);
/* The text of line LINE (1-based) without its newline. */
const char *source_line(const struct mmp_source *src, unsigned line, size_t *len);

#endif
