#!/bin/sh
# bench/evict/rocksdb.sh [ROUNDS] - a key-value store, RocksDB from Debian
# (librocksdb-dev), serving zipfian point reads while a thread runs range
# scans, in a memory cgroup smaller than its database (cache_ext's
# key-value experiment, a YCSB-like mix): the kernel's own reclaim against
# mmp's LFU, MRU and S3-FIFO-like policies.
#
# The workload is kvbench.c (its header says more), built here with cc
# against librocksdb-dev, which this installs with apt-get if it is
# missing. One process, comm "kvbench": KV_GET_THREADS (2) threads GET
# keys "user%010d" drawn from YCSB's zipfian distribution (constant
# KV_ZIPF 0.99; KV_SCRAMBLE 1 hashes ranks to keys as YCSB's "zipfian"
# does, 0 leaves the popular keys first in key order), and
# KV_SCAN_THREADS (1) threads each seek to a uniform random key and read
# KV_SCAN_LEN (1000) entries, over and over; KV_MIXED_THREADS (0) threads
# do both in turn, cache_ext's GET-SCAN shape: a scan with probability
# KV_SCAN_PCT (5) percent, a GET otherwise, the thread renamed "kv-scan"
# for the length of each scan. Reads are pread(2) through
# the page cache (no mmap, no O_DIRECT); RocksDB's own block cache is cut
# to 8 MiB, so the page cache is what caches the data.
#
# The database: KV_DB_MB (1536) MiB of KV_VALUE_BYTES (1000) values,
# KV_DB_MB * 2^20 / (KV_VALUE_BYTES + 24) keys (1,572,864 by default),
# uncompressed, compacted, in SST files of KV_SST_MB (64, RocksDB's
# default) MiB, in KV_DIR/db (KV_DIR /var/tmp/mmp-kv-db, on a disk, not
# tmpfs). It is loaded once and reused while KV_DIR/db.done says it has
# these sizes. For the whole-file variants the number and size of the SST
# files matter: they are printed at the start.
#
# One run of a variant: drop the page cache, compact memory, start the
# variant, then 'kvbench run' in a memory cgroup limited to KV_CGROUP_MB
# (1024) MiB (v1 memory.limit_in_bytes where v1 exists, else v2
# memory.max): KV_WARMUP (10) s of warm-up, then KV_SECONDS (30) s timed.
#
# Variants, interleaved, the order rotated every round; each mmp one is
# 'mmp attach policies/kv-VARIANT.mmp' for the whole run, which, while the
# cgroup is at 90% of its limit or more (98% for the page ones), drops
# (POSIX_FADV_DONTNEED) the page cache of the database's files, or of
# pieces of them, with the lowest score first, at most 1G/s:
#   default   no mmp: the kernel's reclaim in the cgroup
#   pagelfu   unit 4K, score = faults: each page of the files on its own,
#             the least accessed first (cache_ext's LFU, over folios)
#   pagelfu16k  the same over pieces of 16K
#   getscan   unit 4K, scanners comm "kv-scan", score = faults - scan_faults
#             - idle / 3s: the pages only the scan thread read first, then
#             the GETs' pages by their GETs, less one a 3 s unread
#             (cache_ext's get-scan, aged)
#   getscankeep  the same without the age: every page a GET read stays
#             over the scans' (cache_ext's get-scan as written)
#   getscankeep16k  the same over pieces of 16K
#   lfu       score = faults * 4K / size: accesses per page, the fewest first
#   mru       score = idle / 1ms: the file read most recently first
#   s3fifo    score = (faults - major_faults) * 1000 - age / 1s: files with
#             no page cache hit first, the oldest first; then the fewest hits
#   VARIANT-watch  the policy of VARIANT under 'mmp attach --dry-run': BPF
#             counts and mmp scores and orders as for VARIANT, but drops
#             nothing (the kernel's reclaim does): what watching costs
#
# It prints, per variant, the medians over the rounds of: GETs a second,
# their range, the ratio to the default's median, scans a second, the GET
# threads' bytes read from disk per GET (their read_bytes in
# /proc/thread-self/io), the GETs' page hit ratio estimated from them
# (kvbench's header), the scan threads' MiB read from disk a second, the
# read requests a second to a capped disk over the whole run (what the cap
# counts; - where reads are not capped), what mmp dropped in a run ("bytes evicted" and actions in its exit summary)
# and how often the cgroup hit its limit in a run (v1 memory.failcnt, v2
# memory.events "max": the kernel's reclaim ran); as a markdown table.
#
# Environment: ROUNDS (3; the first argument wins), KV_DIR, KV_DB_MB,
# KV_VALUE_BYTES, KV_SST_MB, KV_CGROUP_MB, KV_SECONDS, KV_WARMUP,
# KV_GET_THREADS, KV_SCAN_THREADS, KV_MIXED_THREADS, KV_SCAN_PCT,
# KV_SCAN_LEN, KV_SCAN_RATE (0: no cap;
# scans a second per scan thread), KV_ZIPF, KV_SCRAMBLE, KV_TRACE (1:
# print kvbench's per-second GETs, scans and MiB read after each run),
# EVICT_DISK_IOPS and EVICT_DISK_MBPS (0: no cap; kvbench's reads from the
# database's disk capped, as on a cloud volume: lib.sh's throttle_disk),
# EVICT_WARM_MIB (4096: memory touched once before the runs, the VM's free
# page reporting held off until the end: lib.sh's hold_memory_state),
# EVICT_BPF_STATS (1: each mmp run also says what its file hooks cost a
# call, lib.sh's bpf_stats_on), KV_PIECE_PROBE (1: after each run of a
# variant scored in 4K pieces, before mmp stops, pieceprobe.c says how
# many of the SST files' pieces were cached and whether they were those
# BPF counted the most reads of, which bounds what LFU can keep),
# VARIANTS ("default pagelfu pagelfu16k getscan lfu mru s3fifo"), MMP (the mmp
# binary, default ../../mmp).
# Other kernel tests and benchmarks take the same lock
# (/tmp/mmp-kernel-tests.lock): this waits for it. The cgroup, kvbench and
# mmp are removed and stopped on exit, failure, Ctrl-C or SIGTERM; the
# database is kept for the next run. Run as root, after a build (make -j2).
set -eu
ROUNDS=${1:-${ROUNDS:-3}}
KV_DIR=${KV_DIR:-/var/tmp/mmp-kv-db}
DB_MB=${KV_DB_MB:-1536}
VALUE=${KV_VALUE_BYTES:-1000}
SST_MB=${KV_SST_MB:-64}
CG_MB=${KV_CGROUP_MB:-1024}
SECS=${KV_SECONDS:-30}
VARIANTS=${VARIANTS:-default pagelfu pagelfu16k getscan lfu mru s3fifo}
# kvbench reads these from its environment.
KV_WARMUP=${KV_WARMUP:-10}
KV_GET_THREADS=${KV_GET_THREADS:-2}
KV_SCAN_THREADS=${KV_SCAN_THREADS:-1}
KV_MIXED_THREADS=${KV_MIXED_THREADS:-0}
KV_SCAN_PCT=${KV_SCAN_PCT:-5}
KV_SCAN_LEN=${KV_SCAN_LEN:-1000}
KV_SCAN_RATE=${KV_SCAN_RATE:-0}
KV_ZIPF=${KV_ZIPF:-0.99}
KV_SCRAMBLE=${KV_SCRAMBLE:-1}
export KV_WARMUP KV_GET_THREADS KV_SCAN_THREADS KV_MIXED_THREADS KV_SCAN_PCT KV_SCAN_LEN KV_SCAN_RATE KV_ZIPF KV_SCRAMBLE
unset KV_SST_MB
here=$(cd "$(dirname "$0")" && pwd)
# die, the checks, the cgroup, mmp, the rounds, medians: shared with the
# other scripts here.
. "$here/lib.sh"

