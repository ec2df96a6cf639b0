# SPDX-License-Identifier: GPL-2.0
# tests/lib/harness.sh - the shell tests' harness (sourced, bash): one TAP
# printer, network namespaces and veth pairs with one cleanup list, the `tiu`
# wrappers, counters through `tiu stats --json`, and transfers through
# tests/lib/xfer.py. Every tests/*.t file uses it; it prints nothing itself
# until a test does.
#
# A test file:
#
#   . "$(dirname "$0")/lib/harness.sh"
#   need_root; need_tiu; need_cmd tcpdump nft
#   h_init tiux                    # work dir, EXIT/INT/TERM trap, private tiu
#   h_ns A a; h_ns B b             # namespaces tiux-PID-a, tiux-PID-b (lo up)
#   h_veth "$A" va "$B" vb         # a veth pair between them, both ends up
#   h_addr "$A" va 10.9.0.1/24 fd09::1/64
#   t_something() { ...; ok "it works" || ...; }
#   run_test t_something
#   tap_done                       # the plan (unless tap_plan gave it), summary, status
#
# TAP: ok DESC | not_ok DESC | skip DESC REASON | result RC DESC [DETAIL] |
# check DESC CMD... (0 ok, 77 skip with the last "SKIP: why" line printed,
# else not ok; the output follows as comments) | note MSG (a comment on
# stdout) | diag (stdin as comments on stderr) | skip_all REASON |
# bail REASON | tap_plan N | tap_done.
#
# Slots and the port table: tiu_slot NS IFACE, tiu_port_bits NS IFACE PORT,
# tiu_port_slot_bits PIN_DIR SLOT PORT, tiu_port_words PIN_DIR PORT,
# tiu_iface_json NS IFACE.
#
# Cleanup (h_cleanup, the EXIT trap, also after INT/TERM and failures), in
# this order: background processes of h_bg are killed; the commands of
# h_defer run, last first; tiu goes down (--purge) on every interface of
# tiu_up / h_tiu_track; the pins and /run/tiu notes of our namespaces are
# removed; what still runs in our namespaces is killed; the namespaces are
# deleted; the mounts of h_mount are unmounted; a bpffs on /sys/fs/bpf that
# was not there at h_init is unmounted when empty; the work directory is
# removed (kept with H_KEEP=1, or after a failure with H_KEEP_ON_FAIL=1).

H_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$H_LIB/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
TIU=${TIU:-$BUILD/tiu}
# The loader built with its test hooks (make: build/test/tiu, TIU_TEST_HOOKS):
# only tiu_crash runs it; every other command runs $TIU, the product.
TIU_TESTBUILD=${TIU_TESTBUILD:-$BUILD/test/tiu}
XFER=$H_LIB/xfer.py

H_N=0 H_FAIL=0 H_SKIP=0 H_PLANNED=
H_PREFIX= H_WORK= H_HAD_BPFFS=1
H_PIDS=() H_DEFER=() H_NS=() H_TIU=() H_MOUNTS=()

# ------------------------------------------------------------------ TAP --
ok()     { H_N=$((H_N + 1)); echo "ok $H_N - $*"; }
not_ok() { # a "# TODO reason" in the description: a known failure, not counted
	H_N=$((H_N + 1))
	case "$*" in *"# TODO"*) ;; *) H_FAIL=$((H_FAIL + 1)) ;; esac
	echo "not ok $H_N - $*"
}
skip()   { H_N=$((H_N + 1)); H_SKIP=$((H_SKIP + 1)); echo "ok $H_N - $1 # SKIP ${2:-}"; }
note()   { echo "# $*"; }
diag()   { sed 's/^\(# \)\{0,1\}/# /' >&2; }
tap_plan() { H_PLANNED=$1; echo "1..$1"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
bail()   { echo "Bail out! $*"; exit 1; }

# result RC DESC [DETAIL]: ok DESC when RC is 0, else not ok DESC with
# DETAIL as comments (for `cond...; result $? "desc" "$out"`).
result() {
	if [ "$1" = 0 ]; then ok "$2"; else not_ok "$2"; [ -z "${3:-}" ] || echo "$3" | diag; fi
}

# check DESC CMD...: CMD returns 0 (ok), 77 (skip: the reason is the last
# "SKIP: ..." line it printed) or anything else (not ok). It runs in this
# shell (it may set variables); its output follows the TAP line as comments.
check() {
	local desc=$1 rc out
	shift
	out=$(mktemp "${H_WORK:-/tmp}/check.XXXXXX")
	"$@" >"$out" 2>&1
	rc=$?
	case $rc in
	0) ok "$desc" ;;
	77) skip "$desc" "$(sed -n 's/^SKIP: //p' "$out" | tail -n 1)" ;;
	*) not_ok "$desc" ;;
	esac
	sed 's/^\(# \)\{0,1\}/# /' "$out"
	rm -f "$out"
	return $rc
}
# For the functions check runs: `cond || fail "why" || return`, `skip_because "why"`.
fail() { echo "FAIL: $*"; return 1; }
skip_because() { echo "SKIP: $*"; return 77; }

