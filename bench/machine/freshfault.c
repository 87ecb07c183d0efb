/* freshfault.c - what one fresh 4K anonymous fault costs on this machine.
 * Maps SIZE_MIB (default 256) with huge pages refused, writes one byte of
 * every 4K page, and prints the median over PASSES (default 5) of the cost
 * per fault: "fresh_fault_us=N". The machine's own figure, probed at run
 * time, since it ranges from under 1 us on bare metal to 15 us and more in
 * some VMs, and it decides what populating memory costs.
 *   freshfault [SIZE_MIB [PASSES]] */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "../now.h"

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	size_t size = (size_t)(argc > 1 ? atol(argv[1]) : 256) << 20;
	int passes = argc > 2 ? atoi(argv[2]) : 5;
	if (size == 0 || passes < 1 || passes > 99) {
		fprintf(stderr, "usage: freshfault [SIZE_MIB [PASSES (1-99)]]\n");
		return 2;
	}
	double us[99];
	for (int p = 0; p < passes; p++) {
		char *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED) {
			perror("freshfault: mmap");
			return 1;
		}
		madvise(m, size, MADV_NOHUGEPAGE);   /* 4K faults even under THP 'always' */
		double t0 = now();
		for (size_t off = 0; off < size; off += 4096)
			m[off] = 1;
		us[p] = (now() - t0) * 1e6 / (double)(size / 4096);
		munmap(m, size);
	}
	qsort(us, (size_t)passes, sizeof(us[0]), cmp);
	printf("fresh_fault_us=%.2f\n", us[passes / 2]);
	return 0;
}
