#!/bin/sh
# oom_window.sh - a 'kill task when usage of cgroup ... >= 80%' rule acts
# before the kernel's OOM killer on a process that grows as fast as it
# can, so that the kernel kills nothing in the cgroup:
#   cgroup v1: the threshold wakes the runtime through an eventfd
#     (cgroup.event_control), and mmp decides the cgroup's OOMs
#     (memory.oom_control);
#   cgroup v2: mmp sets memory.high at the threshold; above it the kernel
#     throttles the cgroup, and memory.events wakes the runtime.
# In a 200M cgroup: imp 40M (protected), vm_a 30M (preferred), and vm_c
# growing to 300M at full speed. Without the policy the kernel kills vm_c
# (asserted: the fast growth does reach the kernel's killer). With it, in
# each trial, vm_a is the first to die, by mmp, imp lives, and the
# cgroup's count of kernel OOM kills does not move. On v2, memory.high
# holds the threshold while the runtime runs and its old value after the
# runtime exits, and after it is killed with SIGKILL (its guardian).
# Where this test has CAP_SYS_RESOURCE, one more trial: imp sets its own
# oom_score_adj 1000 with it (as a service manager's OOMScoreAdjust= does),
# and the runtime is started without it, so that it cannot lower imp's
# value: it says so by name, and the kill rule still protects imp.
. "${srcdir:-.}/tests/kernel/lib.sh"
skip_unless_kernel
HOG=${HOG:-$top_builddir/tests/workloads/hog}
TAG=mmp-oomwin-$$
. "${srcdir:-.}/tests/kernel/oom_lib.sh"
TRIALS=${MMP_OOM_TRIALS:-5}

CG=$TAG
mkcg "$CG" 200M || { echo "FAIL: cannot make cgroup $CG"; exit 99; }
high_of() { cat "$MEM/$CG/memory.high"; }

# trial KIND N [IMP_ADJ]: imp and vm_a first, then vm_c, until vm_c is gone (or has
# its 300M, which would be a failure). Sets KILLED (the processes mmp
# killed, in order), BYKERNEL and DIED.
trial() {
	kind=$1 n=$2
	hog "$CG" "${3:-0}" imp 40
	hog "$CG" 0 vm_a 30
	for h in imp vm_a; do wait_line $h ready 20 || { bad "$kind $n: $h did not start: $(cat "$TMP/$h.err")"; return 1; }; done
	if [ "$kind" = policy ]; then
		for hc in imp:protect vm_a:prefer; do
			check "$kind $n: ${hc%:*} is governed as '${hc#*:}'" \
				wait_until 10 grep -q "pid $(pid_of ${hc%:*}) (${hc%:*}): ${hc#*:}," "$LOG"
		done
		by="mmp"   # v1: memory.oom_control
		[ "$MEMV" = 2 ] && by="kill rule, then kernel"
		check "$kind $n: mmp stats says who decides imp's OOM: $by" \
			wait_until 10 sh -c "'$MMP' stats $RUNTIME | grep -q '^$(pid_of imp) .* $by\$'"
	fi
	before=$(oom_kills "$CG") lines=$(wc -l <"$LOG")
	hog "$CG" 0 vm_c 0 --grow 4000 --max 300
	wait_until 60 sh -c "! kill -0 $(pid_of vm_c) 2>/dev/null || [ \"\$(sed 's/.*) //' /proc/$(pid_of vm_c)/stat 2>/dev/null | cut -d' ' -f1)\" = Z ]"
	BYKERNEL=$(($(oom_kills "$CG") - before))
	KILLED=$(tail -n +"$((lines + 1))" "$LOG" | sed -n 's/.*killed pid [0-9]* (\([^)]*\)).*/\1/p' | tr '\n' ' ')
	reap imp vm_a vm_c
	DIED=$DEAD
	wait_until 10 sh -c "[ -z \"\$(cat '$MEM/$CG/cgroup.procs')\" ]"
}

RUNTIME=oomwin LOG=$TMP/oomwin.log
: >"$LOG"
trial baseline 1
check "baseline: the kernel's OOM killer kills vm_c (kernel kills: $BYKERNEL; died: ${DIED:-none}$ERRS)" \
	[ "$BYKERNEL" -ge 1 ] && [ "$DIED" = vm_c ]

