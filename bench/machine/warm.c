/* warm.c - touches SIZE_MIB of fresh anonymous memory once and frees it, so
 * that a VM's host backs that much of the guest's free memory before a
 * benchmark's runs (see memstate.sh). Huge pages where THP allows them:
 * fewer faults, the same memory touched. Prints "warmed_mib=N seconds=S".
 *   warm SIZE_MIB */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "../now.h"

int main(int argc, char **argv)
{
	long mib = argc == 2 ? atol(argv[1]) : 0;
	if (mib <= 0) {
		fprintf(stderr, "usage: warm SIZE_MIB\n");
		return 2;
	}
	size_t size = (size_t)mib << 20;
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		perror("warm: mmap");
		return 1;
	}
	madvise(p, size, MADV_HUGEPAGE);   /* a hint: without THP, 4K faults do the same */
	double t0 = now();
	for (size_t off = 0; off < size; off += 4096)
		p[off] = 1;
	printf("warmed_mib=%ld seconds=%.2f\n", mib, now() - t0);
	munmap(p, size);
	return 0;
}
