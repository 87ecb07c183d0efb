/* source.c - loading policy text and mapping offsets to line:column. */
#include "source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Policies are small; refuse absurd inputs before they cost memory. */
#define SOURCE_MAX ((size_t)1 << 30)

static int index_lines(struct mmp_source *src)
{
	size_t n = 1;
	for (size_t i = 0; i < src->len; i++)
		n += src->text[i] == '\n';
	src->line_start = malloc(n * sizeof(*src->line_start));
	if (!src->line_start)
		return -ENOMEM;
	src->nlines = 0;
	src->line_start[src->nlines++] = 0;
	for (size_t i = 0; i < src->len; i++)
		if (src->text[i] == '\n')
			src->line_start[src->nlines++] = i + 1;
	return 0;
}

struct mmp_source *source_from_memory(const char *name, const char *text, size_t len)
{
	struct mmp_source *src = calloc(1, sizeof(*src));
	if (!src)
		return NULL;
	src->name = strdup(name);
	src->text = malloc(len + 1);
	if (!src->name || !src->text)
		goto fail;
	memcpy(src->text, text, len);
	src->text[len] = '\0';
	src->len = len;
	if (index_lines(src) < 0)
		goto fail;
	return src;
fail:
	source_free(src);
	errno = ENOMEM;
	return NULL;
}

struct mmp_source *source_load(const char *path)
{
	int is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	int err = 0;
	while (buf) {
		if (len == cap) {
			char *nbuf = cap < SOURCE_MAX ? realloc(buf, cap * 2) : NULL;
			if (!nbuf) {
				err = cap < SOURCE_MAX ? ENOMEM : EFBIG;
				break;
			}
			buf = nbuf;
			cap *= 2;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0) {
			if (ferror(f))
				err = EIO;
			break;
		}
	}
	if (!buf)
		err = ENOMEM;
	if (!is_stdin)
		fclose(f);
	struct mmp_source *src = NULL;
	if (!err) {
		src = source_from_memory(is_stdin ? "<stdin>" : path, buf, len);
		if (!src)
			err = ENOMEM;
	}
	free(buf);
	errno = err;
	return src;
}

void source_free(struct mmp_source *src)
{
	if (!src)
		return;
	free(src->name);
	free(src->text);
	free(src->line_start);
	free(src);
}

void source_position(const struct mmp_source *src, size_t offset, unsigned *line, unsigned *col)
{
	size_t lo = 0, hi = src->nlines; /* last line whose start <= offset */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (src->line_start[mid] <= offset)
			lo = mid;
		else
			hi = mid;
	}
	*line = (unsigned)lo + 1;
	*col = (unsigned)(offset - src->line_start[lo]) + 1;
}

const char *source_line(const struct mmp_source *src, unsigned line, size_t *len)
{
	if (line == 0 || line > src->nlines) {
		*len = 0;
		return "";
	}
	size_t start = src->line_start[line - 1];
	size_t end = start;
	while (end < src->len && src->text[end] != '\n' && src->text[end] != '\r')
		end++;
	*len = end - start;
	return src->text + start;
}
