/* process.c - /proc, and the process matchers of the language. */
#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_paths.h"
#include "cgroups.h"
#include "compiler/pattern.h"

int proc_read_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	size_t n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return (int)n;
}

int proc_read_adj(pid_t pid, int *adj)
{
	char p[64], buf[32];
	snprintf(p, sizeof(p), "/proc/%d/oom_score_adj", (int)pid);
	int n = proc_read_file(p, buf, sizeof(buf));
	if (n <= 0)
		return n < 0 ? n : -EIO;
	*adj = atoi(buf);
	return 0;
}

int proc_write_adj(pid_t pid, int adj)
{
	char p[64], buf[32];
	snprintf(p, sizeof(p), "/proc/%d/oom_score_adj", (int)pid);
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int n = snprintf(buf, sizeof(buf), "%d", adj);
	int err = write(fd, buf, (size_t)n) == n ? 0 : -errno;
	close(fd);
	return err;
}

int proc_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	int n = proc_read_file(path, buf, len);
	if (n < 0)
		return n;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

long long proc_meminfo_kb(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "re");
	if (!f)
		return 0;
	char line[256];
	long long v = 0;
	size_t n = strlen(key);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, n) == 0 && line[n] == ':') {
			v = atoll(line + n + 1);
			break;
		}
	fclose(f);
	return v;
}

/* Fields of /proc/PID/stat after the parenthesised comm (which may hold spaces). */
static int read_stat(pid_t pid, pid_t *ppid, unsigned long long *start)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int n = proc_read_file(path, buf, sizeof(buf));
	if (n < 0)
		return n;
	char *p = strrchr(buf, ')');
	if (!p)
		return -EINVAL;
	/* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
	 * cutime cstime priority nice threads itrealvalue starttime */
	int pp;
	unsigned long long st;
	if (sscanf(p + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   &pp, &st) != 2)
		return -EINVAL;
	*ppid = pp;
	*start = st;
	return 0;
}

bool proc_self_has_cap(int cap)
{
	char buf[4096];
	unsigned long long eff = 0;
	if (proc_read_file("/proc/self/status", buf, sizeof(buf)) < 0)
		return false;
	const char *e = strstr(buf, "\nCapEff:");
	return e && sscanf(e + 8, "%llx", &eff) == 1 && (eff >> cap & 1);
}

long long proc_cpu_ms(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (proc_read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	char *p = strrchr(buf, ')');
	unsigned long long ut, st;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	long hz = sysconf(_SC_CLK_TCK);
	return (long long)((ut + st) * 1000 / (unsigned long long)(hz > 0 ? hz : 100));
}

pid_t proc_tgid(pid_t tid)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	if (proc_read_file(path, buf, sizeof(buf)) <= 0)
		return 0;
	const char *t = strstr(buf, "\nTgid:");
	return t ? (pid_t)strtol(t + 6, NULL, 10) : 0;
}

unsigned long long proc_start_time(pid_t pid)
{
	pid_t pp;
	unsigned long long st;
	return read_stat(pid, &pp, &st) == 0 ? st : 0;
}

int proc_read(pid_t pid, struct proc_info *p)
{
	char path[64], buf[4096];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	int err = read_stat(pid, &p->ppid, &p->start);
	if (err < 0)
		return err;
	if (proc_comm(pid, p->comm, sizeof(p->comm)) < 0)
		return -ENOENT;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(path, p->exe, sizeof(p->exe) - 1);
	p->exe[n > 0 ? n : 0] = '\0';   /* kernel threads have none */
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (proc_read_file(path, buf, sizeof(buf)) > 0) {
		char *u = strstr(buf, "\nUid:");
		if (u)
			p->uid = (uid_t)strtoul(u + 5, NULL, 10);
	}
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	proc_read_file(path, p->cgroups, sizeof(p->cgroups));
	return 0;
}

bool proc_descends_from(pid_t pid, pid_t root)
{
	for (int depth = 0; pid > 1 && depth < 64; depth++) {
		if (pid == root)
			return true;
		pid_t pp;
		unsigned long long st;
		if (read_stat(pid, &pp, &st) < 0)
			return false;
		pid = pp;
	}
	return pid == root;
}

bool proc_matches(const struct mmp_test *t, const struct proc_info *p)
{
	switch (t->kind) {
	case TEST_ALL:
		return true;
	case TEST_COMM:
		return pattern_match(t->text, p->comm, PATTERN_GLOB);
	case TEST_EXE:
		return p->exe[0] && pattern_match(t->text, p->exe, PATTERN_GLOB);
	case TEST_PID:
		return (uint64_t)p->pid == t->value;
	case TEST_UID:
		return (uint64_t)p->uid == t->value;
	case TEST_USER: {
		struct passwd *pw = getpwnam(t->text);
		return pw && pw->pw_uid == p->uid;
	}
	case TEST_CGROUP:
		return cgroup_matches(t->text, p->cgroups, cgroup_root_is_v2());
	case TEST_NOT:
		return !proc_matches(t->l, p);
	case TEST_AND:
		return proc_matches(t->l, p) && proc_matches(t->r, p);
	case TEST_OR:
		return proc_matches(t->l, p) || proc_matches(t->r, p);
	default:
		return false;   /* memory tests select no process */
	}
}
