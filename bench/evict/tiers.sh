#!/bin/sh
# bench/evict/tiers.sh [ROUNDS] - a database read at random while a log
# scanner reads files larger than the memory cgroup they share: the
# kernel's reclaim against a policy that scores the logs 0 and the
# database 1 (policies/tiers.mmp), the shape of a new user's trial.
#
# One run of a variant: drop the page cache, compact memory, start the
# variant, then in a memory cgroup of TIERS_CGROUP_MB (256) MiB: fio
# reads the database (TIERS_DB_MB, 80 MiB) at random, 4K a read, for
# TIERS_SECONDS (20); once the database is cached, cat reads the logs
# (5 files of TIERS_LOG_MB, 80 MiB) from start to end, TIERS_PASSES (3)
# times. The figures: fio's reads a second over its run, the database's
# share in the page cache right after the scans (fincore), what mmp
# dropped of each, and how often the cgroup hit its limit.
#
# Variants, interleaved, the order rotated every round:
#   default   no mmp: the kernel's reclaim in the cgroup
#   mmp       'mmp attach policies/tiers.mmp' for the whole run: while
#             the cgroup is at 90% of its limit or more, drop the logs
#             first (score 0), the database (score 1) only where they
#             do not suffice
#   bystander the same policy matching cat only: fio is a process mmp
#             does not govern, reading a file no governed process read,
#             and pays only the hooks' look at each read
#
# Environment: ROUNDS (3; the first argument wins), TIERS_DIR
# (/var/tmp/mmp-tiers), TIERS_CGROUP_MB, TIERS_DB_MB, TIERS_LOG_MB,
# TIERS_SECONDS, TIERS_PASSES (0: fio alone, what watching its reads
# costs), EVICT_WARM_MIB (lib.sh's hold_memory_state), EVICT_BPF_STATS
# (1: each mmp run also says what its file hooks cost a call, lib.sh's
# bpf_stats_on), VARIANTS
# ("default mmp"), MMP (the mmp binary). Installs fio if missing. Takes
# the lock of the kernel tests (/tmp/mmp-kernel-tests.lock); the cgroup
# and mmp are removed and stopped on exit, failure, Ctrl-C or SIGTERM;
# the files are kept. Run as root, after a build (make -j2).
set -eu
ROUNDS=${1:-${ROUNDS:-3}}
TIERS_DIR=${TIERS_DIR:-/var/tmp/mmp-tiers}
CG_MB=${TIERS_CGROUP_MB:-256}
DB_MB=${TIERS_DB_MB:-80}
LOG_MB=${TIERS_LOG_MB:-80}
SECONDS_=${TIERS_SECONDS:-20}
PASSES=${TIERS_PASSES:-3}
VARIANTS=${VARIANTS:-default mmp}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

check_rounds
case $CG_MB$DB_MB$LOG_MB$SECONDS_$PASSES in '' | *[!0-9]*) die "TIERS_CGROUP_MB, TIERS_DB_MB, TIERS_LOG_MB, TIERS_SECONDS and TIERS_PASSES are whole numbers" ;; esac
[ "$DB_MB" -lt "$CG_MB" ] || die "the database ($DB_MB MiB) must fit in the cgroup ($CG_MB MiB)"
[ "$(id -u)" = 0 ] || die "must run as root (it makes a memory cgroup and drops the page cache)"
command -v flock >/dev/null || die "needs flock (util-linux)"
command -v fincore >/dev/null || die "needs fincore (util-linux)"
check_variants mmp bystander
find_memcg
command -v fio >/dev/null || apt_install fio
check_on_disk "$TIERS_DIR" TIERS_DIR
TIERS_DIR=$(cd "$TIERS_DIR" && pwd)
db=$TIERS_DIR/db/app.db

tmp=$(mktemp -d)
cg='' pid='' mpid=''
on_exit cleanup
take_lock
bpf_stats_on
sh "$here/../machine/machine.sh"
hold_memory_state

# make FILE MIB: FILE of MIB MiB of random bytes, unless it is there.
make_file() {
	[ "$(stat -c %s "$1" 2>/dev/null || echo 0)" = $(($2 * 1048576)) ] && return
	mkdir -p "$(dirname "$1")"
	head -c $(($2 * 1048576)) /dev/urandom >"$1.tmp" && mv "$1.tmp" "$1"
}
make_file "$db" "$DB_MB"
for i in 1 2 3 4 5; do make_file "$TIERS_DIR/logs/app$i.log" "$LOG_MB"; done
sync

