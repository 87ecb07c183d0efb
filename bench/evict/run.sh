#!/bin/sh
# bench/evict/run.sh [ROUNDS] - point reads of a hot file while a large
# file is scanned (cache_ext's "get-scan" shape), in a memory cgroup that
# holds the hot file but not the hot file and the scan: the kernel's own
# reclaim against mmp's evict policies.
#
# The workload (evictbench.c), in a v1 memory cgroup limited to
# EVICT_LIMIT (256M): a GET thread reads random 4K pages of a 64M hot file
# (POSIX_FADV_RANDOM), spending EVICT_WORK microseconds of CPU on each
# (default 10: what a server does with a value), while a scan thread reads
# a 1G file from start to end with 1 MiB reads, over and over, as fast as
# it can (or at EVICT_SCAN_RATE MiB/s). After 1.5 s (for mmp to find the
# open files), the hot file is read once and the GETs run alone for 2 s;
# then GETs and scan run together for EVICT_SECONDS (20), the timed phase.
# A GET is a hit when preadv2(RWF_NOWAIT) finds the page cached.
#
# Variants, interleaved, the order rotated every round:
#   default       no policy: the kernel's reclaim in the cgroup
#   lfu           mmp run policies/lfu.mmp: accesses per page, lowest first
#   mru           mmp run policies/mru.mmp: the youngest file first
#   getscan       mmp run policies/getscan.mmp: the scanned file first
#   getscan-bare  (only if asked for) getscan without 'protect top'
# Every mmp policy drops page cache (action drop) while the cgroup's usage
# is above 70% of its limit, at up to 4G/s, and keeps the top 64M out of
# its drops (protect top). Both files' page cache is dropped
# (POSIX_FADV_DONTNEED) before every run.
#
# It prints, per variant, the medians over the rounds of: GETs a second
# (and the ratio to the default's median), the GET hit ratio, the mean
# share of the hot file in the page cache during the timed phase, the
# scan's MiB a second, and what mmp dropped of each file; then whether the
# get-scan policy reaches 1.3x the default's GETs a second.
#
# Environment: EVICT_LIMIT (256M), EVICT_HOT_MIB (64), EVICT_SCAN_MIB
# (1024), EVICT_SECONDS (20), EVICT_WORK (10, microseconds),
# EVICT_SCAN_RATE (0: as fast as it can; else MiB/s),
# EVICT_THREADS (1 GET thread), EVICT_DIR (a directory on a disk, not
# tmpfs, for the two files; default /var/tmp), VARIANTS, MMP (the mmp
# binary, default ../../mmp). Other kernel tests take the same lock
# (/tmp/mmp-kernel-tests.lock): the runs wait for it. The cgroup, the files
# and any process left are removed on exit, failure, Ctrl-C or SIGTERM.
# Run as root, after a build (make -j2).
set -eu
ROUNDS=${1:-3}
LIMIT=${EVICT_LIMIT:-256M}
HOT_MIB=${EVICT_HOT_MIB:-64}
SCAN_MIB=${EVICT_SCAN_MIB:-1024}
SECS=${EVICT_SECONDS:-20}
WORK=${EVICT_WORK:-10}
SCAN_RATE=${EVICT_SCAN_RATE:-0}
THREADS=${EVICT_THREADS:-1}
BASE=${EVICT_DIR:-/var/tmp}
VARIANTS=${VARIANTS:-default lfu mru getscan}
here=$(cd "$(dirname "$0")" && pwd)
MEMCG=/sys/fs/cgroup/memory
# die, the checks, the lock, the rounds, medians: shared with the other
# scripts here.
. "$here/lib.sh"

check_rounds
case $HOT_MIB$SCAN_MIB$THREADS in *[!0-9]*) die "EVICT_HOT_MIB, EVICT_SCAN_MIB and EVICT_THREADS are whole numbers" ;; esac
[ "$(id -u)" = 0 ] || die "must run as root (it makes a memory cgroup)"
{ [ -d "$MEMCG" ] && [ -w "$MEMCG" ]; } || die "needs a cgroup v1 memory hierarchy at $MEMCG"
command -v cc >/dev/null || die "needs a C compiler (cc)"
command -v flock >/dev/null || die "needs flock (util-linux)"
check_variants lfu mru getscan getscan-bare
[ -d "$BASE" ] || die "no directory $BASE"
[ "$(stat -f -c %T "$BASE")" != tmpfs ] || die "$BASE is tmpfs, whose page cache cannot be dropped: set EVICT_DIR to a disk"

