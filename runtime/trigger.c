/* trigger.c - when a trigger holds: PSI triggers to wake up, the pressure
 * files sampled while pressure lasts, memory-cgroup usage sampled each
 * tick. See trigger.h for the model. */
#define _GNU_SOURCE
#include "trigger.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cgroups.h"
#include "log.h"
#include "process.h"
#include "trigger_math.h"

#define MAX_SCOPE 64

enum cmp_kind { CMP_PRESSURE, CMP_USAGE };

/* One usage-watched cgroup: when its usage went over and stayed. */
struct usage_state {
	char *dir;
	struct usage_level level;
	bool seen;                   /* sampled this tick */
	int efd;                     /* v1: an eventfd the kernel signals when usage
				      * crosses the threshold; v2: memory.events,
				      * polled for EPOLLPRI; or -1 */
	bool events;                 /* efd is memory.events */
	long long window;            /* the window hook's answer: memory.high set (> 0),
				      * not yet (0, asked again), never (< 0) */
	bool said_unlimited;         /* warned that it has no limit */
};

struct cmp {
	enum cmp_kind kind;
	bool full;                   /* pressure full, not some */
	struct threshold th;
	long long hold_ns;           /* 'for' duration, 0 if none */
	char *dir;                   /* cgroup directory, NULL: the system / each process's */
	/* pressure */
	char *file;                  /* the pressure file */
	int fd;                      /* its PSI trigger */
	struct pressure_state ps;
	/* usage */
	struct usage_state *cgs;
	size_t ncgs;
};

enum node_kind { T_CMP, T_AND, T_OR };

struct tnode {
	enum node_kind kind;
	struct cmp *cmp;
	struct tnode *l, *r;
};

struct trigger {
	struct tnode *root;
	struct cmp **cmps;
	size_t ncmps;
	char *text;
	char *what;
	const char *scope[MAX_SCOPE + 1];
	size_t nscope;
	int epfd;                    /* where descriptors are watched; -1 before trigger_watch */
	trigger_window_fn window;    /* see trigger_set_window */
	void *window_ctx;
};

/* --- building ---------------------------------------------------------- */

