#!/bin/sh
# oom.sh - 'oom' rules on real processes in a memory cgroup with a limit:
# the OOM kill takes the process the policy names (prefer, score,
# protect): the kernel's, by the order of oom_score_adj, or mmp's own in a
# v1 memory cgroup whose OOMs it decides (memory.oom_control), a pre-OOM kill fires on sustained pressure and not on a
# spike, a group kill takes the whole cgroup, and every oom_score_adj the
# runtime changed is back when it exits.
#
# Victims are told by exit status (137: SIGKILL) and counted by the memory
# cgroup's oom_kill counter and the runtime's log. The hogs are copies of one binary named
# hog_a, hog_b... so that each has its own comm.
. "${srcdir:-.}/tests/kernel/lib.sh"
skip_unless_kernel
HOG=${HOG:-$top_builddir/tests/workloads/hog}
TAG=mmp-oomtest-$$
. "${srcdir:-.}/tests/kernel/oom_lib.sh"

# --- 1. OOM: the kernel's choice, and the policy's -------------------------
# A 300M cgroup holds hog_a 50M, hog_b 80M, hog_c 140M; 'grow' (no policy
# matches it) then grows to 60M: one OOM kill frees enough. By itself the
# kernel kills the largest, hog_c. ORIG: their oom_score_adj before mmp.
ORIG=" 100 50 0"
TRIALS=3
RESTORED=0

# oom_trial KIND TRIAL EXPECT [keep]: EXPECT is the hog that must die, or
# "!hog_c" for any one but hog_c. With "keep", the survivors are left for
# the restore check (stop_mmp, then check_restore).
oom_trial() {
	kind=$1 trial=$2 expect=$3 cg=$TAG-$1-$2
	mkcg "$cg" 300M || { bad "$kind $trial: cannot make cgroup $cg"; return; }
	hog "$cg" 100 hog_a 50
	hog "$cg" 50 hog_b 80
	hog "$cg" 0 hog_c 140
	for n in hog_a hog_b hog_c; do
		wait_line $n ready 10 || { bad "$kind $trial: $n did not start: $(cat "$TMP/$n.err")"; reap hog_a hog_b hog_c; rmcg "$cg"; return; }
	done
	[ "$kind" = baseline ] || settle hog_a hog_b hog_c
	during="a=$(adj_of hog_a) b=$(adj_of hog_b) c=$(adj_of hog_c)"
	log=""
	[ "$kind" = baseline ] || log=$TMP/oomtest-$kind.log
	before=$(oom_kills "$cg") mbefore=$(mmp_kills "$log")
	echo "$TAG: $kind $trial" >/dev/kmsg 2>/dev/null   # where kernel_victims starts
	hog "$cg" 0 grow 0 --grow 100 --max 60
	wait_line grow done 10
	# Over once grow has its 60M and each process the kernel killed has
	# exited: no other kill can come then.
	i=0
	while [ $i -lt 200 ] && [ "$(gone hog_a hog_b hog_c grow)" -lt $(($(oom_kills "$cg") - before + $(mmp_kills "$log") - mbefore)) ]; do
		sleep 0.05
		i=$((i + 1))
	done
	bykernel=$(($(oom_kills "$cg") - before)) bymmp=$(($(mmp_kills "$log") - mbefore))
	kills=$((bykernel + bymmp))
	if [ "$bymmp" -gt 0 ]; then
		first=$(mmp_victims "$log" | tail -n "$bymmp" | head -n 1)
	else
		first=$(kernel_victims "$kind $trial" hog_a hog_b hog_c grow | head -n 1)
	fi
	if [ "${4:-}" = keep ]; then
		SURVIVORS="" gone=""
		for n in hog_a hog_b hog_c; do
			if alive "$(pid_of $n)"; then SURVIVORS="$SURVIVORS $n"; else gone="$gone $n"; fi
		done
		reap $gone grow
		KEEP_CG=$cg
	else
		reap hog_a hog_b hog_c grow
		rmcg "$cg"
	fi
	what="oom_score_adj before the OOM: $during; died of SIGKILL: ${DEAD:-none}; OOM kills: $bykernel by the kernel, $bymmp by mmp, the first: ${first:-not in the kernel log}"
	check "$kind $trial: the hogs ran and ended cleanly ($ERRS)" [ -z "$ERRS" ]
	# One kill frees enough. A second one can follow where the kernel stops
	# counting the first victim before its memory is uncharged (it marks
	# the victim's mm skipped before the last pages are freed), which a
	# slow machine (QEMU without KVM) shows: the policy's choice is the
	# first victim, which the kernel log tells.
	if [ "$kills" -gt 1 ] && [ -n "$first" ]; then
		echo "$kind $trial: $kills processes were killed, $first first: $DEAD"
	else
		check "$kind $trial: exactly one process was killed ($what)" [ "$kills" -eq 1 ]
	fi
	case $expect in
	!*) check "$kind $trial: one process died, not ${expect#!}, which died neither first nor later ($what)" \
		not_among "${expect#!}" ;;
	*) check "$kind $trial: $expect died first ($what)" first_victim "$expect" ;;
	esac
}

