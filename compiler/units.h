/* units.h - the language's units of measure: the checker types values
 * with them, and the compiler's and runtime's messages print values in
 * them. */
#ifndef MMP_UNITS_H
#define MMP_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* Units of measure. Values are kept in the base unit given here. */
enum mmp_unit {
	UNIT_NONE,     /* a plain number (a count, a benefit) */
	UNIT_BYTES,    /* bytes */
	UNIT_MS,       /* milliseconds */
	UNIT_PERCENT,  /* whole percent, 0..100 */
};

/* "a size", "a duration"... for messages. */
const char *unit_name(enum mmp_unit unit);
/* A value in its unit, as a person would write it: 1G, 64K, 5s, 10%. */
void unit_format(char *buf, size_t len, int64_t value, enum mmp_unit unit);

#endif
