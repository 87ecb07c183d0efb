/* mmp.c - the runtime's command line. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/capability.h>

#include "enforce.h"
#include "loader.h"
#include "log.h"
#include "process.h"
#include "object.h"
#include "journal.h"
#include "pins.h"
#include "stats.h"

#define MAX_DURATION_S 315360000

/* NAME's leftovers, if no runtime holds the name: 1 done, 0 nothing
 * there (said with SAY_NOTHING) or held, -1 failed. */
static int restore_one(const char *name, bool say_nothing)
{
	int lock = pins_take(name);
	if (lock == -EBUSY) {
		mmp_info("runtime '%s' is running: it puts back its own changes when it stops", name);
		return 0;
	}
	if (lock < 0) {
		mmp_error("restore: cannot take the name '%s': %s", name, strerror(-lock));
		return -1;
	}
	int n = journal_replay(name);
	char dir[256];
	pins_dir(dir, sizeof(dir), name);
	bool pins = access(dir, F_OK) == 0;
	if (pins)
		pins_remove(dir);
	pins_release(name, lock);
	if (n < 0) {
		mmp_error("restore: cannot read the journal of '%s': %s", name, strerror(-n));
		return -1;
	}
	if (n > 0 || pins)
		mmp_info("runtime '%s': put back %d oom_score_adj, oom_kill_disable or memory.high value%s%s", name, n, n == 1 ? "" : "s",
			 pins ? ", removed its pins" : "");
	else if (say_nothing)
		mmp_info("runtime '%s' left nothing to restore", name);
	return n > 0 || pins;
}

/* Whether CMD can be run, as execvp(3) looks for it (PATH when it has no
 * '/'): said if not, before the policy is loaded for a command that
 * cannot start. */
static bool command_found(const char *cmd)
{
	int err = ENOENT;
	if (strchr(cmd, '/')) {
		err = access(cmd, X_OK) == 0 ? 0 : errno;
	} else if (*cmd) {
		const char *path = getenv("PATH");
		char *dirs = strdup(path ? path : "/bin:/usr/bin"), *save = NULL;
		for (char *d = dirs ? strtok_r(dirs, ":", &save) : NULL; d && err; d = strtok_r(NULL, ":", &save)) {
			char full[PATH_MAX];
			struct stat st;
			if (snprintf(full, sizeof(full), "%s/%s", *d ? d : ".", cmd) < (int)sizeof(full) &&
			    stat(full, &st) == 0 && S_ISREG(st.st_mode))
				err = access(full, X_OK) == 0 ? 0 : errno;
		}
		free(dirs);
	}
	if (err)
		mmp_error("cannot run %s: %s", cmd, strerror(err));
	return !err;
}

/* mmp restore [NAME]: what killed runtimes left, NAME's or every one's. */
static int restore_main(const char *name)
{
	if (geteuid() != 0) {
		mmp_error("restore needs root");
		return 1;
	}
	if (name)
		return restore_one(name, true) < 0;
	/* Every name with a journal or a lock file, gathered first: taking
	 * and letting go of a name makes and removes its lock file. A lock
	 * file alone is a killed runtime's whose guardian was killed too. */
	char (*names)[PIN_NAME_MAX + 1] = NULL;
	size_t nnames = 0;
	DIR *d = opendir(NAME_LOCK_DIR);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char nm[PIN_NAME_MAX + 1];
		if (!pins_name_of_file(e->d_name, ".journal", nm) && !pins_name_of_file(e->d_name, ".lock", nm))
			continue;
		bool seen = false;
		for (size_t i = 0; i < nnames && !seen; i++)
			seen = strcmp(names[i], nm) == 0;
		if (seen)
			continue;
		char (*more)[PIN_NAME_MAX + 1] = realloc(names, (nnames + 1) * sizeof(*names));
		if (!more)
			break;
		names = more;
		snprintf(names[nnames++], sizeof(*names), "%s", nm);
	}
	if (d)
		closedir(d);
	int rc = 0, done = 0;
	for (size_t i = 0; i < nnames; i++) {
		int r = restore_one(names[i], false);
		rc |= r < 0;
		done += r > 0;
	}
	free(names);
	if (!done && !rc)
		mmp_info("nothing to restore");
	return rc;
}

