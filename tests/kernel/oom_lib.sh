# oom_lib.sh - shared by the oom kernel tests (oom.sh, oom_real.sh): the
# memory cgroups they make, their hogs, the runtime they start, and how
# victims are told. Sourced after lib.sh, with TAG set; it removes what
# it made at exit.
# --- the cgroup hierarchies -------------------------------------------------
# MEM: where memory cgroups are made (v1 memory hierarchy, or cgroup2 with
# the memory controller). UNI: the cgroup2 hierarchy, for memory.pressure
# and cgroup.kill (the same as MEM on a pure cgroup2 host), or empty.
MEM= MEMV= UNI= ENABLED_MEMORY=
v1=$(awk '$3 == "cgroup" && ("," $4 ",") ~ /,memory,/ { print $2; exit }' /proc/self/mounts)
UNI=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
if [ -n "$v1" ] && [ -w "$v1/cgroup.procs" ]; then
	MEM=$v1 MEMV=1
elif [ -n "$UNI" ] && grep -qw memory "$UNI/cgroup.controllers" 2>/dev/null; then
	MEM=$UNI MEMV=2
	if ! grep -qw memory "$UNI/cgroup.subtree_control"; then
		echo +memory >"$UNI/cgroup.subtree_control" || { echo "SKIP: cannot enable the memory controller in $UNI"; exit 77; }
		ENABLED_MEMORY=1
	fi
else
	echo "SKIP: no memory cgroup (neither a v1 memory hierarchy nor cgroup2 with the memory controller)"
	exit 77
fi
[ -n "$UNI" ] && [ ! -e "$UNI/cgroup.procs" ] && UNI=
[ -x "$HOG" ] || { echo "FAIL: no workload $HOG"; exit 99; }
# The hogs start with oom_score_adj 0 to 100: a value under the one this
# shell inherited may need CAP_SYS_RESOURCE.
sh -c 'echo 0 >/proc/self/oom_score_adj' 2>/dev/null ||
	{ echo "SKIP: cannot set oom_score_adj 0 (this test inherited $(cat /proc/self/oom_score_adj))"; exit 77; }

CGS=""   # the names of the cgroups made, removed at the end
MMPS=""  # runtimes still up
oom_cleanup() {
	for m in $MMPS; do kill -INT "$m" 2>/dev/null; done
	for m in $MMPS; do
		for _ in $(seq 50); do kill -0 "$m" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$m" 2>/dev/null
	done
	for name in $CGS; do
		for d in "$MEM/$name" ${UNI:+"$UNI/$name"}; do
			[ -f "$d/cgroup.procs" ] || continue
			# Only this test's hogs are in its cgroups.
			for p in $(cat "$d/cgroup.procs"); do kill -9 "$p" 2>/dev/null; done
		done
	done
	cleanup   # lib.sh: the remaining PIDS, then $TMP
	for name in $CGS; do
		for d in "$MEM/$name" ${UNI:+"$UNI/$name"}; do
			for _ in $(seq 50); do [ -d "$d" ] || break; rmdir "$d" 2>/dev/null || sleep 0.1; done
		done
	done
	[ -n "$ENABLED_MEMORY" ] && echo -memory >"$UNI/cgroup.subtree_control"
}
trap oom_cleanup EXIT
trap 'exit 1' INT TERM

# mkcg NAME [LIMIT]: a memory cgroup with a limit and no swap, and the
# cgroup2 group of the same name when cgroup2 is a separate hierarchy.
# Without a limit, a parent for others (NAME/CHILD), made after it.
mkcg() {
	mkdir "$MEM/$1" || return 1
	CGS="$1 $CGS"   # children first in the clean-up
	if [ -z "${2:-}" ]; then
		[ "$MEMV" = 1 ] || echo +memory >"$MEM/$1/cgroup.subtree_control"
	elif [ "$MEMV" = 1 ]; then
		echo "$2" >"$MEM/$1/memory.limit_in_bytes" && echo 0 >"$MEM/$1/memory.swappiness" &&
			echo 0 >"$MEM/$1/memory.oom_control"
	else
		echo "$2" >"$MEM/$1/memory.max" && { [ ! -e "$MEM/$1/memory.swap.max" ] || echo 0 >"$MEM/$1/memory.swap.max"; }
	fi || return 1
	if [ -n "$UNI" ] && [ "$UNI" != "$MEM" ]; then mkdir "$UNI/$1" || return 1; fi
}

rmcg() {
	for d in "$MEM/$1" ${UNI:+"$UNI/$1"}; do
		for _ in $(seq 50); do [ -d "$d" ] || break; rmdir "$d" 2>/dev/null || sleep 0.1; done
	done
}

# The kernel's OOM kills in a memory cgroup so far.
oom_kills() {
	if [ "$MEMV" = 1 ]; then sed -n 's/^oom_kill //p' "$MEM/$1/memory.oom_control"
	else sed -n 's/^oom_kill //p' "$MEM/$1/memory.events"; fi
}

# The OOM kills the runtime made itself so far, in a v1 memory cgroup whose
# OOMs it decides (memory.oom_control), from its log: LOG, or none.
mmp_kills() {
	if [ -n "${1:-}" ] && [ -f "$1" ]; then grep -c "killed pid .*(memory.oom_control)" "$1"; else echo 0; fi
}
# mmp_victims LOG: the names of those it killed, in its order.
mmp_victims() { [ -f "$1" ] && sed -n 's/.*killed pid [0-9]* (\([^)]*\)).*(memory.oom_control)$/\1/p' "$1"; }

