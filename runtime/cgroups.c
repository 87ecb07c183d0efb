/* cgroups.c - cgroup directories and memory-cgroup figures. */
#define _GNU_SOURCE
#include "cgroups.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "process.h"

static bool exists(const char *dir, const char *file)
{
	char p[4200];
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	return access(p, F_OK) == 0;
}

bool cgroup_root_is_v2(void)
{
	return exists(CG_MOUNT, "cgroup.controllers");
}

static bool has_want(const char *dir, enum cg_want want)
{
	if (want == CG_PRESSURE)
		return exists(dir, "memory.pressure");
	return exists(dir, "memory.usage_in_bytes") || exists(dir, "memory.current") ||
	       (exists(dir, "memory.pressure") && exists(dir, "memory.stat"));
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int cgroup_dir(const char *path, enum cg_want want, char *out, size_t len)
{
	if (strncmp(path, CG_MOUNT "/", sizeof(CG_MOUNT)) == 0) {
		snprintf(out, len, "%s", path);
		size_t n = strlen(out);
		while (n > 1 && out[n - 1] == '/')
			out[--n] = '\0';
		return has_want(out, want) ? 0 : is_dir(out) ? -ENODATA : -ENOENT;
	}
	const char *bases[] = { want == CG_MEMORY ? V1_MEMORY : HYBRID_V2, CG_MOUNT, HYBRID_V2, V1_MEMORY };
	bool found = false;
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		snprintf(out, len, "%s%s", bases[i], strcmp(path, "/") == 0 ? "" : path);
		if (has_want(out, want))
			return 0;
		found |= is_dir(out);
	}
	return found ? -ENODATA : -ENOENT;
}

/* The path of PID's cgroup in the hierarchy whose /proc/PID/cgroup line
 * satisfies WANT_V2 (the "0::" line) or names the memory controller. */
static int proc_cgroup_path(pid_t pid, bool want_v2, char *path, size_t len)
{
	char file[64];
	snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
	FILE *f = fopen(file, "re");
	if (!f)
		return -errno;
	char line[4200];
	int err = -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		const char *p = cgroup_line_path(line, want_v2);
		if (p) {
			snprintf(path, len, "%s", p);
			err = 0;
			break;
		}
	}
	fclose(f);
	return err;
}

int proc_unified_dir(pid_t pid, char *out, size_t len)
{
	char path[4096];
	int err = proc_cgroup_path(pid, true, path, sizeof(path));
	if (err)
		return err;
	snprintf(out, len, "%s%s", cgroup_root_is_v2() ? CG_MOUNT : HYBRID_V2, strcmp(path, "/") == 0 ? "" : path);
	return 0;
}

int proc_memcg_dir(pid_t pid, char *out, size_t len)
{
	char path[4096];
	if (proc_cgroup_path(pid, false, path, sizeof(path)) == 0) {
		snprintf(out, len, "%s%s", V1_MEMORY, strcmp(path, "/") == 0 ? "" : path);
		return 0;
	}
	if (cgroup_root_is_v2() && proc_cgroup_path(pid, true, path, sizeof(path)) == 0) {
		snprintf(out, len, "%s%s", CG_MOUNT, strcmp(path, "/") == 0 ? "" : path);
		return 0;
	}
	return -ENOENT;
}

static int read_ll(const char *dir, const char *file, long long *v)
{
	char p[4200], buf[64];
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	FILE *f = fopen(p, "re");
	if (!f)
		return -errno;
	char *ok = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!ok)
		return -EIO;
	if (strncmp(buf, "max", 3) == 0) {
		*v = -1;   /* cgroup2: no limit */
		return 0;
	}
	*v = strtoll(buf, NULL, 10);
	return 0;
}

int memcg_limit_hits(const char *dir, long long *hits)
{
	if (read_ll(dir, "memory.failcnt", hits) == 0)
		return 0;
	char p[4200], line[128];
	snprintf(p, sizeof(p), "%s/memory.events", dir);
	FILE *f = fopen(p, "re");
	if (!f)
		return -errno;
	int err = -ENODATA;
	while (err && fgets(line, sizeof(line), f))
		if (sscanf(line, "max %lld", hits) == 1)
			err = 0;
	fclose(f);
	return err;
}

/* A v1 limit this large is "no limit" (PAGE_COUNTER_MAX pages). */
#define V1_UNLIMITED (1LL << 60)

