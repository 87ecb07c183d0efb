#!/bin/sh
# cli.sh - mmpc's command line (options, exit status, standard input), and
# mmp's options that are refused before anything runs.
set -u
srcdir=${srcdir:-.}
MMPC=${MMPC:-$PWD/mmpc}
MMP=${MMP:-$PWD/mmp}
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

# expect NAME STATUS PATTERN -- COMMAND...: COMMAND exits STATUS and its
# output (stdout and stderr) matches the extended regex PATTERN.
expect() {
	name=$1 want=$2 pattern=$3
	shift 4
	"$@" >"$tmp/out" 2>&1
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL: $name: exit $rc, expected $want"; cat "$tmp/out"; fail=$((fail + 1)); return
	fi
	if [ "$pattern" = '^$' ]; then
		if [ -s "$tmp/out" ]; then
			echo "FAIL: $name: expected no output"; cat "$tmp/out"; fail=$((fail + 1)); return
		fi
	elif ! grep -Eq -- "$pattern" "$tmp/out"; then
		echo "FAIL: $name: output does not match /$pattern/"; cat "$tmp/out"; fail=$((fail + 1)); return
	fi
	pass=$((pass + 1))
}

good='policy p { match comm "x"; region a = anon; pagesize a { 2M: 100; } when faults > 1/s; }'
warn='policy p { match comm "x"; region a = anon; }'
bad='policy p { match comm "x"; region a = anon; pagesize b { 2M: 100; } }'
printf '%s\n' "$good" >"$tmp/good.mmp"
printf '%s\n' "$warn" >"$tmp/warn.mmp"
printf '%s\n' "$bad" >"$tmp/bad.mmp"

expect version 0 '^mmpc [0-9]+\.[0-9]+' -- "$MMPC" --version
expect help 0 'Usage: mmpc' -- "$MMPC" --help
expect no-file 2 '^mmpc: error: no policy file given' -- "$MMPC"
expect two-files 2 '^mmpc: error: give one policy file' -- "$MMPC" "$tmp/good.mmp" "$tmp/good.mmp"
expect a-directory 2 "^mmpc: error: cannot read $tmp: Is a directory" -- "$MMPC" "$tmp"
expect output-folder-missing 2 "^mmpc: error: cannot write $tmp/no/such/x.o: No such file or directory" -- \
	"$MMPC" -o "$tmp/no/such/x.o" "$tmp/good.mmp"
# A file's name may hold a newline: each diagnostic stays one line.
nl=$(printf '%s/a\nb' "$tmp")
printf '%s\n' "$bad" >"$nl.mmp"
expect newline-in-name 1 "^$tmp/a\\\\x0ab\\.mmp:1:[0-9]+: error: unknown region" -- "$MMPC" --check "$nl.mmp"
expect newline-in-output 2 "^mmpc: error: cannot write $tmp/a\\\\x0ab/x.o: No such file or directory" -- \
	"$MMPC" -o "$nl/x.o" "$tmp/good.mmp"