check_rounds
case $DB_MB$VALUE$SST_MB$CG_MB$SECS$KV_GET_THREADS$KV_SCAN_THREADS$KV_MIXED_THREADS$KV_SCAN_LEN$KV_SCRAMBLE in
'' | *[!0-9]*) die "KV_DB_MB, KV_VALUE_BYTES, KV_SST_MB, KV_CGROUP_MB, KV_SECONDS, KV_GET_THREADS, KV_SCAN_THREADS, KV_MIXED_THREADS, KV_SCAN_LEN and KV_SCRAMBLE are whole numbers" ;;
esac
{ [ "$SECS" -gt 0 ] && [ "$VALUE" -gt 0 ] && [ "$SST_MB" -gt 0 ]; } || die "KV_SECONDS, KV_VALUE_BYTES and KV_SST_MB must be above 0"
[ $((KV_GET_THREADS + KV_MIXED_THREADS)) -gt 0 ] || die "KV_GET_THREADS or KV_MIXED_THREADS must be above 0 (the GETs are what is measured)"
[ "$DB_MB" -gt "$CG_MB" ] || die "the database ($DB_MB MiB) must be larger than the cgroup ($CG_MB MiB)"
[ "$(id -u)" = 0 ] || die "must run as root (it makes a memory cgroup and drops the page cache)"
command -v flock >/dev/null || die "needs flock (util-linux)"
command -v cc >/dev/null || die "needs a C compiler (cc)"
check_variants lfu mru s3fifo pagelfu pagelfu16k getscan getscankeep getscankeep16k lfu-watch mru-watch s3fifo-watch \
	pagelfu-watch pagelfu16k-watch getscan-watch getscankeep-watch getscankeep16k-watch
