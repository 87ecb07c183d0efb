/* plan.h - the lowered policy file: typed rules for every kind.
 *
 * plan_build() lowers a checked tree into this form once: keywords become
 * enums, settings are converted to the units their consumers use, and each
 * rule statement becomes one rule object shared by the regions it names
 * (so "same rules" is pointer equality). Codegen and the runtime read only
 * this; neither walks the syntax tree. Everything lives in the
 * compilation's arena.
 *
 * The code generator and the runtime both build the plan from the same
 * checked source (the runtime from the source embedded in the object), so a
 * region id means the same region on both sides; the layout hash, stored in
 * the object, proves it.
 */
#ifndef MMP_PLAN_H
#define MMP_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "bpf/mmp_shared.h"   /* enum mmp_pf_pattern, shared with the BPF side */
#include "source.h"
#include "stats.h"

struct mmp_ast;

enum mmp_cmp { CMP_LT, CMP_LE, CMP_GT, CMP_GE, CMP_EQ, CMP_NE };

/* A yes/no test: a policy's process matcher, an oom class's, or a region's
 * selector over a mapping (or, for eviction, over an open file). */
enum mmp_test_kind {
	TEST_ALL,
	TEST_NOT,       /* l */
	TEST_AND,       /* l, r */
	TEST_OR,        /* l, r */
	/* processes */
	TEST_COMM,      /* text: glob */
	TEST_EXE,       /* text: glob */
	TEST_PID,       /* value */
	TEST_UID,       /* value */
	TEST_USER,      /* text: user name, looked up when matched */
	TEST_CGROUP,    /* text: cgroup path */
	/* memory */
	TEST_ANON,
	TEST_FILE,      /* text: glob, NULL for any file */
	TEST_MAPPING,   /* text: /proc/PID/maps name pattern */
	TEST_RANGE,     /* [lo, hi) */
	TEST_SIZE,      /* a mapping's (or file's) size CMP value */
};

struct mmp_test {
	enum mmp_test_kind kind;
	const char *text;
	uint64_t value;
	uint64_t lo, hi;
	enum mmp_cmp cmp;
	const struct mmp_test *l, *r;
};

/* Arithmetic over statistics: an oom score, an evict score, a 'when'. */
enum mmp_calc_op {
	CALC_CONST,     /* value */
	CALC_STAT,      /* stat, its rate per second if rate */
	CALC_NEG, CALC_NOT,                                  /* l */
	CALC_ADD, CALC_SUB, CALC_MUL, CALC_DIV,              /* l, r */
	CALC_LT, CALC_LE, CALC_GT, CALC_GE, CALC_EQ, CALC_NE,
	CALC_AND, CALC_OR,
};

struct mmp_calc {
	enum mmp_calc_op op;
	int64_t value;
	enum stat_id stat;
	bool rate;
	const struct mmp_calc *l, *r;
};

/* A trigger ('kill ... when', 'evict when'): comparisons of memory
 * pressure or memory-cgroup usage against a percentage, combined. */
enum mmp_cond_kind { COND_AND, COND_OR, COND_PRESSURE, COND_USAGE };

struct mmp_cond {
	enum mmp_cond_kind kind;
	const struct mmp_cond *l, *r;  /* AND, OR */
	bool full;                     /* PRESSURE: 'full' rather than 'some' */
	const char *cgroup;            /* 'of cgroup "..."', or NULL */
	bool ge;                       /* >= rather than > */
	unsigned pct;
	long long hold_ns;             /* must hold this long ('for'); 0: at once */
};

struct mmp_trigger {
	const struct mmp_cond *cond;
	const char *text;              /* as written, for messages */
	struct mmp_loc loc;
};

struct mmp_pagesize_entry {
	int64_t size, benefit;         /* bytes; the profile's benefit */
};

/* The smallest lead 'ahead' takes: four 2M chunks, the runtime being told
 * the frontier every half lead. */
#define MMP_AHEAD_MIN (8LL << 20)
#define MMP_AHEAD_MAX (1LL << 30)

struct mmp_pagesize_rule {
	const struct mmp_pagesize_entry *entries;
	unsigned nentries;
	int64_t ahead;                 /* bytes: 2M pages from the first touch, prepared
					* this far ahead of the faults; 0: hot chunks only */
	const struct mmp_calc *when;   /* NULL: always */
	struct mmp_loc when_loc;
};

struct mmp_prefetch_rule {
	enum mmp_pf_pattern pattern;
	uint64_t degree, distance, window;   /* pages, predictions ahead, faults */
	uint64_t limit;                /* bytes a second; 0: none */
	const struct mmp_calc *when;
	struct mmp_loc when_loc;
};

enum mmp_oom_kill { OOM_KILL_NONE, OOM_KILL_TASK, OOM_KILL_GROUP };

struct mmp_oom_rule {
	/* Each the 'or' of its statements' matchers; NULL: none. */
	const struct mmp_test *protect, *prefer, *avoid;
	const struct mmp_calc *score;  /* NULL: the kernel's badness */
	enum mmp_oom_kill kill;
	const struct mmp_trigger *kill_when;   /* NULL: when the kernel's OOM killer runs (a task) */
};

enum mmp_evict_action { EVICT_COLD, EVICT_PAGEOUT, EVICT_DROP };
#define MMP_EVICT_DEFAULT_LIMIT (64LL << 20)   /* bytes a second without 'limit' */

struct mmp_evict_score {
	unsigned region;
	const struct mmp_calc *calc;
};

struct mmp_evict_rule {
	unsigned policy;
	struct mmp_trigger when;
	enum mmp_evict_action action;
	long long limit;               /* bytes a second */
	long long keep;                /* 'protect top': bytes, or */
	int keep_pct;                  /* ... a percentage; 0: none */
	long long unit;                /* 'unit': bytes of a file scored and
					* dropped as one piece; 0: whole files */
	const struct mmp_test *scanners;   /* threads whose file reads count in
					    * scan_faults (comm tests); NULL: none */
	const struct mmp_evict_score *scores;
	unsigned nscores;
};

struct mmp_plan_region {
	unsigned id;                   /* global, across the file's policies */
	unsigned policy;
	const char *name;
	const struct mmp_test *select;
	bool may_be_file;              /* the selector can select files */
	const struct mmp_pagesize_rule *pagesize;   /* or NULL */
	const struct mmp_prefetch_rule *prefetch;   /* or NULL */
	bool evict_scored;             /* an evict block scores it */
};

struct mmp_plan_policy {
	unsigned id;
	const char *name;
	const struct mmp_test *match;
	const struct mmp_oom_rule *oom;   /* or NULL */
	unsigned first_region, nregions;
};

struct mmp_plan {
	struct mmp_plan_policy *policies;
	unsigned npolicies;
	struct mmp_plan_region *regions;
	unsigned nregions;
	struct mmp_evict_rule *evicts;
	unsigned nevicts;
	uint64_t layout_hash;
};

/* Lowers a tree that passed the checks; what it builds lives in ARENA
 * (the compilation's), SRC gives triggers their text. Returns 0 or -ENOMEM. */
int plan_build(struct mmp_plan *plan, const struct mmp_ast *ast, const struct mmp_source *src,
	       struct mmp_arena *arena);
void plan_free(struct mmp_plan *plan);

#endif
