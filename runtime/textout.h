/* textout.h - host strings (a process's name, a runtime's name, a policy's
 * text) made safe for where they are printed: JSON by its standard, and a
 * terminal without control bytes. */
#ifndef MMP_TEXTOUT_H
#define MMP_TEXTOUT_H

#include <stddef.h>

/* S as the inside of a JSON string, into BUF: '"' and '\' escaped, and
 * every byte outside printable ASCII as \u00XX (a byte, as Latin-1), so
 * the output is valid whatever S holds. Cut to fit; returns BUF. */
const char *json_text(char *buf, size_t len, const char *s);
/* S for a terminal, into BUF: control bytes as \xNN. Returns BUF. */
const char *shown_text(char *buf, size_t len, const char *s);

#endif
