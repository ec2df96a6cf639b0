#!/usr/bin/env bash
# tests/robust.t - loader faults, a soak and security checks (TAP).
#
#   tests/robust.t [--soak SECONDS] [--kills N]    defaults: 60 s, 50 kills
#   `make soak` runs: tests/robust.t --soak 600
#
# Two namespaces tiur-PID-a (client, a0 10.88.1.1 fd88::1) and tiur-PID-b
# (server, b0 10.88.1.2 fd88::2), joined by a veth pair. tiu runs through
# nsenter (host mount namespace) with its pins in a private bpffs mounted
# under /tmp/tiur-PID: the host's /sys/fs/bpf is never touched. Everything
# (namespaces, mounts, processes started here) is removed by the EXIT trap.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
SOAK=60 KILLS=50
while [ $# -gt 0 ]; do
	case $1 in
	--soak) SOAK=$2; shift 2 ;;
	--kills) KILLS=$2; shift 2 ;;
	*) echo "usage: $0 [--soak SECONDS] [--kills N]" >&2; exit 2 ;;
	esac
done

n=0 fails=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }
note() { echo "# $*"; }

if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root (namespaces, BPF)"; exit 0; fi
if [ ! -x "$BUILD/tiu" ]; then echo "1..0 # SKIP $BUILD/tiu not built (make build/tiu)"; exit 0; fi
for c in nsenter ip tc nft python3 timeout; do
	command -v $c >/dev/null || { echo "1..0 # SKIP $c missing"; exit 0; }
done