make_cg "mmp-tiersbench-$$" "$CG_MB"
sed "s|/var/tmp/mmp-tiers/|$TIERS_DIR/|" "$here/policies/tiers.mmp" >"$tmp/mmp.mmp"
sed 's|match comm "fio" or comm "cat";|match comm "cat";|' "$tmp/mmp.mmp" >"$tmp/bystander.mmp"
grep -q 'match comm "cat";' "$tmp/bystander.mmp" || die "policies/tiers.mmp's match line changed: update the bystander variant"

# The workload, in the cgroup: fio for SECONDS_, cat over the logs PASSES
# times from the moment the database is cached (30 s at most). Prints
# "iops=N cached=BYTES", the database's bytes cached after the scans.
cat >"$tmp/workload.sh" <<'EOS'
db=$1 logs=$2 secs=$3 passes=$4 out=$5
fio --name=db --filename="$db" --rw=randread --bs=4k --ioengine=psync --invalidate=0 \
	--time_based --runtime="$secs" --output-format=terse --terse-version=3 >"$out" 2>&1 &
f=$!
i=0
until [ "$(fincore -b -n -o RES "$db" 2>/dev/null || echo 0)" -ge "$(( $(stat -c %s "$db") * 95 / 100 ))" ] || [ $i -ge 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
p=0
while [ $p -lt "$passes" ]; do
	cat "$logs"/*.log >/dev/null
	p=$((p + 1))
done
cached=$(fincore -b -n -o RES "$db")
wait "$f"
# terse v3: field 8 is the read IOPS
echo "iops=$(cut -d';' -f8 "$out") cached=$cached"
EOS

# run_variant VARIANT: one run; appends "iops db_cached_pct db_dropped
# logs_dropped hits" to $tmp/VARIANT.res and prints a line.
run_variant() {
	v=$1
	drop_caches
	[ "$v" = default ] || start_mmp "$tmp/$v.mmp" "mmp-tiersbench-$$"
	h0=$(limit_hits)
	run_in_cg sh "$tmp/workload.sh" "$db" "$TIERS_DIR/logs" "$SECONDS_" "$PASSES" "$tmp/fio.out" >"$tmp/w.out" 2>&1
	[ "$rc" = 0 ] || die "the workload failed: $(tail -n 5 "$tmp/w.out")"
	hits=$(( $(limit_hits) - h0 ))
	pct=$(awk -v c="$(field "$(cat "$tmp/w.out")" cached)" -v s="$(stat -c %s "$db")" 'BEGIN { printf "%.0f", 100 * c / s }')
	iops=$(field "$(cat "$tmp/w.out")" iops)
	dbd=- logd=- note=''
	if [ "$v" != default ]; then
		mmp_result 'tiers\.db'
		dbd=$dropped
		logd=$(sed -n 's/.*tiers\.logs: \([0-9]*\) bytes evicted.*/\1/p' "$tmp/mmp.log" | tail -n 1)
	fi
	res="$iops $pct $dbd ${logd:--} $hits"
	echo "$res" >>"$tmp/$v.res"
	printf '  %-8s fio %s reads/s, the database %s%% cached after the scans, limit hit %s times  mmp dropped %s MiB of the database, %s MiB of the logs%s\n' \
		"$v" "$iops" "$pct" "$hits" "$(mib "$dbd")" "$(mib "${logd:--}")" "$note"
}

echo "tiers: $ROUNDS rounds of: $VARIANTS; fio randread 4K over $DB_MB MiB for $SECONDS_ s beside cat over 5 x $LOG_MB MiB of logs $PASSES times, cgroup v$cgv limit $cg_mib MiB"
start=$(date +%s)
rounds

echo
echo "medians of $ROUNDS rounds; fio reads a database of $DB_MB MiB at random for $SECONDS_ s while cat scans 5 x $LOG_MB MiB of logs $PASSES times, in $cg_mib MiB:"
echo
echo "| variant | fio reads/s | range | x default | database cached after the scans | mmp dropped of the database, MiB | of the logs, MiB | limit hits a run |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
base=$(median "$tmp/default.res" 1)
for v in $VARIANTS; do
	f=$tmp/$v.res
	awk -v v="$v" -v t="$(median "$f" 1)" -v b="$base" -v rg="$(range "$f" 1 0)" -v pc="$(median "$f" 2)" \
		-v dd="$(median "$f" 3)" -v ld="$(median "$f" 4)" -v lh="$(median "$f" 5)" 'BEGIN {
		ratio = (b == "-" || b + 0 == 0) ? "-" : sprintf("%.2fx", t / b)
		m = 1048576
		printf "| %s | %.0f | %s | %s | %s%% | %s | %s | %s |\n", v, t, rg, ratio, pc,
			dd == "-" ? "-" : sprintf("%.0f", dd / m), ld == "-" ? "-" : sprintf("%.0f", ld / m), lh }'
done
echo "total: $(( $(date +%s) - start )) s for $ROUNDS rounds"
