#!/bin/bash
# arch-run.sh - the lane of another CPU: Debian's own kernel of that CPU
# under qemu's software emulation, a userland of that CPU's Debian packages,
# tiu's static binaries of that CPU, and tests/vm/arch-guest.sh inside.
#
# usage: tests/vm/arch-run.sh -A CPU [-t SECONDS] [--prepare]
#   CPU: arm64     trixie (Debian 13) arm64 kernel, qemu-system-aarch64 -M virt
#                  -cpu cortex-a57 (64-bit little endian);
#        s390x     trixie s390x kernel, qemu-system-s390x -M s390-ccw-virtio
#                  (64-bit big endian);
#        mipsel    bookworm (Debian 12) 4kc-malta kernel, qemu-system-mipsel
#                  -M malta (32-bit little endian).
#
# As vm-run.sh does for the x86 lanes, and with the same private apt
# configuration (scripts/private-apt.sh, here with the CPU's architecture):
#   - the kernel: the package the CPU's meta-package (linux-image-arm64,
#     linux-image-s390x, linux-image-4kc-malta) depends on, fetched once with
#     `apt-get download` and extracted with `dpkg-deb -x` into
#     $BUILD/vm/arch/CPU/kernel; the modules the tests need (veth, clsact,
#     cls_bpf, nftables, AF_PACKET...) with their dependencies from
#     modules.dep, decompressed, and busybox depmod's modules.dep and
#     modules.alias go into the initramfs;
#   - the userland: busybox-static, dash, iproute2, nftables and tcpdump of that
#     CPU from the machine's own suite, with every library they depend on (the closure apt computes against
#     an empty dpkg status), each package `dpkg-deb -x`-ed into
#     $BUILD/vm/arch/CPU/root, once;
#   - the lane's binaries, built by `make static static-tests CROSS=TRIPLET`:
#     tiu, test_datapath, test_pktfuzz, archlane (tests/vm/archlane.c);
#   - all of it in one uncompressed initramfs: the guest needs no disk, no 9p
#     and no network device (what differs most between the machines), only
#     its serial console: arch-init.sh (PID 1) runs arch-guest.sh there and
#     prints its exit code after the TAP; the host streams the console.
#
# Exit status: the guest script's; 124 if the guest was still running after
# the timeout; 125 if the lane could not run (download, binaries, boot), with
# a line "arch-run: ERROR: ..." saying why. --prepare prints
# "vm-run: ready: CPU: PACKAGE VERSION, KERNEL-FILE, INITRAMFS" (the line
# lane.sh reads) and does not boot.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD=$(realpath -m "${BUILD:-$REPO/build}")
CPU=
TIMEOUT=${VM_TIMEOUT:-900}
PREPARE=0

die() {
	echo "arch-run: ERROR: $*" >&2
	exit 125
}

while [ $# -gt 0 ]; do
	case $1 in
	-A) CPU=$2; shift 2 ;;
	-t) TIMEOUT=$2; shift 2 ;;
	--prepare) PREPARE=1; shift ;;
	*) echo "usage: $0 -A arm64|s390x|mipsel [-t SECONDS] [--prepare]" >&2; exit 2 ;;
	esac
done

# What differs between the CPUs. KFILE: the kernel file qemu boots (the
# compressed image of each; malta's is an ELF, as qemu wants there).
case $CPU in
arm64)
	SUITE=trixie TRIPLET=aarch64-linux-gnu KMETA=linux-image-arm64 KFILE=vmlinuz MEM=1024
	QEMU=(qemu-system-aarch64 -M virt -cpu cortex-a57) CONSOLE=ttyAMA0 ;;
s390x)
	# vx=off: with the vector facility the kernel sums packets with vector
	# instructions (csum_copy(), arch/s390/lib/csum-partial.c), which this
	# machine's qemu (7.2) gets wrong: every checksum the kernel computes in
	# software (skb_checksum_help() at the detour) is wrong. Without it the
	# kernel uses CKSM, as on a z10 (docs/DESIGN.md, "The VM lanes of other CPUs").
	SUITE=trixie TRIPLET=s390x-linux-gnu KMETA=linux-image-s390x KFILE=vmlinuz MEM=1024
	QEMU=(qemu-system-s390x -M s390-ccw-virtio -cpu max,vx=off) CONSOLE=ttysclp0 ;;
mipsel)
	SUITE=bookworm TRIPLET=mipsel-linux-gnu KMETA=linux-image-4kc-malta KFILE=vmlinuz MEM=256
	QEMU=(qemu-system-mipsel -M malta) CONSOLE=ttyS0 ;;
