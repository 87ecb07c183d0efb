/* arena.h - one owner for every allocation of a compilation.
 *
 * The AST, interned names and decoded strings all live in one arena that is
 * freed at once, so no pass has to track ownership (as bpftrace's ASTContext).
 * Allocation failure aborts: the compiler cannot make progress without memory.
 */
#ifndef MMP_ARENA_H
#define MMP_ARENA_H

#include <stddef.h>

struct mmp_arena;

struct mmp_arena *arena_new(void);
void arena_free(struct mmp_arena *a);
/* Zeroed, aligned for pointers, 64-bit integers and doubles (not for
 * max_align_t: nothing the compiler keeps needs more). */
void *arena_alloc(struct mmp_arena *a, size_t size);
char *arena_strndup(struct mmp_arena *a, const char *s, size_t n);
/* Interned copy: equal strings give the same pointer, so names compare with ==. */
const char *arena_intern(struct mmp_arena *a, const char *s, size_t n);
/* Bytes obtained from the system so far (for the memory benchmark). */
size_t arena_footprint(const struct mmp_arena *a);

#endif
