#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nobtf.t - tiu on a kernel without BTF (CONFIG_DEBUG_INFO_BTF off, as on
# many routers). The test re-runs itself in a private mount namespace
# (unshare -m) where an empty tmpfs covers /sys/kernel/btf: there tiu finds
# no /sys/kernel/btf/vmlinux, as on such a kernel; the kernel itself still
# has its BTF, which no program of the compat TC object needs.
#
# In that namespace, through the TCP-dropping middlebox of tests/e2e/lib.sh
# (client XDP decap, server TC decap):
#   - `tiu --version`, `tiu up` and `tiu status` (text and JSON) name the
#     reason, no kernel BTF, and what it costs (all tunnelled TCP, control
#     packets too, takes the detour);
#   - a transfer of NOBTF_BYTES (default 2000000) each way, judged by
#     tests/e2e/verdict.py (SHA-256 both ways, only UDP with valid checksums
#     on the middlebox links, counters = captures);
#   - no packet was converted in place (enc_converted 0 on both ends): every
#     one took the detour;
#   - `tiu down` of both ends, nothing left up.
# The private mount namespace ends with the test; the namespaces, pins and
# processes go with the harness's cleanup.
set -u
cd "$(dirname "$0")/.." || exit 1
source tests/e2e/lib.sh

BYTES=${NOBTF_BYTES:-2000000}
BTF=/sys/kernel/btf/vmlinux

need_root
need_tiu
need_cmd unshare tcpdump nft ethtool nstat python3 nsenter

if [ -z "${TIU_NOBTF_INNER:-}" ]; then
	# The host's state, for the first line: does hiding it change anything?
	[ -e $BTF ] && host=present || host=absent
	exec unshare -m --propagation private env TIU_NOBTF_INNER=$host "$0" "$@"
fi

tap_plan 8
e2e_init
mount -t tmpfs -o size=1m tiu-nobtf /sys/kernel/btf || bail "cannot mount a tmpfs over /sys/kernel/btf"
[ ! -e $BTF ]
result $? "no $BTF in this mount namespace (the host's: $TIU_NOBTF_INNER)"

out=$("$TIU" --version 2>&1)
echo "$out" | sed 's/^/# /'
grep -q "ip_summed not readable (no kernel BTF: $BTF missing: all tunnelled TCP takes the detour, control packets too)" <<<"$out"
result $? "tiu --version names the missing kernel BTF and what it costs"

topo_up || bail "topology"
mbox droptcp || bail "middlebox rules"
set_txcsum on

tiu_up $C c0 --decap xdp --xdp-mode native --endpoint "remote=$SRV4:$PORT" --endpoint "remote=[$SRV6]:$PORT" &&
	tiu_up $S s0 --decap tc --endpoint "local=*:$PORT"
rc=$?
cat "$H_WORK"/tiu-up.*.log 2>/dev/null | sed 's/^/# /'
[ $rc = 0 ] && grep -q "TC egress (compat: all tunnelled TCP via detour, no kernel BTF: $BTF missing)" \
	"$H_WORK/tiu-up.$C.c0.log" "$H_WORK/tiu-up.$S.s0.log" &&
	[ "$(grep -l 'no kernel BTF' "$H_WORK/tiu-up.$C.c0.log" "$H_WORK/tiu-up.$S.s0.log" | wc -l)" = 2 ]
result $? "tiu up on both ends loads the compat TC object and says why: no kernel BTF"

st=$(tiu_in $C status c0 2>&1)
js=$(tiu_in $C status c0 --json 2>&1)
grep '^kernel:' <<<"$st" | sed 's/^/# /'
grep -q "^kernel: ip_summed not readable (no kernel BTF: $BTF missing): all tunnelled TCP takes the detour, control packets too;" <<<"$st" &&
	grep -q '"ip_summed_readable":false,"kernel_btf":false' <<<"$js"
result $? "tiu status (text and --json) says: no kernel BTF, all tunnelled TCP takes the detour"

E2E_CAP_LINKS="$R:rc $R:rs" e2e_measure nobtf-v4 4 tcp "$BYTES" 60 c0:rc:client,s0:rs:server &&
	e2e_verdict nobtf-v4 "$BYTES" --peer $CLI4 --ifaces c0:rc:client,s0:rs:server --udp-links rc,rs
result $? "IPv4 transfer of $BYTES bytes each way through the TCP-dropping middlebox: sha256 equal, UDP only, checksums valid, counters = captures"

conv=0 det=0
for ifc in c0 s0; do
	a=$(counter_of enc_converted <"$WORK/nobtf-v4.stats1.$ifc.json")
	b=$(counter_of detour_converted <"$WORK/nobtf-v4.stats1.$ifc.json")
	note "$ifc: enc_converted ${a:-?}, detour_converted ${b:-?}"
	conv=$((conv + ${a:-1})) det=$((det + ${b:-0}))
done
[ "$conv" = 0 ] && [ "$det" -gt 0 ]
result $? "no packet converted in place (enc_converted 0 on both ends), $det through the detour"

tiu_in $C down c0 --purge >"$H_WORK/down.c0.log" 2>&1 && tiu_in $S down s0 --purge >"$H_WORK/down.s0.log" 2>&1
rc=$?
cat "$H_WORK"/down.*.log | sed 's/^/# /'
result $rc "tiu down --purge on both ends"
H_TIU=()

tiu_in $C status 2>&1 | grep -q '^no interface is up in this network namespace' &&
	tiu_in $S status 2>&1 | grep -q '^no interface is up in this network namespace'
result $? "nothing left up on either end"

tap_done
