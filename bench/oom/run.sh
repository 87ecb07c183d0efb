#!/bin/sh
# bench/oom/run.sh [TRIALS] - who dies, how soon after the trigger, and does
# the protected service live: mmp's oom rules side by side with earlyoom,
# systemd-oomd and the kernel's own OOM killer, on one scenario.
#
# The scenario (oombench.c). A memory cgroup (v1 memory.limit_in_bytes 3G,
# 256M of swap file) holds three processes, each using all of its memory:
#   svc_oombench    the service to protect, 1536M: the largest
#   batch_oombench  the batch job the policy prefers to lose, 256M
#   grow_oombench   grows to 1216M in a second, then by 32M/s: once the
#                   cgroup is full its working set thrashes through swap
#                   (sustained memory pressure), and when the swap is full
#                   the cgroup runs out of memory
# and the rest of the machine's memory is taken by huge pages set aside
# (vm.nr_hugepages, given back after each trial), so that the system's
# available memory also falls below earlyoom's threshold as the cgroup
# fills. Both kinds of trigger fire in each trial: the cgroup's pressure
# (PSI, what mmp and systemd-oomd watch) and the system's available memory
# (what earlyoom watches).
#
# Variants, interleaved, order rotated every round:
#   kernel      no user-space killer: the kernel's OOM killer, in the cgroup
#   earlyoom    earlyoom -m 8 -s 100 --prefer '^batch_oombench$'
#               --avoid '^(svc_oombench|oombench)$', in a PID namespace with
#               the workloads, so that it can kill nothing else here
#   mmp         mmp attach --name mmp-oombench POLICY, the policy below
#               (MMP: the mmp binary, default ../../mmp)
#   systemd-oomd  run only where it can be: it needs systemd as PID 1 and a
#               unified cgroup2 hierarchy with the memory controller;
#               elsewhere it is reported as not runnable, with the reason
# Each trial ends 1.5 s after the first death (or after 30 s). It records
# the first process to die, the time from the trigger to that death
# (exit seen through a pidfd), and whether svc_oombench is alive at the end.
# The trigger moment is the tool's own: for mmp and the kernel the first
# sample (every 10 ms) of the unbroken run in which the cgroup's "some"
# pressure over the last second was over PSI_PCT; for earlyoom the first
# sample at which MemAvailable was under its -m share of MemTotal.
#
# Environment: PSI_PCT (20), PSI_FOR (2, seconds), EARLYOOM_PCT (8), MMP,
# VARIANTS (default "kernel earlyoom mmp"), KEEP=1 keeps the traces in
# bench/oom/out/. Changes (cgroups, swap, vm.nr_hugepages, the tools it
# starts) are undone on exit, failure, Ctrl-C or SIGTERM. Run as root.
set -eu
TRIALS=${1:-5}
PSI_PCT=${PSI_PCT:-20}
PSI_FOR=${PSI_FOR:-2}
EARLYOOM_PCT=${EARLYOOM_PCT:-8}
here=$(cd "$(dirname "$0")" && pwd)
MMP=${MMP:-$here/../../mmp}
VARIANTS=${VARIANTS:-kernel earlyoom mmp}
TAG=mmp-oombench-$$
LIMIT_MIB=3072 SVC_MIB=1536 BATCH_MIB=256 SWAP_MIB=256
FAST_MIB=1216 FAST_RATE=1024 CREEP_RATE=32
# Where the system's available memory starts at the beginning of a trial,
# above earlyoom's threshold: it falls under it once the cgroup holds ~2.7G.
START_ABOVE_MIB=2750

die() { echo "run.sh: $*" >&2; exit 1; }
case $TRIALS in '' | *[!0-9]* | 0) die "TRIALS must be a positive integer, not '$TRIALS'" ;; esac
case $PSI_PCT$PSI_FOR$EARLYOOM_PCT in *[!0-9]*) die "PSI_PCT, PSI_FOR and EARLYOOM_PCT are whole numbers" ;; esac
[ "$(id -u)" = 0 ] || die "must run as root"
command -v cc >/dev/null || die "needs a C compiler (cc)"
for c in mkswap swapon swapoff unshare; do command -v $c >/dev/null || die "needs $c"; done

MEM=$(awk '$3 == "cgroup" && ("," $4 ",") ~ /,memory,/ { print $2; exit }' /proc/self/mounts)
UNI=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
[ -n "$MEM" ] && [ -w "$MEM/cgroup.procs" ] ||
	die "needs the cgroup v1 memory controller (memory.limit_in_bytes); this version of the benchmark does not run on a cgroup2-only host"
