#!/bin/sh
# bench/evict/ripgrep.sh [ROUNDS] - ripgrep searching, pass after pass, a
# tree of small files larger than its memory cgroup (cache_ext's ripgrep
# experiment): the kernel's own reclaim against mmp's MRU policy, and a
# policy that keeps the smallest files.
#
# The corpus, RG_CORPUS:
#   linux  (the default) the Linux kernel's source, cache_ext's own corpus:
#          Debian's linux-source package (installed if missing), the
#          newest /usr/src/linux-source-*.tar.xz unpacked into
#          RG_DIR/linux. 6.1's is 78,258 files that rg reads, 1238 MiB
#          (1416 MiB in whole pages), 1.4 times the 1 GiB cgroup.
#   usr    RG_TREE_MB (1536) MiB of files of at most 1 MiB copied from
#          /usr/include, /usr/share and /usr/lib (text and binary alike,
#          hidden files left out, as rg skips them), into numbered copies
#          000, 001... of RG_DIR/tree until the size is reached: more and
#          smaller files than a source tree, 1.75 times the cgroup.
# RG_DIR (/var/tmp/mmp-rg-corpus) must be on a disk, not tmpfs. A tree is
# built once and reused while its marker (TREE.done) says it is the same.
# Hidden files are left out of its size, as rg skips them.
#
# One run of a variant: drop the page cache, compact memory, start the
# variant, then 'rg -c -a -j2 PATTERN TREE' RG_PASSES (4) times in a row,
# in a memory cgroup limited to RG_CGROUP_MB (1024) MiB (v1
# memory.limit_in_bytes where v1 exists, else v2 memory.max). Pass 1
# warms up; passes 2 to 4 are measured. The pattern matches nothing, so
# rg reads every byte of every file.
#
# Variants, interleaved, the order rotated every round:
#   default   no mmp: the kernel's reclaim in the cgroup
#   mmp       'mmp attach policies/rg-mru.mmp' for the whole run: while
#             the cgroup is at RG_TRIGGER (97) % of its limit or more,
#             drop the file rg read most recently first (score idle /
#             1ms), at most 1G/s
#   small     'mmp attach policies/rg-small.mmp': the same, but the
#             largest files first (among files of one size in pages, the
#             most recently read): the cache holds the most files, and a
#             disk that counts requests is asked for the fewest
#
# Bytes read from disk a pass are rg's own: the read_bytes of
# /proc/PID/io, the bytes it submitted to the block layer, data readahead
# and metadata alike. rg is this shell's child, and a reaped child's I/O
# is added to its parent's, so the delta of this shell's read_bytes over
# a pass is rg's. Unlike the device's counters it leaves out whatever else
# the machine reads meanwhile (and mmp); the device's sectors read
# (/proc/diskstats) are printed beside it as a cross-check. The hit ratio
# of a pass is 1 - read / the tree's bytes in whole pages (what a cold
# pass brings into the page cache: a 100-byte file takes a 4K page). The
# metadata rg reads (directories, inodes) can take it a little below 0.
# The cgroup's usage also holds the kernel memory of the tree's inodes
# and dentries (v1 counts it): about 60 MiB for 40,000 files, which no
# drop of page cache frees.
#
# It prints, per variant, the medians over the rounds of: the wall time of
# a pass (each run's median of passes 2-4), its range, default/variant of
# that time, MiB read from disk a pass, the hit ratio, the device's MiB
# read a pass, what mmp dropped in a run ("bytes evicted" in its exit
# summary) and how often the cgroup hit its limit in a run (v1
# memory.failcnt, v2 memory.events "max": the kernel's reclaim ran, so
# mmp did not keep usage under the limit); as a markdown table.
#
# Environment: ROUNDS (3; the first argument wins), RG_DIR, RG_CORPUS,
# RG_TREE_MB, RG_CGROUP_MB, RG_TRIGGER, RG_PASSES (4), RG_THREADS (2),
# RG_PATTERN ('mmp_needle_[0-9]{6}'), EVICT_DISK_IOPS and EVICT_DISK_MBPS
# (0: no cap; rg's reads from the tree's disk capped, as on a cloud
# volume: lib.sh's throttle_disk), EVICT_WARM_MIB (4096: memory touched
# once before the runs, the VM's free page reporting held off until the
# end: lib.sh's hold_memory_state), EVICT_BPF_STATS (1: each mmp run
# also says what its file hooks cost a call, lib.sh's bpf_stats_on),
# VARIANTS ("default mmp small"), MMP (the mmp
# binary, default ../../mmp). Installs ripgrep (and linux-source) with
# apt-get if missing.
# Other kernel tests and benchmarks take the same lock
# (/tmp/mmp-kernel-tests.lock): this waits for it. The cgroup and mmp are
# removed and stopped on exit, failure, Ctrl-C or SIGTERM; the corpus is
# kept for the next run. Run as root, after a build (make -j2).
set -eu
ROUNDS=${1:-${ROUNDS:-3}}
RG_DIR=${RG_DIR:-/var/tmp/mmp-rg-corpus}
CORPUS=${RG_CORPUS:-linux}
TREE_MB=${RG_TREE_MB:-1536}
CG_MB=${RG_CGROUP_MB:-1024}
TRIGGER=${RG_TRIGGER:-97}
PASSES=${RG_PASSES:-4}
THREADS=${RG_THREADS:-2}
PATTERN=${RG_PATTERN:-'mmp_needle_[0-9]{6}'}
VARIANTS=${VARIANTS:-default mmp small}
here=$(cd "$(dirname "$0")" && pwd)
SOURCES="/usr/include /usr/share /usr/lib"
# die, the checks, the cgroup, mmp, the rounds, medians: shared with the
# other scripts here.
. "$here/lib.sh"

