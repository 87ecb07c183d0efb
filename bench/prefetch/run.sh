#!/bin/sh
# bench/prefetch/run.sh [ROUNDS] - mmp's prefetch rules against the kernel's
# readahead, on cold files and on swapped-out anonymous memory.
#
# Part 1, files. A 256 MiB file of random bytes on an ext4 filesystem that
# the benchmark makes in an image file and mounts through its own loop
# device (direct I/O to the image, so that the image's own page cache does
# not serve the reads). Before every run the file's page cache is dropped
# (posix_fadvise DONTNEED on that file only). pfreader.c reads one byte of
# each page it visits, through mmap, in one of six patterns:
#   fwd   every page, forward          bwd   every page, from the end
#   s4    every 4th page, forward      s16   every 16th     s64  every 64th
#   rand  one page in 16, at random (the same pages every run); run
#         RAND_REPS (3) times a round, as it varies the most
# under six variants:
#   default      the kernel's read-around, no hint
#   madv-random  MADV_RANDOM            madv-seq   MADV_SEQUENTIAL
#   mmp-seq      mmp run, pattern sequential; degree 64; distance 2
#   mmp-stride   mmp run, pattern stride; degree 16; distance 1
#   mmp-leap     mmp run, pattern leap; degree 16; window 8
# (the mmp variants give no hint: mmp on top of the kernel's default), at
# two read-ahead settings of the loop device: the one of the disk that
# holds the image (8 MiB on the project's machines; the disk itself is
# never changed) and 128 KiB (RA_SMALL_KB). Reported: the reading's time,
# its major faults, the pages read per page touched (the file's pages in
# the page cache after the reading, by mincore, over the distinct pages
# touched: what the kernel and mmp read, together), and for mmp its own
# accuracy (used / asked for) and coverage ((used - late) / (used - late +
# major faults)).
#
# Part 2, anonymous memory, on zram (/sys/block/zram0, if it is not in
# use) and on a swap file, each set up for the part and torn down after.
# pfanon.c joins a cgroup v1 memory cgroup limited to 256 MiB, fills 1 GiB
# (about 770 MiB of it goes to swap), then scans it, timed, in one of three
# ways: every page forward (fwd), every 16th page (s16), and every page
# forward with WORK_NS (4000) ns of computing per page (work), as a scan
# that does something with what it reads. Variants:
#   none   no prefetching
#   ideal  pfhelper.c, started with the scan: it is told the mapping and
#          the stride and asks for every page in order, 256 a call, with
#          process_madvise(WILLNEED); the best a helper process can do here
#   mmp    mmp attach (once the fill is done, so that its figures are the
#          scan's) with: pattern stride; degree 256; distance 3; limit 4G/s.
#   mmp-far  the same with distance 15: 4096 pages (16 MiB) ahead.
#
# Each round runs every variant of a cell one after the other, in an order
# rotated from round to round; the medians over ROUNDS (default 3) are
# reported, with ratios against the kernel's default. Runs take the lock of
# the kernel tests (/tmp/mmp-kernel-tests.lock) one round at a time.
# Environment: MMP (default ../../mmp), FILE_MIB (256), ANON_MIB (1024),
# LIMIT_MIB (256), RA_SMALL_KB (128), RA_DEFAULT_KB (the image's disk's),
# RAND_REPS (3), WORK_NS (4000), FILE_PATTERNS (the six, or some of them),
# PARTS ("file anon"), BACKENDS ("zram swapfile"), KEEP=1 keeps the raw
# results in bench/prefetch/out/. Everything set up (loop device, mount,
# zram, swap file, cgroup) is undone on exit, failure, Ctrl-C or SIGTERM.
# Run as root.
set -eu
ROUNDS=${1:-3}
here=$(cd "$(dirname "$0")" && pwd)
MMP=${MMP:-$here/../../mmp}
FILE_MIB=${FILE_MIB:-256}
ANON_MIB=${ANON_MIB:-1024}
LIMIT_MIB=${LIMIT_MIB:-256}
RA_SMALL_KB=${RA_SMALL_KB:-128}
RAND_REPS=${RAND_REPS:-3}
WORK_NS=${WORK_NS:-4000}
PARTS=${PARTS:-file anon}
BACKENDS=${BACKENDS:-zram swapfile}
TAG=mmp-pfbench-$$
POL_SEQ='pattern sequential; degree 64; distance 2;'
POL_STRIDE='pattern stride; degree 16; distance 1;'
POL_LEAP='pattern leap; degree 16; window 8;'
POL_ANON='pattern stride; degree 256; distance 3; limit 4G/s;'
POL_ANON_FAR='pattern stride; degree 256; distance 15; limit 4G/s;'
FILE_PATTERNS=${FILE_PATTERNS:-fwd bwd s4 s16 s64 rand}
FILE_VARIANTS="default madv-random madv-seq mmp-seq mmp-stride mmp-leap"

