# lib.sh - shared by the kernel tests: they need root and BPF, start only
# processes of their own, and leave nothing behind (pins, programs, files).
srcdir=${srcdir:-.}
top_builddir=${top_builddir:-.}
MMP=${MMP:-$top_builddir/mmp}
MMPC=${MMPC:-$top_builddir/mmpc}
WORKLOAD=${WORKLOAD:-$top_builddir/tests/workloads/hotcold}
STRIDER=${STRIDER:-$top_builddir/tests/workloads/strider}
GETSCAN=${GETSCAN:-$top_builddir/tests/workloads/getscan}
HOG=${HOG:-$top_builddir/tests/workloads/hog}
TREEREADER=${TREEREADER:-$top_builddir/tests/workloads/treereader}
THREADSCAN=${THREADSCAN:-$top_builddir/tests/workloads/threadscan}
pass=0 fail=0

skip_unless_kernel() {
	if [ "$(id -u)" -ne 0 ]; then echo "SKIP: kernel tests need root"; exit 77; fi
	if [ ! -r /sys/kernel/btf/vmlinux ]; then echo "SKIP: this kernel has no BTF"; exit 77; fi
	if [ "${1:-}" = thp ] && [ "$(cat /sys/kernel/mm/transparent_hugepage/hpage_pmd_size 2>/dev/null)" != 2097152 ]; then
		echo "SKIP: this kernel has no 2M transparent huge pages"; exit 77
	fi
}

# One kernel test at a time: they share pin names, and "no mmp program is
# left" can only be checked when no other runtime is up.
# The wait is bounded: a holder that never lets go (a benchmark left running,
# or a caller that took the lock around 'make check' itself) is reported.
# An hour (MMP_KERNEL_LOCK_WAIT seconds): 'make check-kernels' holds the
# lock for its whole run, which takes 8 minutes on an idle 2-core machine
# and 20 or more on a loaded one, and another suite's tests queue behind it.
LOCK_WAIT=${MMP_KERNEL_LOCK_WAIT:-3600}
exec 9>/tmp/mmp-kernel-tests.lock
flock -w "$LOCK_WAIT" 9 || { echo "ERROR: /tmp/mmp-kernel-tests.lock still held after $LOCK_WAIT s: $(lslocks 2>/dev/null | grep mmp-kernel-tests)"; exit 99; }

TMP=$(mktemp -d) || exit 99
export MMP_CACHE_DIR="$TMP/cache"
PIDS=""
cleanup() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM   # a test stopped (a timeout) ends, and cleans up at exit

ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
# check NAME CONDITION-COMMAND...: a test that passes when the command does.
check() { name=$1; shift; if "$@"; then ok; else bad "$name"; return 1; fi; }

