#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# loadcost.sh [-n RUNS] [-d xdp|tc] - what `tiu up` costs the verifier.
#
# In a network namespace of its own, runs `tiu up` on a veth RUNS times
# (default 3) under `strace -f -T -e trace=bpf`, sums the time of each
# BPF_PROG_LOAD by program name, and prints per program the median load time
# of the runs and the verified instructions (bpf_prog_info.verified_insns,
# build/bench/proginsns, of the programs `tiu status -j` shows attached),
# then the total. Markdown on stdout.
# Needs root and strace. BUILD (default ./build) holds tiu and bench/proginsns.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$HERE/../build}
TIU=${TIU:-$BUILD/tiu}
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"
RUNS=3 DECAP=xdp
bench_getopts "n:RUNS d:DECAP" "$@"
[ "$(id -u)" = 0 ] || { echo "loadcost.sh: needs root (namespaces, BPF)" >&2; exit 2; }
command -v strace >/dev/null || { echo "loadcost.sh: needs strace (apt-get install strace)" >&2; exit 2; }
[ -x "$TIU" ] && [ -x "$BUILD/bench/proginsns" ] ||
	{ echo "loadcost.sh: $TIU or $BUILD/bench/proginsns missing: run make" >&2; exit 2; }

NS=tiub-load-$$
WORK=$(mktemp -d /tmp/tiub-load.XXXXXX)
cleanup() {
	ip netns exec "$NS" "$TIU" down lc0 --purge >/dev/null 2>&1
	ip netns del "$NS" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$NS" || exit 1
ip -n "$NS" link set lo up
ip -n "$NS" link add lc0 type veth peer name lc1 || exit 1
ip -n "$NS" link set lc0 up && ip -n "$NS" link set lc1 up
ip -n "$NS" addr add 192.0.2.1/24 dev lc0

for r in $(seq 1 "$RUNS"); do
	ip netns exec "$NS" strace -f -T -e trace=bpf -o "$WORK/strace.$r" \
		"$TIU" up lc0 --decap "$DECAP" --endpoint remote=192.0.2.2:5201 >"$WORK/up.$r" 2>&1 ||
		{ echo "loadcost.sh: tiu up failed:" >&2; cat "$WORK/up.$r" >&2; exit 1; }
	if [ "$r" = "$RUNS" ]; then
		ip netns exec "$NS" "$TIU" status lc0 -j >"$WORK/status.json" || exit 1
		IDS=$(grep -o '"prog_id":[0-9]*' "$WORK/status.json" | cut -d: -f2 | tr '\n' ' ')
		# shellcheck disable=SC2086
		"$BUILD/bench/proginsns" $IDS >"$WORK/insns" || exit 1
	fi
	ip netns exec "$NS" "$TIU" down lc0 --purge >/dev/null 2>&1 || { echo "loadcost.sh: tiu down failed" >&2; exit 1; }
done
perl -e '
	my ($runs, $insns, @files) = @ARGV;
	my (%t, %ins, %seen);
	for my $f (@files) {
		open my $h, "<", $f or die;
		my %s;
		while (<$h>) {
			next unless /BPF_PROG_LOAD.*prog_name="([^"]*)".*<([0-9.]+)>/;
			$s{$1} += $2;
		}
		$t{$_}[@{$t{$_} // []}] = $s{$_} for keys %s;
	}
	open my $h, "<", $insns or die;
	while (<$h>) { my @f = split; $ins{$f[0]} = $f[2]; }
	sub med { my @v = sort { $a <=> $b } @_; $v[$#v / 2] }
	print "| program | BPF_PROG_LOAD s (median of $runs) | verified_insns |\n|---|---:|---:|\n";
	my ($ts, $ti) = (0, 0);
	for my $p (sort keys %t) {
		my $m = med(@{$t{$p}});
		$ts += $m; $ti += $ins{$p} // 0;
		printf "| %s | %.3f | %s |\n", $p, $m, $ins{$p} // "-";
	}
	printf "| **total** | **%.3f** | **%d** |\n", $ts, $ti;
' "$RUNS" "$WORK/insns" "$WORK"/strace.*