# gone NAME...: how many of the processes have exited.
gone() {
	_n=0
	for _h; do alive "$(pid_of "$_h")" || _n=$((_n + 1)); done
	echo $_n
}

# kernel_victims MARK NAME...: those of NAME... whose process the kernel's
# OOM killer killed after the line MARK was written to the kernel log, in
# its order. Nothing if the log cannot be read.
kernel_victims() {
	_mark=$1
	shift
	dmesg 2>/dev/null | sed -n "/$TAG: $_mark\$/,\$ s/.*Killed process \([0-9]*\) .*/\1/p" |
		while read -r _p; do
			for _h; do [ "$(pid_of "$_h")" = "$_p" ] && echo "$_h"; done
		done
}

# first_victim NAME: NAME died, and only it; or, after more than one kill,
# NAME was the first of the kernel's victims.
first_victim() {
	if [ "$kills" -gt 1 ]; then
		[ "$first" = "$1" ] && case " $DEAD " in *" $1 "*) true ;; *) false ;; esac
	else
		[ "$DEAD" = "$1" ]
	fi
}

# not_among NAME: one process died, not NAME; or, after more than one
# kill, NAME was neither the first victim nor among the dead.
not_among() {
	case " $DEAD " in *" $1 "*) return 1 ;; esac
	if [ "$kills" -gt 1 ]; then [ -n "$first" ] && [ "$first" != "$1" ]
	else case $DEAD in *" "* | "") false ;; *) true ;; esac; fi
}

# After stop_mmp: the survivors of the kept trial have their original
# oom_score_adj back; then they are ended.
check_restore() {
	kind=$1
	for n in $SURVIVORS; do
		case $n in hog_a) o=100 ;; hog_b) o=50 ;; hog_c) o=0 ;; esac
		now=$(adj_of $n)
		check "$kind: $n's oom_score_adj is back to $o after the runtime exits (got $now)" [ "$now" = "$o" ]
		grep -q "pid $(pid_of $n) ($n): oom_score_adj" "$TMP/oomtest-$kind.log" && RESTORED=$((RESTORED + 1))
	done
	reap $SURVIVORS
	rmcg "$KEEP_CG"
}

# Baseline: without mmp the kernel kills hog_c, which no policy below
# chooses: the test can tell.
for t in 1 2; do oom_trial baseline $t hog_c; done

policy_run() {
	kind=$1 expect=$2
	printf 'policy oom_%s { match comm "hog_*"; oom { %s } }\n' "$kind" "$3" >"$TMP/$kind.mmp"
	start_mmp "oomtest-$kind" "$TMP/$kind.mmp" || return
	t=1
	while [ $t -lt $TRIALS ]; do oom_trial "$kind" $t "$expect"; t=$((t + 1)); done
	oom_trial "$kind" $t "$expect" keep
	stop_mmp "oomtest-$kind"
	check_restore "$kind"
	check "$kind: nothing left after the runtime" nothing_left "oomtest-$kind"
}

