/* loader.h - the policy's BPF object: opened with its sizes set, its
 * programs chosen for this kernel (hooks.c), loaded through the verifier,
 * attached, and closed (which detaches it). */
#ifndef MMP_LOADER_H
#define MMP_LOADER_H

#include <stddef.h>

#include <bpf/libbpf.h>

#include "object.h"

struct loaded {
	struct bpf_object *bpf;
	struct bpf_link **links;        /* every program's but the major-fault one */
	size_t nlinks;
	struct bpf_link **perf_links;   /* the major-fault program, one a CPU */
	int *perf_fds;
	int ncpus;
};

/* Does this kernel have what every policy needs (BTF)? 0, or -errno after
 * an error message. */
int loader_check_kernel(void);
/* Opens OBJ's BPF object and loads it (the verifier runs). 0, or -errno
 * after an error message that says why. */
int loader_open(struct mmp_object *obj, struct loaded *l);
/* Attaches every program this kernel runs. 0, or -errno after a message. */
int loader_attach(struct loaded *l);
/* Detaches and unloads; L may be half set up. */
void loader_close(struct loaded *l);
/* The fd of the map NAME, or -1 if the object has none. */
int loader_map_fd(const struct loaded *l, const char *name);
/* The first LEN bytes of the mmapable array NAME, mapped shared for
 * reading and writing, or NULL (errno set) after a message naming it
 * WHAT. */
void *loader_map_mmap(const struct loaded *l, const char *name, size_t len, const char *what);
/* Loads every program of OBJ into the kernel (the verifier runs) and
 * unloads it: 0, or 1 after printing the verifier's complaint. */
int verify(struct mmp_object *obj);

#endif
