/* mmp.y - the grammar of the .mmp policy language.
 *
 * A pure parser over a reentrant scanner; every node carries its byte span.
 * Process matchers, region selectors, triggers and arithmetic share one
 * expression grammar (precedence below); the semantic pass decides which
 * forms each place accepts, with a message naming the place.
 * Statements recover at ';' and blocks at '}', so one run reports every
 * syntax error.
 */
%code requires {
#include "compiler/ast.h"
typedef void *yyscan_t;
struct mmp_parse_ctx;
}

%code {
#include <stdio.h>
#include <string.h>

#include "compiler/parse.h"

int mmp_yylex(YYSTYPE *val, struct mmp_loc *loc, yyscan_t scanner);
struct mmp_parse_ctx *mmp_yyget_extra(yyscan_t scanner);
static int lex_token(YYSTYPE *val, struct mmp_loc *loc, yyscan_t scanner);
#undef yylex
#define yylex lex_token

#define A (ctx->arena)

/* A span covers its first to its last symbol; an empty rule sits at the end
 * of what came before it. */
#define YYLLOC_DEFAULT(Cur, Rhs, N)                                          \
	do {                                                                 \
		if (N) {                                                     \
			(Cur).start = YYRHSLOC(Rhs, 1).start;                \
			(Cur).end = YYRHSLOC(Rhs, N).end;                    \
		} else {                                                     \
			(Cur).start = (Cur).end = YYRHSLOC(Rhs, 0).end;      \
		}                                                            \
	} while (0)

static void mmp_yyerror(struct mmp_loc *loc, yyscan_t scanner, struct mmp_parse_ctx *ctx, const char *msg);
static struct mmp_node *bounded(struct mmp_parse_ctx *ctx, struct mmp_node *n);
static struct mmp_node *stmt(struct mmp_parse_ctx *ctx, enum mmp_node_kind k, struct mmp_loc loc,
			     struct mmp_node *name, struct mmp_node *targets, struct mmp_node *body,
			     struct mmp_node *expr);
}

%define api.pure full
%define api.prefix {mmp_yy}
%define api.location.type {struct mmp_loc}
%define parse.error custom
%locations
%lex-param {yyscan_t scanner}
%parse-param {yyscan_t scanner} {struct mmp_parse_ctx *ctx}
%expect 0

%union {
	struct mmp_node *node;
	struct mmp_list list;
}

%token END 0 "end of file"
%token INVALID "invalid character"
%token <node> NUMBER "number" STRING "string" IDENT "name"
%token POLICY "policy" MATCH "match" REGION "region" PAGESIZE "pagesize"
%token PREFETCH "prefetch" EVICT "evict" OOM "oom" WHEN "when"
%token AND "and" OR "or" NOT "not" ALL "all" ANON "anon" FILE_ "file"
%token MAPPING "mapping" RANGE "range" COMM "comm" EXE "exe" PID "pid"
%token UID "uid" CGROUP "cgroup" SCORE "score" ACTION "action" LIMIT "limit"
%token PROTECT "protect" PREFER "prefer" AVOID "avoid" KILL "kill"
%token PRESSURE "pressure" USAGE "usage" FOR "for" OF "of" TOP "top" AHEAD "ahead"
%token EQ "==" NE "!=" LE "<=" GE ">=" DOTDOT ".." PERSEC "/s"

/* Lowest first. */
%left OR
%left AND
%left FOR
%precedence NOT
%precedence DOTDOT
%nonassoc '<' '>' LE GE EQ NE
%left '+' '-'
%left '*' '/'
%precedence UMINUS
%precedence PERSEC

%type <node> policy item block_item oom_item entry setting expr primary opt_when
%type <list> policies items names entries settings evict_items oom_items

%%

file:
	policies                        { ctx->ast.policies = $1.head; }
	;

policies:
	%empty                          { $$ = (struct mmp_list){ 0 }; }
	| policies policy               { $$ = list_push($1, $2); }
	| policies error                { $$ = $1; }
	;

/* policy NAME { items } */
policy:
	POLICY IDENT '{' items '}'          { $$ = stmt(ctx, N_POLICY, @$, $2, NULL, $4.head, NULL); }
	| POLICY IDENT '{' items error '}'  { $$ = stmt(ctx, N_POLICY, @$, $2, NULL, $4.head, NULL); }
	;

