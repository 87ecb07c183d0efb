/* object.c - reading what mmpc put in an object, and compiling sources. */
#include "object.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "bpf/mmp_shared.h"
#include "compiler/codegen.h"
#include "compiler/hash.h"
#include "config.h"
#include "log.h"
#include "owned.h"

/* The bytes of section NAME, NUL-terminated, or NULL. */
static char *read_section(Elf *e, const char *name, size_t *len)
{
	size_t shstrndx;
	if (elf_getshdrstrndx(e, &shstrndx) != 0)
		return NULL;
	for (Elf_Scn *scn = elf_nextscn(e, NULL); scn; scn = elf_nextscn(e, scn)) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			continue;
		const char *n = elf_strptr(e, shstrndx, sh.sh_name);
		if (!n || strcmp(n, name) != 0)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf)
			return NULL;
		char *buf = malloc(d->d_size + 1);
		if (!buf)
			return NULL;
		memcpy(buf, d->d_buf, d->d_size);
		buf[d->d_size] = '\0';
		*len = strnlen(buf, d->d_size);   /* the string's own NUL ends it */
		return buf;
	}
	return NULL;
}

static int parse_header(struct mmp_object *obj, char *h)
{
	obj->format = -1;
	obj->abi = -1;
	for (char *line = strtok(h, "\n"); line; line = strtok(NULL, "\n")) {
		if (sscanf(line, "mmp-object %d", &obj->format) == 1)
			continue;
		if (sscanf(line, "abi %d", &obj->abi) == 1)
			continue;
		if (sscanf(line, "mmpc %31s", obj->mmpc_version) == 1)
			continue;
		if (sscanf(line, "layout %" SCNx64, &obj->layout) == 1)
			continue;
		if (strncmp(line, "name ", 5) == 0) {
			free(obj->source_name);
			obj->source_name = strdup(line + 5);
		}
	}
	return obj->format >= 0 && obj->source_name ? 0 : -EINVAL;
}

static char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	char *n = strdup(b);
	if (!n)
		return NULL;
	char *dot = strchr(n, '.');
	if (dot && dot != n)
		*dot = '\0';
	for (char *p = n; *p; p++)   /* a pin directory name: see pins_name_ok */
		if (!(*p == '-' || *p == '_' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z')))
			*p = '_';
	if (strlen(n) > 63) {
		mmp_info("the runtime is named '%.63s', its policy file's name cut to 63 characters (--name names it)", n);
		n[63] = '\0';
	}
	if (!*n) {
		free(n);
		n = strdup("policy");
	}
	return n;
}

/* Does the file at PATH hold exactly the LEN bytes of TEXT? */
static bool file_holds(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "rbe");
	if (!f)
		return false;
	char buf[65536];
	size_t n, at = 0;
	bool same = true;
	while (same && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
		same = at + n <= len && memcmp(buf, text + at, n) == 0;
		at += n;
	}
	same = same && !ferror(f) && at == len;
	fclose(f);
	return same;
}

/* QUIET: the front end's warnings are not shown again (mmpc has just
 * shown them, compiling the source). FROM: the source a cached object
 * must have been compiled from, or NULL. */
