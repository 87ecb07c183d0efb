#!/bin/sh
# install-deps.sh - installs what mmp needs to build, test and benchmark on
# Debian 12 (as root). Installs only what is missing, so it is quick to rerun.
set -eu
PACKAGES="gcc make autoconf automake pkg-config flex bison clang llvm libclang-rt-dev
          libbpf-dev libelf-dev zlib1g-dev check time bpftool bpftrace earlyoom
          stress-ng redis-server qemu-system-x86 busybox-static cpio kmod e2fsprogs"
# tests/vm/run.sh boots Debian 12's own kernel in QEMU: the package that
# linux-image-amd64 names now, unsigned, extracted here, never installed
# (installing it would pull in initramfs-tools and change this machine's
# boot). Only the newest is kept.
KERNELS=${MMP_KERNELS:-/var/cache/mmp/kernels}

fetch_kernel() {
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1-unsigned/p' | head -n 1)
	[ -n "$pkg" ] || { echo "install-deps: apt knows no linux-image-amd64: run apt-get update" >&2; return 1; }
	ls "$KERNELS/$pkg"/boot/vmlinuz-* >/dev/null 2>&1 && return 0
	echo "install-deps: fetching $pkg for tests/vm (into $KERNELS)"
	mkdir -p "$KERNELS" && rm -rf "$KERNELS/.new" && mkdir "$KERNELS/.new" || return 1
	chown _apt "$KERNELS/.new" 2>/dev/null || true   # apt downloads as _apt
	(cd "$KERNELS/.new" && apt-get download -qq "$pkg") &&
		dpkg-deb -x "$KERNELS/.new/$pkg"_*.deb "$KERNELS/.new/root" &&
		depmod -b "$KERNELS/.new/root" "$(basename "$KERNELS/.new/root/lib/modules/"*)" || return 1
	for old in "$KERNELS"/*; do [ -d "$old" ] && rm -rf "$old"; done
	mv "$KERNELS/.new/root" "$KERNELS/$pkg" && rm -rf "$KERNELS/.new"
}

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
# Without that kernel only 'make check-kernels' cannot run: not fatal here.
kernel_or_warn() {
	fetch_kernel || echo "install-deps: warning: no Debian kernel unpacked for tests/vm; 'make check-kernels' will skip" >&2
}
if [ -z "$missing" ]; then
	[ "$(id -u)" -ne 0 ] || kernel_or_warn
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing; run as root to install them" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
# earlyoom and redis-server are installed for the OOM benchmark, which
# starts its own; a daemon killing processes machine-wide would upset the
# tests, and a service nobody uses would hold memory.
if command -v systemctl >/dev/null && [ "$(cat /proc/1/comm)" = systemd ]; then
	systemctl disable --now earlyoom redis-server >/dev/null 2>&1 || true
fi
kernel_or_warn
