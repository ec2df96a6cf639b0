#!/bin/bash
# stage2-init.sh - PID 1 of the guest once the root is assembled (bash, from
# the host's own / seen through 9p plus a tmpfs overlay; see stage1-init.sh).
#
# Reads /run/vm-io/config (written by vm-run.sh), prepares the system the
# tests expect (kernel file systems, module loading, writable directories),
# runs /run/vm-io/cmd as root, stores its output and exit code in /run/vm-io
# and powers off. It never returns: PID 1 exiting would panic the guest.
IO=/run/vm-io

# The host sees a missing rc file as "the guest failed before the command".
fail() {
	echo "stage2: $*" >&2
	echo "vm-run (guest): $*" >>"$IO/output"
	echo 125 >"$IO/rc"
	power_off
}

power_off() {
	sync
	/bin/busybox poweroff -f
	echo o >/proc/sysrq-trigger
	sleep 30
}

# shellcheck source=/dev/null
. "$IO/config" || fail "cannot read $IO/config"

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
# What udev would add: bash's process substitution needs /dev/fd.
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t bpf bpf /sys/fs/bpf || fail "cannot mount bpffs"
mount -t tracefs tracefs /sys/kernel/tracing || fail "cannot mount tracefs"
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

# Directories the command may write to (the repository, the build folder):
# the host's own directories over 9p, uncached so the host sees every write.
for share in "${VM_RW[@]}"; do
	tag=${share%%=*} dir=${share#*=}
	mkdir -p "$dir"
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=none "$tag" "$dir" ||
		fail "cannot mount writable directory $dir (9p tag $tag)"
done

# Module loading, explicit and on demand. The host has no modules of this
# kernel (at most a headers package's build/ links), so the extracted package
# (readable through the 9p root) is mounted at /lib/modules/VERSION, and both
# the kernel's request_module() and `modprobe` use busybox's modprobe: it
# reads the modules.dep and modules.alias that vm-run.sh generated. Netlink
# requests (veth, clsact, nftables...) thus load whatever the tests ask for,
# as on a normal system.
mkdir -p "/lib/modules/$VM_KVER" /run/vm/bin
mount --bind "$VM_KMODDIR" "/lib/modules/$VM_KVER" || fail "cannot mount the kernel's modules"
for tool in modprobe lsmod insmod rmmod modinfo; do
	ln -sf /bin/busybox "/run/vm/bin/$tool"
done
echo /run/vm/bin/modprobe >/proc/sys/kernel/modprobe
for mod in $VM_MODULES; do
	/run/vm/bin/modprobe "$mod" || fail "cannot load module $mod"
done

ip link set lo up
hostname tiu-vm 2>/dev/null

# VM_INIT=systemd (vm-run.sh -S): the host's own systemd becomes PID 1 and
# runs the command as a service of a target of its own (vm-run.target:
# sysinit.target, udevd, so that device units exist, and vm-run.service),
# nothing else of the host's installation; the service stores the exit code and powers the
# guest off, whatever happens (SuccessAction=, FailureAction=). What stage 2
# set up above (mounts, modules) stays; systemd mounts the cgroup file
# system itself.
if [ "${VM_INIT:-}" = systemd ]; then
	[ -x /lib/systemd/systemd ] || fail "VM_INIT=systemd: /lib/systemd/systemd is not installed"
	# The host may be a container: its marker files would make systemd
	# think it runs in one (no device units, no udev). Gone from the
	# overlay only.
	rm -f /.dockerenv /run/.containerenv
	printf '%q ' env -i PATH=/run/vm/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root TERM=dumb LANG=C.UTF-8 VM_GUEST=1 "${VM_ENV[@]}" /bin/bash "$IO/cmd" >/run/vm-cmd
	cat >/etc/systemd/system/vm-run.target <<EOF
[Unit]
Description=the vm-run command under systemd
Requires=vm-run.service
Wants=systemd-udevd.service systemd-udev-trigger.service
AllowIsolate=yes
EOF
	cat >/etc/systemd/system/vm-run.service <<EOF
[Unit]
Description=the vm-run command
DefaultDependencies=no
Wants=sysinit.target systemd-udevd.service systemd-udev-trigger.service
After=sysinit.target systemd-udevd.service systemd-udev-trigger.service
SuccessAction=poweroff-force
FailureAction=poweroff-force

[Service]
Type=oneshot
WorkingDirectory=$VM_CWD
StandardInput=null
StandardOutput=append:$IO/output
StandardError=append:$IO/output
ExecStart=/bin/bash -c '/bin/bash /run/vm-cmd; echo \$? >$IO/rc; sync'
TimeoutStartSec=infinity
EOF
	exec /lib/systemd/systemd --unit=vm-run.target --log-target=console --show-status=no
	fail "cannot execute /lib/systemd/systemd"
fi

# The command: root, a clean environment plus what the host passed on, the
# caller's working directory, no terminal. Output goes straight to the host
# file (9p, uncached), so the host can stream it while the guest runs.
cd "$VM_CWD" 2>/dev/null || cd /
env -i PATH=/run/vm/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/root TERM=dumb LANG=C.UTF-8 VM_GUEST=1 "${VM_ENV[@]}" \
	/bin/bash "$IO/cmd" </dev/null >>"$IO/output" 2>&1
echo $? >"$IO/rc"
power_off
