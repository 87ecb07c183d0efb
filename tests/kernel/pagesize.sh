#!/bin/sh
# pagesize.sh - page-size policies on a real workload, checked in the
# kernel: AnonHugePages of each region, from the workload's own smaps.
. "${srcdir:-.}/tests/kernel/lib.sh"
skip_unless_kernel thp
K=$srcdir/tests/kernel
HOT_KB=65536
# The workload waits (60 s at most) for the huge pages it reports, so that a
# slow or loaded machine is given the time it needs: nothing here is timed.
WAIT="--wait-huge $((HOT_KB * 9 / 10))K"

# 0. THP 'always' (Debian's default): the kernel gives 2M pages at fault
#    where it can, so what a rule adds is the collapse of hot memory the
#    kernel left in 4K pages (no 2M page was free at the fault), which
#    otherwise waits for khugepaged; and a region the profile wants at 4K
#    cannot be kept there from outside, which mmp says. The workload
#    writes its memory in 4K pages (--small-pages) for the baseline.
# A 'when' over idle time is evaluated on a timer too: the hot region,
# written over its first second and then only read (no more faults), is
# collapsed once it has been idle for a second. Evaluated only at faults,
# where idle is 0, it never would be. ARGS: the workload's extra options.
printf 'policy idle { match comm "hotcold"; region hot = range 0x600000000000 .. +64M;\n pagesize hot { 4K: 0; 2M: 100; } when idle > 1s; }\n' >"$TMP/idle.mmp"
idle_case() {
	"$MMP" run "$TMP/idle.mmp" -- "$WORKLOAD" --fill 1 --seconds 4 "$@" $WAIT >"$TMP/out" 2>"$TMP/err"
	check "idle: 'when idle > 1s' collapses the region once it is idle ($(field hot_huge_kb "$TMP/out") of $HOT_KB kB; waited $(field waited_s "$TMP/out") s)" \
		[ "$(field hot_huge_kb "$TMP/out")" -ge $((HOT_KB * 9 / 10)) ]
}

if grep -q '\[always\]' /sys/kernel/mm/transparent_hugepage/enabled; then
	"$WORKLOAD" --seconds 2 --small-pages >"$TMP/out"
	base=$(field hot_huge_kb "$TMP/out")
	check "THP always, baseline: hot memory left in 4K pages stays so without mmp, khugepaged is slow (${base:-none} of $HOT_KB kB)" \
		[ "${base:-$HOT_KB}" -le $((HOT_KB / 2)) ]
	for trial in 1 2; do
		"$MMP" run "$K/hotcold.mmp" -- "$WORKLOAD" --seconds 2 --small-pages $WAIT >"$TMP/out" 2>"$TMP/err"
		hot=$(field hot_huge_kb "$TMP/out") cold=$(field cold_huge_kb "$TMP/out")
		check "THP always, trial $trial: mmp collapses the hot region (${hot:-none} of $HOT_KB kB)" \
			[ "${hot:-0}" -ge $((HOT_KB * 9 / 10)) ]
		check "THP always, trial $trial: the cold region is not collapsed (${cold:-none} kB)" [ "${cold:-1}" -eq 0 ]
	done
	grep -q "hotcold.cold: 4K pages are the best this profile can have, but THP is 'always' here" "$TMP/err" ||
		bad "THP always: mmp says a 4K region cannot be kept at 4K: $(grep cold "$TMP/err")"
	check "nothing left after run" no_programs_left hotcold
	idle_case --small-pages
	echo "THP is 'always': the tests that need a baseline without huge pages (THP 'madvise') are not run"
	finish
	exit
fi

