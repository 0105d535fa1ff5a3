#!/usr/bin/env bash
# install-deps.sh [--bench|--kmod-debug] - install the Debian packages pto2 needs.
#
# Runs apt-get only when something is missing.  As non-root it prints the
# exact command to run instead and fails.  --bench adds the peer runtimes
# and plotting used by `make bench` (StarPU, gnuplot).  --kmod-debug adds
# the kernel source and its build tools for `make check-kmod-debug`.
set -eu

pkgs=(build-essential pkg-config libcmocka-dev python3
	libkmod-dev libdrm-dev
	linux-headers-amd64 linux-image-amd64 qemu-system-x86 busybox-static cpio kmod sparse)
case "$#:${1:-}" in
0:) ;;
1:--bench) pkgs+=(libstarpu-dev gnuplot-nox) ;;
1:--kmod-debug) pkgs+=(linux-source-6.1 bc bison flex libelf-dev xz-utils) ;;
*)
	# a typo (--bnech) must not quietly install less than asked
	echo "install-deps: usage: install-deps.sh [--bench|--kmod-debug] (got: $*)" >&2
	exit 2 ;;
esac

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
