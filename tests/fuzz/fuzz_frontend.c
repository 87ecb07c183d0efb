/* fuzz_frontend.c - libFuzzer target: any bytes through scanner, parser and
 * checker must give diagnostics, never a crash, leak, hang or UB report. */
#include <stdint.h>
#include <stdio.h>

#include "compiler/frontend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	if (!sink)
		sink = fopen("/dev/null", "w");
	struct mmp_compilation u;
	struct mmp_frontend_opts opts = { .color = DIAG_COLOR_NEVER, .diag_out = sink };
	frontend_run_text(&u, "fuzz.mmp", (const char *)data, size, &opts);
	frontend_free(&u);
	return 0;
}
