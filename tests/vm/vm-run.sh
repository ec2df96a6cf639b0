#!/bin/bash
# vm-run.sh - run one command as root on Debian's stock kernel, under qemu.
#
# usage: tests/vm/vm-run.sh [options] [--] COMMAND [ARG...]
#        tests/vm/vm-run.sh --prepare      (fetch and build only, no boot)
#
# The development machines run a kernel that refuses what we need to test
# (freplace, hence libxdp's dispatcher) and has what users' kernels lack (the
# bpf_cast_to_kern_ctx kfunc). This boots the distribution's own kernel
# instead, with qemu's software emulation (KVM is not available here):
#
#   - the kernel: the package that linux-image-amd64 of a Debian suite
#     currently depends on (the generic flavour: the cloud one has no 9p),
#     fetched once with `apt-get download`, extracted with `dpkg-deb -x`
#     (never installed), its modules.dep/modules.alias generated with busybox
#     depmod. The machine's own suite (Debian 12, bookworm: 6.1) comes through
#     the machine's apt; another suite (-K trixie: Debian 13, 6.12) through a
#     private apt configuration in $BUILD/vm/apt/SUITE (its own sources list,
#     package lists and cache, on the archive mirror the machine's apt uses;
#     the machine's apt configuration and state are never changed);
#   - the initramfs: busybox-static, the modules needed to reach the root
#     (virtio, 9p, overlay, with their dependencies from modules.dep) and the
#     two init stages (stage1-init.sh, stage2-init.sh);
#   - the guest's root: the host's / over 9p, read-only, under a tmpfs
#     overlay, so the host's tools (xdp-loader, bpftool, ip, tc...) are there
#     and whatever the guest writes is thrown away. The repository and $BUILD
#     are mounted writable at their own paths. bpffs, tracefs and a tmpfs /tmp
#     are mounted; modules load on demand (veth, sch_ingress and cls_bpf are
#     loaded up front);
#   - the command runs as root in the current directory, with BUILD and the
#     -e variables in its environment. Its output is streamed here, its exit
#     code is ours, and the guest always powers off. A guest still running
#     after the timeout is killed (exit 124).
#
# Everything generated lives in $BUILD/vm (BUILD defaults to the repository's
# build/): one kernel per suite (kernel/SUITE/) and its initramfs are reused
# by later runs; a run's own directory is removed after it unless the run
# failed or -k was given.
#
# options:
#   -t SECONDS  kill the guest after this long (default 300, env VM_TIMEOUT)
#   -m MB       guest memory (default 1024)
#   -c CPUS     guest CPUs (default 2)
#   -w DIR      another host directory the guest may write to (repeatable)
#   -e NAME=VAL set a variable in the command's environment (repeatable)
#   -M MODULE   load this module before the command (repeatable; also env
#               VM_MODULES, space-separated)
#   -K SUITE    the Debian suite whose kernel to boot (default: the machine's
#               own, env VM_SUITE), e.g. bookworm (6.1) or trixie (6.12)
#   -S          boot the host's systemd as PID 1 (stage2-init.sh) and run
#               the command as a service of it, with udevd (for units
#               such as tiu@.service)
#   -k          keep the run directory (console log, qemu command line)
#   -v          print the guest's console log after the run
#   --prepare   fetch the kernel and build the initramfs, then exit
# env: VM_KERNEL_PKG overrides the kernel package name (e.g. to pin one);
#      VM_DEBIAN_MIRROR the archive URL of a private suite (default: the one
#      the machine's apt fetches its own suite from).
#
# Exit status: the command's; 124 if the guest timed out; 125 if the lane
# could not run it (download, boot or guest setup failed), always with a
# line saying why.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null || { cd "$HERE/../.." && pwd; })
BUILD=$(realpath -m "${BUILD:-$REPO/build}")
VMDIR=$BUILD/vm

