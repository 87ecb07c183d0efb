#!/bin/sh
# errors.sh - bad input to mmp: one clear line, a non-zero exit, and
# nothing left behind.
. "${srcdir:-.}/tests/kernel/lib.sh"
skip_unless_kernel
K=$srcdir/tests/kernel

expect() { # NAME STATUS PATTERN -- COMMAND...
	name=$1 want=$2 pattern=$3
	shift 4
	"$@" >"$TMP/out" 2>&1
	rc=$?
	if [ "$rc" -ne "$want" ]; then bad "$name: exit $rc, expected $want: $(cat "$TMP/out")"; return; fi
	grep -Eq -- "$pattern" "$TMP/out" || { bad "$name: output does not match /$pattern/: $(cat "$TMP/out")"; return; }
	no_programs_left hotcold || { bad "$name: left programs or pins"; return; }
	ok
}

expect missing-object 1 'cannot open .*nope.bpf.o' -- "$MMP" attach "$TMP/nope.bpf.o"
# What is loaded from the cache of compiled policies runs in the kernel: a
# cache directory or an object someone else could have written is
# refused, and so is an object not compiled from the source as it is now
# (another policy's, put at its name).
cp "$K/hotcold.mmp" "$TMP/cached.mmp"
mkdir -m 0777 "$TMP/cache-open"
expect cache-writable 1 'the cache directory .*cache-open is writable by others: refusing' -- \
	env MMP_CACHE_DIR="$TMP/cache-open" "$MMP" verify "$TMP/cached.mmp"
