# reader_lib.sh - what the evict tests that run tests/workloads/treereader
# share (evict_tree.sh, evict_sizes.sh, evict_pieces.sh): a 128M memory
# cgroup of their own, the files to read, and four passes of the reader
# in the cgroup, with or without a policy. Sourced after lib.sh.

# reader_setup NAME FILES BYTES: the cgroup mmp-NAME-PID (v1 here, v2
# where that is what there is; exit 77 with neither), and FILES files of
# BYTES random bytes under $dir, not on tmpfs (whose page cache cannot be
# dropped); all removed on exit.
reader_setup() {
	CG= dir=
	# Set first: whatever is made below is removed on any exit.
	trap 'remove_cgroup "$CG"; [ -z "$dir" ] || rm -rf "$dir"; cleanup' EXIT
	trap 'exit 1' INT TERM
	make_memcg "mmp-$1" 128M
	if [ "$(stat -f -c %T "$TMP")" = tmpfs ]; then
		dir=$(mktemp -d "$PWD/evict-$1.XXXXXX") || exit 99
	else
		dir=$TMP/$1
	fi
	mkdir -p "$dir" && cp "$TREEREADER" "$TMP/treereader" && "$TMP/treereader" make "$dir" "$2" "$3" || exit 99
}

# reader_run [POLICY [FLAG...]]: the files' page cache dropped, then four
# passes in the cgroup at 60 MiB/s, a pace any machine reads at; the
# reader's output in $TMP/out. Under a policy ('mmp run -v FLAG...
# POLICY') the reading waits until mmp governs the reader.
reader_run() {
	"$TMP/treereader" drop "$dir" || return 1
	script='echo $$ >"$0/cgroup.procs"; exec "$1" read "$2" 4 60'
	rm -f "$TMP/go"
	if [ $# -eq 0 ]; then
		sh -c "$script" "$CG" "$TMP/treereader" "$dir" >"$TMP/out" 2>"$TMP/err"
		return
	fi
	policy=$1
	shift
	TREEREADER_GO=$TMP/go "$MMP" run -v "$@" "$policy" -- sh -c "$script" "$CG" "$TMP/treereader" "$dir" >"$TMP/out" 2>"$TMP/err" &
	runner=$!
	PIDS="$PIDS $runner"
	governed() { grep -q 'governing pid .*(treereader)' "$TMP/err"; }
	wait_until 120 governed || bad "mmp did not govern the reader within 120 s: $(tail -n 5 "$TMP/err")"
	touch "$TMP/go"
	wait $runner
}

# reader_log: the last of mmp's log, without its per-file lines, for a
# failure to show.
reader_log() { echo "mmp's log:"; grep -v 'watching\|dropped' "$TMP/err" | tail -n 30; }

# reader_compare POLICY LABEL: the baseline, then POLICY (reader_run
# each); sets base and with to what the test's own 'later' makes of each
# run's output (a figure for each of passes 2-4). A baseline that did not
# finish is an error (exit 99); a run under the policy that did not, a
# failure.
reader_compare() {
	reader_run || exit 99
	base=$(later)
	echo "without a policy, passes 2-4: ${base:-?}(%)"
	[ "$(echo $base | wc -w)" = 3 ] || { echo "the reader did not finish its passes: $(cat "$TMP/out" "$TMP/err")"; exit 99; }
	reader_run "$1"
	with=$(later)
	echo "$2: ${with:-?}(%)"
	[ "$(echo $with | wc -w)" = 3 ] || bad "the reader did not finish its passes under mmp: $(tail -n 5 "$TMP/err")"
}

# reader_assert_passes WHAT AT_LEAST MORE: each of passes 2-4 under the
# policy ($with) is at least AT_LEAST % (no such check when it is empty)
# and MORE points above the same pass without it ($base). WHAT says what
# the figures are, in the messages.
reader_assert_passes() {
	what=$1 least=$2 more=$3
	set -- $base
	for p in $with; do
		if [ -n "$least" ]; then
			check "$what: a later pass at least $least% ($p%)" [ "$p" -ge "$least" ] || reader_log
		fi
		check "... and $more points more than without the policy ($p% against ${1:-?}%)" [ "$p" -ge $((${1:-100} + more)) ]
		shift
	done
}
