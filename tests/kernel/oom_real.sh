#!/bin/sh
# oom_real.sh - 'oom' rules on processes that behave as real programs do
# (stress-ng, services): each sets its own oom_score_adj to 1000 as it
# starts, and each is started by a launcher that forks and execs it
# (timeout(1)), so that a process is first seen as the launcher and becomes
# itself at exec. The policy matches the cgroup and tells the processes
# apart by executable, as a user would:
#
#   protect exe ".../important"; prefer exe ".../vm_a";
#   avoid exe ".../vm_b"; score = rss;
#
# In a 300M cgroup: important 60M, vm_a 40M, vm_b 70M, and vm_c growing to
# 140M, which runs the cgroup out of memory once; one kill makes room
# (30M to spare when vm_a is the one). By
# itself the kernel kills vm_c, the largest (all are at 1000): asserted, so
# that the policy's choice is told from the default. With the policy, vm_a
# dies and important lives, in every trial. In the last one the test
# writes 500 to vm_b's oom_score_adj, as an admin would: the runtime takes
# it as vm_b's own and puts the order back. After the runtime exits each
# survivor holds its own value again (1000, and vm_b 500).
. "${srcdir:-.}/tests/kernel/lib.sh"
skip_unless_kernel
HOG=${HOG:-$top_builddir/tests/workloads/hog}
TAG=mmp-oomreal-$$
. "${srcdir:-.}/tests/kernel/oom_lib.sh"
TRIALS=${MMP_OOM_TRIALS:-10}
command -v timeout >/dev/null || { echo "SKIP: no timeout(1) to launch the workloads with"; exit 77; }
sh -c 'echo 1000 >/proc/self/oom_score_adj' 2>/dev/null || { echo "SKIP: cannot set oom_score_adj 1000"; exit 77; }

for n in important vm_a vm_b vm_c; do cp "$HOG" "$TMP/$n"; done
CG=$TAG
mkcg "$CG" 300M || { echo "FAIL: cannot make cgroup $CG"; exit 99; }
DIRS="$MEM/$CG"
[ -n "$UNI" ] && [ "$UNI" != "$MEM" ] && DIRS="$DIRS $UNI/$CG"

# launch NAME ARGS...: timeout(1) in the cgroup forks, and its child execs
# $TMP/NAME, which sets its own oom_score_adj to 1000. The pid is the
# launcher's; the hog's is found from it (hog_pid).
launch() {
	_n=$1
	shift
	: >"$TMP/$_n.out"
	DIRS=$DIRS sh -c 'for d in $DIRS; do echo $$ >"$d/cgroup.procs" || exit 98; done
		exec timeout -s KILL 300 "$@"' "$TMP/$_n" "$TMP/$_n" "$@" --adj 1000 >"$TMP/$_n.out" 2>"$TMP/$_n.err" &
	eval "launcher_$_n=$! pid_$_n=$!"   # pid_: wait_line's
}
hog_pid() { eval "pgrep -P \$launcher_$1" 2>/dev/null | head -n 1; }
# first_by_kernel MARK: the hog the kernel's OOM killer killed first after
# MARK in the kernel log, or nothing.
first_by_kernel() {
	dmesg 2>/dev/null | sed -n "/$TAG: $1\$/,\$ s/.*Killed process \([0-9]*\) .*/\1/p" | while read -r _k; do
		for h in important vm_a vm_b vm_c; do [ "$(eval "echo \$hog_$h")" = "$_k" ] && echo $h; done
	done | head -n 1
}
hog_alive() { _p=$(eval "echo \$hog_$1"); [ -n "$_p" ] && alive "$_p"; }