# run_test FUNC [ARG...]: a test function (it prints its own TAP lines),
# with its wall time as a comment.
run_test() { local t0=$SECONDS; "$@"; echo "# $1: $((SECONDS - t0)) s" >&2; }

# The plan (if not given first), a summary; returns 1 if a test failed.
tap_done() {
	[ -n "$H_PLANNED" ] || echo "1..$H_N"
	echo "# $((H_N - H_FAIL - H_SKIP)) passed, $H_FAIL failed, $H_SKIP skipped"
	[ -z "$H_PLANNED" ] || [ "$H_PLANNED" = "$H_N" ] || { echo "# planned $H_PLANNED tests, ran $H_N"; return 1; }
	[ $H_FAIL = 0 ]
}

# ---------------------------------------------------------- requirements --
need_root() { [ "$(id -u)" = 0 ] || skip_all "needs root (network namespaces, BPF)"; }
need_tiu()  { [ -x "$TIU" ] || skip_all "$TIU not built (make)"; }
need_cmd() {
	local c
	for c in "$@"; do command -v "$c" >/dev/null || skip_all "$c not installed (make deps)"; done
}
# An object or program the Makefile builds.
need_built() {
	local f
	for f in "$@"; do [ -e "$f" ] || skip_all "$f not built (make)"; done
}

# ------------------------------------------------------ setup and cleanup --
# h_init PREFIX: the work directory $H_WORK, the trap, a private copy of tiu
# (a rebuild of build/tiu during a long run must not change the binary under
# test). Notes whether /sys/fs/bpf is a bpffs: `tiu up` mounts one where
# there is none, and the cleanup unmounts it again (when empty).
h_init() {
	H_PREFIX=$1
	H_WORK=$(mktemp -d "/tmp/$H_PREFIX.$$.XXXX") || bail "cannot create a work directory"
	chmod 755 "$H_WORK" # the private tiu below also runs as another user
	trap h_cleanup EXIT
	trap 'exit 130' INT TERM
	if [ -x "$TIU" ]; then cp "$TIU" "$H_WORK/tiu" && TIU=$H_WORK/tiu; fi
	if [ -x "$TIU_TESTBUILD" ]; then
		cp "$TIU_TESTBUILD" "$H_WORK/tiu-test" && TIU_TESTBUILD=$H_WORK/tiu-test
	fi
	H_HAD_BPFFS=0
	[ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ] && H_HAD_BPFFS=1
}
# h_bpffs: a bpffs on /sys/fs/bpf now (for tests that use it before `tiu up`).
h_bpffs() { [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ] || mount -t bpf bpf /sys/fs/bpf; }

# h_ns VAR NAME: create the namespace PREFIX-PID-NAME (lo up), store its name
# in VAR; deleted at the end.
h_ns() {
	local ns=$H_PREFIX-$$-$2
	ip netns add "$ns" || return 1
	H_NS+=("$ns")
	printf -v "$1" %s "$ns"
	ip -n "$ns" link set lo up
}

# h_veth NS1 IF1 NS2 IF2: a veth pair between two namespaces, both ends up.
h_veth() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" &&
		ip -n "$1" link set "$2" up && ip -n "$3" link set "$4" up
}

# h_addr NS IFACE ADDR/LEN...: addresses (IPv6 without duplicate detection).
h_addr() {
	local ns=$1 ifc=$2 a
	shift 2
	for a in "$@"; do
		case $a in
		*:*) ip -n "$ns" addr add "$a" dev "$ifc" nodad || return 1 ;;
		*) ip -n "$ns" addr add "$a" dev "$ifc" || return 1 ;;
		esac
	done
}

