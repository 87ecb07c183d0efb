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
# Needs cc (for warm.c), root, and $here: the sourcing benchmark's folder.
memstate_param=/sys/module/page_reporting/parameters/page_reporting_order
memstate_orig=

memstate_hold() {
	if [ ! -e "$memstate_param" ]; then
		echo "memory state: no free page reporting here; $1 MiB touched once before the runs"
	elif [ ! -w "$memstate_param" ]; then
		echo "memstate: cannot write $memstate_param (run as root)" >&2
		return 1
	else
		memstate_orig=$(cat "$memstate_param")
		# /proc/buddyinfo has one column per order: above the last, none is reported.
		top=$(awk '{ n = NF - 4 } END { print n }' /proc/buddyinfo)
		echo "$top" >"$memstate_param" || { echo "memstate: cannot write $memstate_param" >&2; return 1; }
		echo "memory state: free page reporting held off for the runs (page_reporting_order $memstate_orig -> $top); $1 MiB touched once before them"
	fi
	mdir=$(mktemp -d)
	cc -O2 -o "$mdir/warm" "$here/../machine/warm.c" &&
		"$mdir/warm" "$1" >/dev/null || echo "memstate: could not warm $1 MiB" >&2
	rm -rf "$mdir"
}

memstate_restore() {
	[ -z "$memstate_orig" ] || echo "$memstate_orig" >"$memstate_param" ||
		echo "memstate: could not restore page_reporting_order $memstate_orig" >&2
	memstate_orig=
}