# prefer: the smallest is chosen.
policy_run prefer hog_a 'prefer comm "hog_a";'
# score: the smallest first.
policy_run score hog_a 'score = 0 - rss;'
# protect: the largest, which the kernel would take, is never taken.
policy_run protect '!hog_c' 'protect comm "hog_c";'
check "the runtime changed the oom_score_adj of some survivor, so that the restore checks mean something ($RESTORED)" \
	[ "$RESTORED" -gt 0 ]

# --- 2. Pre-OOM kills on pressure ---------------------------------------
if [ -z "$UNI" ] || [ ! -r /proc/pressure/memory ] || [ ! -r "$UNI/cgroup.procs" ]; then
	echo "pre-OOM kills not tested: no cgroup2 hierarchy or no PSI on this machine"
	finish
	exit
fi

# The thrashing hog reads a 165M file over and over (hog --thrash) in a
# cgroup with about 140M of room: its page cache thrashes, which is
# sustained pressure without an OOM. Each cgroup's limit is 150M and what
# the other hogs in it hold.
dd if=/dev/zero of="$TMP/thrash.dat" bs=1M count=165 conv=fsync status=none
check_psi_group() { [ -r "$UNI/$1/memory.pressure" ] && [ -n "$(stall_us "$1")" ]; }

# sample CGROUP NAME WORD SECONDS: samples the cgroup's memory pressure
# every 0.1 s from the start of the hog NAME until it has printed a line
# starting with WORD (or died), or it stopped itself (--stop-when) and 1.5 s
# more passed, or SECONDS pass. FIRST: ms from the start to the first 0.1 s
# with over 10% of stall; ABOVE: ms spent over 10%; END: ms from the start
# to the end (or to the stop); STALL: ms of stall in all.
sample() {
	t0=$(date +%s%N) s0=$(stall_us "$1") tp=$t0 sp=$s0 FIRST="" ABOVE=0 stopped=""
	while :; do
		sleep 0.1
		t=$(date +%s%N) st=$(stall_us "$1")
		if [ $(((st - sp) * 1000 * 10)) -gt $((t - tp)) ]; then   # over 10%
			[ -n "$FIRST" ] || FIRST=$(((tp - t0) / 1000000))
			ABOVE=$((ABOVE + (t - tp) / 1000000))
		fi
		tp=$t sp=$st
		grep -q "^$3 pid=" "$TMP/$2.out" && break
		[ -n "$stopped" ] || ! stopped_itself "$(pid_of "$2")" || stopped=$t
		[ -z "$stopped" ] || [ $((t - stopped)) -lt 1500000000 ] || break
		alive "$(pid_of "$2")" || break
		[ $((t - t0)) -lt $(($4 * 1000000000)) ] || break
	done
	END=$(((${stopped:-$t} - t0) / 1000000)) STALL=$(((st - s0) / 1000))
}
stopped_itself() { [ "$(state_of "$1")" = T ]; }

# The runtime (-v) logs when the pressure it samples goes over the
# threshold ("... over 10%"), and when it falls back, after how long.
pressure_seen() { grep -q "pressure.* over 10%" "$TMP/oomtest-pre.log"; }
fell_after() { sed -n 's/.*pressure fell to .* after \([0-9.]*\) s$/\1/p' "$TMP/oomtest-pre.log" | head -n 1; }
# Killed, after living at least the policy's 3 s of pressure, within a
# minute. (When the pressure began is the runtime's to judge: a starved
# guest's own sampling can miss it; the spike shows it is not too early.)
sustained_ok() { between "$END" 3000 60000 && ! alive "$1"; }

# The pressure is that of a cgroup of this test's (with 'of cgroup'), not
# the system's, which other work on the machine could raise. The spike and
# the sustained pressure are each in a new cgroup below it: a cgroup's
# page cache keeps the state of an earlier thrashing.
P=$TAG-pre P1=$TAG-pre/spike P2=$TAG-pre/sustained
printf 'policy pre { match comm "hog_*"; oom { prefer comm "hog_t*"; kill task when pressure some of cgroup "%s" > 10%% for 3s; } }\n' \
	"$UNI/$P" >"$TMP/pre.mmp"