items:
	%empty                          { $$ = (struct mmp_list){ 0 }; }
	| items item                    { $$ = list_push($1, $2); }
	;

item:
	MATCH expr ';'                  { $$ = stmt(ctx, N_MATCH, @$, NULL, NULL, NULL, $2); }
	| REGION IDENT '=' expr ';'     { $$ = stmt(ctx, N_REGION, @$, $2, NULL, NULL, $4); }
	| PAGESIZE names '{' entries '}' opt_when
	                                { $$ = stmt(ctx, N_PAGESIZE, @$, NULL, $2.head, $4.head, $6); }
	| PAGESIZE names '{' entries error '}' opt_when
	                                { $$ = stmt(ctx, N_PAGESIZE, @$, NULL, $2.head, $4.head, $7); }
	| PREFETCH names '{' settings '}' opt_when
	                                { $$ = stmt(ctx, N_PREFETCH, @$, NULL, $2.head, $4.head, $6); }
	| PREFETCH names '{' settings error '}' opt_when
	                                { $$ = stmt(ctx, N_PREFETCH, @$, NULL, $2.head, $4.head, $7); }
	| EVICT WHEN expr '{' evict_items '}'
	                                { $$ = stmt(ctx, N_EVICT, @$, NULL, NULL, $5.head, $3); }
	| EVICT WHEN expr '{' evict_items error '}'
	                                { $$ = stmt(ctx, N_EVICT, @$, NULL, NULL, $5.head, $3); }
	| EVICT error '{' evict_items '}'
	                                { $$ = NULL; }
	| EVICT WHEN error '{' evict_items '}'
	                                { $$ = NULL; }
	| OOM '{' oom_items '}'         { $$ = stmt(ctx, N_OOM, @$, NULL, NULL, $3.head, NULL); }
	| OOM '{' oom_items error '}'   { $$ = stmt(ctx, N_OOM, @$, NULL, NULL, $3.head, NULL); }
	| ';'                           { $$ = NULL; }
	| error ';'                     { $$ = NULL; yyerrok; }
	;

names:
	IDENT                           { $$ = list_push((struct mmp_list){ 0 }, $1); }
	| names ',' IDENT               { $$ = list_push($1, $3); }
	;

/* A broken condition recovers at its own ';', not at the block before it. */
opt_when:
	%empty                          { $$ = NULL; }
	| WHEN expr ';'                 { $$ = $2; }
	| WHEN error ';'                { $$ = NULL; yyerrok; }
	;

/* pagesize REGION { SIZE: BENEFIT; ... [ahead SIZE;] } */
entries:
	%empty                          { $$ = (struct mmp_list){ 0 }; }
	| entries entry                 { $$ = list_push($1, $2); }
	;

entry:
	expr ':' expr ';'               { $$ = ast_new(A, N_ENTRY, @$); $$->u.bin.lhs = $1; $$->u.bin.rhs = $3; }
	| AHEAD expr ';'                { $$ = stmt(ctx, N_SETTING, @$, ast_name(A, @1, arena_intern(A, "ahead", 5)),
	                                            NULL, NULL, $2); }
	| ';'                           { $$ = NULL; }
	| error ';'                     { $$ = NULL; yyerrok; }
	;

/* prefetch REGION { NAME VALUE; ... } */
settings:
	%empty                          { $$ = (struct mmp_list){ 0 }; }
	| settings setting              { $$ = list_push($1, $2); }
	;

setting:
	IDENT expr ';'                  { $$ = stmt(ctx, N_SETTING, @$, $1, NULL, NULL, $2); }
	| LIMIT expr ';'                { $$ = stmt(ctx, N_SETTING, @$, ast_name(A, @1, arena_intern(A, "limit", 5)),
	                                            NULL, NULL, $2); }
	| ';'                           { $$ = NULL; }
	| error ';'                     { $$ = NULL; yyerrok; }
	;

evict_items:
	%empty                          { $$ = (struct mmp_list){ 0 }; }
	| evict_items block_item        { $$ = list_push($1, $2); }
	;

