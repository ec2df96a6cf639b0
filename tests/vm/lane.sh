#!/bin/bash
# lane.sh - the stock-kernel test lanes (`make test-vm`).
#
# Boots Debian's stock kernels under qemu (vm-run.sh), side by side where
# there are two CPUs (LANE_JOBS), and runs the lane's tests inside each
# (guest-tests.sh), then boots each once more with the host's systemd as
# PID 1 for tiu@.service under its real sandbox (systemd-tests.sh): the unit tests on
# that kernel's verifier, libxdp's multiprog dispatcher with tiu's XDP
# program next to another one, the `tiu` loader's dispatcher path and a
# tunnelled transfer, plus what only that kernel can show:
#   bookworm  Debian 12, 6.1: no bpf_cast_to_kern_ctx (the compat build);
#   trixie    Debian 13, 6.12: the kfunc and the dispatcher together, and
#             WireGuard (a real layer-3 device) and netkit.
# and the lanes of the routers' other CPUs (arch-run.sh, arch-guest.sh): the
# CPU's own Debian kernel under qemu-system-<CPU>, a userland of its Debian
# packages, tiu's static binaries of that CPU; the golden table, the packet
# fuzzer, a transfer through a TCP-dropping middlebox with every UDP checksum
# checked, a counter past 2^32 and the no-BTF run:
#   arm64     Debian 13 arm64 kernel, -M virt (64-bit little endian);
#   s390x     Debian 13 s390x kernel, -M s390-ccw-virtio (big endian; no
#             eBPF JIT in Debian's build: the interpreter runs everything);
#   mipsel    Debian 12 4kc-malta kernel, -M malta (32-bit; no kernel BTF).
# Each lane prints its kernel and its own "N passed, N failed" line (lane by
# lane, in KERNELS order). The lanes' TAP is numbered as one stream with one plan (prove can read it:
# `prove tests/vm/lane.sh`); exits non-zero if any check failed or a lane
# could not run at all. A kernel package that cannot be downloaded fails its
# lane with the reason, never a skip.
#
# env: BUILD (absolute build folder, default the repository's build/),
#      KERNELS (the lanes, default "bookworm trixie arm64 s390x mipsel"),
#      LANE_JOBS (lanes run at the same time: default 2 with two CPUs or more,
#      else 1, one after the other),
#      VM_TIMEOUT (seconds before a guest is killed, default 1200),
#      VM_SYSTEMD_TIMEOUT (the same for the systemd boot, default 900),
#      VM_ARCH_TIMEOUT (the same for an other-CPU lane, default 1500),
#      LANE_TIU_MODES (XDP modes of the tiu checks, default "native"),
#      LANE_ONLY (a regular expression: run only the checks it matches).
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export BUILD=${BUILD:-$REPO/build}
KERNELS=${KERNELS:-bookworm trixie arm64 s390x mipsel}
# Both guests at once where there are two CPUs: each qemu keeps about one busy.
LANE_JOBS=${LANE_JOBS:-$(($(nproc) >= 2 ? 2 : 1))}
T0=$(date +%s)

bail() {
	echo "Bail out! $*"
	exit 1
}

# The Makefile builds what the guest runs (make test-vm depends on all).
[ -f "$BUILD/vm/xdp_count.bpf.o" ] || bail "$BUILD/vm/xdp_count.bpf.o missing: run make (or make test-vm)"

N=0      # TAP numbers so far, over all lanes
FAILED=0 # lanes that failed
SUMMARY=()

# Renumber one lane's TAP into the common stream: "ok N - x" becomes
# "ok M - SUITE: x", the lane's plan is dropped, other lines become TAP
# comments; the counts (last number, passed, failed, skipped) go to COUNTS-FILE.
renumber() { # SUITE COUNTS-FILE
	awk -v suite="$1" -v n="$N" -v counts="$2" '
		/^(not )?ok [0-9]+/ {
			n++
			not = /^not /
			sub(/^(not )?ok [0-9]+ ?(- )?/, "")
			if (not) failed++
			else if (/# SKIP/) skipped++
			else passed++
			printf "%s %d - %s: %s\n", not ? "not ok" : "ok", n, suite, $0
			fflush()
			next
		}
		/^Bail out!/ {
			n++; failed++
			sub(/^Bail out! */, "")
			printf "not ok %d - %s: the guest tests bailed out: %s\n", n, suite, $0
			fflush()
			next
		}
		/^1\.\.[0-9]+/ { next }
		/^#/ { print; fflush(); next }
		{ print "# " $0; fflush() }
		END { printf "%d %d %d %d\n", n, passed, failed, skipped > counts }'
}

# arch_lane SUITE: a lane of another CPU (arch-run.sh), not an x86 suite
arch_lane() { case $1 in arm64 | s390x | mipsel) return 0 ;; esac; return 1; }

# prepare SUITE: fetch the kernel and build the initramfs first, so that a
# missing package is reported as what it is rather than as a failed boot.
# vm-run's lines in $out.prepare, its status as ours.
prepare() {
	if arch_lane "$1"; then
		"$HERE/arch-run.sh" -A "$1" --prepare >"$BUILD/vm/lane-$1.prepare" 2>&1
	else
		"$HERE/vm-run.sh" -K "$1" --prepare >"$BUILD/vm/lane-$1.prepare" 2>&1
	fi
}

