/* units.c - the language's units, named and formatted. */
#include "units.h"

#include <inttypes.h>
#include <stdio.h>

const char *unit_name(enum mmp_unit unit)
{
	switch (unit) {
	case UNIT_NONE: return "a plain number";
	case UNIT_BYTES: return "a size";
	case UNIT_MS: return "a duration";
	case UNIT_PERCENT: return "a percentage";
	}
	return "?";
}

void unit_format(char *buf, size_t len, int64_t v, enum mmp_unit unit)
{
	static const struct { int64_t scale; const char *suffix; } bytes[] = {
		{ 1LL << 40, "T" }, { 1LL << 30, "G" }, { 1LL << 20, "M" }, { 1LL << 10, "K" },
	};
	static const struct { int64_t scale; const char *suffix; } times[] = {
		{ 3600000, "h" }, { 60000, "min" }, { 1000, "s" },
	};
	switch (unit) {
	case UNIT_BYTES:
		for (size_t i = 0; i < sizeof(bytes) / sizeof(bytes[0]); i++) {
			if (v != 0 && v % bytes[i].scale == 0) {
				snprintf(buf, len, "%" PRId64 "%s", v / bytes[i].scale, bytes[i].suffix);
				return;
			}
		}
		snprintf(buf, len, "%" PRId64 "B", v);
		return;
	case UNIT_MS:
		for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
			if (v != 0 && v % times[i].scale == 0) {
				snprintf(buf, len, "%" PRId64 "%s", v / times[i].scale, times[i].suffix);
				return;
			}
		}
		snprintf(buf, len, "%" PRId64 "ms", v);
		return;
	case UNIT_PERCENT:
		snprintf(buf, len, "%" PRId64 "%%", v);
		return;
	case UNIT_NONE:
		break;
	}
	snprintf(buf, len, "%" PRId64, v);
}