static int open_compiled(struct mmp_object *obj, const char *path, bool quiet, const char *from)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = -errno;
		mmp_error("cannot open %s: %s", path, strerror(errno));
		return err;
	}
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	size_t hlen = 0, slen = 0;
	char *header = e ? read_section(e, ".mmp.header", &hlen) : NULL;
	char *source = e ? read_section(e, ".mmp.source", &slen) : NULL;
	if (e)
		elf_end(e);
	close(fd);
	int err = 0;
	if (!header || !source || parse_header(obj, header) < 0) {
		mmp_error("%s is not a policy object made by mmpc (no valid .mmp.header/.mmp.source)", path);
		err = -EINVAL;
	} else if (from && (strcmp(obj->source_name, from) != 0 || !file_holds(from, source, slen))) {
		mmp_error("the cached object %s was not compiled from %s as it is now: refusing it (remove it, and mmp "
			  "compiles the policy again)", path, from);
		err = -EINVAL;
	} else if (obj->format != MMP_OBJECT_FORMAT || obj->abi != MMP_ABI_VERSION) {
		mmp_error("%s was made by mmpc %s (object format %d, abi %d); this mmp reads format %d, abi %d: "
			  "compile the policy again with this version's mmpc", path, obj->mmpc_version, obj->format,
			  obj->abi, MMP_OBJECT_FORMAT, MMP_ABI_VERSION);
		err = -EINVAL;
	}
	if (!err) {
		/* The same front end checks the embedded policy again, so that the
		 * runtime works from the very tree the code was generated from. */
		struct mmp_frontend_opts fo = { .color = DIAG_COLOR_AUTO };
		FILE *null = quiet ? fopen("/dev/null", "we") : NULL;
		fo.diag_out = null;
		int checked = frontend_run_text(&obj->unit, obj->source_name, source, slen, &fo);
		if (null)
			fclose(null);
		if (checked != 0) {
			mmp_error("the policy inside %s does not check with this mmp", path);
			err = -EINVAL;
		} else if (plan_build(&obj->plan, &obj->unit.ast, obj->unit.src, obj->unit.arena) < 0) {
			err = -ENOMEM;
		} else if (obj->plan.layout_hash != obj->layout) {
			mmp_error("%s: the compiled layout (%016" PRIx64 ") differs from this mmp's (%016" PRIx64
				  "): compile the policy again with this version's mmpc", path, obj->layout,
				  obj->plan.layout_hash);
			err = -EINVAL;
		}
	}
	free(header);
	free(source);
	if (err)
		return err;
	obj->path = strdup(path);
	obj->name = base_name(obj->source_name);
	return obj->path && obj->name ? 0 : -ENOMEM;
}

/* Objects being compiled are HASH.bpf.o.PID.tmp: remove those of an mmp
 * that is gone (killed while mmpc ran). */
static void remove_stale_temps(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		int pid, end = 0;
		if (sscanf(e->d_name, "%*16[0-9a-f].bpf.o.%d.tmp%n", &pid, &end) != 1 || e->d_name[end] || pid <= 0)
			continue;
		if (kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		char path[PATH_MAX];
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < (int)sizeof(path))
			unlink(path);
	}
	closedir(d);
}

/* mmpc next to this mmp (a build tree or an installed bindir), else PATH. */
static void find_mmpc(char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			if (snprintf(buf, len, "%s/mmpc", self) < (int)len && access(buf, X_OK) == 0)
				return;
		}
	}
	snprintf(buf, len, "mmpc");
}

/* Folds the bytes of PATH into *H, a piece at a time (mmpc, not this,
 * says whether a policy is too big). -1 with errno on failure. */
static int hash_file(const char *path, uint64_t *h)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		*h = mmp_fnv1a(*h, buf, n);
	int failed = ferror(f);
	fclose(f);
	if (failed) {
		errno = EIO;
		return -1;
	}
	return 0;
}

/* Compiles SRC to a cached object, named by a hash of the source text and
 * of mmpc's version: the second start of the same policy runs no clang. */
