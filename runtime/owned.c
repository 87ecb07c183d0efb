/* owned.c - see owned.h. */
#include "owned.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int owned_check(const char *path, mode_t type, const char **why)
{
	struct stat st;
	if (lstat(path, &st) < 0) {
		int err = -errno;
		*why = strerror(errno);
		return err;
	}
	if (S_ISLNK(st.st_mode))
		*why = "a symbolic link";
	else if ((st.st_mode & S_IFMT) != type)
		*why = type == S_IFDIR ? "not a directory" : "not a regular file";
	else if (st.st_uid != geteuid())
		*why = "another user's";
	else if (st.st_mode & 022)
		*why = "writable by others";
	else
		return 0;
	return -EPERM;
}