block_item:
	SCORE IDENT '=' expr ';'        { $$ = stmt(ctx, N_SCORE, @$, $2, NULL, NULL, $4); }
	| ACTION expr ';'               { $$ = stmt(ctx, N_ACTION, @$, NULL, NULL, NULL, $2); }
	| LIMIT expr ';'                { $$ = stmt(ctx, N_LIMIT, @$, NULL, NULL, NULL, $2); }
	| PROTECT TOP expr ';'          { $$ = stmt(ctx, N_KEEP, @$, NULL, NULL, NULL, $3); }
	| IDENT expr ';'                { $$ = stmt(ctx, N_SETTING, @$, $1, NULL, NULL, $2); }   /* unit SIZE */
	| ';'                           { $$ = NULL; }
	| error ';'                     { $$ = NULL; yyerrok; }
	;

oom_items:
	%empty                          { $$ = (struct mmp_list){ 0 }; }
	| oom_items oom_item            { $$ = list_push($1, $2); }
	;

oom_item:
	PROTECT expr ';'                { $$ = stmt(ctx, N_PROTECT, @$, NULL, NULL, NULL, $2); }
	| PREFER expr ';'               { $$ = stmt(ctx, N_PREFER, @$, NULL, NULL, NULL, $2); }
	| AVOID expr ';'                { $$ = stmt(ctx, N_AVOID, @$, NULL, NULL, NULL, $2); }
	| SCORE '=' expr ';'            { $$ = stmt(ctx, N_SCORE, @$, NULL, NULL, NULL, $3); }
	| KILL IDENT ';'                { $$ = stmt(ctx, N_KILL, @$, $2, NULL, NULL, NULL); }
	| KILL IDENT WHEN expr ';'      { $$ = stmt(ctx, N_KILL, @$, $2, NULL, NULL, $4); }
	| KILL IDENT WHEN error ';'     { $$ = NULL; yyerrok; }
	| ';'                           { $$ = NULL; }
	| error ';'                     { $$ = NULL; yyerrok; }
	;

expr:
	expr OR expr                    { $$ = bounded(ctx, ast_binary(A, OP_OR, $1, $3)); }
	| expr AND expr                 { $$ = bounded(ctx, ast_binary(A, OP_AND, $1, $3)); }
	| expr FOR expr                 { $$ = bounded(ctx, ast_binary(A, OP_ADD, $1, $3)); $$->kind = N_FOR; }
	| NOT expr                      { $$ = bounded(ctx, ast_unary(A, @$, OP_NOT, $2)); }
	| expr '<' expr                 { $$ = bounded(ctx, ast_binary(A, OP_LT, $1, $3)); }
	| expr LE expr                  { $$ = bounded(ctx, ast_binary(A, OP_LE, $1, $3)); }
	| expr '>' expr                 { $$ = bounded(ctx, ast_binary(A, OP_GT, $1, $3)); }
	| expr GE expr                  { $$ = bounded(ctx, ast_binary(A, OP_GE, $1, $3)); }
	| expr EQ expr                  { $$ = bounded(ctx, ast_binary(A, OP_EQ, $1, $3)); }
	| expr NE expr                  { $$ = bounded(ctx, ast_binary(A, OP_NE, $1, $3)); }
	| expr '+' expr                 { $$ = bounded(ctx, ast_binary(A, OP_ADD, $1, $3)); }
	| expr '-' expr                 { $$ = bounded(ctx, ast_binary(A, OP_SUB, $1, $3)); }
	| expr '*' expr                 { $$ = bounded(ctx, ast_binary(A, OP_MUL, $1, $3)); }
	| expr '/' expr                 { $$ = bounded(ctx, ast_binary(A, OP_DIV, $1, $3)); }
	| '-' expr %prec UMINUS         { $$ = bounded(ctx, ast_unary(A, @$, OP_NEG, $2)); }
	| expr PERSEC                   { $$ = bounded(ctx, ast_unary(A, @$, OP_DIV, $1)); $$->kind = N_RATE; }
	| primary
	;

