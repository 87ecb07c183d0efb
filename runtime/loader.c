/* loader.c - the BPF side of a policy, from file to attached programs.
 * Every libbpf call is checked, and a failure says what the kernel
 * refused and why, in the policy's terms where it can. */
#define _GNU_SOURCE
#include "loader.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/mmp_shared.h"
#include "hooks.h"
#include "log.h"
#include "process.h"

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* The verifier's log and libbpf's warnings, but not its chatter about
	 * the sections that carry the policy. */
	if (level == LIBBPF_DEBUG || strstr(fmt, "skipping unrecognized data section"))
		return 0;
	if (level == LIBBPF_INFO && !mmp_verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int loader_check_kernel(void)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		mmp_error("this kernel has no BTF (/sys/kernel/btf/vmlinux); mmp needs CONFIG_DEBUG_INFO_BTF=y");
		return -ENOTSUP;
	}
	return 0;
}

static int open_bpf(struct mmp_object *obj, struct bpf_object **out)
{
	unsigned nregions = obj->plan.nregions;
	libbpf_set_print(libbpf_quiet);
	struct bpf_object *bpf = bpf_object__open_file(obj->path, NULL);
	int err = libbpf_get_error(bpf);
	if (err) {
		char msg[128];
		libbpf_strerror(err, msg, sizeof(msg));
		mmp_error("cannot open %s: %s", obj->path, msg);
		return err;
	}
	/* The report maps have a slot a region, or a policy. */
	const char *per_region[] = { "mmp_names", "mmp_reports" };
	for (int i = 0; i < 2; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(bpf, per_region[i]);
		if (m)
			bpf_map__set_max_entries(m, nregions ? nregions : 1);
	}
	struct bpf_map *per_policy = bpf_object__find_map_by_name(bpf, "mmp_oom_reports");
	if (per_policy)
		bpf_map__set_max_entries(per_policy, obj->plan.npolicies ? obj->plan.npolicies : 1);
	struct bpf_map *rodata = bpf_object__find_map_by_name(bpf, ".rodata.config");
	if (rodata) {
		/* .rodata.config holds mmp_config alone (bpf/mmp.bpf.h): set it before load. */
		size_t sz;
		const void *init = bpf_map__initial_value(rodata, &sz);
		void *copy = init && sz >= sizeof(struct mmp_config) ? malloc(sz) : NULL;
		if (copy) {
			memcpy(copy, init, sz);
			((struct mmp_config *)copy)->runtime_tgid = (__u32)getpid();
			bpf_map__set_initial_value(rodata, copy, sz);
			free(copy);
		}
	}
	err = hooks_select(bpf);
	if (err) {
		bpf_object__close(bpf);
		return err;
	}
	err = bpf_object__load(bpf);
	if (err) {
		char msg[128];
		libbpf_strerror(err, msg, sizeof(msg));
		/* With it, EACCES is the verifier's no. */
		if ((err == -EPERM || err == -EACCES) && !proc_self_has_cap(CAP_SYS_ADMIN))
			mmp_error("loading BPF programs needs root (CAP_SYS_ADMIN): %s", msg);
		else
			mmp_error("the kernel refused the policy's BPF programs (%s); the verifier's log is above, and its "
				  "'; ...' lines name the policy file and line", msg);
		bpf_object__close(bpf);
		return err;
	}
	*out = bpf;
	return 0;
}

int verify(struct mmp_object *obj)
{
	if (loader_check_kernel() < 0)
		return 1;
	struct bpf_object *bpf;
	if (open_bpf(obj, &bpf) < 0)
		return 1;
	int n = 0;
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, bpf)
		n += bpf_program__autoload(prog);   /* not the stand-ins this kernel does not need */
	printf("%s: %d BPF programs loaded and verified\n", obj->source_name, n);
	bpf_object__close(bpf);
	return 0;
}