finish() {
	echo "$(basename "$0" .sh): $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}

# wait_until SECONDS COMMAND...: runs COMMAND every 0.1 s until it succeeds,
# or fails once SECONDS have passed. Tests wait for the state they assert,
# with a generous bound, never for a fixed time: machines differ tenfold.
wait_until() {
	deadline=$(( $(date +%s) + $1 )); shift
	until "$@"; do
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# make_memcg NAME LIMIT: a memory cgroup of the test's own, NAME-PID,
# limited to LIMIT: v1 here, v2 where that is what there is (then V2=1),
# in CG, which the caller's exit trap removes (remove_cgroup). Exits 77
# without a memory controller, 99 when it cannot make or limit it.
make_memcg() {
	if [ -d /sys/fs/cgroup/memory ]; then
		mkdir "/sys/fs/cgroup/memory/$1-$$" || { echo "cannot make a v1 memory cgroup"; exit 99; }
		CG=/sys/fs/cgroup/memory/$1-$$ V2=
		echo "$2" >"$CG/memory.limit_in_bytes" || { echo "cannot limit a v1 memory cgroup"; exit 99; }
	elif grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
		mkdir "/sys/fs/cgroup/$1-$$" || { echo "cannot make a v2 memory cgroup"; exit 99; }
		CG=/sys/fs/cgroup/$1-$$ V2=1
		echo "$2" >"$CG/memory.max" || { echo "cannot limit a v2 memory cgroup"; exit 99; }
	else
		echo "SKIP: no memory cgroup controller"; exit 77
	fi
}

# memcg_test NAME LIMIT: make_memcg, and in DIR a directory for the
# test's files, not on tmpfs (whose page cache cannot be dropped): both
# removed on any exit.
memcg_test() {
	CG= dir=
	trap 'remove_cgroup "$CG"; [ -z "$dir" ] || [ "$dir" = "$TMP" ] || rm -rf "$dir"; cleanup' EXIT
	trap 'exit 1' INT TERM
	make_memcg "$1" "$2"
	dir=$TMP
	if [ "$(stat -f -c %T "$dir")" = tmpfs ]; then
		dir=$(mktemp -d "$PWD/$1.XXXXXX") || exit 99
	fi
}

# remove_cgroup DIR: kills what is left in the test's own cgroup DIR and
# removes it, trying again for 5 s: a task killed a moment before can
# still be listed in it (a reader test's cgroup was once found left
# behind after a clean-clone run). Says so if it cannot.
remove_cgroup() {
	[ -n "$1" ] && [ -d "$1" ] || return 0
	for _ in $(seq 50); do
		for p in $(cat "$1/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		rmdir "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "could not remove the test's cgroup $1 (tasks: $(tr '\n' ' ' <"$1/cgroup.procs" 2>/dev/null))"
	return 1
}

# The value of KEY=N in the workload's last output line.
# KEY as a whole word: 'huge_kb' is not the end of 'guard_nohuge_huge_kb'.
field() { sed -n "s/.*\(^\| \)$1=\([0-9]*\).*/\2/p" "$2" | tail -n 1; }

# No mmp program may outlive its runtime. The kernel lets go of a program
# when the last link to it is freed, and it frees some links only after an
# RCU grace period, so a program can still be listed for a moment after its
# runtime has been reaped (seen under distcheck's load): wait for that, 10 s
# at most. Only the test's own count: a program that a process outside the
# test holds is another runtime's (a user's, a benchmark's), which may run
# meanwhile; one that no process holds, or one of the test's, is left over.
no_programs_left() { wait_until 10 programs_gone "$1"; }
programs_gone() {
	progs=$(bpftool prog show) || { echo "bpftool prog show failed: is bpftool installed?"; return 1; }
	for held in $(echo "$progs" | mmp_program_holders); do
		foreign=0
		for p in $(echo "$held" | tr ',' ' '); do
			[ "$p" = - ] || of_this_test "$p" || foreign=1
		done
		[ "$foreign" = 1 ] || return 1
	done
	# No pins of NAME, nor of any name no running runtime holds (its lock
	# file there and locked); the last runtime out removes the directory.
	! ls /sys/fs/bpf/mmp/"$1" >/dev/null 2>&1 && ! { [ -d /sys/fs/bpf/mmp ] && [ -z "$(ls -A /sys/fs/bpf/mmp)" ]; } ||
		return 1
	for d in /sys/fs/bpf/mmp/*/; do
		[ -d "$d" ] || continue
		n=$(basename "$d")
		[ -e "/run/mmp/$n.lock" ] && ! flock -n -s "/run/mmp/$n.lock" true 2>/dev/null || return 1
	done
}
# For each mmp program that 'bpftool prog show' lists (on standard input),
# the pids of the processes holding it, a program's or a link's file,
# joined by commas ('-': none). (Debian 12's bpftool does not list them.)
mmp_program_holders() {
	{ sed -n 's/^\([0-9]*\): .* name mmp_.*/id \1/p'
	  grep -rHs '^prog_id:' /proc/[0-9]*/fdinfo | sed -n 's|^/proc/\([0-9]*\)/fdinfo/[0-9]*:prog_id:[[:space:]]*\([0-9]*\)$|fd \2 \1|p'
	} | awk '$1 == "id" { ids[$2] = "-" }
	         $1 == "fd" && ($2 in ids) { ids[$2] = (ids[$2] == "-" ? "" : ids[$2] ",") $3 }
	         END { for (i in ids) print ids[i] }'
}
# of_this_test PID: PID is this test's shell or one of its descendants.
of_this_test() {
	p=$1
	while [ -n "$p" ] && [ "$p" -gt 1 ]; do
		[ "$p" -eq $$ ] && return 0
		p=$(sed -n 's/^PPid:[[:space:]]*//p' "/proc/$p/status" 2>/dev/null)
	done
	return 1
}
