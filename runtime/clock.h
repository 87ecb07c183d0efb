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

/* CPU this thread has spent, the kernel's work in its system calls
 * included: what a collapse costs. */
static inline long long thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#endif
