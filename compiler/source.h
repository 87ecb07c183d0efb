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

/* Policies are a few lines; the largest file mmpc reads. The front end
 * takes a small multiple of its input, so this bounds its memory. */
#define MMP_SOURCE_MAX ((size_t)16 << 20)

struct mmp_source {
	char *name;   /* as given on the command line, "<stdin>" for - */
	char *text;   /* NUL-terminated */
	size_t len;
	/* Newlines before each block of SOURCE_BLOCK bytes: a line number is
	 * found by counting within one block, at 4 bytes per 4 KiB of text
	 * (an index of every line would cost 8 times a file of newlines). */
	uint32_t *newlines_before;
};

/* Reads PATH ("-" is standard input). On failure returns NULL and sets
 * errno (EFBIG: more than MMP_SOURCE_MAX bytes). */
struct mmp_source *source_load(const char *path);
struct mmp_source *source_from_memory(const char *name, const char *text, size_t len);
void source_free(struct mmp_source *src);
/* 1-based line and column (in bytes) of OFFSET. */
void source_position(const struct mmp_source *src, size_t offset, unsigned *line, unsigned *col);
/* The text of the line that holds OFFSET, without its newline. */
const char *source_line_at(const struct mmp_source *src, size_t offset, size_t *len);

#endif
