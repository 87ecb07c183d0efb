#!/bin/sh
# bench/builds/run.sh OLD NEW ROUNDS -- COMMAND [ARG]... - one benchmark
# with two builds of mmp side by side: COMMAND runs ROUNDS times with
# each build, interleaved, the order rotated every round, each run with
# MMP and MMPC set to that build's binaries (the benchmarks under bench/
# take MMP; COMMAND may use "$MMP" itself, e.g. in MMP_CMD). OLD and NEW
# are build trees (a checkout after scripts/build.sh). Each run's output
# goes to bench/builds/out/LABEL-ROUND.txt, LABEL being old or new; the
# last lines of each are printed, for the figures to be read side by side.
# Example: bench/builds/run.sh /tmp/old . 3 -- env VARIANTS=mmp bench/oom/run.sh 1
set -eu
[ $# -ge 5 ] && [ "$4" = -- ] || { echo "usage: $0 OLD NEW ROUNDS -- COMMAND [ARG]..." >&2; exit 2; }
old=$(cd "$1" && pwd) new=$(cd "$2" && pwd) rounds=$3
shift 4
case $rounds in '' | *[!0-9]* | 0) echo "run.sh: ROUNDS must be a positive integer" >&2; exit 2 ;; esac
for b in "$old" "$new"; do
	[ -x "$b/mmp" ] && [ -x "$b/mmpc" ] || { echo "run.sh: no mmp and mmpc in $b: run scripts/build.sh there" >&2; exit 2; }
done
out=$(cd "$(dirname "$0")" && pwd)/out
mkdir -p "$out"
echo "old: $old ($(git -C "$old" rev-parse --short HEAD 2>/dev/null || echo '?'))"
echo "new: $new ($(git -C "$new" rev-parse --short HEAD 2>/dev/null || echo '?'))"
r=1
while [ $r -le "$rounds" ]; do
	if [ $((r % 2)) -eq 1 ]; then order="old new"; else order="new old"; fi
	for label in $order; do
		if [ $label = old ]; then b=$old; else b=$new; fi
		echo "== round $r: $label"
		MMP=$b/mmp MMPC=$b/mmpc "$@" >"$out/$label-$r.txt" 2>&1 || echo "(exit $?)"
		tail -n "${BUILDS_TAIL:-8}" "$out/$label-$r.txt"
	done
	r=$((r + 1))
done
