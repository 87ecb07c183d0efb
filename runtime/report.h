/* report.h - the counts of a region's report that come from its slots'
 * statistics, in one place: a process's slot is folded into the report
 * while it runs (accounting.c) and into the region's retired counts when
 * it is forgotten (governed.c). */
#ifndef MMP_REPORT_H
#define MMP_REPORT_H

#include "bpf/mmp_shared.h"

/* Adds a slot's counts to R; FAULTS are the slot's with those pending on
 * the CPUs. */
static inline void report_add_counts(struct mmp_region_report *r, const struct mmp_region_stats *s, __u64 faults)
{
	r->faults += faults;
	r->major_faults += s->major_faults;
	r->pf_predictions += s->pf_predictions;
	r->pf_pages += s->pf_pages;
	r->pf_used += s->pf_used;
	r->pf_late += s->pf_late;
	r->pf_limited += s->pf_limited;
}

/* Starts R's slot counts over from those of the processes that are gone. */
static inline void report_restart_counts(struct mmp_region_report *r, const struct mmp_region_report *retired)
{
	r->faults = retired->faults;
	r->major_faults = retired->major_faults;
	r->pf_predictions = retired->pf_predictions;
	r->pf_pages = retired->pf_pages;
	r->pf_used = retired->pf_used;
	r->pf_late = retired->pf_late;
	r->pf_limited = retired->pf_limited;
}

#endif
