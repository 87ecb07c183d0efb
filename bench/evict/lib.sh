# lib.sh - shared by the scripts of bench/evict (run.sh, ripgrep.sh,
# rocksdb.sh) and bench/prefetch (fio.sh, stressng.sh), which source it
# ('. "$here/lib.sh"', or ../evict/lib.sh) once they have set here,
# their own directory. POSIX sh. The functions use the scripts'
# globals: tmp (a temporary directory), cg (the memory cgroup), pid (the
# workload while it runs), mpid (the mmp the script started), VARIANTS,
# ROUNDS; they set those named below. Sourcing it sets me (the script's
# name, for messages), MMP (the mmp binary, ../../mmp unless set) and LOCK.
# shellcheck disable=SC2034,SC2154 # those globals: the scripts use or set them
me=${0##*/}
MMP=${MMP:-$here/../../mmp}
LOCK=/tmp/mmp-kernel-tests.lock
bpf_stats_was=   # set by bpf_stats_on: what cleanup puts back
# The VM's free page reporting held off for the runs (hold_memory_state),
# put back by cleanup.
. "$here/../machine/memstate.sh"

# hold_memory_state: every variant starts with memory its host backs. The
# page cache these benchmarks drop and read again is fresh memory each
# time, and a VM that gives freed memory back to its host (free page
# reporting) makes each page of it a host fault too, more or fewer as the
# host's timing goes: machine B's RocksDB runs spread by a third with it.
# Holds the reporting off and touches EVICT_WARM_MIB (4096) MiB once, at
# most half the memory available.
hold_memory_state() {
	warm=${EVICT_WARM_MIB:-4096}
	case $warm in '' | *[!0-9]* | 0) die "EVICT_WARM_MIB is a whole number of MiB above 0" ;; esac
	half=$(awk '/^MemAvailable:/ { print int($2 / 2048) }' /proc/meminfo)
	[ "$warm" -le "$half" ] || warm=$half
	memstate_hold "$warm" || die "cannot hold the memory state (memstate.sh)"
}

# die MESSAGE: prints "SCRIPT: MESSAGE" to stderr and exits 1.
die() { echo "$me: $*" >&2; exit 1; }

# check_rounds: dies unless ROUNDS is a positive integer.
check_rounds() { case $ROUNDS in '' | *[!0-9]* | 0) die "ROUNDS must be a positive integer, not '$ROUNDS'" ;; esac; }

# check_variants MMP_VARIANT...: dies unless every one of VARIANTS is
# default or one of MMP_VARIANT, and unless the mmp binary is there if
# VARIANTS has one of them.
check_variants() {
	for v in $VARIANTS; do
		case " default $* " in
		*" $v "*) [ "$v" = default ] || [ -x "$MMP" ] || die "no mmp binary at $MMP: build it first (make -j2)" ;;
		*) die "unknown variant '$v' (default $*)" ;;
		esac
	done
}

