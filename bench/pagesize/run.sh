#!/bin/sh
# bench/pagesize/run.sh [RUNS] - 2M pages from the first touch ('ahead'),
# against what a user would pick instead, on memory being populated:
#   populate  tests/workloads/populate writing POP_SIZE (2G) front to back,
#             POP_THREADS (1) writers, or one writer at POP_PLACES (1)
#             places at once, a page of each in turn (as an allocator
#             fills its size classes); the time to write it, and its faults
#   redis     Debian's redis-server (jemalloc) filled with REDIS_KEYS (3M)
#             values of 1000 bytes by redis-benchmark SETs, then
#             REDIS_GETS (2M) random GETs and as many SETs; fill time, GET
#             and SET throughput
#   attach    the same redis-server, filled in 4K pages and serving GETs,
#             then given huge pages while it runs: the huge-page memory
#             ATTACH_AT (10) seconds later, the seconds until 90% of its
#             memory is in 2M pages (ATTACH_MAX, 60, at most), and GET
#             throughput after that
#   jvm       OpenJDK (java, javac) starting with a pre-touched heap of
#             JVM_HEAP (4G): java -Xms -Xmx -XX:+AlwaysPreTouch; its start
#             time, from its exec to its main()
# Variants, interleaved, the order rotated every round, each after caches
# are dropped and memory compacted (the same memory state for every run):
#   4k          THP mode as found ('madvise' here: no huge pages for them)
#   thp         populate: MADV_HUGEPAGE by the process itself (--hugepage);
#               jvm: -XX:+UseTransparentHugePages (the JVM's own madvise);
#               redis: THP 'always' for the run (redis cannot ask), restored
#               after, also on failure or a signal
#   mmp         mmp run with a policy of 'pagesize { 4K: 0; 2M: 100; ahead 64M; }'
#               over the workload's memory
# and for attach: 4k as it is; thp, THP 'always' from then on (khugepaged
# collapses it); mmp, 'mmp attach' with 'pagesize { 4K: 0; 2M: 100; }'
# matching that redis-server's pid
# Prints the machine, then per variant the medians, the huge-page memory
# and mmp's CPU. redis runs with 'disable-thp no' (its default 'yes' turns
# THP off for itself where the mode is 'always'), no persistence, on a unix
# socket. Environment: PARTS ("populate redis"; also attach), POP_SIZE,
# POP_THREADS, POP_PLACES, REDIS_KEYS, REDIS_GETS, ATTACH_AT, ATTACH_MAX, ATTACH_OPTS
# (mmp attach's options, e.g. --collapse-cpu=100), JVM_HEAP, VARIANTS (a
# subset of "4k thp mmp"), MMP (the mmp binary), AHEAD (64M; none: the rule
# without 'ahead', its hot chunks collapsed once settled), MEMSTATE_MIB
# (8192: the memory touched once before the runs, with a VM's free page
# reporting held off meanwhile: bench/machine/memstate.sh). Run as root.
set -eu
RUNS=${1:-3}
PARTS=${PARTS:-populate redis}
POP_SIZE=${POP_SIZE:-2G}
POP_THREADS=${POP_THREADS:-1}
POP_PLACES=${POP_PLACES:-1}
REDIS_KEYS=${REDIS_KEYS:-3000000}
REDIS_GETS=${REDIS_GETS:-2000000}
AHEAD=${AHEAD:-64M}
case $AHEAD in none) ahead_clause= ;; *) ahead_clause=" ahead $AHEAD;" ;; esac
ATTACH_AT=${ATTACH_AT:-10}
ATTACH_MAX=${ATTACH_MAX:-60}
ATTACH_OPTS=${ATTACH_OPTS:-}
JVM_HEAP=${JVM_HEAP:-4G}
THP=/sys/kernel/mm/transparent_hugepage/enabled
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
MMP=${MMP:-$top/mmp}
POPULATE=$top/tests/workloads/populate