# 1. The hot region is backed by 2M pages, the cold one is not: every trial.
for trial in 1 2 3; do
	"$MMP" run "$K/hotcold.mmp" -- "$WORKLOAD" --seconds 2 $WAIT >"$TMP/out" 2>"$TMP/err"
	rc=$?
	hot=$(field hot_huge_kb "$TMP/out") cold=$(field cold_huge_kb "$TMP/out")
	check "trial $trial: run exits with the command's status (got $rc)" [ "$rc" -eq 0 ]
	check "trial $trial: hot region in huge pages (${hot:-none} of $HOT_KB kB)" [ "${hot:-0}" -ge $((HOT_KB * 9 / 10)) ]
	check "trial $trial: cold region untouched (${cold:-none} kB)" [ "${cold:-1}" -eq 0 ]
done
grep -q "hotcold.cold: 4K pages are best by the profile" "$TMP/err" || bad "the chosen size is reported at start"
check "nothing left after run" no_programs_left hotcold

# 1b. Hot chunks wait while their process populates its memory: a
#     collapse takes its mmap lock for writing while it copies 2M. The hot
#     region, written in a second (16,000 faults a second), has nothing
#     collapsed while it is written, and all of it once it is.
"$MMP" run -v "$K/hotcold.mmp" -- "$WORKLOAD" --fill 1 --seconds 2 $WAIT >"$TMP/out" 2>"$TMP/err"
filled=$(field filled_huge_kb "$TMP/out") hot=$(field hot_huge_kb "$TMP/out")
check "populating: nothing of the hot region collapsed while it is written (${filled:-none} kB)" [ "${filled:-1}" -eq 0 ]
check "populating: the hot region collapsed once written (${hot:-none} of $HOT_KB kB)" [ "${hot:-0}" -ge $((HOT_KB * 9 / 10)) ]
check "populating: mmp says the hot chunks wait" grep -q "pid [0-9]* is populating its memory (.*): its hot chunks wait" "$TMP/err"
# ... for 10 s at most: a region written over 14 s (9,000 faults a second)
#     has hot chunks collapsed while it is still written.
printf 'policy long { match comm "hotcold"; region hot = range 0x600000000000 .. +512M;\n pagesize hot { 4K: 0; 2M: 100; } }\n' >"$TMP/long.mmp"
"$MMP" run -v "$TMP/long.mmp" -- "$WORKLOAD" --hot 512M --fill 14 --seconds 15 >"$TMP/out" 2>"$TMP/err"
filled=$(field filled_huge_kb "$TMP/out")
check "populating for 14 s: hot chunks collapsed before the region is written (${filled:-none} kB)" [ "${filled:-0}" -gt 0 ]
check "populating for 14 s: mmp says it stopped waiting" grep -q "pid [0-9]* has populated its memory for 10 s" "$TMP/err"

# 2. Without mmp the workload gets no huge pages.
"$WORKLOAD" --seconds 1 >"$TMP/out"
check "baseline: no huge pages without the policy" [ "$(field hot_huge_kb "$TMP/out")" -eq 0 ]

# 3. A 'when' that never holds collapses nothing.
"$MMP" run "$K/never.mmp" -- "$WORKLOAD" --seconds 2 >"$TMP/out" 2>"$TMP/err"
check "never: nothing collapsed" [ "$(field hot_huge_kb "$TMP/out")" -eq 0 ]
grep -q "never.hot: [0-9]* hot chunks ([0-9]* found at attach), 0 collapsed" "$TMP/err" || bad "never: the summary says 0 collapsed"

# 3a. A profile whose best size mmp cannot give (64K: an mTHP size needs the
#     process's own madvise) leaves the region in 4K pages, says so, and
#     counts no chunks of it.
printf 'policy small { match comm "hotcold"; region hot = range 0x600000000000 .. +64M;\n pagesize hot { 4K: 0; 64K: 100; } }\n' >"$TMP/64k.mmp"
"$MMP" run "$TMP/64k.mmp" -- "$WORKLOAD" --seconds 2 >"$TMP/out" 2>"$TMP/err"
check "64K only: nothing collapsed ($(field hot_huge_kb "$TMP/out") kB)" [ "$(field hot_huge_kb "$TMP/out")" -eq 0 ]
check "64K only: mmp says 64K is out of reach at start" grep -q "small.hot: 64K pages (benefit 100) are out of reach" "$TMP/err"
check "64K only: and at exit that the region was left as it was, with no chunk counted" \
	sh -c "grep -q 'small.hot: left in the pages it had' '$TMP/err' && ! grep -q 'small.hot: [0-9]* hot chunks' '$TMP/err'"