# h_bg CMD...: run CMD in the background, killed at the end; its pid in H_BG.
h_bg() { "$@" & H_BG=$!; H_PIDS+=("$H_BG"); }
# h_wait PID: wait for a process of h_bg (its status), which leaves the list.
h_wait() {
	local p keep=()
	for p in "${H_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	H_PIDS=("${keep[@]}")
	wait "$1"
}
# h_defer CMD...: run CMD at the end (before the namespaces go), last first.
h_defer() { H_DEFER+=("$(printf '%q ' "$@")"); }
# h_mount ARGS... DIR: mount, unmounted at the end.
h_mount() { mount "$@" && H_MOUNTS+=("${!#}"); }

h_cleanup() {
	local rc=$? i p ns pd entry pds=()
	trap - EXIT INT TERM
	for p in "${H_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for ((i = ${#H_DEFER[@]} - 1; i >= 0; i--)); do eval "${H_DEFER[$i]}" >/dev/null 2>&1; done
	for ns in "${H_NS[@]}"; do # the default pin directory of the namespace, while tiu is up
		[ -e "/run/netns/$ns" ] || continue
		pd=$(tiu_pin_dir "$ns")
		[ -n "$pd" ] && pds+=("$pd")
	done
	for entry in "${H_TIU[@]}"; do pds+=("${entry#* * }"); done
	tiu_down_all >/dev/null 2>&1
	for pd in "${pds[@]}"; do
		[ -n "$pd" ] && [ "$pd" != - ] || continue
		rm -rf "$pd" "/run/tiu/$(basename "$pd")"
	done
	for ns in "${H_NS[@]}"; do
		[ -e "/run/netns/$ns" ] || continue
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	for p in "${H_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	for ((i = ${#H_MOUNTS[@]} - 1; i >= 0; i--)); do umount -l "${H_MOUNTS[$i]}" 2>/dev/null; done
	if [ "${H_HAD_BPFFS:-1}" = 0 ] && [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ]; then
		rmdir /sys/fs/bpf/xdp /sys/fs/bpf/tiu 2>/dev/null # libxdp's and tiu's, empty by now
		[ -z "$(ls -A /sys/fs/bpf | grep -v -e '^maps.debug$' -e '^progs.debug$')" ] && umount /sys/fs/bpf 2>/dev/null
	fi
	if [ -n "$H_WORK" ] && [ -d "$H_WORK" ]; then
		if [ "${H_KEEP:-0}" = 1 ] || { [ "$rc" != 0 ] && [ "${H_KEEP_ON_FAIL:-0}" = 1 ]; }; then
			echo "# work files kept in $H_WORK" >&2
		else
			rm -rf "$H_WORK"
		fi
	fi
	exit "$rc"
}

# h_watchdog SECONDS: end the run (TERM, so the cleanup runs) after SECONDS.
# Its output is closed and its sleep killed with it, so that nothing holds
# prove's pipes after the end.
h_watchdog() {
	(
		exec >/dev/null 2>&1
		sleep "$1" & sp=$!
		trap 'kill $sp; exit 0' TERM
		wait $sp && kill -TERM $$
	) &
	H_PIDS+=($!)
}

# ------------------------------------------------------------- commands --
# in_ns NS CMD...: in the namespace through `ip netns exec` (its own /sys),
# bounded (H_CMD_TIMEOUT, default 60 s), with its own nstat history.
in_ns() {
	local ns=$1
	shift
	NSTAT_HISTORY=${H_WORK:-/tmp}/nstat.$ns timeout "${H_CMD_TIMEOUT:-60}" ip netns exec "$ns" "$@"
}
# ns_enter NS CMD...: in the namespace through nsenter (the host's mount
# namespace: pins stay visible), unbounded; CMD replaces nsenter, so $! of
# `ns_enter NS CMD &` is CMD itself.
ns_enter() { local ns=$1; shift; nsenter --net="/run/netns/$ns" "$@"; }
# tiu_in NS ARGS...: tiu in the namespace (nsenter), bounded to 30 s.
tiu_in() { local ns=$1; shift; timeout 30 nsenter --net="/run/netns/$ns" "$TIU" "$@"; }
# tiu_crash STEP NS ARGS...: `tiu ARGS` of the test build in NS, killed
# (SIGKILL, exit 137) right after STEP (TIU_TEST_CRASH_AT; msg.c lists the
# steps); TIU_CRASH_TIMEOUT seconds at most (30).
tiu_crash() {
	local step=$1 ns=$2
	shift 2
	[ -x "$TIU_TESTBUILD" ] || bail "$TIU_TESTBUILD not built (make)"
	TIU_TEST_CRASH_AT=$step timeout "${TIU_CRASH_TIMEOUT:-30}" nsenter --net="/run/netns/$ns" \
		"$TIU_TESTBUILD" "$@"
}

