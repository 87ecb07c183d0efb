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
# the test checks too, with the same policy naming no thread. Then the
# same with one thread that renames itself for each operation ("get"
# before its point reads, "scan" before each 1 MiB of the scan, every few
# milliseconds), as a database's worker serves both: BPF reads the name
# at every access, so each read counts as what the thread is doing then.
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

# run [POLICY]: the file's page cache dropped, then the reader in the
# cgroup (THREADSCAN_RENAME from the caller's environment). Under a policy
# it starts once mmp governs it.
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
	found() { grep -q 'governing pid .*(threadscan)' "$TMP/err"; }
	wait_until 120 found || bad "mmp did not govern the reader within 120 s: $(tail -n 5 "$TMP/err")"
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
check "with get-scan the pages the other thread read stay cached (${with:-?}%)" [ "${with:-0}" -ge 85 ] || reader_log
echo "the first 32M cached after the scans: without a policy ${base}%, with get-scan ${with:-?}%"
# The names mmp judged to be the scanners', on one line.
judged() { sed -n 's/.*evict: thread name "\(.*\)" is a scanner.*/\1/p' "$TMP/err" | tr '\n' ' '; }
names=$(judged)
check "one thread name, \"scan\", was counted apart (${names:-none})" [ "$names" = "scan " ]
grep -q 'data: [1-9][0-9]* bytes evicted' "$TMP/err" || bad "mmp dropped nothing: $(grep 'bytes evicted' "$TMP/err")"
# The control: the scanners' count is what kept the pages.
run "$TMP/none.mmp"
none=$(resident)
echo "with the same policy naming no thread as a scanner: ${none:-?}%"
check "naming no scanner, the pages read once are not kept (${none:-?}%)" [ "${none:-100}" -le 50 ]
grep -q 'is a scanner' "$TMP/err" && bad "a thread named no scanner was counted as one: $(grep 'is a scanner' "$TMP/err")"

# One thread, renamed for each operation.
export THREADSCAN_RENAME=1
run || exit 99
base1=$(resident)
[ -n "$base1" ] || { echo "the renaming reader did not finish: $(cat "$TMP/out" "$TMP/err")"; exit 99; }
check "one renaming thread, without a policy: the pages read once are evicted (${base1}%: the baseline)" \
	[ "$base1" -le 50 ]
run "$TMP/getscan.mmp"
with1=$(resident)
check "one renaming thread, with get-scan: its point reads' pages stay cached (${with1:-?}%)" \
	[ "${with1:-0}" -ge 85 ] || reader_log
echo "one thread renamed for each operation: without a policy ${base1}%, with get-scan ${with1:-?}%"
names=$(judged)
check "its name \"scan\" was judged a scanner's, and \"get\" not (${names:-none})" [ "$names" = "scan " ]
unset THREADSCAN_RENAME
check "no mmp program or pin is left" no_programs_left get_scan
finish
