/* oom_order.h - the order the 'oom' rules give the kernel's OOM killer
 * (prefer, the rest by score, avoid; protect never), and the oom_score_adj
 * values that make the kernel's badness follow it. Plain values in and
 * out: oom.c reads /proc, writes oom_score_adj and kills. */
#ifndef MMP_OOM_ORDER_H
#define MMP_OOM_ORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bpf/mmp_shared.h"
#include "compiler/plan.h"
#include "process.h"

#define OOM_ADJ_MIN -1000
#define OOM_ADJ_MAX 1000
/* Small moves are not written: the margins between processes absorb them,
 * and rewriting at every step of a growing process is noise. */
#define ADJ_HYSTERESIS 10

/* What the order knows of a governed process. */
struct oom_candidate {
	pid_t pid;
	enum mmp_oom_class cls;
	int64_t score;                 /* the policy's score, or the badness */
	long long pages[MMP_MEM_COUNT], pte_pages;
	int adj;                       /* oom_score_adj now (or, in a dry run, what would be) */
	int lowest;                    /* the floor of the order: 0, or the process's own value below it */
};

/* The class the 'oom' RULE gives INFO: protect wins over everything;
 * prefer and avoid together cancel out. */
enum mmp_oom_class oom_classify(const struct mmp_oom_rule *rule, const struct proc_info *info);
/* The kernel's badness before oom_score_adj, in pages (oom_badness()). */
long long oom_badness(const struct oom_candidate *c);
/* < 0 if X is the earlier victim: prefer, normal, avoid; within a class
 * the higher score, then the higher badness, then the lower pid. */
int oom_victim_cmp(const struct oom_candidate *x, const struct oom_candidate *y);
void oom_sort_victims(struct oom_candidate **v, size_t n);
/* Chooses the values of one domain's candidates (victims first in V, N of
 * them; protected ones in P, NP of them) into OUT, bottom-up from each
 * candidate's floor, or from -999 with TO_MIN: each above the next by
 * MARGIN pages of TOTAL, the domain's size in pages. Returns false if the
 * range runs out (the first victims are kept first). */
bool oom_fit(struct oom_candidate *const *v, size_t n, struct oom_candidate *const *p, size_t np, long long total,
	     long long margin, bool to_min, int *out);
/* oom_fit with the widest margin that fits; without CAN_NEGATIVE
 * (CAP_SYS_RESOURCE) above the protected ones, which keep their values;
 * with it, down to -999 when 0..1000 is not enough. */
bool oom_fit_domain(struct oom_candidate *const *v, size_t n, struct oom_candidate *const *prot, size_t np,
		    long long total, bool can_negative, int *out);
/* Need oom_score_adj not move from CUR to ADJ? MOVED: the process's rank
 * changed; TOUCHED: mmp set its value before. */
bool oom_adj_settled(int cur, int adj, bool moved, bool touched);
/* Another than mmp wrote ADJ into a governed process's oom_score_adj (an
 * event, handled later), and CUR is read now: ADJ is the process's own
 * from now on. Does mmp owe ADJ back at the end? Only when CUR is mmp's
 * own later write, which raced with the other's: mmp had written (WROTE)
 * and CUR is what it wrote last (MINE), not ADJ. A CUR of anyone else's
 * is theirs: its own event follows. */
bool oom_owes_after_write(int adj, int cur, bool wrote, int mine);

#endif
