#!/bin/sh
# run.sh - runs the kernel tests (tests/kernel/*.sh) on other kernels, each
# booted under QEMU (KVM when it boots a kernel here, TCG otherwise) with the
# host's root shared read-only over 9p and a tmpfs overlay on top, cgroup2
# only, and a scratch disk for /tmp. Prints a table per kernel and test.
#
#   tests/vm/run.sh [TEST.sh...]            every kernel in $MMP_KERNELS
#   KERNEL=/boot/vmlinuz-X [MODULES=/lib/modules/X] tests/vm/run.sh ...
#
# MMP_KERNELS (default /var/cache/mmp/kernels, filled by
# scripts/install-deps.sh) holds one extracted kernel package per folder:
# boot/vmlinuz-VERSION and lib/modules/VERSION with its modules.dep.
# MODULES is needed when the kernel has 9p, virtio or overlayfs as modules
# (Debian's, Ubuntu's); it defaults to lib/modules/VERSION beside KERNEL's
# boot/ folder, then to /lib/modules/VERSION.
# Also: MMP_VM_APPEND (more kernel parameters, e.g.
# transparent_hugepage=madvise), MMP_VM_MEM (2G), MMP_VM_CPUS (2),
# MMP_VM_TEST_TIMEOUT (seconds per test; 900: a guest with no test ending
# for that and a minute more is stuck, and stopped), MMP_VM_TIMEOUT (seconds per
# VM; 120 more than its tests' timeouts), MMP_VM_LOCK_WAIT (seconds to
# wait for the kernel tests' lock; 3600), MMP_VM_LOGS (where each
# test's output is kept; tests/vm/logs in the build tree).
# A guest whose kernel locks up (a soft lockup of 100 s) is stopped, the
# kernel's report shown, and a new guest runs the test again and those
# after it; a test that failed a check before, or in which the guest
# locks up twice, fails; two new guests a kernel at most. A guest in
# which no test starts or ends for a test's limit and a minute is hung:
# its test fails (HUNG) and the rest are not run.
# Exit: 0 when nothing failed, 1 when a test failed or a VM did not finish,
# 77 when there is no kernel or no QEMU here.
set -u
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
top_builddir=${top_builddir:-$srcdir}
top_builddir=$(cd "$top_builddir" && pwd)
MMP=${MMP:-$top_builddir/mmp}
MMPC=${MMPC:-$top_builddir/mmpc}
CLANG=${CLANG:-$(sed -n 's/^BPF_CLANG = //p' "$top_builddir/Makefile" 2>/dev/null)}
KERNELS_DIR=${MMP_KERNELS:-/var/cache/mmp/kernels}
MEM=${MMP_VM_MEM:-2G}
CPUS=${MMP_VM_CPUS:-2}
TEST_TIMEOUT=${MMP_VM_TEST_TIMEOUT:-900}
LOGS=${MMP_VM_LOGS:-$top_builddir/tests/vm/logs}
QEMU=${QEMU:-qemu-system-x86_64}
# Modules the root needs; whatever the kernel has built in is skipped.
ROOT_MODULES="virtio_pci 9pnet_virtio 9p overlay virtio_blk ext4"

skip() { echo "SKIP: $*"; exit 77; }
command -v "$QEMU" >/dev/null || skip "no $QEMU (scripts/install-deps.sh installs qemu-system-x86)"
for tool in cpio mkfs.ext4 timeout; do
	command -v $tool >/dev/null || skip "no $tool (scripts/install-deps.sh installs it)"
done
BUSYBOX=$(command -v busybox) || skip "no busybox (scripts/install-deps.sh installs busybox-static)"
for f in "$MMP" "$MMPC" "$top_builddir/tests/workloads/hotcold"; do
	[ -x "$f" ] || { echo "run.sh: no $f: build first (make check-kernels builds what the tests need)"; exit 99; }
done