# trial KIND N EXPECT-DEAD EXPECT-ALIVE
trial() {
	kind=$1 n=$2 dead=$3 living=$4 log=""
	[ "$kind" = baseline ] || log=$TMP/oomreal.log
	launch important 60
	launch vm_a 40
	launch vm_b 70
	for h in important vm_a vm_b; do
		wait_line "$h" ready 20 || { bad "$kind $n: $h did not start: $(cat "$TMP/$h.err")"; return; }
		eval "hog_$h=\$(hog_pid $h)"
	done
	if [ "$kind" != baseline ]; then
		# Each governed as itself (after its exec), and the order in place.
		for hc in important:protect vm_a:prefer vm_b:avoid; do
			h=${hc%:*} c=${hc#*:}
			_p=$(eval "echo \$hog_$h")
			check "$kind $n: $h (pid $_p) is governed as '$c' after its launcher's fork and its exec" \
				wait_until 10 grep -q "pid $_p ($h): $c," "$log"
		done
		wait_until 10 sh -c "[ \$(cat /proc/$hog_important/oom_score_adj) -lt \$(cat /proc/$hog_vm_a/oom_score_adj) ]"
		if [ "$n" = "$TRIALS" ]; then
			echo 500 >"/proc/$hog_vm_b/oom_score_adj"
			check "$kind $n: the runtime takes vm_b's new oom_score_adj, written by another, as its own" \
				wait_until 10 grep -q "pid $hog_vm_b (vm_b) had its oom_score_adj set to 500" "$log"
			check "$kind $n: and puts the policy's order back" \
				wait_until 10 sh -c "[ \$(cat /proc/$hog_vm_b/oom_score_adj) -lt 500 ]"
		fi
	fi
	before=$(oom_kills "$CG") mbefore=$(mmp_kills "$log")
	echo "$TAG: $kind $n" >/dev/kmsg 2>/dev/null   # where first_by_kernel starts
	launch vm_c 0 --grow 100 --max 140
	wait_line vm_c ready 20
	hog_vm_c=$(hog_pid vm_c)
	# Over when vm_c has its 140M, or once a process died and every kill is told.
	i=0
	while [ $i -lt 400 ]; do
		grep -q "^done pid=" "$TMP/vm_c.out" && break
		kills=$(($(oom_kills "$CG") - before + $(mmp_kills "$log") - mbefore))
		gone=0
		for h in important vm_a vm_b vm_c; do hog_alive $h || gone=$((gone + 1)); done
		[ "$kills" -gt 0 ] && [ "$gone" -ge "$kills" ] && break
		sleep 0.05
		i=$((i + 1))
	done
	bykernel=$(($(oom_kills "$CG") - before)) bymmp=$(($(mmp_kills "$log") - mbefore))
	died="" lived=""
	for h in important vm_a vm_b vm_c; do
		if hog_alive $h; then lived="$lived $h"; else died="$died $h"; fi
	done
	what="died:${died:- none}; alive:${lived:- none}; OOM kills: $bykernel by the kernel, $bymmp by mmp"
	# The kernel may kill twice for one OOM on a slow machine (it stops
	# counting a victim before its memory is uncharged): then the policy's
	# choice is its first victim, from the kernel's log.
	if [ "$bymmp" -eq 0 ] && [ "$bykernel" -gt 1 ] && [ "$(first_by_kernel "$kind $n")" = "$dead" ]; then
		echo "$kind $n: the kernel killed $bykernel processes, $dead first ($what)"
		ok
	else
		check "$kind $n: one OOM kill, of $dead ($what)" [ "$died" = " $dead" ] && [ $((bykernel + bymmp)) -eq 1 ] ||
			{ [ -z "$log" ] || grep "oom: \(memory cgroup\|pid\)" "$log" | tail -n 12; }
	fi
	case " $lived " in *" $living "*) ok=1 ;; *) ok=0 ;; esac
	check "$kind $n: $living survived ($what)" [ $ok = 1 ]
}

# Ends every launcher and hog of a trial, and waits until the cgroup is empty.
end_trial() {
	for h in important vm_a vm_b vm_c; do
		_p=$(eval "echo \$hog_$h") _l=$(eval "echo \$launcher_$h")
		[ -n "$_p" ] && kill -9 "$_p" 2>/dev/null
		[ -n "$_l" ] && wait "$_l" 2>/dev/null   # not a bare wait: the runtime runs in the background too
		eval "hog_$h= launcher_$h="
	done
	wait_until 10 sh -c "[ -z \"\$(cat '$MEM/$CG/cgroup.procs')\" ]"
}

# survivors_own: after the runtime exited, each hog alive holds its own
# value: 1000, and vm_b the 500 written to it.
survivors_own() {
	for h in important vm_a vm_b vm_c; do
		hog_alive $h || continue
		_p=$(eval "echo \$hog_$h") own=1000
		[ $h = vm_b ] && own=500
		[ "$(cat "/proc/$_p/oom_score_adj")" = $own ] || { echo "$h: $(cat "/proc/$_p/oom_score_adj"), not $own"; return 1; }
	done
}

for t in 1 2; do
	trial baseline $t vm_c important
	end_trial
done

printf 'policy real { match cgroup "%s"; oom { protect exe "%s"; prefer exe "%s"; avoid exe "%s"; score = rss; } }\n' \
	"/$CG" "$TMP/important" "$TMP/vm_a" "$TMP/vm_b" >"$TMP/real.mmp"
start_mmp oomreal "$TMP/real.mmp" || exit 1
t=1
while [ $t -le "$TRIALS" ]; do
	trial policy $t vm_a important
	[ $t -lt "$TRIALS" ] && end_trial
	t=$((t + 1))
done
check "stats name the way in force" sh -c "'$MMP' stats oomreal | grep -Eq 'OOMs decided by (mmp in 1 v1 memory cgroup|the kernel, by the order)'"
stop_mmp oomreal
check "after the runtime, each survivor holds its own oom_score_adj, 1000" survivors_own
end_trial
check "nothing left after the runtime" nothing_left oomreal
if [ "$MEMV" = 1 ]; then
	check "the cgroup's OOMs are the kernel's again (oom_kill_disable 0)" grep -q "^oom_kill_disable 0" "$MEM/$CG/memory.oom_control"
fi
finish