static int attach_major_faults(struct loaded *l, struct bpf_program *prog)
{
	l->ncpus = libbpf_num_possible_cpus();
	if (l->ncpus <= 0)
		return l->ncpus;
	l->perf_links = calloc((size_t)l->ncpus, sizeof(*l->perf_links));
	l->perf_fds = calloc((size_t)l->ncpus, sizeof(*l->perf_fds));
	if (!l->perf_links || !l->perf_fds)
		return -ENOMEM;
	for (int cpu = 0; cpu < l->ncpus; cpu++)
		l->perf_fds[cpu] = -1;   /* loader_close closes those >= 0 */
	for (int cpu = 0; cpu < l->ncpus; cpu++) {
		struct perf_event_attr attr = {
			.type = PERF_TYPE_SOFTWARE,
			.size = sizeof(attr),
			.config = PERF_COUNT_SW_PAGE_FAULTS_MAJ,
			.sample_period = 1,
		};
		int fd = (int)syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
		l->perf_fds[cpu] = fd;
		if (fd < 0) {
			if (errno == ENODEV)
				continue;   /* an offline CPU */
			int err = -errno;
			mmp_error("cannot count major faults (perf software event on CPU %d): %s", cpu, strerror(errno));
			return err;
		}
		l->perf_links[cpu] = bpf_program__attach_perf_event(prog, fd);
		int err = libbpf_get_error(l->perf_links[cpu]);
		if (err) {
			l->perf_links[cpu] = NULL;
			mmp_error("cannot attach the major-fault program on CPU %d: %s", cpu, strerror(-err));
			return err;
		}
	}
	return 0;
}

int loader_attach(struct loaded *l)
{
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, l->bpf) {
		if (!bpf_program__autoload(prog))
			continue;   /* a stand-in this kernel does not need, or the program it stands in for */
		if (strcmp(bpf_program__name(prog), "mmp_major_fault") == 0) {
			int err = attach_major_faults(l, prog);
			if (err)
				return err;
			continue;
		}
		struct bpf_link **more = realloc(l->links, (l->nlinks + 1) * sizeof(*more));
		if (!more)
			return -ENOMEM;
		l->links = more;
		struct bpf_link *link = bpf_program__attach(prog);
		int err = libbpf_get_error(link);
		if (!err)
			l->links[l->nlinks++] = link;
		if (err) {
			char msg[128];
			libbpf_strerror(err, msg, sizeof(msg));
			mmp_error("cannot attach %s (%s): %s; this kernel may lack the hook", bpf_program__name(prog),
				  bpf_program__section_name(prog), msg);
			return err;
		}
	}
	return 0;
}

int loader_open(struct mmp_object *obj, struct loaded *l)
{
	return open_bpf(obj, &l->bpf);
}

void loader_close(struct loaded *l)
{
	for (int cpu = 0; l->perf_links && cpu < l->ncpus; cpu++) {
		if (l->perf_links[cpu])
			bpf_link__destroy(l->perf_links[cpu]);   /* closes its perf event too */
		else if (l->perf_fds && l->perf_fds[cpu] >= 0)
			close(l->perf_fds[cpu]);
	}
	free(l->perf_links);
	free(l->perf_fds);
	for (size_t i = 0; i < l->nlinks; i++)
		bpf_link__destroy(l->links[i]);   /* a link holds its program attached */
	free(l->links);
	if (l->bpf)
		bpf_object__close(l->bpf);
	*l = (struct loaded){ 0 };
}

int loader_map_fd(const struct loaded *l, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(l->bpf, name);
	return m ? bpf_map__fd(m) : -1;
}

void *loader_map_mmap(const struct loaded *l, const char *name, size_t len, const char *what)
{
	int fd = loader_map_fd(l, name);
	if (fd < 0) {
		mmp_error("the policy's object has no map %s: was it built by another mmpc?", name);
		errno = ENOENT;
		return NULL;
	}
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		int err = errno;
		mmp_error("cannot map %s: %s", what, strerror(err));
		errno = err;
		return NULL;
	}
	return m;
}