tmp=$(mktemp -d)
dir='' cg='' pid=''
# cleanup_files: lib.sh's cleanup, but with no mmp of its own to stop (mmp
# run ends with the workload), the files' page cache dropped before the
# cgroup is removed, and the files removed.
cleanup_files() {
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	if [ -n "$cg" ] && [ -d "$cg" ]; then
		cg_kill
		[ -z "$dir" ] || "$tmp/evictbench" drop "$dir/hot.dat" "$dir/scan.dat" 2>/dev/null || true
		rmdir "$cg" || echo "run.sh: could not remove $cg" >&2
	fi
	[ -z "$dir" ] || rm -rf "$dir"
	rm -rf "$tmp"
}
on_exit cleanup_files

cc -O2 -Wall -pthread -o "$tmp/evictbench" "$here/evictbench.c"

take_lock
# The machine, before any result: figures differ tenfold between machines.
sh "$here/../machine/machine.sh"

dir=$(mktemp -d "$BASE/mmp-evictbench.XXXXXX")
cg=$MEMCG/mmp-evictbench-$$
mkdir "$cg"
echo "$LIMIT" >"$cg/memory.limit_in_bytes"
limit_mib=$(( $(cat "$cg/memory.limit_in_bytes") / 1048576 ))
{ [ "$HOT_MIB" -lt "$limit_mib" ] && [ $((HOT_MIB + SCAN_MIB)) -gt "$limit_mib" ]; } ||
	die "the hot file ($HOT_MIB MiB) must fit in $limit_mib MiB and the hot file and the scan ($SCAN_MIB MiB) must not"

echo "writing the files: hot $HOT_MIB MiB, scan $SCAN_MIB MiB, in $dir"
dd if=/dev/urandom of="$dir/hot.dat" bs=1M count="$HOT_MIB" status=none
dd if=/dev/urandom of="$dir/scan.dat" bs=1M count="$SCAN_MIB" status=none
sync

# The policies, for these files.
for p in lfu mru getscan getscan-bare; do
	sed -e "s|/var/tmp/mmp-evictbench/|$dir/|" -e "s|protect top 64M;|protect top ${HOT_MIB}M;|" \
		"$here/policies/$p.mmp" >"$tmp/$p.mmp"
done

