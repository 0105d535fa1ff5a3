#!/usr/bin/env bash
# install-deps.sh [--check] [--bench] [--list] - install the Debian packages a
# make target needs, and no more.
#
#   (none)    make, make run, make install: compilers, libraries, man page generators
#   --check   make check adds: the qemu stage (kernel image and headers, qemu,
#             busybox, sparse), the install stage (dkms, clang, groff, man-db)
#             and the peers whose checks run in it (OpenMP's libgomp, StarPU)
#   --bench   make bench adds: the peers and gnuplot for --plot
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
	libopenmpi-dev openmpi-bin)
bench=(libgomp1 libstarpu-dev gnuplot-nox)

pkgs=("${build[@]}")
list=0
for a in "$@"; do
	case "$a" in
	--check) pkgs+=("${check[@]}") ;;
	--bench) pkgs+=("${bench[@]}") ;;
	--list) list=1 ;;
	*)
		# a typo (--bnech) must not quietly install less than asked
		echo "install-deps: usage: install-deps.sh [--check] [--bench] [--list] (got: $*)" >&2
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

cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: run as root: $cmd" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
