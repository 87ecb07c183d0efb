/* renames.c - a process that changes its own name N times (prctl
 * PR_SET_NAME), for tests that need many BPF events fast: each rename of a
 * process is one event to the runtime (task_rename), and unlike an exec
 * costs no more than a system call, even under software emulation.
 *   renames N */
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
	for (long i = 0; i < n; i++) {
		if (prctl(PR_SET_NAME, i % 2 ? "renames-b" : "renames-a", 0, 0, 0) < 0) {
			perror("renames: prctl");
			return 1;
		}
	}
	return 0;
}
