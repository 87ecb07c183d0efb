#!/bin/sh
# bench/prefetch/stressng.sh [ROUNDS] - examples/swap-scan.mmp on
# stress-ng, a real program: its memrate stressor walks a buffer larger
# than its memory cgroup from start to end, 26 times (a write or a read
# method each, memset and prefetching reads among them), so most of the
# buffer is in swap whenever a walk reaches it. The kernel's swap-in
# alone against the same with mmp running the example.
#
# One run: drop the page cache, compact memory, then 'stress-ng --memrate
# 1 --memrate-bytes SN_MIB M --memrate-ops 1' in a memory cgroup limited
# to LIMIT_MIB (v1 memory.limit_in_bytes where v1 exists, else v2
# memory.max), with a swap file of the benchmark's own (twice SN_MIB, on
# the disk under /var/tmp, the highest priority; swapped off at the end).
# The swap file is on a disk: a zram swap-in is the CPU's work, which no
# helper process speeds up (BENCHMARKS.md, "Prefetching").
#
# Variants, interleaved, the order rotated every round:
#   default   stress-ng alone
#   mmp       'mmp attach examples/swap-scan.mmp' for the whole run
#
# Reported, medians over ROUNDS (3): stress-ng's own run time of the 26
# walks, the cgroup's major faults (memory.stat pgmajfault), stress-ng's
# MB/s on its read64 and write64 walks, and mmp's accuracy (pages used /
# asked for) and coverage ((used - late) / (used - late + major faults)).
#
# Environment: ROUNDS (the first argument wins), SN_MIB (256), LIMIT_MIB
# (64), VARIANTS ("default mmp"), MMP (../../mmp), TMPDIR (/var/tmp: the
# swap file's disk), EVICT_WARM_MIB (4096: memory touched once before the
# runs, the VM's free page reporting held off until the end: lib.sh's
# hold_memory_state). Installs stress-ng
# with apt-get if it is missing. Shares bench/evict/lib.sh (the cgroup,
# mmp, the rounds, medians) and its lock with the other benchmarks, and
# lib.sh's reading of mmp's summary with run.sh. The
# cgroup, the swap file and mmp are undone on exit, failure, Ctrl-C or
# SIGTERM. Run as root.
set -eu
ROUNDS=${1:-${ROUNDS:-3}}
SN_MIB=${SN_MIB:-256}
LIMIT_MIB=${LIMIT_MIB:-64}
VARIANTS=${VARIANTS:-default mmp}
here=$(cd "$(dirname "$0")" && pwd)
EXAMPLE=$here/../../examples/swap-scan.mmp
. "$here/../evict/lib.sh"
. "$here/lib.sh"

check_rounds
case $SN_MIB$LIMIT_MIB in '' | *[!0-9]*) die "SN_MIB and LIMIT_MIB are whole numbers" ;; esac
[ "$SN_MIB" -ge $((2 * LIMIT_MIB)) ] || die "the buffer (SN_MIB $SN_MIB) must be at least twice the cgroup's limit (LIMIT_MIB $LIMIT_MIB)"
[ "$(id -u)" = 0 ] || die "must run as root (a memory cgroup, a swap file)"
for c in flock mkswap swapon swapoff; do command -v $c >/dev/null || die "needs $c"; done
check_variants mmp
find_memcg
command -v stress-ng >/dev/null || apt_install stress-ng

# The swap file's directory, on a disk: a swap file in tmpfs takes no swapon.
tmp=$(mktemp -d "${TMPDIR:-/var/tmp}/mmp-snbench.XXXXXX")
cg='' pid='' mpid='' swap_on=''
# The workload and mmp go before the swap file, and the swap file before
# $tmp, which holds it.
bench_cleanup() {
	trap '' INT TERM HUP
	memstate_restore
	stop_mmp
	[ -z "$cg" ] || [ ! -d "$cg" ] || cg_kill
	[ -z "$swap_on" ] || swapoff "$tmp/swap" || echo "$me: could not swap off $tmp/swap" >&2
	cleanup
}
on_exit bench_cleanup
check_on_disk "$tmp" TMPDIR

take_lock
# The machine, before any result: figures differ tenfold between machines.
sh "$here/../machine/machine.sh"
hold_memory_state

