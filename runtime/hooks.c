/* hooks.c - which of a policy's programs this kernel can run. Each BPF
 * program sits on a hook (a tracepoint, a kernel function); kernels differ
 * in which they have. Before the object is loaded, every program's hook is
 * looked up in the running kernel: a program whose hook is missing gives
 * way to its stand-in (the program of the same name with '__older'), and
 * when neither can run, the policy is refused with the hook by name, not
 * with a verifier's or an attach's error number.
 *
 * A family of programs may share one stand-in: the system calls that
 * change a process's mappings are followed by one fexit program each, and
 * where the kernel allows no trampoline at all (some refuse every fentry
 * and fexit program, as machine B's does), one tracepoint program stands
 * in for the whole family.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "hooks.h"
#include "log.h"

#define STANDIN_SUFFIX "__older"

/* The rule kind each program family serves, for the refusal. */
static const char *kind_of(const char *prog)
{
	static const struct { const char *prefix, *kind; } kinds[] = {
		{ "mmp_file_", "evict" },
		{ "mmp_rss_stat", "oom" },
		{ "mmp_mark_victim", "oom" },
		{ "mmp_adj_update", "oom" },
		{ "mmp_major_fault", "prefetch" },
	};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strncmp(prog, kinds[i].prefix, strlen(kinds[i].prefix)) == 0)
			return kinds[i].kind;
	return "every policy";
}

/* Programs that stand or fall together, and the one that stands in for
 * them all; a member whose hook is missing may be OPTIONAL (a kernel
 * without userfaultfd has no range for it to guard). */
static const struct family {
	const char *prefix, *standin, *optional;
} families[] = {
	{ "mmp_sys_", "mmp_mm_changed__older", "mmp_sys_userfaultfd" },
};

static const struct family *family_of(const char *prog)
{
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (strncmp(prog, families[i].prefix, strlen(families[i].prefix)) == 0)
			return &families[i];
	return NULL;
}

/* Does this kernel load programs that attach by trampoline (fentry,
 * fexit)? Some refuse every one with EPERM (a lockdown, or no direct
 * calls): a program that returns 0 at the exit of FN, BTF id ID, tells.
 * Asked once. */
static bool trampolines_allowed(int id)
{
	static int known = -1;
	if (known >= 0)
		return known;
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FEXIT, .attach_btf_id = (__u32)id);
	int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "mmp_probe", "GPL", insns, 2, &opts);
	known = fd >= 0;
	if (fd >= 0)
		close(fd);
	else
		mmp_debug("this kernel loads no fentry or fexit program (%s): tracepoints stand in", strerror(errno));
	return known;
}

/* Does the running kernel have SECTION's hook? A tracepoint defined with
 * TRACE_EVENT has a 'btf_trace_NAME' typedef in the kernel's BTF; a
 * function to trace is a BTF FUNC, where trampolines are allowed. Other
 * sections (perf_event) are always there. No program here uses a
 * syscalls tracepoint (see mmp_progs.bpf.h). */
static bool hook_exists(const struct btf *vmlinux, const char *section, char *what, size_t len)
{
	char name[256];
	if (strncmp(section, "tp_btf/", 7) == 0 || strncmp(section, "tp/", 3) == 0) {
		const char *tp = strrchr(section, '/') + 1;
		snprintf(what, len, "tracepoint %s", section + (section[2] == '/' ? 3 : 7));
		snprintf(name, sizeof(name), "btf_trace_%s", tp);
		return btf__find_by_name_kind(vmlinux, name, BTF_KIND_TYPEDEF) >= 0;
	}
	if (strncmp(section, "fentry/", 7) == 0 || strncmp(section, "fexit/", 6) == 0) {
		const char *fn = strchr(section, '/') + 1;
		snprintf(what, len, "kernel function %s", fn);
		int id = btf__find_by_name_kind(vmlinux, fn, BTF_KIND_FUNC);
		if (id >= 0 && !trampolines_allowed(id)) {
			snprintf(what, len, "trampoline on kernel function %s (this kernel loads no fentry or fexit program)", fn);
			return false;
		}
		return id >= 0;
	}
	snprintf(what, len, "%s", section);
	return true;
}