static int psi_open(struct cmp *c, const char *what)
{
	c->fd = open(c->file, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (c->fd < 0) {
		mmp_error("%s: cannot open %s: %s%s", what, c->file, strerror(errno),
			  errno == ENOENT ? " (this kernel or cgroup has no pressure accounting)" : "");
		return -1;
	}
	/* The shortest window the kernel takes: 500 ms with CAP_SYS_RESOURCE,
	 * else multiples of 2 s. It only wakes the runtime up; sampling
	 * decides whether the pressure is sustained. */
	static const long windows_us[] = { 500000, 2000000 };
	for (size_t i = 0; i < 2; i++) {
		long win = windows_us[i], stall = win * (long)c->th.pct / 100;
		if (stall <= 0)
			stall = 1000;
		char spec[64];
		int n = snprintf(spec, sizeof(spec), "%s %ld %ld", c->full ? "full" : "some", stall, win);
		if (write(c->fd, spec, (size_t)n + 1) >= 0) {
			mmp_debug("%s: PSI trigger '%s' on %s", what, spec, c->file);
			return 0;
		}
		if (errno != EINVAL)
			break;
	}
	mmp_error("%s: the kernel refused a PSI trigger on %s: %s", what, c->file, strerror(errno));
	close(c->fd);
	c->fd = -1;
	return -1;
}

static struct cmp *build_cmp(const struct mmp_cond *e, const char *what)
{
	struct cmp *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->fd = -1;
	c->th.ge = e->ge;
	c->th.pct = e->pct;
	c->hold_ns = e->hold_ns;
	c->kind = e->kind == COND_PRESSURE ? CMP_PRESSURE : CMP_USAGE;
	if (e->cgroup) {
		char dir[4096];
		int err = cgroup_dir(e->cgroup, c->kind == CMP_PRESSURE ? CG_PRESSURE : CG_MEMORY, dir, sizeof(dir));
		if (err == -ENOENT) {
			mmp_error("%s: cgroup \"%s\" does not exist", what, e->cgroup);
			free(c);
			return NULL;
		}
		if (err < 0) {
			mmp_error("%s: cgroup \"%s\" has no %s here", what, e->cgroup,
				  c->kind == CMP_PRESSURE ? "memory.pressure (PSI of a cgroup needs cgroup v2)" :
							    "memory controller");
			free(c);
			return NULL;
		}
		c->dir = strdup(dir);
	}
	if (c->kind == CMP_PRESSURE) {
		c->full = e->full;
		if (c->dir) {
			size_t n = strlen(c->dir) + 32;
			c->file = malloc(n);
			if (c->file)
				snprintf(c->file, n, "%s/memory.pressure", c->dir);
		} else {
			c->file = strdup("/proc/pressure/memory");
		}
		if (!c->file || psi_open(c, what) < 0) {
			free(c->file);
			free(c->dir);
			free(c);
			return NULL;
		}
	}
	return c;
}

static struct tnode *build(struct trigger *t, const struct mmp_cond *e, const char *what)
{
	struct tnode *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	if (e->kind == COND_AND || e->kind == COND_OR) {
		n->kind = e->kind == COND_AND ? T_AND : T_OR;
		n->l = build(t, e->l, what);
		n->r = build(t, e->r, what);
		if (!n->l || !n->r)
			return NULL;   /* freed with the trigger */
		return n;
	}
	n->kind = T_CMP;
	n->cmp = build_cmp(e, what);
	if (!n->cmp)
		return NULL;
	struct cmp **nc = realloc(t->cmps, (t->ncmps + 1) * sizeof(*nc));
	if (!nc)
		return NULL;
	t->cmps = nc;
	t->cmps[t->ncmps++] = n->cmp;
	return n;
}

static void free_tree(struct tnode *n)
{
	if (!n)
		return;
	free_tree(n->l);
	free_tree(n->r);
	free(n);
}

struct trigger *trigger_new(const struct mmp_trigger *rule, const char *what)
{
	struct trigger *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->text = strdup(rule->text);
	t->what = strdup(what);
	t->epfd = -1;
	t->root = build(t, rule->cond, what);
	if (!t->root || !t->text || !t->what) {
		trigger_free(t);
		return NULL;
	}
	return t;
}

void trigger_free(struct trigger *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->ncmps; i++) {
		struct cmp *c = t->cmps[i];
		if (c->fd >= 0)
			close(c->fd);
		for (size_t k = 0; k < c->ncgs; k++) {
			free(c->cgs[k].dir);
			if (c->cgs[k].efd >= 0)
				close(c->cgs[k].efd);
		}
		free(c->cgs);
		free(c->file);
		free(c->dir);
		free(c);
	}
	free(t->cmps);
	/* The tree's nodes are freed here; a half-built tree may lack some. */
	free_tree(t->root);
	free(t->text);
	free(t->what);
	free(t);
}

int trigger_watch(struct trigger *t, int epfd)
{
	t->epfd = epfd;
	for (size_t i = 0; i < t->ncmps; i++) {
		if (t->cmps[i]->fd < 0)
			continue;
		struct epoll_event ev = { .events = EPOLLPRI, .data.fd = t->cmps[i]->fd };
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0)
			return -errno;
	}
	return 0;
}

void trigger_set_window(struct trigger *t, trigger_window_fn fn, void *ctx)
{
	t->window = fn;
	t->window_ctx = ctx;
}

const char *trigger_text(const struct trigger *t)
{
	return t->text;
}

/* --- pressure ---------------------------------------------------------- */

/* The 'total=' stall time of the some or full line of a pressure file. */
static int read_total(const struct cmp *c, unsigned long long *total)
{
	char buf[512];
	int n = proc_read_file(c->file, buf, sizeof(buf));
	if (n <= 0)
		return n < 0 ? n : -EIO;
	const char *line = strstr(buf, c->full ? "full " : "some ");
	const char *tot = line ? strstr(line, "total=") : NULL;
	if (!tot)
		return -EINVAL;
	*total = strtoull(tot + 6, NULL, 10);
	return 0;
}

static void add_sample(struct cmp *c, long long now)
{
	unsigned long long total;
	if (read_total(c, &total) == 0)
		pressure_record(&c->ps, now, total);
}

