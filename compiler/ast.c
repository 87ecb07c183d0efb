/* ast.c - node constructors, names of kinds, and the tree dump. */
#include "ast.h"

#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#define PAYLOAD(member) (sizeof(((struct mmp_node *)0)->u.member))
#define MIN_PAYLOAD PAYLOAD(num)   /* so that fold() may turn any node into a number */

/* The room each kind needs after the common fields: a policy is mostly
 * numbers, names and statements, and the union is sized for the largest. */
static size_t payload_size(enum mmp_node_kind kind)
{
	size_t size;
	switch (kind) {
	case N_NUMBER: size = PAYLOAD(num); break;
	case N_STRING: case N_FILE: case N_MAPPING: case N_COMM: case N_EXE: case N_CGROUP:
		size = PAYLOAD(str); break;
	case N_NAME: size = PAYLOAD(name); break;
	case N_BINARY: case N_FOR: case N_ENTRY: size = PAYLOAD(bin); break;
	case N_UNARY: case N_RATE: case N_PID: case N_UID: size = PAYLOAD(un); break;
	case N_RANGE: size = PAYLOAD(range); break;
	case N_PRESSURE: case N_USAGE: size = PAYLOAD(psi); break;
	case N_ALL: case N_ANON: size = 0; break;
	default: size = PAYLOAD(stmt); break;   /* the statements */
	}
	return size > MIN_PAYLOAD ? size : MIN_PAYLOAD;
}

struct mmp_node *ast_new(struct mmp_arena *a, enum mmp_node_kind kind, struct mmp_loc loc)
{
	struct mmp_node *n = arena_alloc(a, offsetof(struct mmp_node, u) + payload_size(kind));
	n->kind = kind;
	n->loc = loc;
	return n;
}

struct mmp_node *ast_number(struct mmp_arena *a, struct mmp_loc loc, uint64_t value, enum mmp_unit unit)
{
	struct mmp_node *n = ast_new(a, N_NUMBER, loc);
	n->u.num.value = value;
	n->u.num.unit = unit;
	return n;
}

struct mmp_node *ast_string(struct mmp_arena *a, struct mmp_loc loc, const char *s, size_t len)
{
	struct mmp_node *n = ast_new(a, N_STRING, loc);
	n->u.str.s = arena_intern(a, s, len);
	n->u.str.len = len;
	return n;
}

struct mmp_node *ast_name(struct mmp_arena *a, struct mmp_loc loc, const char *id)
{
	struct mmp_node *n = ast_new(a, N_NAME, loc);
	n->u.name.id = id;
	return n;
}

struct mmp_node *ast_binary(struct mmp_arena *a, enum mmp_op op, struct mmp_node *l, struct mmp_node *r)
{
	struct mmp_node *n = ast_new(a, N_BINARY, loc_span(l->loc, r->loc));
	n->u.bin.op = op;
	n->u.bin.lhs = l;
	n->u.bin.rhs = r;
	n->depth = 1 + (l->depth > r->depth ? l->depth : r->depth);
	return n;
}

struct mmp_node *ast_unary(struct mmp_arena *a, struct mmp_loc loc, enum mmp_op op, struct mmp_node *x)
{
	struct mmp_node *n = ast_new(a, N_UNARY, loc);
	n->u.un.op = op;
	n->u.un.operand = x;
	n->depth = 1 + x->depth;
	return n;
}

struct mmp_node *ast_with_str(struct mmp_arena *a, enum mmp_node_kind k, struct mmp_loc loc, struct mmp_node *str)
{
	if (!str)
		return ast_new(a, k, loc);
	str->kind = k;   /* the string token becomes the node: same member */
	str->loc = loc;
	return str;
}

struct mmp_node *ast_stmt(struct mmp_arena *a, enum mmp_node_kind k, struct mmp_loc loc, struct mmp_node *name,
			  struct mmp_node *targets, struct mmp_node *body, struct mmp_node *expr)
{
	struct mmp_node *n = ast_new(a, k, loc);
	n->u.stmt.name = name;
	n->u.stmt.targets = targets;
	n->u.stmt.body = body;
	n->u.stmt.expr = expr;
	return n;
}

struct mmp_list list_push(struct mmp_list l, struct mmp_node *item)
{
	if (!item)
		return l;
	if (l.tail)
		l.tail->next = item;
	else
		l.head = item;
	l.tail = item;
	return l;
}

/* ORDER mmp_node_kind */
static const char *const kind_names[N_KIND_COUNT] = {
	"number", "string", "name", "binary", "unary", "rate", "for", "all", "anon", "file",
	"mapping", "range", "comm", "exe", "pid", "uid", "cgroup", "pressure", "usage",
	"policy", "match", "region", "pagesize", "entry", "prefetch", "setting", "evict",
	"score", "action", "limit", "protect-top", "oom", "protect", "prefer", "avoid", "kill",
};

const char *ast_kind_name(enum mmp_node_kind kind)
{
	return kind < N_KIND_COUNT ? kind_names[kind] : "?";
}

