/* hash.h - FNV-1a, the project's one hash: interned names (arena.c), the
 * plan's layout hash (plan.c), the runtime's object cache key (object.c).
 * Small and stable, which is all those need; not for hostile keys. */
#ifndef MMP_HASH_H
#define MMP_HASH_H

#include <stddef.h>
#include <stdint.h>

#define MMP_FNV_OFFSET 1469598103934665603ULL

static inline uint64_t mmp_fnv1a(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

#endif