static void usage(FILE *out)
{
	fputs("Usage: mmp run [OPTION]... POLICY -- COMMAND [ARG]...\n"
	      "       mmp attach [OPTION]... POLICY\n"
	      "       mmp stats [--json] [NAME]\n"
	      "       mmp restore [NAME]\n"
	      "       mmp verify POLICY\n"
	      "Enforce an mmp memory policy on a live system.\n"
	      "\n"
	      "POLICY is a BPF object made by 'mmpc -o', or a .mmp source, which is compiled\n"
	      "with mmpc and cached by content (a second start runs no clang).\n"
	      "\n"
	      "  run      start COMMAND and enforce the policy on it and its matching\n"
	      "           descendants until it exits; exit with its status\n"
	      "  attach   enforce the policy on every matching process, running or started\n"
	      "           later, until SIGINT, SIGTERM or SIGHUP (or --duration)\n"
	      "  stats    what running runtimes report, per policy and region\n"
	      "  restore  put back what runtimes that were killed (and their guardians)\n"
	      "           left changed, and remove their pins\n"
	      "  verify   load the policy's programs into the kernel (the verifier runs) and\n"
	      "           unload them\n"
	      "\n"
	      "  -n, --dry-run        decide and log every decision, change nothing\n"
	      "  -d, --duration=SECS  attach: stop after SECS seconds\n"
	      "  -r, --collapse-rate=BYTES  most memory collapsed into huge pages per second\n"
	      "                       (2M to 1T; default 1G; suffixes K, M, G, T)\n"
	      "      --collapse-cpu=PERCENT  most CPU the hot-chunk collapses take, in percent\n"
	      "                       of one CPU (1 to 100; default 50)\n"
	      "      --name=NAME      the runtime's name: 1 to 63 of A-Z a-z 0-9 - _ (default:\n"
	      "                       the policy file's base name)\n"
	      "      --nice=N         the runtime's niceness while it enforces (default -10; the\n"
	      "                       command of 'run' keeps the niceness mmp started with)\n"
	      "  -v, --verbose        log each decision as it is applied\n"
	      "      --json           stats: print JSON\n"
	      "  -h, --help           show this help\n"
	      "  -V, --version        show the version\n",
	      out);
}