primary:
	NUMBER
	| STRING
	| IDENT
	| '(' expr ')'                  { $$ = $2; }
	| ALL                           { $$ = ast_new(A, N_ALL, @$); }
	| ANON                          { $$ = ast_new(A, N_ANON, @$); }
	| FILE_                         { $$ = ast_new(A, N_FILE, @$); }
	| FILE_ STRING                  { $$ = ast_with_str(A, N_FILE, @$, $2); }
	| MAPPING STRING                { $$ = ast_with_str(A, N_MAPPING, @$, $2); }
	| RANGE expr DOTDOT expr        { $$ = ast_new(A, N_RANGE, @$); $$->u.range.lo = $2; $$->u.range.hi = $4; }
	| RANGE expr DOTDOT '+' expr %prec DOTDOT
	                                { $$ = ast_new(A, N_RANGE, @$); $$->u.range.lo = $2; $$->u.range.hi = $5;
	                                  $$->u.range.relative = true; }
	| COMM STRING                   { $$ = ast_with_str(A, N_COMM, @$, $2); }
	| EXE STRING                    { $$ = ast_with_str(A, N_EXE, @$, $2); }
	| CGROUP STRING                 { $$ = ast_with_str(A, N_CGROUP, @$, $2); }
	| PID NUMBER                    { $$ = bounded(ctx, ast_unary(A, @$, OP_NOT, $2)); $$->kind = N_PID; }
	| UID NUMBER                    { $$ = bounded(ctx, ast_unary(A, @$, OP_NOT, $2)); $$->kind = N_UID; }
	| UID STRING                    { $$ = bounded(ctx, ast_unary(A, @$, OP_NOT, $2)); $$->kind = N_UID; }
	| PRESSURE IDENT                { $$ = ast_new(A, N_PRESSURE, @$); $$->u.psi.kind = $2; }
	| PRESSURE IDENT OF CGROUP STRING
	                                { $$ = ast_new(A, N_PRESSURE, @$); $$->u.psi.kind = $2; $$->u.psi.cgroup = $5; }
	| USAGE                         { $$ = ast_new(A, N_USAGE, @$); }
	| USAGE OF CGROUP STRING        { $$ = ast_new(A, N_USAGE, @$); $$->u.psi.cgroup = $4; }
	;

%%

static struct mmp_node *stmt(struct mmp_parse_ctx *ctx, enum mmp_node_kind k, struct mmp_loc loc,
			     struct mmp_node *name, struct mmp_node *targets, struct mmp_node *body,
			     struct mmp_node *expr)
{
	return ast_stmt(ctx->arena, k, loc, name, targets, body, expr);
}

/* N, refused once when its expression grows past MMP_MAX_EXPR_DEPTH: the
 * parser itself never recurses, the passes after it do. */
static struct mmp_node *bounded(struct mmp_parse_ctx *ctx, struct mmp_node *n)
{
	if (n->depth == MMP_MAX_EXPR_DEPTH + 1)
		diag_error(ctx->diag, n->loc, "this expression nests more than %d operators deep; split it into rules "
			   "of their own", MMP_MAX_EXPR_DEPTH);
	return n;
}

static void mmp_yyerror(struct mmp_loc *loc, yyscan_t scanner, struct mmp_parse_ctx *ctx, const char *msg)
{
	(void)scanner;
	diag_error(ctx->diag, *loc, "%s", msg);
}

/* Names of tokens as a user sees them: 'policy', ';', a number. */
static void token_text(yysymbol_kind_t sym, char *buf, size_t len)
{
	switch (sym) {
	case YYSYMBOL_NUMBER: snprintf(buf, len, "a number"); break;
	case YYSYMBOL_STRING: snprintf(buf, len, "a string"); break;
	case YYSYMBOL_IDENT: snprintf(buf, len, "a name"); break;
	case YYSYMBOL_YYEOF: snprintf(buf, len, "end of file"); break;
	default: {
		const char *name = yysymbol_name(sym);   /* ';' comes quoted already */
		snprintf(buf, len, name[0] == '\'' ? "%s" : "'%s'", name);
		break;
	}
	}
}

static bool is_char_token(yysymbol_kind_t sym, char c)
{
	const char *name = yysymbol_name(sym);
	return name[0] == '\'' && name[1] == c && name[2] == '\'';
}

/* Tokens after which a statement may end: a missing ';' is reported just
 * after them, where it belongs, rather than at the next line's token. */
