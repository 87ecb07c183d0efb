#!/bin/sh
# bench/machine/machine.sh - names the machine a benchmark ran on, in one
# block to print beside its results: CPU model and count, memory, kernel,
# THP modes, cgroup memory controller, free page reporting to a VM's host,
# and a measured fresh 4K fault cost.
# Figures differ tenfold from one kind of machine to another, so no table
# is read without this. Run it (it finds its files beside it); needs cc.
# The fault cost is the median of MACHINE_FAULT_PASSES (5) passes over
# MACHINE_FAULT_MIB (256) MiB of fresh memory: about 5 s where a fault
# costs 15 us; less for a demo.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/memstate.sh"   # memstate_orders
mtmp=$(mktemp -d)
cpu=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -n 1)
mode() { sed -n 's/.*\[\([a-z+ ]*\)\].*/\1/p' "/sys/kernel/mm/transparent_hugepage/$1" 2>/dev/null; }
if [ -d /sys/fs/cgroup/memory ]; then cg="v1 memory controller"
elif grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then cg="v2 with the memory controller"
else cg="no memory controller"; fi
if grep -qw hypervisor /proc/cpuinfo; then
	virt="VM ($(systemd-detect-virt --vm 2>/dev/null || echo 'hypervisor flag set'))"
else
	virt="none seen"
fi
fault=unknown
if cc -O2 -o "$mtmp/freshfault" "$here/freshfault.c" 2>/dev/null; then
	fault=$("$mtmp/freshfault" "${MACHINE_FAULT_MIB:-256}" "${MACHINE_FAULT_PASSES:-5}" | sed -n 's/fresh_fault_us=//p')
fi
rm -rf "$mtmp"
echo "machine: ${cpu:-unknown CPU}, $(nproc) CPUs, $(awk '/^MemTotal:/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), virtualisation: $virt"
echo "kernel: $(uname -r); THP enabled '$(mode enabled)', defrag '$(mode defrag)'; cgroup: $cg"
reporting=/sys/module/page_reporting/parameters/page_reporting_order
if [ -r "$reporting" ]; then
	order=$(cat "$reporting")
	orders=$(memstate_orders)
	case $order in
	-1 | 4294967295) echo "free page reporting: built in, no device reporting ($order)" ;;   # as memstate_hold
	*)
		if [ -n "$orders" ] && [ "$order" -ge "$orders" ]; then
			echo "free page reporting: held off (order $order, above the largest block's $((orders - 1))): free memory stays the guest's"
		else
			echo "free page reporting: order $order: the guest gives free blocks of that order and larger back to its host, and a fresh page may cost a host fault too (memstate.sh)"
		fi ;;
	esac
fi
echo "fresh 4K anonymous fault: ${fault} us (median of ${MACHINE_FAULT_PASSES:-5} passes over ${MACHINE_FAULT_MIB:-256} MiB)"