die() { echo "run.sh: $*" >&2; exit 1; }
case $RUNS in '' | *[!0-9]* | 0) die "RUNS must be a positive integer, not '$RUNS'" ;; esac
[ "$(id -u)" = 0 ] || die "must run as root (it drops caches, compacts memory and writes $THP)"
[ -w "$THP" ] || die "$THP is not writable: no transparent huge pages?"
[ -x "$MMP" ] || die "no mmp at $MMP: build the project first, or set MMP"
for p in $PARTS; do
	case $p in
	populate) [ -x "$POPULATE" ] || die "no $POPULATE: run 'make check' or 'make tests/workloads/populate' first" ;;
	redis | attach) command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null ||
		die "redis needs redis-server and redis-benchmark (Debian: redis-server, redis-tools)" ;;
	jvm) # A JDK only this part needs: installed here, not with the rest.
		if ! command -v java >/dev/null || ! command -v javac >/dev/null; then
			echo "run.sh: installing openjdk-17-jdk-headless for the jvm part" >&2
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
				openjdk-17-jdk-headless >/dev/null ||
				die "jvm needs java and javac: apt-get install openjdk-17-jdk-headless failed"
		fi ;;
	*) die "unknown part '$p' (populate, redis, attach, jvm)" ;;
	esac
done

orig=$(sed -n 's/.*\[\([a-z]*\)\].*/\1/p' "$THP")
[ -n "$orig" ] || die "cannot read the THP mode from $THP"
[ "$orig" = always ] && echo "run.sh: warning: THP is 'always' already: the 4k variant gets huge pages too" >&2
tmp=$(mktemp -d)
redis_pid= attach_pid= load_pid=
restore() { [ "$(sed -n 's/.*\[\([a-z]*\)\].*/\1/p' "$THP")" = "$orig" ] || echo "$orig" >"$THP"; }
cleanup() {
	[ -z "$load_pid" ] || kill "$load_pid" 2>/dev/null || true
	[ -z "$attach_pid" ] || kill -INT "$attach_pid" 2>/dev/null || true
	[ -z "$attach_pid" ] || wait "$attach_pid" 2>/dev/null || true
	[ -z "$redis_pid" ] || kill -9 "$redis_pid" 2>/dev/null || true
	restore || echo "run.sh: could not restore '$orig' in $THP" >&2
	memstate_restore
	rm -rf "$tmp"
}
. "$here/../machine/memstate.sh"
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

settle() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	echo 1 >/proc/sys/vm/compact_memory
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
# CPU seconds from mmp's summary (FILE): preparing ahead, collapsing hot
# chunks; then the runtime's own CPU (its threads, not its command's), as
# sampled into $tmp/cpu while the command still ran, or "-".
mmp_cpu() {
	awk '/ahead: .* chunks prepared/ { for (i = 1; i <= NF; i++) if ($i == "CPU") p += $(i - 2) }
	     /hot chunks .* collapsed/ { for (i = 1; i <= NF; i++) if ($i == "CPU") c += $(i - 2) }
	     END { printf "%.2f %.2f", p, c }' "$1"
	if [ -s "$tmp/cpu" ]; then printf ' %s' "$(cat "$tmp/cpu")"; else printf ' -'; fi
}
# utime + stime of PID itself, in seconds.
own_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }

# The same memory state for every run: the host backs the memory they use.
half_avail_mib=$(awk '/^MemAvailable:/ { print int($2 / 2048) }' /proc/meminfo)
memstate_hold "$(( half_avail_mib < ${MEMSTATE_MIB:-8192} ? half_avail_mib : ${MEMSTATE_MIB:-8192} ))"
sh "$here/../machine/machine.sh"
echo "ahead $AHEAD; $RUNS rounds of 4k thp mmp (THP found: $orig)"