find_memcg
[ -f /usr/include/rocksdb/c.h ] || apt_install librocksdb-dev
check_on_disk "$KV_DIR" KV_DIR
KV_DIR=$(cd "$KV_DIR" && pwd)
db=$KV_DIR/db
marker=$KV_DIR/db.done

tmp=$(mktemp -d)
cg='' pid='' mpid=''
on_exit cleanup

cc -O2 -Wall -pthread -o "$tmp/kvbench" "$here/kvbench.c" -lrocksdb -lm || die "could not build kvbench.c"
PROBE=${KV_PIECE_PROBE:-0}
[ "$PROBE" = 0 ] || cc -O2 -Wall -o "$tmp/pieceprobe" "$here/pieceprobe.c" -lbpf || die "could not build pieceprobe.c"

take_lock
bpf_stats_on
# The machine, before any result: figures differ tenfold between machines.
sh "$here/../machine/machine.sh"
hold_memory_state

# --- the database --------------------------------------------------------------
keys=$((DB_MB * 1048576 / (VALUE + 24)))
want="kvbench=1 mb=$DB_MB value=$VALUE sst_mb=$SST_MB keys=$keys"
if [ -f "$marker" ] && [ -d "$db" ] && [ "$(cat "$marker")" = "$want" ]; then
	how="reused"
else
	echo "loading the database: $keys keys of $VALUE bytes in $db"
	start=$(date +%s)
	rm -f "$marker"
	rm -rf "$db"
	KV_SST_MB=$SST_MB "$tmp/kvbench" load "$db" "$keys" "$VALUE" >"$tmp/load.out" 2>&1 || {
		sed 's/^/    /' "$tmp/load.out" >&2
		die "kvbench load failed"
	}
	sync
	echo "$want" >"$marker"
	how="loaded in $(( $(date +%s) - start )) s"
fi
# The SST files: their count, total and sizes (mmp scores each on its own).
find "$db" -maxdepth 1 -name '*.sst' -printf '%s\n' | sort -n >"$tmp/sst"
nsst=$(wc -l <"$tmp/sst")
[ "$nsst" -gt 0 ] || die "no SST file in $db: remove $marker to load the database again"
sstbytes=$(awk '{ s += $1 } END { printf "%.0f", s }' "$tmp/sst")
echo "database: $keys keys of $VALUE bytes in $db ($how): $nsst SST files, $(mib "$sstbytes") MiB;" \
	"sizes $(awk '{ printf "%s%.1f", (NR > 1 ? " " : ""), $1 / 1048576 }' "$tmp/sst") MiB;" \
	"other files $(find "$db" -maxdepth 1 -type f ! -name '*.sst' -printf '%s\n' | awk '{ s += $1; n++ } END { printf "%d, %.0f KiB", n, s / 1024 }')"
[ "$sstbytes" -gt $((CG_MB * 1048576)) ] || die "the database's SST files ($(mib "$sstbytes") MiB) must not fit in the cgroup ($CG_MB MiB)"

# --- the cgroup, the policies, the counters ------------------------------------
make_cg "mmp-kvbench-$$" "$CG_MB"
throttle_disk "$KV_DIR"

# The policies, for this database (each names the default one).
for v in $VARIANTS; do
	[ "$v" != default ] || continue
	p=${v%-watch}
	sed "s|/var/tmp/mmp-kv-db/db/|$db/|" "$here/policies/kv-$p.mmp" >"$tmp/kv-$p.mmp"
	grep -qF "\"$db/*\"" "$tmp/kv-$p.mmp" || die "policies/kv-$p.mmp does not name /var/tmp/mmp-kv-db/db/*"
done