# tiu_pin_dir NS: the pin directory tiu uses in NS (netns-COOKIE), from
# `tiu status --json`; empty while nothing is pinned.
tiu_pin_dir() { tiu_in "$1" status --json 2>/dev/null | sed -n 's/.*"pin_dir":"\([^"]*\)".*/\1/p'; }

# h_tiu_track NS IFACE [PIN_DIR]: take tiu down (--purge) on IFACE at the end.
h_tiu_track() {
	local e="$1 $2 ${3:--}" x
	for x in "${H_TIU[@]}"; do [ "$x" = "$e" ] && return 0; done
	H_TIU+=("$e")
}

# tiu_up NS IFACE ARGS...: tiu up (output in $H_WORK/tiu-up.NS.IFACE.log,
# shown on failure), tracked for tiu_down_all and the cleanup.
tiu_up() {
	local ns=$1 ifc=$2 pd=- a prev=
	shift 2
	for a in "$@"; do [ "$prev" = --pin-dir ] && pd=$a; prev=$a; done
	h_tiu_track "$ns" "$ifc" "$pd"
	tiu_in "$ns" up "$ifc" "$@" >"$H_WORK/tiu-up.$ns.$ifc.log" 2>&1 || {
		echo "# tiu up $ifc $* in $ns failed:" >&2; sed 's/^/#   /' "$H_WORK/tiu-up.$ns.$ifc.log" >&2; return 1; }
}

# Take tiu down on every tracked interface: first each one, then each again
# with --purge (the pins are shared by the namespace's interfaces: only the
# last down may remove them). Forgets them.
tiu_down_all() {
	local e rc=0 pass
	for pass in "" --purge; do
		for e in "${H_TIU[@]}"; do
			set -- $e
			if [ "$3" = - ]; then set -- "$1" "$2"; else set -- "$1" "$2" --pin-dir "$3"; fi
			tiu_in "$1" down "$2" $pass "${@:3}" >"${H_WORK:-/tmp}/tiu-down.log" 2>&1 && continue
			[ -n "$pass" ] || continue # before --purge, "not up" is no error
			echo "# tiu down $2 --purge in $1 failed:" >&2; sed 's/^/#   /' "${H_WORK:-/tmp}/tiu-down.log" >&2; rc=1
		done
	done
	H_TIU=()
	return $rc
}