TIMEOUT=${VM_TIMEOUT:-300}
MEM=1024
CPUS=2
KEEP=0
SHOW_CONSOLE=0
PREPARE=0
VM_INIT=
HOST_SUITE=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
SUITE=${VM_SUITE:-$HOST_SUITE}
RW_DIRS=("$REPO" "$BUILD")
GUEST_ENV=("BUILD=$BUILD")
# What stage 1 needs to reach the root file system.
BOOT_MODULES="virtio_pci 9pnet_virtio 9p overlay"
# Loaded up front so that a kernel package without them fails here, loudly,
# rather than as an obscure test failure. Everything else loads on demand.
GUEST_MODULES="veth sch_ingress cls_bpf ${VM_MODULES:-}"

die() {
	echo "vm-run: ERROR: $*" >&2
	exit 125
}

usage() {
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
	exit "${1:-0}"
}

while [ $# -gt 0 ]; do
	case $1 in
	-t) TIMEOUT=$2; shift 2 ;;
	-m) MEM=$2; shift 2 ;;
	-c) CPUS=$2; shift 2 ;;
	-w) RW_DIRS+=("$(realpath -m "$2")"); shift 2 ;;
	-e) GUEST_ENV+=("$2"); shift 2 ;;
	-M) GUEST_MODULES+=" $2"; shift 2 ;;
	-K) SUITE=$2; shift 2 ;;
	-k) KEEP=1; shift ;;
	-S) VM_INIT=systemd; shift ;;
	-v) SHOW_CONSOLE=1; shift ;;
	--prepare) PREPARE=1; shift ;;
	-h | --help) usage 0 ;;
	--) shift; break ;;
	-*) echo "vm-run: unknown option $1" >&2; usage 2 >&2 ;;
	*) break ;;
	esac
done
[ "$PREPARE" = 1 ] || [ $# -gt 0 ] || usage 2 >&2

for tool in qemu-system-x86_64 apt-get apt-cache dpkg-deb flock timeout; do
	command -v "$tool" >/dev/null || die "$tool not found (make test-vm installs qemu-system-x86)"
done
# Static busybox: the initramfs's userland, and the guest's modprobe.
[ -x /bin/busybox ] || die "/bin/busybox missing: apt-get install busybox-static"

# ---------------------------------------------------------------------------
# The kernel: resolve, download, extract (once per suite; sets KROOT, KVER).
# ---------------------------------------------------------------------------
APT_GET=(apt-get)
APT_CACHE=(apt-cache)
APT_NOTE=

# Another suite than the machine's: apt with a private configuration in
# $VMDIR/apt/SUITE (scripts/private-apt.sh, shared with the sysroots of
# `make static`).
. "$REPO/scripts/private-apt.sh"
VM_PROG=vm-run
# shellcheck source=vm-lib.sh
. "$HERE/vm-lib.sh"
private_apt() {
	private_apt_setup "$VMDIR/apt/$SUITE" "$SUITE" "" vm-run "${VM_DEBIAN_MIRROR:-}" ||
		die "$PRIVATE_APT_ERR: the $SUITE lane cannot run"
}

resolve_kernel_pkg() {
	if [ -n "${VM_KERNEL_PKG:-}" ]; then
		echo "$VM_KERNEL_PKG"
		return
	fi
	# linux-image-amd64 is the meta-package; its Depends names the current
	# ABI's generic image, e.g. linux-image-6.1.0-56-amd64 (bookworm) or
	# linux-image-6.12.48+deb13-amd64 (trixie).
	"${APT_CACHE[@]}" depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9][^ ]*-amd64$/ { print $2; exit }'
}

