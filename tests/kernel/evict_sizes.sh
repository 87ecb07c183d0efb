#!/bin/sh
# evict_sizes.sh - a file's size can order eviction: the largest files go
# first (examples/small-files-kept.mmp, where a disk counts requests). A
# reader goes four times, in name order, over 8 files of 12M and then 2048
# files of 16K (128M in all) in a 128M memory cgroup, at a pace any machine
# reads at (60 MiB/s). The order is chosen so that neither the kernel's
# LRU nor MRU keeps the small files: at the end of a pass the large ones
# are read next, and MRU would keep what a pass reads first. With the
# policy (score = idle - size, a page outweighing any idle time) mmp drops
# the large files and the small ones stay: each later pass finds at least
# 90% of them whole in the page cache (RWF_NOWAIT reads tell), and at least
# 30 points more than the same pass without the policy (measured, not
# assumed). They are 32M of the 96M below the policy's trigger.
. "${srcdir:-.}/tests/kernel/lib.sh"
. "${srcdir:-.}/tests/kernel/reader_lib.sh"
skip_unless_kernel

SMALL=2048
reader_setup sizes $SMALL 16384
# The large files, in $dir/c: before $dir/d000... in name order.
mkdir "$dir/c" && "$TMP/treereader" make "$dir/c" 8 12582912 || exit 99
cat >"$TMP/sizes.mmp" <<EOP
policy tree_sizes {
    match comm "treereader";
    region tree = file "$dir/*";
    evict when usage >= 75% {
        score tree = idle / 1ms - size / 4K * 1000000000;   # the largest first
        action drop;
        limit 1G/s;
    }
}
EOP

# The percentage of the small files found whole in the page cache in
# passes 2-4, each. A large file found whole counts too: at most 8 of the
# 2048, 0.4 points.
later() {
	sed -n 's/^pass=[234] .* cached_files=\([0-9]*\).*/\1/p' "$TMP/out" |
		awk -v n=$SMALL '{ k = $1 > n ? n : $1; printf "%d ", k * 100 / n }'
}

reader_compare "$TMP/sizes.mmp" "with the largest files first"
reader_assert_passes "the small files found cached, largest files first" 90 30
grep -q 'tree: [1-9][0-9]* bytes evicted' "$TMP/err" || bad "mmp dropped nothing: $(grep 'bytes evicted' "$TMP/err")"
check "no mmp program or pin is left" no_programs_left sizes
finish
