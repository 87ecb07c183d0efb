/* hooks.c - which of a policy's programs this kernel can run. Each BPF
 * program sits on a hook (a tracepoint, a kernel function); kernels differ
 * in which they have. Before the object is loaded, every program's hook is
 * looked up in the running kernel: a program whose hook is missing gives
 * way to its stand-in (the program of the same name with '__older'), and
 * when neither can run, the policy is refused with the hook by name, not
 * with a verifier's or an attach's error number.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

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

/* Does the running kernel have SECTION's hook? A tracepoint defined with
 * TRACE_EVENT has a 'btf_trace_NAME' typedef in the kernel's BTF; the
 * syscall tracepoints have none and are looked up in tracefs; a function
 * to trace is a BTF FUNC. Other sections (perf_event) are always there. */
static bool hook_exists(const struct btf *vmlinux, const char *section, char *what, size_t len)
{
	char name[256];
	if (strncmp(section, "tp_btf/", 7) == 0 || strncmp(section, "tp/", 3) == 0) {
		const char *tp = strrchr(section, '/') + 1;
		snprintf(what, len, "tracepoint %s", section + (section[2] == '/' ? 3 : 7));
		if (strncmp(section, "tp/syscalls/", 12) == 0) {
			snprintf(name, sizeof(name), "/sys/kernel/tracing/events/%s", section + 3);
			return access("/sys/kernel/tracing/events", F_OK) != 0 || access(name, F_OK) == 0;
		}
		snprintf(name, sizeof(name), "btf_trace_%s", tp);
		return btf__find_by_name_kind(vmlinux, name, BTF_KIND_TYPEDEF) >= 0;
	}
	if (strncmp(section, "fentry/", 7) == 0 || strncmp(section, "fexit/", 6) == 0) {
		const char *fn = strchr(section, '/') + 1;
		snprintf(what, len, "kernel function %s", fn);
		return btf__find_by_name_kind(vmlinux, fn, BTF_KIND_FUNC) >= 0;
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
	bpf_object__for_each_program(prog, bpf) {
		const char *name = bpf_program__name(prog);
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
		/* A kernel without userfaultfd has no range for it to guard. */
		if (strcmp(name, "mmp_userfaultfd") == 0) {
			mmp_debug("this kernel has no %s: no userfaultfd to watch for", what);
			bpf_program__set_autoload(prog, false);
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