me=run.sh
die() { echo "$me: $*" >&2; exit 1; }
# The loop device, the rotation, mmp's summary: shared with fio.sh.
. "$here/lib.sh"
case $ROUNDS in '' | *[!0-9]* | 0) die "ROUNDS must be a positive integer, not '$ROUNDS'" ;; esac
for v in FILE_MIB ANON_MIB LIMIT_MIB RA_SMALL_KB RAND_REPS WORK_NS; do
	eval "x=\$$v"
	case $x in '' | *[!0-9]* | 0) die "$v must be a positive integer, not '$x'" ;; esac
done
for p in $FILE_PATTERNS; do
	case $p in fwd | bwd | s4 | s16 | s64 | rand) ;; *) die "unknown pattern '$p' in FILE_PATTERNS (fwd bwd s4 s16 s64 rand)" ;; esac
done
[ "$(id -u)" = 0 ] || die "must run as root (loop devices, mounts, swap, cgroups)"
command -v cc >/dev/null || die "needs a C compiler (cc)"
for c in losetup mkfs.ext4 blockdev mkswap swapon swapoff flock fallocate; do
	command -v $c >/dev/null || die "needs $c"
done
[ -x "$MMP" ] || die "no mmp at $MMP (build it with make, or set MMP)"
MMP=$(cd "$(dirname "$MMP")" && pwd)/$(basename "$MMP")

# The work directory is on a disk (not tmpfs): the loop image and the swap
# file live there.
tmp=$(mktemp -d /var/tmp/mmp-pfbench.XXXXXX)
out=$tmp/results
[ "${KEEP:-}" = 1 ] && out=$here/out
mkdir -p "$out"
export MMP_CACHE_DIR="$tmp/cache"
loop="" mnt="$tmp/mnt" mounted="" zram_on="" zram_set="" swapfile_on="" cg="" bg_pids=""
cleanup() {
	set +e
	for p in $bg_pids; do kill -INT "$p" 2>/dev/null; done
	for p in $bg_pids; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
	wait 2>/dev/null
	if [ -n "$cg" ] && [ -f "$cg/cgroup.procs" ]; then
		for p in $(cat "$cg/cgroup.procs"); do kill -9 "$p" 2>/dev/null; done # only pfanon is in it
	fi
	[ -n "$zram_on" ] && { swapoff /dev/zram0 || echo "run.sh: swapoff /dev/zram0 failed" >&2; }
	[ -n "$zram_set" ] && { echo 1 >/sys/block/zram0/reset || echo "run.sh: could not reset zram0" >&2; }
	[ -n "$swapfile_on" ] && { swapoff "$tmp/swap" || echo "run.sh: swapoff $tmp/swap failed" >&2; }
	if [ -n "$cg" ]; then
		for _ in $(seq 50); do [ -d "$cg" ] || break; rmdir "$cg" 2>/dev/null || sleep 0.1; done
	fi
	loopfs_remove "$mnt"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cc -O2 -Wall -o "$tmp/pfreader" "$here/pfreader.c"
cc -O2 -Wall -o "$tmp/pfanon" "$here/pfanon.c"
cc -O2 -Wall -o "$tmp/pfhelper" "$here/pfhelper.c"

exec 9>/tmp/mmp-kernel-tests.lock
lock() { flock 9; }
unlock() { flock -u 9; }
# The machine, before any result: figures differ tenfold between machines.
lock
sh "$here/../machine/machine.sh"
unlock

# The numbers of KEY=N fields of a line: field KEY LINE
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }
start=$(date +%s)

# ---------------------------------------------------------------- files ----
file_part() {
	ra_default=$(disk_read_ahead_kb "$tmp")
	[ -n "$ra_default" ] || die "cannot read the read-ahead of the disk under $tmp; set RA_DEFAULT_KB"
	loopfs_make "$tmp/img" "$mnt" $((FILE_MIB + FILE_MIB / 4 + 64))
	data=$mnt/data
	dd if=/dev/urandom of="$data" bs=1M count="$FILE_MIB" status=none
	sync

	for p in seq stride leap; do
		case $p in seq) s=$POL_SEQ ;; stride) s=$POL_STRIDE ;; leap) s=$POL_LEAP ;; esac
		cat >"$tmp/$p.mmp" <<EOF
