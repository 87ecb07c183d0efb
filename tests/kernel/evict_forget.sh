#!/bin/sh
# evict_forget.sh - a watched file that no process read for a minute, with
# no page of it cached and no governed process holding it, is forgotten:
# its entry leaves mmp_files and its slot is freed, after BPF's memos of
# it are voided (mmp_files_gen). A governed process then reads it again on
# the CPU whose memo held it last: it must be watched anew, and only those
# reads counted in its new slot. A memo that outlived the forgetting would
# still find the file at its old slot, so BPF would neither watch it again
# nor count the reads where the runtime reads them. Takes over a minute.
. "${srcdir:-.}/tests/kernel/lib.sh"
skip_unless_kernel
. "${srcdir:-.}/tests/kernel/files_lib.sh"
command -v taskset >/dev/null || { echo "ERROR: needs taskset (util-linux)"; exit 99; }

one_file_setup forget
last=$(( $(nproc) - 1 ))
# The test and mmp on the last CPU, the reader on CPU 0: with nothing
# else reading there, CPU 0's memo holds x.dat from the first pass to the
# second.
taskset -p -c "$last" $$ >/dev/null || exit 99

one_file_attach forget

# files_lib.sh's passes, governed by name.
taskset -c 0 "$TMP/govread" -e "$passes" "$dir/x.dat" "$TMP/g1" "$TMP/g2" "$TMP/end" &
PIDS="$PIDS $!"
governed() { grep -q "governing pid [0-9]* (govread)" "$TMP/err"; }
wait_until 60 governed || bad "mmp did not govern govread within 60 s: $(tail -n 3 "$TMP/err")"
touch "$TMP/g1"
wait_until 60 [ -e "$TMP/g1.done" ] || bad "govread did not read the file within 60 s"
fid=$(map_id mmp_files) sid=$(map_id mmp_file_stats)
[ -n "$fid" ] && [ -n "$sid" ] || bad "no mmp_files or mmp_file_stats map: $(bpftool map show | grep -c mmp_)"
watched() { file_slot "$fid" "$key_hex" >/dev/null; }
wait_until 10 watched || bad "x.dat is not in mmp_files after a governed process read it"
slot1=$(file_slot "$fid" "$key_hex")

# No page cached, nothing read: forgotten a minute after the last read.
dd if="$dir/x.dat" iflag=nocache count=0 status=none || exit 99
forgotten() { ! watched; }
check "x.dat is forgotten within 150 s of its last read, its pages dropped" wait_until 150 forgotten

touch "$TMP/g2"
wait_until 60 [ -e "$TMP/g2.done" ] || bad "govread did not read the file again within 60 s"
check "read again on the CPU whose memo held it, x.dat is watched anew" wait_until 10 watched
slot2=$(file_slot "$fid" "$key_hex")
reads=$(file_reads "$sid" "${slot2:-0}")
echo "x.dat: slot $slot1, forgotten, then slot $slot2 with $reads pages read counted (1024 read since)"
check "its new slot counts the reads since, and none before ($reads of 1024)" \
	[ "${reads:-0}" -ge 1024 ] && [ "${reads:-0}" -le 1100 ]

touch "$TMP/end"
kill -INT "$mpid"
wait "$mpid"
check "mmp exits cleanly" [ $? -eq 0 ]
check "no mmp program or pin is left" no_programs_left mmp-test-forget
finish
