/* pins.c - pinning a runtime's maps for 'mmp stats', and telling a live
 * runtime's pins from those a killed one left behind. */
#include "pins.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "log.h"
#include "owned.h"
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
	int held = pins_held(meta->name);
	if (held >= 0)
		return held;
	/* No name lock (a runtime of a version before it): by its pid. */
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

/* DIR is a directory of this user's that no one else may write: bpffs is
 * mode 1777, so anyone may make /sys/fs/bpf/mmp first, or a link there. */
static int check_own_dir(const char *dir, bool quiet)
{
	const char *why;
	int err = owned_check(dir, S_IFDIR, &why);
	if (err == -EPERM && !quiet)
		mmp_error("%s is %s: refusing to pin there (remove it, and mmp makes it again)", dir, why);
	else if (err && !quiet)
		mmp_error("cannot use %s: %s", dir, why);
	return err;
}

void pins_remove(const char *dir)
{
	/* Never below a pin root someone else made or linked elsewhere. */
	if (check_own_dir(PIN_ROOT, true) < 0)
		return;
	DIR *d = check_own_dir(dir, true) == 0 ? opendir(dir) : NULL;
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

static void lock_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s.lock", NAME_LOCK_DIR, name);
}

/* The name lock of NAME, opened (and, with CREATE, made). Its directory
 * is root's alone: one that is a link, another's or writable by others
 * is refused, so that no user can take or move a runtime's name. */
static int open_name_lock(const char *name, bool create)
{
	if (create && mkdir(NAME_LOCK_DIR, 0700) < 0 && errno != EEXIST) {
		int err = -errno;
		mmp_error("cannot create %s: %s", NAME_LOCK_DIR, strerror(errno));
		return err;
	}
	const char *why;
	int err = owned_check(NAME_LOCK_DIR, S_IFDIR, &why);
	if (err == -EPERM)
		mmp_error("%s is not a directory of this user's that only it can write: refusing to keep runtime "
			  "names there", NAME_LOCK_DIR);
	if (err)
		return err;
	char path[256];
	lock_path(path, sizeof(path), name);
	int fd = open(path, (create ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 && create) {
		int err = -errno;
		mmp_error("cannot open %s: %s", path, strerror(errno));
		return err;
	}
	return fd < 0 ? -errno : fd;
}

int pins_held(const char *name)
{
	int fd = open_name_lock(name, false);
	if (fd < 0)
		return -1;
	int held = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);   /* and with it a shared lock it got */
	return held;
}

bool pins_name_of_file(const char *file, const char *suffix, char name[PIN_NAME_MAX + 1])
{
	size_t n = strlen(file), k = strlen(suffix);
	if (n <= k || n - k > PIN_NAME_MAX || strcmp(file + n - k, suffix) != 0)
		return false;
	snprintf(name, PIN_NAME_MAX + 1, "%.*s", (int)(n - k), file);
	return pins_name_ok(name);
}

bool pins_any_held(void)
{
	DIR *d = opendir(NAME_LOCK_DIR);
	if (!d)
		return false;
	bool any = false;
	struct dirent *e;
	while (!any && (e = readdir(d))) {
		char name[PIN_NAME_MAX + 1];
		any = pins_name_of_file(e->d_name, ".lock", name) && pins_held(name) == 1;
	}
	closedir(d);
	return any;
}

/* A holder of NAME removes its lock file as it lets go (pins_release),
 * so that NAME_LOCK_DIR keeps no file of a name not in use. So a lock got
 * on a file that was removed meanwhile is no lock: it is taken again on
 * the file the path names now. */
static int take(const char *name, bool create)
{
	char path[256];
	lock_path(path, sizeof(path), name);
	for (int tries = 0; tries < 100; tries++) {
		int fd = open_name_lock(name, create);
		if (fd < 0)
			return fd;
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			int err = errno == EWOULDBLOCK ? -EBUSY : -errno;
			close(fd);
			return err;
		}
		struct stat held, named;
		if (fstat(fd, &held) == 0 && stat(path, &named) == 0 && held.st_dev == named.st_dev &&
		    held.st_ino == named.st_ino)
			return fd;
		close(fd);
	}
	return -EBUSY;
}

int pins_take(const char *name)
{
	return take(name, true);
}

int pins_take_left(const char *name)
{
	return take(name, false);
}

void pins_release(const char *name, int lock_fd)
{
	char path[256];
	lock_path(path, sizeof(path), name);
	unlink(path);   /* while it is held: no one else holds this file */
	close(lock_fd);
}

int pins_claim(const char *name, const char *dir, int *lock_fd)
{
	*lock_fd = -1;
	struct mmp_meta meta = { 0 };
	int mfd = pins_open(dir, "mmp_meta");
	__u32 zero = 0;
	bool have_meta = mfd >= 0 && bpf_map_lookup_elem(mfd, &zero, &meta) == 0;
	if (mfd >= 0)
		close(mfd);
	/* A runtime's guardian holds the name for a moment after it ends
	 * (see guardian.c): a second, and then it is taken for good. */
	int fd;
	for (int i = 0; (fd = pins_take(name)) == -EBUSY && i < 50; i++)
		usleep(20000);
	if (fd == -EBUSY) {
		if (have_meta)
			mmp_error("a runtime named '%s' is already running (pid %u); stop it or give another --name", name,
				  meta.runtime_pid);
		else
			mmp_error("a runtime named '%s' is already starting or running; stop it or give another --name",
				  name);
		return fd;
	}
	if (fd < 0)
		return fd;   /* said by open_name_lock */
	/* The name is ours: what is pinned under it is a dead runtime's. */
	if (access(dir, F_OK) == 0) {
		if (have_meta)
			mmp_info("removed the pins of runtime '%s' (pid %u), which is gone", name, meta.runtime_pid);
		pins_remove(dir);
	}
	*lock_fd = fd;
	return 0;
}

int pins_create(const char *dir, struct bpf_object *bpf)
{
	if (mkdir(PIN_ROOT, 0755) < 0 && errno != EEXIST) {
		int err = -errno;
		mmp_error("cannot create %s: %s", PIN_ROOT, strerror(errno));
		return err;
	}
	if (check_own_dir(PIN_ROOT, false) < 0)
		return -EPERM;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		int err = -errno;
		mmp_error("cannot create %s: %s", dir, strerror(errno));
		return err;
	}
	if (check_own_dir(dir, false) < 0)
		return -EPERM;
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