# --- populate -----------------------------------------------------------------
# Result line: seconds huge_mib cpu_prepare cpu_collapse - faults
populate_run() {
	v=$1
	settle
	set -- --size "$POP_SIZE" --threads "$POP_THREADS" --places "$POP_PLACES"
	rc=0
	case $v in
	4k) "$POPULATE" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$? ;;
	thp) "$POPULATE" "$@" --hugepage >"$tmp/out" 2>"$tmp/err" || rc=$? ;;
	mmp) "$MMP" run "$tmp/policy-populate.mmp" -- "$POPULATE" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$? ;;
	esac
	line=$(grep 'populate_ms=' "$tmp/out" | tail -n 1 || true)
	[ "$rc" = 0 ] && [ -n "$line" ] || { echo "run.sh: populate, $v: failed ($rc)" >&2; cat "$tmp/out" "$tmp/err" >&2; exit 1; }
	case $line in *mismatches=0*) ;; *) die "populate, $v: the contents changed: $line" ;; esac
	: >"$tmp/cpu"
	cpu="0 0 -"
	[ "$v" != mmp ] || cpu=$(mmp_cpu "$tmp/err")
	echo "$line" | awk -v cpu="$cpu" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		printf "%.3f %.0f %s %s\n", f["populate_ms"] / 1000, f["huge_kb"] / 1024, cpu, f["faults"] }'
}

# --- redis --------------------------------------------------------------------
# Result line: fill_s get_rps set_rps huge_mib rss_mib cpu_prepare cpu_collapse cpu_mmp fill_faults
# (the runtime's own CPU over the whole run, its threads only; redis-server's
# minor faults from its start to the end of the fill)
rcli() { redis-cli -s "$tmp/redis.sock" "$@"; }
redis_run() {
	v=$1
	settle
	rm -f "$tmp/redis.sock"
	[ "$v" != thp ] || echo always >"$THP"
	set -- redis-server --port 0 --unixsocket "$tmp/redis.sock" --save "" --appendonly no --disable-thp no \
		--dir "$tmp" --loglevel warning
	if [ "$v" = mmp ]; then
		"$MMP" run "$tmp/policy-redis.mmp" -- "$@" >"$tmp/mmp.out" 2>"$tmp/err" &
	else
		"$@" >"$tmp/mmp.out" 2>"$tmp/err" &
	fi
	redis_pid=$!
	i=0
	until rcli ping >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 300 ] || die "redis, $v: redis-server did not answer within 30 s: $(cat "$tmp/err")"
		sleep 0.1
	done
	server=$redis_pid   # under mmp run, its child: never another redis-server
	[ "$v" != mmp ] || server=$(pgrep -P "$redis_pid" -x redis-server)
	t0=$(now)
	redis-benchmark -s "$tmp/redis.sock" -t set -n "$REDIS_KEYS" -r "$REDIS_KEYS" -d 1000 -P 16 -q >/dev/null
	fill=$(since "$t0")
	faults=$(awk '{ print $10 }' "/proc/$server/stat")   # minor faults: each 4K page written without a 2M one
	get=$(redis-benchmark -s "$tmp/redis.sock" -t get -n "$REDIS_GETS" -r "$REDIS_KEYS" -d 1000 -q |
		sed -n 's/.*GET: \([0-9.]*\) requests.*/\1/p')
	sett=$(redis-benchmark -s "$tmp/redis.sock" -t set -n "$REDIS_GETS" -r "$REDIS_KEYS" -d 1000 -q |
		sed -n 's/.*SET: \([0-9.]*\) requests.*/\1/p')
	huge=$(awk '/^AnonHugePages:/ { print int($2 / 1024) }' "/proc/$server/smaps_rollup")
	rss=$(awk '/^Rss:/ { print int($2 / 1024) }' "/proc/$server/smaps_rollup")
	: >"$tmp/cpu"
	[ "$v" != mmp ] || own_cpu "$redis_pid" >"$tmp/cpu"
	rcli shutdown nosave >/dev/null 2>&1 || true
	wait "$redis_pid" || true
	redis_pid=
	restore
	cpu="0 0 0"
	[ "$v" != mmp ] || cpu=$(mmp_cpu "$tmp/err")
	[ -n "$get" ] && [ -n "$sett" ] || die "redis, $v: no throughput from redis-benchmark"
	echo "$fill $get $sett $huge $rss $cpu $faults"
}