dd if=/dev/zero of="$tmp/swap" bs=1M count=$((2 * SN_MIB)) status=none
chmod 600 "$tmp/swap"
mkswap "$tmp/swap" >/dev/null
swapon -p 32767 "$tmp/swap"
swap_on=1
others=$(awk 'NR > 1 && $1 != "'"$tmp/swap"'" { printf "%s ", $1 }' /proc/swaps)
[ -z "$others" ] || echo "$me: note: other swap is active ($others); ours has the highest priority" >&2
make_cg "mmp-snbench-$$" "$LIMIT_MIB"
"$MMP" run "$EXAMPLE" -- true 2>"$tmp/err" || { cat "$tmp/err" >&2; die "mmp cannot run $EXAMPLE"; }

# majfaults: the cgroup's major faults so far.
majfaults() { awk '$1 == "pgmajfault" || $1 == "total_pgmajfault" { n = $2 } END { print n + 0 }' "$cg/memory.stat"; }
# rate METHOD: stress-ng's MB/s on METHOD, from its metrics.
rate() { awk -v m="$1" 'NF >= 10 && $(NF - 8) == m && $(NF - 7) == "MB" { print $(NF - 9) }' "$tmp/out" | tail -n 1; }

# run_variant VARIANT: one run; appends "secs majfaults read64 write64
# predictions asked used late major" to $tmp/VARIANT.res and prints a line.
run_variant() {
	v=$1
	drop_caches
	[ "$v" = default ] || start_mmp "$EXAMPLE" "mmp-snbench-$$"
	m0=$(majfaults)
	run_in_cg stress-ng --memrate 1 --memrate-bytes "${SN_MIB}m" --memrate-ops 1 --metrics -t 3600 >"$tmp/out" 2>&1
	maj=$(( $(majfaults) - m0 ))
	secs=$(awk 'NF >= 10 && $(NF - 8) == "memrate" && $(NF - 7) == 1 { print $(NF - 6) }' "$tmp/out" | tail -n 1)
	r64=$(rate read64) w64=$(rate write64)
	if [ "$rc" != 0 ] || [ -z "$secs" ] || [ -z "$r64" ] || [ -z "$w64" ]; then
		echo "$me: stress-ng failed (exit status $rc) or printed no metrics:" >&2
		tail -n 20 "$tmp/out" >&2
		exit 1
	fi
	sm="- - - - -"
	if [ "$v" != default ]; then
		stop_mmp
		sm=$(prefetch_summary "$tmp/mmp.log")
		[ -n "$sm" ] || { sed 's/^/    /' "$tmp/mmp.log" >&2; die "mmp printed no summary of the region"; }
	fi
	echo "$secs $maj $r64 $w64 $sm" >>"$tmp/$v.res"
	printf '  %-8s %s s, %s major faults, read64 %s MB/s, write64 %s MB/s%s\n' "$v" "$secs" "$maj" "$r64" "$w64" \
		"$([ "$v" = default ] || echo ", mmp: $sm (predictions asked used late major)")"
}

echo "stress-ng memrate: $SN_MIB MiB in a $cg_mib MiB cgroup (v$cgv), swap file of $((2 * SN_MIB)) MiB on $(df --output=source "$tmp" | tail -n 1); $ROUNDS rounds of: $VARIANTS"
start=$(date +%s)
rounds

echo
echo "medians of $ROUNDS rounds:"
echo
echo "| variant | run time | range | default/variant | major faults | read64 MB/s | write64 MB/s | accuracy | coverage |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
base=$(median "$tmp/default.res" 1)
for v in $VARIANTS; do
	f=$tmp/$v.res
	acc=- cov=-
	if [ "$v" != default ]; then
		# shellcheck disable=SC2046 # lists of numbers
		acc=$(median_of $(awk '{ if ($6 > 0) printf "%.4f\n", $7 / $6 }' "$f"))
		# shellcheck disable=SC2046
		cov=$(median_of $(awk '{ c = $7 - $8 + $9; if (c > 0) printf "%.4f\n", ($7 - $8) / c }' "$f"))
	fi
	awk -v v="$v" -v t="$(median "$f" 1)" -v b="$base" -v m="$(median "$f" 2)" -v r="$(median "$f" 3)" \
		-v w="$(median "$f" 4)" -v a="$acc" -v c="$cov" -v rg="$(range "$f" 1 2)" 'BEGIN {
		printf "| %s | %.2f s | %s | %s | %d | %.0f | %.0f | %s | %s |\n", v, t, rg, (b == "-" || t + 0 == 0) ? "-" : sprintf("%.2fx", b / t),
			m, r, w, a == "-" ? "-" : sprintf("%.0f%%", 100 * a), c == "-" ? "-" : sprintf("%.0f%%", 100 * c) }'
done
echo
echo "total: $(( $(date +%s) - start )) s for $ROUNDS rounds"