# run_variant VARIANT: one measured run; appends
# "gets_per_s hit_pct hot_res_mean scan_mib_s solo scan_dropped_mib hot_dropped_mib"
# to $tmp/VARIANT.res and prints a progress line.
run_variant() {
	v=$1
	"$tmp/evictbench" drop "$dir/hot.dat" "$dir/scan.dat"
	echo 0 >"$cg/memory.force_empty" 2>/dev/null || true
	# shellcheck disable=SC2016 # expanded by that shell
	set -- sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" "$tmp/evictbench" --threads "$THREADS" \
		--seconds "$SECS" --work "$WORK" --scan-rate "$SCAN_RATE" "$dir/hot.dat" "$dir/scan.dat"
	rc=0
	if [ "$v" = default ]; then
		"$@" >"$tmp/out" 2>"$tmp/err" &
	else
		"$MMP" run "$tmp/$v.mmp" -- "$@" >"$tmp/out" 2>"$tmp/err" &
	fi
	pid=$!
	wait "$pid" || rc=$?
	pid=
	line=$(grep '^gets=' "$tmp/out" | tail -n 1 || true)
	if [ "$rc" != 0 ] || [ -z "$line" ]; then
		echo "run.sh: the $v run failed (exit status $rc); its output:" >&2
		cat "$tmp/out" "$tmp/err" >&2
		exit 1
	fi
	# mmp's exit summary: "POLICY.REGION: N bytes evicted in C actions (E failed), U units scored"
	scan_drop=$(sed -n 's/.*\.scan: \([0-9]*\) bytes evicted.*/\1/p' "$tmp/err" | tail -n 1)
	hot_drop=$(sed -n 's/.*\.hot: \([0-9]*\) bytes evicted.*/\1/p' "$tmp/err" | tail -n 1)
	all_drop=$(sed -n 's/.*\.files: \([0-9]*\) bytes evicted.*/\1/p' "$tmp/err" | tail -n 1)
	failed=$(sed -n 's/.* bytes evicted in [0-9]* actions (\([0-9]*\) failed).*/\1/p' "$tmp/err" |
		awk '{ s += $1 } END { print s + 0 }')
	[ "$failed" = 0 ] || echo "  note: $failed of mmp's drops failed" >&2
	# MiB dropped of the scanned file and of the hot one ("-": no policy);
	# mru.mmp has one region for both files: its figure is in the first.
	scan_mib=$(awk -v a="${scan_drop:-${all_drop:-}}" 'BEGIN { print a == "" ? "-" : sprintf("%.0f", a / 1048576) }')
	hot_mib=$(awk -v a="${hot_drop:-}" 'BEGIN { print a == "" ? "-" : sprintf("%.0f", a / 1048576) }')
	res=$(echo "$line" | awk -v sd="$scan_mib" -v hd="$hot_mib" '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		printf "%s %s %s %s %s %s %s", f["gets_per_s"], f["hit_pct"], f["hot_res_mean_pct"], f["scan_mib_s"],
			f["solo_gets_per_s"], sd, hd }')
	echo "$res" >>"$tmp/$v.res"
	# shellcheck disable=SC2086 # seven fields
	set -- $res
	printf '  %-12s %8s GETs/s  hits %7s%%  hot cached %5s%%  scan %7s MiB/s  alone %6s GETs/s  mmp dropped: scan %s MiB, hot %s MiB\n' \
		"$v" "$1" "$2" "$3" "$4" "$5" "$6" "$7"
}

echo "evict: $ROUNDS rounds of: $VARIANTS; cgroup limit $limit_mib MiB, GETs of $HOT_MIB MiB ($THREADS thread(s), ${WORK} us of work each), scan of $SCAN_MIB MiB ($(if [ "$SCAN_RATE" = 0 ]; then echo "unthrottled"; else echo "at most $SCAN_RATE MiB/s"; fi)), ${SECS} s timed"
start=$(date +%s)
rounds

echo
echo "medians of $ROUNDS rounds:"
echo
echo "| variant | GETs/s | vs default | range | GET hits | hot file cached | scan MiB/s | mmp dropped: scan / hot MiB |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
base=$(median "$tmp/default.res" 1)
for v in $VARIANTS; do
	f=$tmp/$v.res
	g=$(median "$f" 1)
	awk -v v="$v" -v g="$g" -v b="$base" -v rg="$(range "$f" 1 0)" -v h="$(median "$f" 2)" -v c="$(median "$f" 3)" \
		-v s="$(median "$f" 4)" -v sd="$(median "$f" 6)" -v hd="$(median "$f" 7)" 'BEGIN {
		ratio = (b == "-" || b + 0 == 0) ? "-" : sprintf("%.2fx", g / b)
		drop = sd == "-" ? "-" : hd == "-" ? sd " (both files)" : sd " / " hd
		printf "| %s | %.0f | %s | %s | %.2f%% | %.1f%% | %.0f | %s |\n", v, g, ratio, rg, h, c, s, drop }'
done
echo
echo "GETs/s alone (no scan), median over all runs: $(cat "$tmp"/*.res | cut -d' ' -f5 | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')"
case " $VARIANTS " in
*" default "*" getscan "* | *" getscan "*" default "*)
	awk -v g="$(median "$tmp/getscan.res" 1)" -v b="$base" 'BEGIN {
		printf "get-scan: %.2fx the default'\''s GETs a second: the 1.3x target is %s\n", g / b, (g / b >= 1.3 ? "met" : "missed") }' ;;
esac
echo "total: $(( $(date +%s) - start )) s for $ROUNDS rounds"
