/* log.c - messages on stderr, prefixed "mmp:" as the tool's own. */
#define _GNU_SOURCE   /* vasprintf */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int mmp_verbose;

/* One line a message, written at once. Messages quote process names and
 * policy text: a control byte in them is shown as \xNN, never sent to the
 * terminal. A write that fails (a closed pipe) is not the runtime's end. */
static void vlog(const char *level, const char *fmt, va_list ap)
{
	char *msg = NULL, *line = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&line, &len);
	if (vasprintf(&msg, fmt, ap) < 0 || !out) {
		free(msg);
		if (out)
			fclose(out);
		free(line);
		return;
	}
	fprintf(out, "mmp: %s", level);
	for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
	}
	fputc('\n', out);
	fclose(out);
	fwrite(line, 1, len, stderr);
	free(msg);
	free(line);
}

void mmp_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("error: ", fmt, ap);
	va_end(ap);
}

void mmp_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("warning: ", fmt, ap);
	va_end(ap);
}

void mmp_info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void mmp_debug(const char *fmt, ...)
{
	if (!mmp_verbose)
		return;
	va_list ap;
	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}
