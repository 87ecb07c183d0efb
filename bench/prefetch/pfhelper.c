/* pfhelper.c - the "ideal helper" of bench/prefetch's anonymous part: a
 * prefetcher that needs no prediction. It is told the scan's mapping and
 * stride, and from the moment the scan starts asks for every page the scan
 * will touch, in the scan's order, with process_madvise(MADV_WILLNEED),
 * CHUNK pages a call, as fast as the kernel lets it. It is what a helper
 * process can at best do on this machine; mmp is measured against it.
 *
 *   pfhelper PID ADDR PAGES STRIDE_PAGES [CHUNK]
 *
 * ADDR and PAGES are those pfanon prints ("filled addr=... pages=...");
 * CHUNK defaults to 256, the degree of the benchmark's policy. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define PAGE 4096UL
#define MAX_IOV 1024

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: pfhelper PID ADDR PAGES STRIDE_PAGES [CHUNK]\n");
		return 2;
	}
	int pid = atoi(argv[1]);
	unsigned long addr = strtoul(argv[2], NULL, 0);
	long pages = atol(argv[3]), stride = atol(argv[4]);
	long chunk = argc > 5 ? atol(argv[5]) : 256;
	if (pid <= 0 || !addr || pages <= 0 || stride <= 0 || chunk <= 0 || chunk > MAX_IOV) {
		fprintf(stderr, "pfhelper: PID, ADDR, PAGES and STRIDE are positive; CHUNK is 1 to %d\n", MAX_IOV);
		return 2;
	}
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0) {
		fprintf(stderr, "pfhelper: pidfd_open(%d): %s\n", pid, strerror(errno));
		return 1;
	}
	struct iovec iov[MAX_IOV];
	for (long i = 0; i < pages; i += chunk * stride) {
		int n = 0;
		if (stride == 1) {
			long len = i + chunk <= pages ? chunk : pages - i;
			iov[n++] = (struct iovec){ (void *)(addr + (unsigned long)i * PAGE), (size_t)len * PAGE };
		} else {
			for (long k = 0; k < chunk && i + k * stride < pages; k++)
				iov[n++] = (struct iovec){ (void *)(addr + (unsigned long)(i + k * stride) * PAGE), PAGE };
		}
		if (syscall(SYS_process_madvise, fd, iov, n, MADV_WILLNEED, 0) < 0) {
			if (errno == ESRCH)
				break;   /* the scan is over */
			fprintf(stderr, "pfhelper: process_madvise: %s\n", strerror(errno));
			return 1;
		}
	}
	return 0;
}
