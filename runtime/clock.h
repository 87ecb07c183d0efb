/* clock.h - the runtime's clock: CLOCK_MONOTONIC, the clock BPF stamps
 * faults and file accesses with (bpf_ktime_get_ns), so the two compare. */
#ifndef MMP_CLOCK_H
#define MMP_CLOCK_H

#include <time.h>

static inline long long mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#endif
