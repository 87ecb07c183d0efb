/* vmas.c - /proc/PID/maps and the region selectors of the language. */
#include "vmas.h"

#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/pattern.h"

/* PID's /proc file NAME (maps, or smaps), parsed into OUT. */
static int read_proc(pid_t pid, const char *name, struct vma_list *out)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	int err = vmas_parse(f, out);
	fclose(f);
	return err;
}

int vmas_read(pid_t pid, struct vma_list *out)
{
	return read_proc(pid, "maps", out);
}

int vmas_read_flags(pid_t pid, struct vma_list *out)
{
	return read_proc(pid, "smaps", out);
}

unsigned vma_flags_parse(const char *vmflags)
{
	static const struct { char code[3]; unsigned flag; } codes[] = {
		{ "lo", VMA_LOCKED }, { "nh", VMA_NOHUGEPAGE }, { "um", VMA_UFFD }, { "uw", VMA_UFFD }, { "ui", VMA_UFFD },
		{ "hg", VMA_HUGEPAGE },
	};
	unsigned flags = 0;
	const char *p = strchr(vmflags, ':');
	for (p = p ? p + 1 : vmflags; *p;) {
		p += strspn(p, " \t\n");
		size_t n = strcspn(p, " \t\n");
		for (size_t i = 0; n == 2 && i < sizeof(codes) / sizeof(codes[0]); i++)
			if (memcmp(p, codes[i].code, 2) == 0)
				flags |= codes[i].flag;
		p += n;
	}
	return flags;
}

/* An smaps size line of the mapping above ("Rss:   1234 kB"): true if it
 * was one. */
static bool smaps_size(const char *line, struct vma *v)
{
	static const struct { const char *key; size_t off; } keys[] = {
		{ "Rss:", offsetof(struct vma, rss_kb) },
		{ "Referenced:", offsetof(struct vma, referenced_kb) },
		{ "AnonHugePages:", offsetof(struct vma, anon_huge_kb) },
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t n = strlen(keys[i].key);
		if (strncmp(line, keys[i].key, n) == 0) {
			*(uint64_t *)((char *)v + keys[i].off) = strtoull(line + n, NULL, 10);
			return true;
		}
	}
	return false;
}

int vmas_parse(FILE *f, struct vma_list *out)
{
	for (size_t i = 0; i < out->n; i++)   /* a list read again */
		free(out->v[i].name);
	out->n = 0;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		if (strncmp(line, "VmFlags:", 8) == 0) {   /* smaps: the mapping above's */
			if (out->n)
				out->v[out->n - 1].flags = vma_flags_parse(line);
			continue;
		}
		if (out->n && smaps_size(line, &out->v[out->n - 1]))
			continue;
		struct vma v = { 0 };
		int name_at = 0;
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %*s %*s %*s %n", &v.start, &v.end, v.perms, &name_at) < 3)
			continue;
		char *name = line + name_at;
		name[strcspn(name, "\n")] = '\0';
		if (out->n == out->cap) {
			size_t ncap = out->cap ? out->cap * 2 : 64;
			struct vma *nv = realloc(out->v, ncap * sizeof(*nv));
			if (!nv) {
				free(line);
				return -ENOMEM;
			}
			out->v = nv;
			out->cap = ncap;
		}
		v.name = strdup(name);
		if (!v.name)
			break;
		out->v[out->n++] = v;
	}
	free(line);
	return 0;
}

