#!/bin/sh
# running.sh - a page-size rule on a process that was running before mmp.
# Its memory is populated, so it takes no fault that BPF could count: mmp
# finds its hot chunks at attach (pagemap for what is populated, MADV_COLD
# and then smaps' Referenced for what is touched). The workload is started
# and filled first; mmp attaches to it; the hot region, still read, ends in
# 2M pages, and the cold one, untouched since it was written, does not.
# Nothing here is timed: the workload reads on until its hot region is in
# 2M pages, for a bounded time.
. "${srcdir:-.}/tests/kernel/lib.sh"
skip_unless_kernel thp
HOT_KB=65536
cat >"$TMP/running.mmp" <<'POLICY'
policy running { match comm "hotcold";
  region hot = range 0x600000000000 .. +64M;
  region cold = range 0x700000000000 .. +64M;
  pagesize hot { 4K: 0; 2M: 100; }
  pagesize cold { 4K: 0; 2M: 100; } }
POLICY
"$MMPC" "$TMP/running.mmp" -o "$TMP/running.bpf.o" || { bad "the policy compiles"; finish; exit; }
always=false
grep -q '\[always\]' /sys/kernel/mm/transparent_hugepage/enabled && always=true
# Under THP 'always' the workload writes in 4K pages (--small-pages), the
# state in which a host left memory that found no free 2M page at the fault.
SMALL=""
$always && SMALL=--small-pages

filled() { grep -q '^filled=1' "$TMP/w.out"; }
said() { grep -q "$1" "$TMP/m.err"; }
not_said() { ! said "$1"; }

# start_workload TIMEOUT: hotcold, filled, reading on until its hot region
# is in 2M pages or TIMEOUT seconds pass.
start_workload() {
	"$WORKLOAD" --fill 0.5 --seconds 1 --wait-huge $((HOT_KB * 9 / 10))K --wait-timeout "$1" $SMALL >"$TMP/w.out" &
	WPID=$!
	PIDS="$PIDS $WPID"
	wait_until 30 filled || bad "the workload fills its memory: $(cat "$TMP/w.out")"
}

# stop_mmp: SIGINT, as a user ends an attach; the summary is in m.err.
stop_mmp() {
	kill -INT "$MPID" 2>/dev/null
	wait "$MPID"
}

# 0. The baseline: without mmp the hot region stays in 4K pages.
if ! $always; then
	"$WORKLOAD" --fill 0.5 --seconds 3 >"$TMP/w.out"
	check "baseline: no 2M page without mmp ($(field hot_huge_kb "$TMP/w.out") kB)" \
		[ "$(field hot_huge_kb "$TMP/w.out")" -eq 0 ]
fi

# 1. mmp attaches to the running, filled workload.
start_workload 60
"$MMP" attach "$TMP/running.bpf.o" >"$TMP/m.out" 2>"$TMP/m.err" &
MPID=$!
PIDS="$PIDS $MPID"
wait "$WPID"
stop_mmp
hot=$(field hot_huge_kb "$TMP/w.out") cold=$(field cold_huge_kb "$TMP/w.out")
line=$(grep "was running before mmp" "$TMP/m.err")
found=$(echo "$line" | sed -n 's/.*mmp: \([0-9]*\) of its \([0-9]*\) populated.*/\1/p')
populated=$(echo "$line" | sed -n 's/.*mmp: \([0-9]*\) of its \([0-9]*\) populated.*/\2/p')
check "the hot region of the running process in 2M pages (${hot:-none} of $HOT_KB kB, waited $(field waited_s "$TMP/w.out") s)" \
	[ "${hot:-0}" -ge $((HOT_KB * 9 / 10)) ] || { echo "mmp said:"; tail -n 15 "$TMP/m.err"; }
if $always; then
	# The cold region asked for 4K pages itself (MADV_NOHUGEPAGE), which
	# the guards leave alone: it is not taken at all.
	check "mmp found the hot region's populated chunks at attach, not the guarded cold one's (${populated:-none} of 32; $line)" \
		[ "${populated:-0}" -ge 29 ] && [ "${populated:-99}" -le 32 ]
	check "the touched chunks are the hot region's (${found:-none} of 32)" [ "${found:-0}" -ge 29 ] ||
		{ echo "mmp said:"; grep -E 'running before|guard|hot:|collapse' "$TMP/m.err" | tail -n 15; }
else
	check "mmp found its populated chunks at attach (${populated:-none} of the 64 written; $line)" \
		[ "${populated:-0}" -ge 60 ]
	check "only the touched chunks are taken: the hot region's 32 (${found:-none})" \
		[ "${found:-0}" -ge 29 ] && [ "${found:-99}" -le 32 ]
	check "the cold region, untouched since, stays in 4K pages (${cold:-none} kB)" [ "${cold:-1}" -eq 0 ]
fi
sum=$(grep "running.hot: .*found at attach" "$TMP/m.err")
check "the summary counts them ($sum)" [ -n "$sum" ]

# 2. A dry run says what it would do and changes nothing.
start_workload 30
"$MMP" attach --dry-run "$TMP/running.bpf.o" >"$TMP/m.out" 2>"$TMP/m.err" &
MPID=$!
PIDS="$PIDS $MPID"
wait_until 60 said "dry run: the bits were not cleared" || bad "dry run: the scan says the bits were not cleared: $(tail -5 "$TMP/m.err")"
wait_until 60 said "dry run: would collapse" || bad "dry run: it says what it would collapse: $(tail -5 "$TMP/m.err")"
stop_mmp
pid_huge=$(grep AnonHugePages /proc/$WPID/smaps 2>/dev/null | awk '{s += $2} END {print s + 0}')
kill "$WPID" 2>/dev/null
wait "$WPID"
# Under THP 'always' khugepaged may collapse the region the workload made
# eligible meanwhile: only where it does not is "none" mmp's doing.
$always || check "dry run: nothing collapsed (${pid_huge} kB)" [ "${pid_huge:-0}" -eq 0 ]

# 3. A process started under mmp is not scanned: its faults are counted.
"$MMP" run "$TMP/running.bpf.o" -- "$WORKLOAD" --fill 0.5 --seconds 1 $SMALL >"$TMP/w.out" 2>"$TMP/m.err"
check "a process started under mmp is not scanned" not_said "was running before mmp"

check "nothing left after attach" no_programs_left running
finish
