#!/bin/sh
# stage1-init.sh - /init of the lane's initramfs (busybox sh, PID 1).
#
# Its only job is to assemble the guest's root file system and hand over:
#   1. load the few modules needed to reach the root (virtio, 9p, overlay),
#      listed in load order in /modules.load by vm-run.sh;
#   2. mount the host's / (9p tag "hostroot", read-only) and put a tmpfs
#      overlay on top of it, so the guest may write anywhere and every write
#      is thrown away at power-off;
#   3. mount the per-run exchange directory (9p tag "vmio": command, config,
#      output, exit code) at /run/vm-io inside the new root;
#   4. switch_root into it and run stage 2 (stage2-init.sh) as PID 1.
# Anything that goes wrong powers the guest off: the host then sees no exit
# code and reports the failure with the console log.
export PATH=/bin

die() {
	echo "stage1: $*" >&2
	poweroff -f
	sleep 10
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

while read -r mod; do
	insmod "/modules/$mod.ko" || die "insmod $mod failed"
done < /modules.load

P9="trans=virtio,version=9p2000.L,msize=262144"
# The host's root does not change under a run (writable directories are
# mounted over it in stage 2 without caching), so let the guest cache it:
# binaries and libraries are read once instead of on every exec.
mount -t 9p -o "$P9,ro,cache=loose" hostroot /host || die "cannot mount the host root (9p)"
mount -t tmpfs -o mode=0755 tmpfs /upper || die "cannot mount the overlay's tmpfs"
mkdir -p /upper/data /upper/work
mount -t overlay overlay \
	-o lowerdir=/host,upperdir=/upper/data,workdir=/upper/work /newroot ||
	die "cannot mount the overlay root"

mount -t tmpfs -o mode=0755 tmpfs /newroot/run || die "cannot mount /run"
mkdir -p /newroot/run/vm-io
mount -t 9p -o "$P9" vmio /newroot/run/vm-io || die "cannot mount the exchange directory (9p)"
cp /stage2-init.sh /newroot/run/vm-stage2 || die "cannot install stage 2"

# switch_root wants the old /proc, /sys and /dev gone; stage 2 mounts its own.
umount /dev /sys /proc
exec switch_root /newroot /bin/bash /run/vm-stage2
die "switch_root failed"
