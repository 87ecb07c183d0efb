#!/bin/sh
# evict_thrash.sh - a file in use that a block cannot spare. In a memory
# cgroup at 96M, one process reads an 80M file at random, over and over:
# it fits in the cgroup, and the kernel alone keeps it cached (the
# baseline, asserted), but with it cached usage is over the trigger's 80%.
# The file is the lowest score left, so each step drops some of it, and
# the reader reads it straight back. mmp sees its drops come back while
# the file is read over and over, with the cgroup able to hold it; says
# so, and leaves the file to the kernel: it stays cached, and mmp drops
# no more of it. Before, mmp dropped it again at each crossing, a file's
# worth a second or more, for nothing (1.3 GB in 8 s). The same with the
# file scored piece by piece (LFU over 4K pages, 'unit 4K'), where each
# piece is read as often as the next: before, 706 MB in 8 s.
. "${srcdir:-.}/tests/kernel/lib.sh"
skip_unless_kernel

memcg_test mmp-thrashtest 96M
dd if=/dev/urandom of="$dir/db.dat" bs=1M count=80 status=none && echo tiny >"$dir/tiny.dat" || exit 99
cp "$GETSCAN" "$TMP/getscan"
cp "$STRIDER" "$TMP/strider"

# read [POLICY]: in the cgroup, the file read at random for 8 s, from
# nothing cached; prints how much of it is cached at the end.
read_db() {
	"$TMP/strider" "$dir/db.dat" drop >/dev/null || return 1
	script='echo $$ >"$0/cgroup.procs" || exit 1; timeout 8 "$1" "$2" "$3" 1000000 >/dev/null; :'
	if [ $# -eq 0 ]; then
		sh -c "$script" "$CG" "$TMP/getscan" "$dir/db.dat" "$dir/tiny.dat" >"$TMP/out" 2>"$TMP/err"
	else
		"$MMP" run -v "$1" -- sh -c "$script" "$CG" "$TMP/getscan" "$dir/db.dat" "$dir/tiny.dat" \
			>"$TMP/out" 2>"$TMP/err"
	fi
	"$TMP/strider" "$dir/db.dat" resident | sed -n 's/.*resident=\([0-9]*\)%.*/\1/p'
}

base=$(read_db) || exit 99
check "without a policy the kernel keeps the file cached (${base:-?}%: the baseline)" [ "${base:-0}" -ge 85 ]

# case WHAT BLOCK: the file read at random under a policy whose evict
# block is BLOCK, and what became of it.
case_of() {
	cat >"$TMP/thrash.mmp" <<EOP
policy thrash {
    match comm "getscan";
    region db = file "$dir/db.dat";
    evict when usage > 80% { $2 action drop; limit 4G/s; }
}
EOP
	kept=$(read_db "$TMP/thrash.mmp") || exit 99
	dropped=$(sed -n 's/.*thrash.db: \([0-9]*\) bytes evicted.*/\1/p' "$TMP/err")
	echo "$1: the file read at random: ${base:-?}% cached by the kernel alone, ${kept:-?}% with the policy," \
		"which dropped ${dropped:-?} bytes of it"
	check "$1: mmp says the file came straight back, and leaves it to the kernel" \
		grep -q "evict: policy 'thrash': .*db.dat came straight back" "$TMP/err" || tail -n 30 "$TMP/err"
	check "$1: the summary counts the file left to the kernel" \
		grep -q 'thrash.db: .*[1-9][0-9]* times\? a file was left to the kernel' "$TMP/err"
	check "$1: with the policy the file stays cached (${kept:-?}%)" [ "${kept:-0}" -ge 85 ]
	# Telling takes a few drops: until the file was read over twice since.
	check "$1: mmp dropped less than twice the file's size of it (${dropped:-?} bytes)" \
		[ "${dropped:-999999999}" -lt $((160 << 20)) ]
	after=$(sed -n '/came straight back/,$p' "$TMP/err" | grep -c 'evict: dropped .*db.dat')
	check "$1: and none of it once it said so ($after drops after)" [ "$after" = 0 ]
	grep -E "came straight back|thrash.db:" "$TMP/err"
}
case_of "whole file" "score db = 1;"
case_of "4K pieces, LFU" "score db = faults; unit 4K;"

check "no mmp program or pin is left" no_programs_left thrash
finish
