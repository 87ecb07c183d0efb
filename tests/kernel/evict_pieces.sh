#!/bin/sh
# evict_pieces.sh - an evict block with a 'unit' scores and drops each
# piece of a file on its own. A reader reads one file larger than its
# memory cgroup (160M in 128M) from start to end, four times, at a pace
# any machine reads at (60 MiB/s): the test asserts what the policy does,
# not how fast mmp is.
# The baseline is measured: the kernel's LRU evicts the start of the file
# before the next pass comes back to it, so a later pass finds little of
# it cached. With an MRU policy over 1M pieces (score = idle: the piece
# read last goes first) mmp drops the pieces just read and the start of
# the file stays for the next pass: a whole-file unit could not, since
# the file is one unit, read last. The later passes find at least 40% in
# the page cache (the middle one of three; what the reader did not read
# from storage: read_bytes), and each 10 points more than without it.
. "${srcdir:-.}/tests/kernel/lib.sh"
. "${srcdir:-.}/tests/kernel/reader_lib.sh"
skip_unless_kernel

reader_setup pieces 1 167772160
cat >"$TMP/mru.mmp" <<EOP
policy pieces_mru {
    match comm "treereader";
    region data = file "$dir/*";
    evict when usage >= 75% {
        score data = idle / 1ms;    # the piece read last goes first: MRU
        action drop;
        unit 1M;
        limit 1G/s;
    }
}
EOP

# The share of passes 2-4 read from the page cache, in percent, each.
later() { sed -n 's/^pass=[234] .* bytes=\([0-9]*\) .* disk=\([0-9]*\) .*/\1 \2/p' "$TMP/out" | awk '{ d = $1 > $2 ? $1 - $2 : 0; printf "%d ", d * 100 / $1 }'; }

reader_compare "$TMP/mru.mmp" "with MRU over 1M pieces"
# The middle of the three passes: one pass on a loaded machine, where mmp
# ran late and the kernel's reclaim took from the start of the file, says
# how busy the machine was (38% once under make -j2 check, 47-57% else).
mid=$(echo $with | tr ' ' '\n' | sort -n | sed -n 2p)
check "with MRU over pieces the middle of the later passes finds at least 40% cached (${mid:-?}% of $with)" \
	[ "${mid:-0}" -ge 40 ] || reader_log
reader_assert_passes "found cached with MRU over pieces" "" 10
grep -q 'data: [1-9][0-9]* bytes evicted' "$TMP/err" || bad "mmp dropped nothing: $(grep 'bytes evicted' "$TMP/err")"
check "no mmp program or pin is left" no_programs_left mru
finish