# find_memcg: sets cgv (1 or 2) and cgparent, the memory cgroup hierarchy
# (v1 where it exists, else v2 with memory enabled), or dies.
find_memcg() {
	if [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
		cgv=1 cgparent=/sys/fs/cgroup/memory
	elif grep -qw memory /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null; then
		cgv=2 cgparent=/sys/fs/cgroup
	else
		die "needs a memory cgroup: v1 at /sys/fs/cgroup/memory, or v2 with memory enabled in /sys/fs/cgroup/cgroup.subtree_control"
	fi
}

# apt_install PACKAGE: installs a Debian package with apt-get (after an
# apt-get update if the first try fails), or dies.
apt_install() {
	echo "installing $1"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" >/dev/null ||
		{ apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" >/dev/null; } ||
		die "could not install $1"
}

# check_on_disk DIR VAR: makes DIR and dies if it is in memory (tmpfs or
# ramfs, whose pages cannot be dropped: every read would hit), naming VAR,
# the variable that sets it.
check_on_disk() {
	mkdir -p "$1"
	case $(stat -f -c %T "$1") in tmpfs | ramfs) die "$1 is in memory: set $2 to a directory on a disk" ;; esac
}

# stop_mmp: stops the mmp this script started (SIGINT, then SIGTERM after
# 10 s), which prints its summary on the way out.
stop_mmp() {
	[ -n "$mpid" ] || return 0
	kill -INT "$mpid" 2>/dev/null || true
	n=0
	while kill -0 "$mpid" 2>/dev/null && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
	kill -TERM "$mpid" 2>/dev/null || true
	wait "$mpid" 2>/dev/null || true
	mpid=
}

# cg_kill: kills every process left in the cgroup $cg and waits (at most
# 5 s) until it is empty.
cg_kill() {
	while read -r p; do kill -9 "$p" 2>/dev/null || true; done <"$cg/cgroup.procs"
	n=0
	while [ -s "$cg/cgroup.procs" ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
}

# cleanup: stops mmp and the workload, empties and removes the cgroup and
# removes $tmp, and the blkio cgroup of throttle_disk if it made one (only
# this script's processes run in the cgroups: they are named after the
# script's PID).
cleanup() {
	# First, and not to be cut short by a second Ctrl-C: what outlives
	# the script.
	trap '' INT TERM HUP
	memstate_restore
	stop_mmp
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	if [ -n "$cg" ] && [ -d "$cg" ]; then
		cg_kill
		rmdir "$cg" || echo "$me: could not remove $cg" >&2
	fi
	if [ -n "${iocg:-}" ] && [ -d "$iocg" ]; then
		rmdir "$iocg" || echo "$me: could not remove $iocg" >&2
	fi
	if [ -n "$bpf_stats_was" ]; then
		echo "$bpf_stats_was" >/proc/sys/kernel/bpf_stats_enabled ||
			echo "$me: could not put kernel.bpf_stats_enabled back to $bpf_stats_was" >&2
	fi
	rm -rf "$tmp"
}

# bpf_stats_on: with EVICT_BPF_STATS=1, the kernel times each run of each
# BPF program (kernel.bpf_stats_enabled, put back by cleanup), and
# mmp_result says what mmp's file hooks cost a call. Off by default: the
# timing costs each program two clock reads a run.
bpf_stats_on() {
	[ "${EVICT_BPF_STATS:-0}" = 1 ] || return 0
	command -v bpftool >/dev/null || die "EVICT_BPF_STATS=1 needs bpftool (Debian: bpftool)"
	bpf_stats_was=$(cat /proc/sys/kernel/bpf_stats_enabled) ||
		die "EVICT_BPF_STATS=1: cannot read kernel.bpf_stats_enabled"
	echo 1 >/proc/sys/kernel/bpf_stats_enabled 2>/dev/null ||
		die "EVICT_BPF_STATS=1: cannot turn kernel.bpf_stats_enabled on"
}

# bpf_cost: "NAME NS ns x RUNS" for each loaded program whose name begins
# mmp_file_ (the hooks of every read and every page cached or deleted),
# its time a run since it was loaded. The mmp of this script is the only
# one running: the scripts hold the lock.
bpf_cost() {
	bpftool prog show 2>/dev/null | awk '
		/ name mmp_file_/ {
			for (i = 1; i < NF; i++) {
				if ($i == "name") n = $(i + 1)
				if ($i == "run_time_ns") t[n] += $(i + 1)
				if ($i == "run_cnt") c[n] += $(i + 1)
			}
		}
		END { for (n in c) if (c[n]) printf "%s%s %.0f ns x %d", (k++ ? ", " : ""), n, t[n] / c[n], c[n] }'
}

# on_exit FUNCTION: runs FUNCTION on exit, and exits (so runs it too) on
# Ctrl-C (status 130), SIGTERM (143) and a lost terminal (SIGHUP, 129).
on_exit() {
	# shellcheck disable=SC2064 # the function's name, now
	trap "$1" EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
}

# take_lock: takes the lock the kernel tests and benchmarks share ($LOCK,
# on file descriptor 9, held until the script exits), waiting for it if it
# is held.
take_lock() {
	exec 9>"$LOCK"
	if ! flock -n 9; then
		echo "$me: waiting for $LOCK (another kernel test or benchmark is running)" >&2
		flock 9
	fi
}

# make_cg NAME MIB: makes the memory cgroup cgparent/NAME (find_memcg),
# limited to MIB MiB; sets cg to it and cg_mib to the limit the kernel set.
make_cg() {
	cg=$cgparent/$1
	mkdir "$cg"
	if [ "$cgv" = 1 ]; then
		echo "$2M" >"$cg/memory.limit_in_bytes"
		cg_mib=$(( $(cat "$cg/memory.limit_in_bytes") / 1048576 ))
	else
		echo $(($2 * 1048576)) >"$cg/memory.max"
		cg_mib=$(( $(cat "$cg/memory.max") / 1048576 ))
	fi
}

# throttle_disk DIR: if EVICT_DISK_IOPS or EVICT_DISK_MBPS is set (and not
# 0), caps the reads of the workload (run_in_cg) from the disk that holds
# DIR at that many requests and MiB a second, as a cloud volume is capped
# (3000 and 125 for a gp3 volume's baseline): on a VM whose host caches its
# disk a page cache miss costs almost nothing, on such a volume it waits.
# v1: a blkio cgroup named as $cg (sets iocg; cleanup removes it); v2: the
# io.max of $cg. Call it after make_cg. Sets disk_note, for the output.
throttle_disk() {
	iops=${EVICT_DISK_IOPS:-0} mbps=${EVICT_DISK_MBPS:-0}
	case $iops$mbps in *[!0-9]*) die "EVICT_DISK_IOPS and EVICT_DISK_MBPS are whole numbers" ;; esac
	disk_note="disk reads not capped"
	[ "$iops" != 0 ] || [ "$mbps" != 0 ] || return 0
	# The whole disk: blk-throttle takes no partition.
	sys=$(readlink -f "/sys/dev/block/$(stat -c '%Hd:%Ld' "$1")") ||
		die "$1 is not on a block device: cannot cap its reads"
	[ ! -f "$sys/partition" ] || sys=${sys%/*}
	read -r disk <"$sys/dev"
	if [ "$cgv" = 1 ]; then
		[ -f /sys/fs/cgroup/blkio/blkio.throttle.read_iops_device ] ||
			die "EVICT_DISK_IOPS/MBPS need the v1 blkio controller with throttling (/sys/fs/cgroup/blkio)"
		iocg=/sys/fs/cgroup/blkio/${cg##*/}
		mkdir "$iocg"
		[ "$iops" = 0 ] || echo "$disk $iops" >"$iocg/blkio.throttle.read_iops_device"
		[ "$mbps" = 0 ] || echo "$disk $((mbps * 1048576))" >"$iocg/blkio.throttle.read_bps_device"
	else
		grep -qw io "$cgparent/cgroup.subtree_control" ||
			die "EVICT_DISK_IOPS/MBPS need the io controller enabled in $cgparent/cgroup.subtree_control"
		max=$disk
		[ "$iops" = 0 ] || max="$max riops=$iops"
		[ "$mbps" = 0 ] || max="$max rbps=$((mbps * 1048576))"
		echo "$max" >"$cg/io.max"
	fi
	disk_note="reads from ${sys##*/} ($disk) capped at ${iops} IO/s and ${mbps} MiB/s (0: no cap)"
}

# disk_reads: the read requests of the workload to the capped disk so far
# (v1 blkio.throttle.io_serviced, v2 io.stat rios), or - where reads are
# not capped (no cgroup counts them apart). A request is what the cap
# counts: a miss read alone costs one, as does a 256 KiB readahead.
disk_reads() {
	if [ -n "${iocg:-}" ] && [ -f "$iocg/blkio.throttle.io_serviced" ]; then
		awk -v d="$disk" '$1 == d && $2 == "Read" { n = $3 } END { print n + 0 }' "$iocg/blkio.throttle.io_serviced"
	elif [ "$cgv" = 2 ] && [ -n "${disk:-}" ] && [ -f "$cg/io.stat" ]; then
		awk -v d="$disk" '$1 == d { for (i = 2; i <= NF; i++) if ($i ~ /^rios=/) n = substr($i, 6) } END { print n + 0 }' \
			"$cg/io.stat"
	else
		echo -
	fi
}

# limit_hits: how often the cgroup has hit its limit (v1 memory.failcnt,
# v2 memory.events "max"; a builtin read).
limit_hits() {
	if [ "$cgv" = 1 ]; then
		read -r h <"$cg/memory.failcnt"
		echo "$h"
	else
		while read -r k h; do [ "$k" != max ] || { echo "$h"; return; }; done <"$cg/memory.events"
	fi
}

# drop_caches: writes back dirty pages, drops the page cache (and the
# dentries and inodes) and compacts memory: a cold start for a run.
drop_caches() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	echo 1 >/proc/sys/vm/compact_memory
}

