#!/bin/sh
# fuzz.sh - a bounded libFuzzer run over the front end under ASan and UBSan,
# seeded with every policy in the tree. MMP_FUZZ_SECONDS sets the length
# (default 60); 0 skips.
set -u
srcdir=${srcdir:-.}
top_builddir=${top_builddir:-.}
CLANG=${CLANG:-clang}
seconds=${MMP_FUZZ_SECONDS:-60}
if [ "${HAVE_FUZZER:-no}" != yes ]; then
	echo "SKIP: $CLANG cannot link a libFuzzer target (Debian: install libclang-rt-dev)"
	exit 77
fi
if [ "$seconds" -eq 0 ]; then
	echo "SKIP: MMP_FUZZ_SECONDS=0"
	exit 77
fi
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT

# Bison's output is in the build tree, or in the source tree of a release.
parser=
for d in "$top_builddir" "$srcdir"; do
	[ -f "$d/grammar/mmp.c" ] && { parser=$d/grammar/mmp.c; break; }
done
[ -n "$parser" ] || { echo "FAIL: grammar/mmp.c not built"; exit 1; }

sources=""
for f in arena source diag ast units stats types pattern overlap sema frontend plan; do
	sources="$sources $srcdir/compiler/$f.c"
done
# shellcheck disable=SC2086
if ! "$CLANG" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-I"$srcdir" -I"$top_builddir" -o "$tmp/fuzz" \
	"$srcdir/tests/fuzz/fuzz_frontend.c" $sources "$parser" "$top_builddir/grammar/mmp-lex.c" 2>"$tmp/build.log"; then
	echo "FAIL: building the fuzzer"
	cat "$tmp/build.log"
	exit 1
fi

mkdir "$tmp/corpus"
for f in "$srcdir"/examples/*.mmp "$srcdir"/docs/tour.mmp "$srcdir"/tests/parse/*.mmp "$srcdir"/tests/errors/*.mmp; do
	[ -f "$f" ] && cp "$f" "$tmp/corpus/$(basename "$(dirname "$f")")-$(basename "$f")"
done
echo "fuzzing the front end for ${seconds}s with $(ls "$tmp/corpus" | wc -l) seeds"
"$tmp/fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
	-dict="$srcdir/tests/fuzz/mmp.dict" -artifact_prefix="$tmp/" -print_final_stats=1 \
	"$tmp/corpus" >"$tmp/fuzz.log" 2>&1
rc=$?
tail -n 12 "$tmp/fuzz.log"
if [ "$rc" -ne 0 ]; then
	for c in "$tmp"/crash-* "$tmp"/leak-* "$tmp"/timeout-* "$tmp"/oom-*; do
		[ -f "$c" ] || continue
		echo "FAIL: input that broke the front end ($(basename "$c")), as hex:"
		od -An -tx1 "$c" | head -n 20
		mkdir -p "$top_builddir/tests" && cp "$c" "$top_builddir/tests/"
	done
	grep -m 20 -E 'ERROR|runtime error|SUMMARY' "$tmp/fuzz.log"
	exit 1
fi
echo "fuzz: 1 passed, 0 failed"