mkcg "$P" && mkcg "$P1" 170M && mkcg "$P2" 150M || bad "pre: cannot make the cgroups"
if ! check_psi_group "$P1"; then
	echo "pre-OOM kills not tested: $UNI/$P1 has no memory.pressure"
	finish
	exit
fi
if start_mmp oomtest-pre "$TMP/pre.mmp" -v; then
	hog "$P1" 100 hog_s 20
	wait_line hog_s ready 10 || bad "pre: hog_s did not start: $(cat "$TMP/hog_s.err")"

	# A spike: hog_t1 thrashes until the runtime logs that it saw the
	# pressure go over 10%, then stops itself (--stop-when): the spike ends
	# when the runtime has seen it, however slow the machine or this shell.
	# The runtime must see the pressure fall within the policy's 3 s, and
	# kill nobody.
	hog "$P1" 0 hog_t1 10 --thrash "$TMP/thrash.dat" --stop-when "$TMP/oomtest-pre.log" "over 10%"
	sample "$P1" hog_t1 never 120
	if check "pre: the runtime saw the spike's pressure go over 10% within 2 minutes (test-side: stall $STALL ms)" pressure_seen; then
		sleep 3   # with the 1.5 s sampled after the stop: over 3 s of quiet
		FELL=$(fell_after)
		what="stall $STALL ms in all; the runtime saw the pressure fall after ${FELL:-never} s"
		echo "pre: spike: $what"
		check "pre: the runtime saw the spike's pressure fall within the policy's 3 s ($what)" \
			awk -v s="$FELL" 'BEGIN { exit !(s != "" && s < 3) }'
		check "pre: a spike kills nobody: hog_t1 alive ($what)" alive "$pid_hog_t1"
		check "pre: a spike kills nobody: hog_s alive" alive "$pid_hog_s"
	fi
	kill -TERM "$pid_hog_t1" 2>/dev/null
	kill -CONT "$pid_hog_t1" 2>/dev/null   # the SIGTERM is taken once it runs
	reap hog_t1
	check "pre: the spike hog ended cleanly (${DEAD:-no SIGKILL}$ERRS)" [ -z "$DEAD$ERRS" ]

	# Sustained pressure: hog_t2 thrashes until it is killed, 3 s after
	# its pressure began.
	hog "$P2" 0 hog_t2 10 --thrash "$TMP/thrash.dat"
	sample "$P2" hog_t2 never 70
	what="pressure over 10% from ${FIRST:-never} ms, for $ABOVE ms in all; stall $STALL ms; the hog ran for $END ms"
	echo "pre: sustained: $what"
	check "pre: sustained pressure: hog_t2 is killed, 3 s or more after it began, within a minute ($what)" \
		sustained_ok "$pid_hog_t2"
	check "pre: hog_s, not chosen, survives" alive "$pid_hog_s"
	reap hog_t2
	check "pre: hog_t2 died of SIGKILL (${DEAD:-none}$ERRS)" [ "$DEAD" = hog_t2 ]
	check "pre: the kill is not the kernel's OOM killer ($(oom_kills "$P2"))" [ "$(oom_kills "$P2")" -eq 0 ]
	grep -q "killed pid $pid_hog_t2 (hog_t2)" "$TMP/oomtest-pre.log" || bad "pre: the kill is logged: $(grep oom: "$TMP/oomtest-pre.log")"
	stop_mmp oomtest-pre
	check "pre: hog_s's oom_score_adj is back to 100 (got $(adj_of hog_s))" [ "$(adj_of hog_s)" = 100 ]
	reap hog_s
	check "nothing left after the pre-OOM runtime" nothing_left oomtest-pre
fi
rmcg "$P1"
rmcg "$P2"
rmcg "$P"

