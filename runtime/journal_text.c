/* journal_text.c - the journal's records, as text. See journal.h. */
#include "journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int journal_format(char *buf, size_t len, const struct journal_entry *e)
{
	return snprintf(buf, len, "%d %llu %d %d\n", (int)e->pid, e->start, e->orig, e->set);
}

static struct journal_entry *find(struct journal_entry *v, size_t n, pid_t pid, unsigned long long start)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].pid == pid && v[i].start == start)
			return &v[i];
	return NULL;
}

size_t journal_fold(const char *text, struct journal_entry *out, size_t max)
{
	size_t n = 0;
	for (const char *p = text; p && *p;) {
		int pid, orig, set, used = 0;
		unsigned long long start;
		if (sscanf(p, "%d %llu %d %d%n", &pid, &start, &orig, &set, &used) == 4 && pid > 0 &&
		    (p[used] == '\n' || p[used] == '\0')) {
			struct journal_entry *e = find(out, n, (pid_t)pid, start);
			if (e)
				*e = (struct journal_entry){ (pid_t)pid, start, orig, set };   /* the last original */
			else if (n < max)
				out[n++] = (struct journal_entry){ (pid_t)pid, start, orig, set };
		}
		const char *nl = strchr(p, '\n');
		p = nl ? nl + 1 : NULL;
	}
	return n;
}

static const char *const knob_tag[] = { [JOURNAL_OOM_KILL_DISABLE] = "cg", [JOURNAL_MEMORY_HIGH] = "mh" };

int journal_format_cgroup(char *buf, size_t len, const struct journal_cgroup *e)
{
	if (strchr(e->dir, '\n') || (unsigned)e->knob > JOURNAL_MEMORY_HIGH)
		return -1;
	int n = snprintf(buf, len, "%s %lld %lld %s\n", knob_tag[e->knob], e->orig, e->set, e->dir);
	return n < 0 || (size_t)n >= len ? -1 : n;
}

/* The knob a record's line begins with, or -1. */
static int knob_of(const char *line)
{
	for (int k = 0; k <= JOURNAL_MEMORY_HIGH; k++)
		if (strncmp(line, knob_tag[k], 2) == 0 && line[2] == ' ')
			return k;
	return -1;
}

size_t journal_fold_cgroups(const char *text, struct journal_cgroup *out, size_t max)
{
	size_t n = 0;
	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t linelen = nl ? (size_t)(nl - p) : strlen(p);
		long long orig, set;
		int used = 0, knob = knob_of(p);
		if (knob >= 0 && sscanf(p + 3, "%lld %lld %n", &orig, &set, &used) == 2 && used > 0 &&
		    (size_t)used + 3 < linelen && p[used + 3] == '/' && linelen - (size_t)used - 3 < sizeof(out[0].dir)) {
			size_t dlen = linelen - (size_t)used - 3;
			char dir[sizeof(out[0].dir)];
			memcpy(dir, p + used + 3, dlen);
			dir[dlen] = '\0';
			size_t i = 0;
			while (i < n && (out[i].knob != (enum journal_knob)knob || strcmp(out[i].dir, dir) != 0))
				i++;
			if (i < n) {
				out[i].set = set;   /* the original stays the first one */
			} else if (n < max) {
				memcpy(out[n].dir, dir, dlen + 1);
				out[n].knob = (enum journal_knob)knob;
				out[n].orig = orig;
				out[n++].set = set;
			}
		}
		p = nl ? nl + 1 : NULL;
	}
	return n;
}