int memcg_usage(const char *dir, long long *usage, long long *limit)
{
	if (read_ll(dir, "memory.usage_in_bytes", usage) == 0) {
		if (read_ll(dir, "memory.limit_in_bytes", limit) < 0)
			return -EIO;
		if (*limit >= V1_UNLIMITED)
			*limit = 0;
		return 0;
	}
	if (read_ll(dir, "memory.current", usage) < 0 || read_ll(dir, "memory.max", limit) < 0)
		return -ENOENT;
	if (*limit < 0)
		*limit = 0;
	return 0;
}

int memcg_read_high(const char *dir, long long *high)
{
	return read_ll(dir, "memory.high", high);
}

int memcg_write_high(const char *dir, long long high)
{
	char path[4200], val[32];
	snprintf(path, sizeof(path), "%s/memory.high", dir);
	int len = high < 0 ? snprintf(val, sizeof(val), "max") : snprintf(val, sizeof(val), "%lld", high);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int err = write(fd, val, (size_t)len) == len ? 0 : -errno;
	close(fd);
	return err;
}

int memcg_lock_knob(const char *dir, const char *file)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* The memory.high values the runtime wrote (oom_window.c): a few cgroups. */
static struct own_high {
	char *dir;
	long long high, before;
} *own;
static size_t nown;

void memcg_own_high(const char *dir, long long high, long long before)
{
	for (size_t i = 0; i < nown; i++) {
		if (strcmp(own[i].dir, dir) != 0)
			continue;
		if (high < 0) {
			free(own[i].dir);
			own[i] = own[--nown];
		} else {
			own[i].high = high;   /* lowered again: the point from before stays */
		}
		return;
	}
	if (high < 0)
		return;
	struct own_high *n = realloc(own, (nown + 1) * sizeof(*n));
	char *d = strdup(dir);
	if (!n || !d) {
		free(d);
		if (n)
			own = n;
		return;
	}
	own = n;
	own[nown++] = (struct own_high){ d, high, before };
}

int memcg_reclaim_point(const char *dir, long long *usage, long long *limit)
{
	int err = memcg_usage(dir, usage, limit);
	long long high;
	if (err != 0 || memcg_read_high(dir, &high) < 0 || high < 0)
		return err;   /* "max" reads as -1 */
	for (size_t i = 0; i < nown; i++)
		if (own[i].high == high && strcmp(own[i].dir, dir) == 0) {
			*limit = own[i].before;
			return 0;
		}
	if (*limit == 0 || high < *limit)
		*limit = high;
	return 0;
}

void memcg_limited_above(const char *dir, char *out, size_t len)
{
	char d[4096];
	snprintf(d, sizeof(d), "%s", dir);
	out[0] = '\0';
	for (;;) {
		char *slash = strrchr(d, '/');
		if (!slash || cgroup_dir_is_root(d))
			return;
		*slash = '\0';
		long long usage, limit;
		if (memcg_reclaim_point(d, &usage, &limit) == 0 && limit > 0) {
			snprintf(out, len, "%s", d);
			return;
		}
	}
}

/* The swap the kernel counts into a memory cgroup's size when it picks an
 * OOM victim (mem_cgroup_get_max()): none if the cgroup may not swap,
 * else what its swap limit allows, at most the system's swap. */
static long long swap_room(const char *dir, long long limit)
{
	long long total = proc_meminfo_kb("SwapTotal") * 1024, swappiness = 60, room;
	if (total <= 0)
		return 0;
	if (read_ll(dir, "memory.swappiness", &swappiness) == 0 && swappiness == 0)
		return 0;
	if (read_ll(dir, "memory.memsw.limit_in_bytes", &room) == 0)
		room = room >= V1_UNLIMITED ? total : room - limit;
	else if (read_ll(dir, "memory.swap.max", &room) == 0)
		room = room < 0 ? total : room;   /* "max" reads as -1 */
	else
		room = total;
	return room < 0 ? 0 : room < total ? room : total;
}

void memcg_domain(const char *dir, char *out, size_t len, long long *limit)
{
	char d[4096];
	snprintf(d, sizeof(d), "%s", dir);
	*limit = 0;
	out[0] = '\0';
	for (;;) {
		long long usage, lim;
		if (memcg_usage(d, &usage, &lim) == 0 && lim > 0) {
			snprintf(out, len, "%s", d);
			*limit = lim + swap_room(d, lim);
			return;
		}
		char *slash = strrchr(d, '/');
		if (!slash || cgroup_dir_is_root(d))
			return;
		*slash = '\0';
	}
}