if [ $# -eq 0 ]; then
	set -- $(cd "$srcdir/tests/kernel" && ls ./*.sh | sed 's|^\./||; /lib\.sh$/d')
fi
for t; do [ -f "$srcdir/tests/kernel/$t" ] || { echo "run.sh: no test tests/kernel/$t"; exit 99; }; done
TESTS=$*

# The kernels: "VMLINUZ MODULES-DIR" a line.
KLIST=$(mktemp) || exit 99
WORK=$(mktemp -d) || exit 99
QPID=
cleanup() {
	[ -n "$QPID" ] && kill "$QPID" 2>/dev/null   # timeout passes it on to QEMU
	rm -rf "$WORK" "$KLIST"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
if [ -n "${KERNEL:-}" ]; then
	[ -r "$KERNEL" ] || { echo "run.sh: cannot read KERNEL=$KERNEL"; exit 99; }
	v=${KERNEL##*/vmlinuz-}
	m=${MODULES:-}
	[ -z "$m" ] && [ -d "$(dirname "$KERNEL")/../lib/modules/$v" ] && m=$(cd "$(dirname "$KERNEL")/../lib/modules/$v" && pwd)
	[ -z "$m" ] && [ -d "/lib/modules/$v" ] && m=/lib/modules/$v
	echo "$KERNEL ${m:--}" >"$KLIST"
else
	for k in "$KERNELS_DIR"/*/boot/vmlinuz-*; do
		[ -r "$k" ] || continue
		d=${k%/boot/vmlinuz-*}
		echo "$k $d/lib/modules/${k##*/vmlinuz-}"
	done >"$KLIST"
	[ -s "$KLIST" ] || skip "no kernel in $KERNELS_DIR (scripts/install-deps.sh puts Debian's there), and no KERNEL=/path/to/vmlinuz"
fi

# One VM at a time, and none beside the host's own kernel tests (lib.sh).
# Waiting is bounded too: a lock that someone holds for good fails the run.
exec 9>/tmp/mmp-kernel-tests.lock
flock -w "${MMP_VM_LOCK_WAIT:-3600}" 9 ||
	{ echo "run.sh: /tmp/mmp-kernel-tests.lock still held after ${MMP_VM_LOCK_WAIT:-3600}s"; exit 99; }

# KVM if it works: a /dev/kvm that opens is not enough (nested KVM was
# seen to start a guest that never runs a single instruction). The probe
# boots VMLINUZ until the kernel's first line, 20 s at most.
choose_accel() {
	ACCEL="-accel tcg -cpu max" ACCEL_NAME=tcg
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || return 0
	"$QEMU" -accel kvm -cpu host -m 256M -smp 1 -nodefaults -no-user-config -display none -no-reboot \
		-serial "file:$WORK/kvm-probe.log" -kernel "$1" -append "console=ttyS0 panic=-1" \
		</dev/null >/dev/null 2>&1 &
	probe=$! QPID=$!   # cleanup stops it if this run is stopped
	i=0
	while [ $i -lt 200 ] && ! grep -q 'Linux version' "$WORK/kvm-probe.log" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	if grep -q 'Linux version' "$WORK/kvm-probe.log" 2>/dev/null; then
		ACCEL="-accel kvm -cpu host" ACCEL_NAME=kvm
	else
		echo "vm: /dev/kvm is here, but a KVM guest printed nothing in 20 s: using TCG"
	fi
	kill "$probe" 2>/dev/null
	wait "$probe" 2>/dev/null
	QPID=
}
ACCEL=

