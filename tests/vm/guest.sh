#!/bin/sh
# guest.sh - the guest's second stage, pid 1 on the overlay root: mount what
# a Debian 12 host with systemd has (cgroup2 only, with its controllers
# enabled; bpffs, tracefs, debugfs), put /tmp on the scratch disk (a real
# file system: the kernel tests drop and count page-cache pages, which
# tmpfs and an overlay on it cannot do), run the kernel tests that run.sh
# wrote in the job file, leave each one's output, exit status and time in
# the results share, and power off.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
HOME=/root
export PATH HOME
R=/run/mmp-vm
off() { sync; echo o >/proc/sysrq-trigger; sleep 30; }
say() { echo "mmp-vm: $*"; }

mount -t tmpfs -o mode=755 run /run && mkdir -p $R &&
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 results $R ||
	{ say "cannot mount the results share"; off; }
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 shm /dev/shm
# The job: top_builddir, srcdir, MMP, MMPC, CLANG, modules, timeout, tests.
. $R/job || { say "no job file"; off; }
# A tree under the host's /tmp (a clone made there) would be hidden by the
# scratch disk: the host's /tmp is kept in view (private, so that the
# scratch disk's mount does not reach it) and the job's paths bound back.
mkdir -p /run/host-tmp && mount --bind /tmp /run/host-tmp && mount --make-private /run/host-tmp ||
	{ say "cannot keep the host's /tmp in view"; off; }
if [ -b /dev/vda ]; then
	mount -t ext4 /dev/vda /tmp && chmod 1777 /tmp || { say "cannot mount the scratch disk"; off; }
else
	mount -t tmpfs -o mode=1777 tmp /tmp
fi
for d in "$srcdir" "$top_builddir" "${MMP%/*}" "${MMPC%/*}" "${CLANG%/*}" "$modules"; do
	case $d in
	/tmp) say "$d is the host's /tmp itself, which the scratch disk hides: what the job keeps there is not found" ;;
	/tmp/*) [ -d "/run/host-tmp/${d#/tmp/}" ] || continue
		mkdir -p "$d" && mount --bind "/run/host-tmp/${d#/tmp/}" "$d" || { say "cannot bind $d"; off; } ;;
	esac
done
mount -t cgroup2 cgroup2 /sys/fs/cgroup || { say "cannot mount cgroup2"; off; }
for c in $(cat /sys/fs/cgroup/cgroup.controllers); do   # as systemd does
	echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
done
mount -t bpf bpf /sys/fs/bpf
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
hostname mmp-vm
ip link set lo up 2>/dev/null

if [ -n "$modules" ] && [ -d "$modules" ]; then   # for modprobe (zram...)
	mkdir -p "/lib/modules/$(uname -r)" && mount --bind "$modules" "/lib/modules/$(uname -r)"
fi
export top_builddir srcdir MMP MMPC CLANG
{
	echo "release=$(uname -r)"
	echo "thp=$(sed 's/.*\[\(.*\)\].*/\1/' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)"
	echo "cgroup2_controllers=$(cat /sys/fs/cgroup/cgroup.subtree_control)"
	echo "mem_kb=$(sed -n 's/^MemTotal: *\([0-9]*\).*/\1/p' /proc/meminfo)"
	echo "cpus=$(nproc)"
} >$R/kernel.info

for t in $tests; do
	say "running $t"
	start=$(date +%s)
	(cd "$top_builddir" && exec timeout -k 10 "$timeout" sh "$srcdir/tests/kernel/$t") \
		>"$R/$t.log" 2>&1 </dev/null
	rc=$?
	echo $(($(date +%s) - start)) >"$R/$t.time"
	echo $rc >"$R/$t.rc"
	say "$t: exit $rc"
done
echo done >$R/done
sync
umount $R
off