# --- 3. A group kill takes the whole cgroup ---------------------------------
# hog_g1 thrashes in cgroup G with hog_g2 and hog_g3; the policy chooses
# hog_g2 (a sleeper), and the kill takes all three. hog_o, in another
# cgroup, survives.
G=$TAG-grp O=$TAG-other
mkcg "$G" 190M && mkcg "$O" 100M || bad "grp: cannot make the cgroups"
printf 'policy grp { match comm "hog_*"; oom { prefer comm "hog_g2"; kill group when pressure some of cgroup "%s" > 10%% for 2s; } }\n' \
	"$UNI/$G" >"$TMP/grp.mmp"
if start_mmp oomtest-grp "$TMP/grp.mmp"; then
	hog "$O" 100 hog_o 20
	hog "$G" 100 hog_g2 20
	hog "$G" 0 hog_g3 20
	for n in hog_o hog_g2 hog_g3; do wait_line $n ready 10 || bad "grp: $n did not start: $(cat "$TMP/$n.err")"; done
	hog "$G" 0 hog_g1 10 --thrash "$TMP/thrash.dat"
	# (Killed before it said "ready" is for the checks below to judge.)
	if ! wait_line hog_g1 ready 20 && alive "$pid_hog_g1"; then bad "grp: the thrashing hog did not thrash: $(cat "$TMP/hog_g1.err")"; fi
	i=0
	while { alive "$pid_hog_g1" || alive "$pid_hog_g2" || alive "$pid_hog_g3"; } && [ $i -lt 300 ]; do sleep 0.05; i=$((i + 1)); done
	sleep 0.5
	check "grp: hog_o, in another cgroup, survives" alive "$pid_hog_o"
	left=$(cat "$UNI/$G/cgroup.procs")
	check "grp: $UNI/$G is empty (left: $(echo $left))" [ -z "$left" ]
	reap hog_g1 hog_g2 hog_g3
	check "grp: the whole group died of SIGKILL (${DEAD:-none}$ERRS)" [ "$DEAD" = "hog_g1 hog_g2 hog_g3" ]
	grep -q "killed .*cgroup .*$G" "$TMP/oomtest-grp.log" || bad "grp: the group kill is logged: $(grep oom: "$TMP/oomtest-grp.log")"
	stop_mmp oomtest-grp
	check "grp: hog_o's oom_score_adj is back to 100 (got $(adj_of hog_o))" [ "$(adj_of hog_o)" = 100 ]
	reap hog_o
	check "nothing left after the group runtime" nothing_left oomtest-grp
fi
rmcg "$G"
rmcg "$O"

# --- two runtimes, one cgroup -----------------------------------------------
# The second leaves the cgroup's OOM setting (v1 oom_kill_disable, v2
# memory.high, the kill rule's window) to the first, and says so: two that
# both set it would undo each other's value as each ends.
T=$TAG-two
setting() {
	if [ "$MEMV" = 1 ]; then sed -n 's/^oom_kill_disable //p' "$MEM/$T/memory.oom_control"; else cat "$MEM/$T/memory.high"; fi
}
if mkcg "$T" 300M; then
	unset_value=$(setting)
	hog "$T" 0 hog_t 20
	if wait_line hog_t ready 10; then
		printf 'policy two { match comm "hog_t"; oom { prefer comm "hog_t"; kill task when usage >= 90%%; } }\n' >"$TMP/two.mmp"
		set_by_mmp() { [ "$(setting)" != "$unset_value" ]; }
		if start_mmp oomtest-two-a "$TMP/two.mmp"; then
			A=$MMPPID
			wait_until 30 set_by_mmp
			check "two: the first runtime sets the cgroup's OOM setting ($(setting), was $unset_value)" set_by_mmp
			if start_mmp oomtest-two-b "$TMP/two.mmp"; then
				said() { grep -q "runtime 'oomtest-two-a' \(decides the OOMs\|sets it\)" "$TMP/oomtest-two-b.log"; }
				wait_until 30 said
				check "two: the second says the first decides the cgroup ($(grep -c "$T" "$TMP/oomtest-two-b.log") lines on it)" said
				stop_mmp oomtest-two-b
				check "two: the first's setting stays when the second ends ($(setting))" set_by_mmp
			fi
			MMPPID=$A
			stop_mmp oomtest-two-a
			check "two: and is put back when the first ends ($(setting), was $unset_value)" [ "$(setting)" = "$unset_value" ]
		fi
		# A runtime killed with its guardian leaves its setting; the next
		# runtime on the cgroup puts back the value from before it, not that.
		if start_mmp oomtest-two-c "$TMP/two.mmp"; then
			wait_until 30 set_by_mmp
			guardian=$(pgrep -P "$MMPPID" -x mmp-guardian)
			[ -n "$guardian" ] && kill -9 "$guardian"
			kill -9 "$MMPPID"
			wait "$MMPPID" 2>/dev/null
			MMPS=$(echo "$MMPS" | sed "s/ $MMPPID\$//; s/ $MMPPID / /")
			check "two: a runtime killed with its guardian leaves its setting ($(setting))" set_by_mmp
			if start_mmp oomtest-two-d "$TMP/two.mmp"; then
				adopted() { grep -q "was set by a runtime that ended" "$TMP/oomtest-two-d.log"; }
				wait_until 30 adopted
				check "two: the next runtime says the setting is a runtime's that ended" adopted
				stop_mmp oomtest-two-d
				check "two: and puts back the value from before both ($(setting), was $unset_value)" \
					[ "$(setting)" = "$unset_value" ]
			fi
			"$MMP" restore oomtest-two-c >/dev/null 2>&1
			check "two: the killed runtime's pins are gone after 'mmp restore'" nothing_left oomtest-two-c
		fi
	else
		bad "two: hog_t did not start: $(cat "$TMP/hog_t.err")"
	fi
	reap hog_t