static int parse_size(const char *s, long long *out)
{
	char *end;
	double v = strtod(s, &end);
	long long scale = 1;
	if (*end == 'K' || *end == 'k')
		scale = 1LL << 10, end++;
	else if (*end == 'M' || *end == 'm')
		scale = 1LL << 20, end++;
	else if (*end == 'G' || *end == 'g')
		scale = 1LL << 30, end++;
	else if (*end == 'T' || *end == 't')
		scale = 1LL << 40, end++;
	if (*end || end == s || !(v > 0) || v * (double)scale > (double)(1LL << 50))
		return -1;
	*out = (long long)(v * (double)scale);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
		printf("mmp %s\n", PACKAGE_VERSION);
		return 0;
	}
	enum { OPT_NAME = 256, OPT_JSON, OPT_NICE, OPT_COLLAPSE_CPU };
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "collapse-rate", required_argument, NULL, 'r' },
		{ "collapse-cpu", required_argument, NULL, OPT_COLLAPSE_CPU },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "nice", required_argument, NULL, OPT_NICE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct enforce_opts opts = { .collapse_rate = 1LL << 30, .collapse_cpu = 50, .nice = -10 };
	bool json = false;
	int c;
	optind = 2;
	/* '+': options end at the first operand, so COMMAND keeps its own. */
	while ((c = getopt_long(argc, argv, "+nd:r:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': opts.dry_run = true; break;
		case 'd': {
			/* At most 10 years: the deadline is counted in nanoseconds. */
			char *end;
			errno = 0;
			opts.duration = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(opts.duration > 0 && opts.duration <= MAX_DURATION_S)) {
				mmp_error("--duration takes a number of seconds above 0 and at most %d (10 years), not '%s'",
					  MAX_DURATION_S, optarg);
				return 2;
			}
			break;
		}
		case 'r': {
			long long v;
			if (parse_size(optarg, &v) < 0 || v < (2LL << 20) || v > (1LL << 40)) {
				mmp_error("--collapse-rate takes a size a second from 2M to 1T (a number with K, M, G or T), "
					  "not '%s'", optarg);
				return 2;
			}
			opts.collapse_rate = v;
			break;
		}
		case OPT_COLLAPSE_CPU: {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end == '%')
				end++;
			if (!*optarg || *end || v < 1 || v > 100) {
				mmp_error("--collapse-cpu takes a percentage of one CPU from 1 to 100, not '%s'", optarg);
				return 2;
			}
			opts.collapse_cpu = (int)v;
			break;
		}
		case OPT_NAME:
			if (!pins_name_ok(optarg)) {
				mmp_error("--name takes 1 to %d letters, digits, '-' or '_', not '%s'", PIN_NAME_MAX, optarg);
				return 2;
			}
			opts.name = optarg;
			break;
		case OPT_NICE: {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (!*optarg || *end || v < -20 || v > 19) {
				mmp_error("--nice takes a niceness from -20 to 19, not '%s'", optarg);
				return 2;
			}
			opts.nice = (int)v;
			opts.nice_given = true;
			break;
		}
		case 'v': mmp_verbose = 1; break;
		case OPT_JSON: json = true; break;
		case 'h': usage(stdout); return 0;
		default: fputs("Try 'mmp --help' for more information.\n", stderr); return 2;
		}
	}
	if (strcmp(cmd, "stats") == 0) {
		if (optind < argc && !pins_name_ok(argv[optind])) {
			mmp_error("stats: a runtime's name is 1 to %d letters, digits, '-' or '_', not '%s'", PIN_NAME_MAX,
				  argv[optind]);
			return 2;
		}
		return stats_show(optind < argc ? argv[optind] : NULL, json);
	}
	if (strcmp(cmd, "restore") == 0) {
		if (optind < argc && !pins_name_ok(argv[optind])) {
			mmp_error("restore: a runtime's name is 1 to %d letters, digits, '-' or '_', not '%s'", PIN_NAME_MAX,
				  argv[optind]);
			return 2;
		}
		return restore_main(optind < argc ? argv[optind] : NULL);
	}
	if (strcmp(cmd, "run") != 0 && strcmp(cmd, "attach") != 0 && strcmp(cmd, "verify") != 0) {
		mmp_error("unknown command '%s'; expected run, attach, stats, restore or verify", cmd);
		return 2;
	}
	if (optind >= argc) {
		mmp_error("%s: no policy given", cmd);
		return 2;
	}
	const char *policy = argv[optind++];
	if (strcmp(cmd, "run") == 0) {
		if (optind < argc && strcmp(argv[optind], "--") == 0)
			optind++;
		if (optind >= argc) {
			mmp_error("run: no command given: mmp run POLICY -- COMMAND [ARG]...");
			return 2;
		}
		opts.cmd = &argv[optind];
		if (opts.duration > 0) {
			mmp_error("run: --duration is for attach; run stops when the command ends");
			return 2;
		}
	} else if (optind < argc) {
		mmp_error("%s: unexpected '%s' after the policy", cmd, argv[optind]);
		return 2;
	}
	/* A reader of the log that goes away (mmp attach | head) must not end
	 * the runtime, least of all before it undoes what it changed: from
	 * here on, writes to it just fail. 'mmp run' gives its command the
	 * default back. */
	signal(SIGPIPE, SIG_IGN);
	/* Before the policy is compiled and loaded: refusals that need neither. */
	if (strcmp(cmd, "verify") != 0 && geteuid() != 0) {
		mmp_error("mmp must run as root: it loads BPF programs and acts on other processes");
		return 1;
	}
	/* CAP_BPF and CAP_PERFMON alone do not do: libbpf lists the kernel's
	 * BTF objects to relocate the programs, which takes CAP_SYS_ADMIN. */
	if (strcmp(cmd, "verify") == 0 && !proc_self_has_cap(CAP_SYS_ADMIN)) {
		mmp_error("verify loads the policy's BPF programs into the kernel, which needs root (CAP_SYS_ADMIN)");
		return 1;
	}
	if (opts.cmd && !command_found(opts.cmd[0]))
		return 127;   /* as a shell says it */
	struct mmp_object obj;
	if (object_open(&obj, policy) < 0) {
		object_close(&obj);
		return 1;
	}
	int rc = strcmp(cmd, "verify") == 0 ? verify(&obj) : enforce(&obj, &opts);
	object_close(&obj);
	return rc;
}
