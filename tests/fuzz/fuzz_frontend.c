/* fuzz_frontend.c - libFuzzer target: any bytes through scanner, parser,
 * checker and, when they pass, the lowering must give diagnostics or a
 * plan, never a crash, leak, hang or UB report. */
#include <stdint.h>
#include <stdio.h>

#include "compiler/frontend.h"
#include "compiler/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	if (!sink)
		sink = fopen("/dev/null", "w");
	struct mmp_compilation u;
	struct mmp_frontend_opts opts = { .color = DIAG_COLOR_NEVER, .diag_out = sink };
	if (frontend_run_text(&u, "fuzz.mmp", (const char *)data, size, &opts) == 0) {
		struct mmp_plan plan;
		if (plan_build(&plan, &u.ast, u.src, u.arena) == 0)
			plan_free(&plan);
	}
	frontend_free(&u);
	return 0;
}
