#!/bin/sh
# sanitize.sh - the runtime built with AddressSanitizer (leaks included)
# and UBSan (tests/mmp-asan), with every kind of rule: 'mmp run' until its
# command ends, and 'mmp attach' stopped by SIGTERM while it governs. No
# invalid read or write, no undefined behaviour, no leak, in the runtime
# or its guardian; and the policy did act (a run that governed nothing
# would prove little).
. "${srcdir:-.}/tests/kernel/lib.sh"
skip_unless_kernel thp
[ -x "${MMP_ASAN:-}" ] || { echo "SKIP: no tests/mmp-asan (configure found no -fsanitize=address,undefined)"; exit 77; }
POLICY=$srcdir/tests/kernel/sanitize.mmp
# The runtime compiles the policy with the mmpc beside it, or on PATH.
PATH=$top_builddir:$PATH
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=99:log_path=$TMP/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=99:log_path=$TMP/asan"

# sanitizers_quiet: no report from any process (log_path gets one file a pid).
sanitizers_quiet() {
	if ls "$TMP"/asan.* >/dev/null 2>&1; then
		for _l in "$TMP"/asan.*; do echo "$_l:"; head -n 40 "$_l"; done
		return 1
	fi
}

# 1. mmp run: the runtime ends with its command.
"$MMP_ASAN" run -v "$POLICY" -- "$WORKLOAD" --seconds 3 >"$TMP/out" 2>"$TMP/run.log"
rc=$?
check "mmp run exits with 0 (got $rc): $(tail -n 5 "$TMP/run.log")" [ "$rc" -eq 0 ]
check "mmp run governed the workload: $(tail -n 5 "$TMP/run.log")" grep -q "governing pid [0-9]* (hotcold)" "$TMP/run.log"
check "mmp run acted: an oom_score_adj written: $(grep oom "$TMP/run.log" | tail -n 3)" \
	grep -q "oom: pid [0-9]* (hotcold): prefer, oom_score_adj" "$TMP/run.log"
check "the sanitizers found nothing in mmp run" sanitizers_quiet

# 2. mmp attach, stopped by SIGTERM while it governs a process.
"$WORKLOAD" --seconds 120 >/dev/null &
W=$!
PIDS="$PIDS $W"
: >"$TMP/attach.log"
"$MMP_ASAN" attach -v --name sanitize "$POLICY" 2>"$TMP/attach.log" &
M=$!
PIDS="$PIDS $M"
governs() { grep -q "governing pid $W " "$TMP/attach.log"; }
check "mmp attach governs the running workload within 120 s: $(tail -n 5 "$TMP/attach.log")" wait_until 120 governs
kill -TERM $M
wait $M
rc=$?
check "mmp attach exits with 0 on SIGTERM (got $rc): $(tail -n 5 "$TMP/attach.log")" [ "$rc" -eq 0 ]
kill $W 2>/dev/null
wait $W 2>/dev/null
check "no mmp program or pin is left" wait_until 30 no_programs_left sanitize
check "the sanitizers found nothing in mmp attach or its guardian" sanitizers_quiet
finish