check_rounds
case $TREE_MB$CG_MB$PASSES$THREADS$TRIGGER in '' | *[!0-9]*) die "RG_TREE_MB, RG_CGROUP_MB, RG_TRIGGER, RG_PASSES and RG_THREADS are whole numbers" ;; esac
{ [ "$TRIGGER" -ge 50 ] && [ "$TRIGGER" -le 99 ]; } || die "RG_TRIGGER is a percentage of the cgroup's limit from 50 to 99, not $TRIGGER"
[ "$PASSES" -ge 2 ] || die "RG_PASSES must be at least 2 (pass 1 is a warm-up)"
case $CORPUS in linux | usr) ;; *) die "RG_CORPUS is linux or usr, not '$CORPUS'" ;; esac
[ "$CORPUS" = linux ] || [ "$TREE_MB" -gt "$CG_MB" ] || die "the tree ($TREE_MB MiB) must be larger than the cgroup ($CG_MB MiB)"
[ "$(id -u)" = 0 ] || die "must run as root (it makes a memory cgroup and drops the page cache)"
command -v flock >/dev/null || die "needs flock (util-linux)"
check_variants mmp small
find_memcg
command -v rg >/dev/null || apt_install ripgrep
RG=$(command -v rg)
check_on_disk "$RG_DIR" RG_DIR
RG_DIR=$(cd "$RG_DIR" && pwd)
if [ "$CORPUS" = linux ]; then
	tree=$RG_DIR/linux
	# linux_tarball: the newest kernel source Debian's package left.
	linux_tarball() { find /usr/src -maxdepth 1 -name 'linux-source-*.tar.xz' | sort -V | tail -n 1; }
	tarball=$(linux_tarball)
	[ -n "$tarball" ] || { apt_install linux-source && tarball=$(linux_tarball); }
	[ -n "$tarball" ] || die "the linux-source package left no /usr/src/linux-source-*.tar.xz"
	corpus_id=$(basename "$tarball" .tar.xz)
else
	tree=$RG_DIR/tree
	corpus_id=usr-$TREE_MB
fi
marker=$tree.done

tmp=$(mktemp -d)
cg='' pid='' mpid=''
on_exit cleanup

take_lock
bpf_stats_on
# The machine, before any result: figures differ tenfold between machines.
sh "$here/../machine/machine.sh"
hold_memory_state

# --- the corpus ----------------------------------------------------------------
pagesize=$(getconf PAGESIZE)
# tree_stats: "files=N bytes=B pagebytes=P" of the tree, hidden files
# and directories left out as rg leaves them.
tree_stats() {
	find "$tree" -mindepth 1 -name '.*' -prune -o -type f -printf '%s\n' | awk -v ps="$pagesize" '
		{ n++; s += $1; p += int(($1 + ps - 1) / ps) * ps }
		END { printf "files=%d bytes=%.0f pagebytes=%.0f\n", n, s, p }'
}
if [ -f "$marker" ] && [ -d "$tree" ] && [ "$(field "$(cat "$marker")" corpus)" = "$corpus_id" ]; then
	stats=$(cat "$marker")
	how="reused"
