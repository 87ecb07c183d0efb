#!/bin/sh
# evict.sh - evict rules in a memory-limited cgroup (256M). A process reads
# a 64M file once, page by page (its pages stay on the kernel's inactive
# list), then scans a 240M file six times at 200 MiB/s, a pace any machine
# reads at: the test asserts what the policy does, not how fast mmp is.
# The baseline is set up to be known, and asserted: without a policy the
# kernel's LRU evicts the file read once first, as it is the oldest.
# With an MRU policy (the most recently used goes first: score = idle)
# mmp drops the scanned pages as the cgroup fills, and the file read once
# stays in the page cache (mincore), which the kernel's LRU cannot do.
# The rate limit holds, and a file outside the match is not touched.
. "${srcdir:-.}/tests/kernel/lib.sh"
skip_unless_kernel

# A memory cgroup of our own, 256M: v1 here, v2 where that is what there is.
# On v2 the second trial limits it with memory.high (where the kernel
# reclaims, and throttles) rather than memory.max: both are limits mmp's
# 'usage' reads.
memcg_test mmp-evicttest 256M
dd if=/dev/urandom of="$dir/hot.dat" bs=1M count=64 status=none &&
	dd if=/dev/urandom of="$dir/scan.dat" bs=1M count=240 status=none &&
	dd if=/dev/urandom of="$dir/other.dat" bs=1M count=32 status=none || exit 99
cp "$GETSCAN" "$TMP/getscan"
cp "$STRIDER" "$TMP/strider"

cat >"$TMP/mru.mmp" <<EOP
policy mru {
    match comm "getscan";
    region hot  = file "$dir/hot.dat";
    region scan = file "$dir/scan.dat";
    evict when usage > 70% {
        score hot  = idle / 1ms;    # the most recently used goes first: MRU
        score scan = idle / 1ms;
        action drop;
        limit 4G/s;
    }
}
EOP
sed 's|limit 4G/s;|limit 32M/s;|' "$TMP/mru.mmp" >"$TMP/slow.mmp"

