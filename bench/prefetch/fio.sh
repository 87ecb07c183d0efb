#!/bin/sh
# bench/prefetch/fio.sh [ROUNDS] - examples/stride-reader.mmp on fio, a
# real program: fio reads a file through mmap (ioengine=mmap, as a
# program that maps its data files reads them) one 4K block every STRIDE
# pages (rw=read:SKIP), the kernel's read-ahead alone against the same
# with mmp running the example.
#
# The file: FILE_MIB (1024) MiB of random bytes on an ext4 filesystem in
# an image behind a loop device of the benchmark's own (lib.sh: direct
# I/O to the image, so that its own page cache serves nothing). fio drops
# the file's page cache before each run (its invalidate=1) and, as it
# does for any sequential job, advises MADV_SEQUENTIAL on its mapping: the
# kernel then reads ahead from each fault, forward. Each run reads
# FILE_MIB / STRIDE / 4K blocks, from the start of the file to its end.
#
# Variants, interleaved, the order rotated every round:
#   default   fio alone
#   mmp       'mmp run examples/stride-reader.mmp -- fio ...', the
#             example's region pointed at the benchmark's file
# at two read-ahead settings of the loop device: 128 KiB (RA_SMALL_KB, the
# kernel's default for a disk) and the read-ahead of the disk under the
# image (8 MiB on the project's machines; that disk is never changed).
#
# Reported, medians over ROUNDS (3): fio's own run time of the reads, the
# major faults of fio's job, their ratios to default, and mmp's accuracy
# (pages used / asked for) and coverage ((used - late) / (used - late +
# major faults)).
#
# Environment: MMP (../../mmp), FILE_MIB, RA_SMALL_KB, RA_DEFAULT_KB (the
# disk's), STRIDES ("16 64": pages between the blocks read), KEEP (a file
# to copy the raw results to). Installs fio with apt-get if it is
# missing. Takes the kernel tests' lock (/tmp/mmp-kernel-tests.lock)
# before it makes its file. The loop device and its mount are undone on
# exit, failure, Ctrl-C or SIGTERM. The VM's free page reporting is held
# off for the runs, EVICT_WARM_MIB (4096) touched first (lib.sh's
# hold_memory_state), and put back at the end. Shares die, apt_install,
# the lock and the cleanup with the eviction benchmarks (../evict/lib.sh).
# Run as root.
set -eu
ROUNDS=${1:-3}
here=$(cd "$(dirname "$0")" && pwd)
FILE_MIB=${FILE_MIB:-1024}
RA_SMALL_KB=${RA_SMALL_KB:-128}
STRIDES=${STRIDES:-16 64}
EXAMPLE=$here/../../examples/stride-reader.mmp
TAG=mmp-fiobench-$$
. "$here/../evict/lib.sh"
. "$here/lib.sh"

check_rounds
for x in "$FILE_MIB" "$RA_SMALL_KB" $STRIDES; do
	case $x in '' | *[!0-9]* | 0) die "FILE_MIB, RA_SMALL_KB and STRIDES are positive integers, not '$x'" ;; esac
done
[ "$(id -u)" = 0 ] || die "must run as root (a loop device and a mount)"
for c in losetup mkfs.ext4 blockdev flock; do
	command -v $c >/dev/null || die "needs $c"
done
[ -x "$MMP" ] || die "no mmp at $MMP (build it with make, or set MMP)"
command -v fio >/dev/null || apt_install fio

tmp=$(mktemp -d /var/tmp/mmp-fiobench.XXXXXX)
mnt=$tmp/mnt loop='' mounted='' cg='' pid='' mpid=''
# The loop device goes before $tmp, which holds its image.
bench_cleanup() {
	trap '' INT TERM HUP
	memstate_restore   # first: what outlives the script
	loopfs_remove "$mnt"
	cleanup
}
on_exit bench_cleanup

take_lock
ra_default=$(disk_read_ahead_kb "$tmp")
case $ra_default in
'') die "cannot read the read-ahead of the disk under $tmp; set RA_DEFAULT_KB" ;;
*[!0-9]*) die "RA_DEFAULT_KB is a whole number of KiB, not '$ra_default'" ;;
esac
loopfs_make "$tmp/img" "$mnt" $((FILE_MIB + FILE_MIB / 4 + 64))
mkdir "$mnt/fio"
data=$mnt/fio/data
dd if=/dev/urandom of="$data" bs=1M count="$FILE_MIB" status=none
sync

