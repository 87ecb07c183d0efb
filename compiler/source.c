/* source.c - loading policy text and mapping offsets to line:column. */
#define _GNU_SOURCE   /* memrchr */
#include "source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SOURCE_BLOCK 4096

static size_t count_newlines(const char *p, size_t n)
{
	size_t count = 0;
	for (const char *end = p + n; (p = memchr(p, '\n', (size_t)(end - p))); p++)
		count++;
	return count;
}

static int index_blocks(struct mmp_source *src)
{
	size_t nblocks = src->len / SOURCE_BLOCK + 1;
	src->newlines_before = malloc(nblocks * sizeof(*src->newlines_before));
	if (!src->newlines_before)
		return -ENOMEM;
	uint32_t before = 0;
	for (size_t b = 0; b < nblocks; b++) {
		src->newlines_before[b] = before;
		size_t start = b * SOURCE_BLOCK;
		size_t n = src->len - start < SOURCE_BLOCK ? src->len - start : SOURCE_BLOCK;
		before += (uint32_t)count_newlines(src->text + start, n);
	}
	return 0;
}

/* Takes TEXT (malloc'd, LEN bytes and room for a NUL) into a new source. */
static struct mmp_source *source_adopt(const char *name, char *text, size_t len)
{
	struct mmp_source *src = calloc(1, sizeof(*src));
	if (!src) {
		free(text);
		return NULL;
	}
	src->text = text;
	src->text[len] = '\0';
	src->len = len;
	src->name = strdup(name);
	if (!src->name || index_blocks(src) < 0) {
		source_free(src);
		errno = ENOMEM;
		return NULL;
	}
	return src;
}

struct mmp_source *source_from_memory(const char *name, const char *text, size_t len)
{
	char *copy = malloc(len + 1);
	if (!copy)
		return NULL;
	memcpy(copy, text, len);
	return source_adopt(name, copy, len);
}

/* Reads F whole into a buffer sized from its length where it has one, so
 * that the text is held once. */
static char *read_all(FILE *f, size_t *lenp, int *err)
{
	struct stat st;
	size_t cap = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size : 4096;
	if (cap > MMP_SOURCE_MAX) {
		*err = EFBIG;
		return NULL;
	}
	size_t len = 0;
	char *buf = malloc(cap + 1);
	while (buf) {
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (len < cap) {
			if (ferror(f))
				*err = EIO;
			break;
		}
		/* Full: one more byte says whether there is more (a regular
		 * file's buffer is exact, so it is not grown for nothing). */
		int c = fgetc(f);
		if (c == EOF) {
			if (ferror(f))
				*err = EIO;
			break;
		}
		if (cap >= MMP_SOURCE_MAX) {
			*err = EFBIG;
			break;
		}
		size_t ncap = cap * 2 < MMP_SOURCE_MAX ? cap * 2 : MMP_SOURCE_MAX;
		char *nbuf = realloc(buf, ncap + 1);
		if (!nbuf) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = nbuf;
		cap = ncap;
		buf[len++] = (char)c;
	}
	if (!buf && !*err)
		*err = ENOMEM;
	if (*err) {
		free(buf);
		return NULL;
	}
	*lenp = len;
	return buf;
}

struct mmp_source *source_load(const char *path)
{
	int is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	if (!f)
		return NULL;
	/* A directory opens, and its read fails as I/O: say what it is. */
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		if (!is_stdin)
			fclose(f);
		errno = EISDIR;
		return NULL;
	}
	int err = 0;
	size_t len = 0;
	char *text = read_all(f, &len, &err);
	if (!is_stdin)
		fclose(f);
	struct mmp_source *src = NULL;
	if (text) {
		src = source_adopt(is_stdin ? "<stdin>" : path, text, len);
		if (!src)
			err = ENOMEM;
	}
	errno = err;
	return src;
}

void source_free(struct mmp_source *src)
{
	if (!src)
		return;
	free(src->name);
	free(src->text);
	free(src->newlines_before);
	free(src);
}

void source_position(const struct mmp_source *src, size_t offset, unsigned *line, unsigned *col)
{
	if (offset > src->len)
		offset = src->len;
	size_t block = offset / SOURCE_BLOCK;
	size_t start = block * SOURCE_BLOCK;
	*line = src->newlines_before[block] + (unsigned)count_newlines(src->text + start, offset - start) + 1;
	const char *nl = offset ? memrchr(src->text, '\n', offset) : NULL;
	*col = (unsigned)(offset - (nl ? (size_t)(nl - src->text) + 1 : 0)) + 1;
}

const char *source_line_at(const struct mmp_source *src, size_t offset, size_t *len)
{
	if (offset > src->len)
		offset = src->len;
	const char *nl = offset ? memrchr(src->text, '\n', offset) : NULL;
	size_t start = nl ? (size_t)(nl - src->text) + 1 : 0;
	size_t end = start;
	while (end < src->len && src->text[end] != '\n' && src->text[end] != '\r')
		end++;
	*len = end - start;
	return src->text + start;
}
