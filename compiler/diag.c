/* diag.c - printing positioned diagnostics with the source line and a caret. */
#define _GNU_SOURCE   /* vasprintf */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum severity { SEV_ERROR, SEV_WARNING, SEV_NOTE };

static const char *const sev_name[] = { "error", "warning", "note" };
static const char *const sev_color[] = { "\033[1;31m", "\033[1;35m", "\033[1;36m" };
#define BOLD "\033[1m"
#define GREEN "\033[1;32m"
#define RESET "\033[0m"

void diag_init(struct mmp_diag *d, FILE *out, const struct mmp_source *src, enum diag_color color)
{
	memset(d, 0, sizeof(*d));
	d->out = out;
	d->src = src;
	if (color == DIAG_COLOR_AUTO) {
		const char *term = getenv("TERM");
		const char *no_color = getenv("NO_COLOR");   /* no-color.org: set and not empty */
		d->color = isatty(fileno(out)) && !(no_color && *no_color) && term && strcmp(term, "dumb") != 0;
	} else {
		d->color = color == DIAG_COLOR_ALWAYS;
	}
}

/* Lines longer than this are shown as a window around the caret. */
#define SNIPPET_WIDTH 160
#define MESSAGE_MAX 400
#define SNIPPET_BEFORE 60

/* S with its control bytes shown as \xNN, never sent to the terminal:
 * a message quotes the policy's strings, and a file's name may hold a
 * newline that would split a diagnostic in two. */
void diag_put_visible(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
	}
}

static bool continuation(char c)
{
	return ((unsigned char)c & 0xc0) == 0x80;
}

/* The source line, then a caret under the start of LOC and tildes to its end
 * (clipped to the line). Tabs are copied so that the caret lines up. */
static void print_snippet(struct mmp_diag *d, FILE *out, struct mmp_loc loc)
{
	unsigned line, col;
	source_position(d->src, loc.start, &line, &col);
	size_t len;
	const char *text = source_line_at(d->src, loc.start, &len);
	size_t caret = col - 1;
	size_t width = loc.end > loc.start ? loc.end - loc.start : 1;
	if (caret > len)
		caret = len;
	/* A long line: the part around the caret, cut at characters. */
	size_t from = 0, to = len;
	if (len > SNIPPET_WIDTH) {
		from = caret > SNIPPET_BEFORE ? caret - SNIPPET_BEFORE : 0;
		while (from > 0 && continuation(text[from]))
			from--;
		to = from + SNIPPET_WIDTH < len ? from + SNIPPET_WIDTH : len;
		while (to < len && continuation(text[to]))
			to++;
	}
	const char *more = "...";
	if (from)
		fputs(more, out);
	/* One column a byte shown: a control byte (a tab aside) as '?'. */
	for (size_t i = from; i < to; i++)
		fputc((unsigned char)text[i] < 0x20 && text[i] != '\t' ? '?' : text[i] == 0x7f ? '?' : text[i], out);
	if (to < len)
		fputs(more, out);
	fputc('\n', out);
	if (caret + width > to)
		width = to > caret ? to - caret : 1;
	if (from)
		fputs("   ", out);
	/* One column a character: UTF-8 continuation bytes take no column. */
	for (size_t i = from; i < caret; i++)
		if (!continuation(text[i]))
			fputc(text[i] == '\t' ? '\t' : ' ', out);
	if (d->color)
		fputs(GREEN, out);
	fputc('^', out);
	for (size_t i = caret + 1; i < caret + width; i++)
		if (!continuation(text[i]))
			fputc('~', out);
	if (d->color)
		fputs(RESET, out);
	fputc('\n', out);
}

/* Past the limit, errors and warnings are counted, not shown. */
static bool hidden(struct mmp_diag *d, enum severity sev)
{
	if (sev == SEV_NOTE)
		return d->hiding;
	d->hiding = d->limit && d->shown >= d->limit;
	if (!d->hiding)
		d->shown++;
	else if (sev == SEV_ERROR)
		d->hidden_errors++;
	else
		d->hidden_warnings++;
	return d->hiding;
}

static void report(struct mmp_diag *d, enum severity sev, const struct mmp_loc *loc, const char *fmt,
		   va_list ap)
{
	bool promoted = sev == SEV_WARNING && d->werror;
	if (promoted)
		sev = SEV_ERROR;
	if (sev == SEV_ERROR)
		d->errors++;
	else if (sev == SEV_WARNING)
		d->warnings++;
	if (hidden(d, sev))
		return;

	/* Built in memory and written at once: the output is often stderr,
	 * which stdio does not buffer. */
	char *buf = NULL;
	size_t n = 0;
	FILE *out = open_memstream(&buf, &n);
	if (!out)
		return;
	if (d->color)
		fputs(BOLD, out);
	if (loc) {
		unsigned line, col;
		source_position(d->src, loc->start, &line, &col);
		diag_put_visible(out, d->src->name);
		fprintf(out, ":%u:%u: ", line, col);
	} else {
		diag_put_visible(out, d->src->name);
		fputs(": ", out);
	}
	if (d->color)
		fprintf(out, "%s%s:" RESET BOLD " ", sev_color[sev], sev_name[sev]);
	else
		fprintf(out, "%s: ", sev_name[sev]);
	char *msg = NULL;
	int len = vasprintf(&msg, fmt, ap);
	if (len >= 0) {
		/* A message quotes names and strings: a 1 MiB one is cut. */
		if (len > MESSAGE_MAX)
			memcpy(msg + MESSAGE_MAX - 3, "...", 4);
		diag_put_visible(out, msg);
		free(msg);
	}
	if (promoted)
		fputs(" [-Werror]", out);
	if (d->color)
		fputs(RESET, out);
	fputc('\n', out);
	if (loc)
		print_snippet(d, out, *loc);
	fclose(out);
	fwrite(buf, 1, n, d->out);
	fflush(d->out);
	free(buf);
}

void diag_finish(struct mmp_diag *d)
{
	if (!d->hidden_errors && !d->hidden_warnings)
		return;
	char errors[48] = "", warnings[48] = "";
	if (d->hidden_errors)
		snprintf(errors, sizeof(errors), "%u more error%s", d->hidden_errors, d->hidden_errors == 1 ? "" : "s");
	if (d->hidden_warnings)
		snprintf(warnings, sizeof(warnings), "%u more warning%s", d->hidden_warnings,
			 d->hidden_warnings == 1 ? "" : "s");
	diag_put_visible(d->out, d->src->name);
	fprintf(d->out, ": note: %s%s%s not shown (the limit is %u; --error-limit=0 shows all)\n",
		errors, *errors && *warnings ? " and " : "", warnings, d->limit);
	d->hidden_errors = d->hidden_warnings = 0;
}

void diag_error(struct mmp_diag *d, struct mmp_loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(d, SEV_ERROR, &loc, fmt, ap);
	va_end(ap);
}

void diag_warning(struct mmp_diag *d, struct mmp_loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(d, SEV_WARNING, &loc, fmt, ap);
	va_end(ap);
}

void diag_note(struct mmp_diag *d, struct mmp_loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(d, SEV_NOTE, &loc, fmt, ap);
	va_end(ap);
}

void diag_hint(struct mmp_diag *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(d, SEV_NOTE, NULL, fmt, ap);
	va_end(ap);
}

void diag_file_warning(struct mmp_diag *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(d, SEV_WARNING, NULL, fmt, ap);
	va_end(ap);
}

void diag_tool_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = NULL;
	int len = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	fputs("mmpc: error: ", stderr);
	diag_put_visible(stderr, msg);
	fputc('\n', stderr);
	free(msg);
}
