#!/bin/sh
# evict_counts.sh - BPF counts every read of a watched file, whoever reads
# it and on whichever CPU, from the moment a governed process made it
# watched. Each CPU keeps a memo of the file its reads found last, watched
# or not (mmp_read_memo): a process mmp does not govern reads a file on
# CPU 0, so that CPU remembers the file as unwatched for it; a governed
# process then reads it on another CPU, which makes it watched; the first process
# reads it again on CPU 0, and another on the last CPU. The file's count
# of pages read (mmp_file_stats, read with bpftool) must hold the three
# reads since it was watched, 3 x 1024 pages, and none of the reads
# before. A memo that outlived the change would lose the second read on
# CPU 0 (2048): with BPF's bump of mmp_files_gen taken out, one run in two
# here failed so (in the other, a read of another file on CPU 0 had
# replaced the memo meanwhile).
. "${srcdir:-.}/tests/kernel/lib.sh"
skip_unless_kernel
. "${srcdir:-.}/tests/kernel/files_lib.sh"
command -v taskset >/dev/null || { echo "ERROR: needs taskset (util-linux)"; exit 99; }

one_file_setup counts
last=$(( $(nproc) - 1 ))
# The test, mmp and the governed reader on the last CPU, the reader mmp
# does not govern alone on CPU 0 as far as the test can: a read of
# another file there would replace its memo. With one CPU the memo is
# replaced at once, and the test cannot catch one that outlives a change.
taskset -p -c "$last" $$ >/dev/null || exit 99

one_file_attach counts

# Two readers of files_lib.sh's passes, under two names. 'govread' is
# governed from its start, before the other reads, so that its start and
# exit, which void the memos too (mmp_epoch), come before and after what
# is tested.
"$TMP/govread" -e "$passes" "$dir/x.dat" "$TMP/g1" "$TMP/end" &
PIDS="$PIDS $!"
governed() { grep -q "governing pid [0-9]* (govread)" "$TMP/err"; }
wait_until 60 governed || bad "mmp did not govern govread within 60 s: $(tail -n 3 "$TMP/err")"
taskset -c 0 perl -e "$passes" "$dir/x.dat" "$TMP/r1" "$TMP/r2" "$TMP/end" &
PIDS="$PIDS $!"
touch "$TMP/r1"
wait_until 60 [ -e "$TMP/r1.done" ] || bad "the reader did not read the file within 60 s"
fid=$(map_id mmp_files) sid=$(map_id mmp_file_stats)
[ -n "$fid" ] && [ -n "$sid" ] || bad "no mmp_files or mmp_file_stats map: $(bpftool map show | grep -c mmp_)"
unwatched() { ! file_slot "$fid" "$key_hex" >/dev/null; }
check "a file only a process mmp does not govern read is not watched" unwatched

touch "$TMP/g1"
watched() { grep -q "evict: watching $dir/x.dat" "$TMP/err"; }
wait_until 60 watched || bad "mmp did not say it watches x.dat within 60 s: $(tail -n 3 "$TMP/err")"
touch "$TMP/r2"
wait_until 60 [ -e "$TMP/r2.done" ] || bad "the reader did not read the file again within 60 s"
taskset -c "$last" dd if="$dir/x.dat" of=/dev/null bs=4096 status=none

slot=$(file_slot "$fid" "$key_hex") || bad "x.dat is not in mmp_files after a governed process read it"
reads=$(file_reads "$sid" "${slot:-0}")
echo "x.dat at slot $slot: $reads pages read counted since it was watched (3 x 1024 read)"
# A read at the end of the file may count a page past it (6.1's stand-in
# sees the read's size, not what it found): a few over, never a read short.
check "every read since the file was watched is counted, on either CPU ($reads of 3072)" \
	[ "${reads:-0}" -ge 3072 ] && [ "${reads:-0}" -le 3200 ]

touch "$TMP/end"
kill -INT "$mpid"
wait "$mpid"
check "mmp exits cleanly" [ $? -eq 0 ]
check "no mmp program or pin is left" no_programs_left mmp-test-counts
finish
