#!/bin/sh
# examples.sh - every bundled example policy, and the tour (docs/tour.mmp),
# checks cleanly, warnings included.
set -u
srcdir=${srcdir:-.}
MMPC=${MMPC:-$PWD/mmpc}
pass=0 fail=0
for f in "$srcdir"/examples/*.mmp "$srcdir"/docs/tour.mmp; do
	if out=$("$MMPC" --check -Werror --color=never "$f" 2>&1); then
		pass=$((pass + 1))
	else
		echo "FAIL: $f"
		echo "$out"
		fail=$((fail + 1))
	fi
done
[ "$pass" -gt 0 ] || { echo "FAIL: no examples found in $srcdir/examples"; exit 1; }
echo "examples: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