/* ORDER mmp_op */
static const char *const op_names[] = {
	"+", "-", "*", "/", "<", "<=", ">", ">=", "==", "!=", "and", "or", "-", "not",
};

const char *ast_op_name(enum mmp_op op)
{
	return op_names[op];
}

/* --- dump --------------------------------------------------------------- */

struct dumper {
	FILE *out;
	const struct mmp_source *src;
};

static void dump_node(struct dumper *d, const struct mmp_node *n, int depth, const char *role);

static void dump_head(struct dumper *d, const struct mmp_node *n, int depth, const char *role)
{
	unsigned line, col;
	source_position(d->src, n->loc.start, &line, &col);
	fprintf(d->out, "%*s", depth * 2, "");
	if (role && n->kind == N_NAME) {   /* "region index" rather than "region: name index" */
		fprintf(d->out, "%s %s <%u:%u>\n", role, n->u.name.id, line, col);
		return;
	}
	if (role)
		fprintf(d->out, "%s: ", role);
	fputs(ast_kind_name(n->kind), d->out);
	switch (n->kind) {
	case N_NUMBER: {
		char buf[64];
		unit_format(buf, sizeof(buf), (int64_t)n->u.num.value, n->u.num.unit);
		fprintf(d->out, " %s", buf);
		break;
	}
	case N_STRING: case N_FILE: case N_MAPPING: case N_COMM: case N_EXE: case N_CGROUP:
		if (n->u.str.s) {
			fputs(" \"", d->out);
			for (size_t i = 0; i < n->u.str.len; i++) {
				unsigned char c = (unsigned char)n->u.str.s[i];
				if (c == '"' || c == '\\')
					fprintf(d->out, "\\%c", c);
				else if (c < 0x20 || c >= 0x7f)
					fprintf(d->out, "\\x%02x", c);
				else
					fputc(c, d->out);
			}
			fputc('"', d->out);
		}
		break;
	case N_NAME:
		fprintf(d->out, " %s", n->u.name.id);
		break;
	case N_BINARY: case N_UNARY:
		fprintf(d->out, " %s", ast_op_name(n->kind == N_BINARY ? n->u.bin.op : n->u.un.op));
		break;
	case N_RANGE:
		if (n->u.range.relative)
			fputs(" relative", d->out);
		break;
	default:
		break;
	}
	fprintf(d->out, " <%u:%u>\n", line, col);
}

static void dump_list(struct dumper *d, const struct mmp_node *n, int depth, const char *role)
{
	for (; n; n = n->next)
		dump_node(d, n, depth, role);
}

static void dump_node(struct dumper *d, const struct mmp_node *n, int depth, const char *role)
{
	dump_head(d, n, depth, role);
	depth++;
	switch (n->kind) {
	case N_BINARY: case N_FOR: case N_ENTRY:
		dump_node(d, n->u.bin.lhs, depth, NULL);
		dump_node(d, n->u.bin.rhs, depth, NULL);
		break;
	case N_UNARY: case N_RATE: case N_PID: case N_UID:
		dump_node(d, n->u.un.operand, depth, NULL);
		break;
	case N_RANGE:
		dump_node(d, n->u.range.lo, depth, "from");
		dump_node(d, n->u.range.hi, depth, n->u.range.relative ? "size" : "to");
		break;
	case N_PRESSURE: case N_USAGE:
		if (n->u.psi.kind)
			dump_node(d, n->u.psi.kind, depth, "kind");
		if (n->u.psi.cgroup)
			dump_node(d, n->u.psi.cgroup, depth, "cgroup");
		break;
	case N_POLICY: case N_MATCH: case N_REGION: case N_PAGESIZE: case N_PREFETCH: case N_SETTING:
	case N_EVICT: case N_SCORE: case N_ACTION: case N_LIMIT: case N_KEEP: case N_OOM:
	case N_PROTECT: case N_PREFER: case N_AVOID: case N_KILL:
		if (n->u.stmt.name)
			dump_node(d, n->u.stmt.name, depth, "name");
		dump_list(d, n->u.stmt.targets, depth, "region");
		/* In source order: 'evict when T { ... }' but 'pagesize R { ... } when C'. */
		bool when_last = n->kind == N_PAGESIZE || n->kind == N_PREFETCH;
		const char *role = when_last || n->kind == N_KILL || n->kind == N_EVICT ? "when" : NULL;
		if (!when_last && n->u.stmt.expr)
			dump_node(d, n->u.stmt.expr, depth, role);
		dump_list(d, n->u.stmt.body, depth, NULL);
		if (when_last && n->u.stmt.expr)
			dump_node(d, n->u.stmt.expr, depth, role);
		break;
	default:
		break;
	}
}

void ast_dump(FILE *out, const struct mmp_source *src, const struct mmp_ast *ast)
{
	struct dumper d = { out, src };
	dump_list(&d, ast->policies, 0, NULL);
}