static int compile_source(const char *src, char *out, size_t outlen, bool *compiled_now)
{
	uint64_t h = MMP_FNV_OFFSET;
	if (hash_file(src, &h) < 0) {
		int err = -errno;
		mmp_error("cannot read %s: %s", src, strerror(errno));
		return err;
	}
	char mmpc[PATH_MAX];
	find_mmpc(mmpc, sizeof(mmpc));
	h = mmp_fnv1a(h, src, strlen(src));   /* the name appears in diagnostics and pins */
	/* The compiler itself is part of the key: a rebuilt mmpc (new BPF code)
	 * must not be answered with an object from the old one. */
	if (!strchr(mmpc, '/') || hash_file(mmpc, &h) < 0)
		h = mmp_fnv1a(h, PACKAGE_VERSION, strlen(PACKAGE_VERSION));

	const char *cache = getenv("MMP_CACHE_DIR");
	char dir[PATH_MAX];
	int len;
	if (cache)
		len = snprintf(dir, sizeof(dir), "%s", cache);
	else if (geteuid() == 0)
		len = snprintf(dir, sizeof(dir), "/var/cache/mmp");
	else
		len = snprintf(dir, sizeof(dir), "%s/.cache/mmp", getenv("HOME") ? getenv("HOME") : "/tmp");
	/* A name cut short would name another file (its hash cut short). Room
	 * is kept for the temporary object's suffix whatever the pid, so that
	 * a directory is taken or refused the same way at every start. */
	const size_t object = sizeof("/0123456789abcdef.bpf.o") - 1, suffix = sizeof(".4294967295.tmp") - 1;
	const size_t room = (outlen < PATH_MAX ? outlen : PATH_MAX) - 1 - object - suffix;
	if (len < 0 || (size_t)len > room) {
		mmp_error("the cache directory's name is too long (%d bytes, %s; at most %zu): set MMP_CACHE_DIR to a shorter one",
			  len, cache ? "from MMP_CACHE_DIR" : "from HOME", room);
		return -ENAMETOOLONG;
	}
	char tmp[PATH_MAX];
	if (snprintf(out, outlen, "%s/%016" PRIx64 ".bpf.o", dir, h) >= (int)outlen ||
	    snprintf(tmp, sizeof(tmp), "%s.%d.tmp", out, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;   /* not reached: room was kept above */
	/* Private: the objects hold the policies' source. ~/.cache may not
	 * exist yet. */
	if (!cache && geteuid() != 0) {
		char *slash = strrchr(dir, '/');
		*slash = '\0';
		mkdir(dir, 0700);
		*slash = '/';
	}
	if (mkdir(dir, 0700) < 0) {
		if (errno != EEXIST) {
			int err = -errno;
			mmp_error("cannot make the cache directory %s: %s (MMP_CACHE_DIR sets another)", dir,
				  strerror(errno));
			return err;
		}
		if (!cache)
			chmod(dir, 0700);
	}
	/* What is loaded from here runs in the kernel, as root: never from a
	 * directory or an object that someone else could have put there. */
	const char *why;
	if (owned_check(dir, S_IFDIR, &why) < 0) {
		mmp_error("the cache directory %s is %s: refusing to load compiled policies from it (MMP_CACHE_DIR sets "
			  "another)", dir, why);
		return -EPERM;
	}
	remove_stale_temps(dir);
	int err = owned_check(out, S_IFREG, &why);
	if (err == -EPERM) {
		mmp_error("the cached object %s is %s: refusing it (remove it, and mmp compiles the policy again)", out, why);
		return err;
	}
	if (!err) {
		mmp_debug("using the compiled policy cached in %s", out);
		return 0;
	}
	*compiled_now = true;
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execlp(mmpc, mmpc, src, "-o", tmp, (char *)NULL);
		fprintf(stderr, "mmp: cannot run %s: %s\n", mmpc, strerror(errno));
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		unlink(tmp);
		if (WIFSIGNALED(status))
			mmp_error("%s died of signal %d (%s) compiling %s", mmpc, WTERMSIG(status),
				  strsignal(WTERMSIG(status)), src);
		else if (WEXITSTATUS(status) != 127)
			mmp_error("%s does not compile (see above)", src);
		return -EINVAL;
	}
	/* Private, whatever the umask: see the check above. */
	if (chmod(tmp, 0600) < 0 || rename(tmp, out) < 0) {
		err = -errno;
		unlink(tmp);
		mmp_error("cannot store the compiled policy in %s: %s", out, strerror(-err));
		return err;
	}
	return 0;
}

int object_open(struct mmp_object *obj, const char *path)
{
	memset(obj, 0, sizeof(*obj));
	size_t n = strlen(path);
	if (n > 4 && strcmp(path + n - 4, ".mmp") == 0) {
		char compiled[PATH_MAX + 64];
		bool now = false;
		int err = compile_source(path, compiled, sizeof(compiled), &now);
		return err ? err : open_compiled(obj, compiled, now, path);
	}
	return open_compiled(obj, path, false, NULL);
}

void object_close(struct mmp_object *obj)
{
	if (obj->bpf)
		bpf_object__close(obj->bpf);
	plan_free(&obj->plan);
	frontend_free(&obj->unit);
	free(obj->path);
	free(obj->name);
	free(obj->source_name);
	memset(obj, 0, sizeof(*obj));
}
