/* mounts.c - bpffs and tracefs, mounted where a minimal system (a
 * container, an initramfs) has not; what is mounted here is unmounted on
 * exit, so the machine is left as it was. */
#include "mounts.h"

#include <errno.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>

#include "log.h"

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

void mounts_undo(struct mounts *m)
{
	if (m->tracefs)
		umount2(TRACEFS_PATH, MNT_DETACH);
	if (m->bpffs)
		umount2(BPFFS_PATH, MNT_DETACH);
	m->tracefs = m->bpffs = false;
}
