/* accounting.h - the per-region reports, kept current for 'mmp stats'. */
#ifndef MMP_ACCOUNTING_H
#define MMP_ACCOUNTING_H

#include <stdbool.h>

#include "bpf/mmp_shared.h"
#include "compiler/plan.h"
#include "governed.h"
#include "loader.h"
#include "pagesize.h"

struct accounting {
	const struct mmp_plan *plan;
	const struct pagesize_choice *choice;
	struct governed_set *gov;
	struct mmp_region_report *reports;   /* a region's; the kinds count their actions here */
	int reports_fd;                      /* mmp_reports, where they are published */
	struct mmp_meta meta;                /* the runtime's identity and counts, in mmp_meta */
	int meta_fd;
};

/* Writes the runtime's identity (NAME, pid, start) and the region names
 * where 'mmp stats' finds them, and publishes empty reports. 0, or -1
 * after an error message. */
int accounting_open(struct accounting *a, const char *name, const struct mmp_plan *plan,
		    const struct pagesize_choice *choice, struct governed_set *gov, const struct loaded *l, bool dry_run);
/* Counts every region's figures afresh (slots and smaps) and publishes them. */
void accounting_refresh(struct accounting *a);
/* Publishes the reports as they stand. */
void accounting_publish(struct accounting *a);
void accounting_close(struct accounting *a);

#endif
