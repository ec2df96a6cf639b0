#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# loadcost.t - what `tiu up` asks of the verifier (root, strace):
#   - it loads only the programs the interface uses: with --decap xdp (the
#     default) no TC decap program (BPF_PROG_LOAD calls seen by strace),
#     with --decap tc the TC one and no XDP program;
#   - `tiu status -j` reports each attached program's verified_insns, the
#     kernel's own count (bpf_prog_info, read here by build/bench/proginsns);
#   - each program stays under TIU_INSNS_MAX verified instructions (150,000;
#     on main before the packet context they were 548,000 for tiu_tc_egress
#     and 585,000 for tiu_tc_detour on 6.18): a count, not a time.
# bench/loadcost.sh measures the time.
set -u
cd "$(dirname "$0")/.." || exit 1
source tests/lib/harness.sh

INSNS_MAX=${TIU_INSNS_MAX:-150000}
need_root
need_tiu
need_cmd strace python3
need_built "$BUILD/bench/proginsns"
h_init tiul
h_bpffs
h_ns NS a
ip -n "$NS" link add lc0 type veth peer name lc1 && ip -n "$NS" link set lc0 up &&
	ip -n "$NS" link set lc1 up || bail "cannot create the veth pair in $NS"

# up_traced DECAP: tiu up lc0 under strace; the names of the programs loaded.
up_traced() {
	h_tiu_track "$NS" lc0
	ns_enter "$NS" strace -f -e trace=bpf -o "$H_WORK/strace.$1" timeout 60 "$TIU" up lc0 \
		--decap "$1" --endpoint remote=192.0.2.2:5201 >"$H_WORK/up.$1" 2>&1 ||
		{ cat "$H_WORK/up.$1"; fail "tiu up --decap $1"; return; }
	sed -n 's/.*BPF_PROG_LOAD.*prog_name="\([^"]*\)".*/\1/p' "$H_WORK/strace.$1" | sort -u |
		tee "$H_WORK/loaded.$1" | sed 's/^/loaded: /'
}
loaded() { grep -qx "$2" "$H_WORK/loaded.$1"; }

# insns_ok KEY PROG: status -j's verified_insns of KEY is the kernel's
# count for its prog_id, > 0 and <= INSNS_MAX.
insns_ok() {
	local key=$1 id n k
	read -r id n < <(python3 -c '
import json, sys
i = json.load(open(sys.argv[1]))["interfaces"][0][sys.argv[2]]
print(i["prog_id"], i["verified_insns"])' "$H_WORK/status.json" "$key") ||
		{ fail "status -j: no $key.prog_id or $key.verified_insns"; return; }
	k=$("$BUILD/bench/proginsns" "$id" | awk -v id="$id" '$2 == id { print $3 }')
	echo "$key: prog_id $id, verified_insns $n (bpf_prog_info: $k)"
	[ "$n" = "$k" ] || fail "$key: status says $n, the kernel $k" || return
	[ "$n" -gt 0 ] || fail "$key: 0 verified instructions" || return
	[ "$n" -le "$INSNS_MAX" ] || fail "$key: $n verified instructions, more than $INSNS_MAX"
}

t_xdp() {
	up_traced xdp || return
	loaded xdp tiu_xdp_decap && loaded xdp tiu_tc_egress && loaded xdp tiu_tc_detour ||
		fail "tiu_xdp_decap, tiu_tc_egress or tiu_tc_detour not loaded" || return
	! loaded xdp tiu_tc_decap || fail "tiu_tc_decap loaded, but the XDP program decapsulates"
}
check "tiu up --decap xdp loads the XDP, egress and detour programs, not the TC decap one" t_xdp

t_status_xdp() {
	tiu_in "$NS" status lc0 -j >"$H_WORK/status.json" || fail "tiu status -j" || return
	insns_ok xdp && insns_ok tc_egress && insns_ok detour
}
check "status -j: verified_insns of xdp, tc_egress and detour, as the kernel counts them, <= $INSNS_MAX" t_status_xdp

tiu_in "$NS" down lc0 --purge >/dev/null 2>&1 || bail "tiu down lc0 in $NS failed"

t_tc() {
	up_traced tc || return
	loaded tc tiu_tc_decap && loaded tc tiu_tc_egress ||
		fail "tiu_tc_decap or tiu_tc_egress not loaded" || return
	! loaded tc tiu_xdp_decap || fail "tiu_xdp_decap loaded with --decap tc"
}
check "tiu up --decap tc loads the TC decap program, not the XDP one" t_tc

t_status_tc() {
	tiu_in "$NS" status lc0 -j >"$H_WORK/status.json" || fail "tiu status -j" || return
	insns_ok tc_ingress && insns_ok tc_egress
}
check "status -j: verified_insns of tc_ingress and tc_egress, <= $INSNS_MAX" t_status_tc

tap_done