*) die "unknown CPU '$CPU' (arm64, s390x or mipsel)" ;;
esac
# The userland comes from the machine's own suite (Debian 12) for every
# CPU: the tools only drive the test, and the machine's suite is the one
# whose packages the sysroots of `make static` already come from (a mirror
# may lag behind on another suite's newest point release of a CPU).
USUITE=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
ARCHDIR=$BUILD/vm/arch/$CPU
BIN=$BUILD/static/$TRIPLET
# the tests need these (each with its dependencies); everything else
# loads on demand through busybox modprobe and modules.alias
# (crc32c_generic: libcrc32c, which nf_tables needs, asks the crypto API for
# it when it loads)
MODULES="veth sch_ingress cls_bpf crc32c_generic nf_tables af_packet"
# dash is /bin/sh: Debian's busybox-static is a "standalone shell" that
# runs its own applets before PATH (its ip cannot make namespaces or veths)
USERLAND="busybox-static dash iproute2 nftables tcpdump"

command -v "${QEMU[0]}" >/dev/null || die "${QEMU[0]} not found (make test-vm installs VM_PKGS)"
for tool in apt-get dpkg-deb flock timeout; do
	command -v "$tool" >/dev/null || die "$tool not found"
done
[ -x /bin/busybox ] || die "/bin/busybox missing: apt-get install busybox-static"
for b in tiu tests/test_datapath tests/test_pktfuzz vm/archlane; do
	[ -x "$BIN/$b" ] || die "$BIN/$b missing: make static static-tests CROSS=$TRIPLET"
done

. "$REPO/scripts/private-apt.sh"
VM_PROG=arch-run
# shellcheck source=vm-lib.sh
. "$HERE/vm-lib.sh"
mkdir -p "$ARCHDIR"
exec 9>"$ARCHDIR/.lock"
flock 9
private_apt_setup "$BUILD/vm/apt/$SUITE-$CPU" "$SUITE" "$CPU" arch-run "${VM_DEBIAN_MIRROR:-}" ||
	die "$PRIVATE_APT_ERR: the $CPU lane cannot run"
# an empty dpkg status: apt resolves the whole closure; no lock of the
# machine's dpkg is needed to print URIs
APT_GET+=(-o Debug::NoLocking=1)

