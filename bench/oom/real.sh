#!/bin/sh
# bench/oom/real.sh [TRIALS] - the oom rules on a program nobody here
# wrote: stress-ng, which forks its workers and has them set their own
# oom_score_adj to 1000 (--oomable). Four copies of /usr/bin/stress-ng,
# told apart by their executables, share a 2G memory cgroup, each in a
# child cgroup of its own (so that each one's memory can be read):
#   important  --vm-bytes 150M   the process to protect
#   vm-a       --vm-bytes 250M   the one the policy prefers to lose
#   vm-b       --vm-bytes 450M   the one it avoids
#   vm-c       --vm-bytes 1200M  started last: the cgroup runs out of memory
# By itself the kernel kills vm-c, the largest (all workers at 1000).
# With PROTECTED=redis, important is a real service instead: redis-server
# (Debian's, /usr/bin/redis-server, on a unix socket) holding 150 MiB of
# keys, protected by that executable; it has kept them when it still
# answers and holds every key.
#
# Variants, interleaved, order rotated every trial:
#   kernel     no user-space killer
#   earlyoom   earlyoom -m 10 -s 100 --prefer '^vm-a$' --avoid '^important$'
#              (Debian's; it watches the system's memory, not a cgroup's)
#   mmp        mmp attach, policy: match cgroup; protect exe important;
#              prefer exe vm-a; avoid exe vm-b; score = rss
#   mmp-kill   the same, with 'kill task when usage of cgroup ... >= 95%'
# Reported per trial: the first to lose its memory, whether important kept
# its own, the kernel's OOM kills in the cgroup, and the time from the
# cgroup's usage first at 95% of its limit to the first death (every usage
# read each millisecond by 'oombench watch'). A trial ends 2 s after the
# first death, or after 30 s.
#
# Environment: MMP (default ../../mmp), VARIANTS (default all four),
# PROTECTED (stress-ng, the default, or redis).
# What it changes (cgroups, the processes it starts) is undone on exit,
# failure, Ctrl-C or SIGTERM. Run as root.
set -eu
TRIALS=${1:-5}
here=$(cd "$(dirname "$0")" && pwd)
MMP=${MMP:-$here/../../mmp}
VARIANTS=${VARIANTS:-kernel earlyoom mmp mmp-kill}
TAG=mmp-oomreal-$$
LIMIT_MIB=2048
die() { echo "real.sh: $*" >&2; exit 1; }
case $TRIALS in '' | *[!0-9]* | 0) die "TRIALS must be a positive integer, not '$TRIALS'" ;; esac
[ "$(id -u)" -eq 0 ] || die "run as root"
PROTECTED=${PROTECTED:-stress-ng}
command -v stress-ng >/dev/null || die "no stress-ng: scripts/install-deps.sh installs it"
command -v cc >/dev/null || die "needs a C compiler (cc)"
case $PROTECTED in
stress-ng) ;;
redis) command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
	die "no redis-server: scripts/install-deps.sh installs it"
	# 'debug populate' fills it; Redis 7 keeps the command off unless asked.
	case $(redis-server --version) in *" v=7."* | *" v="[89]"."*) ;; *) die "needs Redis 7 or later: $(redis-server --version)" ;; esac ;;
*) die "PROTECTED is stress-ng or redis, not '$PROTECTED'" ;;
esac
[ -x "$MMP" ] || die "no mmp at $MMP: run scripts/build.sh"
# One at a time with the kernel tests, which count every mmp program.
exec 9>/tmp/mmp-kernel-tests.lock
if ! flock -n 9; then
	echo "real.sh: waiting for /tmp/mmp-kernel-tests.lock (a kernel test or benchmark is running)" >&2
	flock 9
fi
sh "$here/../machine/machine.sh"

v1=$(awk '$3 == "cgroup" && ("," $4 ",") ~ /,memory,/ { print $2; exit }' /proc/self/mounts)
if [ -n "$v1" ]; then
	MEM=$v1 V=1
else
	MEM=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts) V=2
	grep -qw memory "$MEM/cgroup.subtree_control" || die "cgroup2 at $MEM without the memory controller in its subtree"