policy pfbench_$p {
    match comm "pfreader";
    region data = file "$data";
    prefetch data { $s }
}
EOF
		"$MMP" run "$tmp/$p.mmp" -- true 2>"$tmp/err" || { cat "$tmp/err" >&2; die "mmp cannot run $tmp/$p.mmp"; }
	done
	echo "files: $FILE_MIB MiB on $loop (direct I/O: $dio), read-ahead ${ra_default} KiB (the disk's) and ${RA_SMALL_KB} KiB; $ROUNDS rounds"
	: >"$out/file.res"
	r=0
	while [ "$r" -lt "$ROUNDS" ]; do
		r=$((r + 1))
		lock
		t0=$(date +%s)
		for ra in "$ra_default" "$RA_SMALL_KB"; do
			blockdev --setra $((ra * 2)) "$loop"
			for pat in $FILE_PATTERNS; do
				case $pat in
				fwd) args="forward 1" ;; bwd) args="backward 1" ;; s4) args="forward 4" ;;
				s16) args="forward 16" ;; s64) args="forward 64" ;; rand) args="random 1" ;;
				esac
				# Random reads vary the most from run to run and the target
				# on them is tight: RAND_REPS times as many samples.
				reps=1
				[ "$pat" = rand ] && reps=$RAND_REPS
				k=0
				while [ "$k" -lt "$reps" ]; do
					for v in $(rotate $(((r - 1) * reps + k)) $FILE_VARIANTS); do
						file_run "$ra" "$pat" "$v" $args
					done
					k=$((k + 1))
				done
			done
		done
		unlock
		echo "  round $r/$ROUNDS: $(($(date +%s) - t0)) s"
	done
	blockdev --setra 256 "$loop"
}

# file_run RA PATTERN VARIANT DIRECTION STRIDE: one run; appends a line to file.res.
file_run() {
	ra=$1 pat=$2 v=$3 dir=$4 stride=$5
	[ "$dio" = 1 ] || "$tmp/pfreader" "$tmp/img" drop
	"$tmp/pfreader" "$data" drop
	: >"$tmp/err"
	rc=0
	case $v in
	default) "$tmp/pfreader" "$data" "$dir" "$stride" none >"$tmp/out" 2>"$tmp/err" || rc=$? ;;
	madv-random) "$tmp/pfreader" "$data" "$dir" "$stride" random >"$tmp/out" 2>"$tmp/err" || rc=$? ;;
	madv-seq) "$tmp/pfreader" "$data" "$dir" "$stride" sequential >"$tmp/out" 2>"$tmp/err" || rc=$? ;;
	mmp-*)
		"$MMP" run --name "$TAG" "$tmp/${v#mmp-}.mmp" -- "$tmp/pfreader" "$data" "$dir" "$stride" none \
			>"$tmp/out" 2>"$tmp/err" || rc=$? ;;
	esac
	line=$(grep '^touched=' "$tmp/out" || true)
	if [ "$rc" != 0 ] || [ -z "$line" ]; then
		echo "run.sh: the $v run on $pat (read-ahead $ra KiB) failed (exit status $rc):" >&2
		cat "$tmp/out" "$tmp/err" >&2
		exit 1
	fi
	sm=$(prefetch_summary "$tmp/err")
	case $v in mmp-*) [ -n "$sm" ] || { echo "run.sh: mmp printed no summary for $v on $pat:" >&2; cat "$tmp/err" >&2; sm="- - - - -"; } ;;
	*) sm="- - - - -" ;; esac
	echo "$ra $pat $v $(field seconds "$line") $(field major "$line") $(field distinct "$line") $(field cached "$line") $sm" >>"$out/file.res"
}

# ------------------------------------------------------------ anonymous ----
zram_free() {
	[ -d /sys/block/zram0 ] || { echo "/sys/block/zram0 does not exist"; return 1; }
	[ "$(cat /sys/block/zram0/initstate 2>/dev/null)" = 0 ] || { echo "zram0 is initialised (disksize $(cat /sys/block/zram0/disksize))"; return 1; }
	! grep -q '^/dev/zram0 ' /proc/swaps || { echo "zram0 is a swap device"; return 1; }
	! grep -q '^/dev/zram0 ' /proc/mounts || { echo "zram0 is mounted"; return 1; }
	[ -z "$(ls /sys/block/zram0/holders 2>/dev/null)" ] || { echo "zram0 has holders"; return 1; }
	return 0
}

