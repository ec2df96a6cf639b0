#!/bb/sh
# arch-init.sh - PID 1 of the other-CPU lanes' guests (busybox sh of the
# guest's CPU; arch-run.sh builds the initramfs). Mounts the kernel file
# systems, loads the modules the tests need, runs /lane/arch-guest.sh with
# its TAP on the console between "arch-lane: begin" and "arch-lane: exit N"
# (the host reads N as the lane's status) and powers off; qemu runs with
# -no-reboot, so a reset ends it as well.
export PATH=/lane:/usr/sbin:/usr/bin:/sbin:/bin:/bb
set -a
. /lane/config
set +a
export LD_LIBRARY_PATH=/lib/$LANE_TRIPLET:/usr/lib/$LANE_TRIPLET
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t bpf bpf /sys/fs/bpf
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mkdir -p /run/netns /var
ln -s /run /var/run
echo /bb/modprobe >/proc/sys/kernel/modprobe
exec </dev/null >/dev/console 2>&1
echo "arch-lane: begin"
for m in $(cat /lane/modules); do
	modprobe "$m" || { echo "# modprobe $m failed:"; dmesg | tail -n 5 | sed 's/^/#   /'; }
done
ip link set lo up
cd /lane
# shellcheck disable=SC2086
env $LANE_ENV /bin/sh /lane/arch-guest.sh
echo "arch-lane: exit $?"
sync
poweroff -f
reboot -f
sleep 60
