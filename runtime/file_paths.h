/* file_paths.h - a file's path from what BPF can read of it: the names
 * from the file up to the root of its file system (struct
 * mmp_file_event), and the mounts of that file system (mountinfo). Plain
 * values, unit-tested; evict_files.c reads /proc and checks the result
 * with stat. */
#ifndef MMP_FILE_PATHS_H
#define MMP_FILE_PATHS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* NAMES ("c/b/a/": the file's name, then its directories', each followed
 * by '/', LEN bytes) as a path from the file system's root ("/a/b/c").
 * False when it does not fit OUT, or names nothing. */
bool file_names_path(const char *names, size_t len, char *out, size_t outlen);

/* A mount: where a file system's directory ROOT is seen at POINT. */
struct mount_entry {
	uint32_t kdev;                /* the kernel's dev_t: MAJOR << 20 | MINOR */
	char *root, *point;
};

struct mount_table {
	struct mount_entry *m;
	size_t n;
};

/* Parses the text of a mountinfo file (proc(5)) into T, octal escapes
 * undone; lines it cannot read are skipped. 0, or -1 out of memory. */
int mount_table_parse(struct mount_table *t, const char *text);
void mount_table_free(struct mount_table *t);

/* The Ith place (from 0) where the file at FSREL in the file system KDEV
 * is seen, into OUT; false when there are no more. Mounts of a directory
 * the file is not under are passed over. */
bool mount_table_place(const struct mount_table *t, uint32_t kdev, const char *fsrel, size_t i, char *out,
		       size_t outlen);

#endif
