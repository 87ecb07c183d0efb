/* pattern.c - see pattern.h. */
#include "pattern.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

static const char *wildcards(enum pattern_kind kind)
{
	return kind == PATTERN_MAPPING ? "*?" : "*?[\\";
}

bool pattern_is_literal(const char *pattern, enum pattern_kind kind)
{
	return strpbrk(pattern, wildcards(kind)) == NULL;
}

size_t pattern_prefix_len(const char *pattern, enum pattern_kind kind)
{
	return strcspn(pattern, wildcards(kind));
}

bool pattern_match(const char *pattern, const char *name, enum pattern_kind kind)
{
	if (kind == PATTERN_GLOB)
		return fnmatch(pattern, name, 0) == 0;
	/* Escape brackets and backslashes so that fnmatch takes them literally. */
	size_t n = strlen(pattern);
	char stackbuf[512], *buf = 2 * n + 1 <= sizeof(stackbuf) ? stackbuf : malloc(2 * n + 1);
	if (!buf)
		return false;
	char *o = buf;
	for (const char *p = pattern; *p; p++) {
		if (*p == '[' || *p == ']' || *p == '\\')
			*o++ = '\\';
		*o++ = *p;
	}
	*o = '\0';
	bool m = fnmatch(buf, name, 0) == 0;
	if (buf != stackbuf)
		free(buf);
	return m;
}

bool patterns_may_meet(const char *a, const char *b, enum pattern_kind kind)
{
	if (strcmp(a, b) == 0)
		return true;
	bool la = pattern_is_literal(a, kind), lb = pattern_is_literal(b, kind);
	if (la && lb)
		return false;
	if (la)
		return pattern_match(b, a, kind);
	if (lb)
		return pattern_match(a, b, kind);
	/* Two globs: their fixed beginnings must agree, and (without brackets or
	 * escapes, whose ends are hard to read) so must their fixed endings. */
	size_t pa = pattern_prefix_len(a, kind), pb = pattern_prefix_len(b, kind);
	if (strncmp(a, b, pa < pb ? pa : pb) != 0)
		return false;
	if (strpbrk(a, "[\\") || strpbrk(b, "[\\"))
		return true;
	const char *sa = strrchr(a, '*'), *sb = strrchr(b, '*'), *qa = strrchr(a, '?'), *qb = strrchr(b, '?');
	sa = qa > sa ? qa : sa;
	sb = qb > sb ? qb : sb;
	size_t ea = strlen(sa + 1), eb = strlen(sb + 1), n = ea < eb ? ea : eb;
	return strcmp(sa + 1 + ea - n, sb + 1 + eb - n) == 0;
}