# ------------------------------------------------------------- kernel --
# The package the meta-package depends on; where the mirror cannot serve it
# (seen: a mirror without trixie's newest s390x image), the newest other
# image of the same flavour in the suite's lists, with a warning that the
# lane prints. ARCH_KERNEL_PKG pins one.
flavour=${KMETA#linux-image-}
pkg=${ARCH_KERNEL_PKG:-$("${APT_CACHE[@]}" depends "$KMETA" 2>/dev/null |
	awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')} || pkg=
[ -n "$pkg" ] || die "cannot resolve the kernel package from $KMETA of $SUITE ($CPU)$APT_NOTE"
# kernel/resolved.PACKAGE: the directory of what was fetched for it
first=$pkg
KDIR=$(head -n 1 "$ARCHDIR/kernel/resolved.$pkg" 2>/dev/null) || KDIR=
if [ -z "$KDIR" ] || [ ! -e "$KDIR/.complete" ]; then
	mkdir -p "$ARCHDIR/kernel"
	tmp=$(mktemp -d "$ARCHDIR/kernel/.fetch.XXXXXX")
	for cand in $pkg $("${APT_CACHE[@]}" search --names-only "^linux-image-[0-9].*-$flavour\$" 2>/dev/null |
		awk '{ print $1 }' | grep -vx "$pkg" | sort -rV | head -n 2); do
		echo "arch-run: fetching $cand ($SUITE, $CPU; once, cached in $ARCHDIR/kernel)" >&2
		if (cd "$tmp" && "${APT_GET[@]}" download -q "$cand" >"$tmp/download.log" 2>&1); then
			pkg=$cand
			break
		fi
		echo "arch-run: WARNING: cannot download $cand: $(grep -m1 '^E:' "$tmp/download.log" || tail -n 1 "$tmp/download.log")" >&2
	done
	ls "$tmp"/*.deb >/dev/null 2>&1 ||
		{ rm -rf "$tmp"; die "cannot download kernel package $first ($SUITE, $CPU) or an older $flavour image with apt-get download$APT_NOTE"; }
	ver=$(dpkg-deb -f "$tmp"/*.deb Version)
	KDIR=$ARCHDIR/kernel/${pkg}_$ver
	kernel_unpack "$(echo "$tmp"/*.deb)" "$tmp/root"
	rm -rf "$ARCHDIR/kernel"/linux-image-* "$ARCHDIR/kernel"/resolved.*
	mv "$tmp/root" "$KDIR"
	rm -rf "$tmp"
	touch "$KDIR/.complete"
	echo "$KDIR" >"$ARCHDIR/kernel/resolved.$first"
fi
ver=${KDIR##*_}
pkg=${KDIR##*/}
pkg=${pkg%_*}
[ "$pkg" = "$first" ] ||
	echo "arch-run: WARNING: $KMETA of $SUITE depends on $first, which the mirror does not serve: this lane boots $pkg $ver" >&2
KVER=$(ls "$KDIR/lib/modules")
KMODDIR=$(realpath "$KDIR/lib/modules/$KVER")
KIMG=$KDIR/boot/$KFILE-$KVER
[ -f "$KIMG" ] || die "$pkg has no /boot/$KFILE-$KVER"

# ----------------------------------------------------------- userland --
ROOT=$ARCHDIR/root
[ "$USUITE" = "$SUITE" ] || private_apt_setup "$BUILD/vm/apt/$USUITE-$CPU" "$USUITE" "$CPU" arch-run "${VM_DEBIAN_MIRROR:-}" ||
	die "$PRIVATE_APT_ERR: the $CPU lane cannot run"
APT_GET+=(-o Debug::NoLocking=1)
if [ ! -e "$ROOT/.complete" ] || [ "$(cat "$ROOT/.complete")" != "$USUITE $USERLAND" ]; then
	echo "arch-run: fetching $USERLAND with their libraries ($USUITE, $CPU; once, in $ROOT)" >&2
	tmp=$(mktemp -d "$ARCHDIR/.root.XXXXXX")
	# shellcheck disable=SC2086
	"${APT_GET[@]}" install --print-uris -qq --no-install-recommends $USERLAND >"$tmp/uris" 2>"$tmp/err" ||
		{ rm -rf "$tmp"; die "apt cannot resolve $USERLAND for $CPU ($USUITE): $(head -n 1 "$tmp/err")$APT_NOTE"; }
	pkgs=$(awk '{ n = $2; sub(/_.*/, "", n); printf "%s ", n }' "$tmp/uris")
	[ -n "$pkgs" ] || die "apt resolved no packages for $USERLAND ($CPU)"
	# shellcheck disable=SC2086
	(cd "$tmp" && "${APT_GET[@]}" download -q $pkgs >"$tmp/download.log" 2>&1) ||
		{ die "apt-get download failed for $CPU ($USUITE): $(grep -m1 '^E:' "$tmp/download.log")$APT_NOTE"; }
	mkdir "$tmp/root"
	for deb in "$tmp"/*.deb; do
		dpkg-deb -x "$deb" "$tmp/root" || die "cannot extract $deb"
	done
	# merged /usr (Debian 13): the loader is /lib/ld-*.so.*, programs run as /bin/...
	for d in bin sbin lib; do
		[ -e "$tmp/root/$d" ] || [ ! -d "$tmp/root/usr/$d" ] || ln -s "usr/$d" "$tmp/root/$d"
	done
	rm -rf "$tmp/root/usr/share/doc" "$tmp/root/usr/share/man" "$tmp/root/usr/share/locale" "$tmp/root/usr/share/info"
	echo "$USUITE $USERLAND" >"$tmp/root/.complete"
	rm -rf "$ROOT"
	mv "$tmp/root" "$ROOT"
	rm -rf "$tmp"
fi
flock -u 9

INITRD=$ARCHDIR/initramfs-$KVER.cpio
if [ "$PREPARE" = 1 ]; then
	echo "vm-run: ready: $CPU: $pkg $ver, $KIMG, $INITRD"
	exit 0
fi

# ---------------------------------------------------------- initramfs --
# Per run (a second or two): the binaries change between runs.
mkdir -p "$ARCHDIR/runs"
find "$ARCHDIR/runs" -mindepth 1 -maxdepth 1 -name 'run.*' -mmin +1440 -exec rm -rf {} + 2>/dev/null
RUN=$(mktemp -d "$ARCHDIR/runs/run.XXXXXX")
stage=$RUN/stage
mkdir -p "$stage"
cp -a "$ROOT/." "$stage/"
rm -f "$stage/.complete"
# what no test uses: character set converters, PAM modules, debconf's perl
rm -rf "$stage"/usr/lib/*/gconv "$stage"/usr/lib/*/security "$stage"/lib/*/security "$stage/usr/share/perl5"
mkdir -p "$stage"/{proc,sys,dev,tmp,run,bb,lane,etc} "$stage/lib/modules/$KVER"
bb=$(find "$stage/usr/bin" "$stage/bin" -maxdepth 1 -name busybox 2>/dev/null | head -n 1)
[ -n "$bb" ] || die "busybox-static of $CPU has no busybox"
cp "$bb" "$stage/bb/busybox"
for applet in $(/bin/busybox --list | grep -vx busybox); do
	ln -sf busybox "$stage/bb/$applet"
done
[ -e "$stage/bin/sh" ] || ln -s dash "$stage/bin/sh"
[ -x "$stage/bin/dash" ] || die "dash of $CPU has no /bin/dash"
# root by name (tcpdump -Z root): the userland has no base-passwd
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$stage/etc/passwd"
printf 'root:x:0:\n' >"$stage/etc/group"
# the kernel opens /dev/console for init before devtmpfs is mounted
mknod -m 600 "$stage/dev/console" c 5 1
# the modules and their dependencies, decompressed; depmod's tables
# shellcheck disable=SC2086
list=$(module_closure "$KMODDIR" <(/bin/busybox depmod -n -b "$KDIR" "$KVER" 2>/dev/null | grep -v '^#' | grep ':' ||
	cat "$KMODDIR/modules.dep" 2>/dev/null) $MODULES) ||
	die "$pkg lacks modules the lane needs ($MODULES): $list"
for path in $list; do
	mkdir -p "$stage/lib/modules/$KVER/$(dirname "$path")"
	module_unpack "$KMODDIR" "$path" "$stage/lib/modules/$KVER/${path%.xz}"
done
cp "$KMODDIR"/modules.builtin* "$KMODDIR/modules.order" "$stage/lib/modules/$KVER/" 2>/dev/null || true
/bin/busybox depmod -b "$stage" "$KVER" || die "depmod failed for the initramfs of $KVER"
echo "$MODULES" >"$stage/lane/modules"
install -m 0755 "$BIN/tiu" "$BIN/tests/test_datapath" "$BIN/tests/test_pktfuzz" "$BIN/vm/archlane" "$stage/lane/"
install -m 0755 "$HERE/arch-guest.sh" "$stage/lane/"
install -m 0755 "$HERE/arch-init.sh" "$stage/init"
printf 'LANE_CPU=%q\nLANE_TRIPLET=%q\nLANE_KPKG=%q\nLANE_ENV=%q\n' "$CPU" "$TRIPLET" "$pkg $ver" \
	"${ARCH_LANE_ENV:-}" >"$stage/lane/config"
(cd "$stage" && find . | /bin/busybox cpio -o -H newc 2>/dev/null) >"$RUN/initramfs.cpio" || die "cannot build the initramfs"
rm -rf "$stage"

# --------------------------------------------------------------- boot --
QEMU+=(-accel tcg,thread=multi -smp 2 -m "$MEM" -nodefaults -no-user-config -display none -no-reboot
	-monitor none -serial "file:$RUN/console.log"
	-kernel "$KIMG" -initrd "$RUN/initramfs.cpio"
	-append "console=$CONSOLE quiet loglevel=1 panic=-1 rdinit=/init mitigations=off")
# malta: one CPU, one TCG thread
if [ "$CPU" = mipsel ]; then
	q=()
	skip=0
	for a in "${QEMU[@]}"; do
		if [ "$skip" = 1 ]; then skip=0; continue; fi
		case $a in -smp) skip=1; continue ;; tcg,thread=multi) a=tcg ;; esac
		q+=("$a")
	done
	QEMU=("${q[@]}")
fi
: >"$RUN/console.log"
# The TAP between the markers, without the console's carriage returns.
show_tap() {
	tail -n +1 -f --pid="$QPID" "$RUN/console.log" |
		sed -u -n 's/\r$//; /^arch-lane: begin/,/^arch-lane: exit/{/^arch-lane: /d;p}'
}
vm_boot show_tap
RC=$(tr -d '\r' <"$RUN/console.log" | sed -n 's/^arch-lane: exit \([0-9]*\)$/\1/p' | tail -n 1)
[ -n "$RC" ] || guest_lost
echo "arch-run: $CPU, $KVER, ${WALL}s, exit $RC" >&2
if [ "$RC" = 0 ]; then rm -rf "$RUN"; else echo "arch-run: run directory kept: $RUN" >&2; fi
exit "$RC"
