/* journal.c - the journal's file, and putting back what it records. See
 * journal.h. */
#include "journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroups.h"
#include "log.h"
#include "pins.h"
#include "process.h"

#define MAX_ENTRIES 65536
#define MAX_CGROUPS 256   /* cgroup records a journal's fold keeps */

static void journal_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s.journal", NAME_LOCK_DIR, name);
}

bool journal_left(const char *name)
{
	char path[256];
	struct stat st;
	journal_path(path, sizeof(path), name);
	return stat(path, &st) == 0 && st.st_size > 0;   /* empty: nothing was changed */
}

int journal_open(struct journal *j, const char *name)
{
	journal_path(j->path, sizeof(j->path), name);
	j->fd = open(j->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (j->fd < 0) {
		int err = -errno;
		mmp_error("cannot open the journal %s: %s", j->path, strerror(errno));
		return err;
	}
	return 0;
}

int journal_record(struct journal *j, const struct journal_entry *e)
{
	if (j->fd < 0)
		return -EBADF;
	char line[96];
	int n = journal_format(line, sizeof(line), e);
	/* One write(2) a record, O_APPEND: a record is whole or absent. */
	return write(j->fd, line, (size_t)n) == n ? 0 : -errno;
}

int journal_record_cgroup(struct journal *j, const struct journal_cgroup *e)
{
	if (j->fd < 0)
		return -EBADF;
	char line[4200];
	int n = journal_format_cgroup(line, sizeof(line), e);
	if (n < 0)
		return -ENAMETOOLONG;
	return write(j->fd, line, (size_t)n) == n ? 0 : -errno;
}

/* A v1 cgroup's oom_kill_disable, 0 or 1. 0, or -1 when it is gone. */
static int read_oom_kill_disable(const char *dir, long long *v)
{
	char path[4200], buf[256];
	snprintf(path, sizeof(path), "%s/memory.oom_control", dir);
	if (proc_read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	const char *d = strstr(buf, "oom_kill_disable ");
	if (!d)
		return -1;
	*v = atoi(d + 17);
	return 0;
}

static int write_oom_kill_disable(const char *dir, long long v)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/memory.oom_control", dir);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int err = write(fd, v ? "1" : "0", 1) == 1 ? 0 : -errno;
	close(fd);
	return err;
}

/* Each knob read and written as the journal records it. */
static const struct {
	int (*read)(const char *dir, long long *v);
	int (*write)(const char *dir, long long v);
} knobs[] = {
	[JOURNAL_OOM_KILL_DISABLE] = { read_oom_kill_disable, write_oom_kill_disable },
	[JOURNAL_MEMORY_HIGH] = { memcg_read_high, memcg_write_high },
};

/* Puts back each cgroup setting of journal TEXT that still holds mmp's
 * value. Returns how many. */
static int replay_cgroups(const char *text)
{
	struct journal_cgroup *v = malloc(MAX_CGROUPS * sizeof(*v));
	if (!v)
		return 0;
	size_t n = journal_fold_cgroups(text, v, MAX_CGROUPS);
	int restored = 0;
	for (size_t i = 0; i < n; i++) {
		long long cur;
		if (knobs[v[i].knob].read(v[i].dir, &cur) < 0 || cur != v[i].set || v[i].set == v[i].orig)
			continue;   /* gone, or set by someone since */
		if (knobs[v[i].knob].write(v[i].dir, v[i].orig) == 0)
			restored++;
	}
	free(v);
	return restored;
}

void journal_close(struct journal *j)
{
	if (j->fd < 0)
		return;
	close(j->fd);
	j->fd = -1;
	unlink(j->path);
}

/* The whole of the journal at PATH, NUL-terminated, into *TEXT (to be
 * freed). 0, or -errno. */
static int read_text(const char *path, char **text)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	size_t cap = 1 << 16, len = 0;
	char *t = malloc(cap + 1);
	ssize_t r = 0;
	while (t && (r = read(fd, t + len, cap - len)) > 0) {
		len += (size_t)r;
		if (len == cap) {
			char *more = realloc(t, cap * 2 + 1);
			if (!more)
				break;
			t = more;
			cap *= 2;
		}
	}
	close(fd);
	if (!t)
		return -ENOMEM;
	t[len] = '\0';
	*text = t;
	return 0;
}

/* Calls FN with the name and text of each journal in NAME_LOCK_DIR but
 * J's own. */
static void each_other_journal(const struct journal *j, void (*fn)(void *ctx, const char *name, const char *text),
			       void *ctx)
{
	DIR *d = opendir(NAME_LOCK_DIR);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char name[PIN_NAME_MAX + 1], path[256], *text;
		if (!pins_name_of_file(e->d_name, ".journal", name))
			continue;
		journal_path(path, sizeof(path), name);
		if (strcmp(path, j->path) == 0 || read_text(path, &text) < 0)
			continue;
		fn(ctx, name, text);
		free(text);
	}
	if (d)
		closedir(d);
}

