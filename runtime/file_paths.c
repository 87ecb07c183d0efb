/* file_paths.c - see file_paths.h. */
#include "file_paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool file_names_path(const char *names, size_t len, char *out, size_t outlen)
{
	size_t at = 0;
	if (!len || outlen < 2)
		return false;
	/* The last name first: walk back over the '/'-ended names. */
	size_t end = len;
	while (end > 0) {
		if (names[end - 1] != '/')
			return false;
		size_t start = end - 1;
		while (start > 0 && names[start - 1] != '/')
			start--;
		size_t n = end - 1 - start;
		if (!n || at + 1 + n + 1 > outlen)
			return false;
		out[at++] = '/';
		memcpy(out + at, names + start, n);
		at += n;
		end = start;
	}
	out[at] = '\0';
	return true;
}

/* A mountinfo field, its octal escapes (\040 for a space) undone. */
static char *unescape(const char *s, size_t n)
{
	char *o = malloc(n + 1), *p = o;
	if (!o)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			*p++ = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
		} else {
			*p++ = s[i];
		}
	}
	*p = '\0';
	return o;
}

/* The Nth space-separated field of LINE (up to its end, LEND). */
static const char *field(const char *line, const char *lend, int nth, size_t *len)
{
	const char *p = line;
	for (int f = 0; p < lend; f++) {
		while (p < lend && *p == ' ')
			p++;
		const char *q = p;
		while (q < lend && *q != ' ')
			q++;
		if (f == nth) {
			*len = (size_t)(q - p);
			return q > p ? p : NULL;
		}
		p = q;
	}
	return NULL;
}

int mount_table_parse(struct mount_table *t, const char *text)
{
	*t = (struct mount_table){ 0 };
	for (const char *line = text; line && *line;) {
		const char *lend = strchr(line, '\n');
		if (!lend)
			lend = line + strlen(line);
		size_t dl = 0, rl = 0, pl = 0;
		const char *dev = field(line, lend, 2, &dl), *root = field(line, lend, 3, &rl),
			   *point = field(line, lend, 4, &pl);
		unsigned maj, min;
		char devs[32];
		if (dev && root && point && dl < sizeof(devs)) {
			memcpy(devs, dev, dl);
			devs[dl] = '\0';
			if (sscanf(devs, "%u:%u", &maj, &min) == 2) {
				struct mount_entry *m = realloc(t->m, (t->n + 1) * sizeof(*m));
				if (!m)
					goto oom;
				t->m = m;
				struct mount_entry *e = &t->m[t->n];
				e->kdev = (uint32_t)(maj << 20 | min);
				e->root = unescape(root, rl);
				e->point = unescape(point, pl);
				if (!e->root || !e->point) {
					free(e->root);
					free(e->point);
					goto oom;
				}
				t->n++;
			}
		}
		line = *lend ? lend + 1 : NULL;
	}
	return 0;
oom:
	mount_table_free(t);
	return -1;
}

void mount_table_free(struct mount_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->m[i].root);
		free(t->m[i].point);
	}
	free(t->m);
	*t = (struct mount_table){ 0 };
}

bool mount_table_place(const struct mount_table *t, uint32_t kdev, const char *fsrel, size_t i, char *out,
		       size_t outlen)
{
	for (size_t k = 0; k < t->n; k++) {
		const struct mount_entry *m = &t->m[k];
		if (m->kdev != kdev)
			continue;
		/* FSREL under the mounted directory: what follows it. */
		size_t rl = strcmp(m->root, "/") == 0 ? 0 : strlen(m->root);
		if (strncmp(fsrel, m->root, rl) != 0 || (fsrel[rl] != '/' && fsrel[rl] != '\0'))
			continue;
		if (i-- > 0)
			continue;
		const char *rest = fsrel + rl;
		int n = snprintf(out, outlen, "%s%s", strcmp(m->point, "/") == 0 && *rest ? "" : m->point, rest);
		return n > 0 && (size_t)n < outlen;
	}
	return false;
}
