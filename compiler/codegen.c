/* codegen.c - emits the BPF C of a policy file and compiles it.
 *
 * The generated file is small: the policy's 'when' conditions as C over a
 * region's statistics, a table from region to rule group, a switch that
 * evaluates a group's conditions, and the
 * policy source with a versioned header, in sections the runtime reads.
 * Everything else is the hand-written code in bpf/, which it includes.
 */
#include "codegen.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpf/mmp_shared.h"
#include "config.h"
#include "diag.h"
#include "stats.h"

/* The headers of bpf/, built into mmpc (compiler/bpf-headers.c) so that a
 * compiled mmpc needs only clang and the libbpf headers. */
struct embedded_file {
	const char *name;
	const char *text;
};
extern const struct embedded_file mmp_bpf_headers[];

struct emitter {
	FILE *out;
	const struct mmp_source *src;
	bool major;      /* the policy reads major faults */
};

/* One byte inside a C string literal: every byte that is not plain
 * printable ASCII escaped, and '"', '\\' and '?' ("??/" is a trigraph,
 * which clang warns of in a policy's strings). */
static void emit_escaped_byte(FILE *out, unsigned char c)
{
	if (c == '"' || c == '\\' || c == '?')
		fprintf(out, "\\%c", c);
	else if (c < 0x20 || c >= 0x7f)
		fprintf(out, "\\%03o", c);
	else
		fputc(c, out);
}

/* The body of a C string literal of S, on one line. Any host string (a
 * file name) goes into the generated C only this way. */
static void emit_escaped(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		emit_escaped_byte(out, *p);
}

/* S inside a C comment: printable ASCII, and never a comment's end. */
static void emit_comment_text(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '*' && p[1] == '/')
			fputs("* ", out);
		else
			fputc(*p < 0x20 || *p >= 0x7f ? '?' : *p, out);
	}
}

static void emit_line(struct emitter *em, struct mmp_loc loc)
{
	unsigned line, col;
	source_position(em->src, loc.start, &line, &col);
	fprintf(em->out, "#line %u \"", line);
	emit_escaped(em->out, em->src->name);
	fputs("\"\n", em->out);
}

/* A region statistic as C over 'const struct mmp_region_stats *s'. */
static void emit_stat(struct emitter *em, enum stat_id id, bool rate)
{
	switch (id) {
	case STAT_R_FAULTS:
		fputs(rate ? "mmp_rate(s, now)" : "(__s64)s->faults", em->out);
		break;
	case STAT_R_MAJOR_FAULTS:
		em->major = true;
		fputs(rate ? "mmp_major_rate(s, now)" : "(__s64)s->major_faults", em->out);
		break;
	case STAT_R_SIZE: fputs("(__s64)s->size", em->out); break;
	case STAT_R_RESIDENT: fputs("(__s64)s->resident", em->out); break;
	case STAT_R_SWAP: fputs("(__s64)s->swap", em->out); break;
	case STAT_R_IDLE: fputs("mmp_ms_since(s->last_ns, now)", em->out); break;
	case STAT_R_AGE: fputs("mmp_ms_since(s->first_ns, now)", em->out); break;
	default:
		/* The checker lets only region statistics into region rules. */
		fprintf(em->out, "0 /* %s */", stat_get(id)->name);
		break;
	}
}

static void emit_calc(struct emitter *em, const struct mmp_calc *c)
{
	static const char *const ops[] = {
		[CALC_ADD] = "+", [CALC_SUB] = "-", [CALC_MUL] = "*", [CALC_LT] = "<", [CALC_LE] = "<=",
		[CALC_GT] = ">", [CALC_GE] = ">=", [CALC_EQ] = "==", [CALC_NE] = "!=", [CALC_AND] = "&&",
		[CALC_OR] = "||",
	};
	switch (c->op) {
	case CALC_CONST:
		fprintf(em->out, "((__s64)%" PRId64 "LL)", c->value);
		break;
	case CALC_STAT:
		emit_stat(em, c->stat, c->rate);
		break;
	case CALC_NEG:
	case CALC_NOT:
		fputs(c->op == CALC_NOT ? "(!" : "(-", em->out);
		emit_calc(em, c->l);
		fputc(')', em->out);
		break;
	case CALC_DIV:
		fputs("mmp_div(", em->out);
		emit_calc(em, c->l);
		fputs(", ", em->out);
		emit_calc(em, c->r);
		fputc(')', em->out);
		break;
	default:
		fputc('(', em->out);
		emit_calc(em, c->l);
		fprintf(em->out, " %s ", ops[c->op]);
		emit_calc(em, c->r);
		fputc(')', em->out);
		break;
	}
}