# --- one run -------------------------------------------------------------------
# run_variant VARIANT: one run; appends "gets_per_s scans_per_s
# disk_bytes_per_get hit_pct scan_disk_mib_s dropped actions limit_hits
# disk_reads_per_s" to $tmp/VARIANT.res and prints a line.
run_variant() {
	v=$1
	drop_caches
	p=${v%-watch}
	case $v in
	default) ;;
	*-watch) start_mmp "$tmp/kv-$p.mmp" "mmp-kvbench-$$" --dry-run ;;
	*) start_mmp "$tmp/kv-$p.mmp" "mmp-kvbench-$$" ;;
	esac
	h0=$(limit_hits) io0=$(disk_reads) t0=$(date +%s%N)
	run_in_cg "$tmp/kvbench" run "$db" "$SECS" >"$tmp/kv.out" 2>"$tmp/kv.err"
	hits=$(( $(limit_hits) - h0 ))
	ios=-   # a second of the run as kvbench took it (opening the database too)
	[ "$io0" = - ] || ios=$(( ($(disk_reads) - io0) * 1000000000 / ($(date +%s%N) - t0) ))
	if [ "$rc" != 0 ] || ! grep -q '^gets=' "$tmp/kv.out"; then
		echo "rocksdb.sh: kvbench failed (exit status $rc):" >&2
		sed 's/^/    /' "$tmp/kv.out" "$tmp/kv.err" | head -n 10 >&2
		exit 1
	fi
	[ "${KV_TRACE:-0}" = 0 ] || sed 's/^/    /' "$tmp/kv.err"
	out=$(cat "$tmp/kv.out")
	dropped=- actions=- note=''
	if [ "$PROBE" != 0 ] && [ "$v" != default ] && grep -q 'unit 4K' "$tmp/kv-$p.mmp"; then
		echo "    pieces after the run: $("$tmp/pieceprobe" "$db"/*.sst || echo '(pieceprobe failed)')"
	fi
	[ "$v" = default ] || mmp_result "kv_$p\.db"
	res="$(field "$out" gets_per_s) $(field "$out" scans_per_s) $(field "$out" get_disk_bytes_per_get)"
	res="$res $(field "$out" get_hit_pct) $(field "$out" scan_disk_mib_s) $dropped $actions $hits $ios"
	echo "$res" >>"$tmp/$v.res"
	# shellcheck disable=SC2086 # nine fields
	set -- $res
	# The share of the GETs' blocks RocksDB's own block cache served: those
	# never reach the page cache.
	bc=$(awk -v h="$(field "$out" get_block_cache_hits)" -v r="$(field "$out" get_block_reads)" \
		'BEGIN { printf "%.1f", h + r ? 100 * h / (h + r) : 0 }')
	printf '  %-8s %s GETs/s, %s scans/s, %s B from disk a GET (hits %s%%; %s%% of blocks from the block cache), scans %s MiB/s from disk, %s disk reads/s, limit hit %s times  mmp dropped %s MiB%s\n' \
		"$v" "$1" "$2" "$3" "$4" "$bc" "$5" "$9" "$8" "$(mib "$6")" "$note"
}

echo "rocksdb: $ROUNDS rounds of: $VARIANTS; kvbench $KV_GET_THREADS GET threads (zipfian $KV_ZIPF, scrambled $KV_SCRAMBLE)," \
	"$KV_SCAN_THREADS scan threads ($KV_SCAN_LEN entries a scan, cap ${KV_SCAN_RATE}/s), $KV_MIXED_THREADS mixed ($KV_SCAN_PCT% scans), ${KV_WARMUP} s warm-up + $SECS s timed a run, cgroup v$cgv limit $cg_mib MiB;" \
	"$disk_note"
start=$(date +%s)
rounds

# --- the table -----------------------------------------------------------------
echo
echo "medians of $ROUNDS rounds; $SECS s timed a run; $keys keys, $nsst SST files, $(mib "$sstbytes") MiB, in $cg_mib MiB; $disk_note:"
echo
echo "| variant | GETs/s | range | x default | scans/s | disk B a GET | GET hit ratio (est.) | scan MiB/s from disk | disk reads/s (capped disk, the whole run) | mmp dropped MiB a run | mmp drops a run | limit hits a run |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
base=$(median "$tmp/default.res" 1)
for v in $VARIANTS; do
	f=$tmp/$v.res
	awk -v v="$v" -v g="$(median "$f" 1)" -v b="$base" -v rg="$(range "$f" 1 0)" -v s="$(median "$f" 2)" \
		-v d="$(median "$f" 3)" -v h="$(median "$f" 4)" -v sd="$(median "$f" 5)" -v dr="$(median "$f" 6)" \
		-v ac="$(median "$f" 7)" -v lh="$(median "$f" 8)" -v io="$(median "$f" 9)" 'BEGIN {
		ratio = (b == "-" || b + 0 == 0) ? "-" : sprintf("%.2fx", g / b)
		printf "| %s | %.0f | %s | %s | %.1f | %.0f | %.2f%% | %.1f | %s | %s | %s | %s |\n", v, g, rg, ratio, s, d, h, sd,
			io, dr == "-" ? "-" : sprintf("%.0f", dr / 1048576), ac == "-" ? "-" : sprintf("%.0f", ac), lh }'
done
echo
echo "total: $(( $(date +%s) - start )) s for $ROUNDS rounds"