# initramfs DIR VMLINUZ MODULES-DIR: busybox, init and the root's modules.
initramfs() {
	ir=$1/initramfs
	mkdir -p "$ir/bin" "$ir/lib/mod" "$ir/proc" "$ir/sys" "$ir/dev" "$ir/lower" "$ir/rw" "$ir/root"
	cp "$BUSYBOX" "$ir/bin/busybox" && ln -s busybox "$ir/bin/sh" || return 1
	for a in mount insmod sleep switch_root mkdir; do ln -s busybox "$ir/bin/$a"; done
	cp "$srcdir/tests/vm/init" "$ir/init" && chmod +x "$ir/init" || return 1
	: >"$ir/modules"
	if [ "$3" != - ]; then
		mroot=${3%/lib/modules/*} mver=${3##*/lib/modules/}
		[ "$mroot" != "$3" ] || { echo "run.sh: MODULES=$3 is not a .../lib/modules/VERSION folder"; return 1; }
		[ -r "$3/modules.dep" ] || { echo "run.sh: no $3/modules.dep: run depmod -b $mroot $mver"; return 1; }
		for mod in $ROOT_MODULES; do
			modprobe -d "$mroot" -S "$mver" --show-depends "$mod" || return 1
		done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' >"$1/kos" || return 1
		while read -r ko; do
			name=$(basename "$ko")
			case $name in
			*.ko.xz) xz -dc "$ko" >"$ir/lib/mod/${name%.xz}" ;;
			*.ko.zst) zstd -qdc "$ko" >"$ir/lib/mod/${name%.zst}" ;;
			*.ko.gz) gzip -dc "$ko" >"$ir/lib/mod/${name%.gz}" ;;
			*) cp "$ko" "$ir/lib/mod/" ;;
			esac || return 1
			basename "$name" | sed 's/\.\(xz\|zst\|gz\)$//' >>"$ir/modules"
		done <"$1/kos"
	fi
	(cd "$ir" && find . | cpio -o -H newc --quiet) >"$1/initrd"
}

# The guest's console keeps warnings with their stacks (loglevel 5: the
# kernel's stack dumps are printed at its default level, 4) and, at a soft
# lockup, every CPU's: a guest that locks up says where.
KERNEL_LOG="loglevel=5 softlockup_all_cpu_backtrace=1"

q() { printf "'%s'" "$1"; }
# failures LOG: a failed test's FAIL lines, each cut short, and once each
# the libbpf and mmp error lines that explain them.
failures() {
	awk '/^FAIL/ { print substr($0, 1, 160); n++ }
	     /libbpf: prog .*failed to load|CO-RE relocation|^mmp: error|exit [0-9]+/ && !($0 in seen) { seen[$0]; print substr($0, 1, 160); n++ }
	     n >= 15 { exit }' "$1" 2>/dev/null
}
# lockup_report CONSOLE: the kernel's first report of a soft lockup or an
# RCU stall, with the stacks that follow it (all a CI page may keep).
lockup_report() {
	awk '/soft lockup|rcu_preempt detected stalls|self-detected stall/ && !n { n = 1; print "The first lockup report of the guest kernel:" }
	     n && n++ <= 80 { print "    " $0 }' "$1" 2>/dev/null
}
mkdir -p "$LOGS"
total_pass=0 total_fail=0 total_skip=0 total_lockups=0
SUMMARY=$WORK/summary
: >"$SUMMARY"
# boot KW VMLINUZ TESTS: one guest that runs TESTS in turn, each leaving
# its .log, .rc and .time in KW/results. Sets secs, qrc and stuck (why the
# guest was stopped, or empty); its console is KW/boot.log.
boot() {
	bkw=$1 bres=$1/results
	{
		echo "top_builddir=$(q "$top_builddir") srcdir=$(q "$srcdir")"
		echo "MMP=$(q "$MMP") MMPC=$(q "$MMPC") CLANG=$(q "$CLANG")"
		echo "modules=$(q "$([ "$modules" = - ] || echo "$modules")")"
		echo "timeout=$TEST_TIMEOUT tests=$(q "$3")"
	} >"$bres/job"
	truncate -s 4G "$bkw/scratch.img" && mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$bkw/scratch.img" ||
		exit 99
	ntests=$(echo "$3" | wc -w)
	vm_timeout=${MMP_VM_TIMEOUT:-$((120 + ntests * (TEST_TIMEOUT + 15)))}
	rm -f "$bkw/boot.log" "$bres/kernel.info"
	t0=$(date +%s)
	# shellcheck disable=SC2086
	timeout -s KILL "$vm_timeout" "$QEMU" $ACCEL -m "$MEM" -smp "$CPUS" \
		-nodefaults -no-user-config -display none -no-reboot \
		-serial "file:$bkw/boot.log" \
		-kernel "$2" -initrd "$bkw/initrd" \
		-append "console=ttyS0 panic=-1 $KERNEL_LOG mmp_guest=$srcdir/tests/vm/guest.sh ${MMP_VM_APPEND:-}" \
		-fsdev "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap" \
		-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
		-fsdev "local,id=results,path=$bres,security_model=none,multidevs=remap" \
		-device virtio-9p-pci,fsdev=results,mount_tag=results \
		-drive "file=$bkw/scratch.img,format=raw,if=virtio,cache=unsafe" \
		</dev/null >>"$bkw/qemu.log" 2>&1 &
	QPID=$!
	# The guest times each test out itself, but a guest whose kernel is
	# stuck cannot, and the VM's own limit is hours. Locked up: a CPU in a
	# soft lockup for 100 s (the watchdog says so again every 20 to 30 s
	# while it lasts). Hung: no test starting or ending for a test's
	# limit and a minute more.
	stuck='' lockup='' progress=-1 last=$t0
	while kill -0 "$QPID" 2>/dev/null; do
		sleep 5
		now=$(date +%s)
		n=$(($(find "$bres" -name '*.rc' | wc -l) + $(sed -n '/^mmp-vm: running /p' "$bkw/boot.log" 2>/dev/null | wc -l)))
		if grep -qE 'soft lockup - CPU#[0-9]+ stuck for [0-9]{3,}s' "$bkw/boot.log" 2>/dev/null; then
			stuck="a CPU of the guest was stuck for over 100 s (a soft lockup)" lockup=yes
		elif [ "$n" -ne "$progress" ]; then
			progress=$n last=$now
		elif [ $((now - last)) -gt $((TEST_TIMEOUT + 60)) ]; then
			stuck="no test started or ended in $((now - last))s, where one runs ${TEST_TIMEOUT}s at most"
		fi
		[ -z "$stuck" ] && continue
		kill "$QPID" 2>/dev/null
		break
	done
	wait "$QPID" 2>/dev/null
	qrc=$? QPID=
	secs=$(($(date +%s) - t0))
	rm -f "$bkw/scratch.img"
}