[ -n "$UNI" ] && [ -e "$UNI/cgroup.procs" ] && [ -e "$UNI/memory.pressure" ] ||
	die "needs a cgroup2 hierarchy with PSI (memory.pressure), for the cgroup's pressure"
HP=/proc/sys/vm/nr_hugepages
[ -w $HP ] || die "$HP is not writable"

mem_total_kib=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
avail_kib() { awk '/^MemAvailable:/ { print $2 }' /proc/meminfo; }
thr_kib=$((mem_total_kib * EARLYOOM_PCT / 100))
need_mib=$((thr_kib / 1024 + START_ABOVE_MIB + 1024))
[ $(($(avail_kib) / 1024)) -ge $need_mib ] ||
	die "needs $need_mib MiB of available memory, only $(($(avail_kib) / 1024)) MiB available"

tmp=$(mktemp -d /var/tmp/oombench.XXXXXX)
out=$tmp
[ "${KEEP:-}" = 1 ] && { out=$here/out; mkdir -p "$out"; }
hp_orig=$(cat $HP)
swap_on="" tool_pids=""
cleanup() {
	set +e
	for p in $tool_pids; do kill -INT "$p" 2>/dev/null; done
	for p in $tool_pids; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
	for d in "$MEM/$TAG" "$UNI/$TAG"; do
		[ -f "$d/cgroup.procs" ] || continue
		for p in $(cat "$d/cgroup.procs"); do kill -9 "$p" 2>/dev/null; done # only the workloads are in them
	done
	[ "$(cat $HP)" = "$hp_orig" ] || echo "$hp_orig" >$HP || echo "run.sh: could not restore $HP to $hp_orig" >&2
	[ -n "$swap_on" ] && { swapoff "$tmp/swap" || echo "run.sh: swapoff $tmp/swap failed" >&2; }
	for d in "$MEM/$TAG" "$UNI/$TAG"; do
		for _ in $(seq 50); do [ -d "$d" ] || break; rmdir "$d" 2>/dev/null || sleep 0.1; done
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cc -O2 -Wall -pthread -o "$tmp/oombench" "$here/oombench.c"
for n in svc_oombench batch_oombench grow_oombench; do ln -s oombench "$tmp/$n"; done
# The machine, before any result: figures differ tenfold between machines.
sh "$here/../machine/machine.sh"

mkdir "$MEM/$TAG" "$UNI/$TAG"
echo $((LIMIT_MIB * 1048576)) >"$MEM/$TAG/memory.limit_in_bytes"
echo 60 >"$MEM/$TAG/memory.swappiness"
dd if=/dev/zero of="$tmp/swap" bs=1M count=$SWAP_MIB status=none
chmod 600 "$tmp/swap"
mkswap "$tmp/swap" >/dev/null
swapon "$tmp/swap"
swap_on=1

# ---- systemd-oomd: can it run here? ----------------------------------------
oomd_bin=
for f in /lib/systemd/systemd-oomd /usr/lib/systemd/systemd-oomd; do [ -x "$f" ] && { oomd_bin=$f; break; }; done
oomd_why=
if [ -z "$oomd_bin" ]; then
	oomd_why="systemd-oomd is not installed (Debian package systemd-oomd)"
else
	[ "$(cat /proc/1/comm)" = systemd ] || oomd_why="PID 1 is '$(cat /proc/1/comm)', not systemd, which is what gives systemd-oomd the cgroups to watch (ManagedOOMMemoryPressure=)"
	if [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
		oomd_why="${oomd_why:+$oomd_why; }/sys/fs/cgroup is not a unified cgroup2 hierarchy"
	elif ! grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
		oomd_why="${oomd_why:+$oomd_why; }cgroup2 has no memory controller"
	fi
	# What the daemon itself says when it is started (it stops at once when
	# it cannot work; on a host where it can, it is not left running).
	said=$(timeout 3 "$oomd_bin" 2>&1 | tail -n 1 || true)
	case $said in
	'') ;;
	*unified* | *controller* | *[Rr]equires*) oomd_why="${oomd_why:+$oomd_why; }it says: \"$said\"" ;;
	esac
fi
if [ -n "$oomd_why" ]; then
	echo "systemd-oomd: not runnable here: $oomd_why"
else
	echo "systemd-oomd: runnable here, but this benchmark does not drive it yet (it needs the workloads in a systemd unit with ManagedOOMMemoryPressure=kill)"
fi

case " $VARIANTS " in *" mmp "*)
	[ -x "$MMP" ] || die "no mmp at $MMP (build it, or set MMP, or leave mmp out of VARIANTS)" ;;
