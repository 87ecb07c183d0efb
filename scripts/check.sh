#!/bin/sh
# check.sh - installs what mmp needs, builds it and runs the whole test
# suite (make check), the kernel tests on Debian 12's own kernel in a VM
# (make check-kernels), then checks that a release tarball builds and
# passes too (make distcheck, with a shorter fuzzing run).
set -eu
cd "$(dirname "$0")/.."

# The logs of the tests that failed under DIR, last, so that the end of
# the output (all a CI page may keep) names the test and shows why.
failed_logs() {
	find "$1" -name '*.trs' 2>/dev/null | while read -r trs; do
		grep -qE '^:test-result: (FAIL|ERROR)' "$trs" || continue
		log=${trs%.trs}.log
		echo "==== failed: $log (last 80 lines)"
		tail -n 80 "$log"
	done
}

scripts/install-deps.sh
scripts/build.sh
make -s -j"$(nproc)" check || { failed_logs tests; exit 1; }
# The kernel tests again on Debian 12's own kernel, booted under QEMU.
make -s check-kernels || { tail -n 40 tests/vm/logs/*/*.sh.log 2>/dev/null; exit 1; }
MMP_FUZZ_SECONDS=10 make -s -j"$(nproc)" distcheck >/dev/null 2>distcheck.log || {
	tail -n 40 distcheck.log
	for build in mmp-*/_build; do failed_logs "$build"; done
	exit 1
}
rm -f distcheck.log
echo "check: make check, make check-kernels and make distcheck passed"