fi
T=$(mktemp -d)
CG=$MEM/$TAG
NAMES="important vm-a vm-b vm-c"
MMPPID="" EOPID=""
cleanup() {
	[ -n "$MMPPID" ] && kill -INT "$MMPPID" 2>/dev/null && wait "$MMPPID" 2>/dev/null
	[ -n "$EOPID" ] && kill "$EOPID" 2>/dev/null && wait "$EOPID" 2>/dev/null
	for d in "$CG"/*/ "$CG/"; do
		[ -f "$d/cgroup.procs" ] || continue
		for p in $(cat "$d/cgroup.procs"); do kill -9 "$p" 2>/dev/null; done
	done
	wait 2>/dev/null
	for _ in $(seq 50); do
		for n in $NAMES; do rmdir "$CG/$n" 2>/dev/null; done
		rmdir "$CG" 2>/dev/null && break
		sleep 0.1
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

mkdir "$CG"
if [ $V = 1 ]; then
	echo ${LIMIT_MIB}M >"$CG/memory.limit_in_bytes"
	echo 0 >"$CG/memory.swappiness"
else
	echo ${LIMIT_MIB}M >"$CG/memory.max"
	[ ! -e "$CG/memory.swap.max" ] || echo 0 >"$CG/memory.swap.max"
	echo +memory >"$CG/cgroup.subtree_control"
fi
for n in $NAMES; do cp "$(command -v stress-ng)" "$T/$n"; mkdir "$CG/$n"; done
cc -O2 -Wall -pthread -o "$T/oombench" "$here/oombench.c" || die "cannot build oombench"
USAGE_FILE=memory.current
[ $V = 1 ] && USAGE_FILE=memory.usage_in_bytes
KEEP_EXE=$T/important AVOID_RE='^important$' KEYS=150000
[ "$PROTECTED" = redis ] && KEEP_EXE=$(readlink -f "$(command -v redis-server)") AVOID_RE='^redis-server$'
rcli() { redis-cli -s "$T/redis.sock" "$@"; }
usage() { if [ $V = 1 ]; then cat "$1/memory.usage_in_bytes"; else cat "$1/memory.current"; fi; }
# The kernel's OOM kills in the cgroup and its children (v1 counts each
# in the victim's own cgroup).
oom_kills() {
	if [ $V = 1 ]; then cat "$CG/memory.oom_control" "$CG"/*/memory.oom_control
	else cat "$CG/memory.events"; fi | awk '$1 == "oom_kill" { n += $2 } END { print n + 0 }'
}
printf 'policy real { match cgroup "/%s"; oom { protect exe "%s"; prefer exe "%s"; avoid exe "%s"; score = rss;%s } }\n' \
	"$TAG" "$KEEP_EXE" "$T/vm-a" "$T/vm-b" "" >"$T/mmp.mmp"
printf 'policy real { match cgroup "/%s"; oom { protect exe "%s"; prefer exe "%s"; avoid exe "%s"; score = rss;%s } }\n' \
	"$TAG" "$KEEP_EXE" "$T/vm-a" "$T/vm-b" " kill task when usage of cgroup \"/$TAG\" >= 95%;" >"$T/mmp-kill.mmp"

# start NAME MIB: the copy NAME in its child cgroup, as stress-ng is run.
start() {
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$CG/$1" "$T/$1" --vm 1 --vm-keep --vm-bytes "$2M" \
		--oomable --timeout 60 >"$T/$1.out" 2>&1 &
}
mib_of() { echo $(($(usage "$CG/$1") >> 20)); }
# The protected process: a stress-ng copy, or redis-server filled with
# KEYS keys of 1000 bytes.
start_important() {
	if [ "$PROTECTED" = stress-ng ]; then start important 150; return; fi
	rm -f "$T/redis.sock"
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$CG/important" redis-server --port 0 \
		--unixsocket "$T/redis.sock" --save '' --appendonly no --enable-debug-command local \
		>"$T/important.out" 2>&1 &
	i=0
	until rcli ping 2>/dev/null | grep -q PONG; do
		i=$((i + 1)); [ $i -lt 200 ] || die "redis-server did not start: $(tail -n 3 "$T/important.out")"
		sleep 0.05
	done
	rcli debug populate $KEYS key 1000 >/dev/null || die "redis: debug populate failed"
}
# Did the protected process keep its memory (redis: answers, every key)?
important_kept() {
	if [ "$PROTECTED" = stress-ng ]; then [ "$(mib_of important)" -ge 140 ]; return; fi
	[ "$(rcli dbsize 2>/dev/null)" = $KEYS ]
}

