#!/bin/sh
# compile.sh - every example and every golden policy compiles to a BPF
# object that carries the versioned header and the policy source.
set -u
srcdir=${srcdir:-.}
MMPC=${MMPC:-$PWD/mmpc}
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
for f in "$srcdir"/examples/*.mmp "$srcdir"/docs/tour.mmp "$srcdir"/tests/parse/*.mmp; do
	o="$tmp/$(basename "$f" .mmp).bpf.o"
	if ! "$MMPC" --color=never "$f" -o "$o" >"$tmp/log" 2>&1; then
		echo "FAIL: $f does not compile"; cat "$tmp/log"; fail=$((fail + 1)); continue
	fi
	# The header names the format, and the source is there byte for byte.
	if ! llvm-objcopy -O binary --only-section=.mmp.header "$o" "$tmp/header" 2>/dev/null ||
	   ! grep -q '^mmp-object 1$' "$tmp/header"; then
		echo "FAIL: $f: no .mmp.header in the object"; fail=$((fail + 1)); continue
	fi
	llvm-objcopy -O binary --only-section=.mmp.source "$o" "$tmp/source"
	tr -d '\000' <"$tmp/source" >"$tmp/source.txt"
	if ! cmp -s "$tmp/source.txt" "$f"; then
		echo "FAIL: $f: the embedded source differs from the file"; fail=$((fail + 1)); continue
	fi
	pass=$((pass + 1))
done
# clang's errors come back as mmpc's, with its status.
if "$MMPC" --clang=/nonexistent/clang "$srcdir/docs/tour.mmp" -o "$tmp/x.o" >"$tmp/log" 2>&1; then
	echo "FAIL: a missing clang went unnoticed"; fail=$((fail + 1))
elif ! grep -q 'cannot run /nonexistent/clang' "$tmp/log" || [ -e "$tmp/x.o" ]; then
	echo "FAIL: a missing clang is not named, or left a file:"; cat "$tmp/log"; fail=$((fail + 1))
else
	pass=$((pass + 1))
fi
# A file's name reaches the generated C (in #line, a comment and the
# header) only escaped: quotes, backslashes, a comment's end and line
# breaks compile as the bytes they are and inject nothing.
mkdir -p "$tmp/hostile/end*" "$tmp/hostile/back\\slash"
nl='
'
for name in "$tmp/hostile/p\";int injected = 42;const char *x = \".mmp" "$tmp/hostile/end*/comment.mmp" \
	    "$tmp/hostile/back\\slash/q.mmp" "$tmp/hostile/new${nl}line.mmp"; do
	cp "$srcdir/docs/tour.mmp" "$name"
	if ! "$MMPC" --color=never "$name" -o "$tmp/hostile.o" >"$tmp/log" 2>&1; then
		echo "FAIL: a policy named '$name' does not compile:"; cat "$tmp/log"; fail=$((fail + 1)); continue
	fi
	if llvm-nm "$tmp/hostile.o" 2>/dev/null | grep -q injected; then
		echo "FAIL: the name '$name' injected a definition into the object"; fail=$((fail + 1)); continue
	fi
	llvm-objcopy -O binary --only-section=.mmp.header "$tmp/hostile.o" "$tmp/header"
	want=$(printf '%s' "$name" | tr '\n' '?')
	if ! grep -qxF "name $want" "$tmp/header"; then
		echo "FAIL: the header does not name '$name':"; cat "$tmp/header"; fail=$((fail + 1)); continue
	fi
	pass=$((pass + 1))
done
# Killed while clang runs, mmpc leaves neither its temporary directory nor
# a part of the object; one killed for good (SIGKILL) has its directory
# removed by the next mmpc.
mkdir -p "$tmp/t"
printf '#!/bin/sh\nsleep 30\n' >"$tmp/slowclang" && chmod +x "$tmp/slowclang"
TMPDIR=$tmp/t "$MMPC" --clang="$tmp/slowclang" "$srcdir/docs/tour.mmp" -o "$tmp/killed.o" 2>/dev/null &
victim=$!
i=0
while [ -z "$(ls "$tmp/t")" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
sleep 0.2
kill -TERM $victim; wait $victim 2>/dev/null
pkill -f "$tmp/slowclang" 2>/dev/null
if [ -n "$(ls "$tmp/t")" ] || [ -e "$tmp/killed.o" ]; then
	echo "FAIL: mmpc killed while compiling left: $(ls "$tmp/t") $(ls "$tmp/killed.o" 2>/dev/null)"; fail=$((fail + 1))
else
	pass=$((pass + 1))
fi
sh -c 'exit 0' & gone=$!; wait $gone
mkdir -p "$tmp/t/mmpc.$gone.AbC123" && touch "$tmp/t/mmpc.$gone.AbC123/policy.bpf.c"
TMPDIR=$tmp/t "$MMPC" "$srcdir/docs/tour.mmp" -o "$tmp/after.o" >/dev/null 2>&1
if [ -n "$(ls "$tmp/t")" ]; then
	echo "FAIL: a killed mmpc's directory stays: $(ls "$tmp/t")"; fail=$((fail + 1))
else
	pass=$((pass + 1))
fi
echo "compile: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