# start_mmp POLICY NAME [FLAG...]: 'mmp attach --name NAME FLAG... POLICY' in the background
# (sets mpid, logs to $tmp/mmp.log); returns once its policy is attached
# (it says so in its log), or dies after 60 s (the first start compiles
# the policy with clang).
start_mmp() {
	policy=$1 name=$2
	shift 2
	"$MMP" attach --name "$name" "$@" "$policy" >"$tmp/mmp.log" 2>&1 &
	mpid=$!
	n=0
	until grep -q 'policy .* attached' "$tmp/mmp.log"; do
		if ! kill -0 "$mpid" 2>/dev/null || [ $n -ge 600 ]; then
			echo "$me: mmp did not attach; its output:" >&2
			sed 's/^/    /' "$tmp/mmp.log" >&2
			exit 1
		fi
		sleep 0.1
		n=$((n + 1))
	done
}

# mmp_result REGION: stops mmp (stop_mmp), then sets dropped (bytes),
# actions and note (with mmp's CPU time) from its exit summary's line for
# REGION (a sed regular expression, POLICY\.REGION); after a dry run
# dropped and actions are "-" and note says what it would have dropped;
# "-" and " (no summary from mmp)" without a line. Sets fresh to the
# bytes of pieces read since the last scoring the line gives (a region
# scored in pieces), or "-". Prints mmp's first 3 warnings or errors.
# With EVICT_BPF_STATS=1 (bpf_stats_on), note also gives what mmp's file
# hooks cost a call (bpf_cost).
mmp_result() {
	region_re=$1   # the positional parameters are reused below
	# Its CPU time, user and system, before it ends.
	cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); split($0, f, " "); printf "%.1f", (f[12] + f[13]) / hz }' \
		"/proc/$mpid/stat" 2>/dev/null)
	bpf=
	[ -z "$bpf_stats_was" ] || bpf=", BPF: $(bpf_cost)"   # before mmp unloads them
	stop_mmp
	# mmp's exit summary: "POLICY.REGION: N bytes evicted in C actions (E failed), U units scored"
	sum=$(sed -n "s/.*$1: \([0-9]*\) bytes evicted in \([0-9]*\) actions (\([0-9]*\) failed), \([0-9]*\) units scored.*/\1 \2 \3 \4/p" \
		"$tmp/mmp.log" | tail -n 1)
	if [ -n "$sum" ]; then
		# shellcheck disable=SC2086 # four numbers
		set -- $sum
		dropped=$1 actions=$2 note=" in $2 drops ($3 failed), $4 files scored, mmp CPU ${cpu:-?} s$bpf"
	elif sum=$(sed -n "s/.*$1: dry run: \([0-9]*\) bytes would have been evicted.*/\1/p" "$tmp/mmp.log" | tail -n 1) &&
		[ -n "$sum" ]; then
		dropped=- actions=- note=" (dry run: would have dropped $(mib "$sum") MiB), mmp CPU ${cpu:-?} s$bpf"
	else
		dropped=- actions=- note=" (no summary from mmp)"
	fi
	fresh=$(sed -n "s/.*$region_re: .* \([0-9]*\) bytes of them pieces read since the last scoring.*/\1/p" "$tmp/mmp.log" |
		tail -n 1)
	fresh=${fresh:--}
	grep -E 'warning|error' "$tmp/mmp.log" | grep -v 'no running process matches' | sed 's/^/    /' | head -n 3
}

