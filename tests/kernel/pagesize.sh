#!/bin/sh
# pagesize.sh - page-size policies on a real workload, checked in the
# kernel: AnonHugePages of each region, from the workload's own smaps.
. "${srcdir:-.}/tests/kernel/lib.sh"
skip_unless_kernel thp
if grep -q '\[always\]' /sys/kernel/mm/transparent_hugepage/enabled; then
	echo "SKIP: THP is 'always' on this machine: every region gets huge pages without mmp, so no test can tell"
	exit 77
fi
K=$srcdir/tests/kernel
HOT_KB=65536

# 1. The hot region is backed by 2M pages, the cold one is not: every trial.
for trial in 1 2 3; do
	"$MMP" run "$K/hotcold.mmp" -- "$WORKLOAD" --seconds 2 >"$TMP/out" 2>"$TMP/err"
	rc=$?
	hot=$(field hot_huge_kb "$TMP/out") cold=$(field cold_huge_kb "$TMP/out")
	check "trial $trial: run exits with the command's status (got $rc)" [ "$rc" -eq 0 ]
	check "trial $trial: hot region in huge pages (${hot:-none} of $HOT_KB kB)" [ "${hot:-0}" -ge $((HOT_KB * 9 / 10)) ]
	check "trial $trial: cold region untouched (${cold:-none} kB)" [ "${cold:-1}" -eq 0 ]
done
grep -q "hotcold.cold: 4K pages are best by the profile" "$TMP/err" || bad "the chosen size is reported at start"
check "nothing left after run" no_programs_left hotcold

# 2. Without mmp the workload gets no huge pages.
"$WORKLOAD" --seconds 1 >"$TMP/out"
check "baseline: no huge pages without the policy" [ "$(field hot_huge_kb "$TMP/out")" -eq 0 ]

# 3. A 'when' that never holds collapses nothing.
"$MMP" run "$K/never.mmp" -- "$WORKLOAD" --seconds 2 >"$TMP/out" 2>"$TMP/err"
check "never: nothing collapsed" [ "$(field hot_huge_kb "$TMP/out")" -eq 0 ]
grep -q "never.hot: [0-9]* hot chunks, 0 collapsed" "$TMP/err" || bad "never: the summary says 0 collapsed"

# 4. --dry-run decides the same and changes nothing.
"$MMP" run --dry-run "$K/hotcold.mmp" -- "$WORKLOAD" --seconds 2 >"$TMP/out" 2>"$TMP/err"
check "dry run: nothing collapsed" [ "$(field hot_huge_kb "$TMP/out")" -eq 0 ]
grep -q "dry run: would collapse" "$TMP/err" || bad "dry run: decisions are logged"

# 5. attach: a matching process is governed, one outside the match is not.
cp "$WORKLOAD" "$TMP/other-proc"
"$MMP" attach --duration 6 "$K/hotcold.mmp" 2>"$TMP/attach.err" &
MMPPID=$!
PIDS="$PIDS $MMPPID"
for _ in $(seq 50); do [ -e /sys/fs/bpf/mmp/hotcold/mmp_meta ] && break; sleep 0.1; done
"$WORKLOAD" --seconds 3 >"$TMP/matched" &
A=$!
"$TMP/other-proc" --seconds 3 >"$TMP/unmatched" &
B=$!
PIDS="$PIDS $A $B"
sleep 2
"$MMP" stats --json hotcold >"$TMP/stats.json"
wait $A; wait $B
check "attach: the matching process has huge pages" [ "$(field hot_huge_kb "$TMP/matched")" -ge $((HOT_KB * 9 / 10)) ]
check "attach: a process outside the match is untouched" [ "$(field hot_huge_kb "$TMP/unmatched")" -eq 0 ]
grep -q '"region":"hot","processes":1' "$TMP/stats.json" || bad "stats: the hot region reports one process: $(cat "$TMP/stats.json")"
grep -q '"collapses":[1-9]' "$TMP/stats.json" || bad "stats: collapses are reported"
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
"$MMP" run "$TMP/tiles.mmp" -- "$WORKLOAD" --hot 256M --seconds 3 >"$TMP/out" 2>"$TMP/err"
check "128 regions on one mapping: all in huge pages ($(field hot_huge_kb "$TMP/out") of 262144 kB)" \
	[ "$(field hot_huge_kb "$TMP/out")" -ge $((262144 * 9 / 10)) ]

# 7. A process that exits leaves none of its chunks behind, however many.
printf 'policy big { match comm "hotcold"; region hot = range 0x600000000000 .. +1G;\n pagesize hot { 4K: 0; 2M: 100; } when faults > 1000000000/s; }\n' >"$TMP/big.mmp"
"$MMP" attach --name mmp-test-chunks --duration 8 "$TMP/big.mmp" 2>/dev/null &
MMPPID=$!
PIDS="$PIDS $MMPPID"
for _ in $(seq 50); do [ -e /sys/fs/bpf/mmp/mmp-test-chunks/mmp_meta ] && break; sleep 0.1; done
"$WORKLOAD" --hot 600M --seconds 3 >/dev/null &
W=$!
PIDS="$PIDS $W"
sleep 2
chunks_during=$(bpftool map dump pinned /sys/fs/bpf/mmp/mmp-test-chunks/mmp_chunks 2>/dev/null | grep -c '"key"')
wait $W
sleep 1
chunks_after=$(bpftool map dump pinned /sys/fs/bpf/mmp/mmp-test-chunks/mmp_chunks 2>/dev/null | grep -c '"key"')
kill -INT $MMPPID; wait $MMPPID
check "more than 256 chunks were counted while it ran ($chunks_during)" [ "$chunks_during" -gt 256 ]
check "an exited process's chunks are all removed ($chunks_after left of $chunks_during)" [ "$chunks_after" -eq 0 ]

# 8. A runtime killed with SIGKILL leaves pins; they are found and removed.
"$MMP" attach "$K/hotcold.mmp" 2>/dev/null &
MMPPID=$!
for _ in $(seq 50); do [ -e /sys/fs/bpf/mmp/hotcold/mmp_meta ] && break; sleep 0.1; done
kill -9 $MMPPID; wait $MMPPID 2>/dev/null
check "a killed runtime leaves its pins" [ -e /sys/fs/bpf/mmp/hotcold/mmp_meta ]
"$MMP" stats hotcold >"$TMP/stale" 2>&1
grep -q "is gone; removed its pins" "$TMP/stale" || bad "stats: a stale runtime is reported"
check "stale pins are removed" [ ! -e /sys/fs/bpf/mmp/hotcold ]
finish
