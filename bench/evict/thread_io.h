/* thread_io.h - the calling thread's read_bytes from /proc/thread-self/io,
 * for the workloads of bench/evict (evictbench.c, kvbench.c). A header
 * only, as ../now.h is: each workload is built on its own by its script. */
#ifndef MMP_BENCH_THREAD_IO_H
#define MMP_BENCH_THREAD_IO_H

#include <stdio.h>

/* read_bytes of the calling thread: the bytes it has submitted to the block
 * layer (read from storage, readahead included); 0 if it cannot be read. */
static inline unsigned long long thread_read_bytes(void)
{
	FILE *f = fopen("/proc/thread-self/io", "r");
	char line[128];
	unsigned long long v = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "read_bytes: %llu", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

#endif