printf 'policy win { match cgroup "/%s"; oom { protect comm "imp"; prefer comm "vm_a"; kill task when usage of cgroup "/%s" >= 80%%; } }\n' \
	"$CG" "$CG" >"$TMP/win.mmp"
orig_high=""
[ "$MEMV" = 2 ] && orig_high=$(high_of)
start_mmp oomwin "$TMP/win.mmp" || exit 1
if [ "$MEMV" = 2 ]; then
	page=$(getconf PAGESIZE)
	want=$((200 * 1024 * 1024 / 100 * 80 / page * page))
	check "v2: memory.high is the threshold, $want, while the runtime runs (got $(high_of))" \
		wait_until 10 sh -c "[ \"\$(cat '$MEM/$CG/memory.high')\" = $want ]"
fi
t=1
while [ $t -le "$TRIALS" ]; do
	trial policy $t
	what="mmp killed: ${KILLED:-none}; kernel kills: $BYKERNEL; died: ${DIED:-none}$ERRS"
	echo "policy $t: $what"
	check "policy $t: vm_a is the first to die, by mmp ($what)" [ "${KILLED%% *}" = vm_a ]
	check "policy $t: the kernel kills nothing in the cgroup ($what)" [ "$BYKERNEL" -eq 0 ]
	case " $DIED " in *" imp "*) ok=0 ;; *) ok=1 ;; esac
	check "policy $t: imp, the protected process, lives ($what)" [ $ok = 1 ]
	t=$((t + 1))
done
check "stats name the way in force" sh -c "'$MMP' stats $RUNTIME | grep -Eq 'memory.high set at the kill rule|OOMs decided by mmp in 1 v1'"
stop_mmp oomwin
if [ "$MEMV" = 2 ]; then
	check "v2: after the runtime, memory.high is $orig_high again (got $(high_of))" [ "$(high_of)" = "$orig_high" ]
	# Killed with SIGKILL, its guardian puts memory.high back.
	start_mmp oomwin-kill "$TMP/win.mmp" || exit 1
	wait_until 10 sh -c "[ \"\$(cat '$MEM/$CG/memory.high')\" != '$orig_high' ]"
	check "v2: the second runtime set memory.high too (got $(high_of))" [ "$(high_of)" != "$orig_high" ]
	kill -9 "$MMPPID"
	wait "$MMPPID" 2>/dev/null
	MMPS=$(echo "$MMPS" | sed "s/ $MMPPID\$//; s/ $MMPPID / /")
	check "v2: after SIGKILL, its guardian puts memory.high back to $orig_high (got $(high_of))" \
		wait_until 30 sh -c "[ \"\$(cat '$MEM/$CG/memory.high')\" = '$orig_high' ]"
	wait_until 30 nothing_left oomwin-kill
fi
if [ "$MEMV" = 2 ] && sh -c 'echo -1 >/proc/self/oom_score_adj' 2>/dev/null && command -v setpriv >/dev/null; then
	RUNTIME=oomwin-nocap LOG=$TMP/oomwin-nocap.log
	MMP_WRAP="setpriv --bounding-set -sys_resource" start_mmp $RUNTIME "$TMP/win.mmp" || exit 1
	trial nocap 1 1000
	what="mmp killed: ${KILLED:-none}; kernel kills: $BYKERNEL; died: ${DIED:-none}$ERRS"
	check "nocap: the runtime names imp, whose 1000 it cannot lower, and says only the kill rule can act first" \
		grep -q "pid [0-9]* (imp) is protected, but its oom_score_adj 1000 cannot be lowered.*kill rule can act before" "$LOG"
	check "nocap: vm_a is the first to die, by mmp ($what)" [ "${KILLED%% *}" = vm_a ]
	check "nocap: the kernel kills nothing in the cgroup ($what)" [ "$BYKERNEL" -eq 0 ]
	case " $DIED " in *" imp "*) ok=0 ;; *) ok=1 ;; esac
	check "nocap: imp lives ($what)" [ $ok = 1 ]
	stop_mmp $RUNTIME
	check "nocap: memory.high is $orig_high again (got $(high_of))" [ "$(high_of)" = "$orig_high" ]
else
	echo "(the trial without CAP_SYS_RESOURCE needs cgroup v2, CAP_SYS_RESOURCE to take away, and setpriv)"
fi
check "nothing left after the runtime" nothing_left oomwin
finish
