# bench/machine/memstate.sh - sourced by benchmarks whose figures depend on
# what a fresh page costs. Some VMs give the guest's free memory back to
# their host (free page reporting: a page_reporting module with a
# page_reporting_order), and the guest's next touch of it costs a fault in
# the host as well. A run right after another then reuses memory the host
# still backs, and a run after a pause does not: on machine B (BENCHMARKS.md)
# a JVM's 4 GiB pre-touch with THP took 0.75 s right after another and 6 s
# after 30 s idle. Dropped caches and compaction do not make such states
# equal; holding the reporting off, and touching the memory once, does.
#
#   memstate_hold MIB   reporting held off (order set above the largest);
#                       MIB of fresh memory touched once and freed. Says
#                       what it did in one line.
#   memstate_restore    the order as found (call it from the EXIT trap).
#   memstate_orders     the buddy allocator's number of orders (one
#                       column of /proc/buddyinfo each), empty if unreadable;
#                       machine.sh reports the state with it.
# Needs cc (for warm.c), root, and $here: the sourcing benchmark's folder.
memstate_param=/sys/module/page_reporting/parameters/page_reporting_order
memstate_orig=${memstate_orig:-}   # sourced again (machine.sh), a held order is kept

memstate_orders() { awk '{ n = NF - 4 } END { print n }' /proc/buddyinfo 2>/dev/null; }

memstate_hold() {
	if [ ! -e "$memstate_param" ]; then
		echo "memory state: no free page reporting here; $1 MiB touched once before the runs"
	elif [ ! -w "$memstate_param" ]; then
		echo "memstate: cannot write $memstate_param (run as root)" >&2
		return 1
	else
		cur=$(cat "$memstate_param")
		# /proc/buddyinfo has one column per order: above the last, none
		# is reported. Mainline takes only 0 to the last: free blocks of
		# that order are still reported, the smaller ones not.
		top=$(memstate_orders)
		case $cur in
		-1 | 4294967295)
			echo "memory state: free page reporting built in, no device reporting ($cur): nothing to hold; $1 MiB touched once before the runs" ;;
		"$top" | "$((top - 1))")
			# Another run holds it, and puts it back when it ends.
			echo "memory state: free page reporting already held off (page_reporting_order $cur); $1 MiB touched once before the runs" ;;
		*)
			held=
			for o in "$top" "$((top - 1))"; do
				if echo "$o" 2>/dev/null >"$memstate_param"; then
					held=$o
					break
				fi
			done
			if [ -n "$held" ]; then
				memstate_orig=$cur
				echo "memory state: free page reporting held off for the runs (page_reporting_order $cur -> $held); $1 MiB touched once before them"
			else
				echo "memstate: the kernel takes no page_reporting_order above $cur: free memory goes back to the host during the runs" >&2
			fi ;;
		esac
	fi
	mdir=$(mktemp -d "${tmp:-${TMPDIR:-/tmp}}/memstate.XXXXXX")   # under the benchmark's own, where it has one
	cc -O2 -o "$mdir/warm" "$here/../machine/warm.c" &&
		"$mdir/warm" "$1" >/dev/null || echo "memstate: could not warm $1 MiB" >&2
	rm -rf "$mdir"
}

memstate_restore() {
	[ -z "$memstate_orig" ] || echo "$memstate_orig" >"$memstate_param" ||
		echo "memstate: could not restore page_reporting_order $memstate_orig" >&2
	memstate_orig=
}
