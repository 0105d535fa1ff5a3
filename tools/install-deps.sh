#!/usr/bin/env bash
# install-deps.sh [--check] [--bench] [--kmod-debug] [--list] - install the Debian packages a
# make target needs, and no more.
#
#   (none)    make, make run, make install: compilers, libraries, man page generators
#   --check   make check adds: the qemu stage (kernel image and headers, qemu,
#             busybox, sparse), the install stage (dkms, clang, groff, man-db)
#             and the peers whose checks run in it (OpenMP's libgomp, StarPU),
#             the MPI stage (Open MPI), the aarch64 stage (cross compiler, arm64
#             libraries, qemu-user), the 32-bit ABI stage (i686/armhf compilers)
#             and the protocol models (spin)
#   --bench   make bench adds: the peers and gnuplot for --plot
#   --kmod-debug  make check-kmod-debug adds: the kernel source and its build
#             tools (the debug kernel is built from it once, then cached)
#   --list    print the packages of the targets named, one per line; install nothing
#
# Runs apt-get only when something is missing.  As non-root it prints the
# exact command to run instead and fails.  To add a package, add it to the
# list of the target that needs it.
set -eu

build=(build-essential pkg-config libcmocka-dev python3 libkmod-dev libdrm-dev
	help2man scdoc)
check=(linux-headers-amd64 linux-image-amd64 qemu-system-x86 busybox-static cpio kmod sparse
	dkms clang groff-base man-db
	libgomp1 libstarpu-dev
	libopenmpi-dev openmpi-bin
	crossbuild-essential-arm64 libc6:arm64 libcmocka-dev:arm64 libdrm-dev:arm64 libkmod-dev:arm64
	qemu-user file spin gnuplot-nox
	gcc-i686-linux-gnu libc6-dev-i386-cross gcc-arm-linux-gnueabihf libc6-dev-armhf-cross)
bench=(libgomp1 libstarpu-dev gnuplot-nox)
kmod_debug=(linux-source-6.1 bc bison flex libelf-dev xz-utils)

pkgs=("${build[@]}")
list=0
for a in "$@"; do
	case "$a" in
	--check) pkgs+=("${check[@]}") ;;
	--bench) pkgs+=("${bench[@]}") ;;
	--kmod-debug) pkgs+=("${check[@]}" "${kmod_debug[@]}") ;;
	--list) list=1 ;;
	*)
		# a typo (--bnech) must not quietly install less than asked
		echo "install-deps: usage: install-deps.sh [--check] [--bench] [--kmod-debug] [--list] (got: $*)" >&2
		exit 2 ;;
	esac
done
mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | awk '!seen[$0]++')
if [ "$list" -eq 1 ]; then
	printf '%s\n' "${pkgs[@]}"
	exit 0
fi

missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing+=("$p") ;;
	esac
done
[ ${#missing[@]} -eq 0 ] && exit 0

# the :arm64 packages (check-aarch64) need the foreign architecture first
arch=
case " ${missing[*]}" in *:arm64*) arch="dpkg --add-architecture arm64 && " ;; esac
cmd="${arch}apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: run as root: $cmd" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if [ -n "$arch" ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
	dpkg --add-architecture arm64
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
