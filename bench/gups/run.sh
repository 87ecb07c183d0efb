#!/bin/sh
# bench/gups/run.sh [RUNS] - huge pages for the hot part only, against
# THP 'always' and plain 4K, on the GUPS workload of gups.c (a hot 1 GiB
# mapping that takes 90% of 100M random read-modify-writes, and a cold 3 GiB
# one). Only the update phase is timed. Each of RUNS rounds (default 5) runs
# the variants interleaved, in an order rotated every round, each after
# caches are dropped and memory compacted, with a VM's free page reporting
# held off for the whole bench (the same state for every run):
#   4k          THP 'enabled' as found ('madvise' on the project's machines:
#               no huge pages for gups)
#   thp-always  'always' written to /sys/kernel/mm/transparent_hugepage/enabled
#               for this run only, and restored afterwards (also on failure,
#               Ctrl-C or SIGTERM)
#   mmp         only if MMP_CMD is set: $MMP_CMD -- gups ... --wait-huge HOT,
#               e.g. MMP_CMD="/work/main/mmp run examples/gups-hot.mmp";
#               gups waits (untimed) until its hot mapping has been collapsed
# and prints, per variant, the median, min and max seconds and the median
# huge-page memory of each mapping, then the speedups over 4k and the share
# of the THP-always speedup that mmp reaches. The machine's block
# (bench/machine/machine.sh) comes first.
# Environment: GUPS_HOT (1G), GUPS_COLD (3G), GUPS_UPDATES (100M),
# GUPS_ARGS (more gups options, e.g. "--hot-frac 0.8"), MMP_CMD. Run as root.
set -eu
RUNS=${1:-5}
HOT=${GUPS_HOT:-1G}
COLD=${GUPS_COLD:-3G}
UPDATES=${GUPS_UPDATES:-100M}
EXTRA=${GUPS_ARGS:-}
THP=/sys/kernel/mm/transparent_hugepage/enabled
here=$(cd "$(dirname "$0")" && pwd)

die() { echo "run.sh: $*" >&2; exit 1; }
case $RUNS in '' | *[!0-9]* | 0) die "RUNS must be a positive integer, not '$RUNS'" ;; esac
[ "$(id -u)" = 0 ] || die "must run as root (it writes $THP)"
[ -w "$THP" ] || die "$THP is not writable: no transparent huge pages?"
command -v cc >/dev/null || die "needs a C compiler (cc)"

# SIZE with an optional K/M/G/T suffix, in bytes.
bytes() {
	case $1 in
	*[kK]) n=${1%?} m=1024 ;;
	*[mM]) n=${1%?} m=1048576 ;;
	*[gG]) n=${1%?} m=1073741824 ;;
	*[tT]) n=${1%?} m=1099511627776 ;;
	*) n=$1 m=1 ;;
	esac
	case $n in '' | *[!0-9]*) die "invalid size '$1'" ;; esac
	echo $((n * m))
}
hot_b=$(bytes "$HOT")
cold_b=$(bytes "$COLD")

# Memory: both mappings, plus 1 GiB for the rest of the system and for
# collapsing (each collapse allocates a new 2M page before freeing 512 4K ones).
need_mib=$(( (hot_b + cold_b) / 1048576 + 1024 ))
avail_mib=$(( $(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo) / 1024 ))
[ "$avail_mib" -ge "$need_mib" ] ||
	die "needs $need_mib MiB of available memory (hot $HOT + cold $COLD + 1 GiB margin), only $avail_mib MiB available"

orig=$(sed -n 's/.*\[\([a-z]*\)\].*/\1/p' "$THP")
[ -n "$orig" ] || die "cannot read the THP mode from $THP"
tmp=$(mktemp -d)
restore() { [ "$(sed -n 's/.*\[\([a-z]*\)\].*/\1/p' "$THP")" = "$orig" ] || echo "$orig" >"$THP"; }
cleanup() {
	restore || echo "run.sh: could not restore '$orig' in $THP" >&2
	memstate_restore
	rm -rf "$tmp"
}
. "$here/../machine/memstate.sh"
# A signal is handled once the running gups ends (Ctrl-C ends it at once).
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cc -O2 -o "$tmp/gups" "$here/gups.c"
set -- --hot "$HOT" --cold "$COLD" --updates "$UPDATES"
# shellcheck disable=SC2086 # GUPS_ARGS is a list of options
"$tmp/gups" "$@" $EXTRA --help >/dev/null # each option is parsed before --help acts

VARIANTS="4k thp-always"
if [ -n "${MMP_CMD:-}" ]; then
	VARIANTS="$VARIANTS mmp"
else
	echo "run.sh: MMP_CMD is not set: skipping the mmp variant" >&2
fi
[ "$orig" = always ] && echo "run.sh: warning: THP is 'always' already: the 4k variant gets huge pages too" >&2
[ "$orig" = madvise ] || [ "$orig" = never ] || [ "$orig" = always ] ||
	echo "run.sh: note: THP mode is '$orig'" >&2

# The same memory state for every run: the host backs the memory they use
# (a fork's copies are fresh pages too). Then the machine, before any
# result: figures differ tenfold between machines.
memstate_hold "$need_mib"
sh "$here/../machine/machine.sh"
echo "gups: hot $HOT, cold $COLD, $UPDATES updates, $RUNS rounds of: $VARIANTS (THP found: $orig)"
for v in $VARIANTS; do : >"$tmp/$v.res"; done
nvar=$(echo "$VARIANTS" | wc -w)
start=$(date +%s)

