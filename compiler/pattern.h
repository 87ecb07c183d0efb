/* pattern.h - the one definition of how policy patterns match names, shared
 * by the checker (which patterns can meet) and the runtime (what matches).
 *
 * Paths (file, exe) and process names (comm) are shell globs: '*' '?' and
 * '[...]', where '*' also matches '/'. Mapping names are matched with '*'
 * and '?' only, because the names the kernel gives ([heap], [stack],
 * [anon:jemalloc]) are full of brackets that mean themselves.
 */
#ifndef MMP_PATTERN_H
#define MMP_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

enum pattern_kind { PATTERN_GLOB, PATTERN_MAPPING };

bool pattern_match(const char *pattern, const char *name, enum pattern_kind kind);
/* True if PATTERN has no wildcard and so matches only itself. */
bool pattern_is_literal(const char *pattern, enum pattern_kind kind);
/* Length of the part before the first wildcard: every match starts with it. */
size_t pattern_prefix_len(const char *pattern, enum pattern_kind kind);
/* Can some name match both patterns? False only when provably not. */
bool patterns_may_meet(const char *a, const char *b, enum pattern_kind kind);

#endif