trial() {
	variant=$1
	case $variant in
	earlyoom)
		earlyoom -m 10 -s 100 -r 0 --prefer '^vm-a$' --avoid "$AVOID_RE" >"$T/earlyoom.log" 2>&1 &
		EOPID=$!
		;;
	mmp*)
		"$MMP" attach --name "$TAG" "$T/$variant.mmp" 2>"$T/mmp.log" &
		MMPPID=$!
		i=0
		until grep -q attached "$T/mmp.log"; do
			i=$((i + 1)); [ $i -lt 600 ] && kill -0 $MMPPID 2>/dev/null || die "mmp did not start: $(cat "$T/mmp.log")"
			sleep 0.05
		done
		;;
	esac
	start_important; start vm-a 250; start vm-b 450
	i=0
	until [ "$(mib_of important)" -ge 140 ] && [ "$(mib_of vm-a)" -ge 240 ] && [ "$(mib_of vm-b)" -ge 430 ]; do
		i=$((i + 1)); [ $i -lt 600 ] || die "the first three did not fill their memory"
		sleep 0.05
	done
	sleep 1   # the runtime has ranked them
	k0=$(oom_kills)
	"$T/oombench" watch $((LIMIT_MIB << 20)) 95 30 "$CG/$USAGE_FILE" important="$CG/important/$USAGE_FILE" \
		vm-a="$CG/vm-a/$USAGE_FILE" vm-b="$CG/vm-b/$USAGE_FILE" vm-c="$CG/vm-c/$USAGE_FILE" >"$T/watch.out" &
	wpid=$!
	start vm-c 1200
	wait $wpid || die "oombench watch failed"
	kills=$(($(oom_kills) - k0))
	dead=$(sed -n 's/.*first=\([^ ]*\).*/\1/p' "$T/watch.out")
	react=$(sed -n 's/.*react_ms=//p' "$T/watch.out")
	[ "$react" = - ] || react="$react ms"
	alive=no
	important_kept && alive=yes
	printf '| %s | %s | %s | %s | %s |\n' "$variant" "${dead:-none}" "$alive" "$kills" "$react" | tee -a "$T/results"
	case $variant in
	earlyoom) kill "$EOPID"; wait "$EOPID" 2>/dev/null || true; EOPID="" ;;
	mmp*) kill -INT "$MMPPID"; wait "$MMPPID" || echo "(mmp exited with $?)"; MMPPID="" ;;
	esac
	for n in $NAMES; do for p in $(cat "$CG/$n/cgroup.procs"); do kill -9 "$p" 2>/dev/null; done; done
	wait 2>/dev/null || true
	i=0
	until [ -z "$(cat "$CG"/*/cgroup.procs)" ]; do i=$((i + 1)); [ $i -lt 200 ] || break; sleep 0.05; done
}

echo "stress-ng $(stress-ng --version 2>/dev/null | awk '{print $3; exit}') in a ${LIMIT_MIB}M cgroup (v$V); $TRIALS trials;" \
	"protected: $([ "$PROTECTED" = redis ] && redis-server --version | cut -d' ' -f1-3 || echo 'a stress-ng copy')"
echo "| variant | first to die | important kept its memory | kernel OOM kills | 95% usage to first death |"
echo "|---|---|---|---|---|"
t=1
set -- $VARIANTS
while [ $t -le "$TRIALS" ]; do
	for v in "$@"; do trial "$v"; done
	first=$1; shift; set -- "$@" "$first"   # rotate the order
	t=$((t + 1))
done
echo
echo "summary: variant, trials where vm-a died first, important kept, kernel OOM kills in all"
for v in $VARIANTS; do
	awk -F'|' -v v="$v" '{ for (i = 2; i <= 6; i++) gsub(/^ +| +$/, "", $i) }
		$2 == v { n++; if ($3 == "vm-a") a++; if ($4 == "yes") k++; o += $5 }
		END { printf "%s: vm-a first %d/%d, important kept %d/%d, kernel OOM kills %d\n", v, a, n, k, n, o }' "$T/results"
done
