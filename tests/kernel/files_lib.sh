# files_lib.sh - what the evict tests that read BPF's file maps with
# bpftool share (evict_counts.sh, evict_forget.sh). Sourced after lib.sh.

command -v bpftool >/dev/null || { echo "ERROR: needs bpftool (scripts/install-deps.sh installs it)"; exit 99; }

# map_id NAME: the id of the newest map named NAME (each mmp run loads its
# own).
map_id() { bpftool map show | sed -n "s/^\([0-9]*\): .* name $1 .*/\1/p" | sort -n | tail -n 1; }

# le BYTES VALUE: VALUE in BYTES little-endian bytes, as bpftool's "key hex".
le() { v=$2; i=0; while [ $i -lt "$1" ]; do printf '%02x ' $((v & 255)); v=$((v >> 8)); i=$((i + 1)); done; }

# value64: the first 8 bytes of the value in bpftool's JSON on stdin, as a
# number.
value64() {
	v=0 i=0
	for b in $(tr -d '\n ' | sed -n 's/.*"value":\[\([^]]*\)\].*/\1/p' | tr -d '"' | tr ',' ' '); do
		[ $i -lt 8 ] || break
		v=$((v + (b << (8 * i)))) i=$((i + 1))
	done
	echo "$v"
}

# file_key FILE: FILE's key in mmp_files (struct mmp_file_key) in hex:
# the kernel's dev_t, as BPF reads it from the superblock, and the inode.
file_key() {
	d=$(stat -c %d "$1") ino=$(stat -c %i "$1")
	kdev=$(( ((((d >> 8) & 0xfff) | ((d >> 32) & ~0xfff)) << 20) | ((d & 0xff) | ((d >> 12) & ~0xff)) ))
	echo "$(le 4 "$kdev")$(le 4 0)$(le 8 "$ino")"
}

# file_slot FILES_ID KEY: the slot mmp_files (map FILES_ID) gives KEY;
# fails where it has none.
file_slot() {
	# shellcheck disable=SC2086 # the key's bytes are words
	bpftool map lookup id "$1" key hex $2 >/dev/null 2>&1 || return 1
	# shellcheck disable=SC2086
	bpftool -j map lookup id "$1" key hex $2 | value64
}

# file_reads STATS_ID SLOT: the pages read counted in mmp_file_stats (map
# STATS_ID) at SLOT (its first field, accesses).
file_reads() {
	# shellcheck disable=SC2046 # the key's bytes are words
	bpftool -j map lookup id "$1" key hex $(le 4 "$2") | value64
}

# A reader in perl (in every Debian system), run as 'perl -e "$passes"
# FILE P1 ... Pn END': at each Pi it waits for the path Pi to exist,
# reads FILE through in reads of 4K (opened and closed for the pass), and
# makes Pi.done; then it waits for END and exits. Run under another name
# (a copy of perl) to be governed or not by name.
# shellcheck disable=SC2016,SC2034 # perl, used by the tests
passes='sub pass { open(my $f, "<", $ARGV[0]) or die "$ARGV[0]: $!"; my $b; 1 while sysread($f, $b, 4096); }
	sub wait_for { for (1 .. 3000) { return if -e $_[0]; select(undef, undef, undef, 0.1); } die "no $_[0]"; }
	for my $p (@ARGV[1 .. $#ARGV - 1]) { wait_for($p); pass(); open(my $m, ">", "$p.done") or die; }
	wait_for($ARGV[-1]);'

# one_file_setup NAME: the test's memory cgroup (512M, memcg_test) and in
# $dir the file x.dat of 1024 random pages, written back so that its
# pages can be dropped; its key in key_hex; perl copied as $TMP/govread.
# The test pins the CPUs it wants before one_file_attach.
one_file_setup() {
	memcg_test "mmp-$1" 512M
	dd if=/dev/urandom of="$dir/x.dat" bs=4096 count=1024 status=none || exit 99
	sync "$dir/x.dat" || exit 99
	cp "$(command -v perl)" "$TMP/govread" || exit 99
	key_hex=$(file_key "$dir/x.dat")
}

# one_file_attach NAME: 'mmp attach -v --name mmp-test-NAME' of a policy
# that governs govread and scores x.dat in a block whose trigger never
# holds (nothing dropped), in the background (mpid; its stderr in
# $TMP/err), once its pins are there.
one_file_attach() {
	cat >"$TMP/$1.mmp" <<EOP
policy one_file {
    match comm "govread";
    region x = file "$dir/x.dat";
    evict when usage >= 99% { score x = faults; action drop; limit 1M/s; }
}
EOP
	"$MMP" attach -v --name "mmp-test-$1" "$TMP/$1.mmp" 2>"$TMP/err" &
	mpid=$!
	PIDS="$PIDS $mpid"
	wait_until 120 [ -e "/sys/fs/bpf/mmp/mmp-test-$1/mmp_meta" ] || bad "no pins after 120 s: $(cat "$TMP/err")"
}