# guest SUITE: boot SUITE's kernel and run the guest tests there, then boot
# it again with the host's systemd as PID 1 (vm-run.sh -S) for
# systemd-tests.sh (tiu@.service with its real sandbox; skipped when
# LANE_ONLY does not match "systemd"); their output (and vm-run's) on
# stdout, the first failing vm-run status as ours.
guest() {
	local rc=0
	if arch_lane "$1"; then
		ARCH_LANE_ENV=${LANE_ONLY:+"LANE_ONLY=$LANE_ONLY"} \
			"$HERE/arch-run.sh" -A "$1" -t "${VM_ARCH_TIMEOUT:-1500}" 2>&1
		return
	fi
	cd "$REPO" && "$HERE/vm-run.sh" -K "$1" -t "${VM_TIMEOUT:-1200}" \
		${LANE_TIU_MODES:+-e "LANE_TIU_MODES=$LANE_TIU_MODES"} \
		${LANE_ONLY:+-e "LANE_ONLY=$LANE_ONLY"} \
		-- bash "$HERE/guest-tests.sh" 2>&1 || rc=$?
	if [ -z "${LANE_ONLY:-}" ] || [[ systemd =~ $LANE_ONLY ]]; then
		"$HERE/vm-run.sh" -K "$1" -S -t "${VM_SYSTEMD_TIMEOUT:-900}" -- bash "$HERE/systemd-tests.sh" 2>&1 ||
			{ [ "$rc" != 0 ] || rc=$?; }
	fi
	return $rc
}

# guest_bg SUITE: guest in the background, into $out.raw, $out.rc, $out.end.
guest_bg() {
	local out=$BUILD/vm/lane-$1
	rm -f "$out.raw" "$out.rc" "$out.end"
	date +%s >"$out.start"
	(guest "$1" >"$out.raw"; echo $? >"$out.rc"; date +%s >"$out.end") &
	BG+=($!)
}

# report SUITE PREPARED(0|1): the lane's TAP (streamed from the guest, or
# from $out.raw where guest_bg ran it), its summary line, the counts.
report() {
	local suite=$1 out=$BUILD/vm/lane-$1 rc prep kver passed failed skipped wall cpu=x86_64
	echo "# ---- lane $suite"
	sed 's/^/# /' "$out.prepare"
	if [ "$2" != 0 ]; then
		N=$((N + 1))
		echo "not ok $N - $suite: the kernel could not be prepared: $({ grep -m1 'ERROR' "$out.prepare" || tail -n 1 "$out.prepare"; } | sed 's/^vm-run: ERROR: //')"
		echo "# lane $suite: no kernel, 0 passed, 1 failed"
		SUMMARY+=("$suite: no kernel (see above)")
		FAILED=$((FAILED + 1))
		return
	fi
	prep=$(grep '^vm-run: ready:' "$out.prepare")
	kver=$(echo "$prep" | sed -n 's|.*/boot/vmlinu[xz]-\([^,]*\),.*|\1|p')
	! arch_lane "$suite" || cpu=$suite
	if [ "$LANE_JOBS" -gt 1 ]; then
		while [ ! -s "$out.rc" ]; do sleep 1; done
		renumber "$suite" "$out.counts" <"$out.raw"
		rc=$(cat "$out.rc")
		wall=$(($(cat "$out.end") - $(cat "$out.start")))
	else
		local t0=$SECONDS
		guest "$suite" | renumber "$suite" "$out.counts"
		rc=${PIPESTATUS[0]}
		wall=$((SECONDS - t0))
	fi
	read -r N passed failed skipped <"$out.counts" || bail "lost the TAP of lane $suite"
	case $rc in
	0) ;;
	124) N=$((N + 1)) failed=$((failed + 1))
		echo "not ok $N - $suite: the guest timed out (VM_TIMEOUT=${VM_TIMEOUT:-1200}s)" ;;
	125) N=$((N + 1)) failed=$((failed + 1))
		echo "not ok $N - $suite: the guest could not run the tests (see vm-run's error above)" ;;
	*) [ "$failed" -gt 0 ] || {
		N=$((N + 1)) failed=$((failed + 1))
		echo "not ok $N - $suite: the guest tests exited $rc"
	} ;;
	esac
	echo "# lane $suite ($kver, $cpu): $passed passed, $failed failed, $skipped skipped, ${wall}s wall"
	SUMMARY+=("$suite ($kver, $cpu): $passed passed, $failed failed, $skipped skipped, ${wall}s")
	[ "$rc" = 0 ] && [ "$failed" = 0 ] || FAILED=$((FAILED + 1))
}

# LANE_JOBS > 1: the guests run side by side (each is one qemu process that
# keeps about one CPU busy), their TAP is printed lane by lane as they end.
declare -A PREPARED
BG=()
# Interrupted: vm-run's own trap powers its guest off when it gets TERM.
trap 'for p in "${BG[@]}"; do kill $(pgrep -P "$p") 2>/dev/null; done' EXIT
for suite in $KERNELS; do
	prepare "$suite"
	PREPARED[$suite]=$?
	if [ "$LANE_JOBS" -gt 1 ] && [ "${PREPARED[$suite]}" = 0 ]; then
		# at most LANE_JOBS guests at a time
		while [ "$(jobs -pr | wc -l)" -ge "$LANE_JOBS" ]; do sleep 2; done
		guest_bg "$suite"
	fi
done
for suite in $KERNELS; do
	report "$suite" "${PREPARED[$suite]}"
done
echo "1..$N"
for line in "${SUMMARY[@]}"; do
	echo "# lane $line"
done
echo "# stock-kernel lanes: $((($(date +%s) - T0)))s wall, $FAILED of $(echo $KERNELS | wc -w) failed"
[ "$FAILED" = 0 ] && [ "$N" -gt 0 ]
