#!/bin/sh
# bench/evict/seqfile.sh [ROUNDS] - dd reading one file larger than its
# memory cgroup, start to end, pass after pass (a loop over a data set
# that does not fit, as a backup or a batch job reads it): the kernel's
# own reclaim against mmp's MRU over 4K pieces (policies/seq-mru.mmp).
# The kernel's LRU evicts the start of the file before the next pass
# reaches it, so every pass reads it all from disk; MRU drops the pages
# just read, and the start stays cached for the next pass. How much it
# keeps depends on how soon mmp drops what was read: a pass at 1 GB/s
# fills the cgroup in a tenth of a second, faster than mmp scores.
#
# One run of a variant: drop the page cache, compact memory, start the
# variant, then 'dd if=FILE of=/dev/null bs=SEQ_BS' SEQ_PASSES (4) times
# in a memory cgroup of SEQ_CGROUP_MB (256) MiB. Pass 1 warms up. FILE is
# SEQ_FILE_MB (512) MiB of random bytes in SEQ_DIR (/var/tmp/mmp-seq, on a
# disk), made once and reused.
#
# Variants, interleaved, the order rotated every round:
#   default   no mmp: the kernel's reclaim in the cgroup
#   mru       'mmp attach policies/seq-mru.mmp': from 90% of the limit,
#             the 4K piece of the file read last goes first
#
# It prints, per variant, the medians over the rounds of: the wall time
# of a pass (each run's median of passes 2 on), its range, default/variant
# of that time, MiB dd read from disk a pass (its read_bytes: dd is this
# shell's child, and a reaped child's I/O is added to its parent's), the
# hit ratio (1 - read / the file's size), what mmp dropped in a run and,
# of that, the pieces read since the last scoring (its exit summary), and
# how often the cgroup hit its limit in a run.
#
# Environment: ROUNDS (3; the first argument wins), SEQ_DIR, SEQ_FILE_MB,
# SEQ_CGROUP_MB, SEQ_PASSES, SEQ_BS (1M), EVICT_DISK_IOPS and
# EVICT_DISK_MBPS (lib.sh's throttle_disk), EVICT_WARM_MIB (lib.sh's
# hold_memory_state), VARIANTS ("default mru"), MMP (the mmp binary).
# Takes the lock of the kernel tests (/tmp/mmp-kernel-tests.lock); the
# cgroup and mmp are removed and stopped on exit, failure, Ctrl-C or
# SIGTERM; the file is kept. Run as root, after a build (make -j2).
set -eu
ROUNDS=${1:-${ROUNDS:-3}}
SEQ_DIR=${SEQ_DIR:-/var/tmp/mmp-seq}
FILE_MB=${SEQ_FILE_MB:-512}
CG_MB=${SEQ_CGROUP_MB:-256}
PASSES=${SEQ_PASSES:-4}
BS=${SEQ_BS:-1M}
VARIANTS=${VARIANTS:-default mru}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

check_rounds
case $FILE_MB$CG_MB$PASSES in '' | *[!0-9]*) die "SEQ_FILE_MB, SEQ_CGROUP_MB and SEQ_PASSES are whole numbers" ;; esac
[ "$FILE_MB" -gt "$CG_MB" ] || die "the file ($FILE_MB MiB) must be larger than the cgroup ($CG_MB MiB)"
[ "$PASSES" -ge 2 ] || die "SEQ_PASSES must be at least 2 (pass 1 is a warm-up)"
[ "$(id -u)" = 0 ] || die "must run as root (it makes a memory cgroup and drops the page cache)"
command -v flock >/dev/null || die "needs flock (util-linux)"
check_variants mru
find_memcg
check_on_disk "$SEQ_DIR" SEQ_DIR
SEQ_DIR=$(cd "$SEQ_DIR" && pwd)
file=$SEQ_DIR/data.bin

tmp=$(mktemp -d)
cg='' pid='' mpid=''
on_exit cleanup
take_lock
sh "$here/../machine/machine.sh"
hold_memory_state

