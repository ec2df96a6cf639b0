#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/harness.t - the harness's own measurements fail when what they
# measure fails (TAP). A reading that failed must never look like a reading
# of "nothing happened":
#   - tiu_stats_json and tiu_counter, with tiu up on a0: a number and JSON;
#     with a wrong pin directory, a tiu that exits 1, a tiu that prints no
#     JSON, a counter name tiu does not have: status 1, nothing on stdout
#     (no '{}', no 0), and a reason on stderr.
#   - tiu_iface_json and tiu_slot: a0's object and slot; an interface that
#     is not there, a tiu that exits 1, a tiu that prints no JSON: status 1,
#     nothing on stdout, a reason on stderr; b0 (not up): an empty slot.
#   - h_xfer after a client that failed at once: the server is stopped, so
#     the next transfer on the same port works (its server can bind).
# Two namespaces tiuh-PID-a (a0 10.91.1.1) and tiuh-PID-b (b0 10.91.1.2),
# a veth pair; pins in a private bpffs in the work directory. Needs root
# (skips without) and build/tiu; about 10 s.
set -u
. "$(dirname "$0")/lib/harness.sh"
need_root
need_tiu
need_cmd nsenter ip python3 timeout

h_init tiuh
h_watchdog 300
PINS=$H_WORK/bpf/tiu
mkdir -p "$H_WORK/bpf"
# as root a setup that fails is a failure (bail), never a skip
h_mount -t bpf bpf "$H_WORK/bpf" || bail "cannot mount a bpffs on $H_WORK/bpf"
h_ns A a && h_ns B b && h_veth "$A" a0 "$B" b0 &&
	h_addr "$A" a0 10.91.1.1/24 && h_addr "$B" b0 10.91.1.2/24 ||
	bail "cannot create the namespaces tiuh-$$-a/b and their veth pair"
tiu_up "$A" a0 --endpoint remote=10.91.1.2:7001 --pin-dir "$PINS" || bail "tiu up a0 in $A failed (see above)"

# reading DESC WANT CMD...: CMD (a harness function) run as a caller runs
# it, `v=$(CMD)`; WANT "ok": status 0 with a value, "fail": status 1 with
# nothing on stdout and a reason on stderr.
reading() {
	local desc=$1 want=$2 out rc err=$H_WORK/reading.err
	shift 2
	out=$("$@" 2>"$err")
	rc=$?
	case $want in
	ok) [ $rc = 0 ] && [ -n "$out" ] ;;
	fail) [ $rc = 1 ] && [ -z "$out" ] && [ -s "$err" ] ;;
	esac
	result $? "$desc (status $rc, stdout '${out:0:40}')" "$(head -c 300 "$err")"
}

t_readings() {
	local real=$TIU junk=$H_WORK/tiu-junk v rc
	v=$(tiu_counter "$A" a0 dec_pass --pin-dir "$PINS")
	[[ $v =~ ^[0-9]+$ ]]
	result $? "tiu_counter of a0 (up): a number ($v)"
	reading "tiu_stats_json of a0 (up): the JSON" ok tiu_stats_json "$A" a0 --pin-dir "$PINS"
	reading "tiu_stats_json with a wrong pin directory fails" fail tiu_stats_json "$A" a0 --pin-dir "$H_WORK/bpf/nope"
	reading "tiu_counter with a wrong pin directory fails" fail tiu_counter "$A" a0 dec_pass --pin-dir "$H_WORK/bpf/nope"
	reading "tiu_counters with a wrong pin directory fails" fail tiu_counters "$A" a0 dec_pass --pin-dir "$H_WORK/bpf/nope"
	reading "tiu_iface_json of a0 (up): its object" ok tiu_iface_json "$A" a0
	v=$(tiu_slot "$A" a0)
	[[ $v =~ ^[0-9]+$ ]]
	result $? "tiu_slot of a0 (up): a number ($v)"
	v=$(tiu_slot "$B" b0)
	rc=$?
	[ $rc = 0 ] && [ -z "$v" ]
	result $? "tiu_slot of b0 (not up): empty, status 0 (status $rc, '$v')"
	reading "tiu_iface_json of an interface that is not there fails" fail tiu_iface_json "$A" nope0
	reading "tiu_slot of an interface that is not there fails" fail tiu_slot "$A" nope0
	TIU=/bin/false
	reading "tiu_stats_json when tiu exits 1 fails" fail tiu_stats_json "$A" a0 --pin-dir "$PINS"
	reading "tiu_counter when tiu exits 1 fails" fail tiu_counter "$A" a0 dec_pass --pin-dir "$PINS"
	reading "tiu_iface_json when tiu exits 1 fails" fail tiu_iface_json "$A" a0
	printf '#!/bin/sh\necho "not json"\n' >"$junk" && chmod 755 "$junk"
	TIU=$junk
	reading "tiu_stats_json when tiu exits 0 without JSON fails" fail tiu_stats_json "$A" a0 --pin-dir "$PINS"
	reading "tiu_counter when tiu exits 0 without JSON fails" fail tiu_counter "$A" a0 dec_pass --pin-dir "$PINS"
	reading "tiu_iface_json when tiu exits 0 without JSON fails" fail tiu_iface_json "$A" a0
	TIU=$real
	reading "tiu_counter of a name tiu does not have fails" fail tiu_counter "$A" a0 no_such_counter --pin-dir "$PINS"
	v=$(tiu_counters_nonzero "$A" a0 --pin-dir "$H_WORK/bpf/nope" 2>/dev/null)
	rc=$?
	[ $rc = 1 ] && [ "$v" = UNREADABLE ]
	result $? "tiu_counters_nonzero with a wrong pin directory fails and says UNREADABLE (status $rc, '$v')"
}

t_xfer_after_failed_client() {
	local rc
	# the client connects where nothing listens (its own namespace's
	# loopback): refused at once, while the server on 10.91.1.2 waits for it
	h_xfer refused "$B" 0.0.0.0 "$A" 127.0.0.1 7010 1000 --timeout 30 >/dev/null 2>&1
	rc=$?
	[ $rc != 0 ]
	result $? "h_xfer to a port where nothing listens: the client fails (status $rc)"
	# the same port at once: the first server must be gone
	h_xfer again "$B" 0.0.0.0 "$A" 10.91.1.2 7010 100000 --timeout 30 >/dev/null 2>&1
	rc=$?
	local why
	why=$(xfer_field again server error 2>/dev/null)
	[ $rc = 0 ] && xfer_ok again >/dev/null
	result $? "h_xfer on the same port right after: the transfer works (client status $rc, server error: ${why:-none})"
}

run_test t_readings
run_test t_xfer_after_failed_client
tap_done