# run [POLICY]: in the cgroup, the hot file read once, then the scan 6
# times at 200 MiB/s. Under a policy the reading waits until mmp says it
# watches both files (getscan waits for the file GETSCAN_GO).
run() {
	"$TMP/strider" "$dir/hot.dat" drop >/dev/null && "$TMP/strider" "$dir/scan.dat" drop >/dev/null || return 1
	script='echo $$ >"$0/cgroup.procs"; exec "$1" "$2" "$3" 1 6 0 0 200'
	rm -f "$TMP/go"
	if [ $# -eq 0 ]; then
		sh -c "$script" "$CG" "$TMP/getscan" "$dir/hot.dat" "$dir/scan.dat" >"$TMP/out" 2>"$TMP/err"
		return
	fi
	GETSCAN_GO=$TMP/go "$MMP" run -v "$1" -- sh -c "$script" "$CG" "$TMP/getscan" "$dir/hot.dat" "$dir/scan.dat" \
		>"$TMP/out" 2>"$TMP/err" &
	runner=$!
	PIDS="$PIDS $runner"
	watching() { [ "$(grep -c 'evict: watching .*/\(hot\|scan\).dat' "$TMP/err")" -ge 2 ]; }
	wait_until 120 watching || bad "mmp did not watch both files within 120 s: $(tail -n 5 "$TMP/err")"
	touch "$TMP/go"
	wait $runner
}
resident() { sed -n 's/.*hot_resident=\([0-9]*\)%.*/\1/p' "$TMP/out"; }

without="" with=""
for trial in 1 2; do
	if [ -n "$V2" ] && [ $trial = 2 ]; then
		echo max >"$CG/memory.max" && echo 256M >"$CG/memory.high" || exit 99
		echo "trial 2: the cgroup2 limit is memory.high"
	fi
	run || exit 99
	r=$(resident)
	without="$without $r"
	check "trial $trial: without a policy the kernel evicts the file read once (${r:-?}% cached: the baseline)" [ "${r:-100}" -le 50 ]
	run "$TMP/mru.mmp"
	r=$(resident)
	with="$with $r"
	check "trial $trial: with the MRU policy the file read once stays cached (${r:-?}%)" [ "${r:-0}" -ge 85 ] ||
		{ echo "mmp's log of that trial:"; tail -n 150 "$TMP/err"; }
	grep -q 'scan: [1-9][0-9]* bytes evicted' "$TMP/err" ||
		bad "trial $trial: mmp dropped nothing of the scanned file: $(tail -n 5 "$TMP/err")"
	grep -q 'hot: 0 bytes evicted' "$TMP/err" || bad "trial $trial: mmp dropped the file read once: $(grep 'hot:' "$TMP/err")"
done
echo "file read once, cached after the scans: without the policy$without (%), with it$with (%)"

# The rate limit: 32M/s over the run (and one second's worth saved up).
# Meanwhile a file no governed process uses, read into the page cache just
# before, must stay there: mmp acts only on the files of its match.
cached_pct() { "$TMP/strider" "$dir/other.dat" resident | sed -n 's/.*resident=\([0-9]*\)%.*/\1/p'; }
cat "$dir/other.dat" >/dev/null
start=$(date +%s%N)
run "$TMP/slow.mmp"
secs=$(( ($(date +%s%N) - start) / 1000000000 + 1 ))
other=$(cached_pct)
bytes=$(sed -n 's/.*scan: \([0-9]*\) bytes evicted.*/\1/p' "$TMP/err")
check "the rate limit holds: ${bytes:-?} bytes in ${secs}s at 32M/s" [ "${bytes:-0}" -le $(( (secs + 1) * 32 * 1048576 )) ]
check "the slow policy evicted something (${bytes:-?} bytes)" [ "${bytes:-0}" -gt 0 ]
# mmp logs (-v) every file it watches and every drop: none may name it.
# Its share in the cache is printed, not asserted: anything else on the
# machine that drops caches would change it.
grep -q other.dat "$TMP/err" && bad "mmp watched or dropped a file outside its match: $(grep other.dat "$TMP/err")"
echo "a file no governed process uses: ${other:-?}% of it still cached after the run"

# Tiers: files scored 0 go, a file scored 1 stays, in the cgroup at
# 160M. One process reads an 80M file at random, over and over; once it
# has it cached, another scans a tree of five 50M files three times as
# fast as it reads, each file opened, read and closed. The logs read
# again or anew since the order was made go before the next score up:
# the file read at random stays cached, and mmp drops little or none of
# it. Before, it dropped 8-78 MiB of it here, and 20-76 MiB of such a
# database in a new user's trial; since, 0-4 MiB (a crossing's excess met
# from it before the scan's next file was read, on a loaded machine).
for f in hot scan other; do "$TMP/strider" "$dir/$f.dat" drop >/dev/null; done
if [ -n "$V2" ]; then echo 160M >"$CG/memory.high"; else echo 160M >"$CG/memory.limit_in_bytes"; fi || exit 99
cp "$TREEREADER" "$TMP/treereader"
mkdir -p "$dir/tier-db" "$dir/tier-logs" &&
	"$TMP/treereader" make "$dir/tier-db" 1 83886080 >/dev/null &&
	"$TMP/treereader" make "$dir/tier-logs" 5 52428800 >/dev/null || exit 99
echo tiny >"$dir/tiny.dat"
db=$(find "$dir/tier-db" -type f)
cat >"$TMP/tiers.mmp" <<EOP
policy tiers {
    match comm "treereader" or comm "getscan";
    region logs = file "$dir/tier-logs/*";
    region db   = file "$dir/tier-db/*";
    evict when usage > 90% { score logs = 0; score db = 1; action drop; limit 4G/s; }
}
EOP
"$TMP/treereader" drop "$dir/tier-db" && "$TMP/treereader" drop "$dir/tier-logs" || exit 99
# The scan starts once the random reader has the file cached (30 s at most).
script='echo $$ >"$0/cgroup.procs" || exit 1; "$3" "$4" "$5" 1000 >/dev/null & g=$!
	i=0; until "$6" "$4" resident | grep -Eq "resident=(9[5-9]|100)%" || [ $i -ge 300 ]; do sleep 0.1; i=$((i + 1)); done
	"$1" read "$2" 3; kill $g; wait $g'
"$MMP" run -v "$TMP/tiers.mmp" -- sh -c "$script" "$CG" "$TMP/treereader" "$dir/tier-logs" "$TMP/getscan" "$db" \
	"$dir/tiny.dat" "$TMP/strider" >"$TMP/tiers.out" 2>"$TMP/tiers.err"
held=$("$TMP/strider" "$db" resident | sed -n 's/.*resident=\([0-9]*\)%.*/\1/p')
dropped=$(sed -n 's/.*tiers.db: \([0-9]*\) bytes evicted.*/\1/p' "$TMP/tiers.err")
echo "tiers: the file read at random ${held:-?}% cached after the scans, ${dropped:-?} bytes of it dropped by mmp"
check "tiers: the file read at random, scored 1, stays cached while the logs are scanned (${held:-?}%)" \
	[ "${held:-0}" -ge 85 ] || tail -n 40 "$TMP/tiers.err"
check "tiers: mmp dropped at most 6 MiB of it (${dropped:-?} bytes)" [ "${dropped:-999999999}" -le 6291456 ]
check "tiers: and dropped the logs ($(grep 'tiers.logs:' "$TMP/tiers.err"))" \
	grep -q 'tiers.logs: [1-9][0-9]* bytes evicted' "$TMP/tiers.err"
"$TMP/treereader" drop "$dir/tier-db" && "$TMP/treereader" drop "$dir/tier-logs"

# pageout of anonymous memory: what mmp reports evicted is what left
# memory (the fall of the process's anonymous resident pages), never the
# bytes it asked about. Without swap nothing can leave, and mmp says why.
cp "$HOG" "$TMP/hog_po"
cat >"$TMP/po.mmp" <<EOP
policy po {
    match comm "hog_po";
    region heap = anon;
    evict when usage > 10% { score heap = 0 - idle / 1s; action pageout; limit 256M/s; }
}
EOP
sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" run -v "$3" -- timeout 4 "$4" 64' sh \
	"$CG" "$MMP" "$TMP/po.mmp" "$TMP/hog_po" >"$TMP/po.out" 2>&1
reported=$(sed -n 's/.*po.heap: \([0-9]*\) bytes evicted.*/\1/p' "$TMP/po.out")
asked=$(grep -c 'evict: paged out' "$TMP/po.out")
check "pageout: mmp asked the kernel to page out the hog's memory ($asked calls)" [ "$asked" -gt 0 ] ||
	tail -n 20 "$TMP/po.out"
if [ "$(sed -n 's/^SwapTotal: *\([0-9]*\).*/\1/p' /proc/meminfo)" = 0 ]; then
	check "pageout without swap: 0 bytes reported evicted (got ${reported:-none})" [ "${reported:-x}" = 0 ]
	check "pageout without swap: mmp says why" grep -q "this machine has no swap: 'pageout' frees no anonymous memory" "$TMP/po.out"
else
	paged=$(sed -n 's/.*evict: paged out \([0-9]*\) bytes.*/\1/p' "$TMP/po.out" | awk '{ s += $1 } END { print s + 0 }')
	check "pageout with swap: reported evicted (${reported:-none}) is what left, call by call ($paged)" [ "${reported:-x}" = "$paged" ]
	# Its 64 MiB heap, and a little anonymous memory of its own (stack, libc's).
	check "pageout with swap: at most the hog's 64 MiB and 1 MiB more" [ "${reported:-0}" -le $((65 << 20)) ]
fi

# A usage trigger on a cgroup without a limit can never hold: said, with
# the cgroup above it that has one (ours, 256M).
SUB=$CG/nolimit
[ -z "$V2" ] || echo +memory >"$CG/cgroup.subtree_control" || { echo "cannot enable memory under $CG"; exit 99; }
mkdir "$SUB" || { echo "cannot make $SUB"; exit 99; }
sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" run "$3" -- "$4" "$5" "$6" 1 1 0 0 200' sh \
	"$SUB" "$MMP" "$TMP/slow.mmp" "$TMP/getscan" "$dir/hot.dat" "$dir/scan.dat" >"$TMP/out" 2>&1
check "a usage trigger on a cgroup without a limit is warned of" \
	grep -q "the memory cgroup $SUB has no limit of its own, so 'usage > 70%' never holds there; $CG above it" "$TMP/out" ||
	cat "$TMP/out"
remove_cgroup "$SUB"

check "no mmp program or pin is left" no_programs_left mru
finish
