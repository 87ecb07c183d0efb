#!/bin/sh
# hostile.sh - a corpus of hostile policies, made here (some are large):
# mmpc must answer each within a time, an output and a memory bound, with
# a diagnostic and exit 0 or 1, never a crash, a hang or a flood.
set -u
MMPC=${MMPC:-$PWD/mmpc}
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "SKIP: no $TIME (scripts/install-deps.sh installs the time package)"; exit 77; }

# case NAME FILE [MMPC OPTION]...: at most 30 s, 64 KiB of output and
# 512 MiB of memory; exit 0 or 1.
case_() {
	name=$1 file=$2
	shift 2
	timeout -s KILL 30 "$TIME" -f '%M' -o "$tmp/rss" "$MMPC" --color=never "$@" "$file" >"$tmp/out" 2>&1
	rc=$?
	size=$(wc -c <"$tmp/out")
	rss=$(tail -n 1 "$tmp/rss" 2>/dev/null)
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
		echo "FAIL: $name: exit $rc$([ "$rc" -eq 137 ] && echo ' (killed after 30 s)')"; head -c 600 "$tmp/out"; echo
		fail=$((fail + 1))
	elif [ "$size" -gt 65536 ]; then
		echo "FAIL: $name: $size bytes of output"; fail=$((fail + 1))
	elif [ "${rss:-0}" -gt 524288 ]; then
		echo "FAIL: $name: $rss KiB of memory"; fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
}
gen() { awk "BEGIN { $1 }" >"$tmp/$2.mmp"; }

gen 's = "1"; for (i = 1; i < 30000; i++) s = s " + 1";
     print "policy p { match all; region a = anon; pagesize a { 2M: 100; } when faults >= " s "; }"' sum
case_ "a 30,000-term sum" "$tmp/sum.mmp" --check
case_ "a 30,000-term sum, dumped" "$tmp/sum.mmp" --dump-ast
gen 's = "faults"; for (i = 0; i < 100000; i++) s = "not " s;
     print "policy p { match all; region a = anon; pagesize a { 2M: 100; } when " s "; }"' nots
case_ "100,000 nots" "$tmp/nots.mmp" --check
gen 's = "1"; for (i = 0; i < 10000; i++) s = "(" s ")";
     print "policy p { match all; region a = anon; pagesize a { 2M: 100; } when faults >= " s "; }"' parens
case_ "10,000 nested parentheses" "$tmp/parens.mmp" --check
gen 's = ""; for (i = 0; i < 10000; i++) s = s "{"; print "policy p " s' braces
case_ "10,000 open braces" "$tmp/braces.mmp" --check
gen 's = "policy p { match all;"; for (i = 0; i < 10000; i++) s = s " region r" i " = bogus" i ";"; print s " }"' errors
case_ "10,000 errors on one line" "$tmp/errors.mmp" --check
gen 'print "policy p { match all;"; for (i = 0; i < 1000; i++) print "region r" i " = anon;";
     for (i = 0; i < 1000; i++) print "pagesize r" i " { 2M: " i % 100 + 1 "; }"; print "}"' overlap
case_ "1,000 overlapping regions" "$tmp/overlap.mmp" --check
gen 'for (i = 0; i < 100000; i++) print "policy p" i " { match comm \"x\"; region a = anon; pagesize a { 2M: 100; } }"' many
case_ "100,000 policies" "$tmp/many.mmp" --check
x=$(head -c 1048576 /dev/zero | tr '\0' x)
echo "policy p { match comm \"$x\"; }" >"$tmp/string.mmp"
case_ "a 1 MiB string" "$tmp/string.mmp" --check
echo "policy $x { match all; }" >"$tmp/ident.mmp"
case_ "a 1 MiB name" "$tmp/ident.mmp" --check
{ head -c 10000000 /dev/zero | tr '\0' ' '; echo 'policy'; } >"$tmp/spaces.mmp"
case_ "an error after 10 MB of spaces" "$tmp/spaces.mmp" --check
printf 'policy p { match comm "a\000b\377\376"; region \000 = anon; }\n' >"$tmp/bytes.mmp"
case_ "NUL and invalid UTF-8" "$tmp/bytes.mmp" --check
printf 'policy p { match comm "unterminated' >"$tmp/eof.mmp"
case_ "a string cut by the end of the file" "$tmp/eof.mmp" --check
head -c 200000 /dev/urandom >"$tmp/random.mmp"
case_ "200 KB of random bytes" "$tmp/random.mmp" --check

# Past the size limit: refused at once, by name, before it costs memory.
head -c 17000000 /dev/zero | tr '\0' ' ' >"$tmp/big.mmp"
"$MMPC" --check "$tmp/big.mmp" >"$tmp/out" 2>&1
rc=$?
if [ "$rc" -ne 2 ] || ! grep -q "larger than 16 MiB, the most a policy file may hold" "$tmp/out"; then
	echo "FAIL: a 17 MB file: exit $rc: $(head -c 300 "$tmp/out")"; fail=$((fail + 1))
else
	pass=$((pass + 1))
fi

# The front end's memory, a small multiple of its input: the densest
# policy text (a node every few bytes) just under the limit. The bound is
# 12 times the input and 8 MiB: 16 MB of it took 168 MiB here, 21 times its
# size before nodes took only their kind's room.
gen 'for (i = 0; i < 180000; i++) print "policy p" i " { match comm \"x" i "\"; region r = anon; pagesize r { 4K: 0; 2M: 100; } }"' dense
case_ "16 MB of dense policies" "$tmp/dense.mmp" --check
kib=$(( $(wc -c <"$tmp/dense.mmp") / 1024 ))
if [ "${rss:-0}" -gt $(( 12 * kib + 8192 )) ]; then
	echo "FAIL: 16 MB of dense policies took $rss KiB, more than 12 times its $kib KiB and 8 MiB"; fail=$((fail + 1))
fi

echo "hostile: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
