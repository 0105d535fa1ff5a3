#!/usr/bin/env bash
# tests/aarch64/kmod-build.sh BUILD_DIR - compile kmod/pto2.ko for arm64
# (`make kmod-arm64`; not a `make check` stage, see docs/porting.md).
#
# Debian's arm64 headers cannot be installed beside the amd64 toolchain
# (their kbuild is Multi-Arch: foreign and arm64-only), so the kbuild
# helpers are built on the host from linux-source-6.1: unpack it into
# BUILD_DIR/kernel-arm64 and run defconfig + modules_prepare once (~2 min
# on 2 CPUs, 1.5 GB), then build the module from a copy of the sources in
# BUILD_DIR/kmod-arm64 (kmod/ keeps its amd64 objects).  Compile and link
# only: undefined-symbol warnings from modpost are expected (no full kernel
# build, so no Module.symvers); compiler warnings fail.  Nothing boots it.
set -eu
build=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
src=/usr/src/linux-source-6.1.tar.xz
cross=aarch64-linux-gnu-
ktree=$top/$build/kernel-arm64
out=$top/$build/kmod-arm64

die() { echo "kmod-arm64: $*" >&2; exit 1; }
[ -f "$src" ] || die "no $src (apt-get install linux-source-6.1 flex bison bc libssl-dev libelf-dev)"
command -v "${cross}gcc" >/dev/null || die "no ${cross}gcc (install crossbuild-essential-arm64)"
for t in flex bison bc; do command -v $t >/dev/null || die "no $t (apt-get install $t)"; done

if [ ! -f "$ktree/.prepared" ]; then
	t0=$SECONDS
	rm -rf "$ktree" && mkdir -p "$ktree"
	tar -xf "$src" -C "$ktree" --strip-components=1
	make -C "$ktree" ARCH=arm64 CROSS_COMPILE=$cross defconfig >/dev/null
	make -C "$ktree" -j2 ARCH=arm64 CROSS_COMPILE=$cross modules_prepare >"$ktree.log" 2>&1 ||
		{ tail -20 "$ktree.log" >&2; die "modules_prepare failed (log: $ktree.log)"; }
	touch "$ktree/.prepared"
	echo "kmod-arm64: prepared $ktree in $((SECONDS - t0))s"
fi
rm -rf "$out" && mkdir -p "$out"
cp -r "$top/Kbuild" "$top/VERSION" "$top/uapi" "$out/"
mkdir -p "$out/kmod" && cp "$top"/kmod/Kbuild "$top"/kmod/*.[ch] "$out/kmod/"
make -C "$ktree" ARCH=arm64 CROSS_COMPILE=$cross M="$out" W=1 modules >"$out/build.log" 2>&1 ||
	{ tail -20 "$out/build.log" >&2; die "module build failed (log: $out/build.log)"; }
if grep -q 'warning:' "$out/build.log"; then
	grep 'warning:' "$out/build.log" >&2
	die "compiler warnings (log: $out/build.log)"
fi
file "$out/kmod/pto2.ko" | grep -q 'ARM aarch64' || die "$out/kmod/pto2.ko is not an arm64 module"
echo "kmod-arm64: $build/kmod-arm64/kmod/pto2.ko built for arm64 (W=1, no compiler warnings)"
