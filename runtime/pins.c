/* pins.c - pinning a runtime's maps for 'mmp stats', and telling a live
 * runtime's pins from those a killed one left behind. */
#include "pins.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "log.h"
#include "process.h"

/* The oom maps exist only in objects with oom rules. */
static const char *const pinned_maps[] = { "mmp_meta", "mmp_names", "mmp_reports", "mmp_stats", "mmp_chunks",
					   "mmp_procs", "mmp_oom_tasks", "mmp_oom_reports" };

void pins_dir(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", PIN_ROOT, name);
}

int pins_open(const char *dir, const char *map)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, map);
	int fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

bool pins_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > PIN_NAME_MAX)
		return false;
	for (const char *p = name; *p; p++)
		if (!(*p == '-' || *p == '_' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z')))
			return false;
	return true;
}

bool pins_runtime_alive(const struct mmp_meta *meta)
{
	pid_t pid = (pid_t)meta->runtime_pid;
	if (pid <= 0 || (kill(pid, 0) != 0 && errno == ESRCH))
		return false;
	/* A pid reused since is a process that started after the runtime
	 * did. Its name says nothing (mmp may be installed under another);
	 * where the start time cannot be read, it is not proven gone. */
	unsigned long long ticks = proc_start_time(pid);
	long hz = sysconf(_SC_CLK_TCK);
	if (!ticks || hz <= 0)
		return true;
	unsigned long long started_ns = ticks * (1000000000ULL / (unsigned long long)hz);
	return started_ns <= meta->started_ns + 1000000000ULL / (unsigned long long)hz;
}

void pins_remove(const char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		char path[512];
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
	rmdir(PIN_ROOT);   /* only if no other runtime is pinned there */
}

int pins_claim(const char *dir)
{
	int fd = pins_open(dir, "mmp_meta");
	if (fd < 0) {
		if (access(dir, F_OK) == 0)
			pins_remove(dir);   /* a directory with no meta: a runtime that died while starting */
		return 0;
	}
	struct mmp_meta meta = { 0 };
	__u32 zero = 0;
	bool alive = bpf_map_lookup_elem(fd, &zero, &meta) == 0 && pins_runtime_alive(&meta);
	close(fd);
	if (alive) {
		mmp_error("a runtime named '%s' is already running (pid %u); stop it or give another --name", meta.name,
			  meta.runtime_pid);
		return -EBUSY;
	}
	mmp_info("removed the pins of runtime '%s' (pid %u), which is gone", meta.name, meta.runtime_pid);
	pins_remove(dir);
	return 0;
}

int pins_create(const char *dir, struct bpf_object *bpf)
{
	mkdir(PIN_ROOT, 0755);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		int err = -errno;
		mmp_error("cannot create %s: %s", dir, strerror(errno));
		return err;
	}
	char path[512];
	for (size_t i = 0; i < sizeof(pinned_maps) / sizeof(pinned_maps[0]); i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(bpf, pinned_maps[i]);
		if (!m && strncmp(pinned_maps[i], "mmp_oom", 7) == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, pinned_maps[i]);
		int err = m ? bpf_map__pin(m, path) : -ENOENT;
		if (err) {
			mmp_error("cannot pin %s: %s", path, strerror(-err));
			return err;
		}
	}
	return 0;
}
