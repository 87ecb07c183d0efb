/* pagesize.c - from an eBPF-mm benefit profile to what the kernel can do.
 *
 * From outside a process, a mainline kernel gives 2M pages through
 * process_madvise(MADV_COLLAPSE). The mTHP sizes (16K..1M) are global
 * settings a process opts into with MADV_HUGEPAGE, which cannot be applied
 * to another process, so a profile that prefers them gets the best size that
 * can be applied instead, and says so. A kernel with the BPF-THP hook could
 * take them.
 */
#include "pagesize.h"

#include <stdio.h>
#include <string.h>

#include "compiler/sema.h"
#include "log.h"
#include "process.h"

#define SIZE_4K (4LL << 10)
#define SIZE_2M (2LL << 20)

bool pagesize_can_collapse(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", "re");
	long long pmd = 0;
	if (f) {
		if (fscanf(f, "%lld", &pmd) != 1)
			pmd = 0;
		fclose(f);
	}
	return pmd == SIZE_2M;
}

/* The system's THP mode, the bracketed word of the 'enabled' knob:
 * "always", "madvise" or "never" (empty when there is no THP). */
static void thp_mode(char *buf, size_t len)
{
	char line[128] = "";
	if (proc_read_file("/sys/kernel/mm/transparent_hugepage/enabled", line, sizeof(line)) < 0)
		line[0] = '\0';
	const char *open = strchr(line, '['), *close = open ? strchr(open, ']') : NULL;
	size_t n = open && close ? (size_t)(close - open - 1) : 0;
	if (n >= len)
		n = len - 1;
	memcpy(buf, open ? open + 1 : "", n);
	buf[n] = '\0';
}

static void size_text(char *buf, size_t len, int64_t size)
{
	unit_format(buf, len, size, UNIT_BYTES);
}

void pagesize_choose(const struct mmp_plan *plan, struct pagesize_choice *out, bool report)
{
	bool collapse = pagesize_can_collapse();
	char mode[16];
	thp_mode(mode, sizeof(mode));
	bool always = strcmp(mode, "always") == 0;
	for (unsigned i = 0; i < plan->nregions; i++) {
		const struct mmp_plan_region *r = &plan->regions[i];
		struct pagesize_choice c = { SIZE_4K, 0, SIZE_4K, 0 };
		if (!r->pagesize) {
			out[i] = c;
			continue;
		}
		for (const struct mmp_node *e = r->pagesize->u.stmt.body; e; e = e->next) {
			int64_t size = (int64_t)e->u.bin.lhs->u.num.value, benefit = (int64_t)e->u.bin.rhs->u.num.value;
			/* Ties go to the larger page: fewer TLB entries for the same benefit. */
			if (benefit > c.best_benefit || (benefit == c.best_benefit && size > c.best)) {
				c.best = size;
				c.best_benefit = benefit;
			}
			bool can = size == SIZE_4K || (size == SIZE_2M && collapse);
			if (can && (benefit > c.benefit || (benefit == c.benefit && size > c.size))) {
				c.size = size;
				c.benefit = benefit;
			}
		}
		out[i] = c;
		if (!report)
			continue;
		char best[16], used[16];
		size_text(best, sizeof(best), c.best);
		size_text(used, sizeof(used), c.size);
		const char *pol = plan->policies[r->policy].name;
		if (c.best != c.size) {
			const char *why = c.best == SIZE_2M ? "this kernel cannot collapse memory into 2M pages"
							    : "an mTHP size cannot be applied to another process on a "
							      "mainline kernel (it needs MADV_HUGEPAGE from the process "
							      "itself, or the BPF-THP hook)";
			mmp_info("%s.%s: %s pages (benefit %lld) are out of reach: %s; using %s (benefit %lld)%s", pol,
				 r->name, best, (long long)c.best_benefit, why, used, (long long)c.benefit,
				 c.size == SIZE_4K && !always ? ", so this region is left as it is" : "");
		} else if (c.size == SIZE_2M) {
			mmp_info("%s.%s: 2M pages (benefit %lld) for hot chunks, by process_madvise(MADV_COLLAPSE)%s", pol,
				 r->name, (long long)c.benefit,
				 always ? "; THP is 'always' here, so the kernel gives them at fault where it can, and mmp "
					  "collapses what is still in 4K pages"
					: "");
		} else if (!always) {
			mmp_info("%s.%s: 4K pages are best by the profile: the region is left as it is", pol, r->name);
		}
		if (c.size == SIZE_4K && always) {
			/* process_madvise() takes no MADV_NOHUGEPAGE: only the process
			 * itself, or the system's mode, can keep a region at 4K. */
			mmp_warn("%s.%s: 4K pages are the best this profile can have, but THP is 'always' here: the kernel backs the "
				 "region with 2M pages at fault, and mmp cannot keep it at 4K from outside the process "
				 "(process_madvise takes no MADV_NOHUGEPAGE); set THP to 'madvise', or have the program "
				 "call madvise(MADV_NOHUGEPAGE) on it",
				 pol, r->name);
		}
	}
}