bool trigger_on_fd(struct trigger *t, int fd, long long now)
{
	for (size_t i = 0; i < t->ncmps; i++) {
		struct cmp *c = t->cmps[i];
		for (size_t k = 0; k < c->ncgs; k++) {
			if (c->cgs[k].efd != fd)
				continue;
			if (c->cgs[k].events) {
				char buf[512];   /* read: polls again at the next change */
				if (pread(fd, buf, sizeof(buf), 0) < 0) {
					/* The cgroup is gone: its file would poll ready for ever. */
					mmp_debug("%s: %s/memory.events: %s; no longer watched", t->what, c->cgs[k].dir,
						  strerror(errno));
					epoll_ctl(t->epfd, EPOLL_CTL_DEL, fd, NULL);
					close(fd);
					c->cgs[k].efd = -1;
					c->cgs[k].events = false;
				}
			} else {
				uint64_t n;   /* the eventfd's count: consumed, not needed */
				if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
					mmp_debug("%s: the eventfd of %s: %s", t->what, c->cgs[k].dir, strerror(errno));
			}
			return true;   /* crossed the threshold: the caller samples now */
		}
		if (c->fd != fd)
			continue;
		/* The PSI window's share went over: pressure began. Sample from
		 * now on. */
		if (pressure_wake(&c->ps, now))
			mmp_debug("%s: %s pressure%s%s rose over %u%%", t->what, c->full ? "full" : "some",
				  c->dir ? " of " : "", c->dir ? c->dir : "", c->th.pct);
		add_sample(c, now);
		return true;
	}
	return false;
}

static void tick_pressure(struct trigger *t, struct cmp *c, long long now)
{
	/* Not active, a look once a second as well: a PSI trigger on a cgroup
	 * was seen here to stay silent through seconds of heavy pressure. */
	if (!c->ps.active && !pressure_look_due(&c->ps, now))
		return;
	add_sample(c, now);
	long long since = c->ps.since;
	long share = 0;
	switch (pressure_update(&c->ps, &c->th, now, &share)) {
	case PRESSURE_ROSE:
		mmp_debug("%s: %s pressure%s%s over %u%% (sampled)", t->what, c->full ? "full" : "some",
			  c->dir ? " of " : "", c->dir ? c->dir : "", c->th.pct);
		break;
	case PRESSURE_FELL:
		mmp_debug("%s: pressure fell to %ld.%02ld%% after %.1f s", t->what, share / 100, share % 100,
			  (double)(now - since) / 1e9);
		break;
	case PRESSURE_SAME:
		break;
	}
}

/* --- usage ------------------------------------------------------------- */

/* Usage is read at each tick. cgroup v1 also notifies a threshold of
 * memory.usage_in_bytes through an eventfd (cgroup.event_control), so
 * that a crossing is acted on at once, not at the next tick. The notice
 * alone is not enough: the kernel compares usage with the threshold only
 * every 128 page events per CPU, so when a drop brings usage under it
 * and a reader lifts it again in between, the kernel sees no crossing,
 * and says nothing the next time either. */
static void arm_v1(struct trigger *t, const struct cmp *c, struct usage_state *u, long long limit)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/cgroup.event_control", u->dir);
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), ctl = open(path, O_WRONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/memory.usage_in_bytes", u->dir);
	int ufd = open(path, O_RDONLY | O_CLOEXEC);
	char spec[64];
	int n = snprintf(spec, sizeof(spec), "%d %d %lld", efd, ufd, threshold_bytes(&c->th, limit));
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = efd };
	bool ok = efd >= 0 && ctl >= 0 && ufd >= 0 && write(ctl, spec, (size_t)n) == n &&
		  epoll_ctl(t->epfd, EPOLL_CTL_ADD, efd, &ev) == 0;
	if (ctl >= 0)
		close(ctl);
	if (ufd >= 0)
		close(ufd);   /* the kernel holds what it needs: the event lives as long as efd */
	if (!ok) {
		if (efd >= 0)
			close(efd);
		return;
	}
	u->efd = efd;
	mmp_debug("%s: usage of %s watched at %u%% through cgroup.event_control", t->what, u->dir, c->th.pct);
}

