#!/bin/sh
# Builds an initramfs whose init is svscan, with the two example
# services, from a static bin/daemontools (make build) and a static
# busybox (Debian: apt-get install busybox-static):
#
#   sh testdata/container/mkinitramfs.sh bin/daemontools /bin/busybox initramfs.cpio.gz
#   qemu-system-x86_64 -m 256 -kernel /boot/vmlinuz-$(uname -r) \
#       -initrd initramfs.cpio.gz -append 'console=ttyS0 rdinit=/init' -nographic
#
# With a ROOT argument instead of an output file ending in .gz, it only
# lays the tree out in ROOT, which is also the tree the Dockerfile builds
# (the tests run it as PID 1 of a new pid namespace chrooted there, and
# as the pod of pod.yaml).
set -eu
[ $# -eq 3 ] || { echo "usage: mkinitramfs.sh DAEMONTOOLS BUSYBOX OUT.cpio.gz|ROOT" >&2; exit 100; }
dt=$1 bb=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
case $out in
*.gz) root=$(mktemp -d) ;;
*) root=$out; mkdir -p "$root" ;;
esac
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/run"
chmod 1777 "$root/tmp" "$root/run"
cp "$dt" "$root/bin/daemontools"
cp "$bb" "$root/bin/busybox"
# Links that name /bin/daemontools and busybox, as inside the image.
for a in $("$dt" --list | awk '{print $1}'); do ln -sf daemontools "$root/bin/$a"; done
for a in sh cat tee date sleep kill httpd mount; do ln -sf busybox "$root/bin/$a"; done
cp -R "$here/service" "$root/service"
cp "$here/init" "$root/init"
case $out in
*.gz)
	# The kernel opens /dev/console for /init before anything is mounted.
	mknod -m 600 "$root/dev/console" c 5 1 || echo "mkinitramfs.sh: warning: no dev/console (run as root)" >&2
	(cd "$root" && find . | "$bb" cpio -o -H newc) | gzip -9 > "$out"
	rm -rf "$root"
	;;
esac
