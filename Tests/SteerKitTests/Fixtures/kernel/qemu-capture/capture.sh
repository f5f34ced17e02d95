#!/bin/sh
# Boots a Debian 12 kernel under qemu (TCG, no KVM) with the initramfs whose /init is the
# file beside this script, and keeps the serial console in a log.
#   capture.sh WORKDIR CPUS
# WORKDIR must hold vmlinuz (from the .deb of linux-image-6.1.0-NN-amd64, extracted with
# dpkg-deb -x). Needs qemu-system-x86, busybox-static and cpio from Debian.
# Writes WORKDIR/initrd.gz and WORKDIR/serial-CPUScpu.log; extract.py reads the log.
set -eu
work=$1 cpus=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$work/initramfs
rm -rf "$root"
mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys"
cp /bin/busybox "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$here/init" "$root/init"
chmod 755 "$root/init"
mknod -m 600 "$root/dev/console" c 5 1
mknod -m 666 "$root/dev/null" c 1 3
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) > "$work/initrd.gz"
rm -f "$work/serial-${cpus}cpu.log"
qemu-system-x86_64 -nographic -monitor none -nic none -m 2G -smp "$cpus" \
    -accel tcg,thread=multi \
    -kernel "$work/vmlinuz" -initrd "$work/initrd.gz" \
    -append "console=ttyS0 panic=-1 quiet" -no-reboot \
    -serial "file:$work/serial-${cpus}cpu.log" < /dev/null