# settle: the same memory state before every run. How fast a run fills its
# memory, and whether it gets huge pages, depends on what ran before it (on
# the Zen 5 VM, 2 GiB of huge pages filled in 3.5-4 s after a compaction,
# in 0.15-2.3 s right after another huge-page run: its free page reporting,
# which memstate.sh holds off).
settle() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	echo 1 >/proc/sys/vm/compact_memory
}

# run_variant VARIANT GUPS_ARG...: one measured run; appends
# "seconds hot_mib cold_mib" to $tmp/VARIANT.res and prints a progress line.
run_variant() {
	v=$1
	shift
	settle
	t0=$(date +%s.%N)
	rc=0
	case $v in
	4k) "$tmp/gups" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$? ;;
	thp-always)
		echo always >"$THP"
		"$tmp/gups" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
		restore ;;
	mmp)
		# shellcheck disable=SC2086 # MMP_CMD is a command with arguments
		$MMP_CMD -- "$tmp/gups" "$@" --wait-huge "$HOT" >"$tmp/out" 2>"$tmp/err" || rc=$? ;;
	esac
	wall=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	line=$(grep '^seconds=' "$tmp/out" | tail -n 1 || true)
	if [ "$rc" != 0 ] || [ -z "$line" ]; then
		echo "run.sh: the $v run failed (exit status $rc); its output:" >&2
		cat "$tmp/out" "$tmp/err" >&2
		exit 1
	fi
	res=$(echo "$line" | awk '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		printf "%s %.0f %.0f", f["seconds"], f["hot_huge_kb"] / 1024, f["cold_huge_kb"] / 1024 }')
	echo "$res" >>"$tmp/$v.res"
	# shellcheck disable=SC2086 # three numbers
	set -- $res
	printf '  %-10s %7.3f s   huge: hot %5s MiB, cold %5s MiB   (run %s s)\n' "$v" "$1" "$2" "$3" "$wall"
	warn=$(grep -i 'warning' "$tmp/err" || true)
	[ -z "$warn" ] || echo "  $warn" >&2
	case $v in
	thp-always) [ $(($2 + $3)) -ge $(( (hot_b + cold_b) / 1048576 )) ] ||
		echo "  note: THP 'always' backed only $(($2 + $3)) of $(( (hot_b + cold_b) / 1048576 )) MiB with huge pages" >&2 ;;
	mmp) [ "$2" -ge $((hot_b / 1048576)) ] || {
		echo "  note: mmp collapsed only $2 of $((hot_b / 1048576)) MiB of the hot mapping; the run's last messages:"
		grep -v '^seconds=' "$tmp/err" | tail -n 5 | sed 's/^/    /'
	} >&2 ;;
	esac
}

r=0
while [ "$r" -lt "$RUNS" ]; do
	r=$((r + 1))
	echo "round $r/$RUNS"
	# Rotate the order by one variant each round.
	order=$(echo "$VARIANTS" | awk -v k=$(( (r - 1) % nvar )) '{ for (i = 0; i < NF; i++) printf "%s ", $((i + k) % NF + 1) }')
	for v in $order; do
		# shellcheck disable=SC2086
		run_variant "$v" "$@" $EXTRA
	done
done

# Column N of FILE: median (mean of the middle two for an even count), min, max.
stats() {
	cut -d' ' -f"$2" "$1" | sort -g | awk '{ a[NR] = $1 } END {
		m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
		print m, a[1], a[NR] }'
}
echo
printf '%-11s %9s %9s %9s %14s %15s %9s\n' variant "median s" "min s" "max s" "hot huge MiB" "cold huge MiB" "4k/this"
median() { stats "$tmp/$1.res" "$2" | cut -d' ' -f1; } # VARIANT COLUMN
t4k=$(median 4k 1)
for v in $VARIANTS; do
	# shellcheck disable=SC2046 # three numbers
	set -- $(stats "$tmp/$v.res" 1)
	awk -v v="$v" -v m="$1" -v lo="$2" -v hi="$3" -v h="$(median "$v" 2)" -v c="$(median "$v" 3)" -v b="$t4k" \
		'BEGIN { printf "%-11s %9.3f %9.3f %9.3f %14.0f %15.0f %9.2f\n", v, m, lo, hi, h, c, b / m }'
done
echo
tthp=$(median thp-always 1)
awk -v a="$t4k" -v b="$tthp" 'BEGIN { printf "speedup 4k/thp-always: %.2fx\n", a / b }'
case " $VARIANTS " in
*" mmp "*)
	tmmp=$(median mmp 1)
	awk -v a="$t4k" -v b="$tmmp" 'BEGIN { printf "speedup 4k/mmp:        %.2fx\n", a / b }'
	awk -v a="$t4k" -v t="$tthp" -v m="$tmmp" -v hm="$(median mmp 2)" -v cm="$(median mmp 3)" \
		-v ht="$(median thp-always 2)" -v ct="$(median thp-always 3)" 'BEGIN {
		if (a - t <= 0) { print "mmp: THP-always is not faster than 4k here: no speedup to compare with"; exit }
		printf "mmp reaches %.0f%% of the THP-always speedup (target: at least 90%%),\n", (a - m) / (a - t) * 100
		printf "with %.0f MiB of huge pages (median) against %.0f MiB for THP-always\n", hm + cm, ht + ct }' ;;
esac
echo "total: $(( $(date +%s) - start )) s for $RUNS rounds"