size=$(stat -c %s "$file" 2>/dev/null || echo 0)
if [ "$size" != $((FILE_MB * 1048576)) ]; then
	echo "making $file: $FILE_MB MiB of random bytes"
	head -c $((FILE_MB * 1048576)) /dev/urandom >"$file.tmp" && mv "$file.tmp" "$file"
	sync
	size=$(stat -c %s "$file")
fi

make_cg "mmp-seqbench-$$" "$CG_MB"
throttle_disk "$SEQ_DIR"
sed "s|/var/tmp/mmp-seq/|$SEQ_DIR/|" "$here/policies/seq-mru.mmp" >"$tmp/seq-mru.mmp"

# run_variant VARIANT: one run; appends "secs read dropped fresh hits" to
# $tmp/VARIANT.res and prints a line.
run_variant() {
	v=$1
	drop_caches
	[ "$v" = default ] || start_mmp "$tmp/seq-mru.mmp" "mmp-seqbench-$$"
	h0=$(limit_hits)
	ts='' rds='' all='' p=0
	while [ $p -lt "$PASSES" ]; do
		p=$((p + 1))
		t0=$(date +%s.%N) r0=$(read_bytes)
		run_in_cg dd if="$file" of=/dev/null bs="$BS" 2>"$tmp/dd.err"
		[ "$rc" = 0 ] || die "dd failed: $(cat "$tmp/dd.err")"
		t1=$(date +%s.%N) r1=$(read_bytes)
		secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
		all="$all $secs s/$(mib $((r1 - r0)))"
		[ $p = 1 ] || ts="$ts $secs" rds="$rds $((r1 - r0))"
	done
	hits=$(( $(limit_hits) - h0 ))
	dropped=- fresh=- note=''
	[ "$v" = default ] || mmp_result 'seq_mru\.data'
	# shellcheck disable=SC2086 # lists of numbers
	res="$(median_of $ts) $(median_of $rds) $dropped $fresh $hits"
	echo "$res" >>"$tmp/$v.res"
	# shellcheck disable=SC2086 # five fields
	set -- $res
	printf '  %-8s passes (s/MiB read):%s  median %s s, %s MiB read, limit hit %s times  mmp dropped %s MiB (%s MiB read since the last scoring)%s\n' \
		"$v" "$all" "$1" "$(mib "$2")" "$5" "$(mib "$3")" "$(mib "$4")" "$note"
}

echo "seqfile: $ROUNDS rounds of: $VARIANTS; 'dd bs=$BS' over $(mib "$size") MiB, $PASSES passes a run (pass 1 warms up), cgroup v$cgv limit $cg_mib MiB; $disk_note"
start=$(date +%s)
rounds

echo
echo "medians of $ROUNDS rounds; a pass is 'dd bs=$BS' over $(mib "$size") MiB in $cg_mib MiB; $disk_note:"
echo
echo "| variant | pass wall s | range | default/variant | MiB read from disk a pass | hit ratio | mmp dropped MiB a run | of it read since the last scoring | limit hits a run |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
base=$(median "$tmp/default.res" 1)
for v in $VARIANTS; do
	f=$tmp/$v.res
	awk -v v="$v" -v t="$(median "$f" 1)" -v b="$base" -v rg="$(range "$f" 1 3)" -v rd="$(median "$f" 2)" \
		-v dr="$(median "$f" 3)" -v fr="$(median "$f" 4)" -v lh="$(median "$f" 5)" -v sz="$size" 'BEGIN {
		ratio = (b == "-" || t + 0 == 0) ? "-" : sprintf("%.2fx", b / t)
		m = 1048576
		printf "| %s | %.3f | %s | %s | %.0f | %.1f%% | %s | %s | %s |\n", v, t, rg, ratio, rd / m, 100 * (1 - rd / sz),
			dr == "-" ? "-" : sprintf("%.0f", dr / m), fr == "-" ? "-" : sprintf("%.0f", fr / m), lh }'
done
echo "total: $(( $(date +%s) - start )) s for $ROUNDS rounds"
