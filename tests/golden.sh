#!/bin/sh
# golden.sh - the front end's golden files, one feature each.
#   tests/parse/NAME.mmp   -> NAME.ast: the tree printed by 'mmpc --dump-ast'
#   tests/errors/NAME.mmp  -> NAME.err: the exact diagnostics of 'mmpc --check'
#   tests/codegen/NAME.mmp -> NAME.c: the function of 'mmpc --emit-c' that the
#                             policy's "# golden: FUNCTION" line names
# An errors case must exit 1 if its .err holds an error, else 0.
# Run with --update to rewrite the expected files from the current mmpc
# (then read the diff before committing it).
set -u
srcdir=${srcdir:-.}
MMPC=${MMPC:-$PWD/mmpc}
update=no
[ "${1:-}" = "--update" ] && update=yes
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

compare() { # expected actual name
	if [ "$update" = yes ]; then
		cp "$2" "$1"
	elif ! diff -u "$1" "$2" >"$tmp/diff"; then
		echo "FAIL: $3"
		cat "$tmp/diff"
		fail=$((fail + 1))
		return
	fi
	pass=$((pass + 1))
}

for f in "$srcdir"/tests/parse/*.mmp; do
	[ -f "$f" ] || continue
	name=$(basename "$f" .mmp)
	# The tree only: warnings of these cases are the errors cases' business.
	(cd "$srcdir/tests/parse" && "$MMPC" --dump-ast --color=never "$name.mmp") >"$tmp/out" 2>/dev/null
	compare "$srcdir/tests/parse/$name.ast" "$tmp/out" "parse/$name"
done

for f in "$srcdir"/tests/errors/*.mmp; do
	[ -f "$f" ] || continue
	name=$(basename "$f" .mmp)
	(cd "$srcdir/tests/errors" && "$MMPC" --check --color=never "$name.mmp") >"$tmp/out" 2>&1
	rc=$?
	want=0
	if [ "$update" = yes ]; then
		grep -q ': error: ' "$tmp/out" && want=1
	else
		grep -q ': error: ' "$srcdir/tests/errors/$name.err" && want=1
	fi
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL: errors/$name: exit status $rc, expected $want"
		fail=$((fail + 1))
		continue
	fi
	compare "$srcdir/tests/errors/$name.err" "$tmp/out" "errors/$name"
done

for f in "$srcdir"/tests/codegen/*.mmp; do
	[ -f "$f" ] || continue
	name=$(basename "$f" .mmp)
	# Only the function the case is about ("# golden: NAME" in the policy).
	fn=$(sed -n 's/^# golden: *//p' "$f" | head -n 1)
	(cd "$srcdir/tests/codegen" && "$MMPC" --emit-c --color=never "$name.mmp") 2>&1 |
		sed -n "/^static .*[ *]$fn(/,/^}/p" >"$tmp/out"
	[ -s "$tmp/out" ] || { echo "FAIL: codegen/$name: no function '$fn' in the generated C"; fail=$((fail + 1)); continue; }
	compare "$srcdir/tests/codegen/$name.c" "$tmp/out" "codegen/$name"
done

[ "$pass" -gt 0 ] || [ "$fail" -gt 0 ] || { echo "FAIL: no golden files found"; exit 1; }
echo "golden: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
