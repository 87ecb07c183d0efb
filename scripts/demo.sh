#!/bin/sh
# demo.sh - mmp on a real workload, in well under a minute. Needs root and
# a built tree (scripts/build.sh).
#
# The workload is bench/gups/gups: random updates, nearly all of them
# (99.9%) to a hot 256 MiB table and the rest to a cold 768 MiB one, with
# two forks in the middle, each of a child that exits at once (as a server
# does that spawns a helper or takes a quick snapshot). A fork
# write-protects every page of the process, so the next write to each page
# takes a fault: 512 of them for 2M of 4K pages, one for a 2M page.
#
# Three variants, each started from the same memory state (memory
# compacted, caches dropped), in an order that rotates:
#   4K          gups --no-hugepage: 4K pages only
#   reference   gups --madvise-hugepage: huge pages for the whole process,
#               what 2M pages can give on this machine
#   mmp         mmp run examples/gups-hot.mmp: 2M pages for the hot table
#               alone, collapsed from outside the process once its chunks
#               take faults; gups waits (untimed) until they are
# Only the update phase (updates and forks) is timed. The demo reports
# mmp's share of the reference's gain; where the reference gains nothing,
# it says so and shows only what the policy did, read from smaps.
#
# Environment: DEMO_HOT (256M), DEMO_COLD (768M), DEMO_UPDATES (20M),
# DEMO_HOT_FRAC (0.999), DEMO_FORKS (2; 0 for plain GUPS, where 2M pages
# gain nothing on the project's VMs), DEMO_ROUNDS (1; medians over more).
# One round takes 13 to 20 s on the project's 2-CPU VMs.
set -eu
cd "$(dirname "$0")/.."
HOT=${DEMO_HOT:-256M} COLD=${DEMO_COLD:-768M} UPDATES=${DEMO_UPDATES:-20M}
HOT_FRAC=${DEMO_HOT_FRAC:-0.999} FORKS=${DEMO_FORKS:-2} ROUNDS=${DEMO_ROUNDS:-1}
POLICY=examples/gups-hot.mmp
THP=/sys/kernel/mm/transparent_hugepage/enabled

die() { echo "demo.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (mmp loads BPF programs; memory is compacted between runs)"
[ -x ./mmp ] && [ -x ./bench/gups/gups ] || die "build first: scripts/build.sh"
case $ROUNDS in '' | *[!0-9]* | 0) die "DEMO_ROUNDS must be a positive integer" ;; esac
mib() { # SIZE with a K/M/G suffix, in MiB
	case $1 in
	*[gG]) echo $((${1%?} * 1024)) ;; *[mM]) echo "${1%?}" ;; *[kK]) echo $((${1%?} / 1024)) ;;
	*) echo $(($1 / 1048576)) ;;
	esac
}
hot_mib=$(mib "$HOT") cold_mib=$(mib "$COLD")
avail_mib=$(($(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo) / 1024))
[ "$avail_mib" -ge $((hot_mib + cold_mib + 1024)) ] ||
	die "needs $((hot_mib + cold_mib + 1024)) MiB of available memory, only $avail_mib MiB available"
thp=$(sed -n 's/.*\[\([a-z]*\)\].*/\1/p' "$THP" 2>/dev/null || true)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
GUPS="./bench/gups/gups --hot=$HOT --cold=$COLD --updates=$UPDATES --hot-frac=$HOT_FRAC --forks=$FORKS"

echo "== demo: huge pages for the hot part of a process only =="
MACHINE_FAULT_MIB=64 MACHINE_FAULT_PASSES=3 sh bench/machine/machine.sh
echo
echo "workload: random updates, $(awk -v f="$HOT_FRAC" 'BEGIN { printf "%g", f * 100 }')% to a hot $HOT table, the rest to a cold $COLD one;"
if [ "$FORKS" -gt 0 ]; then
	echo "$UPDATES updates with $FORKS forks among them (each child exits at once). After a fork"
	echo "every page is write-protected: the next write to a 4K page is a fault, and"
	echo "a 2M page takes one fault for 512 of them."
else
	echo "$UPDATES updates, no forks."
fi
case $thp in
always) echo "note: THP is 'always' here, so the mmp variant gets huge pages at fault from the kernel too." ;;
never) echo "note: THP is 'never' here: the reference gets no huge pages (mmp's collapse still works)." ;;
esac

# settle: the same memory state before each variant. How fast a run fills
# its memory, and whether it gets huge pages, depends on what ran before.
settle() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	echo 1 >/proc/sys/vm/compact_memory
}

