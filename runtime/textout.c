/* textout.c - escaping host strings for JSON and for a terminal. */
#include "textout.h"

#include <stdio.h>
#include <string.h>

/* Appends the N bytes of PIECE at *AT if they fit whole (a cut escape
 * would be worse than a shorter string). */
static void put(char *buf, size_t len, size_t *at, const char *piece, size_t n)
{
	if (*at + n + 1 > len)
		return;
	memcpy(buf + *at, piece, n);
	*at += n;
}

const char *json_text(char *buf, size_t len, const char *s)
{
	size_t at = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p && at + 1 < len; p++) {
		char esc[8];
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\', esc[1] = (char)*p;
			put(buf, len, &at, esc, 2);
		} else if (*p < 0x20 || *p >= 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			put(buf, len, &at, esc, 6);
		} else {
			put(buf, len, &at, (const char *)p, 1);
		}
	}
	buf[at < len ? at : len - 1] = '\0';
	return buf;
}

const char *shown_text(char *buf, size_t len, const char *s)
{
	size_t at = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p && at + 1 < len; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			char esc[8];
			snprintf(esc, sizeof(esc), "\\x%02x", *p);
			put(buf, len, &at, esc, 4);
		} else {
			put(buf, len, &at, (const char *)p, 1);
		}
	}
	buf[at < len ? at : len - 1] = '\0';
	return buf;
}