anon_part() {
	MEM=$(awk '$3 == "cgroup" && ("," $4 ",") ~ /,memory,/ { print $2; exit }' /proc/self/mounts)
	[ -n "$MEM" ] && [ -w "$MEM/cgroup.procs" ] || die "needs the cgroup v1 memory controller (memory.limit_in_bytes)"
	cg=$MEM/$TAG
	mkdir "$cg"
	echo $((LIMIT_MIB * 1048576)) >"$cg/memory.limit_in_bytes"
	for pol in mmp:"$POL_ANON" mmp-far:"$POL_ANON_FAR"; do
		cat >"$tmp/${pol%%:*}.mmp" <<EOF
policy pfbench_anon {
    match comm "pfanon";
    region heap = anon;
    prefetch heap { ${pol#*:} }
}
EOF
		"$MMP" run "$tmp/${pol%%:*}.mmp" -- true 2>"$tmp/err" || { cat "$tmp/err" >&2; die "mmp cannot run $tmp/${pol%%:*}.mmp"; }
	done
	others=$(awk 'NR > 1 { print $1 }' /proc/swaps | tr '\n' ' ')
	[ -z "$others" ] || echo "run.sh: note: other swap is active ($others); ours gets the highest priority" >&2
	swap_mib=$((ANON_MIB * 2))
	: >"$out/anon.res"
	for be in $BACKENDS; do
		case $be in
		zram)
			if ! why=$(zram_free); then
				echo "anon/zram: skipped: $why"
				continue
			fi
			zram_set=1
			echo "${swap_mib}M" >/sys/block/zram0/disksize
			mkswap /dev/zram0 >/dev/null
			swapon -p 32767 /dev/zram0
			zram_on=1
			desc="zram0 ($(sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/block/zram0/comp_algorithm), ${swap_mib} MiB)" ;;
		swapfile)
			fallocate -l "${swap_mib}M" "$tmp/swap" 2>/dev/null ||
				dd if=/dev/zero of="$tmp/swap" bs=1M count="$swap_mib" status=none
			chmod 600 "$tmp/swap"
			mkswap "$tmp/swap" >/dev/null
			swapon -p 32767 "$tmp/swap"
			swapfile_on=1
			desc="a swap file of ${swap_mib} MiB on $(df --output=source "$tmp" | tail -n 1)" ;;
		*) die "unknown backend '$be' (zram or swapfile)" ;;
		esac
		echo "anon/$be: $ANON_MIB MiB in a $LIMIT_MIB MiB memory cgroup, swap on $desc; $ROUNDS rounds"
		r=0
		while [ "$r" -lt "$ROUNDS" ]; do
			r=$((r + 1))
			lock
			t0=$(date +%s)
			for scan in fwd s16 work; do
				for v in $(rotate $((r - 1)) none ideal mmp mmp-far); do
					anon_run "$be" "$scan" "$v"
				done
			done
			unlock
			echo "  round $r/$ROUNDS: $(($(date +%s) - t0)) s"
		done
		case $be in
		zram) swapoff /dev/zram0; zram_on=""; echo 1 >/sys/block/zram0/reset; zram_set="" ;;
		swapfile) swapoff "$tmp/swap"; swapfile_on=""; rm -f "$tmp/swap" ;;
		esac
	done
}

