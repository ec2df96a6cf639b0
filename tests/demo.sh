#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `sudo make demo`: MPTCP across a middlebox that strips MPTCP options, first
# without tiu (it falls back to plain TCP: one path), then with tiu on the
# client and the server (both subflows, only UDP crosses the middlebox).
# Builds nothing itself (make demo builds first); needs root; leaves nothing
# behind; about half a minute.
set -u
cd "$(dirname "$0")/.." || exit 1
source tests/e2e/lib.sh

BYTES=${DEMO_BYTES:-20000000}
if [ "$(id -u)" != 0 ]; then echo "demo: run as root (sudo make demo)" >&2; exit 1; fi
[ -x "$TIU" ] || { echo "demo: $TIU not built: run make" >&2; exit 1; }

e2e_init
T0=$(date +%s.%N)
say() { printf '%s\n' "$*"; }
mptcp_counters() { # non-zero MPTcpExt counters of interest from an nstat JSON file
	python3 - "$1" <<'PY'
import json, sys
k = json.load(open(sys.argv[1]))['kernel']
want = ('MPCapableSYNTX', 'MPCapableSYNACKRX', 'MPCapableFallbackSYNACK', 'MPCapableFallbackACK',
        'MPJoinSynTx', 'MPJoinSynAckRx', 'MPFallbackTokenInit', 'MPTCPRetrans')
print('  '.join('%s=%d' % (n, k.get('MPTcpExt' + n, 0)) for n in want if k.get('MPTcpExt' + n, 0)) or '(none)')
PY
}

say "tiu demo: client --(2 links)--> middlebox --> server, network namespaces $C $R $S"
say "middlebox: nftables forward chain 'tcp option mptcp exists reset tcp option mptcp'"
say "           (what some performance-enhancing proxies do to MPTCP)"
topo_up || exit 1
mbox stripmptcp || exit 1

# ---- 1. without tiu -------------------------------------------------------
say ""
say "== 1. MPTCP without tiu ($((BYTES / 10 / 1000000)) MB each way, IPv4)"
nstat_reset $C
cap_start plain >/dev/null || exit 1
xfer_run plain 4 mptcp $((BYTES / 10)) 30
cap_stop
nstat_json $C >"$WORK/plain.nstat.cli.json"
sub=$(xfer_field plain client subflows_max)
err=$(xfer_field plain client error)
say "   transfer:      $(xfer_field plain client sent) bytes each way in $(xfer_field plain client seconds) s, error: ${err:-none}"
say "   MPTCP:         fallback to TCP = $(xfer_field plain client fallback), subflows = ${sub:-1}"
say "   client nstat:  $(mptcp_counters "$WORK/plain.nstat.cli.json")"
say "   middlebox:     $(in_ns $R nft list chain inet tiue mbox_forward | grep -o 'counter packets [0-9]*' | sed 's/counter packets/MPTCP options stripped from/') packets"
say "   on the wire:   $(python3 tests/e2e/pcapcheck.py --port $PORT --expect tcp "$WORK"/plain.{rc,rc2,rs}.pcap | python3 -c '
import json, sys
j = json.load(sys.stdin)
n = [f["tcp"] for f in j["files"].values()]
print("%d TCP packets on port %d at the middlebox (client link 1: %d, client link 2: %d, server link: %d)"
      % (sum(n), j["port"], n[0], n[1], n[2]))')"
say "                  the second client link is unused: MPTCP is gone, one path left"
rm -f "$WORK"/plain.*.pcap

# ---- 2. with tiu ----------------------------------------------------------
say ""
say "== 2. MPTCP with tiu ($((BYTES / 1000000)) MB each way, IPv4, XDP decap, sender TX checksum offload off)"
show_up() {
	say "   tiu up c0, c1 (client: remote=$SRV4:$PORT, remote=[$SRV6]:$PORT), s0 (server: local=*:$PORT)"
	tiu_in $C status c0 2>&1 | sed -n 's/^ *\(xdp\|tc egress\|detour\):/   \1:/p' | sed 's/^/  /'
}
E2E_ON_UP=show_up
e2e_run tiu 4 mptcp stripmptcp native off "$BYTES" 60 >"$WORK/verdict.txt" 2>&1
rc=$?
E2E_ON_UP=
grep -v '^#' "$WORK/verdict.txt"
r=$(tail -n1 "$WORK/results.jsonl")
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])$1)" "$r"; }
say "   transfer:      $(field '["bytes_hashed"]') bytes hashed (SHA-256 equal both ways: $( [ $rc = 0 ] && echo yes || echo see below)), $(field '["seconds"]') s"
say "   throughput:    $(field '["mbit_s"]') Mbit/s each way, full duplex, with 3 full-packet captures running"
say "   MPTCP:         fallback = $(xfer_field tiu client fallback), subflows = $(field '["subflows"]')"
say "   client nstat:  $(mptcp_counters "$WORK/tiu.nstat.cli.json")"
say "   tiu counters (tiu stats --json, non-zero):"
for ifc in c0 c1 s0; do
	say "     $ifc: $(counters_nonzero <"$WORK/tiu.stats1.$ifc.json")"
done
say "   on the wire:   $(grep -o 'capture: .*' "$WORK/verdict.txt" | sed 's/capture: //')"
say "                  $(grep -o 'second link carried [0-9]* tunnelled packets' "$WORK/verdict.txt")"
say "   checks:        $(grep -c '^#   ok' "$WORK/verdict.txt") passed, $(grep -c '^#   FAIL' "$WORK/verdict.txt") failed (tests/e2e/verdict.py)"
grep '^#   FAIL' "$WORK/verdict.txt" | sed 's/^#  /  /'
say ""
say "demo $( [ $rc = 0 ] && echo PASSED || echo FAILED) in $(python3 -c "import sys,time; print('%.0f' % (time.time() - float(sys.argv[1])))" "$T0") s; cleaning up"
exit $rc