static bool starts_statement(yysymbol_kind_t sym)
{
	switch (sym) {
	case YYSYMBOL_MATCH: case YYSYMBOL_REGION: case YYSYMBOL_PAGESIZE: case YYSYMBOL_PREFETCH:
	case YYSYMBOL_EVICT: case YYSYMBOL_OOM: case YYSYMBOL_SCORE: case YYSYMBOL_ACTION: case YYSYMBOL_LIMIT:
	case YYSYMBOL_PROTECT: case YYSYMBOL_PREFER: case YYSYMBOL_AVOID: case YYSYMBOL_KILL: case YYSYMBOL_POLICY:
	case YYSYMBOL_IDENT: case YYSYMBOL_NUMBER: case YYSYMBOL_YYEOF:
		return true;
	default:
		return is_char_token(sym, '}');
	}
}

static bool is_unit_name(const char *s, size_t n)
{
	static const char *const units[] = { "K", "M", "G", "T", "B", "ms", "s", "min", "h", "KB", "MB", "GB" };
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strlen(units[i]) == n && memcmp(units[i], s, n) == 0)
			return true;
	return false;
}

static void report_invalid(struct mmp_parse_ctx *ctx, struct mmp_loc loc)
{
	const unsigned char *t = (const unsigned char *)ctx->src->text + loc.start;
	unsigned n = loc.end - loc.start;
	if (t[0] >= 0x20 && t[0] < 0x7f)
		diag_error(ctx->diag, loc, "unexpected character '%c'", t[0]);
	else if (t[0] >= 0xc0 && n > 1)
		diag_error(ctx->diag, loc, "unexpected character '%.*s'", (int)n, (const char *)t);
	else
		diag_error(ctx->diag, loc, "unexpected byte 0x%02x", t[0]);
	if (n == 3 && t[0] == 0xe2 && t[1] == 0x80 && (t[2] == 0x9c || t[2] == 0x9d || t[2] == 0x98 || t[2] == 0x99))
		diag_hint(ctx->diag, "strings are quoted with a plain '\"'");
	else if (t[0] == '.' && ctx->prev_tok == NUMBER && ctx->prev_end == loc.start)
		diag_hint(ctx->diag, "numbers are whole: write 1536M rather than 1.5G");
	else if ((t[0] == '&' || t[0] == '|' || t[0] == '!') && n == 1)
		diag_hint(ctx->diag, "conditions are joined with 'and', 'or' and 'not'");
}

/* "unexpected X, expected A, B or C" with the unexpected token underlined;
 * "expected ';'" just after the statement it ends; "expected '}'" with the
 * '{' it would close; hints for the mistakes people really make. */
