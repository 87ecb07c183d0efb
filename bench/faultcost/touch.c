/* touch.c - the fault load: map SIZE bytes of anonymous memory at a fixed
 * address, write every 4K page, unmap; PASSES times. Prints the seconds
 * spent touching (mapping and unmapping excluded) and the faults taken.
 *   touch [SIZE_MIB] [PASSES]      (default 1024 MiB, 3 passes) */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#define BASE ((void *)0x500000000000UL)

int main(int argc, char **argv)
{
	size_t size = (size_t)(argc > 1 ? atol(argv[1]) : 1024) << 20;
	int passes = argc > 2 ? atoi(argv[2]) : 3;
	double total = 0;
	for (int p = 0; p < passes; p++) {
		char *m = mmap(BASE, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (m == MAP_FAILED) {
			perror("touch: mmap");
			return 1;
		}
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		for (size_t off = 0; off < size; off += 4096)
			m[off] = 1;
		clock_gettime(CLOCK_MONOTONIC, &b);
		total += (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
		munmap(m, size);
	}
	printf("seconds=%.3f faults=%zu\n", total, (size / 4096) * (size_t)passes);
	return 0;
}