A=tiur-$$-a B=tiur-$$-b
WORK=/tmp/tiur-$$
PINS=$WORK/bpf/tiu
PIDS=()
cleanup() {
	local p
	trap - EXIT INT TERM
	exec 2>/dev/null
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	for ns in $A $B; do
		[ -e /run/netns/$ns ] || continue
		nsenter --net=/run/netns/$ns "$TIU" down a0 --purge --pin-dir "$PINS" >/dev/null 2>&1
		nsenter --net=/run/netns/$ns "$TIU" down b0 --purge --pin-dir "$PINS" >/dev/null 2>&1
		for p in $(ip netns pids $ns 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		ip netns del $ns 2>/dev/null
	done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	for m in $(awk -v w="$WORK" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$WORK/bpf" "$WORK/bin"
cp "$BUILD/tiu" "$WORK/bin/tiu"   # a rebuild during the run must not change the binary
TIU=$WORK/bin/tiu
mount -t bpf bpf "$WORK/bpf" || { echo "1..0 # SKIP cannot mount a bpffs"; exit 0; }

tiu_a() { timeout 30 nsenter --net=/run/netns/$A "$TIU" "$@"; }
tiu_b() { timeout 30 nsenter --net=/run/netns/$B "$TIU" "$@"; }
in_a() { timeout "${T:-30}" ip netns exec $A "$@"; }
in_b() { timeout "${T:-30}" ip netns exec $B "$@"; }

make_link() {
	ip link add a0 netns $A type veth peer name b0 netns $B || return 1
	ip -n $A addr add 10.88.1.1/24 dev a0 && ip -n $A addr add fd88::1/64 dev a0 nodad
	ip -n $B addr add 10.88.1.2/24 dev b0 && ip -n $B addr add fd88::2/64 dev b0 nodad
	ip -n $B addr add 10.88.1.3/24 dev b0   # a peer that is no endpoint
	ip -n $A link set a0 up && ip -n $B link set b0 up && ip -n $A link set lo up && ip -n $B link set lo up
}
ip netns add $A && ip netns add $B && make_link || { echo "1..0 # SKIP cannot create namespaces/veth"; exit 0; }

# What tiu leaves on namespace $1, interface $2: empty when clean.
leftovers() {
	local ns=$1 ifc=$2 out=
	ip -n $ns link show dev $ifc 2>/dev/null | grep -q 'prog/xdp\|xdpgeneric\| xdp ' && out+=" xdp-on-$ifc"
	for dir in egress ingress; do
		tc -n $ns filter show dev $ifc $dir 2>/dev/null | grep -q 'tiu_\|handle 0x7469' && out+=" tc-$dir-filter"
	done
	ip -n $ns -o link show 2>/dev/null | grep -qE ': tiu[0-9]+[dp][@:]' && out+=" detour:$(ip -n $ns -o link show | grep -oE 'tiu[0-9]+[dp]' | sort -u | tr '\n' ,)"
	[ -n "$(ls -A "$PINS" 2>/dev/null)" ] && out+=" pins:$(ls "$PINS" | tr '\n' ,)"
	echo "$out"
}

UP_A=(a0 --endpoint remote=10.88.1.2:7001 --endpoint "remote=[fd88::2]:7001" --pin-dir "$PINS")
UP_B=(b0 --endpoint "local=*:7001" --pin-dir "$PINS")

# ------------------------------------------------------------- kill -9 --
t0=$(date +%s%N)
tiu_a up "${UP_A[@]}" >/dev/null 2>&1
up_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
tiu_a down a0 --purge --pin-dir "$PINS" >/dev/null 2>&1
check "baseline: up then down --purge leaves a0 clean (up took ${up_ms} ms)" test -z "$(leftovers $A a0)"

RANDOM=$$
bad=0 recovered=0 kill_up=0 kill_down=0 killed_done=0 msgs=
for i in $(seq 1 "$KILLS"); do
	ms=$((RANDOM % (up_ms + 50)))
	if [ $((i % 3)) = 0 ]; then
		tiu_a up "${UP_A[@]}" >/dev/null 2>&1
		nsenter --net=/run/netns/$A "$TIU" down a0 --pin-dir "$PINS" >/dev/null 2>&1 &
		kill_down=$((kill_down + 1))
	else
		nsenter --net=/run/netns/$A "$TIU" up "${UP_A[@]}" >/dev/null 2>&1 &
		kill_up=$((kill_up + 1))
	fi
	p=$!
	sleep "$(printf '0.%03d' "$ms")"
	kill -9 $p 2>/dev/null || killed_done=$((killed_done + 1))
	wait $p 2>/dev/null
	out=$(tiu_a down a0 --purge --pin-dir "$PINS" 2>&1); rc=$?
	left=$(leftovers $A a0)
	if [ $rc != 0 ] || [ -n "$left" ]; then
		bad=$((bad + 1)); msgs+=" [#$i after ${ms} ms: rc=$rc${left:+ left:$left} $(echo "$out" | head -1)]"
		tiu_a down a0 --purge --pin-dir "$PINS" >/dev/null 2>&1
	else
		recovered=$((recovered + 1))
	fi
done
note "kill -9: $kill_up during up, $kill_down during down, at 0-$((up_ms + 50)) ms; $killed_done had already finished"
check "kill -9 at random points of up/down, $KILLS times: down --purge recovered $recovered/$KILLS${msgs:+;$msgs}" test $bad = 0

# the loader's own crash points
bad= 
for step in pins detour links endpoints detour-prog decap egress; do
	( TIU_TEST_CRASH_AT=$step timeout 30 nsenter --net=/run/netns/$A "$TIU" up "${UP_A[@]}"; true ) >/dev/null 2>&1
	tiu_a down a0 --purge --pin-dir "$PINS" >/dev/null 2>&1 || bad+=" $step(down-rc)"
	left=$(leftovers $A a0); [ -z "$left" ] || bad+=" $step:$left"
done
check "crash (SIGKILL) after each step of up, then down --purge: clean${bad:+ -- failed:$bad}" test -z "$bad"

# ---------------------------------------------------- concurrent up --
nsenter --net=/run/netns/$A "$TIU" up "${UP_A[@]}" >"$WORK/c1" 2>&1 & p1=$!
nsenter --net=/run/netns/$A "$TIU" up "${UP_A[@]}" >"$WORK/c2" 2>&1 & p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
note "concurrent up: rc $r1 ($(head -1 "$WORK/c1")), rc $r2 ($(head -1 "$WORK/c2"))"
st=$(tiu_a status --pin-dir "$PINS" 2>&1)
ndet=$(ip -n $A -o link show | grep -cE ': tiu[0-9]+d[@:]')
nfil=$(tc -n $A filter show dev a0 egress | grep -c 'handle 0x7469')
check "two concurrent up on a0: at least one succeeds, a failure says why (rc $r1/$r2)" \
	test $((r1 == 0 || r2 == 0)) = 1 -a \( $r1 = 0 -o -s "$WORK/c1" \) -a \( $r2 = 0 -o -s "$WORK/c2" \)
check "after concurrent up: one detour, one egress filter, XDP attached, status shows it" \
	test "$ndet" = 1 -a "$nfil" = 1 -a -n "$(ip -n $A link show a0 | grep prog/xdp)" -a -n "$(echo "$st" | grep 'xdp: tiu_xdp_decap')"
note "after concurrent up: detour devices $ndet, egress filters $nfil, XDP: $(ip -n $A link show a0 | grep -c prog/xdp)"
tiu_a down a0 --purge --pin-dir "$PINS" >/dev/null 2>&1
check "down --purge after concurrent up: clean ($(leftovers $A a0))" test -z "$(leftovers $A a0)"
# start the next checks from a clean a0 whatever happened
for d in $(ip -n $A -o link show | grep -oE 'tiu[0-9]+d' | sort -u); do ip -n $A link del "$d" 2>/dev/null; done

# ------------------------------------------- interface removed while up --
tiu_a up "${UP_A[@]}" >/dev/null 2>&1
ip -n $A link del a0
out=$(tiu_a down a0 --purge --pin-dir "$PINS" 2>&1); rc=$?
note "down --purge of a removed interface: rc $rc: $(echo "$out" | head -2 | tr '\n' ' ')"
det=$(ip -n $A -o link show | grep -oE 'tiu[0-9]+[dp]' | sort -u | tr '\n' ' ')
check "interface removed while up: down --purge leaves no detour device (${det:-none}) and no pins ($(ls "$PINS" 2>/dev/null | tr '\n' ' '))" \
	test -z "$det" -a -z "$(ls -A "$PINS" 2>/dev/null)"
for d in $det; do ip -n $A link del "$d" 2>/dev/null; done
rm -f "$PINS"/* 2>/dev/null; rmdir "$PINS" 2>/dev/null
make_link >/dev/null 2>&1

# ------------------------------------------------ pins on a non-bpffs --
mkdir -p "$WORK/notbpf"
out=$(tiu_a up a0 --endpoint remote=10.88.1.2:7001 --pin-dir "$WORK/notbpf/tiu" 2>&1); rc=$?
note "up with pins on a plain directory: rc $rc: $(echo "$out" | head -1)"
left=$(PINS=$WORK/notbpf/tiu leftovers $A a0)
check "pin directory not on bpffs (bpffs unmounted): clear error, nothing attached${left:+ -- left:$left}" \
	test $rc != 0 -a -n "$out" -a -z "$left"
tiu_a down a0 --purge --pin-dir "$WORK/notbpf/tiu" >/dev/null 2>&1

mkdir -p "$WORK/robpf" && mount -t bpf -o ro bpf "$WORK/robpf"
out=$(tiu_a up a0 --endpoint remote=10.88.1.2:7001 --pin-dir "$WORK/robpf/tiu" 2>&1); rc=$?
note "up with a read-only bpffs: rc $rc: $(echo "$out" | head -1)"
left=$(PINS=$WORK/robpf/tiu leftovers $A a0)
check "read-only pin directory: clear error, nothing attached${left:+ -- left:$left}" \
	test $rc != 0 -a -n "$out" -a -z "$left"
tiu_a down a0 --purge --pin-dir "$WORK/robpf/tiu" >/dev/null 2>&1
umount "$WORK/robpf"

# ------------------------------------------------------------- tunnel --
tiu_a up "${UP_A[@]}" >/dev/null 2>&1 && tiu_b up "${UP_B[@]}" >/dev/null 2>&1
check "tiu up on both ends" test -n "$(ip -n $A link show a0 | grep prog/xdp)" -a -n "$(ip -n $B link show b0 | grep prog/xdp)"

cat >"$WORK/srv.py" <<'PY'
import socket, threading, sys
def serve(c):
    try:
        c.settimeout(60)
        while True:
            d = c.recv(65536)
            if not d: break
            c.sendall(d)
    except Exception: pass
    finally: c.close()
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", int(sys.argv[1]))); s.listen(256)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
cat >"$WORK/cli.py" <<'PY'
# cli.py SECONDS: short echo connections (v4 and v6, 4 threads) and one long
# transfer per family, until SECONDS; prints counts. A connection that does
# not finish within 20 s is stuck.
import socket, threading, time, os, sys, hashlib
end = time.time() + float(sys.argv[1])
st = {"short": 0, "bytes": 0, "fail": 0, "long": 0, "why": []}
lk = threading.Lock()
def xfer(addr, size, chunk=65536):
    s = socket.create_connection((addr, 7001), timeout=20)
    s.settimeout(20)
    data = os.urandom(min(size, 1 << 20))
    want = hashlib.sha256(); got = hashlib.sha256(); sent = rcvd = 0
    def rx():
        nonlocal rcvd
        while rcvd < size:
            d = s.recv(262144)
            if not d: break
            got.update(d); rcvd += len(d)
    t = threading.Thread(target=rx); t.start()
    while sent < size:
        part = data[: min(chunk, size - sent)]
        s.sendall(part); want.update(part); sent += len(part)
    t.join(30)
    s.close()
    if rcvd != size or want.digest() != got.digest():
        raise Exception("echo mismatch %d/%d" % (rcvd, size))
    return size
def short(addr):
    while time.time() < end:
        try:
            n = xfer(addr, int.from_bytes(os.urandom(2), "big") + 1)
            with lk: st["short"] += 1; st["bytes"] += n
        except Exception as e:
            with lk: st["fail"] += 1; st["why"].append("%s short: %s" % (addr, e))
def long(addr):
    while time.time() < end:
        try:
            n = xfer(addr, 32 << 20)
            with lk: st["long"] += 1; st["bytes"] += n
        except Exception as e:
            with lk: st["fail"] += 1; st["why"].append("%s long: %s" % (addr, e))
ts = [threading.Thread(target=f, args=(a,)) for a in ("10.88.1.2", "fd88::2") for f in (short, short, long)]
for t in ts: t.start()
for t in ts: t.join()
print("short %d long %d bytes %d fail %d %s" % (st["short"], st["long"], st["bytes"], st["fail"], "; ".join(st["why"][:3])))
PY
nft_loss() { # 1% loss of the tunnelled TCP on both ends (before conversion)
	ip netns exec $1 nft -f - <<NFT
table inet tiur_loss {
	chain out {
		type filter hook output priority 0;
		meta l4proto tcp th $2 7001 numgen random mod 100 < 1 counter drop
	}
}
NFT
}

ip netns exec $B python3 "$WORK/srv.py" 7001 & PIDS+=($!)
sleep 0.5
T=20 in_a python3 "$WORK/cli.py" 2 > "$WORK/quick" 2>&1
check "tunnelled echo works before the soak: $(cat "$WORK/quick")" grep -q 'fail 0' "$WORK/quick"

# ---------------------------------------------------------------- soak --
nft_loss $A dport && nft_loss $B sport
ip netns exec $A tcpdump -i a0 -Q out -nn -s 96 -w "$WORK/a0.pcap" 'tcp port 7001' >/dev/null 2>&1 & PIDS+=($!)
ip netns exec $B tcpdump -i b0 -Q out -nn -s 96 -w "$WORK/b0.pcap" 'tcp port 7001' >/dev/null 2>&1 & PIDS+=($!)
ip netns exec $A nstat -n >/dev/null 2>&1; ip netns exec $B nstat -n >/dev/null 2>&1
ep0=$(tiu_a endpoint list a0 --pin-dir "$PINS" 2>/dev/null | wc -l)
(
	i=0
	while [ ! -e "$WORK/stop" ]; do
		i=$((i + 1))
		tiu_a endpoint add a0 "remote=10.88.1.9:$((7100 + i % 50))" --pin-dir "$PINS" >/dev/null 2>&1
		tiu_b endpoint add b0 "local=[fd88::2]:$((7100 + i % 50))" --pin-dir "$PINS" >/dev/null 2>&1
		sleep 2
		tiu_a endpoint del a0 "remote=10.88.1.9:$((7100 + i % 50))" --pin-dir "$PINS" >/dev/null 2>&1
		tiu_b endpoint del b0 "local=[fd88::2]:$((7100 + i % 50))" --pin-dir "$PINS" >/dev/null 2>&1
		echo $i > "$WORK/churn"
		sleep 1
	done
) & churn=$!; PIDS+=($churn)
T=$((SOAK + 120)) in_a python3 "$WORK/cli.py" "$SOAK" > "$WORK/soak" 2>&1
touch "$WORK/stop"; T=20 timeout 20 tail --pid=$churn -f /dev/null; kill $churn 2>/dev/null; wait $churn 2>/dev/null
sleep 1
ep1=$(tiu_a endpoint list a0 --pin-dir "$PINS" 2>/dev/null | wc -l)
csum=$( { ip netns exec $A nstat -az TcpInCsumErrors UdpInCsumErrors Udp6InCsumErrors; ip netns exec $B nstat -az TcpInCsumErrors UdpInCsumErrors Udp6InCsumErrors; } 2>/dev/null | awk '/Csum/ { s += $2 } END { print s + 0 }')
retr=$(ip netns exec $A nstat -az TcpRetransSegs 2>/dev/null | awk '/Retrans/ { print $2 }')
drops=$(ip netns exec $A nft list table inet tiur_loss 2>/dev/null | grep -o 'packets [0-9]*' | awk '{ print $2 }')
sa=$(tiu_a stats a0 --pin-dir "$PINS" 2>&1); sb=$(tiu_b stats b0 --pin-dir "$PINS" 2>&1)
note "soak ${SOAK} s: $(cat "$WORK/soak"); endpoint add/del cycles: $(cat "$WORK/churn" 2>/dev/null || echo 0); 1% loss dropped ${drops:-?} segments on a; retransmissions (a) ${retr:-?}"
note "client stats: $(echo "$sa" | grep -E 'converted|detoured|drop' | awk '$2 != 0' | tr -s ' ' | tr '\n' ';')"
note "server stats: $(echo "$sb" | grep -E 'converted|detoured|drop' | awk '$2 != 0' | tr -s ' ' | tr '\n' ';')"
check "soak: connections completed, none stuck or corrupted" grep -qE 'short [1-9][0-9]* long [1-9][0-9]* bytes [0-9]+ fail 0' "$WORK/soak"
check "soak: no TCP/UDP checksum errors in either namespace ($csum)" test "$csum" = 0
check "soak: endpoint map back to its size after the add/del churn ($ep0 -> $ep1 entries)" test "$ep0" = "$ep1"
for p in "${PIDS[@]:1}"; do kill "$p" 2>/dev/null; done; sleep 0.5
pa=$(tcpdump -r "$WORK/a0.pcap" -nn 2>/dev/null | wc -l); pb=$(tcpdump -r "$WORK/b0.pcap" -nn 2>/dev/null | wc -l)
check "soak: no plain TCP to/from the tunnel port left either host ($pa, $pb packets)" test "$pa" = 0 -a "$pb" = 0
ip netns exec $A nft delete table inet tiur_loss; ip netns exec $B nft delete table inet tiur_loss

# ------------------------------------------------------------ security --
ip netns exec $B nft -f - <<NFT
table inet tiur_fw {
	chain in {
		type filter hook input priority 0;
		tcp dport 7001 counter reject with tcp reset
	}
}
NFT
T=20 in_a python3 -c '
import socket
try:
    socket.create_connection(("10.88.1.2", 7001), timeout=5); print("connected")
except Exception as e: print("refused:", e)' > "$WORK/fw" 2>&1
hits=$(ip netns exec $B nft list table inet tiur_fw | grep -o 'packets [0-9]*' | awk '{ print $2 }')
check "an nftables input rule rejecting TCP 7001 also blocks the tunnelled traffic ($(cat "$WORK/fw"), rule hit ${hits:-0} times)" \
	grep -q refused "$WORK/fw"
ip netns exec $B nft delete table inet tiur_fw

# UDP from a peer that is no endpoint (10.88.1.3:7001) to the client: untouched
before=$(tiu_a stats a0 --pin-dir "$PINS" 2>&1 | awk '$1 == "dec_pass" { print $2 }')
cat >"$WORK/udp.py" <<'PY'
import socket, sys
# 40 bytes shaped like a tunnelled segment (length field right, doff 5)
pay = bytes.fromhex("00000000500201f5" "11223344" "55667788") + bytes(range(20))
if sys.argv[1] == "recv":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("10.88.1.1", 40001)); s.settimeout(5)
    d, a = s.recvfrom(2048)
    print("same" if d == pay else "changed", a[0], a[1])
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("10.88.1.3", 7001))
    s.sendto(pay, ("10.88.1.1", 40001))
PY
T=10 in_a python3 "$WORK/udp.py" recv > "$WORK/udp" 2>&1 & r=$!
sleep 0.5; T=5 in_b python3 "$WORK/udp.py" send; wait $r
after=$(tiu_a stats a0 --pin-dir "$PINS" 2>&1 | awk '$1 == "dec_pass" { print $2 }')
check "UDP to the client from a non-endpoint peer (10.88.1.3:7001) arrives untouched ($(cat "$WORK/udp"); dec_pass ${before:-?} -> ${after:-?})" \
	grep -q '^same 10.88.1.3 7001' "$WORK/udp"

tiu_b down b0 --purge --pin-dir "$PINS" >/dev/null 2>&1; tiu_a down a0 --purge --pin-dir "$PINS" >/dev/null 2>&1
check "final down --purge on both ends: clean ($(leftovers $A a0)$(leftovers $B b0))" test -z "$(leftovers $A a0)$(leftovers $B b0)"
echo "1..$n"
[ $fails = 0 ]