int hooks_select(struct bpf_object *bpf)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	int err = libbpf_get_error(vmlinux);
	if (err) {
		mmp_error("cannot read this kernel's BTF: %s", strerror(-err));
		return err;
	}
	struct utsname uts;
	if (uname(&uts) < 0)
		snprintf(uts.release, sizeof(uts.release), "?");
	err = 0;
	struct bpf_program *prog;
	/* A family runs whole, or its stand-in does. */
	bool family_down[sizeof(families) / sizeof(families[0])] = { false };
	bool family_seen[sizeof(families) / sizeof(families[0])] = { false };
	char family_what[sizeof(families) / sizeof(families[0])][300];
	bpf_object__for_each_program(prog, bpf) {
		const struct family *f = family_of(bpf_program__name(prog));
		char what[300];
		if (!f)
			continue;
		size_t fi = (size_t)(f - families);
		family_seen[fi] = true;
		if (!hook_exists(vmlinux, bpf_program__section_name(prog), what, sizeof(what)) &&
		    strcmp(bpf_program__name(prog), f->optional) != 0 && !family_down[fi]) {
			family_down[fi] = true;
			snprintf(family_what[fi], sizeof(family_what[fi]), "%s", what);
		}
	}
	for (size_t fi = 0; fi < sizeof(families) / sizeof(families[0]); fi++) {
		struct bpf_program *standin = bpf_object__find_program_by_name(bpf, families[fi].standin);
		if (standin)
			bpf_program__set_autoload(standin, family_seen[fi] && family_down[fi]);
		if (!family_seen[fi] || !family_down[fi])
			continue;
		char what[300];
		if (standin && hook_exists(vmlinux, bpf_program__section_name(standin), what, sizeof(what))) {
			mmp_debug("this kernel has no %s: %s stands in for the %s* programs, on %s", family_what[fi],
				  families[fi].standin, families[fi].prefix, what);
			continue;
		}
		mmp_error("this kernel (%s) has no %s, which every policy needs (programs %s*)%s%s", uts.release,
			  family_what[fi], families[fi].prefix, standin ? ", nor " : "", standin ? what : "");
		err = -ENOTSUP;
	}
	bpf_object__for_each_program(prog, bpf) {
		const char *name = bpf_program__name(prog);
		const struct family *f = family_of(name);
		if (f) {
			/* Up, the family lacks at most its optional member's hook
			 * (looked up again only for it). */
			char what[300];
			if (family_down[f - families])
				bpf_program__set_autoload(prog, false);
			else if (strcmp(name, f->optional) == 0 &&
				 !hook_exists(vmlinux, bpf_program__section_name(prog), what, sizeof(what))) {
				mmp_debug("this kernel has no %s: nothing for %s to follow", what, name);
				bpf_program__set_autoload(prog, false);
			}
			continue;
		}
		size_t n = strlen(name), sl = strlen(STANDIN_SUFFIX);
		if (n > sl && strcmp(name + n - sl, STANDIN_SUFFIX) == 0)
			continue;   /* decided with the program it stands in for */
		char standin_name[128], what[300], standin_what[300];
		snprintf(standin_name, sizeof(standin_name), "%s%s", name, STANDIN_SUFFIX);
		struct bpf_program *standin = bpf_object__find_program_by_name(bpf, standin_name);
		if (hook_exists(vmlinux, bpf_program__section_name(prog), what, sizeof(what))) {
			if (standin)
				bpf_program__set_autoload(standin, false);
			continue;
		}
		if (standin && hook_exists(vmlinux, bpf_program__section_name(standin), standin_what, sizeof(standin_what))) {
			mmp_debug("this kernel has no %s: %s stands in, on %s", what, standin_name, standin_what);
			bpf_program__set_autoload(prog, false);
			continue;
		}
		mmp_error("this kernel (%s) has no %s, which '%s' rules need (program %s)%s%s", uts.release, what,
			  kind_of(name), name, standin ? ", nor " : "", standin ? standin_what : "");
		err = -ENOTSUP;
	}
	btf__free(vmlinux);
	return err;
}