# -------------------------------------------------------- slots, ports --
# tiu_iface_json NS IFACE: IFACE's object of `tiu status IFACE --json`.
# When tiu cannot give it (no such interface, a timeout, no JSON) it prints
# nothing, says why on stderr and returns 1, as tiu_stats_json does.
tiu_iface_json() {
	local out rc err=${H_WORK:-/tmp}/status-err.$BASHPID
	out=$(tiu_in "$1" status "$2" --json 2>"$err")
	rc=$?
	if [ $rc = 0 ] && python3 -c '
import json, sys
for i in json.loads(sys.argv[2])["interfaces"]:
    if i["name"] == sys.argv[1]:
        print(json.dumps(i))
        sys.exit(0)
sys.exit(1)' "$2" "$out" 2>/dev/null; then
		rm -f "$err"
		return 0
	fi
	echo "# tiu_iface_json: no status of $2 in $1 (tiu status $2 --json: exit $rc): $(head -c 300 "$err" 2>/dev/null)${out:0:100}" >&2
	rm -f "$err"
	return 1
}
# tiu_slot NS IFACE: the slot tiu gave IFACE (empty when it is not up);
# status 1 when tiu_iface_json fails.
tiu_slot() {
	local j
	j=$(tiu_iface_json "$1" "$2") || return 1
	python3 -c 'import json,sys; s=json.loads(sys.argv[1]).get("slot"); print("" if s is None else s)' "$j"
}
# tiu_port_words PIN_DIR PORT: the port table's entry of PORT (tiu_ports) as
# "local=N local_any=N remote=N remote_any=N", each a bit mask of slots.
tiu_port_words() {
	bpftool -j map lookup pinned "$1/tiu_ports" key $(($2 & 255)) $(($2 >> 8)) 0 0 |
		python3 -c 'import json,sys; v=json.load(sys.stdin)["formatted"]["value"]; print(" ".join(f"{k}={v[k]}" for k in ("local","local_any","remote","remote_any")))'
}
# tiu_port_slot_bits PIN_DIR SLOT PORT: one slot's bits of that entry, as
# "local=0|1 local_any=0|1 remote=0|1 remote_any=0|1".
tiu_port_slot_bits() {
	bpftool -j map lookup pinned "$1/tiu_ports" key $(($3 & 255)) $(($3 >> 8)) 0 0 | python3 -c '
import json, sys
s = int(sys.argv[1])
v = json.load(sys.stdin)["formatted"]["value"]
print(" ".join(f"{k}={v[k] >> s & 1}" for k in ("local", "local_any", "remote", "remote_any")))' "$2"
}
# tiu_port_bits NS IFACE PORT: the same for IFACE's slot, in its pins (one
# `tiu status`, which takes a while on a busy machine: in a loop, read the
# slot and pins once and use tiu_port_slot_bits).
tiu_port_bits() {
	local j
	j=$(tiu_iface_json "$1" "$2") || return 1
	tiu_port_slot_bits "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["pins"])' "$j")" \
		"$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["slot"])' "$j")" "$3"
}

# ------------------------------------------------------------- counters --
# tiu_stats_json NS IFACE [ARGS...]: `tiu stats IFACE --json`. When tiu
# cannot give it (not up there, pins gone, a timeout) it prints nothing,
# says why on stderr and returns 1: a reading that failed must never look
# like counters that did not move (`x=$(tiu_stats_json ...) || ...`).
tiu_stats_json() {
	local ns=$1 ifc=$2 out rc err=${H_WORK:-/tmp}/stats-err.$BASHPID
	shift 2
	out=$(tiu_in "$ns" stats "$ifc" --json "$@" 2>"$err")
	rc=$?
	if [ $rc = 0 ] && [ "${out:0:1}" = "{" ]; then
		printf '%s\n' "$out"
		rm -f "$err"
		return 0
	fi
	echo "# tiu_stats_json: cannot read the counters of $ifc in $ns (tiu stats $ifc --json $*: exit $rc): $(head -c 300 "$err" 2>/dev/null)${out:0:100}" >&2
	rm -f "$err"
	return 1
}
# counter_of NAME: from `tiu stats --json` on stdin, the first interface's
# counter NAME (the names tiu prints: `tiu stats --help`); empty if absent.
counter_of() { sed -n 's/.*"counters":{\([^}]*\)}.*/,\1,/p' | grep -o ",\"$1\":[0-9]*" | head -1 | cut -d: -f2; }
# tiu_counter NS IFACE NAME [ARGS...]: one counter of IFACE. When the
# counters cannot be read, or have no NAME, it prints nothing, says why on
# stderr and returns 1 (`v=$(tiu_counter ...) || ...`; an empty value also
# breaks `[ "$v" -gt ... ]`).
tiu_counter() {
	local ns=$1 ifc=$2 name=$3 j v
	shift 3
	j=$(tiu_stats_json "$ns" "$ifc" "$@") || return 1
	v=$(counter_of "$name" <<<"$j")
	if [ -z "$v" ]; then
		echo "# tiu_counter: $ifc in $ns has no counter '$name' (tiu stats --help lists them)" >&2
		return 1
	fi
	echo "$v"
}