void vmas_free(struct vma_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Kernel mappings that are neither anonymous memory nor files. */
static bool is_kernel_mapping(const char *name)
{
	return strcmp(name, "[vdso]") == 0 || strcmp(name, "[vvar]") == 0 || strcmp(name, "[vsyscall]") == 0 ||
	       strcmp(name, "[uprobes]") == 0 || strncmp(name, "[vvar_", 6) == 0;
}

bool vma_is_anon(const struct vma *v)
{
	return v->name[0] == '\0' || (v->name[0] == '[' && !is_kernel_mapping(v->name));
}

/* A file mapping's path, without the " (deleted)" the kernel may append. */
bool vma_file_path(const struct vma *v, char *buf, size_t len)
{
	if (v->name[0] != '/')
		return false;
	snprintf(buf, len, "%s", v->name);
	size_t n = strlen(buf);
	static const char deleted[] = " (deleted)";
	if (n > sizeof(deleted) - 1 && strcmp(buf + n - (sizeof(deleted) - 1), deleted) == 0)
		buf[n - (sizeof(deleted) - 1)] = '\0';
	return true;
}

static bool size_is(uint64_t size, enum mmp_cmp cmp, uint64_t value)
{
	int64_t a = (int64_t)size, b = (int64_t)value;
	switch (cmp) {
	case CMP_LT: return a < b;
	case CMP_LE: return a <= b;
	case CMP_GT: return a > b;
	case CMP_GE: return a >= b;
	case CMP_EQ: return a == b;
	default: return a != b;
	}
}

/* Does SEL select (part of) V? [*lo, *hi) narrows to the part: a range
 * selects the part of each mapping inside it. */
static bool select_vma(const struct mmp_test *sel, const struct vma *v, uint64_t *lo, uint64_t *hi)
{
	char path[4096];
	switch (sel->kind) {
	case TEST_ALL:
		return true;
	case TEST_ANON:
		return vma_is_anon(v);
	case TEST_FILE:
		if (!vma_file_path(v, path, sizeof(path)))
			return false;
		return !sel->text || pattern_match(sel->text, path, PATTERN_GLOB);
	case TEST_MAPPING:
		return pattern_match(sel->text, v->name, PATTERN_MAPPING);
	case TEST_RANGE:
		if (v->end <= sel->lo || v->start >= sel->hi)
			return false;
		*lo = *lo > sel->lo ? *lo : sel->lo;
		*hi = *hi < sel->hi ? *hi : sel->hi;
		return *lo < *hi;
	case TEST_SIZE:
		return size_is(v->end - v->start, sel->cmp, sel->value);
	case TEST_AND:
		return select_vma(sel->l, v, lo, hi) && select_vma(sel->r, v, lo, hi);
	case TEST_OR: {
		uint64_t l1 = *lo, h1 = *hi, l2 = *lo, h2 = *hi;
		bool a = select_vma(sel->l, v, &l1, &h1), b = select_vma(sel->r, v, &l2, &h2);
		if (a && b) {   /* the hull of both parts */
			*lo = l1 < l2 ? l1 : l2;
			*hi = h1 > h2 ? h1 : h2;
		} else if (a) {
			*lo = l1, *hi = h1;
		} else if (b) {
			*lo = l2, *hi = h2;
		}
		return a || b;
	}
	case TEST_NOT: {
		uint64_t l = v->start, h = v->end;
		return !select_vma(sel->l, v, &l, &h);
	}
	default:
		return false;   /* process tests select no memory */
	}
}

bool file_selected(const struct mmp_test *sel, const char *path, uint64_t size)
{
	switch (sel->kind) {
	case TEST_ALL:
		return true;
	case TEST_FILE:
		return !sel->text || pattern_match(sel->text, path, PATTERN_GLOB);
	case TEST_SIZE:
		return size_is(size, sel->cmp, sel->value);
	case TEST_AND:
		return file_selected(sel->l, path, size) && file_selected(sel->r, path, size);
	case TEST_OR:
		return file_selected(sel->l, path, size) || file_selected(sel->r, path, size);
	case TEST_NOT:
		return !file_selected(sel->l, path, size);
	default:
		return false;   /* anon, mapping and range select memory, not files */
	}
}

/* The parts of a mapping already given to regions declared earlier: sorted,
 * disjoint intervals. A new region gets what is not taken yet, and takes it. */
struct taken {
	struct { uint64_t lo, hi; } *iv;
	size_t n, cap;
};

/* Emits the parts of [lo, hi) not in T through EMIT, then adds [lo, hi) to T. */
static int take(struct taken *t, uint64_t lo, uint64_t hi, void (*emit)(void *, uint64_t, uint64_t), void *arg)
{
	size_t a = 0, b = t->n;   /* the first interval that ends after lo */
	while (a < b) {
		size_t mid = (a + b) / 2;
		if (t->iv[mid].hi <= lo)
			a = mid + 1;
		else
			b = mid;
	}
	size_t first = a;
	uint64_t at = lo, nlo = lo, nhi = hi;
	for (; a < t->n && t->iv[a].lo < hi; a++) {
		if (t->iv[a].lo > at)
			emit(arg, at, t->iv[a].lo);
		if (t->iv[a].hi > at)
			at = t->iv[a].hi;
		if (t->iv[a].lo < nlo)
			nlo = t->iv[a].lo;
		if (t->iv[a].hi > nhi)
			nhi = t->iv[a].hi;
	}
	if (at < hi)
		emit(arg, at, hi);
	/* Replace the intervals [first, a) by their union with [lo, hi). */
	size_t removed = a - first;
	if (removed == 0) {
		if (t->n == t->cap) {
			size_t cap = t->cap ? t->cap * 2 : 16;
			void *iv = realloc(t->iv, cap * sizeof(*t->iv));
			if (!iv)
				return -1;
			t->iv = iv;
			t->cap = cap;
		}
		memmove(&t->iv[first + 1], &t->iv[first], (t->n - first) * sizeof(*t->iv));
		t->n++;
	} else if (removed > 1) {
		memmove(&t->iv[first + 1], &t->iv[a], (t->n - a) * sizeof(*t->iv));
		t->n -= removed - 1;
	}
	t->iv[first].lo = nlo;
	t->iv[first].hi = nhi;
	return 0;
}

struct emitter {
	struct mmp_range *out;
	size_t n;
	unsigned region;
	bool truncated;
};

static void emit_range(void *arg, uint64_t lo, uint64_t hi)
{
	struct emitter *e = arg;
	if (e->n == MMP_MAX_RANGES) {
		e->truncated = true;
		return;
	}
	e->out[e->n++] = (struct mmp_range){ lo, hi, e->region, 0 };
}

static int by_start(const void *x, const void *y)
{
	const struct mmp_range *a = x, *b = y;
	return a->start < b->start ? -1 : a->start > b->start;
}

size_t regions_resolve(const struct mmp_plan *plan, unsigned policy, const struct vma_list *vmas,
		       struct mmp_range *out, bool *truncated)
{
	const struct mmp_plan_policy *pp = &plan->policies[policy];
	struct emitter em = { out, 0, 0, false };
	struct taken t = { 0 };
	for (size_t i = 0; i < vmas->n; i++) {
		const struct vma *v = &vmas->v[i];
		t.n = 0;
		for (unsigned k = 0; k < pp->nregions; k++) {
			const struct mmp_plan_region *r = &plan->regions[pp->first_region + k];
			uint64_t lo = v->start, hi = v->end;
			if (!select_vma(r->select, v, &lo, &hi) || lo >= hi)
				continue;
			em.region = r->id;
			if (take(&t, lo, hi, emit_range, &em) < 0)
				em.truncated = true;
		}
	}
	free(t.iv);
	*truncated = em.truncated;
	size_t n = em.n;
	/* Sort by start, then merge neighbours of one region. */
	qsort(out, n, sizeof(*out), by_start);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (m && out[m - 1].region == out[i].region && out[m - 1].end == out[i].start)
			out[m - 1].end = out[i].end;
		else
			out[m++] = out[i];
	}
	return m;
}
