#!/bin/sh
# check.sh - installs what mmp needs, builds it and runs the whole test
# suite (make check), then checks that a release tarball builds and passes
# too (make distcheck, with a shorter fuzzing run).
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
make -s -j"$(nproc)" check || { cat tests/*.log 2>/dev/null | tail -n 200; exit 1; }
# make check-kernels (Debian 12's 6.1 under QEMU) is not run here yet:
# oom.sh's spike and single-kill checks fail in 2 of 7 TCG guest runs,
# which would turn CI red on speed, not on a defect. Run it by hand.
MMP_FUZZ_SECONDS=10 make -s -j"$(nproc)" distcheck >/dev/null 2>distcheck.log || { tail -n 100 distcheck.log; exit 1; }
rm -f distcheck.log
echo "check: make check and make distcheck passed"