else
	start=$(date +%s)
	rm -f "$marker"
	rm -rf "$tree"
	mkdir -p "$tree"
	if [ "$CORPUS" = linux ]; then
		echo "building the corpus: $tarball unpacked in $tree"
		tar -C "$tree" --strip-components=1 -xJf "$tarball"
	else
		echo "building the corpus: $TREE_MB MiB from $SOURCES in $tree"
		want=$((TREE_MB * 1048576))
		# "size path" of every regular file up to 1 MiB (a source tree's
		# files are small), hidden ones and any under RG_DIR left out. A
		# name with a newline would break the list: such files are
		# skipped too.
		nl='
'
		# shellcheck disable=SC2086 # a list of directories
		find $SOURCES \( -path "$RG_DIR" -o -name '.*' \) -prune -o -type f -size -1025k ! -name "*$nl*" \
			-printf '%s %p\n' 2>/dev/null >"$tmp/list" || true
		[ -s "$tmp/list" ] || die "found no files in $SOURCES"
		n=0 have=0
		while [ "$have" -lt "$want" ]; do
			d=$tree/$(printf %03d $n)
			mkdir "$d"
			# The first files of the list that make up what is still missing.
			awk -v need=$((want - have)) '{ s += $1; sub(/^[0-9]+ \//, ""); print; if (s >= need) exit }' \
				"$tmp/list" >"$tmp/part"
			tar -C / --no-recursion --no-unquote --verbatim-files-from -cf - -T "$tmp/part" | tar -C "$d" -xf -
			have=$(find "$tree" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f", s }')
			n=$((n + 1))
		done
	fi
	sync
	stats="corpus=$corpus_id $(tree_stats)"
	echo "$stats" >"$marker"
	how="built in $(( $(date +%s) - start )) s"
fi
files=$(field "$stats" files)
bytes=$(field "$stats" bytes)
pagebytes=$(field "$stats" pagebytes)
{ [ -n "$files" ] && [ -n "$pagebytes" ]; } || die "bad $marker: remove it to build the corpus again"
echo "corpus $corpus_id: $files files, $(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1048576 }') MiB ($(awk -v b="$pagebytes" 'BEGIN { printf "%.0f", b / 1048576 }') MiB in ${pagesize}-byte pages) in $tree ($how)"
[ "$pagebytes" -gt $((CG_MB * 1048576)) ] || die "the tree's pages must not fit in the cgroup ($CG_MB MiB)"

# --- the cgroup, the policy, the counters --------------------------------------
make_cg "mmp-rgbench-$$" "$CG_MB"
throttle_disk "$RG_DIR"

# The policies, for this tree and trigger (they name the default tree,
# and 97%): variant mmp is rg-mru.mmp, small rg-small.mmp.
policy_of() { case $1 in mmp) echo rg-mru ;; *) echo "rg-$1" ;; esac; }
for v in $VARIANTS; do
	[ "$v" != default ] || continue
	pol=$(policy_of "$v")
	sed -e "s|/var/tmp/mmp-rg-corpus/tree/|$tree/|" -e "s|usage >= [0-9]*%|usage >= $TRIGGER%|" \
		"$here/policies/$pol.mmp" >"$tmp/$pol.mmp"
	grep -qF "\"$tree/*\"" "$tmp/$pol.mmp" || die "policies/$pol.mmp does not name /var/tmp/mmp-rg-corpus/tree/*"
	grep -qF "usage >= $TRIGGER%" "$tmp/$pol.mmp" || die "policies/$pol.mmp has no 'usage >= N%'"
done

# The device under the tree, for /proc/diskstats ("-" if it is not a
# block device there, as on btrfs).
dev_major=$(stat -c %Hd "$tree") dev_minor=$(stat -c %Ld "$tree")
dev_name=$(awk -v a="$dev_major" -v b="$dev_minor" '$1 == a && $2 == b { print $3 }' /proc/diskstats)
# disk_bytes: the bytes read from the tree's device since boot.
disk_bytes() {
	while read -r ma mi _name _rd _rdm sec _rest; do
		[ "$ma" != "$dev_major" ] || [ "$mi" != "$dev_minor" ] || { echo $((sec * 512)); return; }
	done </proc/diskstats
	echo -
}

# --- one run -------------------------------------------------------------------
# one_pass: one rg pass in the cgroup; sets secs, rd (rg's bytes read from
# disk) and dk (the device's). Runs in this shell, not in $(...), so that
# this shell reaps rg and gets its I/O.
one_pass() {
	t0=$(date +%s.%N)
	r0=$(read_bytes) d0=$(disk_bytes)
	run_in_cg "$RG" -c -a -j"$THREADS" "$PATTERN" "$tree" >"$tmp/rg.out" 2>"$tmp/rg.err"
	t1=$(date +%s.%N)
	r1=$(read_bytes) d1=$(disk_bytes)
	# 1 is "no match", the usual case; 2 is an error.
	if [ "$rc" -gt 1 ]; then
		echo "ripgrep.sh: rg failed (exit status $rc):" >&2
		head -n 5 "$tmp/rg.err" >&2
		exit 1
	fi
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	rd=$((r1 - r0))
	if [ "$d0" = - ] || [ "$d1" = - ]; then dk=-; else dk=$((d1 - d0)); fi
}

