/* execs.c - a chain of N execs of itself, for tests that need many exec
 * events fast (without a fork each): execs N. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
	if (n <= 0)
		return 0;
	char next[32];
	snprintf(next, sizeof(next), "%ld", n - 1);
	char *const args[] = { argv[0], next, NULL };
	execv("/proc/self/exe", args);
	perror("execs: execv");
	return 1;
}
