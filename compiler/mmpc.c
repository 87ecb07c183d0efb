/* mmpc.c - the policy compiler's command line. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codegen.h"
#include "diag.h"
#include "frontend.h"
#include "plan.h"

enum mode { MODE_SUMMARY, MODE_CHECK, MODE_DUMP_AST, MODE_EMIT_C };

static void usage(FILE *out)
{
	fputs("Usage: mmpc [OPTION]... FILE.mmp\n"
	      "Check and compile an mmp memory policy ('-' reads standard input).\n"
	      "\n"
	      "  -c, --check          check the policy and print only diagnostics\n"
	      "      --dump-ast       print the syntax tree, then check\n"
	      "  -o, --output=FILE    compile to the BPF object FILE (runs clang)\n"
	      "      --emit-c         print the generated BPF C instead of compiling it\n"
	      "      --clang=PATH     the clang to run (default: $MMP_CLANG, else " MMP_DEFAULT_CLANG ")\n"
	      "  -v, --verbose        print the clang command\n"
	      "  -W, --Werror         treat warnings as errors (also -Werror)\n"
	      "      --color=WHEN     colour diagnostics: auto, always or never\n"
	      "      --error-limit=N  show at most N errors and warnings (default 20; 0: all)\n"
	      "  -h, --help           show this help and exit\n"
	      "  -V, --version        show the version and exit\n"
	      "\n"
	      "With neither --check nor -o, mmpc checks the policy and says what it contains.\n"
	      "Exit status: 0 success, 1 the policy has errors, 2 bad usage or unreadable file.\n",
	      out);
}

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* One line a policy: what it governs and which rules it has. */
static void print_summary(const struct mmp_compilation *u)
{
	size_t npolicies = 0;
	for (const struct mmp_node *p = u->ast.policies; p; p = p->next, npolicies++) {
		size_t regions = 0, pagesize = 0, prefetch = 0, evict = 0, oom = 0;
		for (const struct mmp_node *it = p->u.stmt.body; it; it = it->next) {
			regions += it->kind == N_REGION;
			pagesize += it->kind == N_PAGESIZE;
			prefetch += it->kind == N_PREFETCH;
			evict += it->kind == N_EVICT;
			oom += it->kind == N_OOM;
		}
		printf("policy %s: %zu %s", p->u.stmt.name->u.name.id, regions, plural(regions, "region", "regions"));
		if (pagesize)
			printf(", %zu page-size %s", pagesize, plural(pagesize, "profile", "profiles"));
		if (prefetch)
			printf(", %zu prefetch %s", prefetch, plural(prefetch, "rule", "rules"));
		if (evict)
			printf(", %zu evict %s", evict, plural(evict, "block", "blocks"));
		if (oom)
			printf(", oom rules");
		putchar('\n');
	}
	diag_put_visible(stdout, u->src->name);
	printf(": ok, %zu %s checked, %u %s\n", npolicies, plural(npolicies, "policy", "policies"),
	       u->diag.warnings, plural(u->diag.warnings, "warning", "warnings"));
}