fi
rmcg "$T"

# --- two runtimes, one process ---------------------------------------------
# Each would take the other's oom_score_adj for the process's own, write
# its order again, and put the other's value back at its end (a new
# user's trial left a process at 100 so). The second leaves the processes
# the first's journal records to it, and says so.
sleepers two_a two_b
printf 'policy first { match comm "two_*"; oom { prefer comm "two_a"; } }\n' >"$TMP/first.mmp"
printf 'policy second { match comm "two_*"; oom { prefer comm "two_b"; } }\n' >"$TMP/second.mmp"
raised_a() { [ "$(adj_of two_a)" -gt "$(adj_of two_b)" ]; }
if start_mmp oomtest-first "$TMP/first.mmp"; then
	F=$MMPPID
	wait_until 30 raised_a
	check "one process: the first runtime orders two_a first ($(adj_of two_a), $(adj_of two_b))" raised_a
	if start_mmp oomtest-second "$TMP/second.mmp"; then
		left() { grep -q "runtime 'oomtest-first' orders the oom_score_adj of processes this policy matches" "$TMP/oomtest-second.log"; }
		wait_until 30 left
		check "one process: the second leaves them to the first, and says so" left
		stop_mmp oomtest-second
		check "one process: the first's order stands ($(adj_of two_a), $(adj_of two_b))" raised_a
	fi
	MMPPID=$F
	stop_mmp oomtest-first
	check "one process: after both, each oom_score_adj is its own again ($(adj_of two_a), $(adj_of two_b))" \
		[ "$(adj_of two_a)" = 0 ] && [ "$(adj_of two_b)" = 0 ]
fi
for n in two_a two_b; do kill "$(pid_of $n)" 2>/dev/null; wait "$(pid_of $n)" 2>/dev/null; done

