/* log.c - messages on stderr, prefixed "mmp:" as the tool's own. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

int mmp_verbose;

static void vlog(const char *level, const char *fmt, va_list ap)
{
	fprintf(stderr, "mmp: %s", level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
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