# anon_run BACKEND SCAN VARIANT: one fill and scan; appends a line to anon.res.
anon_run() {
	be=$1 scan=$2 v=$3
	case $scan in
	fwd) stride=1 work=0 ;;
	s16) stride=16 work=0 ;;
	work) stride=1 work=$WORK_NS ;;
	esac
	rm -f "$tmp/go"
	: >"$tmp/merr"
	"$tmp/pfanon" --cgroup "$cg" --go "$tmp/go" --work "$work" "$ANON_MIB" "$stride" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	bg_pids=$pid
	n=0
	until grep -q '^filled' "$tmp/out"; do
		kill -0 "$pid" 2>/dev/null || { cat "$tmp/err" >&2; die "pfanon ended before its scan"; }
		n=$((n + 1)); [ $n -lt 1200 ] || die "pfanon did not finish its fill in 60 s"
		sleep 0.05
	done
	mpid=
	if [ "$v" != none ] && [ "$v" != ideal ]; then
		"$MMP" attach -v --name "$TAG" "$tmp/$v.mmp" 2>"$tmp/merr" &
		mpid=$!
		bg_pids="$pid $mpid"
		n=0
		until grep -q "governing pid $pid" "$tmp/merr"; do
			kill -0 "$mpid" 2>/dev/null || { cat "$tmp/merr" >&2; die "mmp attach ended"; }
			n=$((n + 1)); [ $n -lt 500 ] || { cat "$tmp/merr" >&2; die "mmp did not govern pfanon in 10 s"; }
			sleep 0.02
		done
	fi
	touch "$tmp/go"
	hpid=
	if [ "$v" = ideal ]; then
		filled=$(grep '^filled' "$tmp/out")
		"$tmp/pfhelper" "$pid" "$(field addr "$filled")" "$(field pages "$filled")" "$stride" &
		hpid=$!
		bg_pids="$pid $hpid"
	fi
	rc=0
	wait "$pid" || rc=$?
	[ -z "$hpid" ] || wait "$hpid" || die "pfhelper failed"
	sm="- - - - -"
	if [ -n "$mpid" ]; then
		kill -INT "$mpid"
		wait "$mpid" || true
		sm=$(prefetch_summary "$tmp/merr")
		[ -n "$sm" ] || { echo "run.sh: mmp printed no summary:" >&2; cat "$tmp/merr" >&2; sm="- - - - -"; }
	fi
	bg_pids=
	line=$(grep '^touched=' "$tmp/out" || true)
	if [ "$rc" != 0 ] || [ -z "$line" ]; then
		echo "run.sh: the $v scan on $be failed (exit status $rc):" >&2
		cat "$tmp/out" "$tmp/err" >&2
		exit 1
	fi
	echo "$be $scan $v $(field seconds "$line") $(field major "$line") $(field touched "$line") $(field cpu "$line") $(field swapped_mib "$line") $sm" >>"$out/anon.res"
}

for part in $PARTS; do
	case $part in
	file) file_part ;;
	anon) anon_part ;;
	*) die "unknown part '$part' (file or anon)" ;;
	esac
done

# -------------------------------------------------------------- report -----
echo
[ ! -s "$out/file.res" ] || awk -v small="$RA_SMALL_KB" -v pats="$FILE_PATTERNS" -v vars="$FILE_VARIANTS" '
function median(list,   n, a, i, j, t) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
	k = $1 SUBSEP $2 SUBSEP $3
	if (!($1 in seen)) { seen[$1] = 1; ras[++nra] = $1 }
	sec[k] = sec[k] " " $4; maj[k] = maj[k] " " $5; rd[k] = rd[k] " " ($7 / $6)
	if ($9 != "-") {
		acc[k] = acc[k] " " ($9 > 0 ? $10 / $9 : 0)
		c = ($10 - $11) + $12; cov[k] = cov[k] " " (c > 0 ? ($10 - $11) / c : 0)
		asked[k] = asked[k] " " $9
	}
}
END {
	np = split(pats, P, " "); nv = split(vars, V, " ")
	for (i = 1; i <= nra; i++) {
		ra = ras[i]
		printf "read-ahead %s KiB%s: medians; time and major faults also as ratios to default\n", ra, ra == small ? "" : " (the disk'"'"'s)"
		printf "| pattern | variant | time | vs default | major faults | vs default | read/touched | mmp asked | accuracy | coverage |\n"
		printf "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
		for (p = 1; p <= np; p++) {
			d = ra SUBSEP P[p] SUBSEP "default"
			ts = median(sec[d]); tm = median(maj[d])
			for (v = 1; v <= nv; v++) {
				k = ra SUBSEP P[p] SUBSEP V[v]
				if (sec[k] == "") continue
				s = median(sec[k]); m = median(maj[k])
				a = acc[k] == "" ? "" : sprintf("%.0f%%", 100 * median(acc[k]))
				if (asked[k] != "" && median(asked[k]) == 0) a = "-"
				cv = cov[k] == "" ? "" : sprintf("%.0f%%", 100 * median(cov[k]))
				printf "| %s | %s | %.3f s | %s | %d | %s | %.2f | %s | %s | %s |\n", P[p], V[v], s,
					V[v] == "default" ? "" : sprintf("%.2fx", s > 0 ? ts / s : 0), m,
					V[v] == "default" ? "" : (tm > 0 ? sprintf("%+.0f%%", 100 * (m - tm) / tm) : "-"),
					median(rd[k]), asked[k] == "" ? "" : median(asked[k]), a, cv
				if (V[v] == "mmp-stride" && (P[p] ~ /^s[0-9]/)) {
					# Each criterion; a cut in major faults means nothing when
					# the default has next to none (fewer than 10).
					okm = tm < 10 ? "n/a" : (tm - m) / tm >= 0.9 ? "yes" : "no"
					okt = ts / s >= 2 ? "yes" : "no"
					oka = median(acc[k]) >= 0.9 ? "yes" : "no"
					okc = median(cov[k]) >= 0.9 ? "yes" : "no"
					ok = okm != "no" && okt == "yes" && oka == "yes" && okc == "yes"
					verdict[++nverd] = sprintf("  %s, read-ahead %s KiB: majors %d -> %d (%s), time %.2fx (%s), accuracy %s (%s), coverage %s (%s): %s",
						P[p], ra, tm, m, okm, ts / s, okt, a, oka, cv, okc, ok ? "MET" : "not met")
				}
				if (P[p] == "rand" && V[v] ~ /^mmp-/)
					rverd[++nr] = sprintf("  %s, read-ahead %s KiB: %.3f s against %.3f s (%+.1f%%): %s", V[v], ra, s, ts,
						100 * (s - ts) / ts, s <= 1.05 * ts ? "MET" : "not met")
			}
		}
		print ""
	}
	print "targets, stride patterns with mmp-stride (majors -90%, time 2x, accuracy and coverage 90%):"
	for (i = 1; i <= nverd; i++) print verdict[i]
	print "targets, random access (mmp no more than 5% slower than default):"
	for (i = 1; i <= nr; i++) print rverd[i]
	print ""
}' "$out/file.res"