# run_in_cg COMMAND [ARG]...: runs COMMAND in the cgroup $cg, and in $iocg
# if throttle_disk made one (pid while it runs), and waits for it; sets rc
# to its exit status. Its output goes where the call's does. The command
# is this shell's child.
run_in_cg() {
	# shellcheck disable=SC2016 # expanded by that shell
	sh -c 'echo $$ >"$0/cgroup.procs" && { [ -z "$1" ] || echo $$ >"$1/cgroup.procs"; } && shift && exec "$@"' \
		"$cg" "${iocg:-}" "$@" &
	pid=$!
	rc=0
	wait "$pid" || rc=$?
	pid=
}

# read_bytes: this shell's read_bytes (/proc/$$/io), its reaped
# children's included: a workload run with run_in_cg is this shell's
# child, so the delta over its run is what it read from disk. Builtins
# only: a child started to read it would add its own reads.
read_bytes() { while read -r k val; do [ "$k" != read_bytes: ] || { echo "$val"; return; }; done </proc/$$/io; }

# rounds: ROUNDS rounds of run_variant VARIANT for each of VARIANTS, the
# order rotated every round, after emptying each $tmp/VARIANT.res.
rounds() {
	for v in $VARIANTS; do : >"$tmp/$v.res"; done
	nvar=$(echo "$VARIANTS" | wc -w)
	r=0
	while [ "$r" -lt "$ROUNDS" ]; do
		r=$((r + 1))
		echo "round $r/$ROUNDS"
		order=$(echo "$VARIANTS" | awk -v k=$(( (r - 1) % nvar )) '{ for (i = 0; i < NF; i++) printf "%s ", $((i + k) % NF + 1) }')
		for v in $order; do run_variant "$v"; done
	done
}

# field PAIRS KEY: the value of KEY in a line of KEY=VALUE pairs.
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# mib BYTES: BYTES in MiB, rounded ("-" stays "-").
mib() { awk -v b="$1" 'BEGIN { if (b == "-") print "-"; else printf "%.0f", b / 1048576 }'; }

# median_of NUMBER...: the median of the numbers ("-" if none).
median_of() {
	printf '%s\n' "$@" | grep -E '^[0-9.]+$' | sort -g | awk '{ a[NR] = $1 } END {
		if (!NR) { print "-"; exit }
		print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# median FILE N: the median of the numbers in column N of FILE ("-" if
# none, or if there is no FILE).
median() {
	# shellcheck disable=SC2046 # a list of numbers
	median_of $(cut -d' ' -f"$2" "$1" 2>/dev/null)
}

# range FILE N DECIMALS: "LOW-HIGH" of column N of FILE, with DECIMALS
# digits after the point.
range() {
	cut -d' ' -f"$2" "$1" | sort -g | awk -v d="$3" 'NR == 1 { lo = $1 } { hi = $1 } END {
		printf "%." d "f-%." d "f", lo, hi }'
}