# Stall time (us) some task had on memory in the cgroup2 group NAME.
stall_us() { sed -n 's/^some .*total=//p' "$UNI/$1/memory.pressure"; }

# hog CGROUP ADJ NAME ARGS...: starts $TMP/NAME (a copy of the hog) in the
# cgroup, with oom_score_adj ADJ, both set before exec; pid in $HPID.
hog() {
	cg=$1 adj=$2 name=$3
	shift 3
	[ -x "$TMP/$name" ] || cp "$HOG" "$TMP/$name"
	dirs="$MEM/$cg"
	[ -n "$UNI" ] && [ "$UNI" != "$MEM" ] && dirs="$dirs $UNI/$cg"
	: >"$TMP/$name.out"
	DIRS=$dirs ADJ=$adj sh -c 'for d in $DIRS; do echo $$ >"$d/cgroup.procs" || exit 98; done
		echo "$ADJ" >/proc/self/oom_score_adj || exit 98
		exec "$0" "$@"' "$TMP/$name" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	HPID=$!
	PIDS="$PIDS $HPID"
	eval "pid_$name=$HPID"
}
pid_of() { eval "echo \$pid_$1"; }
# between N LO HI: LO <= N < HI.
between() { [ "$1" -ge "$2" ] && [ "$1" -lt "$3" ]; }

# wait_line NAME WORD SECONDS: the hog NAME printed a line starting with WORD.
wait_line() {
	i=0
	while [ $i -lt $(($3 * 20)) ]; do
		grep -q "^$2 pid=" "$TMP/$1.out" && return 0
		alive "$(pid_of "$1")" || return 1
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# Running, not a zombie: the test reaps its children only at the end of a trial.
state_of() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1; }
alive() { _state=$(state_of "$1"); [ -n "$_state" ] && [ "$_state" != Z ]; }
adj_of() { cat "/proc/$(pid_of "$1")/oom_score_adj" 2>/dev/null; }

# sleepers NAME...: a copy of sleep named NAME each, at oom_score_adj 0
# (pid_NAME), for 600 s.
sleepers() {
	for n; do
		cp /bin/sleep "$TMP/$n"
		sh -c 'echo 0 >/proc/self/oom_score_adj && exec "$0" 600' "$TMP/$n" &
		eval "pid_$n=$!"
		PIDS="$PIDS $!"
	done
}

# reap NAME...: ends the hogs still running (SIGTERM: status 143) and sets
# DEAD to those that died of SIGKILL, and ERRS to those that failed.
reap() {
	DEAD="" ERRS=""
	for n in "$@"; do
		p=$(pid_of "$n")
		alive "$p" && kill -TERM "$p"
		wait "$p" 2>/dev/null
		rc=$?
		case $rc in
		137) DEAD="${DEAD:+$DEAD }$n" ;;
		143) ;;
		*) ERRS="$ERRS $n:status=$rc($(cat "$TMP/$n.err"))" ;;
		esac
	done
}

# start_mmp NAME POLICY-FILE [OPTION...]: attach, wait until the policy is
# attached. MMP_WRAP, if set, is a command the runtime is started through
# (setpriv, to start it without a capability).
start_mmp() {
	: >"$TMP/$1.log"   # before the first grep, which may come before the shell made it
	_name=$1 _policy=$2
	shift 2
	${MMP_WRAP:-} "$MMP" attach -v --name "$_name" "$@" "$_policy" 2>"$TMP/$_name.log" &
	MMPPID=$!
	MMPS="$MMPS $MMPPID"
	for _ in $(seq 2400); do
		grep -q "attached" "$TMP/$_name.log" && return 0
		kill -0 $MMPPID 2>/dev/null || break
		sleep 0.05
	done
	bad "$_name: mmp attach did not start: $(cat "$TMP/$_name.log")"
	kill -9 $MMPPID 2>/dev/null
	return 1
}

# stop_mmp NAME: SIGINT, and it exits with 0.
stop_mmp() {
	kill -INT $MMPPID
	wait $MMPPID
	rc=$?
	MMPS=$(echo "$MMPS" | sed "s/ $MMPPID\$//; s/ $MMPPID / /")
	check "$1: the runtime exits with 0 on SIGINT (got $rc): $(tail -n 3 "$TMP/$1.log")" [ "$rc" -eq 0 ]
}

# Waits until the runtime has set the oom_score_adj of the hogs NAME... and
# leaves them alone (two equal readings 0.2 s apart), at most 4 s.
settle() {
	prev="" i=0
	while [ $i -lt 20 ]; do
		cur=""
		for n in "$@"; do cur="$cur $(adj_of "$n")"; done
		[ "$cur" = "$prev" ] && [ "$cur" != "$ORIG" ] && return 0
		prev=$cur
		sleep 0.2
		i=$((i + 1))
	done
}

# No program or pin of the runtime NAME is left. lib.sh's check sees every
# mmp program: while runtimes other than this test's run (a benchmark, by
# hand), only NAME's pins can be checked.
nothing_left() {
	if pgrep -x mmp >/dev/null 2>&1; then
		[ ! -e "/sys/fs/bpf/mmp/$1" ] || { echo "left: $(ls /sys/fs/bpf/mmp/$1)"; return 1; }
	else
		no_programs_left "$1"
	fi
}
