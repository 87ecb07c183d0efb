#!/bin/sh
# bench/faultcost/run.sh - what each page fault costs in BPF.
# With kernel.bpf_stats_enabled (restored afterwards), the kernel counts the
# run time and runs of every program; a workload writes 1 GiB of fresh
# memory (262,144 faults a pass) at a fixed address under each variant:
#   none        no program (the wall-time baseline)
#   floor       an empty tp_btf program on page_fault_user
#   mmp-16/256/4096  mmp with a policy of that many regions over the memory
#   bpftrace    bpftrace -e 'tracepoint:exceptions:page_fault_user { @[comm] = count(); }'
# and reports, as medians of RUNS rounds (default 5, variants interleaved):
#   ns/event     run_time_ns / run_cnt: the kernel's own figure, averaged over
#                every process's faults (other processes' are mostly cheap misses)
#   ns/fault     run_time_ns / the workload's faults: what each fault of a
#                governed process costs, all other runs charged to it too
#   touch s      the workload's time to write 3 GiB of fresh memory
set -eu
RUNS=${1:-5}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
MMP=$top/mmp
tmp=$(mktemp -d)
old_stats=$(sysctl -n kernel.bpf_stats_enabled)
TRACER=
cleanup() {
	[ -n "$TRACER" ] && kill "$TRACER" 2>/dev/null && wait "$TRACER" 2>/dev/null
	sysctl -q -w kernel.bpf_stats_enabled="$old_stats"
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
command -v bpftrace >/dev/null && command -v bpftool >/dev/null || { echo "needs bpftrace and bpftool" >&2; exit 1; }
"$top/bench/machine/machine.sh"   # the figures differ tenfold between machines
cc -O2 -o "$tmp/touch" "$here/touch.c"
cc -O2 -o "$tmp/floor" "$here/floor.c" $(pkg-config --cflags --libs libbpf)
clang -target bpf -O2 -g -I/usr/include/"$(cc -print-multiarch)" -c "$here/floor.bpf.c" -o "$tmp/floor.bpf.o"
export MMP_CACHE_DIR="$tmp/cache"

# A policy of N regions tiling the workload's 1 GiB at 0x500000000000.
policy() {
	n=$1 size=$(( (1 << 30) / $1 ))
	{
		echo "policy faultcost { match comm \"touch\";"
		i=0
		while [ $i -lt "$n" ]; do
			printf 'region r%d = range 0x%x .. +%d;\n' $i $((0x500000000000 + i * size)) "$size"
			i=$((i + 1))
		done
		printf 'pagesize r0'
		i=1
		while [ $i -lt "$n" ]; do printf ', r%d' $i; i=$((i + 1)); done
		echo ' { 4K: 0; 2M: 100; } when size > 1T; }'   # chunks counted, none collapsed
	} >"$tmp/p$n.mmp"
	"$top/mmpc" "$tmp/p$n.mmp" -o "$tmp/p$n.bpf.o"
}
for n in 16 256 4096; do policy $n; done

# The run time and count of the program named NAME, summed.
prog_stats() {
	bpftool prog show -j | tr '}' '\n' | grep "\"name\":\"$1" | sed -n 's/.*"run_time_ns":\([0-9]*\),"run_cnt":\([0-9]*\).*/\1 \2/p' |
		awk '{ t += $1; c += $2 } END { print t + 0, c + 0 }'
}

start() { # VARIANT: starts the tracer and waits until attached
	case $1 in
	none) TRACER= ;;
	floor) "$tmp/floor" "$tmp/floor.bpf.o" >"$tmp/floor.out" & TRACER=$!
		until grep -q attached "$tmp/floor.out" 2>/dev/null; do sleep 0.05; done ;;
	mmp-*) n=${1#mmp-}; "$MMP" attach --name faultcost "$tmp/p$n.bpf.o" 2>"$tmp/mmp.err" & TRACER=$!
		until grep -q "attached" "$tmp/mmp.err" 2>/dev/null; do sleep 0.05; done ;;
	bpftrace) bpftrace -e 'tracepoint:exceptions:page_fault_user { @[comm] = count(); }' >/dev/null 2>&1 & TRACER=$!
		until bpftool prog show -j | grep -q '"name":"page_fault_user"'; do sleep 0.05; done ;;
	esac
}
stop() { [ -n "$TRACER" ] && kill -INT "$TRACER" && wait "$TRACER" 2>/dev/null; TRACER=; }
progname() { case $1 in floor) echo floor_fault ;; mmp-*) echo mmp_page_fault ;; bpftrace) echo 'page_fault_user"' ;; *) echo none ;; esac; }

sysctl -q -w kernel.bpf_stats_enabled=1
VARIANTS="none floor mmp-16 mmp-256 mmp-4096 bpftrace"
for v in $VARIANTS; do : >"$tmp/$v.ns"; : >"$tmp/$v.nf"; : >"$tmp/$v.s"; done
for _ in $(seq "$RUNS"); do
	for v in $VARIANTS; do
		start "$v"
		set -- $(prog_stats "$(progname "$v")")
		t0=$1 c0=$2
		out=$("$tmp/touch" 1024 3)
		set -- $(prog_stats "$(progname "$v")")
		stop
		echo "$out" | sed -n 's/seconds=\([0-9.]*\).*/\1/p' >>"$tmp/$v.s"
		if [ "$v" != none ]; then
			awk -v t=$(( $1 - t0 )) -v c=$(( $2 - c0 )) 'BEGIN { printf "%.1f\n", c ? t / c : 0 }' >>"$tmp/$v.ns"
			f=$(echo "$out" | sed -n 's/.*faults=\([0-9]*\).*/\1/p')
			awk -v t=$(( $1 - t0 )) -v f="$f" 'BEGIN { printf "%.1f\n", f ? t / f : 0 }' >>"$tmp/$v.nf"
		fi
	done
done
median() { sort -n "$1" | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "-" }'; }
b=$(median "$tmp/bpftrace.ns") bf=$(median "$tmp/bpftrace.nf")
base=$(median "$tmp/none.s")
ratio() { [ "$1" = - ] && echo - || awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf '%-10s %9s %12s %9s %12s %9s %14s\n' variant "ns/event" "vs bpftrace" "ns/fault" "vs bpftrace" "touch s" "vs no program"
for v in $VARIANTS; do
	ns=$(median "$tmp/$v.ns") nf=$(median "$tmp/$v.nf") s=$(median "$tmp/$v.s")
	printf '%-10s %9s %12s %9s %12s %9s %14s\n' "$v" "$ns" "$(ratio "$ns" "$b")" "$nf" "$(ratio "$nf" "$bf")" "$s" \
		"$(ratio "$s" "$base")"
done
