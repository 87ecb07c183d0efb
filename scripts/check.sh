#!/bin/sh
# check.sh - installs what mmp needs, builds it and runs the whole test
# suite (make check), the kernel tests on Debian 12's own kernel in a VM
# (make check-kernels), then checks that a release tarball builds and
# passes too (make distcheck, with a shorter fuzzing run).
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
make -s -j"$(nproc)" check || { cat tests/*.log 2>/dev/null | tail -n 200; exit 1; }
# The kernel tests again on Debian 12's own kernel, booted under QEMU.
make -s check-kernels || { tail -n 40 tests/vm/logs/*/*.sh.log 2>/dev/null; exit 1; }
MMP_FUZZ_SECONDS=10 make -s -j"$(nproc)" distcheck >/dev/null 2>distcheck.log || { tail -n 100 distcheck.log; exit 1; }
rm -f distcheck.log
echo "check: make check, make check-kernels and make distcheck passed"