static int yyreport_syntax_error(const yypcontext_t *pctx, yyscan_t scanner, struct mmp_parse_ctx *ctx)
{
	(void)scanner;
	enum { MAX_SHOWN = 5 };
	yysymbol_kind_t expected[YYNTOKENS];
	int n = yypcontext_expected_tokens(pctx, expected, YYNTOKENS);
	yysymbol_kind_t got = yypcontext_token(pctx);
	struct mmp_loc loc = *yypcontext_location(pctx);
	char msg[512], tok[64];
	bool wants_semi = false, wants_close = false, wants_colon = false, wants_policy = false;

	/* An unterminated string ate the rest of its line: that was reported. */
	if (ctx->bad_string_end && ctx->prev_end == ctx->bad_string_end)
		return 0;
	for (int i = 0; i < n; i++) {
		wants_semi |= is_char_token(expected[i], ';');
		wants_close |= is_char_token(expected[i], '}');
		wants_colon |= is_char_token(expected[i], ':');
		wants_policy |= expected[i] == YYSYMBOL_POLICY;
	}
	if (got == YYSYMBOL_INVALID) {
		report_invalid(ctx, loc);
		return 0;
	}
	bool after_end = ctx->prev_tok == ';' || ctx->prev_tok == '{' || ctx->prev_tok == '}';
	struct mmp_loc open = { 0, 0 };
	unsigned cap = sizeof(ctx->open_brace) / sizeof(ctx->open_brace[0]);
	if (ctx->brace_depth) {
		uint32_t at = ctx->open_brace[(ctx->brace_depth <= cap ? ctx->brace_depth : cap) - 1];
		open = (struct mmp_loc){ at, at + 1 };
	}

	token_text(got, tok, sizeof(tok));
	if (got == YYSYMBOL_YYEOF && ctx->brace_depth) {
		struct mmp_loc after = { ctx->prev_end, ctx->prev_end };   /* after the last token, not on an empty line */
		diag_error(ctx->diag, after, "expected '}' at end of file");
		diag_note(ctx->diag, open, "to match this '{'");
		return 0;
	}
	if (wants_close && after_end && starts_statement(got) && got != YYSYMBOL_IDENT && got != YYSYMBOL_NUMBER &&
	    ctx->brace_depth) {
		diag_error(ctx->diag, loc, "expected '}' before %s", tok);
		diag_note(ctx->diag, open, "to match this '{'");
		return 0;
	}
	if (got == YYSYMBOL_NUMBER || got == YYSYMBOL_IDENT || got == YYSYMBOL_STRING) {
		/* "number '100'" says more than "a number". */
		unsigned len = loc.end - loc.start < 40 ? loc.end - loc.start : 40;
		bool quote = got != YYSYMBOL_STRING;
		snprintf(tok, sizeof(tok), "%s %s%.*s%s",
			 got == YYSYMBOL_NUMBER ? "number" : got == YYSYMBOL_IDENT ? "name" : "string", quote ? "'" : "",
			 (int)len, ctx->src->text + loc.start, quote ? "'" : "");
	}
	if (got == YYSYMBOL_IDENT && ctx->prev_tok == NUMBER && is_unit_name(ctx->src->text + loc.start, loc.end - loc.start)) {
		diag_error(ctx->diag, loc, "unexpected %s after a number", tok);
		diag_hint(ctx->diag, "a unit follows its number without a space, as in 4G or 100ms");
		return 0;
	}
	if (wants_semi && !after_end && starts_statement(got) && ctx->prev_end < loc.start) {
		struct mmp_loc after = { ctx->prev_end, ctx->prev_end };
		diag_error(ctx->diag, after, "expected ';' before %s", tok);
		return 0;
	}
	if (wants_colon && is_char_token(got, '=')) {
		diag_error(ctx->diag, loc, "unexpected '=', expected ':'");
		diag_hint(ctx->diag, "a page-size profile lists SIZE: BENEFIT; as in { 4K: 0; 2M: 100; }");
		return 0;
	}
	size_t used = (size_t)snprintf(msg, sizeof(msg), "unexpected %s", tok);
	if (n > 0 && n <= MAX_SHOWN) {
		for (int i = 0; i < n && used < sizeof(msg); i++) {
			token_text(expected[i], tok, sizeof(tok));
			used += (size_t)snprintf(msg + used, sizeof(msg) - used, "%s%s",
						 i == 0 ? ", expected " : i == n - 1 ? " or " : ", ", tok);
		}
	}
	diag_error(ctx->diag, loc, "%s", msg);
	bool after_operand = ctx->prev_tok == NUMBER || ctx->prev_tok == IDENT || ctx->prev_tok == ')' ||
			     ctx->prev_tok == PERSEC;
	if (after_operand && (got == YYSYMBOL_LE || got == YYSYMBOL_GE || got == YYSYMBOL_EQ || got == YYSYMBOL_NE ||
			      is_char_token(got, '<') || is_char_token(got, '>')))
		diag_hint(ctx->diag, "comparisons do not chain: write 'a < x and x < b'");
	if (wants_policy && got != YYSYMBOL_IDENT && !is_char_token(got, '}'))
		diag_hint(ctx->diag, "statements go inside a block: policy NAME { ... }");
	return 0;
}

/* The scanner, remembering where the last token ended (see above). */
static int lex_token(MMP_YYSTYPE *val, struct mmp_loc *loc, yyscan_t scanner)
{
	struct mmp_parse_ctx *ctx = mmp_yyget_extra(scanner);
	ctx->prev_end = ctx->tok_end;
	ctx->prev_tok = ctx->tok;
	int tok = mmp_yylex(val, loc, scanner);
	ctx->tok_end = loc->end;
	ctx->tok = tok;
	/* Braces as written, whatever the parser made of them: for "to match this '{'". */
	if (tok == '{') {
		if (ctx->brace_depth < sizeof(ctx->open_brace) / sizeof(ctx->open_brace[0]))
			ctx->open_brace[ctx->brace_depth] = loc->start;
		ctx->brace_depth++;
	} else if (tok == '}' && ctx->brace_depth)
		ctx->brace_depth--;
	return tok;
}
