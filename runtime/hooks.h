/* hooks.h - which of a policy's programs this kernel can run. */
#ifndef MMP_HOOKS_H
#define MMP_HOOKS_H

struct bpf_object;

/* Before load: turns off each program whose hook this kernel lacks in
 * favour of its '__older' stand-in, and the stand-ins not needed. Returns
 * 0, or -ENOTSUP after naming each hook that neither program has. */
int hooks_select(struct bpf_object *bpf);

#endif