# tiu_counters NS IFACE NAME...: "NAME=value ..." of the named counters, one
# tiu_counter each; status 1 (with the reason on stderr) when one cannot be
# read. tiu_counters_delta BEFORE AFTER: "NAME=+d ..." of two such strings.
tiu_counters() {
	local ns=$1 ifc=$2 n v out=
	shift 2
	for n in "$@"; do
		v=$(tiu_counter "$ns" "$ifc" "$n") || return 1
		out+="$n=$v "
	done
	echo "${out% }"
}
tiu_counters_delta() {
	python3 -c 'import sys
a = dict(kv.split("=") for kv in sys.argv[1].split())
b = dict(kv.split("=") for kv in sys.argv[2].split())
print(" ".join(f"{k}=+{int(b[k]) - int(a[k])}" for k in b))' "$1" "$2"
}

# tiu_counters_nonzero NS IFACE [ARGS...]: "name=value ..." of the counters
# that are not 0 (for notes); "UNREADABLE" and status 1 when they cannot be
# read.
tiu_counters_nonzero() {
	local j
	j=$(tiu_stats_json "$@") || { echo UNREADABLE; return 1; }
	counters_nonzero <<<"$j"
}
# counters_nonzero: the same from `tiu stats --json` on stdin.
counters_nonzero() {
	sed -n 's/.*"counters":{\([^}]*\)}.*/\1/p' | tr ',' '\n' | tr -d '"' |
		awk -F: '$2 != 0 { printf "%s%s=%s", n++ ? " " : "", $1, $2 } END { print "" }'
}

# ------------------------------------------------------------- transfer --
# h_xfer LABEL SRV_NS BIND CLI_NS CONNECT PORT BYTES [XFER OPTIONS...]:
# tests/lib/xfer.py, a full-duplex transfer of BYTES each way with the
# SHA-256 of both directions; the server listens on BIND in SRV_NS, the
# client connects to CONNECT from CLI_NS. Options go to both sides
# (--mptcp, --timeout S; --want-subflows N, --connect-timeout S and
# --mark N, the client socket's SO_MARK, to the client only). Results:
# $H_WORK/LABEL.{client,server}.json. Returns the client's status; xfer_ok
# LABEL judges the transfer.
h_xfer() {
	local lab=$1 sns=$2 bind=$3 cns=$4 conn=$5 port=$6 bytes=$7 to=60 i sp crc sopts=() copts=()
	shift 7
	while [ $# -gt 0 ]; do
		case $1 in
		--want-subflows|--connect-timeout|--mark) copts+=("$1" "$2"); shift 2 ;;
		--timeout) to=$2; sopts+=("$1" "$2"); copts+=("$1" "$2"); shift 2 ;;
		*) sopts+=("$1"); copts+=("$1"); shift ;;
		esac
	done
	rm -f "$H_WORK/$lab".client.json* "$H_WORK/$lab".server.json*
	# in_ns's command, exec'd in the background subshell: $! is the timeout
	# itself, and the kill below (TERM, which timeout passes on) stops the
	# server. Killing a subshell that runs in_ns would leave the server
	# listening on PORT until its own timeout, and the next transfer on that
	# port would fail with "Address already in use".
	(NSTAT_HISTORY=${H_WORK:-/tmp}/nstat.$sns exec timeout "$((${to%.*} + 10))" ip netns exec "$sns" \
		python3 "$XFER" server --bind "$bind" --port "$port" \
		--send "$bytes" --out "$H_WORK/$lab.server.json" "${sopts[@]}") &
	sp=$!
	H_PIDS+=("$sp")
	# the server touches LABEL.server.json.ready once it listens
	for i in $(seq 200); do [ -e "$H_WORK/$lab.server.json.ready" ] && break; sleep 0.05; done
	H_CMD_TIMEOUT=$((${to%.*} + 10)) in_ns "$cns" python3 "$XFER" client --connect "$conn" --port "$port" \
		--send "$bytes" --out "$H_WORK/$lab.client.json" "${copts[@]}"
	crc=$?
	# the client never connected: stop the server
	[ $crc = 0 ] || [ -e "$H_WORK/$lab.server.json" ] || kill "$sp" 2>/dev/null
	h_wait "$sp" 2>/dev/null
	return $crc
}
# xfer_ok LABEL: both directions arrived whole (sizes and SHA-256); one
# comment line with the sizes.
xfer_ok() { python3 "$XFER" check "$H_WORK/$1.client.json" "$H_WORK/$1.server.json"; }
# xfer_field LABEL SIDE(client|server) FIELD: one field of a side's result.
xfer_field() { python3 "$XFER" field "$H_WORK/$1.$2.json" "$3"; }
