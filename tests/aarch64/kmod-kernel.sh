#!/usr/bin/env bash
# tests/aarch64/kmod-kernel.sh KVER - Debian's arm64 kernel KVER
# (6.1.0-N-arm64), its headers and a static arm64 busybox, downloaded with
# `apt-get download` (never installed: the arm64 kernel packages would
# replace the amd64 toolchain) and unpacked with dpkg-deb -x into
# $PTO_ARM64_KERNEL_CACHE/KVER (default /var/cache/pto2/arm64-kernel).
# Prints that directory.  Used by `make check-kmod-arm64`
# (tests/kmod/run-qemu.sh ... arm64, docs/porting.md).
#
# The headers' scripts/ is a link to linux-kbuild-6.1 (arm64 executables
# in Debian's arm64 package): it is pointed at the host's amd64
# /usr/lib/linux-kbuild-6.1 instead, which must be the same Debian
# version as the kernel (both come from the same linux source upload), so
# fixdep/modpost/genksyms are the ones that built this kernel, for x86.
set -eu
kver=$1
cache=${PTO_ARM64_KERNEL_CACHE:-/var/cache/pto2/arm64-kernel}/$kver
die() { echo "kmod-kernel: $*" >&2; exit 1; }
case $kver in *-arm64) ;; *) die "'$kver' is not an arm64 kernel release" ;; esac
abi=${kver%-arm64}

kbuild_ver=$(dpkg-query -W -f '${Version}' linux-kbuild-6.1 2>/dev/null) ||
	die "no host linux-kbuild-6.1 (it comes with linux-headers-amd64)"
if [ ! -f "$cache/.unpacked" ]; then
	echo "kmod-kernel: downloading Debian's arm64 $kver kernel, headers and busybox (not installed) into $cache" >&2
	rm -rf "$cache" && mkdir -p "$cache/deb"
	# apt's sandbox user cannot write to a root-owned directory: fine as root
	(cd "$cache/deb" && apt-get download -q "linux-image-$kver-unsigned:arm64" \
		"linux-headers-$kver:arm64" "linux-headers-$abi-common" busybox-static:arm64 >&2) ||
		die "apt-get download failed (is 'dpkg --add-architecture arm64' + apt-get update done?)"
	for d in "$cache"/deb/*.deb; do dpkg-deb -x "$d" "$cache/root"; done
	touch "$cache/.unpacked"
fi
root=$cache/root
img_ver=$(dpkg-deb -f "$cache"/deb/linux-image-"$kver"-unsigned_*.deb Version)
[ "$img_ver" = "$kbuild_ver" ] ||
	die "arm64 kernel $img_ver but host linux-kbuild-6.1 $kbuild_ver: the helpers must match (update linux-headers-amd64 or set KVER)"
# the headers' Makefile includes the -common tree by its absolute /usr/src path
hdr=$root/usr/src/linux-headers-$kver
echo "include $root/usr/src/linux-headers-$abi-common/Makefile" >"$hdr/Makefile"
mkdir -p "$root/usr/lib"
ln -sfn /usr/lib/linux-kbuild-6.1 "$root/usr/lib/linux-kbuild-6.1"
[ -f "$root/boot/vmlinuz-$kver" ] || die "no $root/boot/vmlinuz-$kver"
[ -x "$root/bin/busybox" ] || die "no arm64 busybox in $root/bin"
echo "$root"