[ ! -s "$out/anon.res" ] || awk -v work="$((WORK_NS / 1000))" '
function label(scan, pages) {
	if (scan == "fwd") return "forward, " pages " pages"
	if (scan == "s16") return "stride 16, " pages " pages"
	return "forward, " pages " pages, " work " us of work each"
}
function median(list,   n, a, i, j, t) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
	k = $1 SUBSEP $2 SUBSEP $3
	if (!(($1 SUBSEP $2) in seen)) { seen[$1 SUBSEP $2] = 1; cells[++nc] = $1 SUBSEP $2 }
	sec[k] = sec[k] " " $4; maj[k] = maj[k] " " $5; cpu[k] = cpu[k] " " $7; sw[k] = sw[k] " " $8; touched[k] = $6
	if ($9 != "-") {
		acc[k] = acc[k] " " ($10 > 0 ? $11 / $10 : 0)
		den = ($11 - $12) + $13; cov[k] = cov[k] " " (den > 0 ? ($11 - $12) / den : 0)
	}
}
END {
	print "anonymous memory: medians; the scan only (cpu: busy CPU time of the whole machine during the scan)"
	printf "| swap | scan | variant | time | vs none | major faults | vs none | cpu | accuracy | coverage |\n"
	printf "|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n"
	for (i = 1; i <= nc; i++) {
		split(cells[i], cl, SUBSEP)
		n = cells[i] SUBSEP "none"; ts = median(sec[n]); tm = median(maj[n])
		for (j = 1; j <= 4; j++) {
			v = j == 1 ? "none" : j == 2 ? "ideal" : j == 3 ? "mmp" : "mmp-far"; k = cells[i] SUBSEP v
			if (sec[k] == "") continue
			s = median(sec[k]); m = median(maj[k])
			printf "| %s | %s | %s | %.3f s | %s | %d | %s | %.2f s | %s | %s |\n", cl[1],
				label(cl[2], touched[k]), v, s,
				v == "none" ? "" : sprintf("%.2fx", ts / s), m, v == "none" ? "" : (tm > 0 ? sprintf("%+.1f%%", 100 * (m - tm) / tm) : "-"),
				median(cpu[k]), acc[k] == "" ? "" : sprintf("%.0f%%", 100 * median(acc[k])),
				cov[k] == "" ? "" : sprintf("%.0f%%", 100 * median(cov[k]))
		}
	}
	print ""
}' "$out/anon.res"
echo "total: $(($(date +%s) - start)) s"