# run_variant VARIANT: one run; appends "secs read disk dropped pass1_secs
# limit_hits" (medians of passes 2 on; bytes) to $tmp/VARIANT.res and
# prints a line.
run_variant() {
	v=$1
	drop_caches
	[ "$v" = default ] || start_mmp "$tmp/$(policy_of "$v").mmp" "mmp-rgbench-$$"
	h0=$(limit_hits)
	ts='' rds='' dks='' all=''
	p=0
	while [ $p -lt "$PASSES" ]; do
		p=$((p + 1))
		one_pass
		all="$all $secs s/$(mib "$rd")"
		if [ $p = 1 ]; then
			first=$secs
		else
			ts="$ts $secs" rds="$rds $rd" dks="$dks $dk"
		fi
	done
	hits=$(( $(limit_hits) - h0 ))
	dropped=- note=''
	[ "$v" = default ] || mmp_result "$(policy_of "$v" | tr - _)\\.corpus"
	# shellcheck disable=SC2086 # lists of numbers
	res="$(median_of $ts) $(median_of $rds) $(median_of $dks) $dropped $first $hits"
	echo "$res" >>"$tmp/$v.res"
	# shellcheck disable=SC2086 # six fields
	set -- $res
	printf '  %-8s passes (s/MiB read):%s  median %s s, %s MiB read (device %s MiB), hits %s, limit hit %s times  mmp dropped %s MiB%s\n' \
		"$v" "$all" "$1" "$(mib "$2")" "$(mib "$3")" \
		"$(awk -v r="$2" -v t="$pagebytes" 'BEGIN { printf "%.1f%%", 100 * (1 - r / t) }')" "$6" "$(mib "$4")" "$note"
}

echo "ripgrep: $ROUNDS rounds of: $VARIANTS (mmp: MRU, small: the largest files first, from $TRIGGER% of the limit); 'rg -c -a -j$THREADS $PATTERN' $PASSES passes a run (pass 1 warms up), cgroup v$cgv limit $cg_mib MiB; disk reads: rg's read_bytes, device ${dev_name:-(none)} beside; $disk_note"
start=$(date +%s)
rounds

# --- the table -----------------------------------------------------------------
echo
echo "medians of $ROUNDS rounds; a pass is one 'rg -c -a -j$THREADS' over $files files, $(mib "$bytes") MiB ($(mib "$pagebytes") MiB in pages), in $cg_mib MiB; $disk_note:"
echo
echo "| variant | pass wall s | range | default/variant | MiB read from disk a pass | hit ratio | device MiB read a pass | pass 1 s | mmp dropped MiB a run | limit hits a run |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
base=$(median "$tmp/default.res" 1)
for v in $VARIANTS; do
	f=$tmp/$v.res
	awk -v v="$v" -v t="$(median "$f" 1)" -v b="$base" -v rg="$(range "$f" 1 2)" -v rd="$(median "$f" 2)" \
		-v dk="$(median "$f" 3)" -v dr="$(median "$f" 4)" -v p1="$(median "$f" 5)" -v lh="$(median "$f" 6)" -v tb="$pagebytes" 'BEGIN {
		ratio = (b == "-" || t + 0 == 0) ? "-" : sprintf("%.2fx", b / t)
		m = 1048576
		printf "| %s | %.2f | %s | %s | %.0f | %.1f%% | %s | %.2f | %s | %s |\n", v, t, rg, ratio, rd / m,
			100 * (1 - rd / tb), dk == "-" ? "-" : sprintf("%.0f", dk / m), p1,
			dr == "-" ? "-" : sprintf("%.0f", dr / m), lh }'
done
echo
for v in $VARIANTS; do
	{ [ "$v" != default ] && [ "$base" != - ] && [ -s "$tmp/$v.res" ]; } || continue
	awk -v v="$v" -v b="$base" -v t="$(median "$tmp/$v.res" 1)" 'BEGIN {
		printf "%s: a pass takes %.2fx the default'\''s time (default/%s %.2fx)\n", v, t / b, v, b / t }'
done
echo "total: $(( $(date +%s) - start )) s for $ROUNDS rounds"
