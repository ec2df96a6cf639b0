#!/bin/bash
# lane.sh - the stock-kernel test lane (`make test-vm`).
#
# Boots Debian's stock kernel once under qemu (vm-run.sh) and runs the lane's
# tests inside it (guest-tests.sh): the unit tests on that kernel's verifier,
# libxdp's multiprog dispatcher with tiu's XDP program next to another one,
# and the `tiu` loader's dispatcher and no-kfunc paths. Prints TAP (prove
# can read it: `prove tests/vm/lane.sh`) and a summary line; exits non-zero
# if any check failed or the lane could not run at all. A kernel package that
# cannot be downloaded is a failure, never a skip.
#
# env: BUILD (absolute build folder, default the repository's build/),
#      VM_TIMEOUT (seconds before the guest is killed, default 420),
#      LANE_TIU_MODES (XDP modes of the tiu checks, default "native"),
#      LANE_ONLY (a regular expression: run only the checks it matches).
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export BUILD=${BUILD:-$REPO/build}
T0=$(date +%s)

bail() {
	echo "Bail out! $*"
	exit 1
}

# The lane's own counting XDP program, built here: the Makefile builds the
# project's objects, this one belongs to the lane.
mkdir -p "$BUILD/vm" || bail "cannot create $BUILD/vm"
clang -O2 -g -target bpf -Wall -Werror -I"/usr/include/$(cc -dumpmachine)" \
	-c "$HERE/xdp_count.bpf.c" -o "$BUILD/vm/xdp_count.bpf.o" ||
	bail "cannot build tests/vm/xdp_count.bpf.c"

# Fetch the kernel and build the initramfs first, so that a missing package
# is reported as what it is rather than as a failed boot.
"$HERE/vm-run.sh" --prepare >&2 || bail "cannot prepare the stock kernel (see the vm-run line above)"

cd "$REPO" || bail "cannot enter $REPO"
"$HERE/vm-run.sh" -t "${VM_TIMEOUT:-420}" ${LANE_TIU_MODES:+-e "LANE_TIU_MODES=$LANE_TIU_MODES"} \
	${LANE_ONLY:+-e "LANE_ONLY=$LANE_ONLY"} \
	-- bash "$HERE/guest-tests.sh"
RC=$?
case $RC in
0) ;;
124) echo "not ok - the guest timed out (VM_TIMEOUT=${VM_TIMEOUT:-420}s)" ;;
125) echo "not ok - the guest could not run the tests (see vm-run's error above)" ;;
esac
echo "# stock-kernel lane: $((($(date +%s) - T0)))s wall, exit $RC"
[ "$RC" = 0 ]
