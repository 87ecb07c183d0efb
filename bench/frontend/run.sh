#!/bin/sh
# bench/frontend/run.sh - how the front end scales: generated policies of
# 25,000 to 200,000 lines checked by 'mmpc --check', each size run 5 times
# (median), reporting time, peak memory, and the ratio of each size to the
# one half its size (linear scaling shows as 2.0).
#   bench/frontend/run.sh [MMPC]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
MMPC=${1:-$here/../../mmpc}
[ -x "$MMPC" ] || { echo "build mmpc first (scripts/build.sh)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install time" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -o "$tmp/genpolicy" "$here/genpolicy.c"
# The machine, before any result: figures differ tenfold between machines.
sh "$here/../machine/machine.sh"

median() { sort -n | sed -n 3p; }
printf '%8s %10s %10s %9s %9s %12s\n' lines seconds "peak KiB" "t ratio" "m ratio" "lines/s"
prev_t= prev_m=
for n in 25000 50000 100000 200000; do
	"$tmp/genpolicy" "$n" >"$tmp/p.mmp"
	"$MMPC" --check -Werror "$tmp/p.mmp" || { echo "generated policy does not check cleanly" >&2; exit 1; }
	: >"$tmp/t" ; : >"$tmp/m"
	for _ in 1 2 3 4 5; do
		/usr/bin/time -f '%e %M' -o "$tmp/one" "$MMPC" --check "$tmp/p.mmp"
		cut -d' ' -f1 "$tmp/one" >>"$tmp/t"
		cut -d' ' -f2 "$tmp/one" >>"$tmp/m"
	done
	t=$(median <"$tmp/t") m=$(median <"$tmp/m")
	tr=- mr=-
	[ -n "$prev_t" ] && tr=$(awk -v a="$t" -v b="$prev_t" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
	[ -n "$prev_m" ] && mr=$(awk -v a="$m" -v b="$prev_m" 'BEGIN { printf "%.2f", a / b }')
	rate=$(awk -v n="$n" -v t="$t" 'BEGIN { printf "%.0f", (t > 0 ? n / t : 0) }')
	printf '%8s %10s %10s %9s %9s %12s\n' "$n" "$t" "$m" "$tr" "$mr" "$rate"
	prev_t=$t prev_m=$m
done
