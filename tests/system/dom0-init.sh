#!/bin/sh
# SPDX-License-Identifier: MIT
#
# /init of the system-test dom0 (baked into the cached image, so kept small):
# basic mounts, the Xen driver modules, the host's 9p share, then the test
# script from the share. Whatever happens, QEMU is told to exit at the end.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

poweroff_qemu() {
	sync
	# isa-debug-exit at port 0xf4: Xen's ACPI S5 would never end QEMU.
	printf '\000' | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
	sleep 5
	echo "dom0-init: isa-debug-exit did not stop QEMU" >/dev/console
	exec sleep 3600
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /run /tmp /mnt/host
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
echo "dom0-init: up at $(cut -d' ' -f1 /proc/uptime) s" >/dev/console

modprobe -a xenfs xen-evtchn xen-gntdev xen-gntalloc xen-privcmd virtio_pci 9pnet_virtio 9p ||
	echo "dom0-init: modprobe failed" >/dev/console
mount -t xenfs xenfs /proc/xen
# The virtio device may still be probing.
i=0
while ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=none xsnd /mnt/host 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 50 ] || break
	sleep 0.1
done
if ! mountpoint -q /mnt/host; then
	echo "dom0-init: FAIL: cannot mount the host's 9p share 'xsnd'" >/dev/console
	poweroff_qemu
fi
if [ -x /mnt/host/dom0-run.sh ]; then
	/mnt/host/dom0-run.sh </dev/null >/dev/console 2>&1
	echo "dom0-init: dom0-run.sh exited with $?" >/dev/console
else
	echo "dom0-init: FAIL: /mnt/host/dom0-run.sh missing" >/dev/console
fi
poweroff_qemu