# "??/" in a policy's string is no trigraph for clang to warn of.
printf 'policy p { match comm "a??/b"; region a = anon; pagesize a { 2M: 100; } when faults > 1/s; }\n' >"$tmp/tri.mmp"
expect no-trigraph 0 '^$' -- "$MMPC" -o "$tmp/tri.o" "$tmp/tri.mmp"
expect bad-option 2 '^mmpc: error: unknown option .--frobnicate.' -- "$MMPC" --frobnicate "$tmp/good.mmp"
expect bad-option-hint 2 'Try .mmpc --help' -- "$MMPC" --frobnicate "$tmp/good.mmp"
expect missing-argument 2 '^mmpc: error: option .-o. needs an argument' -- "$MMPC" "$tmp/good.mmp" -o
expect missing-file 2 '^mmpc: error: cannot read .*/nope.mmp: No such file or directory' -- "$MMPC" "$tmp/nope.mmp"
expect directory 2 '^mmpc: error: cannot read' -- "$MMPC" "$tmp"
expect summary 0 'policy p: 1 region, 1 page-size profile' -- "$MMPC" "$tmp/good.mmp"
expect check-quiet 0 '^$' -- "$MMPC" --check "$tmp/good.mmp"
expect stdin 0 '<stdin>: ok' -- sh -c "printf '%s' '$good' | '$MMPC' -"
expect stdin-name 1 '^<stdin>:1:54: error: unknown region' -- sh -c "printf '%s' '$bad' | '$MMPC' --check -"
expect errors 1 'bad.mmp:1:54: error: unknown region .b.' -- "$MMPC" --check "$tmp/bad.mmp"
expect warning-ok 0 'warning: region .a. is declared but no rule uses it' -- "$MMPC" --check "$tmp/warn.mmp"
expect werror 1 'error: region .a. is declared but no rule uses it \[-Werror\]' -- "$MMPC" -Werror --check "$tmp/warn.mmp"
expect color-never 1 '^[^\x1b]*$' -- "$MMPC" --color=never --check "$tmp/bad.mmp"
expect color-always 1 "$(printf '\033')\\[1;31merror:" -- "$MMPC" --color=always --check "$tmp/bad.mmp"
expect color-bad 2 '^mmpc: error: --color takes auto, always or never' -- "$MMPC" --color=pink "$tmp/good.mmp"
expect output-and-check 2 '^mmpc: error: -o compiles; it does not go with' -- "$MMPC" --check -o "$tmp/x.o" "$tmp/good.mmp"
expect emit-c 0 '#include "mmp.bpf.h"' -- "$MMPC" --emit-c "$tmp/good.mmp"
expect emit-c-line 0 "#line 1 \".*good.mmp\"" -- "$MMPC" --emit-c "$tmp/good.mmp"
expect compile-errors 1 'unknown region' -- "$MMPC" "$tmp/bad.mmp" -o "$tmp/bad.o"
[ -e "$tmp/bad.o" ] && { echo "FAIL: a policy with errors left an object"; fail=$((fail + 1)); }
expect dump-ast 0 '^policy <1:1>' -- "$MMPC" --dump-ast "$tmp/good.mmp"
[ -e "$tmp/x.o" ] && { echo "FAIL: -o left a file behind"; fail=$((fail + 1)); }

# Expressions are bounded where they are parsed: a 30,000-term sum is one
# positioned error, not a crash, with --check and --dump-ast; the deepest
# expression the checker passes (200 operators) compiles with clang.
terms() { awk -v n="$1" 'BEGIN { s = "1"; for (i = 1; i < n; i++) s = s " + 1"; print s }'; }
deep() { echo "policy p { match comm \"x\"; region a = anon; pagesize a { 2M: 100; } when faults <= $(terms "$1"); }"; }
deep 30000 >"$tmp/deep.mmp"
expect "30,000 terms" 1 'deep.mmp:1:[0-9]+: error: this expression nests more than 200 operators deep' -- \
	"$MMPC" --color=never --check "$tmp/deep.mmp"
expect "30,000 terms, dumped" 1 'nests more than 200 operators deep' -- "$MMPC" --color=never --dump-ast "$tmp/deep.mmp"
if [ "$(grep -c 'error:' "$tmp/out")" -ne 1 ]; then
	echo "FAIL: a deep expression is reported more than once"; fail=$((fail + 1))
fi
deep 200 >"$tmp/deep200.mmp"     # 199 additions under the comparison: 200 deep
expect "200 operators compile" 0 '^$' -- "$MMPC" --color=never "$tmp/deep200.mmp" -o "$tmp/deep200.o"
deep 201 >"$tmp/deep201.mmp"
expect "201 operators" 1 'more than 200 operators deep' -- "$MMPC" --color=never --check "$tmp/deep201.mmp"

# Diagnostics are bounded: 20 errors and warnings by default, then a count
# of the rest; --error-limit changes it. 10,000 errors on one line, a
# thousand overlapping regions and a caret after 10 MB of spaces stay
# small (the long line is cut around the caret).
awk 'BEGIN { s = "policy p { match all;"; for (i = 0; i < 10000; i++) s = s " region r" i " = bogus" i ";"; print s " }" }' \
	>"$tmp/many.mmp"
expect "10,000 errors" 1 'note: 9980 more errors and 10001 more warnings not shown \(the limit is 20' -- \
	"$MMPC" --color=never --check "$tmp/many.mmp"
if [ "$(wc -c <"$tmp/out")" -gt 20000 ] || [ "$(grep -c ': error: ' "$tmp/out")" -ne 20 ]; then
	echo "FAIL: 10,000 errors: more than 20 shown, or a long line not cut"; fail=$((fail + 1))
fi
expect "--error-limit=3" 1 'note: 9997 more errors' -- "$MMPC" --color=never --error-limit=3 --check "$tmp/many.mmp"
expect "--error-limit=0" 1 'region r9999 = bogus9999' -- "$MMPC" --color=never --error-limit=0 --check "$tmp/many.mmp"
expect "a bad --error-limit" 2 'error: --error-limit takes a count' -- "$MMPC" --error-limit=-1 --check "$tmp/many.mmp"
awk 'BEGIN { print "policy p { match all;"; for (i = 0; i < 1000; i++) print "region r" i " = anon;";
	for (i = 0; i < 1000; i++) print "pagesize r" i " { 2M: " i % 100 + 1 "; }"; print "}" }' >"$tmp/overlap.mmp"
