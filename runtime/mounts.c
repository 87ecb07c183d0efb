/* mounts.c - bpffs and tracefs, mounted where a minimal system (a
 * container, an initramfs) has not; what is mounted here is unmounted on
 * exit, so the machine is left as it was. */
#include "mounts.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>

#include "log.h"
#include "pins.h"

#define BPF_FS_MAGIC_ 0xcafe4a11
#define TRACEFS_MAGIC_ 0x74726163
#define BPFFS_PATH "/sys/fs/bpf"
#define TRACEFS_PATH "/sys/kernel/tracing"

static bool is_fs(const char *path, long magic)
{
	struct statfs st;
	return statfs(path, &st) == 0 && st.f_type == magic;
}

/* Mounts FSTYPE at PATH if it is not there; *mounted says to undo it. */
static int ensure_mount(const char *fstype, const char *path, long magic, bool *mounted)
{
	if (is_fs(path, magic))
		return 0;
	if (mount(fstype, path, fstype, 0, NULL) < 0) {
		int err = -errno;
		mmp_error("%s is not mounted at %s and mounting it failed: %s", fstype, path, strerror(errno));
		return err;
	}
	*mounted = true;
	mmp_info("mounted %s at %s (it is unmounted when mmp exits)", fstype, path);
	return 0;
}

int mounts_ensure(struct mounts *m)
{
	int err = ensure_mount("bpf", BPFFS_PATH, BPF_FS_MAGIC_, &m->bpffs);
	return err ? err : ensure_mount("tracefs", TRACEFS_PATH, TRACEFS_MAGIC_, &m->tracefs);
}

/* Does anything but this runtime use the bpffs it mounted? */
static bool bpffs_in_use(void)
{
	DIR *d = opendir(BPFFS_PATH);
	if (!d)
		return false;
	bool used = false;
	struct dirent *e;
	while (!used && (e = readdir(d)))
		used = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return used;
}

void mounts_undo(struct mounts *m)
{
	/* A runtime started after this one uses what this one mounted: it is
	 * left mounted, and the last one out leaves it too (the machine had
	 * neither; a mount is harmless, a vanished one is not). */
	if ((m->tracefs || m->bpffs) && (pins_any_held() || bpffs_in_use())) {
		mmp_info("left bpffs and tracefs mounted: another runtime or pin uses them");
		m->tracefs = m->bpffs = false;
		return;
	}
	if (m->tracefs)
		umount2(TRACEFS_PATH, MNT_DETACH);
	if (m->bpffs)
		umount2(BPFFS_PATH, MNT_DETACH);
	m->tracefs = m->bpffs = false;
}