# 3b. A condition over idle time holds once the region is idle.
idle_case

# 4. --dry-run decides the same and changes nothing.
"$MMP" run --dry-run "$K/hotcold.mmp" -- "$WORKLOAD" --seconds 2 >"$TMP/out" 2>"$TMP/err"
check "dry run: nothing collapsed" [ "$(field hot_huge_kb "$TMP/out")" -eq 0 ]
grep -q "dry run: would collapse" "$TMP/err" || bad "dry run: decisions are logged"

# 5. attach: a matching process is governed, one outside the match is not.
cp "$WORKLOAD" "$TMP/other-proc"
"$MMP" attach --duration 90 "$K/hotcold.mmp" 2>"$TMP/attach.err" &
MMPPID=$!
PIDS="$PIDS $MMPPID"
wait_until 120 [ -e /sys/fs/bpf/mmp/hotcold/mmp_meta ] || bad "attach: no pins after 120 s: $(cat "$TMP/attach.err")"
"$WORKLOAD" --seconds 3 $WAIT >"$TMP/matched" &
A=$!
"$TMP/other-proc" --seconds 3 >"$TMP/unmatched" &
B=$!
PIDS="$PIDS $A $B"
stats_collapsed() { "$MMP" stats --json hotcold >"$TMP/stats.json" 2>&1 && grep -q '"collapses":[1-9]' "$TMP/stats.json"; }
wait_until 60 stats_collapsed || bad "stats: no collapse reported within 60 s: $(cat "$TMP/stats.json")"
wait $A; wait $B
check "attach: the matching process has huge pages" [ "$(field hot_huge_kb "$TMP/matched")" -ge $((HOT_KB * 9 / 10)) ]
check "attach: a process outside the match is untouched" [ "$(field hot_huge_kb "$TMP/unmatched")" -eq 0 ]
grep -q '"region":"hot","processes":1' "$TMP/stats.json" || bad "stats: the hot region reports one process: $(cat "$TMP/stats.json")"
wait $MMPPID
check "attach ends after --duration with status 0" [ $? -eq 0 ]
check "nothing left after attach" no_programs_left hotcold

# 6. Many regions on one mapping: 128 regions of 2M tile a 256M hot table,
#    and every one of them is resolved and collapsed.
{
	echo 'policy tiles { match comm "hotcold";'
	i=0
	while [ $i -lt 128 ]; do printf 'region t%d = range 0x%x .. +2M;\n' $i $((0x600000000000 + i * 2097152)); i=$((i + 1)); done
	printf 'pagesize t0'
	i=1
	while [ $i -lt 128 ]; do printf ', t%d' $i; i=$((i + 1)); done
	echo ' { 4K: 0; 2M: 100; } }'
} >"$TMP/tiles.mmp"
"$MMP" run "$TMP/tiles.mmp" -- "$WORKLOAD" --hot 256M --seconds 3 --wait-huge $((262144 * 9 / 10))K >"$TMP/out" 2>"$TMP/err"
check "128 regions on one mapping: all in huge pages ($(field hot_huge_kb "$TMP/out") of 262144 kB)" \
	[ "$(field hot_huge_kb "$TMP/out")" -ge $((262144 * 9 / 10)) ]