mkdir -m 0700 "$TMP/cache"
MMP_CACHE_DIR=$TMP/cache "$MMP" verify "$TMP/cached.mmp" >"$TMP/out" 2>&1 || bad "cache: a first verify failed: $(cat "$TMP/out")"
cached=$(ls "$TMP"/cache/*.bpf.o)
"$MMPC" "$K/never.mmp" -o "$cached"
expect cache-planted 1 'cached object .* was not compiled from .*cached.mmp as it is now: refusing it' -- \
	env MMP_CACHE_DIR="$TMP/cache" "$MMP" verify "$TMP/cached.mmp"
chmod 0666 "$cached"
expect cache-object-writable 1 'cached object .* is writable by others: refusing it' -- \
	env MMP_CACHE_DIR="$TMP/cache" "$MMP" verify "$TMP/cached.mmp"
echo "not an object" >"$TMP/text.bpf.o"
expect not-an-object 1 'is not a policy object made by mmpc' -- "$MMP" attach "$TMP/text.bpf.o"
"$MMPC" "$K/hotcold.mmp" -o "$TMP/hc.bpf.o"
sed 's/mmp-object 1/mmp-object 9/' "$TMP/hc.bpf.o" >"$TMP/future.bpf.o"
expect other-format 1 'object format 9.*this mmp reads format 1' -- "$MMP" attach "$TMP/future.bpf.o"
printf 'policy p {\n  match comm "x";\n  region r = anon;\n  pagesize q { 2M: 1; }\n}\n' >"$TMP/broken.mmp"
expect broken-source 1 'broken.mmp:4:12: error: unknown region' -- "$MMP" attach "$TMP/broken.mmp"
printf 'policy ev { match comm "x"; region r = anon; evict when usage of cgroup "/no-such-cg" > 80%% { score r = faults / 1; } }\n' >"$TMP/ev.mmp"
expect evict-missing-cgroup 1 'cgroup "/no-such-cg" does not exist' -- "$MMP" attach "$TMP/ev.mmp"
printf 'policy nocg { match comm "x"; oom { kill task when pressure some of cgroup "/sys/fs/cgroup/unified/no-such-cg" > 10%%; } }\n' >"$TMP/nocg.mmp"
expect oom-missing-cgroup 1 'no-such-cg" does not exist' -- "$MMP" attach "$TMP/nocg.mmp"
printf 'policy grp { match comm "x"; oom { kill group; } }\n' >"$TMP/grp.mmp"
expect oom-group-without-trigger 1 "grp.mmp:1:36: error: 'kill group' without 'when' needs memory.oom.group" -- \
	"$MMP" attach "$TMP/grp.mmp"
expect nothing-matched 0 'no process matched the policy while it ran' -- "$MMP" run "$TMP/hc.bpf.o" -- true
printf 'policy um { match comm "sleep"; region heap = mapping "[nope]"; region a = anon; pagesize heap, a { 2M: 100; } }\n' \
	>"$TMP/um.mmp"
expect unmapped-region 0 'um.heap matched no memory in any process the policy governed' -- "$MMP" run "$TMP/um.mmp" -- sleep 1
grep -q 'um.a matched no memory' "$TMP/out" && bad "a region that was mapped is said to be unmapped: $(cat "$TMP/out")"
# A file region of an evict block: files a process read and closed before
# the first scoring count as matched; a pattern no file fits does not. The
# files are in the page cache: not on a tmpfs (a guest's /tmp), whose
# pages are shared memory.
if [ "$(stat -f -c %T "$TMP")" = tmpfs ]; then
	tree=$(mktemp -d "$PWD/errors-tree.XXXXXX") || exit 99
	trap 'rm -rf "$tree"; cleanup' EXIT
else
	tree=$TMP/tree && mkdir -p "$tree"
fi
echo some >"$tree/a" && echo more >"$tree/b"
printf 'policy fr { match comm "cat"; region f = file "%s/*"; evict when usage >= 97%% { score f = idle / 1ms; action drop; } }\n' \
	"$tree" >"$TMP/fr.mmp"
# cat reads both files at once after its exec, and exits before the first
# scoring: 'mmp run' holds its command at its exec until it has matched it.
expect file-region-read 0 'fr.f: 0 bytes evicted' -- "$MMP" run -v "$TMP/fr.mmp" -- cat "$tree/a" "$tree/b"
for f in a b; do
	grep -q "evict: watching $tree/$f " "$TMP/out" || bad "file-region-read: $f, read at once after the exec, is not watched: $(cat "$TMP/out")"
done
grep -q 'matched no' "$TMP/out" &&
	bad "files read before the first scoring are said to be unmatched: $(cat "$TMP/out")"
sed "s#$tree/\\*#$TMP/nothere/*#" "$TMP/fr.mmp" >"$TMP/fn.mmp"
expect file-region-none 0 'fr.f matched no file or memory of any process the policy governed' -- \
	"$MMP" run -v "$TMP/fn.mmp" -- cat "$tree/a"
[ "$tree" = "$TMP/tree" ] || rm -rf "$tree"
# A process two policies match is the first's, and the second's match is said.
printf 'policy first { match comm "slee*" and uid 0; oom { score = rss; } }\npolicy second { match comm "sleep"; oom { score = rss; } }\n' >"$TMP/ov.mmp"
expect overlapping-policies 0 "pid [0-9]* \\(sleep\\) matches policy 'second' too, but is governed by policy 'first'" -- \
	"$MMP" run "$TMP/ov.mmp" -- sleep 0.5
# A matcher naming a user or a cgroup this machine has not is said.
printf 'policy typo { match uid "mmp-no-such-user" or cgroup "/mmp-no-such-cgroup"; oom { score = rss; } }\n' >"$TMP/typo.mmp"
expect unknown-user 0 "no user 'mmp-no-such-user' on this machine" -- "$MMP" run "$TMP/typo.mmp" -- true
check "and the missing cgroup" grep -q 'cgroup "/mmp-no-such-cgroup" does not exist' "$TMP/out"
# Prefetching anonymous memory needs swap to read it back from: said where there is none.
printf 'policy sw { match comm "x"; region heap = anon; prefetch heap { pattern stride; } }\n' >"$TMP/sw.mmp"
"$MMP" run "$TMP/sw.mmp" -- true >"$TMP/out" 2>&1
check "the prefetch policy ran: $(tail -n 3 "$TMP/out")" grep -q 'policy .*sw.mmp attached' "$TMP/out"
if [ "$(sed -n 's/^SwapTotal: *\([0-9]*\).*/\1/p' /proc/meminfo)" = 0 ]; then
	check "anonymous prefetch without swap is warned of" grep -q 'sw.heap: this machine has no swap' "$TMP/out"
else
	check "anonymous prefetch with swap is not warned of" sh -c '! grep -q "has no swap" "$1"' sh "$TMP/out"
fi
expect no-command 2 'no command given' -- "$MMP" run "$K/hotcold.mmp" --
expect bad-command 127 'cannot run /nonexistent/cmd' -- "$MMP" run "$K/hotcold.mmp" -- /nonexistent/cmd
expect unknown-verb 2 "unknown command 'frob'" -- "$MMP" frob
expect no-runtime 1 "no runtime named 'nothing' is running" -- "$MMP" stats nothing
if command -v setpriv >/dev/null; then
	chmod a+rx "$TMP"; chmod a+r "$TMP/hc.bpf.o"
	expect not-root 1 'mmp must run as root' -- setpriv --reuid=65534 --regid=65534 --clear-groups "$MMP" attach "$TMP/hc.bpf.o"
	expect stats-not-root 1 'stats needs root' -- setpriv --reuid=65534 --regid=65534 --clear-groups "$MMP" stats
fi
# A second runtime of the same name is refused while the first runs. The
# first is a copy of mmp elsewhere, as another build installed elsewhere
# is: 'match all' below must know it as a runtime all the same.
mkdir "$TMP/other-build" && cp "$MMP" "$TMP/other-build/mmp" || exit 99
"$TMP/other-build/mmp" attach "$TMP/hc.bpf.o" 2>/dev/null &
FIRST=$!
PIDS="$PIDS $FIRST"
wait_until 120 [ -e /sys/fs/bpf/mmp/hotcold/mmp_meta ] || bad "the first runtime pinned nothing within 120 s"
"$MMP" attach "$TMP/hc.bpf.o" >"$TMP/out" 2>&1
rc=$?
check "a second runtime of one name is refused" [ "$rc" -eq 1 ]
grep -q "already running (pid $FIRST)" "$TMP/out" || bad "the refusal names the running runtime: $(cat "$TMP/out")"
# 'match all' governs neither another runtime nor its guardian: an OOM
# policy must not choose them.
printf 'policy every { match all; oom { score = rss; } }\n' >"$TMP/every.mmp"
"$MMP" attach -v --dry-run --duration 2 --name every "$TMP/every.mmp" >"$TMP/out" 2>&1
check "match all governs some process (a dry run)" grep -q 'governing pid [0-9]* ' "$TMP/out"
check "but not another runtime, nor a guardian: $(grep -E 'governing pid [0-9]+ \(mmp' "$TMP/out")" \
	sh -c '! grep -Eq "governing pid [0-9]+ \(mmp(-guardian)?\)" "$1"' sh "$TMP/out"
check "and says so" grep -q "pid $FIRST (mmp): an mmp runtime or guardian, never governed" "$TMP/out"
kill -INT $FIRST; wait $FIRST
check "SIGINT stops attach cleanly" [ $? -eq 0 ]
check "nothing left after SIGINT" no_programs_left hc
check "nor the name's lock file" [ ! -e /run/mmp/hotcold.lock ]
# Killed, a runtime leaves its lock file: its guardian removes it, and the pins.
"$MMP" attach --name killed "$TMP/hc.bpf.o" 2>/dev/null &
K=$!
PIDS="$PIDS $K"
wait_until 120 [ -e /sys/fs/bpf/mmp/killed/mmp_meta ] || bad "the runtime to kill pinned nothing within 120 s"
kill -9 $K; wait $K 2>/dev/null
check "after SIGKILL the guardian removes the pins and the lock file" \
	wait_until 30 sh -c '[ ! -e /sys/fs/bpf/mmp/killed ] && [ ! -e /run/mmp/killed.lock ]'
check "nothing left after SIGKILL" no_programs_left killed
# A lock file a killed runtime and its guardian left: 'mmp restore NAME' removes it.
mkdir -p /run/mmp && : >/run/mmp/errtest-stale.lock
expect restore-stale 0 "runtime 'errtest-stale' left nothing to restore" -- "$MMP" restore errtest-stale
check "and its lock file is gone" [ ! -e /run/mmp/errtest-stale.lock ]
# bpffs is writable by anyone: a pin root that is a link (or another
# user's) is refused, and what it points to is left alone.
if [ ! -e /sys/fs/bpf/mmp ] && mkdir "$TMP/elsewhere" && touch "$TMP/elsewhere/keep" &&
   ln -s "$TMP/elsewhere" /sys/fs/bpf/mmp 2>/dev/null; then
	"$MMP" attach "$TMP/hc.bpf.o" >"$TMP/out" 2>&1
	rc=$?
	rm -f /sys/fs/bpf/mmp
	check "a linked pin root is refused (exit $rc)" [ "$rc" -eq 1 ]
	check "the refusal says why" grep -q '/sys/fs/bpf/mmp is a symbolic link: refusing to pin there' "$TMP/out"
	check "what the link points to keeps its files" [ -e "$TMP/elsewhere/keep" ]
	check "and gets no pins" [ ! -e "$TMP/elsewhere/hotcold" ]
	check "nothing left after the refusal" no_programs_left hotcold
fi
# Two runtimes of one name started together: one runs, the other is
# refused, and stopping the one that runs leaves nothing behind.
"$MMP" attach --name race "$TMP/hc.bpf.o" >"$TMP/race1" 2>&1 &
R1=$!
"$MMP" attach --name race "$TMP/hc.bpf.o" >"$TMP/race2" 2>&1 &
R2=$!
PIDS="$PIDS $R1 $R2"
wait_until 120 [ -e /sys/fs/bpf/mmp/race/mmp_meta ] || bad "neither runtime named race pinned within 120 s"
one_left() { n=0; for p in $R1 $R2; do kill -0 "$p" 2>/dev/null && n=$((n + 1)); done; [ "$n" -eq 1 ]; }
wait_until 60 one_left
check "of two starts under one name, exactly one runs" one_left
check "the other says the name is taken" grep -q "a runtime named 'race' is already" "$TMP/race1" "$TMP/race2"
for p in $R1 $R2; do kill -INT "$p" 2>/dev/null; done
wait $R1 2>/dev/null; wait $R2 2>/dev/null
check "nothing left of either" no_programs_left race
check "nor the name's lock file" [ ! -e /run/mmp/race.lock ]
# A reader of the log that goes away does not end the runtime: it runs
# its command to the end and cleans up (SIGPIPE would have killed it at
# its next line, leaving everything attached).
{ "$MMP" run -v "$TMP/hc.bpf.o" -- sleep 3 2>&1; echo $? >"$TMP/rc"; } | head -c 1 >/dev/null
check "a closed log pipe does not end mmp run" [ "$(cat "$TMP/rc")" -eq 0 ]
check "nothing left after a closed log pipe" no_programs_left hc
# Events the ring buffer has no room for (a process renaming itself while
# the runtime is stopped and cannot read: an event each, until BPF counts
# one lost) are counted, said, shown by 'mmp stats', and the runtime reads
# the processes' mappings again. Renames, not execs: 12,000 execs took
# minutes in a loaded emulated guest.
"$MMP" attach -v "$TMP/hc.bpf.o" 2>"$TMP/lost.log" &
LR=$!
PIDS="$PIDS $LR"
stats_lost() { "$MMP" stats hotcold 2>&1 | grep -q 'events lost'; }
# Attached, not only pinned: the pins come before the programs attach, and
# a runtime stopped between the two sees no event to lose.
wait_until 120 grep -q 'policy .* attached' "$TMP/lost.log" || bad "the runtime did not attach within 120 s"
kill -STOP $LR
i=0
until stats_lost || [ $i -ge 20 ]; do
	"$top_builddir/tests/workloads/renames" 20000
	i=$((i + 1))
done
kill -CONT $LR
wait_until 120 grep -q 'lost (the ring buffer was full)' "$TMP/lost.log"
check "a full ring buffer is said" grep -q 'lost (the ring buffer was full)' "$TMP/lost.log"
wait_until 30 stats_lost
check "mmp stats counts the lost events" stats_lost
kill -INT $LR; wait $LR
check "and it stops cleanly" [ $? -eq 0 ]
finish