fetch_kernel() {
	local pkg ver kdir tmp deb top=$VMDIR/kernel/$SUITE
	[ -n "$SUITE" ] || die "no suite given and /etc/os-release names none: use -K SUITE"
	case $SUITE in *[!a-z0-9-]*) die "bad suite name '$SUITE' (e.g. bookworm, trixie)" ;; esac
	[ "$SUITE" = "$HOST_SUITE" ] || private_apt
	pkg=$(resolve_kernel_pkg) || pkg=
	[ -n "$pkg" ] ||
		die "cannot resolve the kernel package from linux-image-amd64 of $SUITE (apt has no record of it: run apt-get update)$APT_NOTE"
	ver=$("${APT_CACHE[@]}" show --no-all-versions "$pkg" 2>/dev/null | awk '$1 == "Version:" { print $2; exit }') || ver=
	[ -n "$ver" ] || die "apt knows no version of $pkg in $SUITE (run apt-get update)$APT_NOTE"
	kdir=$top/${pkg}_$ver

	if [ ! -e "$kdir/.complete" ]; then
		echo "vm-run: fetching $pkg $ver from $SUITE (once; cached in $top)" >&2
		mkdir -p "$top"
		tmp=$(mktemp -d "$top/.fetch.XXXXXX")
		# The sandbox user _apt cannot write into a root-owned build folder.
		if ! (cd "$tmp" && "${APT_GET[@]}" download -q -o APT::Sandbox::User=root "$pkg=$ver" >&2); then
			rm -rf "$tmp"
			die "cannot download kernel package $pkg=$ver ($SUITE) with apt-get download: the $SUITE lane cannot run$APT_NOTE"
		fi
		deb=$(echo "$tmp"/*.deb)
		[ -f "$deb" ] || die "apt-get download left no .deb for $pkg"
		kernel_unpack "$deb" "$tmp/root"
		KVER=$(ls "$tmp/root/lib/modules")
		[ -f "$tmp/root/boot/vmlinuz-$KVER" ] || die "$pkg has no /boot/vmlinuz-$KVER"
		rm -rf "$kdir"
		mv "$tmp/root" "$kdir"
		rm -rf "$tmp"
		touch "$kdir/.complete"
		# Keep one kernel per suite: older ABIs are 400-700 MB each.
		find "$top" -mindepth 1 -maxdepth 1 ! -path "$kdir" -exec rm -rf {} +
	fi
	KROOT=$kdir
	KVER=$(ls "$KROOT/lib/modules")
	KMODDIR=$(realpath "$KROOT/lib/modules/$KVER")
	KPKG="$pkg $ver"
}

# ---------------------------------------------------------------------------
# The initramfs (once per kernel and init scripts; sets INITRD).
# ---------------------------------------------------------------------------

build_initramfs() {
	local moddir=$KMODDIR key stage list path mod
	key=$( { echo "$KVER $BOOT_MODULES"; cat "$HERE/stage1-init.sh" "$HERE/stage2-init.sh"; } |
		sha256sum | cut -c1-12)
	# Beside the kernel: a new kernel of the suite takes its initramfs along.
	INITRD=$VMDIR/kernel/$SUITE/initramfs-$KVER-$key.cpio.gz
	[ -s "$INITRD" ] && return

	echo "vm-run: building $INITRD" >&2
	stage=$(mktemp -d "$VMDIR/.initramfs.XXXXXX")
	mkdir -p "$stage"/{bin,dev,proc,sys,host,upper,newroot,modules}
	cp /bin/busybox "$stage/bin/"
	for applet in sh mount umount mkdir cp insmod switch_root poweroff sleep; do
		ln -s busybox "$stage/bin/$applet"
	done
	# The kernel opens /dev/console for init before anything is mounted.
	mknod -m 600 "$stage/dev/console" c 5 1
	install -m 0755 "$HERE/stage1-init.sh" "$stage/init"
	install -m 0755 "$HERE/stage2-init.sh" "$stage/stage2-init.sh"

	list=$(module_closure "$moddir" "$moddir/modules.dep" $BOOT_MODULES) || die "boot modules: $list"
	for path in $list; do
		mod=${path##*/}
		mod=${mod%%.ko*}
		module_unpack "$moddir" "$path" "$stage/modules/$mod.ko"
		echo "$mod" >>"$stage/modules.load"
	done

	(cd "$stage" && find . | /bin/busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$INITRD.tmp" ||
		die "cannot build the initramfs"
	mv "$INITRD.tmp" "$INITRD"
	rm -rf "$stage"
	find "$VMDIR/kernel/$SUITE" -maxdepth 1 -name 'initramfs-*.cpio.gz' ! -path "$INITRD" -delete
}

