/* owned.h - is a path this user's own, one no one else could have put
 * there or could change? What mmp loads into the kernel (its cache of
 * compiled policies), pins under (bpffs is mode 1777) or keeps runtime
 * names in must be. */
#ifndef MMP_OWNED_H
#define MMP_OWNED_H

#include <sys/types.h>

/* 0 if PATH (a link not followed) is a file of TYPE (S_IFDIR or S_IFREG)
 * of this user's that no one else may write; else -EPERM with *WHY the
 * reason ("a symbolic link", "not a directory", "not a regular file",
 * "another user's", "writable by others"), or -errno of lstat with *WHY
 * its text. */
int owned_check(const char *path, mode_t type, const char **why);

#endif
