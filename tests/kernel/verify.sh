#!/bin/sh
# verify.sh - every example and every golden policy (parse and codegen) passes the kernel's
# verifier (BPF_PROG_LOAD of each program, nothing attached).
. "${srcdir:-.}/tests/kernel/lib.sh"
skip_unless_kernel
for f in "$srcdir"/examples/*.mmp "$srcdir"/docs/tour.mmp "$srcdir"/tests/parse/*.mmp "$srcdir"/tests/codegen/*.mmp \
	"$srcdir"/tests/kernel/*.mmp; do
	if "$MMP" verify "$f" >"$TMP/out" 2>&1; then
		ok
	else
		bad "$f is refused by the verifier:"; tail -n 30 "$TMP/out"
	fi
done
finish
