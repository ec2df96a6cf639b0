#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end matrix: TCP and MPTCP through real middleboxes (nftables in a
# middle namespace), tiu on the client and the server through the real
# loader. One TAP line per run; the checks of each run are in
# tests/e2e/verdict.py. Sizes: MAIN_BYTES (50 MB each way) for the main IPv4
# and IPv6 runs, SMALL_BYTES (5 MB each way) for the rest of the matrix,
# LOSS_BYTES (2 MB each way) through the lossy middleboxes.
#   E2E_KEEP=1 keeps the work directory (captures of failed runs are always kept).
set -u
cd "$(dirname "$0")/.." || exit 1
source tests/e2e/lib.sh

MAIN_BYTES=${MAIN_BYTES:-50000000}
SMALL_BYTES=${SMALL_BYTES:-5000000}
LOSS_BYTES=${LOSS_BYTES:-2000000}

# label family proto middlebox decap tx bytes
RUNS=(
	"main-v4-tcp-droptcp-native-txoff 4 tcp droptcp native off $MAIN_BYTES"
	"main-v6-tcp-droptcp-native-txon 6 tcp droptcp native on $MAIN_BYTES"
)
for fam in 4 6; do
	for mode in native skb tc; do
		for tx in off on; do
			RUNS+=("v$fam-tcp-droptcp-$mode-tx$tx $fam tcp droptcp $mode $tx $SMALL_BYTES")
		done
	done
done
RUNS+=(
	"v4-mptcp-stripmptcp-native-txoff 4 mptcp stripmptcp native off $SMALL_BYTES"
	"v6-mptcp-stripmptcp-native-txon 6 mptcp stripmptcp native on $SMALL_BYTES"
	"v4-mptcp-stripmptcp-tc-txon 4 mptcp stripmptcp tc on $SMALL_BYTES"
	"v6-mptcp-stripmptcp-skb-txoff 6 mptcp stripmptcp skb off $SMALL_BYTES"
	"v4-tcp-nat-native-txoff 4 tcp nat native off $SMALL_BYTES"
	"v6-tcp-nat-tc-txon 6 tcp nat tc on $SMALL_BYTES"
	"v4-mptcp-nat-native-txon 4 mptcp nat native on $SMALL_BYTES"
	"v4-tcp-loss1-native-txoff 4 tcp loss1 native off $LOSS_BYTES"
	"v6-tcp-loss5-tc-txon 6 tcp loss5 tc on $LOSS_BYTES"
	"v4-mptcp-loss1-skb-txoff 4 mptcp loss1 skb off $LOSS_BYTES"
)
NCONTROL=2
# router decap: label family client-decap bytes
ROUTER_RUNS=(
	"router-decap-v4-client-native 4 native $SMALL_BYTES"
	"router-decap-v6-client-tc 6 tc $SMALL_BYTES"
)

need_root
need_tiu
need_cmd tcpdump nft ethtool nstat python3 nsenter

