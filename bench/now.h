/* now.h - the clock the benchmark and test workloads time themselves
 * with: CLOCK_MONOTONIC, in seconds. A header only, as each workload is
 * built on its own, by make or by its benchmark's run.sh. */
#ifndef MMP_BENCH_NOW_H
#define MMP_BENCH_NOW_H

#include <time.h>

static inline double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