# --- attach -------------------------------------------------------------------
# Result line: huge_at_mib secs_to_90 get_rps huge_mib rss_mib cpu_collapse cpu_mmp
huge_mib() { awk '/^AnonHugePages:/ { print int($2 / 1024) }' "/proc/$1/smaps_rollup"; }
anon_mib() { awk '/^Anonymous:/ { print int($2 / 1024) }' "/proc/$1/smaps_rollup"; }
attach_run() {
	v=$1
	settle
	rm -f "$tmp/redis.sock"
	redis-server --port 0 --unixsocket "$tmp/redis.sock" --save "" --appendonly no --disable-thp no \
		--dir "$tmp" --loglevel warning >"$tmp/redis.out" 2>&1 &
	redis_pid=$!
	i=0
	until rcli ping >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 300 ] || die "attach, $v: redis-server did not answer within 30 s"
		sleep 0.1
	done
	redis-benchmark -s "$tmp/redis.sock" -t set -n "$REDIS_KEYS" -r "$REDIS_KEYS" -d 1000 -P 16 -q >/dev/null
	# Serving GETs when it is given huge pages, as a server would be.
	redis-benchmark -s "$tmp/redis.sock" -t get -n 1000000000 -r "$REDIS_KEYS" -d 1000 -q >/dev/null 2>&1 &
	load_pid=$!
	sleep 2
	sed "s/@PID@/$redis_pid/" "$tmp/policy-attach.mmp.in" >"$tmp/policy-attach.mmp"
	case $v in
	thp) echo always >"$THP" ;;
	mmp) "$MMP" attach $ATTACH_OPTS "$tmp/policy-attach.mmp" >"$tmp/mmp.out" 2>"$tmp/err" &
	     attach_pid=$! ;;
	esac
	t0=$(now)
	want=$(( $(anon_mib "$redis_pid") * 9 / 10 ))
	at="" to90=""
	while :; do
		el=$(since "$t0")
		h=$(huge_mib "$redis_pid")
		[ -n "$at" ] || ! awk -v e="$el" -v a="$ATTACH_AT" 'BEGIN { exit !(e >= a) }' || at=$h
		[ -n "$to90" ] || [ "$h" -lt "$want" ] || to90=$el
		[ -z "$at" ] || [ -z "$to90" ] || break
		awk -v e="$el" -v m="$ATTACH_MAX" 'BEGIN { exit !(e < m) }' || break
		sleep 0.5
	done
	[ -n "$at" ] || at=$(huge_mib "$redis_pid")
	kill "$load_pid" 2>/dev/null || true
	wait "$load_pid" 2>/dev/null || true
	load_pid=
	get=$(redis-benchmark -s "$tmp/redis.sock" -t get -n "$REDIS_GETS" -r "$REDIS_KEYS" -d 1000 -q |
		sed -n 's/.*GET: \([0-9.]*\) requests.*/\1/p')
	huge=$(huge_mib "$redis_pid")
	rss=$(awk '/^Rss:/ { print int($2 / 1024) }' "/proc/$redis_pid/smaps_rollup")
	cpu="0 0"
	if [ "$v" = mmp ]; then
		mcpu=$(own_cpu "$attach_pid")
		kill -INT "$attach_pid"
		wait "$attach_pid" || true
		attach_pid=
		cpu="$(mmp_cpu "$tmp/err" | cut -d' ' -f2) $mcpu"
	fi
	rcli shutdown nosave >/dev/null 2>&1 || true
	wait "$redis_pid" || true
	redis_pid=
	restore
	[ -n "$get" ] || die "attach, $v: no throughput from redis-benchmark"
	echo "$at ${to90:-inf} $get $huge $rss $cpu"
}

cat >"$tmp/policy-attach.mmp.in" <<EOF
policy running { match pid @PID@; region heap = anon;
  pagesize heap { 4K: 0; 2M: 100; } }