/* A C string literal of arbitrary bytes. */
static void emit_cstring(FILE *out, const char *s, size_t n)
{
	fputc('"', out);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n')
			fputs("\\n\"\n\t\"", out);
		else
			emit_escaped_byte(out, c);
	}
	fputc('"', out);
}

/* mmp_group_prefetch(): each group's prefetch settings, as constants. */
static void emit_prefetch_config(FILE *b, const struct mmp_plan *plan, const struct mmp_plan_region **first,
				 unsigned ngroups)
{
	(void)plan;
	fputs("\nstatic __always_inline int mmp_group_prefetch(__u32 group, struct mmp_pf_config *c)\n{\n"
	      "\tswitch (group) {\n", b);
	for (unsigned g = 1; g <= ngroups; g++) {
		const struct mmp_prefetch_rule *r = first[g]->prefetch;
		if (!r)
			continue;
		static const char *const pattern[] = { "0", "MMP_PF_SEQUENTIAL", "MMP_PF_STRIDE", "MMP_PF_LEAP" };
		fprintf(b, "\tcase %u:\n\t\tc->pattern = %s;\n\t\tc->degree = %" PRIu64 ";\n"
			   "\t\tc->distance = %" PRIu64 ";\n\t\tc->window = %" PRIu64 ";\n\t\tc->limit = %" PRIu64 "ULL;\n"
			   "\t\treturn 1;\n",
			g, pattern[r->pattern & 3], r->degree, r->distance, r->window, r->limit);
	}
	fputs("\t}\n\treturn 0;\n}\n", b);
}

/* Orders regions by their rules, then by id: qsort has no context pointer. */
static const struct mmp_plan *sort_plan;