# run VARIANT: one run; appends "seconds faults hot_mib cold_mib" to
# $tmp/VARIANT.
run() {
	settle
	rc=0
	case $1 in
	4k) $GUPS --no-hugepage >"$tmp/out" 2>"$tmp/err" || rc=$? ;;
	ref) $GUPS --madvise-hugepage >"$tmp/out" 2>"$tmp/err" || rc=$? ;;
	mmp)
		# --wait-huge: the workload waits, untimed, until the hot table is
		# (nearly all) collapsed.
		./mmp run "$POLICY" -- $GUPS --wait-huge=$((hot_mib * 15 / 16))M --wait-timeout=20 \
			>"$tmp/out" 2>"$tmp/err" || rc=$?
		# what mmp chose for each region (its counts at exit are left out:
		# the smaps figures below say what ended in huge pages)
		grep "^mmp: gups\.[a-z]*: [24][MK] pages" "$tmp/err" >"$tmp/mmp.said" || true ;;
	esac
	line=$(grep '^seconds=' "$tmp/out" || true)
	if [ "$rc" != 0 ] || [ -z "$line" ]; then
		echo "demo.sh: the $1 run failed (exit status $rc):" >&2
		cat "$tmp/out" "$tmp/err" >&2
		exit 1
	fi
	grep -i warning "$tmp/err" >&2 || true
	echo "$line" | awk '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		printf "%s %d %d %d\n", f["seconds"], f["faults"], f["hot_huge_kb"] / 1024, f["cold_huge_kb"] / 1024 }' >>"$tmp/$1"
}

# The first variant of the first round rotates from one run of the demo to
# the next; within a run, by one each round.
start=$(($(date +%s) % 3))
r=0
while [ "$r" -lt "$ROUNDS" ]; do
	order=$(echo "4k ref mmp" | awk -v k=$(((start + r) % 3)) '{ for (i = 0; i < NF; i++) printf "%s ", $((i + k) % NF + 1) }')
	r=$((r + 1))
	echo "round $r/$ROUNDS: $order" | sed 's/ref/reference/'
	for v in $order; do run "$v"; done
done

# median VARIANT COLUMN
median() {
	cut -d' ' -f"$2" "$tmp/$1" | sort -g | awk '{ a[NR] = $1 } END {
		print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
echo
[ "$ROUNDS" = 1 ] || echo "(medians of $ROUNDS rounds)"
printf '%-36s %13s %9s %19s\n' "variant" "update phase" "faults" "in 2M pages: hot, cold"
for v in 4k ref mmp; do
	case $v in
	4k) name="4K pages" ;;
	ref) name="huge pages everywhere (reference)" ;;
	mmp) name="mmp run $POLICY" ;;
	esac
	printf '%-36s %11.2f s %9d %10d MiB %5d MiB\n' "$name" "$(median $v 1)" "$(median $v 2)" "$(median $v 3)" "$(median $v 4)"
done
echo
echo "what mmp said:"
sed 's/^mmp: /  /' "$tmp/mmp.said"
echo
awk -v t4="$(median 4k 1)" -v tr="$(median ref 1)" -v tm="$(median mmp 1)" \
	-v rh="$(median ref 3)" -v rc="$(median ref 4)" -v mh="$(median mmp 3)" -v mc="$(median mmp 4)" \
	-v hot="$hot_mib" -v cold="$cold_mib" 'BEGIN {
	if (tr <= 0 || tm <= 0) exit 1
	# Below 10%, a gain is within this kind of machine'"'"'s spread from run to run.
	if (t4 / tr < 1.10) {
		printf "Huge pages for the whole process %s on this machine\n", t4 / tr < 0.95 ? "made this workload slower" : "gained nothing measurable"
		printf "(%.2f s against %.2f s with 4K pages), so there is no speedup here for mmp to\n", tr, t4
		printf "claim either (mmp: %.2f s). What the policy did: it put %d of the hot table'"'"'s\n", tm, mh
		printf "%d MiB in 2M pages and left the cold table at 4K (%d MiB in 2M pages), as\n", hot, mc
		printf "read from the process'"'"'s smaps. The reference used %d MiB of huge pages.\n", rh + rc
		exit
	}
	printf "huge pages everywhere: %.2fx as fast as 4K pages, with %d MiB of huge pages.\n", t4 / tr, rh + rc
	printf "mmp: %.2fx as fast as 4K pages, with %d MiB of huge pages (hot %d of %d MiB,\n", t4 / tm, mh + mc, mh, hot
	printf "cold %d of %d MiB): %.0f%% of the reference'"'"'s gain.\n", mc, cold, (t4 - tm) / (t4 - tr) * 100
}'