# 7. A process that exits leaves none of its chunks behind, however many:
#    more than 256 (600M of 2M chunks, counted but never collapsed).
printf 'policy big { match comm "hotcold"; region hot = range 0x600000000000 .. +1G;\n pagesize hot { 4K: 0; 2M: 100; } when faults > 1000000000/s; }\n' >"$TMP/big.mmp"
"$MMP" attach --name mmp-test-chunks --duration 300 "$TMP/big.mmp" 2>"$TMP/big.err" &
MMPPID=$!
PIDS="$PIDS $MMPPID"
wait_until 120 [ -e /sys/fs/bpf/mmp/mmp-test-chunks/mmp_meta ] || bad "chunks: no pins after 120 s: $(cat "$TMP/big.err")"
"$WORKLOAD" --hot 600M --fill 1 --seconds 300 >/dev/null &
W=$!
PIDS="$PIDS $W"
chunks() { n=$(bpftool map dump pinned /sys/fs/bpf/mmp/mmp-test-chunks/mmp_chunks 2>/dev/null | grep -c '"key"'); }
many_chunks() { chunks; [ "$n" -gt 256 ]; }
no_chunks() { chunks; [ "$n" -eq 0 ]; }
wait_until 120 many_chunks
check "more than 256 chunks are counted while it runs ($n after up to 120 s)" [ "$n" -gt 256 ]
chunks_during=$n
kill $W; wait $W 2>/dev/null
wait_until 30 no_chunks
check "an exited process's chunks are all removed ($n left of $chunks_during, 30 s after its exit)" [ "$n" -eq 0 ]
kill -INT $MMPPID; wait $MMPPID

# 8. A runtime killed with SIGKILL: its guardian removes its pins. With
# the guardian killed too, the pins stay, and 'mmp stats' finds and
# removes them.
"$MMP" attach "$K/hotcold.mmp" 2>/dev/null &
MMPPID=$!
wait_until 120 [ -e /sys/fs/bpf/mmp/hotcold/mmp_meta ]
kill -9 $MMPPID; wait $MMPPID 2>/dev/null
wait_until 30 [ ! -e /sys/fs/bpf/mmp/hotcold ]
check "a killed runtime's guardian removes its pins" [ ! -e /sys/fs/bpf/mmp/hotcold ]
"$MMP" attach "$K/hotcold.mmp" 2>/dev/null &
MMPPID=$!
wait_until 120 [ -e /sys/fs/bpf/mmp/hotcold/mmp_meta ]
GUARDIAN=$(pgrep -P $MMPPID -x mmp-guardian)
check "the runtime has a guardian" [ -n "$GUARDIAN" ]
[ -n "$GUARDIAN" ] && kill -9 "$GUARDIAN"
kill -9 $MMPPID; wait $MMPPID 2>/dev/null
check "a runtime killed with its guardian leaves its pins" [ -e /sys/fs/bpf/mmp/hotcold/mmp_meta ]
"$MMP" stats hotcold >"$TMP/stale" 2>&1
grep -q "is gone; removed its pins" "$TMP/stale" || bad "stats: a stale runtime is reported: $(cat "$TMP/stale")"
check "stale pins are removed" [ ! -e /sys/fs/bpf/mmp/hotcold ]

# 9. A runtime installed under another name is alive to 'mmp stats': its
# pins are shown, not removed.
cp "$MMP" "$TMP/memrt"
"$MMPC" "$K/hotcold.mmp" -o "$TMP/hc.bpf.o"
"$TMP/memrt" attach "$TMP/hc.bpf.o" 2>/dev/null &
RT=$!
PIDS="$PIDS $RT"
wait_until 120 [ -e /sys/fs/bpf/mmp/hotcold/mmp_meta ]
"$MMP" stats hotcold >"$TMP/renamed" 2>&1
check "stats shows a runtime whose binary has another name" grep -q "runtime hotcold (pid $RT" "$TMP/renamed"
check "stats keeps that runtime's pins" [ -e /sys/fs/bpf/mmp/hotcold/mmp_meta ]
kill -INT $RT; wait $RT
check "it stops cleanly" [ $? -eq 0 ]
finish