# --- two runtimes started together, one process ----------------------------
# Both govern the processes before either has written: neither journal
# records them yet. The first record claims a process, under a lock every
# runtime takes to read the others' journals and record (a new user's two
# runtimes, started by one script, each took the other's writes for the
# process's own, and one put the other's value back as the original).
sleepers tw_a tw_b
printf 'policy tw_first { match comm "tw_*"; oom { prefer comm "tw_a"; } }\n' >"$TMP/twa.mmp"
printf 'policy tw_second { match comm "tw_*"; oom { prefer comm "tw_b"; } }\n' >"$TMP/twb.mmp"
"$MMP" attach -v --name oomtest-tw-a "$TMP/twa.mmp" 2>"$TMP/oomtest-tw-a.log" &
TWA=$!
"$MMP" attach -v --name oomtest-tw-b "$TMP/twb.mmp" 2>"$TMP/oomtest-tw-b.log" &
TWB=$!
MMPS="$MMPS $TWA $TWB"
both_attached() { grep -q attached "$TMP/oomtest-tw-a.log" && grep -q attached "$TMP/oomtest-tw-b.log"; }
wait_until 120 both_attached
check "together: both runtimes attach" both_attached
ordered() { [ "$(adj_of tw_a)" != "$(adj_of tw_b)" ]; }
wait_until 30 ordered
check "together: the processes are ordered ($(adj_of tw_a), $(adj_of tw_b))" ordered
left_to() { grep -q "runtime '$1' orders the oom_score_adj of processes this policy matches" "$TMP/$2.log"; }
one_left() { left_to oomtest-tw-a oomtest-tw-b || left_to oomtest-tw-b oomtest-tw-a; }
wait_until 30 one_left
check "together: one runtime leaves the processes to the other, and says so" one_left
MMPPID=$TWB
stop_mmp oomtest-tw-b
MMPPID=$TWA
stop_mmp oomtest-tw-a
check "together: after both, each oom_score_adj is its own again ($(adj_of tw_a), $(adj_of tw_b))" \
	[ "$(adj_of tw_a)" = 0 ] && [ "$(adj_of tw_b)" = 0 ]
for n in tw_a tw_b; do kill "$(pid_of $n)" 2>/dev/null; wait "$(pid_of $n)" 2>/dev/null; done

# --- every change undone, whatever ends the runtime -------------------------
# Killed with SIGKILL, the runtime's guardian puts back the oom_score_adj
# it wrote; when the guardian was killed too, 'mmp restore' does. The
# processes are copies of sleep named jr_a and jr_b, at oom_score_adj 0.
sleepers jr_a jr_b
printf 'policy jrnl { match comm "jr_*"; oom { prefer comm "jr_a"; } }\n' >"$TMP/jrnl.mmp"
raised() { [ "$(adj_of jr_a)" != 0 ]; }
both_back() { [ "$(adj_of jr_a)" = 0 ] && [ "$(adj_of jr_b)" = 0 ]; }
for how in guardian restore; do
	start_mmp "oomtest-$how" "$TMP/jrnl.mmp" || break
	wait_until 30 raised
	check "$how: the runtime raised jr_a's oom_score_adj (now $(adj_of jr_a))" raised
	guardian=$(pgrep -P "$MMPPID" -x mmp-guardian)
	check "$how: the runtime has a guardian" [ -n "$guardian" ]
	[ "$how" = restore ] && [ -n "$guardian" ] && kill -9 "$guardian"
	kill -9 "$MMPPID"
	wait "$MMPPID" 2>/dev/null
	MMPS=$(echo "$MMPS" | sed "s/ $MMPPID\$//; s/ $MMPPID / /")
	if [ "$how" = guardian ]; then
		wait_until 30 both_back
		check "guardian: after SIGKILL every oom_score_adj is back ($(adj_of jr_a), $(adj_of jr_b))" both_back
		wait_until 30 nothing_left "oomtest-$how"
		check "guardian: and the killed runtime's pins are gone" nothing_left "oomtest-$how"
	else
		sleep 1
		check "restore: with the guardian killed too, jr_a keeps mmp's value for now" raised
		"$MMP" restore "oomtest-$how" >"$TMP/restore.out" 2>&1
		check "restore: 'mmp restore' puts it back ($(adj_of jr_a), $(adj_of jr_b)): $(cat "$TMP/restore.out")" both_back
		check "restore: and says so" grep -Eq "put back [1-9][0-9]* oom_score_adj" "$TMP/restore.out"
		check "restore: and the pins are gone" nothing_left "oomtest-$how"
	fi
done
for n in jr_a jr_b; do kill "$(pid_of $n)" 2>/dev/null; wait "$(pid_of $n)" 2>/dev/null; done
finish