# The example, its region pointed at this file's directory.
sed "s|\"/srv/fio/\\*\"|\"$mnt/fio/*\"|" "$EXAMPLE" >"$tmp/stride-reader.mmp"
grep -qF "\"$mnt/fio/*\"" "$tmp/stride-reader.mmp" || die "$EXAMPLE does not name file \"/srv/fio/*\""
"$MMP" run "$tmp/stride-reader.mmp" -- true 2>"$tmp/err" || { cat "$tmp/err" >&2; die "mmp cannot run the example"; }

# json_num KEY FILE: the first number after "KEY" in fio's JSON.
json_num() { sed -n "s/^ *\"$1\" : \\([0-9.]*\\),*\$/\\1/p" "$2" | head -n 1; }

# fio_run RA STRIDE VARIANT: one run; appends "ra stride variant ms majf
# predictions asked used late major" to $tmp/res.
fio_run() {
	skip=$((($2 - 1) * 4))
	set -- "$1" "$2" "$3" fio --name=stride --filename="$data" --size="${FILE_MIB}M" --ioengine=mmap \
		--rw=read:${skip}k --bs=4k --io_size=$((FILE_MIB * 1024 / $2))k --output-format=json
	ra=$1 stride=$2 v=$3
	shift 3
	: >"$tmp/err"
	rc=0
	if [ "$v" = mmp ]; then
		"$MMP" run --name "$TAG" "$tmp/stride-reader.mmp" -- "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	else
		"$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	fi
	ms=$(json_num runtime "$tmp/out") majf=$(json_num majf "$tmp/out")
	if [ "$rc" != 0 ] || [ -z "$ms" ] || [ -z "$majf" ]; then
		echo "$me: the $v run at stride $stride (read-ahead $ra KiB) failed (exit status $rc):" >&2
		cat "$tmp/out" "$tmp/err" >&2
		exit 1
	fi
	sm="- - - - -"
	if [ "$v" = mmp ]; then
		sm=$(prefetch_summary "$tmp/err")
		[ -n "$sm" ] || { cat "$tmp/err" >&2; die "mmp printed no summary of the region"; }
	fi
	echo "$ra $stride $v $ms $majf $sm" >>"$tmp/res"
}

# The machine, before any result: figures differ tenfold between machines.
sh "$here/../machine/machine.sh"
hold_memory_state
echo "fio: $FILE_MIB MiB on $loop (direct I/O: $dio), read-ahead $ra_default KiB (the disk's) and $RA_SMALL_KB KiB; strides (pages): $STRIDES; $ROUNDS rounds"
start=$(date +%s)
: >"$tmp/res"
r=0
while [ "$r" -lt "$ROUNDS" ]; do
	r=$((r + 1))
	for ra in "$ra_default" "$RA_SMALL_KB"; do
		blockdev --setra $((ra * 2)) "$loop"
		for s in $STRIDES; do
			for v in $(rotate $((r - 1)) default mmp); do
				fio_run "$ra" "$s" "$v"
			done
		done
	done
	echo "  round $r/$ROUNDS: $(($(date +%s) - start)) s"
done
flock -u 9

echo
echo "medians of $ROUNDS rounds; fio's run time of the reads and its major faults:"
echo
echo "| read-ahead | stride (pages) | default | mmp | default/mmp | major faults, default | mmp | accuracy | coverage |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
awk '
function median(list,   n, a, i, j, t) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
	k = $1 SUBSEP $2
	if (!(k in seen)) { seen[k] = 1; cells[++nc] = k }
	ms[k, $3] = ms[k, $3] " " $4; maj[k, $3] = maj[k, $3] " " $5
	if ($3 == "mmp") {
		acc[k] = acc[k] " " ($7 > 0 ? $8 / $7 : 0)
		c = ($8 - $9) + $10; cov[k] = cov[k] " " (c > 0 ? ($8 - $9) / c : 0)
	}
}
END {
	for (i = 1; i <= nc; i++) {
		k = cells[i]; split(k, f, SUBSEP)
		d = median(ms[k, "default"]); m = median(ms[k, "mmp"])
		printf "| %s KiB | %s | %.3f s | %.3f s | %.2fx | %d | %d | %.0f%% | %.0f%% |\n", f[1], f[2], d / 1000, m / 1000,
			(m > 0 ? d / m : 0), median(maj[k, "default"]), median(maj[k, "mmp"]), 100 * median(acc[k]), 100 * median(cov[k])
	}
}' "$tmp/res"
[ -z "${KEEP:-}" ] || cp "$tmp/res" "$KEEP"
echo
echo "total: $(($(date +%s) - start)) s"