/* A usage error, with the hint that --help exists; exit status 2. */
static int usage_error(const char *what, const char *arg)
{
	fputs("mmpc: error: ", stderr);
	fprintf(stderr, what, arg);
	fputs("\nTry 'mmpc --help' for more information.\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	enum { OPT_DUMP_AST = 256, OPT_COLOR, OPT_EMIT_C, OPT_CLANG, OPT_ERROR_LIMIT };
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, 'c' },
		{ "dump-ast", no_argument, NULL, OPT_DUMP_AST },
		{ "output", required_argument, NULL, 'o' },
		{ "emit-c", no_argument, NULL, OPT_EMIT_C },
		{ "clang", required_argument, NULL, OPT_CLANG },
		{ "error-limit", required_argument, NULL, OPT_ERROR_LIMIT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "Werror", no_argument, NULL, 'W' },
		{ "color", required_argument, NULL, OPT_COLOR },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct mmp_frontend_opts opts = { .color = DIAG_COLOR_AUTO, .error_limit = DIAG_DEFAULT_LIMIT };
	enum mode mode = MODE_SUMMARY;
	const char *output = NULL;
	struct codegen_opts cg = { .clang = getenv("MMP_CLANG") ? getenv("MMP_CLANG") : MMP_DEFAULT_CLANG };
	int c;

	/* -Werror, as compilers spell it, is -W with the argument "error". */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-Werror") == 0)
			argv[i] = "--Werror";
	opterr = 0;   /* getopt's own messages lack "error:"; usage_error() says it */
	while ((c = getopt_long(argc, argv, ":co:WvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': mode = MODE_CHECK; break;
		case OPT_DUMP_AST: mode = MODE_DUMP_AST; break;
		case OPT_EMIT_C: mode = MODE_EMIT_C; break;
		case OPT_CLANG: cg.clang = optarg; break;
		case 'v': cg.verbose = true; break;
		case 'o': output = optarg; break;
		case 'W': opts.werror = true; break;
		case OPT_COLOR:
			if (strcmp(optarg, "auto") == 0)
				opts.color = DIAG_COLOR_AUTO;
			else if (strcmp(optarg, "always") == 0)
				opts.color = DIAG_COLOR_ALWAYS;
			else if (strcmp(optarg, "never") == 0)
				opts.color = DIAG_COLOR_NEVER;
			else
				return usage_error("--color takes auto, always or never, not '%s'", optarg);
			break;
		case OPT_ERROR_LIMIT: {
			char *end;
			errno = 0;
			unsigned long n = strtoul(optarg, &end, 10);
			if (!*optarg || *end || errno || n > 1000000 || optarg[0] == '-')
				return usage_error("--error-limit takes a count from 0 to 1000000, not '%s'", optarg);
			opts.error_limit = (unsigned)n;
			break;
		}
		case 'h': usage(stdout); return 0;
		case 'V': printf("mmpc %s\n", PACKAGE_VERSION); return 0;
		case ':':
			return usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1) {
		return usage_error("%s", optind == argc ? "no policy file given" : "give one policy file, not several");
	}
	const char *path = argv[optind];
	if (output && (mode == MODE_CHECK || mode == MODE_DUMP_AST || mode == MODE_EMIT_C)) {
		return usage_error("%s", "-o compiles; it does not go with --check, --dump-ast or --emit-c");
	}

	/* An output that cannot be written is the command line's matter, as
	 * a file that cannot be read is: said before the policy is checked. */
	if (output) {
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s", output);
		if (access(dirname(dir), W_OK) < 0) {
			diag_tool_error("cannot write %s: %s", output, strerror(errno));
			return 2;
		}
	}

	struct mmp_compilation u;
	opts.parse_only = mode == MODE_DUMP_AST;
	int err = frontend_run(&u, path, &opts);
	if (err == -EFBIG) {
		diag_tool_error("%s is larger than %zu MiB, the most a policy file may hold", path, MMP_SOURCE_MAX >> 20);
		frontend_free(&u);
		return 2;
	}
	if (err && !u.arena) {
		diag_tool_error("cannot read %s: %s", path, strerror(-err));
		frontend_free(&u);
		return 2;
	}
	if (mode == MODE_DUMP_AST && !err) {
		ast_dump(stdout, u.src, &u.ast);
		err = frontend_check(&u);
	}
	int rc = err ? 1 : 0;
	if (!err && (output || mode == MODE_EMIT_C)) {
		struct mmp_plan plan;
		if (plan_build(&plan, &u.ast, u.src, u.arena) < 0) {
			diag_tool_error("out of memory");
			rc = 1;
		} else {
			if (mode == MODE_EMIT_C)
				codegen_emit(stdout, u.src, &plan);
			else if (codegen_compile(u.src, &plan, output, &cg) < 0)
				rc = 1;
			plan_free(&plan);
		}
	} else if (!err && mode == MODE_SUMMARY) {
		print_summary(&u);
	}
	frontend_free(&u);
	return rc;
}
