/* file_table.h - the files the evictor watches, by their key (device and
 * inode): an open-addressing hash table of pointers to records whose
 * first member is a struct mmp_file_key. Every entry of BPF's file map is
 * looked up here at every scoring, tens of thousands for a source tree:
 * a balanced tree's pointer chasing took most of a scoring's time. */
#ifndef MMP_FILE_TABLE_H
#define MMP_FILE_TABLE_H

#include <stddef.h>

#include "bpf/mmp_shared.h"

struct file_table {
	void **slots;               /* NULL: empty; else a record, its key first */
	size_t cap, n;              /* cap: a power of two, or 0 */
};

/* The record of KEY, or NULL. */
void *file_table_find(const struct file_table *t, const struct mmp_file_key *key);
/* Adds REC (not there yet): 0, or -1 out of memory. */
int file_table_add(struct file_table *t, void *rec);
/* Removes the record of KEY, if there is one. */
void file_table_remove(struct file_table *t, const struct mmp_file_key *key);
void file_table_free(struct file_table *t);

#endif
