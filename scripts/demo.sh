#!/bin/sh
# demo.sh - mmp on a real workload, in well under a minute: a GUPS-style
# workload (random updates, 9 in 10 to a hot table) runs without a policy
# and then under 'mmp run examples/gups-hot.mmp', which backs the hot table
# alone with 2M pages. Needs root and a built tree (scripts/build.sh).
set -eu
cd "$(dirname "$0")/.."
HOT=${DEMO_HOT:-512M} COLD=${DEMO_COLD:-1G} UPDATES=${DEMO_UPDATES:-40M}
GUPS="./bench/gups/gups --hot=$HOT --cold=$COLD --updates=$UPDATES"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" "$2"; }

echo "== demo: GUPS with a hot $HOT table and a cold $COLD table, $UPDATES updates =="
echo "-- without a policy (THP is '$(sed 's/.*\[\(.*\)\].*/\1/' /sys/kernel/mm/transparent_hugepage/enabled)' here):"
$GUPS >"$tmp/base" 2>/dev/null
cat "$tmp/base"
echo "-- under: mmp run examples/gups-hot.mmp -- gups ..."
# --wait-huge: the workload waits (untimed) until the hot table is collapsed.
./mmp run examples/gups-hot.mmp -- $GUPS --wait-huge=$(( $(echo "$HOT" | tr -d M) * 15 / 16 ))M >"$tmp/mmp" 2>"$tmp/mmp.err" || {
	cat "$tmp/mmp.err"; exit 1; }
grep -v '^gups:' "$tmp/mmp.err" | sed 's/^/   /'
cat "$tmp/mmp"
t0=$(field seconds "$tmp/base") t1=$(field seconds "$tmp/mmp")
echo
echo "== what the policy did =="
awk -v t0="$t0" -v t1="$t1" -v hot="$(field hot_huge_kb "$tmp/mmp")" -v cold="$(field cold_huge_kb "$tmp/mmp")" 'BEGIN {
	printf "hot table in 2M pages: %d MiB; cold table: %d MiB (left at 4K, as the profile asks)\n", hot / 1024, cold / 1024
	printf "update phase: %.2f s without the policy, %.2f s with it: %.2fx as fast\n", t0, t1, (t1 > 0 ? t0 / t1 : 0)
}'
