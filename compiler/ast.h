/* ast.h - the syntax tree of a policy file.
 *
 * A tagged union: `kind` says which member of `u` is valid (see the comment
 * on each kind). Every node has a byte span; lists are chained through `next`.
 * All nodes live in the compilation's arena.
 *
 * Expressions, process matchers, region selectors and pressure triggers share
 * one expression grammar; the semantic pass checks which forms each context
 * allows, so that a misplaced form gets a message naming the context rather
 * than a bare syntax error.
 */
#ifndef MMP_AST_H
#define MMP_AST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"
#include "source.h"
#include "units.h"

struct mmp_stat;

enum mmp_op {
	OP_ADD, OP_SUB, OP_MUL, OP_DIV,
	OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE,
	OP_AND, OP_OR,
	OP_NEG, OP_NOT,
};

enum mmp_node_kind {
	/* --- expressions --- */
	N_NUMBER,    /* u.num: a literal with its unit */
	N_STRING,    /* u.str: decoded text */
	N_NAME,      /* u.name: a statistic or a keyword value (stride, cold, task...) */
	N_BINARY,    /* u.bin: lhs OP rhs */
	N_UNARY,     /* u.un: -x, not x */
	N_RATE,      /* u.un: x/s, per second */
	N_FOR,       /* u.bin: lhs holds for rhs (a duration) */
	N_ALL,       /* no payload: every process or every mapping */
	N_ANON,      /* no payload: anonymous mappings; as a task statistic, anonymous rss */
	N_FILE,      /* u.str: file mappings whose path matches the glob; no glob: file rss */
	N_MAPPING,   /* u.str: mappings named so in /proc/PID/maps */
	N_RANGE,     /* u.range: addresses lo .. hi, or lo .. +size */
	N_COMM,      /* u.str: process name glob */
	N_EXE,       /* u.str: executable path glob */
	N_PID,       /* u.un.operand: N_NUMBER */
	N_UID,       /* u.un.operand: N_NUMBER, or N_STRING for a user name */
	N_CGROUP,    /* u.str: cgroup path */
	N_PRESSURE,  /* u.psi: PSI of the system or of a cgroup */
	N_USAGE,     /* u.psi (kind unused): memory cgroup usage in % of its limit */
	/* --- statements --- */
	N_POLICY,    /* u.stmt: name, body */
	N_MATCH,     /* u.stmt: expr */
	N_REGION,    /* u.stmt: name, expr */
	N_PAGESIZE,  /* u.stmt: targets (N_NAME list), body (N_ENTRY list, and an
		      * N_SETTING 'ahead'), expr (when) */
	N_ENTRY,     /* u.bin: page size : benefit */
	N_PREFETCH,  /* u.stmt: targets, body (N_SETTING list), expr (when) */
	N_SETTING,   /* u.stmt: name, expr */
	N_EVICT,     /* u.stmt: expr (trigger), body */
	N_SCORE,     /* u.stmt: name (region; NULL in oom), expr */
	N_ACTION,    /* u.stmt: expr */
	N_LIMIT,     /* u.stmt: expr */
	N_KEEP,      /* u.stmt: expr; `protect top X` in evict */
	N_OOM,       /* u.stmt: body */
	N_PROTECT,   /* u.stmt: expr (matcher) */
	N_PREFER,    /* u.stmt: expr (matcher) */
	N_AVOID,     /* u.stmt: expr (matcher) */
	N_KILL,      /* u.stmt: name (task|group), expr (trigger, may be NULL) */
	N_KIND_COUNT
};

/* How deep operators may nest in one expression. The passes after the
 * parser walk expressions recursively, and codegen's C nests a level per
 * operator (clang stops at 256), so the parser refuses deeper ones. */
#define MMP_MAX_EXPR_DEPTH 200

/* A node is allocated with room for its kind's member of `u` only (see
 * ast_new): never copy a node by value, and change a node's kind only to
 * one with the same member, or to N_NUMBER (the checker folds constants in
 * place; every member has at least the room of `num`). */
struct mmp_node {
	enum mmp_node_kind kind;
	unsigned depth;     /* operators between this node and its deepest leaf */
	struct mmp_loc loc;
	struct mmp_node *next;
	union {
		struct {
			uint64_t value;
			enum mmp_unit unit;
		} num;
		struct {
			const char *s;   /* interned */
			size_t len;
		} str;
		struct {
			const char *id;                 /* interned */
			const struct mmp_stat *stat;    /* set by the checker for statistics */
			struct mmp_node *decl;          /* set by the checker for region names */
		} name;
		struct {
			enum mmp_op op;
			struct mmp_node *lhs, *rhs;
		} bin;
		struct {
			enum mmp_op op;
			struct mmp_node *operand;
		} un;
		struct {
			struct mmp_node *lo, *hi;
			bool relative;   /* hi is a size added to lo */
			int64_t start, end;  /* [start, end), resolved by the checker */
		} range;
		struct {
			struct mmp_node *kind;    /* N_NAME some|full; NULL for usage */
			struct mmp_node *cgroup;  /* N_STRING, or NULL for the system */
		} psi;
		struct {
			struct mmp_node *name;
			struct mmp_node *targets;
			struct mmp_node *body;
			struct mmp_node *expr;
			unsigned id;     /* regions: the plan's id for it */
		} stmt;
	} u;
};

/* The result of parsing one file. */
struct mmp_ast {
	struct mmp_node *policies;   /* N_POLICY list */
};

static inline struct mmp_loc loc_span(struct mmp_loc a, struct mmp_loc b)
{
	return (struct mmp_loc){ a.start, b.end > a.end ? b.end : a.end };
}

struct mmp_node *ast_new(struct mmp_arena *a, enum mmp_node_kind kind, struct mmp_loc loc);
struct mmp_node *ast_number(struct mmp_arena *a, struct mmp_loc loc, uint64_t value, enum mmp_unit unit);
struct mmp_node *ast_string(struct mmp_arena *a, struct mmp_loc loc, const char *s, size_t len);
struct mmp_node *ast_name(struct mmp_arena *a, struct mmp_loc loc, const char *id);
struct mmp_node *ast_binary(struct mmp_arena *a, enum mmp_op op, struct mmp_node *l, struct mmp_node *r);
struct mmp_node *ast_unary(struct mmp_arena *a, struct mmp_loc loc, enum mmp_op op, struct mmp_node *x);
struct mmp_node *ast_with_str(struct mmp_arena *a, enum mmp_node_kind k, struct mmp_loc loc, struct mmp_node *str);
struct mmp_node *ast_stmt(struct mmp_arena *a, enum mmp_node_kind k, struct mmp_loc loc, struct mmp_node *name,
			  struct mmp_node *targets, struct mmp_node *body, struct mmp_node *expr);
/* A list under construction in the parser: appends are O(1). */
struct mmp_list {
	struct mmp_node *head, *tail;
};
struct mmp_list list_push(struct mmp_list l, struct mmp_node *item);

const char *ast_kind_name(enum mmp_node_kind kind);
const char *ast_op_name(enum mmp_op op);

/* The stable, readable tree printed by `mmpc --dump-ast`. */
void ast_dump(FILE *out, const struct mmp_source *src, const struct mmp_ast *ast);

#endif