expect "1,000 overlapping regions" 0 'note: 979 more warnings not shown' -- \
	"$MMPC" --color=never --check "$tmp/overlap.mmp"
"$MMPC" --color=never --error-limit=0 --check "$tmp/overlap.mmp" >"$tmp/out" 2>&1
if [ "$(grep -c ': warning: ' "$tmp/out")" -ne 999 ] || ! grep -q "'r999' may overlap 998 more regions declared before it" "$tmp/out"; then
	echo "FAIL: overlap warnings are not one a region:"; grep -c ': warning: ' "$tmp/out"; fail=$((fail + 1))
fi
{ head -c 10000000 /dev/zero | tr '\0' ' '; echo 'policy'; } >"$tmp/spaces.mmp"
expect "an error after 10 MB of spaces" 1 'expected a name' -- "$MMPC" --color=never --check "$tmp/spaces.mmp"
if [ "$(wc -c <"$tmp/out")" -gt 2000 ]; then
	echo "FAIL: the caret line after 10 MB of spaces is not cut"; fail=$((fail + 1))
fi

# A policy's string reaches the terminal only visibly escaped: a decoded
# \x1b in a message is shown as \x1b, a raw control byte in a source line
# as '?'.
printf 'policy p { match cgroup "\\x1b[31mred"; }\n' >"$tmp/esc.mmp"
expect "an escape in a message" 1 'must be absolute: "\\x1b\[31mred"' -- "$MMPC" --color=never --check "$tmp/esc.mmp"
printf 'policy p { match cgroup "a\033[31mb"; }\n' >"$tmp/esc2.mmp"
"$MMPC" --color=never --check "$tmp/esc2.mmp" >"$tmp/out" 2>&1
if grep -q "$(printf '\033')" "$tmp/out"; then
	echo "FAIL: a raw escape byte reached the output"; fail=$((fail + 1))
else
	pass=$((pass + 1))
fi

# A runtime's name is a directory: only a safe, bounded name is taken.
long=$(awk 'BEGIN { for (i = 0; i < 64; i++) printf "a" }')
for name in ../../../../tmp/d "" "$long" 'a b' 'x/y'; do
	expect "--name '$name'" 2 "error: --name takes 1 to 63 letters, digits, '-' or '_'" -- \
		"$MMP" attach --name "$name" "$srcdir/docs/tour.mmp"
done
expect "stats of '../x'" 2 "error: stats: a runtime's name is 1 to 63" -- "$MMP" stats ../x
# A cache directory whose objects' names would not fit a path: refused
# before anything compiles, not an object's name cut short.
longdir=$tmp/$(awk 'BEGIN { for (i = 0; i < 4080; i++) printf "c" }')
expect "MMP_CACHE_DIR too long" 1 "the cache directory's name is too long \\([0-9]+ bytes, from MMP_CACHE_DIR; at most [0-9]+\\)" -- \
	env MMP_CACHE_DIR="$longdir" "$MMP" verify "$srcdir/docs/tour.mmp"
# A user without the privilege to load BPF is refused before the policy is
# compiled: the error is the one that matters, not a compiler's, and no
# cache is made in vain.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	mkdir "$tmp/home" && chmod 755 "$tmp" && chmod 777 "$tmp/home" && cp "$srcdir/docs/tour.mmp" "$tmp/home/"
	expect "verify, not root" 1 'verify loads the policy.s BPF programs into the kernel, which needs root \(CAP_SYS_ADMIN\)' -- \
		setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$tmp/home" "$MMP" verify "$tmp/home/tour.mmp"
	[ ! -e "$tmp/home/.cache" ] || { echo "FAIL: verify, not root: it compiled into $tmp/home/.cache"; fail=$((fail + 1)); }
fi
expect "--collapse-rate 1T+" 2 'from 2M to 1T' -- "$MMP" attach -r 2T "$srcdir/docs/tour.mmp"
# A duration past what a deadline in nanoseconds holds, or not a number:
# refused, not an attach that stops at once.
for d in 9300000000 inf nan 1e308 2x 0; do
	expect "--duration $d" 2 "--duration takes a number of seconds above 0 and at most 315360000" -- \
		"$MMP" attach -d "$d" "$srcdir/docs/tour.mmp"
done

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
