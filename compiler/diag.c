/* diag.c - printing positioned diagnostics with the source line and a caret. */
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

/* The source line, then a caret under the start of LOC and tildes to its end
 * (clipped to the line). Tabs are copied so that the caret lines up. */
static void print_snippet(struct mmp_diag *d, struct mmp_loc loc)
{
	unsigned line, col;
	source_position(d->src, loc.start, &line, &col);
	size_t len;
	const char *text = source_line(d->src, line, &len);
	fwrite(text, 1, len, d->out);   /* fwrite: a NUL byte does not end the line */
	fputc('\n', d->out);
	size_t caret = col - 1;
	size_t width = loc.end > loc.start ? loc.end - loc.start : 1;
	if (caret > len)
		caret = len;
	if (caret + width > len)
		width = len > caret ? len - caret : 1;
	/* One column a character: UTF-8 continuation bytes take no column. */
	for (size_t i = 0; i < caret; i++)
		if (((unsigned char)text[i] & 0xc0) != 0x80)
			fputc(text[i] == '\t' ? '\t' : ' ', d->out);
	if (d->color)
		fputs(GREEN, d->out);
	fputc('^', d->out);
	for (size_t i = caret + 1; i < caret + width; i++)
		if (((unsigned char)text[i] & 0xc0) != 0x80)
			fputc('~', d->out);
	if (d->color)
		fputs(RESET, d->out);
	fputc('\n', d->out);
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

	if (d->color)
		fputs(BOLD, d->out);
	if (loc) {
		unsigned line, col;
		source_position(d->src, loc->start, &line, &col);
		fprintf(d->out, "%s:%u:%u: ", d->src->name, line, col);
	} else {
		fprintf(d->out, "%s: ", d->src->name);
	}
	if (d->color)
		fprintf(d->out, "%s%s:" RESET BOLD " ", sev_color[sev], sev_name[sev]);
	else
		fprintf(d->out, "%s: ", sev_name[sev]);
	vfprintf(d->out, fmt, ap);
	if (promoted)
		fputs(" [-Werror]", d->out);
	if (d->color)
		fputs(RESET, d->out);
	fputc('\n', d->out);
	if (loc)
		print_snippet(d, *loc);
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
