#!/bin/sh
# bench/startup/run.sh - time from starting the tool to its programs being
# attached: both mmp run and bpftrace -c start their command only once
# attached, so a command that prints the clock marks that moment.
# Variants, interleaved, RUNS times each (default 15; median reported):
#   mmp-object  mmp run POLICY.bpf.o -- CMD   (a compiled object: no clang)
#   mmp-source  mmp run POLICY.mmp -- CMD     (a source, compiled object cached)
#   mmp-cold    the same with an empty cache  (runs mmpc and clang)
#   bpftrace    bpftrace -e 'tracepoint:exceptions:page_fault_user { @[comm] = count(); }' -c CMD
# Run as root from the top of the tree after scripts/build.sh.
set -eu
RUNS=${1:-15}
top=$(cd "$(dirname "$0")/../.." && pwd)
MMP=$top/mmp
POLICY=$top/tests/kernel/hotcold.mmp
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
command -v bpftrace >/dev/null || { echo "needs bpftrace (apt-get install bpftrace)" >&2; exit 1; }
# The machine, before any result: figures differ tenfold between machines.
sh "$top/bench/machine/machine.sh"
"$top/mmpc" "$POLICY" -o "$tmp/policy.bpf.o"
export MMP_CACHE_DIR="$tmp/cache"
"$MMP" run "$POLICY" -- /bin/true 2>/dev/null   # fill the cache for mmp-source

clock() { date +%s%N; }
one() { # VARIANT: prints the milliseconds from start to attached
	case $1 in
	mmp-object) t0=$(clock); t1=$("$MMP" run "$tmp/policy.bpf.o" -- /usr/bin/date +%s%N 2>/dev/null) ;;
	mmp-source) t0=$(clock); t1=$("$MMP" run "$POLICY" -- /usr/bin/date +%s%N 2>/dev/null) ;;
	mmp-cold) rm -rf "$tmp/cold"; t0=$(clock); t1=$(MMP_CACHE_DIR="$tmp/cold" "$MMP" run "$POLICY" -- /usr/bin/date +%s%N 2>/dev/null) ;;
	bpftrace) t0=$(clock); t1=$(bpftrace -e 'tracepoint:exceptions:page_fault_user { @[comm] = count(); }' \
		-c '/usr/bin/date +%s%N' 2>/dev/null | grep -E '^[0-9]{19}$') ;;
	esac
	echo $(( (t1 - t0) / 1000000 ))
}
for v in mmp-object mmp-source mmp-cold bpftrace; do : >"$tmp/$v"; done
for _ in $(seq "$RUNS"); do
	for v in mmp-object mmp-source mmp-cold bpftrace; do one $v >>"$tmp/$v"; done
done
median() { sort -n "$1" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
b=$(median "$tmp/bpftrace")
printf '%-12s %10s %10s %10s %12s\n' variant "median ms" "min ms" "max ms" "vs bpftrace"
for v in mmp-object mmp-source mmp-cold bpftrace; do
	m=$(median "$tmp/$v")
	printf '%-12s %10s %10s %10s %12s\n' "$v" "$m" "$(sort -n "$tmp/$v" | head -1)" "$(sort -n "$tmp/$v" | tail -1)" \
		"$(awk -v a="$m" -v b="$b" 'BEGIN { printf "%.2f", a / b }')"
done
