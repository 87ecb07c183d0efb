/* oom_order.c - the 'oom' order and its oom_score_adj values. See
 * oom_order.h. */
#include "oom_order.h"

#include <stdlib.h>

enum mmp_oom_class oom_classify(const struct mmp_oom_rule *rule, const struct proc_info *info)
{
	if (rule->protect && proc_matches(rule->protect, info))
		return MMP_OOM_PROTECT;   /* protect wins over everything */
	bool prefer = rule->prefer && proc_matches(rule->prefer, info);
	bool avoid = rule->avoid && proc_matches(rule->avoid, info);
	if (prefer && avoid)
		return MMP_OOM_NORMAL;   /* they cancel out (mmpc warns) */
	return prefer ? MMP_OOM_PREFER : avoid ? MMP_OOM_AVOID : MMP_OOM_NORMAL;
}

long long oom_badness(const struct oom_candidate *c)
{
	return c->pages[MMP_MEM_FILE] + c->pages[MMP_MEM_ANON] + c->pages[MMP_MEM_SHMEM] + c->pages[MMP_MEM_SWAP] +
	       c->pte_pages;
}

int oom_victim_cmp(const struct oom_candidate *x, const struct oom_candidate *y)
{
	if (x->cls != y->cls)
		return x->cls > y->cls ? -1 : 1;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	long long bx = oom_badness(x), by = oom_badness(y);
	if (bx != by)
		return bx > by ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static int victim_order(const void *a, const void *b)
{
	return oom_victim_cmp(*(struct oom_candidate *const *)a, *(struct oom_candidate *const *)b);
}

void oom_sort_victims(struct oom_candidate **v, size_t n)
{
	qsort(v, n, sizeof(*v), victim_order);
}

bool oom_fit(struct oom_candidate *const *v, size_t n, struct oom_candidate *const *p, size_t np, long long total,
	     long long margin, bool to_min, int *out)
{
	double unit = (double)total / 1000.0;
	double floor = -1e300;
	for (size_t i = 0; i < np; i++) {
		double pts = (double)oom_badness(p[i]) + p[i]->adj * unit;
		if (pts + margin > floor)
			floor = pts + (double)margin;
	}
	bool ok = true;
	for (size_t k = n; k-- > 0;) {
		const struct oom_candidate *t = v[k];
		int lowest = to_min && t->lowest > OOM_ADJ_MIN + 1 ? OOM_ADJ_MIN + 1 : t->lowest;
		long long need = floor <= -1e299 ? lowest : (long long)((floor - (double)oom_badness(t)) / unit + 0.999999);
		int adj = need < lowest ? lowest : need > OOM_ADJ_MAX ? OOM_ADJ_MAX : (int)need;
		if (need > OOM_ADJ_MAX)
			ok = false;
		out[k] = adj;
		floor = (double)oom_badness(t) + adj * unit + (double)margin;
	}
	return ok;
}

bool oom_fit_domain(struct oom_candidate *const *v, size_t n, struct oom_candidate *const *prot, size_t np,
		    long long total, bool can_negative, int *out)
{
	/* The widest margin that fits: room for the processes to grow between
	 * two updates without the order turning over. */
	static const int per_mille[] = { 100, 50, 20, 10, 5, 2, 1 };
	bool ok = false;
	for (size_t i = 0; i < sizeof(per_mille) / sizeof(per_mille[0]) && !ok; i++)
		ok = oom_fit(v, n, can_negative ? NULL : prot, can_negative ? 0 : np, total, total * per_mille[i] / 1000,
			     false, out);
	/* Processes too different in size for 0..1000: with CAP_SYS_RESOURCE
	 * the order may reach down to -999. */
	for (size_t i = 0; i < sizeof(per_mille) / sizeof(per_mille[0]) && !ok && can_negative; i++)
		ok = oom_fit(v, n, NULL, 0, total, total * per_mille[i] / 1000, true, out);
	return ok;
}

bool oom_adj_settled(int cur, int adj, bool moved, bool touched)
{
	return adj == cur || (!moved && abs(adj - cur) < ADJ_HYSTERESIS && touched && adj != OOM_ADJ_MIN);
}

bool oom_owes_after_write(int adj, int cur, bool wrote, int mine)
{
	return wrote && cur == mine && cur != adj;
}