esac
cat >"$tmp/oombench.mmp" <<EOF
# The benchmark's policy: batch_oombench first, never svc_oombench, and a
# kill ahead of the OOM killer on the cgroup's sustained memory pressure.
policy oombench {
    match comm "svc_oombench" or comm "batch_oombench" or comm "grow_oombench";
    oom {
        protect comm "svc_oombench";
        prefer comm "batch_oombench";
        kill task when pressure some of cgroup "$UNI/$TAG" > $PSI_PCT% for ${PSI_FOR}s;
    }
}
EOF

trial_args="--bin $tmp --memcg $MEM/$TAG --cg2 $UNI/$TAG --psi-file $UNI/$TAG/memory.pressure --psi-pct $PSI_PCT
	--mem-kib $thr_kib --floor-kib $((thr_kib / 4)) --svc $SVC_MIB --batch $BATCH_MIB --fast $FAST_MIB
	--fast-rate $FAST_RATE --creep-rate $CREEP_RATE --max 8192 --timeout 30 --settle 1.5"

# Huge pages set aside until the system's available memory is
# START_ABOVE_MIB over earlyoom's threshold.
squeeze() {
	free_mib=$(($(avail_kib) / 1024 - thr_kib / 1024 - START_ABOVE_MIB))
	[ $free_mib -gt 0 ] || return 0
	want=$((hp_orig + free_mib / 2))
	echo $want >$HP
	got=$(cat $HP)
	[ "$got" -ge $((want - 64)) ] || echo "run.sh: note: only $((got - hp_orig)) of $((want - hp_orig)) huge pages could be set aside" >&2
}
unsqueeze() { echo "$hp_orig" >$HP; }

# run_trial VARIANT N: one trial; appends "VARIANT key=value..." to $tmp/results.
run_trial() {
	v=$1 n=$2
	res=
	log=$out/$v.$n.log trace=$out/$v.$n.trace
	: >"$log"
	case $v in
	kernel)
		squeeze
		# shellcheck disable=SC2086 # a list of options
		res=$("$tmp/oombench" trial $trial_args --trace "$trace") || res=
		unsqueeze ;;
	earlyoom)
		squeeze
		# earlyoom and the workloads in a PID namespace of their own: earlyoom
		# sees (and can kill) only them, and the system's memory as it is.
		# shellcheck disable=SC2086
		res=$(unshare --pid --fork --mount-proc sh -c '
			earlyoom -m "$1" -s 100 -r 0 --prefer "^batch_oombench\$" --avoid "^(svc_oombench|oombench)\$" >"$2" 2>&1 &
			sleep 0.5
			shift 2
			exec "$@"' sh "$EARLYOOM_PCT" "$log" "$tmp/oombench" trial $trial_args --trace "$trace") || res=
		unsqueeze ;;
	mmp)
		"$MMP" attach -v --name "$TAG" "$tmp/oombench.mmp" >"$log" 2>&1 &
		mpid=$!
		tool_pids=$mpid
		for _ in $(seq 100); do grep -q 'attached' "$log" && break; kill -0 $mpid 2>/dev/null || break; sleep 0.1; done
		if grep -q 'attached' "$log"; then
			squeeze
			# shellcheck disable=SC2086
			res=$("$tmp/oombench" trial $trial_args --trace "$trace") || res=
			unsqueeze
		else
			echo "run.sh: mmp did not attach; its output:" >&2
			sed 's/^/    /' "$log" >&2
		fi
		kill -INT $mpid 2>/dev/null || true
		wait $mpid 2>/dev/null || true
		tool_pids= ;;
	esac
	[ -n "$res" ] || { echo "  $v: the trial failed" >&2; echo "$v failed=1" >>"$tmp/results"; return; }
	echo "$v $res" >>"$tmp/results"
	echo "$res" | awk -v v="$v" '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		trig = v == "earlyoom" ? f["mem_first"] : f["psi_hold"]
		by = f["signal"] == 9 && f["oom_kills"] > 0 ? " (kernel OOM)" : ""
		printf "  %-9s first to die: %-15s%s at %6.2f s, trigger at %6s s (%s), reaction %s, svc %s, peak pressure %s%%\n",
			v, f["victim"], by, f["t_kill"], trig < 0 ? "never" : sprintf("%.2f", trig),
			v == "earlyoom" ? "available memory" : "pressure", (trig < 0 || f["t_kill"] < 0) ? "-" : sprintf("%.2f s", f["t_kill"] - trig),
			f["svc_alive"] ? "alive" : "KILLED", f["psi_peak"] }'
	case $v in mmp) grep -E "oombench.*(kill|error|warning)|not enforced|error" "$log" | grep -v "which no oom rule governs" |
		sed 's/^/      /' | head -n 6 ;; esac
	case $v in earlyoom) grep -E '^sending|error' "$log" | sed 's/^/      earlyoom: /' | head -n 3 ;; esac
	return 0
}