while read -r vmlinuz modules; do
	kver=${vmlinuz##*/vmlinuz-}
	kw=$WORK/$kver
	res=$kw/results
	mkdir -p "$res" || exit 99
	if ! initramfs "$kw" "$vmlinuz" "$modules"; then
		echo "$kver: cannot make an initramfs"; total_fail=$((total_fail + 1)); continue
	fi
	[ -n "$ACCEL" ] || choose_accel "$vmlinuz"
	klogs=$LOGS/$kver
	rm -rf "$klogs" && mkdir -p "$klogs" || exit 99
	# A guest kernel that locks up (seen under TCG, in a different test
	# each time: soft lockups on both CPUs) fails the test it stopped
	# only if the test had failed a check before it, or if it happens
	# twice in that test: a new guest runs the test again and those after
	# it. Two new guests a kernel at most; after a third lockup the rest
	# are not run. A guest that hangs with no lockup reported fails its
	# test, and the rest are not run.
	todo=$TESTS boots=0 locked='' lockups=0
	: >"$kw/console.log"
	while [ -n "$todo" ]; do
		boots=$((boots + 1))
		echo "vm: $kver ($ACCEL_NAME, $CPUS cpus, $MEM): $todo"
		echo "==== guest $boots: $todo" | tee -a "$kw/qemu.log" >>"$kw/console.log"
		boot "$kw" "$vmlinuz" "$todo"
		cat "$kw/boot.log" >>"$kw/console.log" 2>/dev/null
		info=$( [ -r "$res/kernel.info" ] && tr '\n' ' ' <"$res/kernel.info")
		echo "vm: $kver: ${secs}s in QEMU; ${info:-the guest wrote no kernel.info}"
		[ -e "$res/done" ] && [ -z "$stuck" ] && break
		# The test the guest was in: the last it started and did not end.
		cur=$(tr -d '\r' <"$kw/boot.log" 2>/dev/null | sed -n 's/^mmp-vm: running //p' | tail -n 1)
		[ -n "$cur" ] && [ -e "$res/$cur.rc" ] && cur=''
		if [ -n "$stuck" ]; then
			why="$stuck${cur:+; the guest was stopped in $cur}"
		elif [ "$qrc" -eq 137 ]; then
			why="killed after ${vm_timeout}s"
		else
			why="QEMU exit $qrc"
		fi
		echo "vm: $kver did not finish ($why)."
		lockup_report "$kw/boot.log"
		echo "The end of its console:"
		tail -n 20 "$kw/boot.log" 2>/dev/null | sed 's/^/    /'
		[ -s "$kw/qemu.log" ] && { echo "and of QEMU's messages:"; tail -n 20 "$kw/qemu.log" | sed 's/^/    /'; }
		if [ -z "$lockup" ]; then
			[ -n "$stuck" ] && [ -n "$cur" ] && echo hung >"$res/$cur.rc"
			break
		fi
		lockups=$((lockups + 1)) total_lockups=$((total_lockups + 1))
		[ "$lockups" -le 2 ] || { echo "vm: a third lockup: the tests left are not run"; break; }
		if [ -n "$cur" ]; then
			cp "$res/$cur.log" "$klogs/$cur.lockup$boots.log" 2>/dev/null
			if grep -q '^FAIL' "$res/$cur.log" 2>/dev/null; then
				echo "vm: $cur had failed before the guest locked up: it is not run again"
				echo failed-then-lockup >"$res/$cur.rc"
			else
				case " $locked " in
				*" $cur "*) echo "vm: the guest locked up in $cur twice: it fails"; echo lockup >"$res/$cur.rc" ;;
				esac
			fi
			locked="$locked $cur"
		fi
		# What a new guest runs: the tests with no result yet.
		left=''
		for t in $todo; do [ -e "$res/$t.rc" ] || left="$left $t"; done
		[ -n "$left" ] && echo "vm: a new guest runs$left"
		todo=$left
	done
	cp "$kw/console.log" "$kw/qemu.log" "$klogs/" 2>/dev/null
	cp "$res"/*.log "$res/kernel.info" "$klogs/" 2>/dev/null
	for t in $TESTS; do
		name=${t%.sh}
		rc=$(cat "$res/$t.rc" 2>/dev/null) || rc=none
		tsecs=$(cat "$res/$t.time" 2>/dev/null)s || tsecs=-
		counts=$(sed -n "s/^$name: \([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p" "$res/$t.log" 2>/dev/null | tail -n 1)
		case $rc in
		0) result=PASS total_pass=$((total_pass + 1)) ;;
		77) result=SKIP total_skip=$((total_skip + 1)) ;;
		none) result="NOT RUN" total_fail=$((total_fail + 1)) ;;
		lockup) result="LOCKUP" total_fail=$((total_fail + 1)) ;;
		hung) result="HUNG" total_fail=$((total_fail + 1)) ;;
		failed-then-lockup) result="FAIL" total_fail=$((total_fail + 1)) ;;
		137 | 124) result="TIMEOUT" total_fail=$((total_fail + 1)) ;;
		*) result="FAIL($rc)" total_fail=$((total_fail + 1)) ;;
		esac
		set -- $counts
		printf '%-22s %-12s %-10s %6s %6s %7s\n' "$kver" "$name" "$result" "${1:--}" "${2:--}" "$tsecs" >>"$SUMMARY"
		case " $locked " in
		*" $t "*) echo "    $name: the guest locked up in it ($(cd "$klogs" && ls "$t".lockup*.log 2>/dev/null | tr '\n' ' ')and console.log)$([ "$result" = PASS ] && echo "; it passed in a new guest")" >>"$SUMMARY" ;;
		esac
		case $result in
		PASS) ;;
		HUNG) echo "    $name: no test started or ended in the guest for ${TEST_TIMEOUT}s and a minute: it was stopped" >>"$SUMMARY" ;;
		SKIP) grep -m1 '^SKIP' "$res/$t.log" | sed "s/^/    $name: /" >>"$SUMMARY" ;;
		*) failures "$res/$t.log" | sed "s/^/    $name: /" >>"$SUMMARY" ;;
		esac
	done
done <"$KLIST"

echo
printf '%-22s %-12s %-10s %6s %6s %7s\n' kernel test result passed failed time
cat "$SUMMARY"
echo "(each test's output: $LOGS/KERNEL/TEST.log)"
echo "vm: $total_pass passed, $total_fail failed, $total_skip skipped; $total_lockups guest lockups"
[ "$total_fail" -eq 0 ]