EOF
# --- jvm ----------------------------------------------------------------------
# Result line: start_s huge_mib cpu_prepare cpu_collapse -
# The start time is the JVM's own: from its exec to its main(). The shell
# that becomes the JVM reads the clock just before, and main() gets it as
# its argument: the process's start time, which Java also knows, counts
# from /proc/stat's boot time, in whole seconds, and is off by a constant
# of up to a second (0.41 s on machine C).
jvm_run() {
	v=$1
	settle
	set -- java "-Xms$JVM_HEAP" "-Xmx$JVM_HEAP" -XX:+AlwaysPreTouch -XX:+UseG1GC -cp "$tmp" Started
	if [ "$v" = thp ]; then shift; set -- java -XX:+UseTransparentHugePages "$@"; fi
	# shellcheck disable=SC2016 # expanded by that shell
	set -- sh -c 'exec "$@" "$(date +%s%N)"' sh "$@"
	rc=0
	if [ "$v" = mmp ]; then
		"$MMP" run "$tmp/policy-jvm.mmp" -- "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	else
		"$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	fi
	line=$(grep 'start_ms=' "$tmp/out" | tail -n 1 || true)
	[ "$rc" = 0 ] && [ -n "$line" ] || { echo "run.sh: jvm, $v: failed ($rc)" >&2; cat "$tmp/out" "$tmp/err" >&2; exit 1; }
	: >"$tmp/cpu"
	cpu="0 0 -"
	[ "$v" != mmp ] || cpu=$(mmp_cpu "$tmp/err")
	echo "$line" | awk -v cpu="$cpu" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		printf "%.3f %.0f %s\n", f["start_ms"] / 1000, f["huge_kb"] / 1024, cpu }'
}

cat >"$tmp/Started.java" <<'EOF'
import java.nio.file.*;
import java.time.*;
public class Started {
    public static void main(String[] a) throws Exception {
        Instant now = Instant.now();
        long ms = (now.getEpochSecond() * 1000000000L + now.getNano() - Long.parseLong(a[0])) / 1000000;
        long huge = 0;
        for (String l : Files.readAllLines(Paths.get("/proc/self/smaps_rollup")))
            if (l.startsWith("AnonHugePages:")) huge = Long.parseLong(l.replaceAll("[^0-9]", ""));
        System.out.println("start_ms=" + ms + " huge_kb=" + huge);
    }
}
EOF
# The heap's mapping, by a size a little under the heap's: once the JVM
# has started, its class-data archive takes the top few MiB of it as a
# mapping of its own (4,093 of 4,096 MiB), and the rest must still match.
heap_mib=$(echo "$JVM_HEAP" | awk '/^[0-9]+[gG]$/ { print $0 * 1024; next } /^[0-9]+[mM]$/ { print $0 + 0; next } { print "" }')
[ -n "$heap_mib" ] || die "JVM_HEAP is a size in M or G, as java's -Xms takes it (4G)"
cat >"$tmp/policy-jvm.mmp" <<EOF
policy jvm { match comm "java"; region heap = anon and size >= $((heap_mib * 7 / 8))M;
  pagesize heap { 4K: 0; 2M: 100;$ahead_clause } }
EOF
cat >"$tmp/policy-populate.mmp" <<EOF
policy fill { match comm "populate"; region arena = range 0x600000000000 .. +$POP_SIZE;
  pagesize arena { 4K: 0; 2M: 100;$ahead_clause } }
EOF
cat >"$tmp/policy-redis.mmp" <<EOF
policy cache { match comm "redis-server"; region heap = anon;
  pagesize heap { 4K: 0; 2M: 100;$ahead_clause } }
EOF

