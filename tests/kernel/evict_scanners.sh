#!/bin/sh
# evict_scanners.sh - an evict block's 'scanners' tell the reads of some
# threads from the others' within one file (cache_ext's get-scan, where the
# application names its scan threads). A process reads one 192M file in
# its 128M memory cgroup with two threads: "get" reads each page of the
# first 32M once (its pages stay on the kernel's inactive list), then
# "scan" reads the other 160M three times at 60 MiB/s, a pace any machine
# reads at: the test asserts what the policy does, not how fast mmp is.
# The baseline is measured: the kernel's LRU evicts the pages read once
# before the scan ends. With 'scanners comm "scan"' and a score of the
# other threads' reads of each 1M piece (faults - scan_faults), the pieces
# only the scanner read go first and the first 32M stay cached. Without
# the scanners' own count, a piece the scan read once ties with one "get"
# read, and a piece it read twice outscores it: the hot part goes, which
# the test checks too, with the same policy naming no thread.
. "${srcdir:-.}/tests/kernel/lib.sh"
. "${srcdir:-.}/tests/kernel/reader_lib.sh"
skip_unless_kernel

reader_setup scanners 1 201326592
file=$(find "$dir" -type f | head -n 1)
[ -n "$file" ] || { echo "no file was made under $dir"; exit 99; }
cp "$THREADSCAN" "$TMP/threadscan" || exit 99
cat >"$TMP/getscan.mmp" <<EOP
policy get_scan {
    match comm "threadscan";
    region data = file "$file";
    evict when usage >= 75% {
        scanners comm "scan";
        score data = faults - scan_faults;   # the reads of the other threads
        action drop;
        unit 1M;
        limit 1G/s;
    }
}
EOP
sed 's/scanners comm "scan";/scanners comm "nobody";/' "$TMP/getscan.mmp" >"$TMP/none.mmp"

# run [POLICY]: the file's page cache dropped, then the two threads in the
# cgroup. Under a policy they start once mmp has found the scanner.
run() {
	"$TMP/treereader" drop "$dir" || return 1
	script='echo $$ >"$0/cgroup.procs"; exec "$1" "$2" 32 3 60'
	rm -f "$TMP/go"
	if [ $# -eq 0 ]; then
		sh -c "$script" "$CG" "$TMP/threadscan" "$file" >"$TMP/out" 2>"$TMP/err"
		return
	fi
	THREADSCAN_GO=$TMP/go "$MMP" run -v "$1" -- sh -c "$script" "$CG" "$TMP/threadscan" "$file" \
		>"$TMP/out" 2>"$TMP/err" &
	runner=$!
	PIDS="$PIDS $runner"
	if grep -q '"nobody"' "$1"; then
		found() { grep -q 'governing pid .*(threadscan)' "$TMP/err"; }
	else
		found() { grep -q 'evict: thread [0-9]* of pid [0-9]* is a scanner' "$TMP/err"; }
	fi
	wait_until 120 found || bad "mmp did not find the reader's threads within 120 s: $(tail -n 5 "$TMP/err")"
	touch "$TMP/go"
	wait $runner
}
resident() { sed -n 's/^hot_resident=\([0-9]*\)%.*/\1/p' "$TMP/out"; }

run || exit 99
base=$(resident)
[ -n "$base" ] || { echo "the reader did not finish: $(cat "$TMP/out" "$TMP/err")"; exit 99; }
check "without a policy the kernel evicts the pages read once (${base}% cached: the baseline)" [ "$base" -le 50 ]
run "$TMP/getscan.mmp"
with=$(resident)
check "with get-scan the pages the other thread read stay cached (${with:-?}%)" [ "${with:-0}" -ge 85 ] ||
	{ echo "mmp's log:"; grep -v 'dropped' "$TMP/err" | tail -n 30; }
echo "the first 32M cached after the scans: without a policy ${base}%, with get-scan ${with:-?}%"
n=$(grep -c 'evict: thread [0-9]* of pid [0-9]* is a scanner' "$TMP/err")
check "one thread, the scanner, was counted apart ($n)" [ "$n" = 1 ]
grep -q 'data: [1-9][0-9]* bytes evicted' "$TMP/err" || bad "mmp dropped nothing: $(grep 'bytes evicted' "$TMP/err")"
# The control: the scanners' count is what kept the pages.
run "$TMP/none.mmp"
none=$(resident)
echo "with the same policy naming no thread as a scanner: ${none:-?}%"
check "naming no scanner, the pages read once are not kept (${none:-?}%)" [ "${none:-100}" -le 50 ]
grep -q 'is a scanner' "$TMP/err" && bad "a thread named no scanner was counted as one: $(grep 'is a scanner' "$TMP/err")"
check "no mmp program or pin is left" no_programs_left get_scan
finish