echo "oom: cgroup limit ${LIMIT_MIB}M, swap ${SWAP_MIB}M; svc ${SVC_MIB}M, batch ${BATCH_MIB}M, grow to ${FAST_MIB}M then +${CREEP_RATE}M/s"
echo "triggers: pressure some > $PSI_PCT% for ${PSI_FOR}s (cgroup $UNI/$TAG); earlyoom: MemAvailable < $EARLYOOM_PCT% ($((thr_kib / 1024)) MiB)"
echo "$TRIALS rounds of: $VARIANTS"
: >"$tmp/results"
nvar=$(echo "$VARIANTS" | wc -w)
start=$(date +%s)
r=0
while [ $r -lt "$TRIALS" ]; do
	r=$((r + 1))
	echo "round $r/$TRIALS"
	order=$(echo "$VARIANTS" | awk -v k=$(( (r - 1) % nvar )) '{ for (i = 0; i < NF; i++) printf "%s ", $((i + k) % NF + 1) }')
	for v in $order; do run_trial "$v" "$r"; done
done

echo
printf '%-14s %-22s %15s %12s %11s %14s %10s %16s %9s\n' variant "first to die" "policy's choice" "svc survived" "grow killed" "by kernel OOM" trigger "reaction median" "max"
for v in $VARIANTS; do
	awk -v v="$v" -v dfor="$PSI_FOR" '$1 == v {
		n++
		delete f
		for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		if (f["failed"]) { failed++; next }
		vic[f["victim"]]++
		if (f["victim"] == "batch_oombench") ok++
		if (f["svc_alive"]) alive++
		if (f["grow"] == "killed") grow++
		if (f["victim"] != "none" && f["signal"] == 9 && f["oom_kills"] > 0) byk++
		trig = v == "earlyoom" ? f["mem_first"] : f["psi_hold"]
		if (trig >= 0 && f["t_kill"] >= 0) r[++nr] = f["t_kill"] - trig
	} END {
		s = ""
		for (k in vic) s = s (s == "" ? "" : ", ") k " " vic[k]
		sub(/_oombench/, "", s); gsub(/_oombench/, "", s)
		for (i = 1; i <= nr; i++) for (j = i + 1; j <= nr; j++) if (r[j] < r[i]) { t = r[i]; r[i] = r[j]; r[j] = t }
		med = nr == 0 ? "-" : sprintf("%.2f s", nr % 2 ? r[(nr + 1) / 2] : (r[nr / 2] + r[nr / 2 + 1]) / 2)
		mx = nr == 0 ? "-" : sprintf("%.2f s", r[nr])
		printf "%-14s %-22s %15s %12s %11s %14s %10s %16s %9s\n", v, s (failed ? ", failed " failed : ""),
			ok + 0 "/" n, alive + 0 "/" n, grow + 0 "/" n, byk + 0 "/" n, v == "earlyoom" ? "mem < thr" : "pressure", med, mx
	}' "$tmp/results"
done
if [ -n "$oomd_why" ]; then
	printf '%-14s not runnable here: %s\n' systemd-oomd "$oomd_why"
fi
case " $VARIANTS " in *" mmp "*)
	awk -v dfor="$PSI_FOR" '$1 == "mmp" {
		n++
		delete f
		for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		if (f["victim"] == "batch_oombench") ok++
		if (f["svc_alive"]) alive++
		if (f["signal"] == 9 && f["oom_kills"] > 0) byk++
		else if (f["psi_hold"] >= 0 && f["t_kill"] >= 0 && f["t_kill"] - f["psi_hold"] <= dfor + 1) fast++
	} END {
		printf "\nmmp: the policy'\''s choice in %d of %d trials, the protected service alive in %d of %d,\n", ok, n, alive, n
		printf "its own kill within %d s + 1 s of the trigger in %d of %d (target: all three in every trial);\n", dfor, fast, n
		printf "in %d of %d the kernel'\''s OOM killer, not mmp'\''s pressure trigger, made the kill\n", byk, n
	}' "$tmp/results"
	;;
esac
echo "total: $(( $(date +%s) - start )) s"
