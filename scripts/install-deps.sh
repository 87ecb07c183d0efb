#!/bin/sh
# install-deps.sh - installs what mmp needs to build, test and benchmark on
# Debian 12 (as root). Installs only what is missing, so it is quick to rerun.
set -eu
PACKAGES="gcc make autoconf automake pkg-config flex bison clang llvm libclang-rt-dev
          libbpf-dev libelf-dev zlib1g-dev check time bpftool bpftrace earlyoom stress-ng"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing; run as root to install them" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
# earlyoom is installed for the OOM benchmark, which starts its own; a
# daemon killing processes machine-wide would upset the tests.
if command -v systemctl >/dev/null && [ "$(cat /proc/1/comm)" = systemd ]; then
	systemctl disable --now earlyoom >/dev/null 2>&1 || true
fi
