# bench/prefetch/lib.sh - sourced by run.sh, fio.sh and stressng.sh: an
# ext4 filesystem of the benchmark's own, in an image file behind a loop
# device, so that a benchmark can set the device's read-ahead without
# touching a real disk, and so that reads reach the device (direct I/O
# from the loop device to the image: the image's own page cache does not
# serve them); the rotation of variants; mmp's prefetch summary. POSIX sh;
# messages name the script by its variable me, and die is the script's.
# shellcheck shell=sh disable=SC2034,SC2154 # globals the scripts use or set

# disk_read_ahead_kb DIR: the read-ahead in KiB of the disk that holds
# DIR (its whole disk if it is a partition), read only; RA_DEFAULT_KB
# wins. Prints nothing if it cannot be read.
disk_read_ahead_kb() {
	[ -z "${RA_DEFAULT_KB:-}" ] || { echo "$RA_DEFAULT_KB"; return; }
	b=$(basename "$(df --output=source "$1" | tail -n 1)")
	for f in "/sys/class/block/$b/queue/read_ahead_kb" "/sys/class/block/$b/../queue/read_ahead_kb"; do
		[ -r "$f" ] && { cat "$f"; return; }
	done
	return 0 # nothing printed: the caller says what to set
}

# loopfs_make IMG MNT MIB: makes an ext4 filesystem of MIB MiB in the
# image file IMG, attaches it to a loop device and mounts it at MNT. Sets
# loop (the device), dio (1 if it does direct I/O) and mounted=1, which
# the caller's cleanup undoes (loopfs_remove).
loopfs_make() {
	truncate -s "${3}M" "$1"
	loop=$(losetup --direct-io=on -f --show "$1" 2>/dev/null) || loop=""
	if [ -z "$loop" ]; then
		loop=$(losetup -f --show "$1") || die "cannot attach a loop device"
		echo "$me: note: no direct I/O on $loop: the image's page cache is dropped too before each run" >&2
	fi
	dio=$(cat "/sys/block/$(basename "$loop")/loop/dio" 2>/dev/null || echo 0)
	mkfs.ext4 -q -F "$loop"
	mkdir -p "$2"
	mount "$loop" "$2"
	mounted=1
}

# loopfs_remove MNT: unmounts MNT and detaches the loop device, as far as
# loopfs_make got; for a cleanup, so it never fails.
loopfs_remove() {
	[ -n "${mounted:-}" ] && { umount "$1" || echo "$me: could not unmount $1" >&2; }
	[ -n "${loop:-}" ] && { losetup -d "$loop" || echo "$me: could not detach $loop" >&2; }
	mounted='' loop=''
}

# rotate K WORDS...: the words, starting at the K-th (mod their count).
rotate() { k=$1; shift; echo "$@" | awk -v k="$k" '{ for (i = 0; i < NF; i++) printf "%s ", $((i + k) % NF + 1) }'; }

# prefetch_summary FILE: from mmp's exit summary in FILE, the last
# region's "predictions asked used late major", or nothing.
prefetch_summary() {
	sed -n 's/.*: \([0-9]*\) predictions, \([0-9]*\) pages asked for in [0-9]* calls, \([0-9]*\) used (\([0-9]*\) late), \([0-9]*\) major faults.*/\1 \2 \3 \4 \5/p' "$1" | tail -n 1
}