mkdir -p "$VMDIR/kernel" "$VMDIR/runs"
exec 9>"$VMDIR/.lock"
flock 9 # one fetch/build at a time; boots run in parallel
# The layout before kernels were kept per suite: one kernel and its
# initramfs directly in kernel/ and $VMDIR.
find "$VMDIR/kernel" -mindepth 1 -maxdepth 1 -name 'linux-image-*' -exec rm -rf {} +
find "$VMDIR" -maxdepth 1 -name 'initramfs-*.cpio.gz' -delete
fetch_kernel
build_initramfs
flock -u 9
if [ "$PREPARE" = 1 ]; then
	echo "vm-run: ready: $SUITE: $KPKG, $KROOT/boot/vmlinuz-$KVER, $INITRD"
	exit 0
fi

# ---------------------------------------------------------------------------
# One run: exchange directory, boot, stream the output, collect the status.
# ---------------------------------------------------------------------------
# Failed runs are kept for inspection; forget them after a day.
find "$VMDIR/runs" -mindepth 1 -maxdepth 1 -name 'run.*' -mmin +1440 -exec rm -rf {} + 2>/dev/null
RUN=$(mktemp -d "$VMDIR/runs/run.XXXXXX")
mkdir "$RUN/io"
: >"$RUN/io/output"
printf 'exec' >"$RUN/io/cmd"
printf ' %q' "$@" >>"$RUN/io/cmd"
echo >>"$RUN/io/cmd"

# Writable directories, each its own 9p share; one inside another is covered.
VM_RW=()
FS_ARGS=()
n=0
for dir in "${RW_DIRS[@]}"; do
	covered=0
	for share in "${VM_RW[@]}"; do
		case $dir/ in "${share#*=}"/*) covered=1 ;; esac
	done
	[ "$covered" = 1 ] && continue
	[ -d "$dir" ] || die "writable directory $dir does not exist"
	VM_RW+=("rw$n=$dir")
	FS_ARGS+=(-virtfs "local,path=$dir,mount_tag=rw$n,security_model=none,multidevs=remap")
	n=$((n + 1))
done

VM_KVER=$KVER
VM_KMODDIR=$KMODDIR
VM_MODULES=$GUEST_MODULES
VM_CWD=$PWD
VM_ENV=("${GUEST_ENV[@]}")
declare -p VM_KVER VM_KMODDIR VM_MODULES VM_CWD VM_RW VM_ENV VM_INIT >"$RUN/io/config"

QEMU=(qemu-system-x86_64
	-accel tcg,thread=multi -cpu max -machine pc -smp "$CPUS" -m "$MEM"
	-nodefaults -no-user-config -display none -no-reboot -nic none -monitor none
	-serial "file:$RUN/console.log"
	-kernel "$KROOT/boot/vmlinuz-$KVER" -initrd "$INITRD"
	-append "console=ttyS0 quiet loglevel=4 panic=-1 rdinit=/init mitigations=off"
	-virtfs "local,path=/,mount_tag=hostroot,readonly=on,security_model=none,multidevs=remap"
	-virtfs "local,path=$RUN/io,mount_tag=vmio,security_model=none,multidevs=remap"
	"${FS_ARGS[@]}")

# the guest's output as it comes (tail ends with qemu)
show_output() { tail -n +1 -f --pid="$QPID" "$RUN/io/output"; }
vm_boot show_output

if [ -s "$RUN/io/rc" ]; then
	RC=$(cat "$RUN/io/rc")
	[ "$SHOW_CONSOLE" = 1 ] && show_console all
else
	guest_lost
fi
echo "vm-run: $KVER, ${WALL}s, exit $RC" >&2

if [ "$RC" = 0 ] && [ "$KEEP" = 0 ]; then
	rm -rf "$RUN"
else
	echo "vm-run: run directory kept: $RUN" >&2
fi
exit "$RC"