median() { # FILE COLUMN
	cut -d' ' -f"$2" "$1" | sort -g | awk '{ a[NR] = $1 } END {
		print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
VARIANTS=${VARIANTS:-4k thp mmp}
for part in $PARTS; do
	echo
	case $part in
	populate) echo "populate: $POP_SIZE by $POP_THREADS writer(s) at $POP_PLACES place(s) each, front to back" ;;
	redis) echo "redis: $(redis-server --version | cut -d' ' -f3), $REDIS_KEYS keys of 1000 bytes, then $REDIS_GETS GETs and SETs" ;;
	jvm) javac -d "$tmp" "$tmp/Started.java" || die "javac failed"
	     echo "jvm: $(java -version 2>&1 | head -n 1), heap $JVM_HEAP pre-touched" ;;
	attach) echo "attach: redis $(redis-server --version | cut -d' ' -f3), $REDIS_KEYS keys of 1000 bytes in 4K pages, serving GETs; huge pages given while it runs" ;;
	esac
	for v in $VARIANTS; do : >"$tmp/$part.$v"; done
	r=0
	while [ "$r" -lt "$RUNS" ]; do
		r=$((r + 1))
		order=$(echo "$VARIANTS" | awk -v k=$(( (r - 1) % 3 )) '{ for (i = 0; i < NF; i++) printf "%s ", $((i + k) % NF + 1) }')
		for v in $order; do
			res=$(${part}_run "$v")
			echo "$res" >>"$tmp/$part.$v"
			echo "  round $r $v: $res"
		done
	done
	if [ "$part" = populate ] || [ "$part" = jvm ]; then
		# The same result line: seconds huge_mib cpu_prepare cpu_collapse (populate: - faults)
		label="median s"
		[ "$part" = populate ] || label="median start s"
		printf '%-6s %14s %10s %8s %14s %14s %10s\n' variant "$label" "huge MiB" "4k/this" "prepare cpu s" \
			"collapse cpu s" "faults"
		b=   # no ratio without a 4k run (VARIANTS may leave it out)
		[ ! -f "$tmp/$part.4k" ] || b=$(median "$tmp/$part.4k" 1)
		for v in $VARIANTS; do
			f=$tmp/$part.$v
			ft=-
			[ "$part" != populate ] || ft=$(median "$f" 6)
			awk -v v="$v" -v s="$(median "$f" 1)" -v h="$(median "$f" 2)" -v p="$(median "$f" 3)" \
				-v c="$(median "$f" 4)" -v b="$b" -v ft="$ft" \
				'BEGIN { printf "%-6s %14.3f %10.0f %8s %14.2f %14.2f %10s\n", v, s, h,
					 b == "" ? "-" : sprintf("%.2f", b / s), p, c, ft }'
		done
	elif [ "$part" = attach ]; then
		printf '%-6s %14s %12s %10s %9s %8s %14s %10s\n' variant "huge MiB @${ATTACH_AT}s" "s to 90%" "GET/s" \
			"huge MiB" "rss MiB" "collapse cpu s" "mmp cpu s"
		for v in $VARIANTS; do
			f=$tmp/attach.$v
			printf '%-6s %14.0f %12s %10.0f %9.0f %8.0f %14.2f %10.2f\n' "$v" "$(median "$f" 1)" "$(median "$f" 2)" \
				"$(median "$f" 3)" "$(median "$f" 4)" "$(median "$f" 5)" "$(median "$f" 6)" "$(median "$f" 7)"
		done
	else
		printf '%-6s %8s %10s %10s %9s %8s %14s %14s %10s %12s\n' variant "fill s" "GET/s" "SET/s" "huge MiB" \
			"rss MiB" "prepare cpu s" "collapse cpu s" "mmp cpu s" "fill faults"
		for v in $VARIANTS; do
			f=$tmp/redis.$v
			printf '%-6s %8.1f %10.0f %10.0f %9.0f %8.0f %14.2f %14.2f %10.2f %12.0f\n' "$v" "$(median "$f" 1)" \
				"$(median "$f" 2)" "$(median "$f" 3)" "$(median "$f" 4)" "$(median "$f" 5)" "$(median "$f" 6)" \
				"$(median "$f" 7)" "$(median "$f" 8)" "$(median "$f" 9)"
		done
	fi
done