tap_plan $((NCONTROL + ${#RUNS[@]} + ${#ROUTER_RUNS[@]}))
e2e_init
T0=$(date +%s)
topo_up || bail "topology"

# waiver LABEL: " -- WAIVED: ..." when the run passed only through the
# MPTCP join re-basing waiver (verdict.py's kernel_issue), so that the TAP
# line itself says so; tests/mptcpwire.t proves that the waiver excuses that
# kernel fault alone and no damage tiu could do.
waiver() {
	python3 - "$WORK/results.jsonl" "$1" <<'PY' 2>/dev/null
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r['label'] == sys.argv[2] and r.get('kernel_issue'):
        print(' -- WAIVED: %s (tests/mptcpwire.t: the waiver covers no tiu fault)' % r['kernel_issue'])
PY
}
# timed FUNCTION LABEL ARGS...: one run, one TAP line with its wall time
timed() { local f=$1 s0=$SECONDS rc; shift; "$f" "$@" 90; rc=$?; result $rc "$1 ($((SECONDS - s0)) s)$(waiver "$1")"; }

# Controls without tiu: the middleboxes do break what they should, and it
# is the middlebox that does it: its rule's counter moves (another error -
# no route, a refusal - is not the middlebox's doing).
# mbox_hits: the packets the middlebox's one rule has counted; nothing
# (status 1) when the ruleset cannot be read
mbox_hits() {
	local o
	o=$(in_ns $R nft list table inet tiue) || return 1
	sed -n 's/.*counter packets \([0-9]*\) bytes.*/\1/p' <<<"$o" | head -n 1 | grep .
}
mbox droptcp
h0=$(mbox_hits)
xfer_run ctl-droptcp 4 tcp 100000 5 >/dev/null 2>&1
err=$(xfer_field ctl-droptcp client error 2>/dev/null)
h1=$(mbox_hits)
echo "# without tiu, plain TCP through the TCP-dropping middlebox: ${err:-connected}; the drop rule counted ${h0:-?} -> ${h1:-?} packets"
# the connect timed out (the SYNs vanished) and the rule dropped them
grep -qi 'timed out' <<<"$err" && [ "${h1:-0}" -gt "${h0:-x}" ]
result $? "control: without tiu, TCP does not cross the TCP-dropping middlebox (its SYNs dropped by the rule)"

mbox stripmptcp
nstat_reset $C
h0=$(mbox_hits)
xfer_run ctl-strip 4 mptcp 1000000 10 >/dev/null 2>&1
h1=$(mbox_hits)
fb="$(xfer_field ctl-strip client fallback 2>/dev/null) $(xfer_field ctl-strip client subflows_max 2>/dev/null)"
echo "# without tiu, MPTCP through the option-stripping middlebox: fallback, subflows = $fb; the strip rule counted ${h0:-?} -> ${h1:-?};" \
	"$(nstat_json $C | python3 -c 'import json,sys; k=json.load(sys.stdin)["kernel"]; print(" ".join("%s=%d" % (n[9:], v) for n, v in k.items() if n.startswith("MPTcpExt") and "Fallback" in n and v))')"
[ "${fb%% *}" = True ] && [ -z "$(xfer_field ctl-strip client error 2>/dev/null)" ] &&
	[ "${h1:-0}" -gt "${h0:-x}" ]
result $? "control: without tiu, MPTCP falls back to TCP through the option-stripping middlebox (the rule stripped its options)"

for r in "${RUNS[@]}"; do
	set -- $r
	echo "# run $1: IPv$2 $3 through '$4', decap $5, sender TX checksum offload $6, $7 bytes each way"
	timed e2e_run "$@"
done

for r in "${ROUTER_RUNS[@]}"; do
	set -- $r
	echo "# run $1: IPv$2 tcp, decap on the middlebox (TC, egress TX offload off), client decap $3, $4 bytes each way"
	timed e2e_router_run "$@"
done

# Summary of the matrix
[ -f "$WORK/results.jsonl" ] && python3 - "$WORK/results.jsonl" "$(( $(date +%s) - T0 ))" <<'PY'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])] if sys.argv[1] else []
print('# matrix: %d runs through tiu, %d passed (%d of them under the MPTCP join re-basing waiver); '
      '%d packets checked on the middlebox links; %d bytes hashed (%.1f MB); %s s wall' % (
          len(rs), sum(r['ok'] for r in rs), sum(bool(r['ok'] and r.get('kernel_issue')) for r in rs),
          sum(r['packets_checked'] for r in rs),
          sum(r['bytes_hashed'] for r in rs), sum(r['bytes_hashed'] for r in rs) / 1e6, sys.argv[2]))
print('# %-36s %4s %12s %9s %7s %8s %7s %8s' % ('run', 'ok', 'bytes', 'packets', 'Mbit/s', 'retrans', 'softnet', 'subflows'))
for r in rs:
    print('# %-36s %4s %12d %9d %7.0f %8d %7d %8s' % (r['label'], 'ok' if r['ok'] else 'FAIL', r['bytes_hashed'],
          r['packets_checked'], r['mbit_s'], r['retrans'], r['softnet_drops'], r['subflows'] or '-'))
for r in rs:
    if r.get('kernel_issue'):
        print('# %s: known kernel issue: %s' % (r['label'], r['kernel_issue']))
PY
tap_done