struct cgroup_records {
	const char *dir;
	enum journal_knob knob;
	long long cur, *orig;
	char *who;
	size_t len;
	struct journal_cgroup *v;
};

static void cgroup_records_of(void *ctx, const char *name, const char *text)
{
	struct cgroup_records *c = ctx;
	size_t k = journal_fold_cgroups(text, c->v, MAX_CGROUPS);
	for (size_t i = 0; i < k; i++) {
		const struct journal_cgroup *r = &c->v[i];
		if (r->knob != c->knob || strcmp(r->dir, c->dir) != 0)
			continue;
		if (pins_held(name) == 1)
			snprintf(c->who, c->len, "%s", name);
		else if (r->set == c->cur && r->orig != c->cur)
			*c->orig = r->orig;
	}
}

void journal_cgroup_records(const struct journal *j, const char *dir, enum journal_knob knob, long long cur,
			    char *who, size_t len, long long *orig)
{
	struct cgroup_records c = { dir, knob, cur, orig, who, len, malloc(MAX_CGROUPS * sizeof(struct journal_cgroup)) };
	who[0] = '\0';
	if (c.v)
		each_other_journal(j, cgroup_records_of, &c);
	free(c.v);
}

_Static_assert(PIN_NAME_MAX + 1 <= sizeof(((struct journal_claim *)0)->who), "a runtime's name fits a claim");

static int by_pid(const void *a, const void *b)
{
	const struct journal_claim *x = a, *y = b;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

struct claims {
	struct journal_entry *v;
	struct journal_claim *c;
	size_t n;
};

static void claims_of(void *ctx, const char *name, const char *text)
{
	struct claims *cl = ctx;
	if (pins_held(name) != 1)
		return;   /* what a runtime that ended left, its guardian or 'mmp restore' puts back */
	size_t k = journal_fold(text, cl->v, MAX_ENTRIES);
	struct journal_claim *more = k ? realloc(cl->c, (cl->n + k) * sizeof(*more)) : cl->c;
	if (!more)
		return;
	cl->c = more;
	for (size_t i = 0; i < k; i++) {
		cl->c[cl->n] = (struct journal_claim){ .pid = cl->v[i].pid, .start = cl->v[i].start };
		snprintf(cl->c[cl->n++].who, sizeof(cl->c->who), "%s", name);
	}
}

size_t journal_claims(const struct journal *j, struct journal_claim **out)
{
	struct claims cl = { malloc(MAX_ENTRIES * sizeof(struct journal_entry)), NULL, 0 };
	if (cl.v)
		each_other_journal(j, claims_of, &cl);
	free(cl.v);
	if (cl.n)
		qsort(cl.c, cl.n, sizeof(*cl.c), by_pid);
	*out = cl.c;
	return cl.n;
}

const char *journal_claimed(const struct journal_claim *claims, size_t n, pid_t pid, unsigned long long start)
{
	struct journal_claim key = { .pid = pid };
	const struct journal_claim *c = n ? bsearch(&key, claims, n, sizeof(*claims), by_pid) : NULL;
	if (!c)
		return NULL;
	while (c > claims && c[-1].pid == pid)
		c--;   /* a pid may be recorded by two runtimes, or for two processes */
	for (; c < claims + n && c->pid == pid; c++)
		if (c->start == start)
			return c->who;
	return NULL;
}

int journal_record_first(struct journal *j, const struct journal_entry *e, char *who, size_t len)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/oom.claims", NAME_LOCK_DIR);
	int lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lock < 0)
		return -errno;
	int err = 0;
	while (flock(lock, LOCK_EX) < 0)
		if (errno != EINTR) {
			err = -errno;
			break;
		}
	if (!err) {
		struct journal_claim *claims;
		size_t n = journal_claims(j, &claims);
		const char *other = journal_claimed(claims, n, e->pid, e->start);
		if (other)
			snprintf(who, len, "%s", other);
		err = other ? 1 : journal_record(j, e);
		free(claims);
	}
	close(lock);   /* and with it the lock */
	return err;
}

int journal_replay(const char *name)
{
	char path[256];
	journal_path(path, sizeof(path), name);
	char *text;
	int err = read_text(path, &text);
	if (err)
		return err == -ENOENT ? 0 : err;
	struct journal_entry *v = malloc(MAX_ENTRIES * sizeof(*v));
	if (!v) {
		free(text);
		return -ENOMEM;
	}
	size_t n = journal_fold(text, v, MAX_ENTRIES);
	int restored = 0;
	for (size_t i = 0; i < n; i++) {
		int cur;
		if (proc_start_time(v[i].pid) != v[i].start || proc_read_adj(v[i].pid, &cur) < 0)
			continue;   /* gone, or a new process with its pid */
		if (cur != v[i].set)
			continue;   /* set by the process itself since: its own */
		if (proc_write_adj(v[i].pid, v[i].orig) == 0)
			restored++;
	}
	restored += replay_cgroups(text);
	free(text);
	free(v);
	unlink(path);
	return restored;
}
