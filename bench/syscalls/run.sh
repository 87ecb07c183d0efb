#!/bin/sh
# bench/syscalls/run.sh [RUNS] - what mmp costs the system calls of the
# processes it does not govern: every program on the machine pays for
# what mmp's BPF side attaches system-wide. The workload is dd copying
# DD_BYTES (3M) a byte at a time, a read(2) and a write(2) a byte, timed
# under each variant, interleaved, the order rotated each round:
#   none   no mmp
#   mmp    'mmp attach' of a policy that governs no process, with a
#          page-size rule (the programs every policy loads)
#   old    the same with the mmp binary MMP_OLD, when set (an older build,
#          to compare with: 5a11f69 followed the system calls with the
#          syscalls tracepoints)
# Prints the machine, then per variant the median seconds and its ratio to
# none. Run as root, with nothing else running.
set -eu
RUNS=${1:-5}
DD_BYTES=${DD_BYTES:-3M}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
MMP=${MMP:-$top/mmp}
die() { echo "run.sh: $*" >&2; exit 1; }
case $RUNS in '' | *[!0-9]* | 0) die "RUNS must be a positive integer, not '$RUNS'" ;; esac
[ "$(id -u)" = 0 ] || die "must run as root (mmp attach)"
[ -x "$MMP" ] || die "no mmp at $MMP: build the project first, or set MMP"
[ -z "${MMP_OLD:-}" ] || [ -x "$MMP_OLD" ] || die "MMP_OLD=$MMP_OLD is not an executable"
tmp=$(mktemp -d)
attached=
cleanup() {
	[ -z "$attached" ] || { kill -INT "$attached" 2>/dev/null; wait "$attached" 2>/dev/null; }
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
printf 'policy nobody { match comm "mmp-bench-none"; region heap = anon;\n  pagesize heap { 4K: 0; 2M: 100; } }\n' \
	>"$tmp/nobody.mmp"

sh "$here/../machine/machine.sh"
now() { date +%s.%N; }
# attach BINARY NAME: runs it on the policy until it says it is attached.
attach() {
	# A cache of its own: the object is the build's, not the other's.
	MMP_CACHE_DIR="$tmp/cache-$2" "$1" attach "$tmp/nobody.mmp" >"$tmp/out" 2>"$tmp/err" &
	attached=$!
	i=0
	until grep -q ' attached; pins in ' "$tmp/err"; do
		i=$((i + 1))
		[ $i -lt 600 ] && kill -0 "$attached" 2>/dev/null || die "$1 attach did not start: $(cat "$tmp/err")"
		sleep 0.1
	done
}
detach() { kill -INT "$attached"; wait "$attached" || true; attached=; }
one() {
	t0=$(now)
	dd if=/dev/zero of=/dev/null bs=1 count="$DD_BYTES" 2>/dev/null
	awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f\n", b - a }'
}
VARIANTS="none mmp"
[ -z "${MMP_OLD:-}" ] || VARIANTS="$VARIANTS old"
echo "dd, $DD_BYTES bytes a byte at a time; $RUNS rounds of $VARIANTS"
for v in $VARIANTS; do : >"$tmp/$v"; done
r=0
while [ "$r" -lt "$RUNS" ]; do
	r=$((r + 1))
	n=$(echo "$VARIANTS" | wc -w)
	order=$(echo "$VARIANTS" | awk -v k=$(( (r - 1) % n )) '{ for (i = 0; i < NF; i++) printf "%s ", $((i + k) % NF + 1) }')
	for v in $order; do
		case $v in mmp) attach "$MMP" new ;; old) attach "$MMP_OLD" old ;; esac
		s=$(one)
		[ -z "$attached" ] || detach
		echo "$s" >>"$tmp/$v"
		echo "  round $r $v: $s s"
	done
done
median() { sort -g "$1" | awk '{ a[NR] = $1 } END { print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
base=$(median "$tmp/none")
printf '%-6s %10s %10s\n' variant "median s" "/none"
for v in $VARIANTS; do
	awk -v v="$v" -v s="$(median "$tmp/$v")" -v b="$base" 'BEGIN { printf "%-6s %10.3f %10.3f\n", v, s, s / b }'
done
