/* object.h - a compiled policy object: its header, its checked policy and
 * its BPF programs. */
#ifndef MMP_OBJECT_H
#define MMP_OBJECT_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler/frontend.h"
#include "compiler/plan.h"

struct bpf_object;

struct mmp_object {
	char *path;                /* the .bpf.o */
	char *name;                /* runtime name: the policy file's base name */
	int format, abi;
	char mmpc_version[32];
	uint64_t layout;
	char *source_name;
	struct mmp_compilation unit;   /* the embedded source, checked again */
	struct mmp_plan plan;
	struct bpf_object *bpf;
};

/* Opens PATH: a .bpf.o from mmpc, or a .mmp source that is compiled with
 * mmpc first (cached by content, so a second start runs no clang).
 * Returns 0 or a negative errno after an error message. */
int object_open(struct mmp_object *obj, const char *path);
void object_close(struct mmp_object *obj);

#endif
