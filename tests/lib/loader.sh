# SPDX-License-Identifier: GPL-2.0
# tests/lib/loader.sh - TAP helpers and the two-namespace rig of
# tests/loader.t. Sourced, bash.
#
#   ns A (la 10.78.0.1 fd78::1) ---- veth ---- ns B (lb 10.78.0.2 fd78::2)
#
# Namespaces are named tiul-PID-a / tiul-PID-b. lt_cleanup (the EXIT trap)
# takes tiu down on every interface the tests brought up, kills the
# processes started here by pid, deletes the namespaces, and unmounts the
# host's bpffs if the tests mounted it.

LT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=$(cd "$LT_DIR/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
TIU=${TIU:-$BUILD/tiu}
XFER=$ROOT/tests/lib/xfer.py

A4=10.78.0.1 B4=10.78.0.2 A6=fd78::1 B6=fd78::2
PORT=7001

LT_N=0 LT_FAIL=0 LT_PIDS=() LT_MOUNTED_BPFFS=
LT_WORK=

ok()     { LT_N=$((LT_N + 1)); echo "ok $LT_N - $*"; }
not_ok() { LT_N=$((LT_N + 1)); LT_FAIL=$((LT_FAIL + 1)); echo "not ok $LT_N - $*"; }
skip()   { LT_N=$((LT_N + 1)); echo "ok $LT_N # skip $*"; }
diag()   { sed 's/^/# /' >&2; }
# check "description" command...: ok if the command succeeds
check()  { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }

# tiu in namespace A or B, through nsenter (keeps the host's mount
# namespace, so the pins stay visible) and bounded in time.
tiu_a() { timeout 30 nsenter --net=/run/netns/"$NA" "$TIU" "$@"; }
tiu_b() { timeout 30 nsenter --net=/run/netns/"$NB" "$TIU" "$@"; }
in_a()  { timeout 60 ip netns exec "$NA" "$@"; }
in_b()  { timeout 60 ip netns exec "$NB" "$@"; }

# Pin directory of namespace A or B, as tiu computes it (netns-COOKIE).
pins_of() { "tiu_$1" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["pin_dir"])'; }
pins_a() { [ -n "${PINS_A:-}" ] || PINS_A=$(pins_of a); echo "$PINS_A"; }

# Everything that tiu could leave behind in namespace A, as text: links,
# qdiscs, TC filters, XDP, pins of A, tiu's notes in /run/tiu.
snapshot_a() {
	in_a ip -o link show | sed 's/^[0-9]*: //; s/ link\/.*//; s/state [A-Z]* //'
	in_a tc qdisc show dev la
	in_a tc filter show dev la ingress
	in_a tc filter show dev la egress
	in_a ip -d link show dev la | grep -o 'prog/xdp.*' || true
	find "$(pins_a)" 2>/dev/null
	find "/run/tiu/$(basename "$(pins_a)")" 2>/dev/null
}

lt_setup() {
	NA=tiul-$$-a NB=tiul-$$-b
	LT_WORK=$(mktemp -d /tmp/tiul.$$.XXXX)
	trap lt_cleanup EXIT
	trap 'exit 130' INT TERM
	if [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" != bpf_fs ]; then
		mount -t bpf bpf /sys/fs/bpf && LT_MOUNTED_BPFFS=1
	fi
	ip netns add "$NA" && ip netns add "$NB" || return 1
	ip link add la netns "$NA" type veth peer name lb netns "$NB" || return 1
	in_a ip addr add $A4/24 dev la && in_b ip addr add $B4/24 dev lb &&
	in_a ip addr add $A6/64 dev la nodad && in_b ip addr add $B6/64 dev lb nodad &&
	in_a ip link set la up && in_b ip link set lb up &&
	in_a ip link set lo up && in_b ip link set lo up || return 1
	# the detour pair of la is named after its ifindex
	IDX=$(in_a cat /sys/class/net/la/ifindex)
	DA=tiu${IDX}d PA=tiu${IDX}p
}

lt_cleanup() {
	local p ns
	trap - EXIT INT TERM
	for p in "${LT_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	[ -e /run/netns/"${NA:-none}" ] && tiu_a down la --purge >/dev/null 2>&1
	[ -e /run/netns/"${NB:-none}" ] && tiu_b down lb --purge >/dev/null 2>&1
	for ns in ${NA:-} ${NB:-}; do
		[ -e /run/netns/"$ns" ] || continue
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		ip netns del "$ns"
	done
	for p in "${LT_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	rmdir /sys/fs/bpf/tiu 2>/dev/null
	[ -n "$LT_MOUNTED_BPFFS" ] && umount /sys/fs/bpf
	[ -n "$LT_WORK" ] && rm -rf "$LT_WORK"
	return 0
}

# A foreign TC and XDP program (not tiu's) for the "leave others alone" tests.
build_foreign() {
	cat > "$LT_WORK/foreign_xdp.bpf.c" <<-'EOF'
	#include <linux/bpf.h>
	#include <bpf/bpf_helpers.h>
	SEC("xdp") int foreign_xdp(struct xdp_md *ctx) { return XDP_PASS; }
	char _license[] SEC("license") = "GPL";
	EOF
	cat > "$LT_WORK/foreign_tc.bpf.c" <<-'EOF'
	#include <linux/bpf.h>
	#include <bpf/bpf_helpers.h>
	SEC("tc") int foreign_tc(struct __sk_buff *skb) { return -1; /* TC_ACT_UNSPEC */ }
	char _license[] SEC("license") = "GPL";
	EOF
	local f
	for f in foreign_xdp foreign_tc; do
		clang -O2 -g -target bpf -I/usr/include/"$(cc -dumpmachine)" \
			-c "$LT_WORK/$f.bpf.c" -o "$LT_WORK/$f.bpf.o" || return 1
	done
}

# Bidirectional transfer A (client) -> B (server) through the tunnel;
# sets XFER_OK when both SHA-256 pairs match. $1: server address.
xfer() {
	local srv=$1 bytes=${2:-4000000} i crc
	rm -f "$LT_WORK"/s.json* "$LT_WORK"/c.json*
	in_b python3 "$XFER" server --bind "$srv" --port $PORT --send "$bytes" \
		--out "$LT_WORK/s.json" --timeout 40 &
	local spid=$!
	# the server touches s.json.ready once it listens
	for i in $(seq 200); do [ -e "$LT_WORK/s.json.ready" ] && break; sleep 0.05; done
	in_a python3 "$XFER" client --connect "$srv" --port $PORT --send "$bytes" \
		--out "$LT_WORK/c.json" --timeout 40
	crc=$?
	[ $crc = 0 ] || kill $spid 2>/dev/null
	wait $spid
	python3 - "$LT_WORK/c.json" "$LT_WORK/s.json" <<-'EOF'
	import json, sys
	try:
	    c, s = (json.load(open(f)) for f in sys.argv[1:])
	except OSError as e:
	    print("# no result:", e); sys.exit(1)
	if c.get("error") or s.get("error"):
	    print("# client error:", c.get("error"), "/ server error:", s.get("error")); sys.exit(1)
	ok = c["sent_sha256"] == s["received_sha256"] and s["sent_sha256"] == c["received_sha256"] \
	     and c["sent"] == s["received"] and s["sent"] == c["received"] and c["sent"] > 0
	print(f"# client sent {c['sent']} got {c['received']}, server sent {s['sent']} got {s['received']}")
	sys.exit(0 if ok else 1)
	EOF
}

# counter NAME of the interface, from `tiu stats --json`; $1: a|b
counter() {
	local side=$1 name=$2
	"tiu_$side" stats --json | python3 -c "import json,sys; print(json.load(sys.stdin)['interfaces'][0]['counters']['$name'])"
}