static int by_rules(const void *a, const void *b)
{
	const struct mmp_plan_region *x = &sort_plan->regions[*(const unsigned *)a];
	const struct mmp_plan_region *y = &sort_plan->regions[*(const unsigned *)b];
	uintptr_t xp = (uintptr_t)x->pagesize, yp = (uintptr_t)y->pagesize;
	uintptr_t xf = (uintptr_t)x->prefetch, yf = (uintptr_t)y->prefetch;
	if (xp != yp)
		return xp < yp ? -1 : 1;
	if (xf != yf)
		return xf < yf ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

void codegen_emit(FILE *out, const struct mmp_source *src, const struct mmp_plan *plan)
{
	struct emitter em = { out, src, false };
	char *body = NULL;
	size_t body_len = 0;
	FILE *b = open_memstream(&body, &body_len);
	if (!b)
		abort();
	em.out = b;

	/* Regions that share their rules (one statement naming many regions)
	 * share a group: per-fault work grows with the statements, not with
	 * the regions. Group 0 has no rules. */
	unsigned ngroups = 0;
	unsigned *group = calloc(plan->nregions ? plan->nregions : 1, sizeof(*group));
	unsigned *order = calloc(plan->nregions ? plan->nregions : 1, sizeof(*order));
	if (!group || !order)
		abort();
	for (unsigned i = 0; i < plan->nregions; i++)
		order[i] = i;
	sort_plan = plan;
	qsort(order, plan->nregions, sizeof(*order), by_rules);
	const struct mmp_plan_region **first = calloc(plan->nregions + 1, sizeof(*first));
	if (!first)
		abort();
	for (unsigned k = 0; k < plan->nregions; k++) {
		const struct mmp_plan_region *r = &plan->regions[order[k]];
		if (!r->pagesize && !r->prefetch)
			continue;
		if (!ngroups || first[ngroups]->pagesize != r->pagesize || first[ngroups]->prefetch != r->prefetch)
			first[++ngroups] = r;
		group[r->id] = ngroups;
	}

	static const char *const kinds[2] = { "pagesize", "prefetch" };
	static const char *const bits[2] = { "MMP_RULE_PAGESIZE", "MMP_RULE_PREFETCH" };
	for (unsigned g = 1; g <= ngroups; g++) {
		const struct mmp_plan_region *r = first[g];
		const struct mmp_calc *when[2] = { r->pagesize ? r->pagesize->when : NULL,
						   r->prefetch ? r->prefetch->when : NULL };
		struct mmp_loc at[2] = { r->pagesize ? r->pagesize->when_loc : (struct mmp_loc){ 0, 0 },
					 r->prefetch ? r->prefetch->when_loc : (struct mmp_loc){ 0, 0 } };
		for (int k = 0; k < 2; k++) {
			if (!when[k])
				continue;
			fprintf(b, "\n/* %s.%s and the regions it shares its rules with: the %s rule's 'when' */\n",
				plan->policies[r->policy].name, r->name, kinds[k]);
			fprintf(b, "static __always_inline int mmp_when_%u_%s(const struct mmp_region_stats *s, __u64 now)\n{\n",
				g, kinds[k]);
			emit_line(&em, at[k]);
			fputs("\treturn ", b);
			emit_calc(&em, when[k]);
			fputs(";\n}\n", b);
		}
	}
	/* The table has a power-of-two size and is indexed through a mask:
	 * a verifier before 6.2 loses a compare's bound when the index is
	 * spilled to the stack, but not an AND next to the load. The barrier
	 * keeps clang from dropping the AND as implied by the compare. */
	unsigned table = 1;
	while (table < plan->nregions)
		table *= 2;
	fputs("\n#line 1 \"<mmpc>\"\n", b);
	fprintf(b, "/* Each region's rule group, by global region id. */\n"
		   "static const volatile __u16 mmp_region_group[%u] = {", table);
	for (unsigned i = 0; i < plan->nregions; i++)
		fprintf(b, "%s%u", !i ? "\n\t" : i % 16 ? ", " : ",\n\t", group[i]);
	fputs(plan->nregions ? "\n};\n" : "0 };\n", b);
	fprintf(b, "\nstatic __always_inline __u32 mmp_group_of(__u32 region)\n{\n"
		   "\tif (region >= %u)\n\t\treturn 0;\n\tbarrier_var(region);\n"
		   "\treturn mmp_region_group[region & %u];\n}\n", plan->nregions, table - 1);

	fputs("\nstatic __u32 mmp_group_flags(__u32 group, const struct mmp_region_stats *s, __u64 now)\n{\n"
	      "\t__u32 flags = 0;\n\tswitch (group) {\n", b);
	for (unsigned g = 1; g <= ngroups; g++) {
		const struct mmp_plan_region *r = first[g];
		fprintf(b, "\tcase %u: /* %s.%s */\n", g, plan->policies[r->policy].name, r->name);
		bool has[2] = { r->pagesize != NULL, r->prefetch != NULL };
		bool when[2] = { r->pagesize && r->pagesize->when, r->prefetch && r->prefetch->when };
		for (int k = 0; k < 2; k++) {
			if (!has[k])
				continue;
			if (when[k])
				fprintf(b, "\t\tif (mmp_when_%u_%s(s, now))\n\t\t\tflags |= %s;\n", g, kinds[k], bits[k]);
			else
				fprintf(b, "\t\tflags |= %s;\n", bits[k]);
		}
		fputs("\t\tbreak;\n", b);
	}
	fputs("\t}\n\treturn flags;\n}\n", b);
	fputs("\nstatic __u32 mmp_group_rules(__u32 group)\n{\n\tswitch (group) {\n", b);
	for (unsigned g = 1; g <= ngroups; g++) {
		const struct mmp_plan_region *r = first[g];
		fprintf(b, "\tcase %u: return %s%s%s%s;\n", g, r->pagesize ? "MMP_RULE_PAGESIZE" : "",
			r->pagesize && r->pagesize->ahead ? " | MMP_RULE_AHEAD" : "",
			r->pagesize && r->prefetch ? " | " : "", r->prefetch ? "MMP_RULE_PREFETCH" : "");
	}
	fputs("\t}\n\treturn 0;\n}\n", b);
	bool prefetch = false;
	for (unsigned g = 1; g <= ngroups; g++)
		prefetch |= first[g]->prefetch != NULL;
	if (prefetch) {
		em.major = true;   /* coverage counts the misses */
		emit_prefetch_config(b, plan, first, ngroups);
	}
	free(first);
	free(order);
	free(group);
	fclose(b);

	fprintf(out, "/* Generated by mmpc %s from ", PACKAGE_VERSION);
	emit_comment_text(out, src->name);
	fputs(": do not edit. */\n", out);
	if (em.major)
		fputs("#define MMP_WANT_MAJOR_FAULTS 1\n", out);
	if (body && strstr(body, "mmp_group_prefetch("))
		fputs("#define MMP_WANT_PREFETCH 1\n", out);
	fputs("#include \"mmp.bpf.h\"\n", out);
	fwrite(body, 1, body_len, out);
	free(body);
	fputs("\n#include \"mmp_progs.bpf.h\"\n", out);
	bool oom = false, evict = plan->nevicts > 0;
	for (unsigned i = 0; i < plan->npolicies; i++)
		oom |= plan->policies[i].oom != NULL;
	if (oom)
		fputs("#include \"mmp_oom.bpf.h\"\n", out);
	if (evict) {
		/* The policies whose processes' files BPF watches from their
		 * first access: those that score a file region. */
		uint64_t files = 0;
		for (unsigned i = 0; i < plan->nevicts; i++)
			for (size_t s = 0; s < plan->evicts[i].nscores; s++)
				if (plan->regions[plan->evicts[i].scores[s].region].may_be_file)
					files |= plan->evicts[i].policy < 64 ? 1ULL << plan->evicts[i].policy : 0;
		fprintf(out, "#define MMP_FILE_POLICIES 0x%" PRIx64 "ULL\n", files);
		/* Files are counted in pieces where a block scores them so
		 * (sema: one size a file). */
		for (unsigned i = 0; i < plan->nevicts; i++)
			if (plan->evicts[i].unit) {
				fprintf(out, "#define MMP_PIECE_SHIFT %d\n", __builtin_ctzll((unsigned long long)plan->evicts[i].unit));
				break;
			}
		/* Reads by a block's scanners are counted apart, for the
		 * policies that name them. */
		uint64_t scanners = 0;
		bool beyond = false;   /* a policy past 63 names some */
		for (unsigned i = 0; i < plan->nevicts; i++) {
			if (!plan->evicts[i].scanners)
				continue;
			if (plan->evicts[i].policy < 64)
				scanners |= 1ULL << plan->evicts[i].policy;
			else
				beyond = true;
		}
		if (scanners || beyond)
			fprintf(out, "#define MMP_WANT_SCANNERS 1\n#define MMP_SCANNER_POLICIES 0x%" PRIx64 "ULL\n"
				     "#define MMP_SCANNER_POLICIES_BEYOND %d\n", scanners, beyond);
		fputs("#include \"mmp_evict.bpf.h\"\n", out);
	}
	fputc('\n', out);
	/* What the runtime needs, versioned: it re-checks the source with the
	 * same front end and compares the layout. */
	/* The header is lines: a name's own line breaks would end its line. */
	char *name = strdup(src->name);
	if (!name)
		abort();
	for (char *p = name; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = '?';
	fprintf(out, "const char mmp_object_header[] __attribute__((section(\".mmp.header\"), used)) =\n\t"
		     "\"mmp-object %d\\nabi %d\\nmmpc %s\\nlayout %016" PRIx64 "\\nname ",
		MMP_OBJECT_FORMAT, MMP_ABI_VERSION, PACKAGE_VERSION, plan->layout_hash);
	emit_escaped(out, name);
	fputs("\\n\";\n", out);
	free(name);
	fputs("const char mmp_object_source[] __attribute__((section(\".mmp.source\"), used)) =\n\t", out);
	emit_cstring(out, src->text, src->len);
	fputs(";\n", out);
}

/* --- compiling --------------------------------------------------------- */

static int write_file(const char *dir, const char *name, const char *text)
{
	char path[4096];
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;   /* cut short, it would name another file */
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) ? -errno : 0;
}

static void remove_dir(const char *dir)
{
	char path[4096];
	for (const struct embedded_file *h = mmp_bpf_headers; h->name; h++) {
		snprintf(path, sizeof(path), "%s/%s", dir, h->name);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/policy.bpf.c", dir);
	unlink(path);
	rmdir(dir);
}

/* What a signal during the compile must remove: the temporary directory's
 * files, the directory and the unfinished output. Laid out before the
 * handler is installed, so that it only calls unlink and rmdir. */
#define MAX_TEMP_PATHS 32
static char temp_paths[MAX_TEMP_PATHS][4400];
static volatile sig_atomic_t ntemp_paths;

static void remove_temp_and_die(int sig)
{
	for (sig_atomic_t i = 0; i < ntemp_paths; i++)
		if (unlink(temp_paths[i]) < 0)
			rmdir(temp_paths[i]);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void watch_signals(const char *dir, const char *output, struct sigaction *old)
{
	int n = 0;
	for (const struct embedded_file *h = mmp_bpf_headers; h->name && n < MAX_TEMP_PATHS - 3; h++)
		snprintf(temp_paths[n++], sizeof(temp_paths[0]), "%s/%s", dir, h->name);
	snprintf(temp_paths[n++], sizeof(temp_paths[0]), "%s/policy.bpf.c", dir);
	snprintf(temp_paths[n++], sizeof(temp_paths[0]), "%s", dir);   /* after its files */
	snprintf(temp_paths[n++], sizeof(temp_paths[0]), "%s", output);
	ntemp_paths = n;
	struct sigaction sa = { .sa_handler = remove_temp_and_die };
	sigemptyset(&sa.sa_mask);
	const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);
}

static void unwatch_signals(const struct sigaction *old)
{
	const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	ntemp_paths = 0;
}

/* Temporary directories of an mmpc that was killed (SIGKILL leaves them):
 * TMP/mmpc.PID.XXXXXX whose PID is gone. */
static void remove_stale_dirs(const char *tmpbase)
{
	DIR *d = opendir(tmpbase);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		int pid, end = 0;
		if (sscanf(e->d_name, "mmpc.%d.%*6[A-Za-z0-9]%n", &pid, &end) != 1 || e->d_name[end] || pid <= 0)
			continue;
		if (kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		char dir[4096];
		if (snprintf(dir, sizeof(dir), "%s/%s", tmpbase, e->d_name) < (int)sizeof(dir))
			remove_dir(dir);   /* never a name cut short: another directory */
	}
	closedir(d);
}

int codegen_compile(const struct mmp_source *src, const struct mmp_plan *plan, const char *output,
		    const struct codegen_opts *opts)
{
	const char *tmpbase = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	remove_stale_dirs(tmpbase);
	char dir[4096];
	if (snprintf(dir, sizeof(dir), "%s/mmpc.%d.XXXXXX", tmpbase, (int)getpid()) >= (int)sizeof(dir) - 64) {
		/* The headers' names and policy.bpf.c go in it too. */
		diag_tool_error("the temporary directory's name is too long (TMPDIR sets another)");
		return -ENAMETOOLONG;
	}
	if (!mkdtemp(dir)) {
		int err = -errno;
		diag_tool_error("cannot make a temporary directory in %s: %s", tmpbase, strerror(-err));
		return err;
	}
	struct sigaction old[3];
	watch_signals(dir, output, old);
	int err = 0;
	for (const struct embedded_file *h = mmp_bpf_headers; h->name && !err; h++)
		err = write_file(dir, h->name, h->text);
	char cfile[4300];
	snprintf(cfile, sizeof(cfile), "%s/policy.bpf.c", dir);
	FILE *c = err ? NULL : fopen(cfile, "w");
	if (!c) {
		err = err ? err : -errno;
		diag_tool_error("cannot write in %s: %s", dir, strerror(-err));
		remove_dir(dir);
		unwatch_signals(old);
		return err;
	}
	codegen_emit(c, src, plan);
	if (fclose(c)) {
		err = -errno;
		diag_tool_error("cannot write %s: %s", cfile, strerror(-err));
		remove_dir(dir);
		unwatch_signals(old);
		return err;
	}

	/* clang says it cannot open the output, then that it failed: say the
	 * output's folder is the matter, before compiling. */
	char outdir[4096];
	snprintf(outdir, sizeof(outdir), "%s", output);
	if (access(dirname(outdir), W_OK) < 0) {
		err = -errno;
		diag_tool_error("cannot write %s: %s", output, strerror(-err));
		remove_dir(dir);
		unwatch_signals(old);
		return err;
	}
	char inc[4400];
	snprintf(inc, sizeof(inc), "-I%s", dir);
	const char *argv[] = {
		opts->clang, "-target", "bpf", "-O2", "-g", "-Wall", "-Wno-unused-function",
		"-Wno-unused-variable", inc, "-I" MMP_BPF_SYSINCLUDE, "-c", cfile, "-o", output, NULL,
	};
	if (opts->verbose) {
		for (const char **a = argv; *a; a++)
			fprintf(stderr, "%s%s", a == argv ? "" : " ", *a);
		fputc('\n', stderr);
	}
	pid_t pid = fork();
	if (pid < 0) {
		err = -errno;
		diag_tool_error("cannot start %s: %s", opts->clang, strerror(-err));
	} else if (pid == 0) {
		execvp(argv[0], (char *const *)argv);
		diag_tool_error("cannot run %s: %s", argv[0], strerror(errno));
		_exit(127);
	} else {
		int status;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 127)
				diag_tool_error("%s could not compile the generated BPF for %s", opts->clang,
					src->name);
			unlink(output);
			err = -EINVAL;
		}
	}
	remove_dir(dir);
	unwatch_signals(old);
	return err;
}