/* The owner's window hook, for a comparison without 'for' (one with a
 * duration would have the cgroup throttled at the threshold for all that
 * time), asked until it answers. */
static void ask_window(struct trigger *t, const struct cmp *c, struct usage_state *u, long long usage,
		       long long limit)
{
	if (!t->window || !u->events || u->window != 0 || c->hold_ns)
		return;
	u->window = t->window(t->window_ctx, u->dir, threshold_bytes(&c->th, limit), usage, limit);
	if (u->window > 0)
		mmp_debug("%s: memory.high of %s is the threshold", t->what, u->dir);
}

/* cgroup v2 has no usage thresholds. Its memory.events changes when usage
 * goes over memory.high (and at memory.max, and at an OOM), and polls
 * with EPOLLPRI then, until it is read. The owner's window hook may put
 * memory.high at the threshold, so that the crossing is told at once. */
static void arm_v2(struct trigger *t, const struct cmp *c, struct usage_state *u, long long usage, long long limit)
{
	char path[4200], buf[512];
	snprintf(path, sizeof(path), "%s/memory.events", u->dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLPRI, .data.fd = fd };
	if (fd < 0 || pread(fd, buf, sizeof(buf), 0) < 0 || epoll_ctl(t->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		if (fd >= 0)
			close(fd);
		return;
	}
	u->efd = fd;
	u->events = true;
	mmp_debug("%s: usage of %s watched at %u%% through memory.events", t->what, u->dir, c->th.pct);
	ask_window(t, c, u, usage, limit);
}

static void arm(struct trigger *t, const struct cmp *c, struct usage_state *u)
{
	char path[4200];
	long long usage, limit;
	if (t->epfd < 0 || memcg_reclaim_point(u->dir, &usage, &limit) < 0 || limit <= 0)
		return;
	snprintf(path, sizeof(path), "%s/cgroup.event_control", u->dir);
	if (access(path, W_OK) == 0)
		arm_v1(t, c, u, limit);
	else
		arm_v2(t, c, u, usage, limit);
}

static struct usage_state *usage_of(struct trigger *t, struct cmp *c, const char *dir)
{
	for (size_t i = 0; i < c->ncgs; i++)
		if (strcmp(c->cgs[i].dir, dir) == 0)
			return &c->cgs[i];
	struct usage_state *n = realloc(c->cgs, (c->ncgs + 1) * sizeof(*n));
	if (!n)
		return NULL;
	c->cgs = n;
	struct usage_state *u = &c->cgs[c->ncgs];
	*u = (struct usage_state){ .dir = strdup(dir), .efd = -1 };
	if (!u->dir)
		return NULL;
	c->ncgs++;
	arm(t, c, u);
	return u;
}

/* A usage comparison on a cgroup without a limit can never hold: said
 * once a cgroup, with the nearest cgroup above it that has a limit. */
static void say_unlimited(struct trigger *t, const struct cmp *c, struct usage_state *u)
{
	u->said_unlimited = true;
	char above[4096];
	memcg_limited_above(u->dir, above, sizeof(above));
	if (above[0])
		mmp_warn("%s: the memory cgroup %s has no limit of its own, so 'usage %s %u%%' never holds there; "
			 "%s above it has one, which 'usage of cgroup' can name", t->what, u->dir, c->th.ge ? ">=" : ">",
			 c->th.pct, above);
	else
		mmp_warn("%s: the memory cgroup %s has no limit, nor any cgroup above it, so 'usage %s %u%%' never "
			 "holds there (set memory.max, or memory.limit_in_bytes on cgroup v1, or use a pressure trigger)",
			 t->what, u->dir, c->th.ge ? ">=" : ">", c->th.pct);
}

static void sample_usage(struct trigger *t, struct cmp *c, const char *dir, long long now)
{
	struct usage_state *u = usage_of(t, c, dir);
	if (!u)
		return;
	u->seen = true;
	long long usage = 0, limit = 0;
	if (memcg_reclaim_point(dir, &usage, &limit) < 0)
		limit = 0;   /* unreadable: not over, as without a limit */
	else if (limit > 0)
		ask_window(t, c, u, usage, limit);
	else if (!u->said_unlimited)
		say_unlimited(t, c, u);
	usage_update(&u->level, &c->th, usage, limit, now);
}

static void tick_usage(struct trigger *t, struct cmp *c, long long now, const char *const *cgroups, size_t n)
{
	for (size_t i = 0; i < c->ncgs; i++)
		c->cgs[i].seen = false;
	if (c->dir) {
		sample_usage(t, c, c->dir, now);
	} else {
		for (size_t i = 0; i < n; i++)
			if (cgroups[i])
				sample_usage(t, c, cgroups[i], now);
	}
	for (size_t i = 0; i < c->ncgs; i++)
		if (!c->cgs[i].seen)
			c->cgs[i].level.since = 0;   /* no governed process is in it now */
}

void trigger_tick(struct trigger *t, long long now, const char *const *cgroups, size_t ncgroups)
{
	for (size_t i = 0; i < t->ncmps; i++) {
		if (t->cmps[i]->kind == CMP_PRESSURE)
			tick_pressure(t, t->cmps[i], now);
		else
			tick_usage(t, t->cmps[i], now, cgroups, ncgroups);
	}
}

/* --- evaluation -------------------------------------------------------- */

static void add_scope(struct trigger *t, const char *dir)
{
	for (size_t i = 0; i < t->nscope; i++)
		if (strcmp(t->scope[i], dir) == 0)
			return;
	if (t->nscope < MAX_SCOPE)
		t->scope[t->nscope++] = dir;
}

static bool cmp_holds(struct trigger *t, struct cmp *c, long long now)
{
	if (c->kind == CMP_PRESSURE) {
		if (!pressure_held(&c->ps, now, c->hold_ns))
			return false;
		if (c->dir)
			add_scope(t, c->dir);
		return true;
	}
	bool any = false;
	for (size_t i = 0; i < c->ncgs; i++) {
		if (usage_held(&c->cgs[i].level, now, c->hold_ns)) {
			add_scope(t, c->cgs[i].dir);
			any = true;
		}
	}
	return any;
}

static bool eval(struct trigger *t, const struct tnode *n, long long now)
{
	switch (n->kind) {
	case T_CMP:
		return cmp_holds(t, n->cmp, now);
	case T_AND:
		return eval(t, n->l, now) && eval(t, n->r, now);
	case T_OR: {
		bool l = eval(t, n->l, now), r = eval(t, n->r, now);   /* both: the scope is the union */
		return l || r;
	}
	}
	return false;
}

bool trigger_holds(struct trigger *t, long long now, const char *const **scope)
{
	t->nscope = 0;
	bool holds = eval(t, t->root, now);
	t->scope[holds ? t->nscope : 0] = NULL;
	if (scope)
		*scope = t->scope;
	return holds;
}

long long trigger_excess(const struct trigger *t)
{
	long long most = -1;
	for (size_t i = 0; i < t->ncmps; i++) {
		const struct cmp *c = t->cmps[i];
		if (c->kind != CMP_USAGE)
			continue;
		if (most < 0)
			most = 0;
		for (size_t k = 0; k < c->ncgs; k++)
			if (c->cgs[k].level.since && usage_to_free(&c->cgs[k].level) > most)
				most = usage_to_free(&c->cgs[k].level);
	}
	return most;
}

long long trigger_headroom(const struct trigger *t)
{
	long long least = -1;
	for (size_t i = 0; i < t->ncmps; i++) {
		const struct cmp *c = t->cmps[i];
		for (size_t k = 0; c->kind == CMP_USAGE && k < c->ncgs; k++) {
			long long h = usage_headroom(&c->cgs[k].level);
			if (c->cgs[k].level.since && (least < 0 || h < least))
				least = h > 0 ? h : 0;
		}
	}
	return least;
}

void trigger_reset(struct trigger *t)
{
	for (size_t i = 0; i < t->ncmps; i++) {
		struct cmp *c = t->cmps[i];
		pressure_reset(&c->ps);
		for (size_t k = 0; k < c->ncgs; k++)
			c->cgs[k].level.since = 0;
	}
}
